/* Streamed chat completions: SSE chunks decoded on the hot path, text assembled as it
 * arrives, one final callback with the whole (or partial) completion.
 *
 * Per event the work is: one validating scan of the chunk (bridge/chunk_scan.c) that
 * unescapes the delta straight onto the end of the assembled text, and the user's chunk
 * callback, which is lent a view whose content points at that tail. Nothing is
 * allocated per event; role, finish reason, model and id are copied only when they
 * appear (normally once per stream). Chunks carrying tool-call fragments take the full
 * parser (a cJSON tree each), which also checks their shape; the fragments are merged into
 * the completion's tool calls (bridge/tool_calls.c).
 *
 * The text and the tool calls together are bounded by the client's max_response_bytes,
 * as a buffered body is: a stream that never ends cannot take all memory.
 *
 * Not built on the typed-call helper (src/core/call.c): a stream needs the core's event
 * callback, and its final callback gets a result on failure too. */
#include "bridge/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct bridge_stream {
    sekha_chunk_cb on_chunk;  /* read from the params once, when the call is made */
    void *chunk_ud;
    sekha_completion_cb cb;
    void *ud;
    sekha_completion *res;  /* being assembled; lent to the final callback, freed after */
    sekha_error *fail;      /* a decode or in-band error that ended the stream */
    sekha__chunk_tpl tpl;   /* the layout of the last chunk, for the fast path */
    size_t limit;           /* max_response_bytes: the most text a stream may assemble */
    int stopped;            /* the chunk callback returned SEKHA_EVENT_STOP */
} bridge_stream;

static void stream_free(void *p)
{
    bridge_stream *st = p;
    sekha_completion_free(st->res);
    sekha_error_free(st->fail);
    sekha__chunk_tpl_free(&st->tpl);
    free(st);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "[DONE]", allowing the surrounding whitespace the reference SDKs strip. */
static int is_done_marker(const char *d, size_t n)
{
    while (n && is_space(*d)) {
        d++;
        n--;
    }
    while (n && is_space(d[n - 1]))
        n--;
    return n == 6 && memcmp(d, "[DONE]", 6) == 0;
}

static int is_blank(const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(d[i]))
            return 0;
    return 1;
}

static sekha_error *chunk_error(sekha__chunk_rc rc, const sekha__chunk_fields *f,
                                const char *data, size_t len, size_t index, const char *what)
{
    switch (rc) {
    case SEKHA__CHUNK_ERROR:
        return sekha__bridge_service_error(data, len, what);
    case SEKHA__CHUNK_BAD:
        return sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "chunk %zu: %s",
                                index, f->why);
    default:
        return sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "chunk %zu is not valid JSON in UTF-8 (broken near byte %zu "
                                "of %zu)", index, f->error_at, len);
    }
}

/* Records what the chunk says beyond its text. Returns 0, -1 on no memory. */
static int absorb(sekha_completion *res, const sekha__chunk_fields *f)
{
    if ((f->role.p && sekha__set_span(&res->role, f->role)) ||
        (f->finish.p && sekha__set_span(&res->finish, f->finish)) ||
        (!res->model && sekha__set_span(&res->model, f->model)) ||
        (!res->id && sekha__set_span(&res->id, f->id)))
        return -1;
    if (f->has_usage) {
        res->has_usage = 1;
        memcpy(res->usage, f->usage, sizeof res->usage);
    }
    return f->tool_calls ? sekha__completion_add_tool_calls(res, f->tool_calls) : 0;
}

/* The chunk that crossed the limit is taken back, so the text and tool calls handed over
 * are whole chunks (what the chunk callback saw) and never longer than the limit. */
static sekha_error *over_limit(sekha_completion *res, size_t mark, size_t limit)
{
    res->text.len = mark;
    if (res->text.data) /* a stream that only calls tools may have no text at all */
        res->text.data[mark] = '\0';
    return sekha__error_new(SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT,
                            "the streamed completion exceeded the response limit of %zu bytes "
                            "(max_response_bytes) after %zu chunks; what arrived before is kept",
                            limit, res->chunks);
}

static int stream_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    bridge_stream *st = ud;
    sekha_completion *res = st->res;
    if (res->complete)
        return SEKHA_EVENT_CONTINUE; /* anything after [DONE] is not part of the reply */
    const char *d = ev->data;
    size_t n = ev->data_len;
    if (ev->type[0] != 'm' || strcmp(ev->type, "message") != 0) {
        if (strcmp(ev->type, "error") != 0)
            return SEKHA_EVENT_CONTINUE;
        st->fail = sekha__bridge_service_error(d, n, sekha__req(req)->what);
        return SEKHA_EVENT_STOP;
    }
    if (n == 0 || is_blank(d, n))
        return SEKHA_EVENT_CONTINUE;
    if (d[0] == '[' || is_space(d[0])) {
        if (is_done_marker(d, n)) {
            res->complete = 1;
            return SEKHA_EVENT_CONTINUE;
        }
    }
    sekha__chunk_fields f;
    cJSON *root;
    size_t mark = res->text.len;
    sekha__chunk_rc rc = sekha__chunk_decode_tpl(&st->tpl, d, n, &res->text, &f, &root);
    if (rc == SEKHA__CHUNK_OK &&
        res->text.len + res->tool_bytes +
                (f.tool_calls ? sekha__tool_calls_size(f.tool_calls) : 0) > st->limit)
        st->fail = over_limit(res, mark, st->limit);
    else if (rc == SEKHA__CHUNK_OK && absorb(res, &f) != 0)
        st->fail = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "stream chunk");
    else if (rc != SEKHA__CHUNK_OK)
        st->fail = chunk_error(rc, &f, d, n, res->chunks, sekha__req(req)->what);
    cJSON_Delete(root);
    if (st->fail)
        return SEKHA_EVENT_STOP;
    sekha_chunk ch = {
        .content = f.has_content ? res->text.data + f.content_off : "",
        .content_len = f.has_content ? f.content_len : 0,
        .role = f.role.p ? res->role : NULL,
        .finish = f.finish.p ? res->finish : NULL,
        .data = d,
        .data_len = n,
        .index = res->chunks++,
    };
    if (!st->on_chunk)
        return SEKHA_EVENT_CONTINUE;
    int action = st->on_chunk(req, &ch, st->chunk_ud);
    if (action == SEKHA_EVENT_STOP)
        st->stopped = 1;
    return action == SEKHA_EVENT_PAUSE || action == SEKHA_EVENT_STOP ? action
                                                                      : SEKHA_EVENT_CONTINUE;
}

