/* The Sekha memory tools over the controller's HTTP tool endpoints (wire contract 1.3):
 * POST <MCP base>/mcp/tools/<tool> with the MCP key, answers wrapped in
 * {success, data, error}. The decoder unwraps the envelope; the controller's 400 for a
 * malformed Authorization header is an auth failure, not a bad request, so it is remapped
 * before the caller sees it (in deliver, so the sync forms see it remapped too). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/jwrite.h"
#include "mcp/mcp_internal.h"
#include "mcp/tools.h"
#include "shared/shared.h"

#define AUTH_FORMAT_MESSAGE "Invalid authorization format"

static void *decode_envelope(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    cJSON *root = sekha__json_parse(resp, "MCP tool", err);
    if (!root)
        return NULL;
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(root, "success");
    if (!cJSON_IsBool(success)) {
        cJSON_Delete(root);
        *err = sekha__json_bad("MCP tool", "success", "a boolean");
        return NULL;
    }
    if (!cJSON_IsTrue(success)) {
        sekha_error *e = sekha__error_new(SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, NULL);
        if (e != &sekha__nomem_error) {
            size_t len = 0;
            const char *body = sekha_response_body(resp, &len);
            sekha__error_parse_body(e, body, len); /* takes "error" as the message */
            if (!sekha__json_str(root, "error")) {
                free(e->service_message); /* the raw envelope is no message */
                e->service_message = NULL;
                e->detail = strdup("the tool reported a failure without a message");
            }
        }
        cJSON_Delete(root);
        *err = e;
        return NULL;
    }
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(root, "data");
    cJSON_Delete(root);
    sekha_mcp_data *d = mcp_data_new(data);
    if (!d)
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
    return d;
}

/* The controller answers a header that does not start with "Bearer " with 400; it is the
 * key that is wrong, so callers get SEKHA_E_AUTH like for the 401s. */
static void remap_auth(sekha_error *e, const char *what)
{
    if (e && e != &sekha__nomem_error && e->layer == SEKHA_LAYER_HTTP && e->http_status == 400 &&
        e->service_message && strcmp(e->service_message, AUTH_FORMAT_MESSAGE) == 0) {
        e->code = SEKHA_E_AUTH;
        sekha__error_compose(e, what);
    }
}

#define WHAT_PREFIX "mcp POST /mcp/tools/"

/* A 404 from a tool route. Controllers without the MCP tool routes (the February one
 * mounts only the REST router) answer every request under /mcp/tools/ with a bare 404, which
 * would read as "not found" of something the caller named. The tools that take no
 * conversation cannot be "not found" otherwise, so for them that is what it means; for
 * the others a bare 404 is also the controller's "no such conversation", and the message
 * names both (a 404 that says something is the server's own word, left as it is). */
static void explain_404(sekha_error *e, const char *what)
{
    if (!e || e == &sekha__nomem_error || e->layer != SEKHA_LAYER_HTTP || e->http_status != 404 ||
        !what || strncmp(what, WHAT_PREFIX, sizeof WHAT_PREFIX - 1) != 0)
        return;
    const char *tool = what + sizeof WHAT_PREFIX - 1;
    int by_id = !strcmp(tool, "memory_update") || !strcmp(tool, "memory_get_context") ||
                !strcmp(tool, "memory_export");
    if (by_id && e->service_message && *e->service_message)
        return;
    char *detail = NULL;
    sekha_buf b = {0};
    if (sekha__buf_printf(&b, "%sthe controller serves no MCP tool routes (/mcp/tools/*); use "
                              "its REST API instead (the sekha_controller_* calls)",
                          by_id ? "no such conversation, or " : "") == 0)
        detail = sekha__buf_steal(&b, NULL);
    sekha__buf_free(&b);
    if (!detail)
        return; /* no memory: the plain 404 stays */
    free(e->detail);
    e->detail = detail;
    sekha__error_compose(e, what);
}

