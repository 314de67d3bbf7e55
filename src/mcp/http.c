/* The Streamable HTTP transport (MCP 2025-03-26 and later): every message is a POST to
 * the endpoint with "Accept: application/json, text/event-stream"; a request is answered
 * with JSON or with an SSE stream that may carry notifications and server requests before
 * the response. Mcp-Session-Id comes with the initialize answer and goes with everything
 * after, as does MCP-Protocol-Version. A stream that ends (or breaks) before its response
 * is resumed with GET and Last-Event-ID after the server's retry: delay. The optional
 * standalone GET stream carries messages outside any call; DELETE ends the session. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp/oauth.h"

#define ACCEPT_BOTH "application/json, text/event-stream"
#define LISTEN_MAX_FAILURES 5
#define LISTEN_MAX_DELAY_MS 30000

typedef struct http_t {
    mcp_session *s;
    sekha_request *listen_req;  /* the standalone GET stream */
    mcp_stream listen;
    mcp_timer listen_timer;
    int listen_failures;        /* reconnects in a row that brought nothing */
    int listen_off;             /* the server has no standalone stream (4xx) */
} http_t;

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* ---- helpers shared with the legacy SSE transport ---- */

void mcp_stream_clear(mcp_stream *st)
{
    free(st->last_id);
    st->last_id = NULL;
    st->retry_ms = -1;
    st->idle_resumes = 0;
}

int mcp_stream_note(mcp_stream *st, const sekha_sse_event *ev)
{
    const char *id = sekha_sse_event_id(ev);
    if (*id && (!st->last_id || strcmp(st->last_id, id) != 0)) {
        char *copy = strdup(id);
        if (copy) {
            free(st->last_id);
            st->last_id = copy;
            st->idle_resumes = 0; /* the stream made progress */
        }
    }
    if (sekha_sse_event_retry_ms(ev) >= 0)
        st->retry_ms = sekha_sse_event_retry_ms(ev);
    size_t len = 0;
    sekha_sse_event_data(ev, &len);
    return len > 0; /* priming events carry an id and empty data */
}

/* Event ids go back verbatim in a header line: they must fit the line buffer and hold
 * nothing a header cannot carry or a server would trim (controls, edge blanks). The SSE
 * parser already drops ids with NUL, and CR and LF end its lines. */
sekha_error *mcp_event_id_error(const char *id)
{
    size_t n = strlen(id);
    if (n > MCP_MAX_EVENT_ID)
        return sekha__error_new(SEKHA_E_PROTOCOL, SEKHA_LAYER_SERVICE,
                                "cannot resume the stream: the server's event id is %zu bytes, "
                                "over the %d-byte limit of Last-Event-ID", n, MCP_MAX_EVENT_ID);
    int bad = n > 0 && (id[0] == ' ' || id[0] == '\t' || id[n - 1] == ' ' || id[n - 1] == '\t');
    for (const unsigned char *p = (const unsigned char *)id; *p && !bad; p++)
        bad = (*p < 0x20 && *p != '\t') || *p == 0x7f;
    if (bad)
        return sekha__error_new(SEKHA_E_PROTOCOL, SEKHA_LAYER_SERVICE,
                                "cannot resume the stream: the server's event id holds control "
                                "characters or edge blanks, which Last-Event-ID cannot carry");
    return NULL;
}

int mcp_headers_build(const mcp_session *s, const char *last_event_id, mcp_headers *h)
{
    size_t n = 0;
    if (s->session_id) {
        snprintf(h->sid, sizeof h->sid, "Mcp-Session-Id: %s", s->session_id);
        h->lines[n++] = h->sid;
    }
    if (s->version) {
        snprintf(h->version, sizeof h->version, "MCP-Protocol-Version: %s", s->version);
        h->lines[n++] = h->version;
    }
    if (last_event_id) {
        int len = snprintf(h->last_id, sizeof h->last_id, "Last-Event-ID: %s", last_event_id);
        if (len < 0 || (size_t)len >= sizeof h->last_id)
            return -1;
        h->lines[n++] = h->last_id;
    }
    h->lines[n] = NULL;
    return 0;
}

