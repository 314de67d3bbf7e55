/* The legacy HTTP+SSE transport (MCP 2024-11-05): one long GET on the SSE URL whose first
 * event ("endpoint") names where to POST messages; every answer, notification and server
 * request then arrives on that stream ("message" events) while the POSTs get 202. The
 * server ties its session to the GET: when the stream ends the session is gone, the calls
 * waiting on it fail, and the next call connects and initializes anew.
 *
 * A session made with sekha_mcp_session_new_http() comes here too when its URL turns out
 * to be a legacy one (transport discovery, see try_legacy in session.c and
 * mcp_sse_probe below). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp/mcp_internal.h"

typedef struct sse_t {
    sekha_request *stream;
    char *endpoint;         /* absolute POST URL, NULL until the server named it */
    /* Transport discovery: while a session made for Streamable HTTP tries this transport,
     * its own transport is kept here, to go back to when the URL is not a legacy one. */
    const mcp_transport_ops *was_ops;
    void *was_t;
    sekha_error *first;     /* why the Streamable HTTP initialize failed */
} sse_t;

static void post_call(mcp_session *s, mcp_call *call);

/* Releases the Streamable HTTP state kept during discovery; the transport ops only know
 * s->t, so it is swapped in for the call. */
static void drop_kept(mcp_session *s, sse_t *t)
{
    if (t->was_t) {
        s->t = t->was_t;
        t->was_ops->destroy(s);
        s->t = t;
    }
    t->was_t = NULL;
    t->was_ops = NULL;
    sekha_error_free(t->first);
    t->first = NULL;
}

/* The URL gave no endpoint event: the session goes back to Streamable HTTP (so the next
 * call tries both again) and the error is the first answer's, saying what else was tried. */
static sekha_error *probe_failed(mcp_session *s, sse_t *t, const sekha_error *why)
{
    sekha_error *e = t->first;
    t->first = NULL;
    if (e != &sekha__nomem_error) {
        sekha_buf b = {0};
        if (e->detail && *e->detail)
            sekha__buf_printf(&b, "%s; ", e->detail);
        if (why && why->layer == SEKHA_LAYER_HTTP)
            sekha__buf_printf(&b, "not a legacy HTTP+SSE endpoint either (GET: HTTP %d)",
                              why->http_status);
        else
            sekha__buf_printf(&b, "not a legacy HTTP+SSE endpoint either (GET: %s)",
                              why ? sekha_error_message(why)
                                  : "the answer was not an SSE stream with an endpoint event");
        if (b.data) {
            free(e->detail);
            e->detail = b.data;
        }
        sekha__error_compose(e, s->init_call ? sekha__req(s->init_call->req)->what : NULL);
    }
    s->ops = t->was_ops;
    s->t = t->was_t;
    free(t->endpoint);
    free(t);
    return e;
}

/* Length of "scheme://host[:port]" in url. */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    p += 3;
    return (size_t)(p - url) + strcspn(p, "/?#");
}

/* Resolves the endpoint event's URI against the SSE URL; only same-origin targets are
 * accepted, so a server cannot make us send the MCP key elsewhere. */
static char *resolve(const char *base, const char *ref)
{
    size_t olen = origin_len(base);
    if (strncasecmp(ref, "http://", 7) == 0 || strncasecmp(ref, "https://", 8) == 0) {
        size_t rlen = origin_len(ref);
        if (rlen != olen || strncasecmp(ref, base, olen) != 0)
            return NULL;
        return strdup(ref);
    }
    size_t keep = olen;
    if (ref[0] != '/') { /* relative to the SSE URL's directory */
        const char *path_end = base + olen + strcspn(base + olen, "?#");
        const char *slash = path_end;
        while (slash > base + olen && slash[-1] != '/')
            slash--;
        keep = (size_t)(slash - base);
    }
    size_t n = keep + strlen(ref) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s%s%s", (int)keep, base, ref[0] == '/' || keep > olen ? "" : "/", ref);
    return out;
}

static int stream_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    mcp_session *s = ud;
    sse_t *t = s->t;
    if (s->freed || s->state >= MCP_CLOSING)
        return SEKHA_EVENT_STOP;
    size_t len = 0;
    const char *data = sekha_sse_event_data(ev, &len);
    if (strcmp(sekha_sse_event_type(ev), "endpoint") == 0) {
        char *url = resolve(s->url, data);
        if (!url) {
            mcp_transport_lost(s, sekha__error_new(SEKHA_E_PROTOCOL, SEKHA_LAYER_SERVICE,
                                                   "the SSE endpoint event names another "
                                                   "origin or is invalid"));
            return SEKHA_EVENT_STOP;
        }
        free(t->endpoint);
        t->endpoint = url;
        if (t->was_t) {
            sekha__log(s->c, SEKHA_LOG_INFO, "MCP: %s is a legacy HTTP+SSE endpoint", s->url);
            drop_kept(s, t);
        }
        for (mcp_call *c = s->calls, *next; c; c = next) {
            next = c->next;
            if (c->state == MCP_SENT && !c->posted)
                post_call(s, c);
        }
    } else if (len > 0) {
        mcp_receive(s, data, len);
    }
    return SEKHA_EVENT_CONTINUE;
}