static void deliver_data(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                         void *ud)
{
    if (err && err == sekha__req(req)->err) {
        remap_auth(sekha__req(req)->err, sekha__req(req)->what);
        explain_404(sekha__req(req)->err, sekha__req(req)->what);
    }
    ((sekha_mcp_data_cb)cb)(req, err, res, ud);
}

static void free_data(void *d)
{
    sekha_mcp_data_free(d);
}

const sekha__call_spec mcp_envelope_call = {decode_envelope, free_data, deliver_data};

/* memory_store with content parts: the January controller's 422 then means "text only". */
static void deliver_stored_parts(sekha__fn cb, sekha_request *req, const sekha_error *err,
                                 void *res, void *ud)
{
    if (err && err == sekha__req(req)->err)
        sekha__error_plain_text_only(sekha__req(req)->err, sekha__req(req)->what);
    deliver_data(cb, req, err, res, ud);
}

static const sekha__call_spec store_parts_call = {decode_envelope, free_data,
                                                  deliver_stored_parts};

static void what_for(char *buf, size_t n, const char *tool)
{
    snprintf(buf, n, WHAT_PREFIX "%s", tool);
}

static sekha_request *fail(sekha_client *c, sekha_error *e, sekha_mcp_data_cb cb, void *ud)
{
    return sekha__call_fail(c, NULL, &mcp_envelope_call, e, (sekha__fn)cb, ud);
}

static sekha_error *invalid(const char *why)
{
    return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "%s", why);
}

/* Writes tree (taken) into b: SEKHA_OK, SEKHA_E_NOMEM, or SEKHA_E_INVALID_ARG with why
 * naming the field that is not UTF-8. */
static sekha_code write_body(sekha_buf *b, cJSON *tree, char *why, size_t why_len)
{
    int rc = tree ? sekha__jw_tree(b, tree, why, why_len) : SEKHA_JW_NOMEM;
    cJSON_Delete(tree);
    return rc == 0 ? SEKHA_OK : rc == SEKHA_JW_NOMEM ? SEKHA_E_NOMEM : SEKHA_E_INVALID_ARG;
}

/* A caller's JSON text must be one JSON value in UTF-8 before cJSON reads it (cJSON takes
 * "{} junk" and copies bytes that are not UTF-8). */
static sekha_code check_text(const char *text, const char *name, char *why, size_t why_len)
{
    int rc = sekha__jw_check_text(text, name, why, why_len);
    return rc == 0 ? SEKHA_OK : rc == SEKHA_JW_NOMEM ? SEKHA_E_NOMEM : SEKHA_E_INVALID_ARG;
}

/* Sends the body a body function wrote (rc SEKHA_OK) as the typed call cs, or ends the
 * call here with its error, named after the tool; b is freed either way. Read-only tools
 * are safe to re-send. */
static sekha_request *post_body_as(sekha_client *c, const sekha__call_spec *cs,
                                   const char *tool, sekha_code rc, sekha_buf *b,
                                   const char *why, int read_only, sekha_mcp_data_cb cb, void *ud)
{
    sekha_request *r;
    if (rc == SEKHA_E_NOMEM) {
        r = fail(c, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL), cb, ud);
    } else if (rc != SEKHA_OK) {
        r = fail(c, sekha__error_new(rc, SEKHA_LAYER_LOCAL, "%s: %s", tool, why), cb, ud);
    } else {
        char path[64], what[96];
        snprintf(path, sizeof path, "/mcp/tools/%s", tool);
        what_for(what, sizeof what, tool);
        sekha__spec spec = {
            .service = SEKHA_SERVICE_MCP,
            .method = "POST",
            .path = path,
            .content_type = "application/json",
            .accept = "application/json",
            .body = b->data,
            .body_len = b->len,
            .flags = read_only ? SEKHA_HTTP_IDEMPOTENT : 0,
            .what = what,
        };
        r = sekha__call(c, &spec, cs, NULL, NULL, (sekha__fn)cb, ud);
    }
    sekha__buf_free(b);
    return r;
}