sekha_request *mcp_http_start(mcp_session *s, const mcp_http_req *q, sekha_event_cb on_event,
                              sekha_response_cb done, void *ud)
{
    mcp_headers h;
    if (mcp_headers_build(s, q->last_event_id, &h) != 0)
        return NULL;
    int get = strcmp(q->method, "GET") == 0, post = strcmp(q->method, "POST") == 0;
    unsigned flags = s->http_flags;
    if (s->auth) /* the OAuth token replaces the MCP key, which never goes to such a server */
        flags |= SEKHA_HTTP_NO_AUTH;
    if (get)
        flags |= SEKHA_HTTP_STREAM | SEKHA_HTTP_IDEMPOTENT | SEKHA_HTTP_NO_DEADLINE; /* open-ended */
    else if (post && q->stream)
        flags |= SEKHA_HTTP_STREAM;
    else if (!post)
        flags |= SEKHA_HTTP_NO_RETRY; /* DELETE: a failed one is only reported */
    sekha__spec spec = {
        .service = SEKHA_SERVICE_MCP,
        .method = q->method,
        .url = q->url ? q->url : s->url,
        .content_type = post ? "application/json" : NULL,
        .accept = get ? "text/event-stream" : post ? ACCEPT_BOTH : NULL,
        .body = q->body,
        .body_len = q->body ? strlen(q->body) : 0,
        .headers = q->session_headers ? h.lines : NULL,
        .flags = flags,
        .parent = q->parent,
        .what = q->what,
        .auth_line = oauth_line(s),
    };
    return mcp_start_http(s, &spec, on_event, done, ud);
}

void mcp_http_start_for(mcp_call *call, const mcp_http_req *q, sekha_event_cb on_event,
                        sekha_response_cb done)
{
    sekha_request *r = mcp_http_start(call->s, q, on_event, done, call);
    if (!r) {
        mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return;
    }
    mcp_track_call_req(r, call);
    call->http = r;
}

/* Takes the error a core callback lends when it is the request's own, so it need not be
 * copied. */
static sekha_error *take_error(sekha_request *req, const sekha_error *err)
{
    if (err == sekha__req(req)->err) {
        sekha__req(req)->err = NULL;
        return (sekha_error *)err;
    }
    sekha_error *e = sekha_error_copy(err);
    return e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
}

typedef struct oneway {
    mcp_session *s;
    mcp_sent_fn done;
    void *ctx;
} oneway;

static void oneway_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    (void)req;
    (void)resp;
    oneway *o = ud;
    if (o->done)
        o->done(o->s, o->ctx, err);
    else if (err)
        sekha__log(o->s->c, SEKHA_LOG_WARN, "MCP: a message to the server failed: %s",
                   sekha_error_message(err));
    free(o);
}

void mcp_http_post_oneway(mcp_session *s, const char *url, int with_session, char *json,
                          mcp_sent_fn done, void *ctx)
{
    oneway *o = calloc(1, sizeof *o);
    mcp_http_req q = {.method = "POST", .url = url, .body = json, .session_headers = with_session,
                      .what = "mcp POST (notification or answer)"};
    sekha_request *r = NULL;
    if (o) {
        *o = (oneway){s, done, ctx};
        r = mcp_http_start(s, &q, NULL, oneway_done, o);
    }
    free(json);
    if (!r) {
        free(o);
        if (done) {
            sekha_error *e = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
            done(s, ctx, e);
            sekha_error_free(e);
        }
        return;
    }
    mcp_track_session_req(r, s);
}

/* ---- a call's POST and its resumption ---- */

static void stream_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud);
static int stream_event(sekha_request *req, const sekha_sse_event *ev, void *ud);

static void resume_fire(mcp_timer *t)
{
    mcp_call *call = CONTAINER(t, mcp_call, timer);
    if (call->state != MCP_SENT)
        return;
    mcp_http_req q = {.method = "GET", .session_headers = 1, .last_event_id = call->stream.last_id,
                      .parent = call->req, .what = sekha__req(call->req)->what};
    mcp_http_start_for(call, &q, stream_event, stream_done);
}

static void schedule_resume(mcp_call *call)
{
    sekha_error *bad = mcp_event_id_error(call->stream.last_id);
    if (bad) {
        mcp_call_end(call, bad);
        return;
    }
    if (call->stream.idle_resumes++ >= MCP_MAX_RESUMES) {
        mcp_call_end(call, sekha__error_new(SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT,
                                            "gave up resuming the stream after %d attempts "
                                            "without new events", MCP_MAX_RESUMES));
        return;
    }
    long delay = call->stream.retry_ms >= 0 ? call->stream.retry_ms : MCP_DEFAULT_RETRY_MS;
    call->timer.fn = resume_fire;
    mcp_timer_arm(call->s, &call->timer, sekha__now_ms() + delay);
}