/* A server that ignored "stream": its one JSON completion becomes one chunk. */
static sekha_error *deliver_whole(sekha_request *req, bridge_stream *st,
                                  const sekha_response *resp)
{
    size_t len;
    const char *body = sekha_response_body(resp, &len);
    sekha_error *e = sekha__completion_from_body(st->res, body, len, sekha__req(req)->what);
    if (e)
        return e;
    st->res->chunks = 1;
    if (st->on_chunk) {
        sekha_chunk ch = {
            .content = sekha__buf_str(&st->res->text),
            .content_len = st->res->text.len,
            .role = st->res->role,
            .finish = st->res->finish,
            .data = body,
            .data_len = len,
            .synthetic = 1,
        };
        (void)st->on_chunk(req, &ch, st->chunk_ud); /* complete already: nothing to pause or stop */
    }
    return NULL;
}

static void stream_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    bridge_stream *st = ud;
    sekha_completion *res = st->res;
    sekha_error *own = NULL;
    res->streamed = sekha__req(req)->is_sse;
    /* [DONE] made the reply whole: a connection lost or stalled after it changes nothing. */
    if (err && res->complete && sekha_error_layer(err) == SEKHA_LAYER_TRANSPORT)
        err = NULL;
    if (!err) {
        if (st->fail) {
            own = st->fail;
            st->fail = NULL;
        } else if (sekha__req(req)->is_sse) {
            if (!res->complete && !st->stopped)
                own = sekha__error_new(SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT,
                                       "the stream ended before data: [DONE] (%zu chunks, %zu "
                                       "bytes of text received)", res->chunks, res->text.len);
        } else {
            own = deliver_whole(req, st, resp);
        }
        if (own && own != &sekha__nomem_error) {
            own->attempts = sekha__req(req)->attempts;
            sekha__error_compose(own, sekha__req(req)->what);
        }
    }
    if (st->cb)
        st->cb(req, err ? err : own, res, st->ud);
    sekha_error_free(own);
}

sekha_request *sekha_bridge_stream_complete(sekha_client *c, const sekha_messages *msgs,
                                            const sekha_params *params, sekha_completion_cb cb,
                                            void *ud)
{
    if (!c)
        return NULL;
    bridge_stream *st = calloc(1, sizeof *st);
    if (!st || !(st->res = sekha__completion_new())) {
        free(st);
        return NULL;
    }
    /* Everything the chunks need is read here, once: nothing per chunk. */
    st->on_chunk = (sekha_chunk_cb)sekha__params_fn(params, SEKHA_PARAM_ON_CHUNK,
                                                    &st->chunk_ud);
    st->cb = cb;
    st->ud = ud;
    st->limit = c->opts->max_response_bytes;
    sekha__spec spec;
    /* the client's scratch buffer: the core copies the body, so nothing is allocated */
    sekha_error *e = sekha__bridge_chat_spec(&spec, sekha__client_scratch(c), msgs, params, 1);
    sekha_request *req = e ? sekha__start_failed(c, NULL, e, stream_done, st)
                           : sekha__start(c, &spec, stream_event, stream_done, st);
    if (!req) {
        stream_free(st);
        return NULL;
    }
    sekha__req(req)->sub = st;
    sekha__req(req)->sub_free = stream_free;
    return req;
}

SEKHA__SYNC_CB(stream_sync_cb, sekha_completion, sekha_completion_copy)

sekha_code sekha_bridge_stream_complete_sync(sekha_client *c, const sekha_messages *msgs,
                                             const sekha_params *params,
                                             sekha_completion **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_bridge_stream_complete(c, msgs, params, stream_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_completion_free, err);
}

/* ---- chunk accessors ---- */

sekha_code sekha_params_set_on_chunk(sekha_params *p, sekha_chunk_cb fn, void *userdata)
{
    return sekha__params_set_fn(p, SEKHA_PARAM_ON_CHUNK, (sekha__fn)fn, userdata);
}

const char *sekha_chunk_content(const sekha_chunk *ch, size_t *len)
{
    if (len)
        *len = ch ? ch->content_len : 0;
    return ch ? ch->content : "";
}

const char *sekha_chunk_role(const sekha_chunk *ch) { return ch ? ch->role : NULL; }
const char *sekha_chunk_finish_reason(const sekha_chunk *ch) { return ch ? ch->finish : NULL; }
size_t sekha_chunk_index(const sekha_chunk *ch) { return ch ? ch->index : 0; }
int sekha_chunk_synthetic(const sekha_chunk *ch) { return ch ? ch->synthetic : 0; }

const char *sekha_chunk_data(const sekha_chunk *ch, size_t *len)
{
    if (len)
        *len = ch ? ch->data_len : 0;
    return ch ? ch->data : "";
}