/* post_body_as with the plain envelope call. */
static sekha_request *post_body(sekha_client *c, const char *tool, sekha_code rc, sekha_buf *b,
                                const char *why, int read_only, sekha_mcp_data_cb cb, void *ud)
{
    return post_body_as(c, &mcp_envelope_call, tool, rc, b, why, read_only, cb, ud);
}

/* Sends tree (taken) to the tool, every string in it checked for UTF-8 first. */
static sekha_request *post_tool(sekha_client *c, const char *tool, cJSON *tree, int read_only,
                                sekha_mcp_data_cb cb, void *ud)
{
    if (!c) {
        cJSON_Delete(tree);
        return NULL;
    }
    char why[320];
    sekha_buf b = {0};
    sekha_code rc = write_body(&b, tree, why, sizeof why);
    return post_body(c, tool, rc, &b, why, read_only, cb, ud);
}

static int add_str(cJSON *o, const char *key, const char *v)
{
    return !v || cJSON_AddStringToObject(o, key, v) != NULL;
}

/* Integers go out as JSON integers: the controller rejects 7.0 where an i32 is expected. */
static int add_int(cJSON *o, const char *key, int64_t v)
{
    return cJSON_AddNumberToObject(o, key, (double)v) != NULL;
}

/* The integer parameter key if set and at most INT32_MAX (what the controller reads);
 * *e gets the error otherwise. Returns 1 when set. */
static int int_param(const sekha_params *p, sekha_param key, const char *tool, int64_t *v,
                     sekha_error **e)
{
    if (*e || !sekha__params_int(p, key, v))
        return 0;
    if (*v > INT32_MAX)
        *e = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                              "sekha_mcp_%s: %s must be at most 2147483647", tool,
                              sekha_param_name(key));
    return !*e;
}

/* ---- the seven tools ---- */

sekha_request *sekha_mcp_memory_stats(sekha_client *c, const sekha_params *params,
                                      sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_mcp_memory_stats",
                                         (const sekha_param[]){SEKHA_PARAM_FOLDER,
                                                               SEKHA_PARAM_LABEL, 0});
    if (e)
        return fail(c, e, cb, ud);
    cJSON *b = cJSON_CreateObject();
    if (b && (!add_str(b, "folder", sekha__params_text(params, SEKHA_PARAM_FOLDER)) ||
              !add_str(b, "label", sekha__params_text(params, SEKHA_PARAM_LABEL)))) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_stats", b, 1, cb, ud);
}

sekha_code mcp_search_body(sekha_buf *b, const char *query, const char *filters_json,
                           int64_t limit, char *why, size_t why_len)
{
    cJSON *filters = NULL;
    if (filters_json) {
        sekha_code rc = check_text(filters_json, "filters_json", why, why_len);
        if (rc != SEKHA_OK)
            return rc;
        if (!cJSON_IsObject(filters = cJSON_Parse(filters_json))) {
            cJSON_Delete(filters);
            snprintf(why, why_len, "filters must be a JSON object (a Chroma where clause)");
            return SEKHA_E_INVALID_ARG;
        }
    }
    cJSON *t = cJSON_CreateObject();
    int ok = t && add_str(t, "query", query) && (!limit || add_int(t, "limit", limit));
    if (ok && filters) {
        ok = cJSON_AddItemToObject(t, "filters", filters);
        filters = ok ? NULL : filters;
    }
    cJSON_Delete(filters);
    if (!ok) {
        cJSON_Delete(t);
        return SEKHA_E_NOMEM;
    }
    return write_body(b, t, why, why_len);
}

sekha_request *sekha_mcp_memory_search(sekha_client *c, const char *query,
                                       const sekha_params *params, sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_mcp_memory_search",
                                         (const sekha_param[]){SEKHA_PARAM_FILTERS_JSON,
                                                               SEKHA_PARAM_LIMIT, 0});
    int64_t limit = 0;
    int_param(params, SEKHA_PARAM_LIMIT, "memory_search", &limit, &e);
    if (!e && (!query || !*query))
        e = invalid("query must be a non-empty string");
    if (e)
        return fail(c, e, cb, ud);
    char why[320];
    sekha_buf b = {0};
    sekha_code rc = mcp_search_body(&b, query, sekha__params_text(params, SEKHA_PARAM_FILTERS_JSON),
                                    limit, why, sizeof why);
    return post_body(c, "memory_search", rc, &b, why, 1, cb, ud);
}