/* Whether a message text is the JSON-RPC response to request id. */
static int answers(const char *data, size_t len, long id)
{
    cJSON *m = cJSON_ParseWithLength(data, len);
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "id");
    int yes = cJSON_IsNumber(mid) && mid->valuedouble == (double)id &&
              !cJSON_GetObjectItemCaseSensitive(m, "method");
    cJSON_Delete(m);
    return yes;
}

static int stream_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    mcp_call *call = ud;
    if (call->state == MCP_ENDED)
        return SEKHA_EVENT_STOP;
    if (!mcp_stream_note(&call->stream, ev))
        return SEKHA_EVENT_CONTINUE;
    size_t len = 0;
    const char *data = sekha_sse_event_data(ev, &len);
    if (call->kind == MCP_CALL_INIT && sekha__req(req)->method[0] == 'P') {
        /* The session id is a header of this answer, readable once it is complete: hold
         * the initialize answer until then, so nothing is sent without the id. */
        char **held = realloc(call->held, (call->nheld + 1) * sizeof *held);
        char *copy = held ? strdup(data) : NULL;
        if (held)
            call->held = held;
        if (!copy) {
            mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
            return SEKHA_EVENT_STOP;
        }
        call->held[call->nheld++] = copy;
        /* Nothing may follow the answer: end the stream so its headers complete even if
         * the server keeps it open. */
        return answers(data, len, call->id) ? SEKHA_EVENT_STOP : SEKHA_EVENT_CONTINUE;
    }
    mcp_receive(call->s, data, len);
    return SEKHA_EVENT_CONTINUE;
}

/* Session ids are visible ASCII (spec); anything else could forge header lines. */
static int session_id_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 400)
        return 0;
    for (; *v; v++)
        if ((unsigned char)*v < 0x21 || (unsigned char)*v > 0x7e)
            return 0;
    return 1;
}

static void release_held(mcp_call *call, int dispatch)
{
    size_t n = call->nheld;
    char **held = call->held;
    call->held = NULL;
    call->nheld = 0;
    for (size_t i = 0; i < n; i++) {
        if (dispatch)
            mcp_receive(call->s, held[i], strlen(held[i]));
        free(held[i]);
    }
    free(held);
}

/* The server forgot the session: a 404 to a request that carried its id, or the 400 that
 * some servers (the TypeScript SDK's examples) answer instead, naming the session. */
static int session_gone(const mcp_call *call, const sekha_error *err)
{
    if (!call->sent_with_session || err->layer != SEKHA_LAYER_HTTP)
        return 0;
    if (err->http_status == 404)
        return 1;
    return err->http_status == 400 && err->service_message &&
           strcasestr(err->service_message, "session") != NULL;
}

static int resumable(const sekha_error *err)
{
    return err->layer == SEKHA_LAYER_TRANSPORT &&
           (err->code == SEKHA_E_STREAM_CUT || err->code == SEKHA_E_CONNECTION_LOST ||
            err->code == SEKHA_E_TIMEOUT);
}

