/* Chat completions: the result object, decoding a whole chat.completion answer, and the
 * non-streaming call (a typed call on the core's call machinery). */
#include "bridge/internal.h"

#include <stdlib.h>
#include <string.h>

sekha_completion *sekha__completion_new(void)
{
    sekha_completion *c = calloc(1, sizeof *c);
    if (c) {
        sekha__ref_init(&c->ref);
        atomic_init(&c->json, NULL);
        c->usage[0] = c->usage[1] = c->usage[2] = -1;
    }
    return c;
}

static void destroy(sekha_completion *c)
{
    sekha__buf_free(&c->text);
    sekha__tool_calls_free(c);
    free(c->role);
    free(c->finish);
    free(c->model);
    free(c->id);
    free(atomic_load_explicit(&c->json, memory_order_acquire));
    free(c);
}

void sekha_completion_free(sekha_completion *c)
{
    if (c && sekha__ref_put(&c->ref))
        destroy(c);
}

sekha_completion *sekha_completion_copy(const sekha_completion *c)
{
    if (!c)
        return NULL;
    sekha__ref_get(&c->ref);
    return (sekha_completion *)c;
}

int sekha__set_span(char **dst, sekha__span span)
{
    if (!span.p)
        return 0;
    char *s = malloc(span.n + 1);
    if (!s)
        return -1;
    memcpy(s, span.p, span.n);
    s[span.n] = '\0';
    free(*dst);
    *dst = s;
    return 0;
}

sekha_error *sekha__bridge_service_error(const char *body, size_t len, const char *what)
{
    sekha_error *e = sekha__error_new(SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, NULL);
    if (e == &sekha__nomem_error)
        return e;
    sekha__error_parse_body(e, body, len);
    sekha__error_compose(e, what);
    return e;
}

static sekha_error *bad_response(const char *why)
{
    return sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "%s", why);
}

sekha_error *sekha__completion_from_body(sekha_completion *c, const char *body, size_t len,
                                         const char *what)
{
    sekha__chunk_fields f;
    cJSON *root = NULL;
    size_t mark = c->text.len;
    sekha__chunk_rc rc = sekha__chunk_parse_full(body, len, &c->text, &f, &root);
    sekha_error *err = NULL;
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (rc == SEKHA__CHUNK_INVALID)
        err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                               "the body is not valid JSON in UTF-8 (broken near byte %zu of "
                               "%zu)", f.error_at, len);
    else if (rc == SEKHA__CHUNK_ERROR)
        err = sekha__bridge_service_error(body, len, what);
    else if (rc == SEKHA__CHUNK_BAD)
        err = bad_response(f.why);
    else if (cJSON_GetArraySize(choices) < 1)
        err = bad_response("the completion has no choices");
    else if (!f.has_content && !f.finish.p && !f.tool_calls)
        err = bad_response("choices[0] holds neither message content, tool calls nor "
                           "finish_reason");
    char *json = NULL;
    if (!err && (sekha__set_span(&c->role, f.role) || sekha__set_span(&c->finish, f.finish) ||
                 sekha__set_span(&c->model, f.model) || sekha__set_span(&c->id, f.id) ||
                 (f.tool_calls && sekha__completion_add_tool_calls(c, f.tool_calls) != 0) ||
                 !(json = malloc(len + 1))))
        err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "completion");
    cJSON_Delete(root);
    if (err) {
        free(json);
        c->text.len = mark;
        if (c->text.data)
            c->text.data[mark] = '\0';
        sekha__tool_calls_free(c); /* only ever filled here for a fresh completion */
        c->tool_bytes = 0;
        return err;
    }
    memcpy(json, body, len);
    json[len] = '\0';
    /* before the completion is handed out: nothing reads it yet */
    atomic_store_explicit(&c->json, json, memory_order_relaxed);
    c->has_usage = f.has_usage;
    memcpy(c->usage, f.usage, sizeof c->usage);
    c->complete = 1;
    return NULL;
}

/* ---- accessors ---- */

const char *sekha_completion_content(const sekha_completion *c, size_t *len)
{
    if (len)
        *len = c ? c->text.len : 0;
    return c ? sekha__buf_str(&c->text) : "";
}

const char *sekha_completion_role(const sekha_completion *c) { return c ? c->role : NULL; }
const char *sekha_completion_finish_reason(const sekha_completion *c)
{
    return c ? c->finish : NULL;
}
const char *sekha_completion_model(const sekha_completion *c) { return c ? c->model : NULL; }
const char *sekha_completion_id(const sekha_completion *c) { return c ? c->id : NULL; }
int sekha_completion_streamed(const sekha_completion *c) { return c ? c->streamed : 0; }
size_t sekha_completion_chunks(const sekha_completion *c) { return c ? c->chunks : 0; }
int sekha_completion_complete(const sekha_completion *c) { return c ? c->complete : 0; }

int sekha_completion_usage(const sekha_completion *c, long *prompt, long *completion,
                           long *total)
{
    int has = c && c->has_usage;
    long *out[3] = {prompt, completion, total};
    for (int i = 0; i < 3; i++)
        if (out[i])
            *out[i] = has ? c->usage[i] : -1;
    return has;
}

static int put_opt_string(sekha_buf *b, const char *key, const char *v)
{
    int rc = sekha__buf_printf(b, "\"%s\":", key);
    return rc | (v ? sekha__json_put_string(b, v, strlen(v)) : sekha__buf_puts(b, "null"));
}

/* A chat.completion object for a streamed reply, written by hand so content with NUL
 * bytes survives (cJSON strings end at the first NUL). */