sekha_code mcp_store_body(sekha_buf *b, const char *label, const char *folder,
                          const sekha_messages *messages, int64_t importance, char *why,
                          size_t why_len)
{
    sekha_error *bad = sekha__messages_check(messages, "memory_store");
    if (bad) {
        snprintf(why, why_len, "%s", sekha_error_message(bad));
        sekha_code rc = sekha_error_code(bad);
        sekha_error_free(bad);
        return rc;
    }
    cJSON *msgs = sekha__messages_cjson(messages);
    cJSON *t = msgs ? cJSON_CreateObject() : NULL;
    int ok = t && add_str(t, "label", label) && add_str(t, "folder", folder) &&
             cJSON_AddItemToObject(t, "messages", msgs);
    if (!ok)
        cJSON_Delete(msgs); /* not attached */
    if (ok && importance)
        ok = add_int(t, "importance_score", importance);
    if (!ok) {
        cJSON_Delete(t);
        return SEKHA_E_NOMEM;
    }
    return write_body(b, t, why, why_len);
}

sekha_request *sekha_mcp_memory_store(sekha_client *c, const sekha_messages *messages,
                                      const sekha_params *params, sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_mcp_memory_store",
                                         (const sekha_param[]){SEKHA_PARAM_LABEL,
                                                               SEKHA_PARAM_FOLDER,
                                                               SEKHA_PARAM_IMPORTANCE, 0});
    if (!e)
        e = sekha__messages_check(messages, "sekha_mcp_memory_store");
    if (e)
        return fail(c, e, cb, ud);
    const char *label = sekha__params_text(params, SEKHA_PARAM_LABEL);
    const char *folder = sekha__params_text(params, SEKHA_PARAM_FOLDER);
    int64_t importance = 0;
    sekha__params_int(params, SEKHA_PARAM_IMPORTANCE, &importance);
    if ((label && !*label) || (folder && !*folder))
        return fail(c, invalid("sekha_mcp_memory_store: label and folder must not be empty"),
                    cb, ud);
    char why[320];
    sekha_buf b = {0};
    sekha_code rc = mcp_store_body(&b, label ? label : MCP_DEFAULT_LABEL,
                                   folder ? folder : MCP_DEFAULT_FOLDER, messages, importance,
                                   why, sizeof why);
    return post_body_as(c, sekha__messages_have_parts(messages) ? &store_parts_call
                                                                : &mcp_envelope_call,
                        "memory_store", rc, &b, why, 0, cb, ud);
}

/* ---- memory_update, checked by reading back ----
 * The January controller's memory_update saves only label and folder, yet lists status and
 * importance among its "updated_fields" (and lists "label/folder" as one entry). So the
 * update is followed by memory_get_context, and the result says what the conversation
 * now holds. The two stages are children of one virtual request (the handle the caller
 * holds: cancelling it cancels the running stage), which the update ends itself once its
 * last stage reported (owner_finishes), so the final callback comes after both. The state
 * is counted: the parent holds one reference and a pending stage another, since on client
 * free a stage can report after the parent. */

typedef struct update_op {
    sekha_client *client;
    sekha_request *req;      /* the parent; NULL once its final callback ran */
    sekha_request *child;    /* the stage running, NULL between stages */
    int refs, stopping;
    sekha_error *err;        /* a failed stage's error, delivered at the end */
    sekha_mcp_data *claimed; /* what the update answered */
    sekha_mcp_data *result;  /* what the caller gets */
    char *id, *label, *folder, *status;
    int64_t importance;      /* 0: not asked for */
    sekha_mcp_data_cb cb;
    void *ud;
} update_op;

static void op_unref(update_op *op)
{
    if (--op->refs > 0)
        return;
    sekha_error_free(op->err);
    sekha_mcp_data_free(op->claimed);
    sekha_mcp_data_free(op->result);
    free(op->id);
    free(op->label);
    free(op->folder);
    free(op->status);
    free(op);
}