static void stream_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    mcp_call *call = ud;
    mcp_session *s = call->s;
    int was_post = sekha__req(req)->method[0] == 'P';
    if (call->http == req)
        call->http = NULL;
    if (call->state == MCP_ENDED) {
        release_held(call, 0);
        return;
    }
    if (was_post && call->kind == MCP_CALL_INIT && resp) {
        const char *sid = sekha_response_header(resp, "mcp-session-id");
        if (sid && !session_id_ok(sid)) {
            release_held(call, 0);
            mcp_call_end(call, sekha__error_new(SEKHA_E_PROTOCOL, SEKHA_LAYER_SERVICE,
                                                "the server sent an invalid Mcp-Session-Id"));
            return;
        }
        free(s->session_id);
        s->session_id = NULL;
        if (sid && !(s->session_id = strdup(sid))) {
            release_held(call, 0);
            mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
            return;
        }
    }
    mcp_call_ref(call);
    release_held(call, 1);
    if (call->state != MCP_SENT) {
        mcp_call_unref(call);
        return; /* answered */
    }
    if (err) {
        if (was_post && s->auth && oauth_challenged(s, call, err, resp))
            ; /* re-sent once authorized, or ended by the flow */
        else if (was_post && session_gone(call, err))
            mcp_session_gone(s, call, take_error(req, err));
        else if (resumable(err) && call->stream.last_id)
            schedule_resume(call);
        else
            mcp_call_end(call, take_error(req, err));
        mcp_call_unref(call);
        return;
    }
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    if (len > 0 && !mcp_receive(s, body, len) && call->state == MCP_SENT) {
        sekha_error *e = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                          "the answer (HTTP %d) is not UTF-8 JSON",
                                          sekha_response_status(resp));
        if (e != &sekha__nomem_error)
            e->attempts = sekha_request_attempts(req);
        mcp_call_end(call, e);
        mcp_call_unref(call);
        return;
    }
    if (call->state == MCP_SENT) {
        if (call->stream.last_id)
            schedule_resume(call);
        else
            mcp_call_end(call, sekha__error_new(SEKHA_E_PROTOCOL, SEKHA_LAYER_SERVICE,
                                                "the answer (HTTP %d) ended without the "
                                                "JSON-RPC response and gave no event id to "
                                                "resume from",
                                                sekha_response_status(resp)));
    }
    mcp_call_unref(call);
}

static void http_send_call(mcp_session *s, mcp_call *call)
{
    mcp_stream_clear(&call->stream);
    call->auth_gen = s->auth ? s->auth->gen : 0;
    mcp_http_req q = {.method = "POST", .body = call->wire, .session_headers = 1, .stream = 1,
                      .parent = call->req, .what = sekha__req(call->req)->what};
    mcp_http_start_for(call, &q, stream_event, stream_done);
}

static void http_send_oneway(mcp_session *s, char *json, mcp_sent_fn done, void *ctx)
{
    mcp_http_post_oneway(s, s->url, 1, json, done, ctx);
}

static void http_forget_call(mcp_session *s, mcp_call *call)
{
    (void)s;
    if (call->http)
        sekha_request_cancel(call->http);
}

/* ---- the standalone GET stream ---- */

static void listen_start(mcp_session *s);

static int listen_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    mcp_session *s = ud;
    http_t *t = s->t;
    if (s->freed || s->state != MCP_READY)
        return SEKHA_EVENT_STOP;
    t->listen_failures = 0;
    if (mcp_stream_note(&t->listen, ev)) {
        size_t len = 0;
        const char *data = sekha_sse_event_data(ev, &len);
        mcp_receive(s, data, len);
    }
    return SEKHA_EVENT_CONTINUE;
}

static void listen_fire(mcp_timer *timer)
{
    http_t *t = CONTAINER(timer, http_t, listen_timer);
    listen_start(t->s);
}

static void listen_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    (void)resp;
    mcp_session *s = ud;
    http_t *t = s->t;
    if (t->listen_req == req)
        t->listen_req = NULL;
    if (s->freed || s->state != MCP_READY || sekha_error_code(err) == SEKHA_E_CANCELLED ||
        sekha_error_code(err) == SEKHA_E_CLOSED)
        return;
    if (err && err->layer == SEKHA_LAYER_HTTP) {
        /* 405 is how servers say "no standalone stream"; other 4xx/5xx: not worth retrying. */
        t->listen_off = 1;
        sekha__log(s->c, SEKHA_LOG_INFO, "MCP: no standalone stream (HTTP %d)", err->http_status);
        return;
    }
    sekha_error *bad = t->listen.last_id ? mcp_event_id_error(t->listen.last_id) : NULL;
    if (bad) {
        t->listen_off = 1;
        sekha__log(s->c, SEKHA_LOG_WARN, "MCP: gave up on the standalone stream: %s",
                   sekha_error_message(bad));
        sekha_error_free(bad);
        return;
    }
    long delay = t->listen.retry_ms >= 0 ? t->listen.retry_ms : MCP_DEFAULT_RETRY_MS;
    if (err) {
        if (++t->listen_failures > LISTEN_MAX_FAILURES) {
            t->listen_off = 1;
            sekha__log(s->c, SEKHA_LOG_WARN, "MCP: gave up on the standalone stream: %s",
                       sekha_error_message(err));
            return;
        }
        for (int i = 1; i < t->listen_failures && delay < LISTEN_MAX_DELAY_MS; i++)
            delay *= 2;
        if (delay > LISTEN_MAX_DELAY_MS)
            delay = LISTEN_MAX_DELAY_MS;
    }
    t->listen_timer.fn = listen_fire;
    mcp_timer_arm(s, &t->listen_timer, sekha__now_ms() + delay);
}