static void stream_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    (void)resp;
    mcp_session *s = ud;
    sse_t *t = s->t;
    if (t->stream == req)
        t->stream = NULL;
    else
        return; /* an older stream, replaced already */
    free(t->endpoint);
    t->endpoint = NULL;
    if (s->freed || s->state >= MCP_CLOSING)
        return;
    sekha_error *e;
    if (t->was_t) {
        e = probe_failed(s, t, err);
    } else if (err) {
        e = sekha_error_copy(err);
        if (!e)
            e = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
    } else {
        e = sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                             "the server ended the SSE stream (and with it the session)");
    }
    mcp_transport_lost(s, e);
}

static void connect_stream(mcp_session *s)
{
    sse_t *t = s->t;
    if (t->stream)
        return;
    mcp_http_req q = {.method = "GET", .what = "mcp GET (SSE stream)"};
    sekha_request *r = mcp_http_start(s, &q, stream_event, stream_done, s);
    if (!r) {
        mcp_transport_lost(s, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return;
    }
    mcp_track_session_req(r, s);
    t->stream = r;
}

static void post_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                      void *ud)
{
    (void)resp;
    mcp_call *call = ud;
    if (call->http == req)
        call->http = NULL;
    if (call->state != MCP_SENT || !err)
        return; /* the answer comes on the stream */
    sekha_error *e = sekha_error_copy(err);
    if (call->sent_with_session && err->layer == SEKHA_LAYER_HTTP && err->http_status == 404)
        mcp_session_gone(call->s, call, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
    else
        mcp_call_end(call, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
}

static void post_call(mcp_session *s, mcp_call *call)
{
    sse_t *t = s->t;
    mcp_http_req q = {.method = "POST", .url = t->endpoint, .body = call->wire,
                      .parent = call->req, .what = sekha__req(call->req)->what};
    mcp_http_start_for(call, &q, NULL, post_done);
    call->posted = 1;
    call->sent_with_session = 1; /* the endpoint URL carries the server's session */
}

static void sse_send_call(mcp_session *s, mcp_call *call)
{
    sse_t *t = s->t;
    call->posted = 0;
    if (t->endpoint)
        post_call(s, call);
    else
        connect_stream(s); /* posted when the endpoint event arrives */
}

static void sse_send_oneway(mcp_session *s, char *json, mcp_sent_fn done, void *ctx)
{
    sse_t *t = s->t;
    if (!t->endpoint) {
        free(json);
        if (done) {
            sekha_error *e = sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                                              "the SSE stream is not connected");
            done(s, ctx, e);
            sekha_error_free(e);
        }
        return;
    }
    mcp_http_post_oneway(s, t->endpoint, 0, json, done, ctx);
}

static void sse_forget_call(mcp_session *s, mcp_call *call)
{
    (void)s;
    if (call->http)
        sekha_request_cancel(call->http);
}

static void drop_stream(mcp_session *s)
{
    sse_t *t = s->t;
    sekha_request *r = t->stream;
    t->stream = NULL; /* its final callback then knows it was replaced */
    free(t->endpoint);
    t->endpoint = NULL;
    if (r)
        sekha_request_cancel(r);
}

static void sse_close(mcp_session *s, mcp_call *closer)
{
    drop_stream(s); /* the server ends its session with the stream */
    mcp_call_end(closer, NULL);
}

static void sse_destroy(mcp_session *s)
{
    sse_t *t = s->t;
    if (t) {
        drop_kept(s, t);
        free(t->endpoint);
    }
    free(t);
}

const mcp_transport_ops mcp_sse_ops = {
    .name = "sse",
    .send_call = sse_send_call,
    .send_oneway = sse_send_oneway,
    .forget_call = sse_forget_call,
    .reset = drop_stream,
    .close = sse_close,
    .abort = drop_stream,
    .destroy = sse_destroy,
};

int mcp_sse_probe(mcp_session *s, const sekha_error *first)
{
    sse_t *t = calloc(1, sizeof *t);
    if (!t || !(t->first = sekha_error_copy(first))) {
        free(t);
        return -1;
    }
    t->was_ops = s->ops;
    t->was_t = s->t;
    s->ops = &mcp_sse_ops;
    s->t = t;
    return 0;
}

sekha_mcp_session *sekha_mcp_session_new_sse(sekha_client *c, const char *url, sekha_error **err)
{
    if (!url) {
        if (err)
            *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "the SSE URL is required");
        return NULL;
    }
    mcp_session *s = mcp_http_session_new(c, &mcp_sse_ops, url, err);
    if (!s)
        return NULL;
    if (!(s->t = calloc(1, sizeof(sse_t)))) {
        mcp_session_unref(s);
        if (err)
            *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    return s;
}