static int op_running(const update_op *op)
{
    return op->req && !op->stopping;
}

static void op_finish_when_idle(update_op *op)
{
    if (op->req && op->stopping && !op->child)
        sekha__request_end(op->req, NULL, NULL);
}

/* Ends the update with err (taken; NULL = success) once no stage runs. */
static void op_end(update_op *op, sekha_error *err)
{
    if (!op_running(op)) {
        sekha_error_free(err);
        return;
    }
    op->stopping = 1;
    op->err = err;
    if (op->child)
        sekha_request_cancel(op->child);
    op_finish_when_idle(op);
}

static void op_on_cancel(sekha_request *r)
{
    update_op *op = sekha__req(r)->ud;
    op->stopping = 1;
    if (op->child)
        sekha_request_cancel(op->child);
    op_finish_when_idle(op);
}

static void op_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                    void *ud)
{
    (void)resp;
    update_op *op = ud;
    op->req = NULL;
    op->stopping = 1;
    if (op->child) /* only when the client is closing */
        sekha_request_cancel(op->child);
    const sekha_error *e = err ? err : op->err; /* the core's own error (cancel) wins */
    if (op->cb)
        op->cb(req, e, e ? NULL : op->result, op->ud);
    op_unref(op);
}

/* Called first by a stage's callback: 1 when its outcome matters. A stage's error ends the
 * update with a copy of it. */
static int op_stage_done(update_op *op, sekha_request *req, const sekha_error *err)
{
    if (op->child == req)
        op->child = NULL;
    if (!op_running(op)) {
        op_finish_when_idle(op);
        return 0;
    }
    if (err) {
        sekha_error *copy = sekha_error_copy(err);
        op_end(op, copy ? copy : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return 0;
    }
    return 1;
}

/* 1 when the field asked for reads back as asked. "pinned" is the SDKs' word for
 * importance 10, which a controller may keep as the importance rather than the status. */
static int field_stored(const update_op *op, const cJSON *ctx, const char *field)
{
    if (!strcmp(field, "importance_score")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, field);
        return cJSON_IsNumber(v) && v->valuedouble == (double)op->importance;
    }
    const char *want = !strcmp(field, "label") ? op->label
                     : !strcmp(field, "folder") ? op->folder : op->status;
    const char *got = sekha__json_str(ctx, field);
    if (got && !strcmp(got, want))
        return 1;
    if (!strcmp(field, "status") && !strcmp(want, "pinned")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, "importance_score");
        return cJSON_IsNumber(v) && v->valuedouble >= 10;
    }
    return 0;
}

/* The result: {conversation_id, updated_fields (asked for and read back as asked),
 * not_stored (asked for, read back otherwise), stored {label, folder, status,
 * importance_score as read back}, reported_fields (what the tool claimed), message}. */
static sekha_mcp_data *op_result(const update_op *op, const sekha_mcp_data *read)
{
    static const char *const fields[] = {"label", "folder", "status", "importance_score"};
    const char *asked[] = {op->label, op->folder, op->status, op->importance ? "" : NULL};
    /* Read from their text: not a hot path, and the data's tree stays private. */
    cJSON *ctx = cJSON_Parse(sekha_mcp_data_json(read));
    cJSON *claimed = cJSON_Parse(sekha_mcp_data_json(op->claimed));
    cJSON *o = cJSON_CreateObject();
    cJSON *updated = cJSON_AddArrayToObject(o, "updated_fields");
    cJSON *missed = cJSON_AddArrayToObject(o, "not_stored");
    cJSON *stored = cJSON_AddObjectToObject(o, "stored");
    int ok = o && updated && missed && stored && add_str(o, "conversation_id", op->id);
    for (size_t i = 0; ok && i < sizeof fields / sizeof *fields; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, fields[i]);
        if (v)
            ok = cJSON_AddItemToObject(stored, fields[i], cJSON_Duplicate(v, 1));
        if (ok && asked[i])
            ok = cJSON_AddItemToArray(field_stored(op, ctx, fields[i]) ? updated : missed,
                                      cJSON_CreateString(fields[i]));
    }
    const cJSON *reported = cJSON_GetObjectItemCaseSensitive(claimed, "updated_fields");
    if (ok && reported)
        ok = cJSON_AddItemToObject(o, "reported_fields", cJSON_Duplicate(reported, 1));
    if (ok)
        ok = add_str(o, "message", sekha__json_str(claimed, "message"));
    cJSON_Delete(ctx);
    cJSON_Delete(claimed);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return mcp_data_new(o);
}