static void listen_start(mcp_session *s)
{
    http_t *t = s->t;
    if (!s->listen || t->listen_off || t->listen_req || s->freed || s->state != MCP_READY)
        return;
    mcp_http_req q = {.method = "GET", .session_headers = 1, .last_event_id = t->listen.last_id,
                      .what = "mcp GET (standalone stream)"};
    sekha_request *r = mcp_http_start(s, &q, listen_event, listen_done, s);
    if (!r)
        return;
    mcp_track_session_req(r, s);
    t->listen_req = r;
}

static void listen_stop(mcp_session *s)
{
    http_t *t = s->t;
    mcp_timer_disarm(s, &t->listen_timer);
    if (t->listen_req)
        sekha_request_cancel(t->listen_req);
}

static void http_ready(mcp_session *s)
{
    listen_start(s);
}

static void http_reset(mcp_session *s)
{
    http_t *t = s->t;
    listen_stop(s);
    mcp_stream_clear(&t->listen);
    t->listen_failures = 0;
}

/* ---- closing ---- */

static void delete_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    (void)resp;
    mcp_call *closer = ud;
    if (closer->http == req)
        closer->http = NULL;
    if (closer->state == MCP_ENDED)
        return;
    /* Any HTTP answer ends the session as far as we are concerned (405: the server does
     * not let clients end sessions); a transport failure is worth reporting. */
    mcp_call_end(closer, err && err->layer != SEKHA_LAYER_HTTP ? take_error(req, err) : NULL);
}

static void http_close(mcp_session *s, mcp_call *closer)
{
    listen_stop(s);
    if (!s->session_id) {
        mcp_call_end(closer, NULL);
        return;
    }
    mcp_http_req q = {.method = "DELETE", .session_headers = 1, .parent = closer->req,
                      .what = "mcp DELETE (end of session)"};
    mcp_http_start_for(closer, &q, NULL, delete_done);
}

static void http_abort(mcp_session *s)
{
    listen_stop(s);
}

static void http_destroy(mcp_session *s)
{
    http_t *t = s->t;
    if (t)
        mcp_stream_clear(&t->listen);
    free(t);
}

const mcp_transport_ops mcp_http_ops = {
    .name = "streamable-http",
    .send_call = http_send_call,
    .send_oneway = http_send_oneway,
    .forget_call = http_forget_call,
    .ready = http_ready,
    .reset = http_reset,
    .close = http_close,
    .abort = http_abort,
    .destroy = http_destroy,
};

static int url_ok(const char *url)
{
    char why[128];
    return url && sekha__url_check_base(url, why, sizeof why) == 0;
}

/* Shared by both HTTP transports' constructors. */
mcp_session *mcp_http_session_new(sekha_client *c, const mcp_transport_ops *ops, const char *url,
                                  sekha_error **err)
{
    char *fallback = NULL;
    if (!url && c) {
        size_t n = strlen(c->base_url[SEKHA_SERVICE_MCP]) + 5;
        fallback = malloc(n);
        if (fallback)
            snprintf(fallback, n, "%s/mcp", c->base_url[SEKHA_SERVICE_MCP]);
        url = fallback;
    }
    if (c && !url_ok(url)) {
        free(fallback);
        if (err)
            *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "the MCP URL must be http(s)://host[:port][/path] without "
                                    "query, spaces or credentials");
        return NULL;
    }
    mcp_session *s = mcp_session_alloc(c, ops, url, err);
    free(fallback);
    if (s && ops == &mcp_http_ops) {
        http_t *t = calloc(1, sizeof *t);
        if (!t) {
            mcp_session_unref(s);
            if (err)
                *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
            return NULL;
        }
        t->s = s;
        t->listen.retry_ms = -1;
        s->t = t;
    }
    return s;
}

sekha_mcp_session *sekha_mcp_session_new_http(sekha_client *c, const char *url, sekha_error **err)
{
    return mcp_http_session_new(c, &mcp_http_ops, url, err);
}