static char *synthesize(const sekha_completion *c)
{
    sekha_buf b = {0};
    int rc = sekha__buf_puts(&b, "{");
    if (c->id) {
        rc |= put_opt_string(&b, "id", c->id);
        rc |= sekha__buf_puts(&b, ",");
    }
    rc |= sekha__buf_puts(&b, "\"object\":\"chat.completion\",");
    rc |= put_opt_string(&b, "model", c->model);
    rc |= sekha__buf_puts(&b, ",\"choices\":[{\"index\":0,\"message\":{");
    rc |= put_opt_string(&b, "role", c->role ? c->role : "assistant");
    rc |= sekha__buf_puts(&b, ",\"content\":");
    if (c->ncalls && !c->text.len) /* as OpenAI answers a reply that only calls tools */
        rc |= sekha__buf_puts(&b, "null");
    else
        rc |= sekha__json_put_string(&b, sekha__buf_str(&c->text), c->text.len);
    if (c->ncalls) {
        rc |= sekha__buf_puts(&b, ",");
        rc |= sekha__tool_calls_put_json(&b, c);
    }
    rc |= sekha__buf_puts(&b, "},");
    rc |= put_opt_string(&b, "finish_reason", c->finish);
    rc |= sekha__buf_puts(&b, "}]");
    if (c->has_usage) {
        static const char *const names[3] = {"prompt_tokens", "completion_tokens",
                                             "total_tokens"};
        rc |= sekha__buf_puts(&b, ",\"usage\":{");
        for (int i = 0; i < 3; i++) {
            if (c->usage[i] < 0)
                rc |= sekha__buf_printf(&b, "%s\"%s\":null", i ? "," : "", names[i]);
            else
                rc |= sekha__buf_printf(&b, "%s\"%s\":%ld", i ? "," : "", names[i], c->usage[i]);
        }
        rc |= sekha__buf_puts(&b, "}");
    }
    rc |= sekha__buf_puts(&b, "}");
    if (rc) {
        sekha__buf_free(&b);
        return NULL;
    }
    return sekha__buf_steal(&b, NULL);
}

const char *sekha_completion_json(const sekha_completion *c)
{
    if (!c)
        return NULL;
    /* The one field filled after delivery: built on first use, then published once.
     * Two threads may both build it; the loser frees its text and returns the winner's,
     * so every caller sees the same pointer for the life of c. */
    _Atomic(char *) *slot = (_Atomic(char *) *)&c->json;
    char *json = atomic_load_explicit(slot, memory_order_acquire);
    if (json)
        return json;
    char *mine = synthesize(c);
    if (!mine)
        return NULL;
    char *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(slot, &expected, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    free(mine);
    return expected;
}

/* ---- the call ---- */

static void *decode_completion(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_completion *c = sekha__completion_new();
    if (!c) {
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "completion");
        return NULL;
    }
    size_t len;
    const char *body = sekha_response_body(resp, &len);
    *err = sekha__completion_from_body(c, body, len, NULL);
    if (*err) {
        sekha_completion_free(c);
        return NULL;
    }
    return c;
}

static void deliver_completion(sekha__fn cb, sekha_request *req, const sekha_error *err,
                               void *res, void *ud)
{
    ((sekha_completion_cb)cb)(req, err, res, ud);
}

static const sekha__call_spec completion_call = {
    decode_completion, (void (*)(void *))sekha_completion_free, deliver_completion};

/* Builds the spec of a chat request into *spec (body written into *body). */
sekha_error *sekha__bridge_chat_spec(sekha__spec *spec, sekha_buf *body,
                                     const sekha_messages *msgs, const sekha_params *params,
                                     int stream)
{
    sekha_error *e = sekha__bridge_chat_body(body, msgs, params, stream);
    if (e)
        return e;
    *spec = (sekha__spec){
        .service = SEKHA_SERVICE_BRIDGE,
        .method = "POST",
        .path = SEKHA__CHAT_PATH,
        .content_type = "application/json",
        .accept = stream ? "text/event-stream, application/json" : "application/json",
        .body = body->data,
        .body_len = body->len,
        /* No side effects on the server: retrying is safe (see bridge.h). */
        .flags = SEKHA_HTTP_IDEMPOTENT | (stream ? SEKHA_HTTP_STREAM : 0u),
        .what = stream ? "bridge POST " SEKHA__CHAT_PATH " (stream)"
                       : "bridge POST " SEKHA__CHAT_PATH,
    };
    return NULL;
}

sekha_request *sekha_bridge_complete(sekha_client *c, const sekha_messages *msgs,
                                     const sekha_params *params, sekha_completion_cb cb,
                                     void *ud)
{
    if (!c)
        return NULL;
    sekha__spec spec;
    /* the client's scratch buffer: the core copies the body, so nothing is allocated */
    sekha_error *e = sekha__bridge_chat_spec(&spec, sekha__client_scratch(c), msgs, params, 0);
    if (e)
        return sekha__call_fail(c, NULL, &completion_call, e, (sekha__fn)cb, ud);
    return sekha__call(c, &spec, &completion_call, NULL, NULL, (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(complete_sync_cb, sekha_completion, sekha_completion_copy)

sekha_code sekha_bridge_complete_sync(sekha_client *c, const sekha_messages *msgs,
                                      const sekha_params *params, sekha_completion **out,
                                      sekha_error **err)
{
    SEKHA__SYNC_RETURN(c,
                       sekha_bridge_complete(c, msgs, params, complete_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_completion_free, err);
}