static void op_on_read(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d,
                       void *ud)
{
    update_op *op = ud;
    if (op_stage_done(op, req, err)) {
        op->result = op_result(op, d);
        op_end(op, op->result ? NULL : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
    }
    op_unref(op);
}

/* Starts a stage as a child of the update (same loop, cancelled with it). */
#define OP_STAGE(op, call)                                                \
    do {                                                                  \
        (op)->refs++;                                                     \
        SEKHA__AS_CHILD((op)->client, (op)->req, (op)->child = (call));   \
        if (!(op)->child) { /* out of memory: nothing will call back */   \
            (op)->refs--;                                                 \
            op_end((op), sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL)); \
        }                                                                 \
    } while (0)

static void op_on_updated(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d,
                          void *ud)
{
    update_op *op = ud;
    if (op_stage_done(op, req, err)) {
        op->claimed = sekha_mcp_data_copy(d);
        OP_STAGE(op, sekha_mcp_memory_get_context(op->client, op->id, op_on_read, op));
    }
    op_unref(op);
}

static char *dup_or_null(const char *s, int *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = 0;
    return d;
}

sekha_request *sekha_mcp_memory_update(sekha_client *c, const char *conversation_id,
                                       const sekha_params *params, sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_mcp_memory_update",
                                         (const sekha_param[]){SEKHA_PARAM_LABEL,
                                                               SEKHA_PARAM_FOLDER,
                                                               SEKHA_PARAM_STATUS,
                                                               SEKHA_PARAM_IMPORTANCE, 0});
    if (!e && !sekha__is_uuid(conversation_id))
        e = invalid("conversation_id must be a UUID");
    if (e)
        return fail(c, e, cb, ud);
    update_op *op = calloc(1, sizeof *op);
    int ok = op != NULL;
    if (ok) {
        op->client = c;
        op->cb = cb;
        op->ud = ud;
        op->refs = 1;
        op->id = dup_or_null(conversation_id, &ok);
        op->label = dup_or_null(sekha__params_text(params, SEKHA_PARAM_LABEL), &ok);
        op->folder = dup_or_null(sekha__params_text(params, SEKHA_PARAM_FOLDER), &ok);
        op->status = dup_or_null(sekha__params_text(params, SEKHA_PARAM_STATUS), &ok);
        sekha__params_int(params, SEKHA_PARAM_IMPORTANCE, &op->importance);
    }
    cJSON *b = ok ? cJSON_CreateObject() : NULL;
    ok = b && add_str(b, "conversation_id", op->id) && add_str(b, "label", op->label) &&
         add_str(b, "folder", op->folder) && add_str(b, "status", op->status) &&
         (!op->importance || add_int(b, "importance_score", op->importance));
    if (ok)
        op->req = sekha__start_virtual(c, NULL, "mcp memory_update", op_done, op);
    if (!op || !op->req) {
        cJSON_Delete(b);
        if (op)
            op_unref(op);
        return fail(c, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL), cb, ud);
    }
    sekha_request *handle = op->req;
    if (sekha__req(handle)->state != SEKHA_REQ_EXTERNAL) { /* the client is being freed */
        cJSON_Delete(b);
        op->stopping = 1;
        return handle;
    }
    sekha__req(handle)->on_cancel = op_on_cancel;
    sekha__req(handle)->owner_finishes = 1;
    OP_STAGE(op, post_tool(c, "memory_update", b, 0, op_on_updated, op));
    return handle;
}

sekha_request *sekha_mcp_memory_prune(sekha_client *c, const sekha_params *params,
                                      sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_mcp_memory_prune",
                                         (const sekha_param[]){SEKHA_PARAM_THRESHOLD_DAYS,
                                                               SEKHA_PARAM_IMPORTANCE_THRESHOLD,
                                                               0});
    int64_t days = 0;
    int has_days = int_param(params, SEKHA_PARAM_THRESHOLD_DAYS, "memory_prune", &days, &e);
    if (e)
        return fail(c, e, cb, ud);
    double threshold = 0;
    int has_threshold = sekha__params_real(params, SEKHA_PARAM_IMPORTANCE_THRESHOLD, &threshold);
    cJSON *b = cJSON_CreateObject();
    int ok = b && (!has_days || add_int(b, "threshold_days", days)) &&
             (!has_threshold || cJSON_AddNumberToObject(b, "importance_threshold", threshold));
    if (!ok) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_prune", b, 0, cb, ud);
}

static cJSON *id_body(const char *conversation_id)
{
    cJSON *b = cJSON_CreateObject();
    if (b && !add_str(b, "conversation_id", conversation_id)) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

sekha_request *sekha_mcp_memory_get_context(sekha_client *c, const char *conversation_id,
                                            sekha_mcp_data_cb cb, void *ud)
{
    if (c && !sekha__is_uuid(conversation_id))
        return fail(c, invalid("conversation_id must be a UUID"), cb, ud);
    return post_tool(c, "memory_get_context", id_body(conversation_id), 1, cb, ud);
}

sekha_request *sekha_mcp_memory_export(sekha_client *c, const char *conversation_id,
                                       const sekha_params *params, sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_mcp_memory_export",
                                         (const sekha_param[]){SEKHA_PARAM_FORMAT,
                                                               SEKHA_PARAM_INCLUDE_METADATA, 0});
    if (!e && !sekha__is_uuid(conversation_id))
        e = invalid("conversation_id must be a UUID");
    if (e)
        return fail(c, e, cb, ud);
    int64_t meta = 0;
    int has_meta = sekha__params_int(params, SEKHA_PARAM_INCLUDE_METADATA, &meta);
    cJSON *b = id_body(conversation_id);
    if (b && (!add_str(b, "format", sekha__params_text(params, SEKHA_PARAM_FORMAT)) ||
              (has_meta && !cJSON_AddBoolToObject(b, "include_metadata", meta != 0)))) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_export", b, 1, cb, ud);
}

/* ---- sync forms ---- */

SEKHA__SYNC_CB(data_sync_cb, sekha_mcp_data, sekha_mcp_data_copy)

sekha_code sekha_mcp_memory_stats_sync(sekha_client *c, const sekha_params *params,
                                       sekha_mcp_data **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_mcp_memory_stats(c, params, data_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_memory_search_sync(sekha_client *c, const char *query,
                                        const sekha_params *params, sekha_mcp_data **out,
                                        sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_mcp_memory_search(c, query, params, data_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_memory_store_sync(sekha_client *c, const sekha_messages *messages,
                                       const sekha_params *params, sekha_mcp_data **out,
                                       sekha_error **err)
{
    SEKHA__SYNC_RETURN(c,
                       sekha_mcp_memory_store(c, messages, params, data_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_memory_update_sync(sekha_client *c, const char *conversation_id,
                                        const sekha_params *params, sekha_mcp_data **out,
                                        sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_mcp_memory_update(c, conversation_id, params, data_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_memory_prune_sync(sekha_client *c, const sekha_params *params,
                                       sekha_mcp_data **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_mcp_memory_prune(c, params, data_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_memory_get_context_sync(sekha_client *c, const char *conversation_id,
                                             sekha_mcp_data **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_mcp_memory_get_context(c, conversation_id, data_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_memory_export_sync(sekha_client *c, const char *conversation_id,
                                        const sekha_params *params, sekha_mcp_data **out,
                                        sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_mcp_memory_export(c, conversation_id, params, data_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_mcp_data_free, err);
}
