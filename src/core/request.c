/* The request state machine: queued -> rate-wait -> running -> backoff -> ... -> done.
 * Every transition happens from the loop (timers or completed transfers), never from
 * inside the call that caused it, so callbacks never re-enter their caller. */
#include "core/internal.h"
#include "core/keepalive.h"
#include "core/retry.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_HEADER_BYTES (256 * 1024)

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};

/* The canonical (static) spelling of a supported method, NULL for others. */
static const char *method_static(const char *m)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (m && strcmp(m, methods[i]) == 0)
            return methods[i];
    return NULL;
}

static int path_ok(const char *p)
{
    if (!p || p[0] != '/')
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

static int absolute_url_ok(const char *u)
{
    if (strncasecmp(u, "http://", 7) != 0 && strncasecmp(u, "https://", 8) != 0)
        return 0;
    for (; *u; u++)
        if ((unsigned char)*u <= 0x20 || (unsigned char)*u >= 0x7f)
            return 0;
    return 1;
}

/* Adds "<name><value>" as one NUL-terminated line; the nodes come in link_headers. */
static int add_header(sekha_request *r, const char *name, const char *value)
{
    if (sekha__buf_append(&r->header_lines, name, strlen(name)) != 0 ||
        sekha__buf_append(&r->header_lines, value, strlen(value) + 1) != 0)
        return -1;
    r->n_header_lines++;
    return 0;
}

/* Chains the request's own lines (now final, so pointers into the buffer stay valid) in
 * front of the client's shared per-service tail. */
static int link_headers(sekha_request *r, struct curl_slist *tail)
{
    size_t n = r->n_header_lines;
    struct curl_slist *nodes = r->header_nodes;
    if (n > sizeof r->header_nodes / sizeof *r->header_nodes &&
        !(nodes = r->header_heap = malloc(n * sizeof *nodes)))
        return -1;
    char *p = r->header_lines.data;
    for (size_t i = 0; i < n; i++) {
        nodes[i].data = p;
        nodes[i].next = i + 1 < n ? &nodes[i + 1] : tail;
        p += strlen(p) + 1;
    }
    r->own_headers = n ? nodes : tail;
    return 0;
}

static sekha_error *build(sekha_request *r, const sekha__spec *s)
{
    sekha_client *c = r->client;
    r->method = method_static(s->method);
    if (!r->method)
        return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                "method must be GET, POST, PUT, PATCH, DELETE or HEAD");
    if ((int)s->service < 0 || (int)s->service >= SEKHA_SERVICE_COUNT)
        return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "unknown service");
    r->service = s->service;
    if (s->what && sekha__buf_puts(&r->what_buf, s->what) != 0)
        return &sekha__nomem_error;
    r->what = s->what ? sekha__buf_str(&r->what_buf) : r->method;
    if (s->url) {
        if (!absolute_url_ok(s->url))
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "URL must be http(s):// without spaces or control "
                                    "characters");
        if (sekha__buf_puts(&r->url_buf, s->url) != 0)
            return &sekha__nomem_error;
    } else {
        if (!path_ok(s->path))
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "path must start with '/' and contain no spaces or "
                                    "control characters (percent-encode them)");
        if (sekha__buf_puts(&r->url_buf, c->base_url[s->service]) != 0 ||
            sekha__buf_puts(&r->url_buf, s->path) != 0)
            return &sekha__nomem_error;
    }
    r->url = r->url_buf.data;
    r->curlu = sekha__url_acquire(c, r->url, &r->curlu_slot);
    if (s->content_type) {
        if (!sekha__header_value_ok(s->content_type) || strlen(s->content_type) > 256)
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "content type contains CR/LF or is too long");
        if (add_header(r, "Content-Type: ", s->content_type) != 0)
            return &sekha__nomem_error;
    }
    if (s->accept) {
        if (!sekha__header_value_ok(s->accept) || strlen(s->accept) > 256)
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "accept contains CR/LF or is too long");
        if (add_header(r, "Accept: ", s->accept) != 0)
            return &sekha__nomem_error;
    }
    for (const char *const *h = s->headers; h && *h; h++) {
        const char *colon = strchr(*h, ':');
        if (!sekha__header_value_ok(*h) || !colon || colon == *h || strlen(*h) > 8192)
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "extra header must be \"Name: value\" without CR/LF");
        if (strncasecmp(*h, "authorization:", 14) == 0)
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "set API keys with sekha_options_set_api_key, not headers");
        if (add_header(r, "", *h) != 0)
            return &sekha__nomem_error;
    }
    /* W3C trace context: the value is ready in the request (sekha__trace_request_init) */
    if (c->send_traceparent && add_header(r, "traceparent: ", r->traceparent) != 0)
        return &sekha__nomem_error;
    /* libcurl asks for a 100-continue before larger bodies (the threshold has moved
     * between versions, 1 KiB at the lowest) and then waits for it: never wanted. */
    if (s->body_len > 1024 && add_header(r, "Expect:", "") != 0)
        return &sekha__nomem_error;
    struct curl_slist *tail = c->svc_headers[s->service];
    if ((s->flags & SEKHA_HTTP_NO_AUTH) || s->auth_line)
        tail = c->svc_headers[s->service] && c->auth_line[s->service]
                   ? c->svc_headers[s->service]->next : c->svc_headers[s->service];
    if (s->auth_line) {
        r->auth_node.data = (char *)s->auth_line;
        r->auth_node.next = tail;
        tail = &r->auth_node;
    }
    if (link_headers(r, tail) != 0)
        return &sekha__nomem_error;
    if (s->body_len && sekha__buf_append(&r->body, s->body, s->body_len) != 0)
        return &sekha__nomem_error;
    r->flags = s->flags;
    r->refine = s->refine;
    r->idempotent = (s->flags & SEKHA_HTTP_IDEMPOTENT) ||
                    (strcmp(r->method, "POST") != 0 && strcmp(r->method, "PATCH") != 0);
    return NULL;
}

static void admit(sekha_request *r);
static void index_headers(sekha_response *resp);

/* Arms the request's timer, never past its deadline (which then ends it). */
static void arm(sekha_request *r, int64_t when)
{
    if (r->deadline_ms && when > r->deadline_ms)
        when = r->deadline_ms;
    sekha__loop_arm(r->loop, &r->timer, when);
}

/* What a timed-out request says: a write that went out may have been applied. */
static sekha_error *timeout_error(const sekha_request *r, int sent, const char *fmt,
                                  long long ms);

static sekha_error *deadline_error(const sekha_request *r, int sent)
{
    return timeout_error(r, sent, "the call took longer than its %lld ms timeout",
                         (long long)r->client->opts->call_timeout_ms);
}

static sekha_error *timeout_error(const sekha_request *r, int sent, const char *fmt, long long ms)
{
    char what[96];
    snprintf(what, sizeof what, fmt, ms);
    int unsure = !r->idempotent && sent && !r->status_checked;
    return sekha__error_new(SEKHA_E_TIMEOUT, SEKHA_LAYER_TRANSPORT, "%s%s", what,
                            unsure ? " (the request was sent and may have been applied, so it "
                                     "was not re-sent)"
                                   : "");
}

/* own_deadline: the call timeout applies to this request itself (not only the composed
 * call's it belongs to, see SEKHA_HTTP_NO_DEADLINE). */
static sekha_request *alloc_request(sekha_client *c, sekha_request *parent, int own_deadline,
                                    sekha_response_cb done, void *ud)
{
    sekha_request *r = sekha__request_take(c);
    if (!r)
        return NULL;
    r->curlu_slot = -1;
    parent = sekha__req(parent ? parent : c->start_parent);
    r->id = ++c->next_id;
    r->handle = sekha__handle_bind(r);
    long total = own_deadline ? c->opts->call_timeout_ms : 0;
    r->deadline_ms = total > 0 ? sekha__now_ms() + total : 0;
    if (parent && parent->deadline_ms && (!r->deadline_ms || parent->deadline_ms < r->deadline_ms))
        r->deadline_ms = parent->deadline_ms; /* a step of a composed call shares its deadline */
    r->client = c;
    if (parent)
        r->parent_id = parent->id;
    if ((c->ids_on || c->tracing) && sekha__trace_request_init(c, r, parent) != 0) {
        sekha__handle_unbind(r);
        sekha__request_recycle(c, r);
        return NULL;
    }
    r->loop = parent ? parent->loop : (c->sync_start && c->sync_loop ? c->sync_loop : &c->main);
    sekha__timer_init(&r->timer);
    r->done = done;
    r->ud = ud;
    r->next = c->first;
    if (c->first)
        c->first->prev = r;
    c->first = r;
    c->pending++;
    r->loop->requests++;
    return r;
}

sekha_request *sekha__start(sekha_client *c, const sekha__spec *spec, sekha_event_cb on_event,
                            sekha_response_cb done, void *ud)
{
    return sekha__start_ev(c, spec, on_event, ud, done, ud);
}

sekha_request *sekha__start_ev(sekha_client *c, const sekha__spec *spec, sekha_event_cb on_event,
                               void *event_ud, sekha_response_cb done, void *ud)
{
    if (!c || !spec)
        return NULL;
    sekha_request *r = alloc_request(c, spec->parent, !(spec->flags & SEKHA_HTTP_NO_DEADLINE),
                                     done, ud);
    if (!r)
        return NULL;
    r->on_event = on_event;
    r->event_ud = event_ud;
    sekha_error *err = c->freeing ? sekha__error_new(SEKHA_E_CLOSED, SEKHA_LAYER_LOCAL,
                                                     "the client is being freed")
                                  : build(r, spec);
    if (err) {
        if (!r->what)
            r->what = "request";
        sekha__request_fail_later(r, err);
        return r->handle;
    }
    r->state = SEKHA_REQ_QUEUED;
    sekha_loop *l = r->loop;
    if (l->dispatching && !l->in_curl && !l->external) {
        /* Started from a callback our own loop is running (the usual "next request from
         * the last one's callback"): admitting now only hands the transfer to libcurl,
         * which acts on it from this same dispatch, and no user code runs, so nothing
         * re-enters the caller. Skips a timer round trip on the hot path. */
        admit(r);
        return r->handle;
    }
    sekha__loop_arm(l, &r->timer, sekha__now_ms());
    return r->handle;
}

sekha_request *sekha__start_virtual(sekha_client *c, sekha_request *parent, const char *what,
                                    sekha_response_cb done, void *ud)
{
    sekha_request *r = c ? alloc_request(c, parent, 1, done, ud) : NULL;
    if (!r)
        return NULL;
    r->what = what && sekha__buf_puts(&r->what_buf, what) == 0 ? sekha__buf_str(&r->what_buf)
                                                               : "request";
    if (c->freeing) {
        sekha__request_fail_later(r, sekha__error_new(SEKHA_E_CLOSED, SEKHA_LAYER_LOCAL,
                                                      "the client is being freed"));
        return r->handle;
    }
    r->state = SEKHA_REQ_EXTERNAL;
    return r->handle;
}

void sekha__request_end(sekha_request *h, sekha_error *err, sekha_response *resp)
{
    sekha_request *r = sekha__req(h);
    if (!r) {
        sekha_error_free(err);
        if (resp) {
            sekha__response_free_fields(resp);
            free(resp);
        }
        return;
    }
    if (resp) {
        sekha__response_free_fields(&r->resp);
        r->resp.status = resp->status;
        r->resp.body = resp->body;
        r->resp.headers = resp->headers;
        free(resp);
    }
    if (r->state != SEKHA_REQ_EXTERNAL) {
        sekha_error_free(err);
        return;
    }
    r->state = SEKHA_REQ_FINISHING;
    if (err && !r->err)
        r->err = err;
    else
        sekha_error_free(err);
    sekha__loop_arm(r->loop, &r->timer, sekha__now_ms());
}

sekha_request *sekha__start_failed(sekha_client *c, sekha_request *parent, sekha_error *err,
                                   sekha_response_cb done, void *ud)
{
    sekha_request *r = c ? alloc_request(c, parent, 1, done, ud) : NULL;
    if (!r) {
        sekha_error_free(err);
        return NULL;
    }
    sekha__request_fail_later(r, err);
    return r->handle;
}

/* ---- libcurl callbacks ---- */

static void check_status(sekha_request *r)
{
    long status = 0;
    char *ct = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
    r->resp.status = (int)status;
    r->is_sse = (r->flags & SEKHA_HTTP_STREAM) && status >= 200 && status < 300 && ct &&
                strncasecmp(ct, "text/event-stream", 17) == 0;
    if (r->is_sse && !r->sse) {
        r->sse = malloc(sizeof *r->sse);
        if (r->sse)
            sekha__sse_init(r->sse, r->client->opts->max_event_bytes,
                            r->client->opts->max_event_bytes);
    }
    r->status_checked = 1;
}

enum { DELIVER_DRAINED, DELIVER_PAUSED, DELIVER_STOPPED, DELIVER_FAILED };

static int deliver_events(sekha_request *r)
{
    sekha_client *c = r->client;
    for (;;) {
        if (r->paused)
            return DELIVER_PAUSED;
        struct sekha_sse_event *ev;
        int k = sekha__sse_next(r->sse, &ev);
        if (k == 0)
            return DELIVER_DRAINED;
        if (k < 0) {
            r->err = sekha__error_new(SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT,
                                      "an SSE line or event exceeded %zu bytes",
                                      c->opts->max_event_bytes);
            return DELIVER_FAILED;
        }
        if (r->events_delivered++ == 0 && r->tr)
            sekha__trace_first_event(r);
        if (!r->on_event)
            continue;
        int action;
        SEKHA__USER_CB(c, action = r->on_event(r->handle, ev, r->event_ud));
        if (r->err)
            return DELIVER_FAILED; /* cancelled or failed from inside the callback */
        if (action == SEKHA_EVENT_PAUSE)
            r->paused = 1;
        else if (action == SEKHA_EVENT_STOP)
            return DELIVER_STOPPED;
    }
}

size_t sekha__request_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sekha_request *r = ud;
    size_t n = size * nmemb;
    if (r->flags & SEKHA_HTTP_STREAM) /* only streams time out on idling */
        r->last_activity_ms = sekha__now_ms();
    if (r->err || r->stopped)
        return 0; /* libcurl may hand over held data once more after the stream ended */
    if (!r->status_checked)
        check_status(r);
    if (!r->is_sse) {
        if (r->resp.body.len + n > r->client->opts->max_response_bytes) {
            r->err = sekha__error_new(SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT,
                                      "response body exceeded %zu bytes",
                                      r->client->opts->max_response_bytes);
            return 0;
        }
        if (sekha__buf_append(&r->resp.body, ptr, n) != 0) {
            r->err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "response body");
            return 0;
        }
        return n;
    }
    if (!r->sse) {
        r->err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "SSE parser");
        return 0;
    }
    if (r->paused)
        return CURL_WRITEFUNC_PAUSE; /* libcurl keeps this chunk until we resume */
    if (r->tr)
        sekha__trace_chunk(r, ptr, n);
    sekha__sse_feed(r->sse, ptr, n);
    switch (deliver_events(r)) {
    case DELIVER_PAUSED:
        /* The chunk is consumed; its unread rest moves into the parser (bounded by one
         * chunk) and libcurl is paused by the next write returning PAUSE. */
        if (sekha__sse_stash(r->sse) != 0) {
            r->err = sekha__error_new(SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT,
                                      "an SSE line or event exceeded its limit");
            return 0;
        }
        return n;
    case DELIVER_STOPPED:
        r->stopped = 1;
        return 0;
    case DELIVER_FAILED:
        return 0;
    default:
        return n;
    }
}

size_t sekha__request_header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    sekha_request *r = ud;
    size_t n = size * nitems;
    if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        if (r->flags & SEKHA_HTTP_STREAM) /* once per response is enough for idling */
            r->last_activity_ms = sekha__now_ms();
        /* a new response begins (after a redirect or a 1xx): forget the previous one */
        sekha__buf_clear(&r->resp.headers);
        r->status_checked = 0;
        r->ka_announced = 0;
    } else if (n > 0 && (buf[0] | 0x20) == 'k') {
        sekha__ka_header(r, buf, n);
    }
    if (r->resp.headers.len + n > MAX_HEADER_BYTES) {
        r->err = sekha__error_new(SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT,
                                  "response headers exceeded %d bytes", MAX_HEADER_BYTES);
        return 0;
    }
    if (sekha__buf_append(&r->resp.headers, buf, n) != 0)
        return 0;
    if (r->tr && (n == 2 || n == 1) && (buf[0] == '\r' || buf[0] == '\n'))
        sekha__trace_headers_done(r); /* the blank line that ends the headers */
    return n;
}

/* ---- attempts ---- */

/* Reused handles keep their options (no curl_easy_reset: re-parsing every option per
 * request costs more than the request's own work), so every per-request option is set
 * here each time, including back to its default. */
static void set_method(CURL *e, const sekha_request *r)
{
    int get = strcmp(r->method, "GET") == 0, head = strcmp(r->method, "HEAD") == 0;
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    curl_easy_setopt(e, CURLOPT_NOBODY, head ? 1L : 0L);
    if (get || head) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        if (head)
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.data ? r->body.data : "");
    if (strcmp(r->method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

static void configure(CURL *e, sekha_request *r, int64_t now)
{
    const sekha_options *o = r->client->opts;
    /* A reused handle may still hold another request's parsed URL, which would win. */
    curl_easy_setopt(e, CURLOPT_CURLU, r->curlu);
    if (!r->curlu)
        curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->own_headers);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    long attempt_ms = (r->flags & SEKHA_HTTP_STREAM) ? 0L : o->attempt_timeout_ms;
    if (attempt_ms && r->deadline_ms) {
        int64_t left = r->deadline_ms - now;
        if (left < attempt_ms)
            attempt_ms = left < 1 ? 1L : (long)left;
    }
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, attempt_ms);
    /* which pooled connection a write may take, and no silent re-send (keepalive.c) */
    sekha__ka_configure(e, r);
    /* wait to multiplex on HTTP/2 rather than open a second connection */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncmp(r->url, "https", 5) == 0 ? 1L : 0L);
    if (sekha__log_on(r->client, SEKHA_LOG_DEBUG))
        curl_easy_setopt(e, CURLOPT_DEBUGDATA, r);
    set_method(e, r);
}

static void attempt_start(sekha_request *r)
{
    sekha_client *c = r->client;
    CURL *e = sekha__client_easy_get(c);
    if (!e) {
        sekha__request_fail_later(r, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "curl handle"));
        return;
    }
    sekha__response_clear(&r->resp);
    r->errbuf[0] = '\0';
    r->status_checked = 0;
    r->is_sse = 0;
    if (r->sse)
        sekha__sse_reset(r->sse);
    if (r->tr) {
        r->tr->captured = 0;
        r->tr->headers_us = 0;
        sekha__buf_clear(&r->tr->stream);
    }
    int64_t now = sekha__now_ms();
    configure(e, r, now);
    r->easy = e;
    if (r->attempts++ == 0)
        r->first_attempt_ms = now;
    r->last_activity_ms = now;
    r->state = SEKHA_REQ_RUNNING;
    sekha__log(c, SEKHA_LOG_INFO, "%s %s: attempt %d", r->method, r->url, r->attempts);
    CURLMcode mc = curl_multi_add_handle(r->loop->multi, e);
    if (mc != CURLM_OK) {
        r->easy = NULL;
        sekha__client_easy_put(c, e);
        r->state = SEKHA_REQ_BACKOFF; /* not running: fail_later must not detach */
        sekha__request_fail_later(r, sekha__error_new(SEKHA_E_INTERNAL, SEKHA_LAYER_LOCAL,
                                                      "curl_multi_add_handle: %s",
                                                      curl_multi_strerror(mc)));
        return;
    }
    if (r->flags & SEKHA_HTTP_STREAM)
        arm(r, now + c->opts->stream_idle_timeout_ms);
    /* otherwise libcurl times the attempt, cut to what is left of the deadline (configure) */
}

static void admit(sekha_request *r)
{
    int64_t now = sekha__now_ms();
    int64_t wait = sekha__bucket_reserve(&r->client->buckets[r->service], now);
    if (r->tr) {
        r->tr->rate_wait = wait > 0 ? wait : 0;
        r->tr->rate_wait_sum += r->tr->rate_wait;
    }
    if (wait > 0) {
        r->state = SEKHA_REQ_RATE_WAIT;
        sekha__log(r->client, SEKHA_LOG_INFO, "%s %s: rate limited locally, waiting %lld ms",
                   r->method, r->url, (long long)wait);
        arm(r, now + wait);
        return;
    }
    attempt_start(r);
}

/* Takes the easy handle out of libcurl and back to the pool. */
static void detach(sekha_request *r)
{
    if (!r->easy)
        return;
    if (r->tr && !r->tr->captured) {
        /* ended by the library (cancel, deadline, STOP, client free), not by libcurl */
        index_headers(&r->resp);
        sekha__trace_capture(r, -1);
    }
    r->loop->in_curl++; /* it may run the socket callback (mode B: the user's watch hook) */
    CURLMcode mc = curl_multi_remove_handle(r->loop->multi, r->easy);
    r->loop->in_curl--;
    if (mc != CURLM_OK)
        sekha__log(r->client, SEKHA_LOG_WARN, "curl_multi_remove_handle: %s",
                   curl_multi_strerror(mc));
    /* the parsed URL may be freed before the handle's next use: never leave it pointing */
    curl_easy_setopt(r->easy, CURLOPT_CURLU, (CURLU *)NULL);
    sekha__client_easy_put(r->client, r->easy);
    r->easy = NULL;
}

void sekha__request_fail_later(sekha_request *r, sekha_error *err)
{
    if (r->state == SEKHA_REQ_FINISHING || r->state == SEKHA_REQ_DONE) {
        sekha_error_free(err);
        return;
    }
    if (!r->err)
        r->err = err;
    else
        sekha_error_free(err);
    if (r->state == SEKHA_REQ_RATE_WAIT)
        sekha__bucket_refund(&r->client->buckets[r->service], sekha__now_ms());
    if (r->state == SEKHA_REQ_EXTERNAL && r->on_cancel) {
        void (*hook)(sekha_request *) = r->on_cancel;
        r->on_cancel = NULL; /* once */
        if (r->owner_finishes) {
            hook(r->handle); /* the owner ends it with sekha__request_end */
            return;
        }
        r->state = SEKHA_REQ_FINISHING;
        hook(r->handle);
    }
    /* A running transfer is detached from the timer callback, outside libcurl's callbacks
     * where removing a handle is not allowed. */
    if (r->state != SEKHA_REQ_RUNNING)
        r->state = SEKHA_REQ_FINISHING;
    sekha__loop_arm(r->loop, &r->timer, sekha__now_ms());
}

static void complete(sekha_request *r, CURLcode rc, long status, int sent);

/* Ends a running transfer that the event callback stopped (or that failed inside it) from
 * outside libcurl: libcurl will not report it, so its outcome is decided here. */
static void end_early(sekha_request *r)
{
    detach(r);
    index_headers(&r->resp);
    complete(r, CURLE_OK, r->resp.status, 1);
}

/* Returns 0 when the request was completed (and may be gone), 1 when it keeps running. */
static int resume_delivery(sekha_request *r)
{
    r->resume_due = 0;
    if (r->paused || !r->sse)
        return 1;
    int d = deliver_events(r); /* events stashed when the pause began */
    if (d == DELIVER_PAUSED)
        return 1;
    if (d == DELIVER_FAILED || d == DELIVER_STOPPED) {
        if (d == DELIVER_STOPPED)
            r->stopped = 1;
        if (r->held) {
            detach(r);
            complete(r, CURLE_OK, r->resp.status, r->held_sent);
        } else {
            end_early(r);
        }
        return 0;
    }
    if (r->held) {
        sekha__loop_disarm(r->loop, &r->timer);
        complete(r, r->held_rc, r->resp.status, r->held_sent);
        return 0;
    }
    r->last_activity_ms = sekha__now_ms();
    /* Unpausing hands libcurl's held data to the write callback right here, so the user's
     * event callback runs inside this call: count it as inside libcurl, or a request
     * started from that callback would be added to the multi handle re-entrantly. */
    r->loop->in_curl++;
    CURLcode pc = curl_easy_pause(r->easy, CURLPAUSE_CONT);
    r->loop->in_curl--;
    if (pc == CURLE_OK && !r->err && !r->stopped)
        return 1;
    /* The stream ended inside that delivery (STOP, cancel, a limit) or libcurl refused to
     * resume: end it here rather than let the transfer run on. */
    if (!r->err && !r->stopped)
        r->err = sekha__error_new(SEKHA_E_INTERNAL, SEKHA_LAYER_LOCAL,
                                  "resuming the stream failed: %s", curl_easy_strerror(pc));
    end_early(r);
    return 0;
}

/* The call timeout ran out: ends the request, from any state but the external ones. */
static int deadline_passed(sekha_request *r)
{
    if (!r->deadline_ms || r->err ||
        (r->state != SEKHA_REQ_QUEUED && r->state != SEKHA_REQ_RATE_WAIT &&
         r->state != SEKHA_REQ_BACKOFF && r->state != SEKHA_REQ_RUNNING) ||
        sekha__now_ms() < r->deadline_ms)
        return 0;
    int sent = 0;
    if (r->state == SEKHA_REQ_RUNNING && r->easy) {
        curl_off_t bytes = 0;
        curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &bytes);
        sent = bytes > 0;
    } else if (r->state == SEKHA_REQ_RATE_WAIT) {
        sekha__bucket_refund(&r->client->buckets[r->service], sekha__now_ms());
    }
    r->err = deadline_error(r, sent || r->attempts > 1);
    detach(r);
    sekha__request_finish(r);
    return 1;
}

void sekha__request_on_timer(sekha_request *r)
{
    if (deadline_passed(r))
        return;
    switch (r->state) {
    case SEKHA_REQ_QUEUED:
    case SEKHA_REQ_BACKOFF:
        admit(r);
        break;
    case SEKHA_REQ_RATE_WAIT:
        attempt_start(r);
        break;
    case SEKHA_REQ_FINISHING:
        sekha__request_finish(r);
        break;
    case SEKHA_REQ_EXTERNAL:
        if (r->on_timer)
            r->on_timer(r->handle);
        break;
    case SEKHA_REQ_RUNNING: {
        if (r->err) { /* cancelled or failed while running */
            detach(r);
            sekha__request_finish(r);
            return;
        }
        if (r->resume_due && !resume_delivery(r))
            return;
        int64_t now = sekha__now_ms();
        int64_t idle = r->client->opts->stream_idle_timeout_ms;
        if (!(r->flags & SEKHA_HTTP_STREAM))
            return; /* libcurl times the attempt, cut to the deadline (configure) */
        if (r->paused || now - r->last_activity_ms < idle) {
            arm(r, (r->paused ? now : r->last_activity_ms) + idle);
            return;
        }
        curl_off_t sent = 0;
        curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
        r->err = timeout_error(r, sent > 0, "no data received for %lld ms", (long long)idle);
        detach(r);
        sekha__request_finish(r);
        break;
    }
    case SEKHA_REQ_DONE:
        break;
    }
}

/* ---- completion ---- */

/* Rewrites the raw header block in place into "name\0value\0" pairs with values
 * trimmed, so lookups hand out NUL-terminated values without copies. The output never
 * outgrows the input, which is why in place is safe. */
static void index_headers(sekha_response *resp)
{
    char *p = resp->headers.data, *end = p + resp->headers.len, *out = p;
    if (!p || resp->indexed)
        return;
    resp->indexed = 1;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon && colon > p) {
            char *v = colon + 1, *ve = le;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t nlen = (size_t)(colon - p), vlen = (size_t)(ve - v);
            memmove(out, p, nlen);
            out[nlen] = '\0';
            memmove(out + nlen + 1, v, vlen);
            out[nlen + 1 + vlen] = '\0';
            out += nlen + vlen + 2;
        }
        p = nl ? nl + 1 : end;
    }
    resp->headers.len = (size_t)(out - resp->headers.data);
}

static long retry_after_ms(const sekha_response *resp)
{
    const char *v = sekha_response_header(resp, "retry-after");
    if (!v || !*v)
        return -1;
    char *end;
    long secs = strtol(v, &end, 10);
    if (end != v && *end == '\0')
        return secs < 0 ? -1 : (secs > 86400 ? 86400L * 1000 : secs * 1000);
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    double delta = difftime(when, time(NULL));
    if (delta < 0)
        delta = 0;
    return delta > 86400 ? 86400L * 1000 : (long)(delta * 1000);
}

/* Schedules the next attempt if policy, retry count, Retry-After cap and budget allow;
 * returns 1 when scheduled. */
static int schedule_retry(sekha_request *r, long ra_ms)
{
    const sekha_options *o = r->client->opts;
    if ((r->flags & SEKHA_HTTP_NO_RETRY) || r->attempts > o->max_retries || r->closing)
        return 0;
    int64_t delay;
    if (ra_ms >= 0) {
        if (ra_ms > o->max_retry_after_ms)
            return 0;
        delay = ra_ms;
    } else {
        delay = sekha__backoff_delay(o->backoff_base_ms, o->backoff_cap_ms, r->attempts);
    }
    int64_t now = sekha__now_ms();
    if (now + delay - r->first_attempt_ms > o->retry_budget_ms)
        return 0;
    if (r->deadline_ms && now + delay >= r->deadline_ms)
        return 0; /* the retry could not even start before the call's deadline */
    sekha__log(r->client, SEKHA_LOG_INFO, "%s %s: retrying in %lld ms (%s)", r->method, r->url,
               (long long)delay, ra_ms >= 0 ? "Retry-After" : "backoff");
    r->state = SEKHA_REQ_BACKOFF;
    arm(r, now + delay);
    if (r->tr) /* after arming: a cancel from the trace callback re-arms for now */
        sekha__trace_retry(r, delay);
    return 1;
}

/* Decides the fate of a finished attempt: success, retry, or the final error. */
static void complete(sekha_request *r, CURLcode rc, long status, int sent)
{
    int stopped = r->stopped;
    r->stopped = 0;
    if (r->err) { /* cancelled, limit crossed, or failed inside a callback */
        sekha__request_finish(r);
        return;
    }
    if (stopped)
        rc = CURLE_OK;
    sekha_outcome out = {
        .curl_code = rc,
        .http_status = rc == CURLE_OK ? (int)status : 0,
        .idempotent = r->idempotent,
        .connected = sent,
        .events_delivered = r->events_delivered > 0,
    };
    if (rc == CURLE_OK && status >= 300 && status < 400) {
        /* Redirects are not followed (client.c says why): say where it pointed. */
        const char *to = sekha_response_header(&r->resp, "location");
        r->err = sekha__error_new(SEKHA_E_REDIRECT, SEKHA_LAYER_HTTP,
                                  "HTTP %ld to %.200s: redirects are not followed, so the "
                                  "request went nowhere else; point the base URL at the final "
                                  "address", status, to && *to ? to : "(no Location)");
        if (r->err != &sekha__nomem_error)
            r->err->http_status = (int)status;
        sekha__request_finish(r);
        return;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK && r->ka_blocked) {
        r->err = sekha__ka_unknown_error(); /* libcurl wanted to re-send a sent write */
        sekha__request_finish(r);
        return;
    }
    if (rc == CURLE_OK && status < 400) {
        if (r->is_sse && !stopped && r->sse && sekha__sse_pending(r->sse))
            r->err = sekha__error_new(SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT,
                                      "the stream ended inside an event");
        sekha__request_finish(r);
        return;
    }
    sekha_code refined = rc == CURLE_OK && r->refine
                             ? r->refine((int)status, sekha__buf_str(&r->resp.body), r->resp.body.len)
                             : SEKHA_OK;
    sekha_retry_verdict v = refined != SEKHA_OK ? SEKHA_RETRY_NO : sekha__retry_verdict(&out);
    long ra = rc == CURLE_OK ? retry_after_ms(&r->resp) : -1;
    if (v == SEKHA_RETRY_YES && schedule_retry(r, ra))
        return;
    if (rc == CURLE_OK) {
        r->err = sekha__error_http((int)status, ra, r->resp.body.data, r->resp.body.len, r->what);
        if (refined != SEKHA_OK && r->err != &sekha__nomem_error)
            r->err->code = refined;
    } else {
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            int64_t now = sekha__now_ms();
            r->err = r->deadline_ms && now >= r->deadline_ms - 1
                         ? deadline_error(r, sent)
                         : timeout_error(r, sent, "an attempt took longer than %lld ms",
                                         (long long)r->client->opts->attempt_timeout_ms);
            if (r->err != &sekha__nomem_error)
                r->err->curl_code = rc;
            sekha__request_finish(r);
            return;
        }
        r->err = sekha__error_curl(rc, r->errbuf, r->what);
        if (r->err != &sekha__nomem_error) {
            if (v == SEKHA_RETRY_UNSAFE)
                r->err->code = SEKHA_E_OUTCOME_UNKNOWN;
            else if (r->events_delivered && r->err->code == SEKHA_E_CONNECTION_LOST)
                r->err->code = SEKHA_E_STREAM_CUT;
            r->err->http_status = (int)status;
        }
    }
    sekha__request_finish(r);
}

void sekha__request_on_done(sekha_request *r, CURLcode rc)
{
    long status = 0;
    curl_off_t sent = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
    if (r->tr) {
        r->resp.status = (int)status;
        sekha__trace_capture(r, r->stopped ? -1 : (int)rc);
    }
    detach(r);
    index_headers(&r->resp);
    r->resp.status = (int)status;
    sekha__ka_learn(r);
    if (!r->err && r->paused && r->sse) {
        /* The transfer ended while the caller had paused us with events still stashed:
         * hold the outcome until sekha_request_resume() has delivered them. */
        r->held = 1;
        r->held_rc = rc;
        r->held_sent = sent > 0;
        return;
    }
    sekha__loop_disarm(r->loop, &r->timer);
    complete(r, rc, status, sent > 0);
}

void sekha__request_finish(sekha_request *r)
{
    sekha_client *c = r->client;
    sekha__loop_disarm(r->loop, &r->timer);
    detach(r);
    r->state = SEKHA_REQ_DONE;
    sekha_error *err = r->err;
    if (err && err != &sekha__nomem_error) {
        if (r->attempts > 0 || err->attempts == 0) /* a virtual request keeps its child's count */
            err->attempts = r->attempts;
        sekha__error_compose(err, r->what);
    }
    const sekha_response *resp = NULL;
    if (!err || err->layer == SEKHA_LAYER_HTTP || err->code == SEKHA_E_STREAM_CUT)
        resp = &r->resp;
    if (err)
        sekha__log(c, SEKHA_LOG_WARN, "%s", err->message);
    if (r->tr)
        sekha__trace_end(r);
    if (r->done)
        SEKHA__USER_CB(c, r->done(r->handle, err, resp, r->ud));
    err = r->err; /* a sync caller may have taken it */
    sekha__handle_unbind(r); /* from now on a kept handle is stale */
    sekha__client_unlink(c, r);
    if (r->sub_free)
        r->sub_free(r->sub);
    sekha_error_free(err);
    sekha__url_release(c, r->curlu, r->curlu_slot);
    sekha__request_recycle(c, r);
}

/* ---- public request API ---- */

/* Every function below takes a handle: a stale one (kept past its request's final
 * callback) no longer names any request, so it is ignored (or reads as 0). */

void sekha_request_cancel(sekha_request *h)
{
    sekha_request *r = sekha__req(h);
    if (!r || r->state == SEKHA_REQ_FINISHING || r->state == SEKHA_REQ_DONE || r->err)
        return;
    sekha__request_fail_later(r, sekha__error_new(SEKHA_E_CANCELLED, SEKHA_LAYER_LOCAL, NULL));
}

uint64_t sekha_request_id(const sekha_request *h)
{
    const sekha_request *r = sekha__req(h);
    return r ? r->id : 0;
}

int sekha_request_attempts(const sekha_request *h)
{
    const sekha_request *r = sekha__req(h);
    return r ? r->attempts : 0;
}

int sekha_request_valid(const sekha_request *h)
{
    return sekha__req(h) != NULL;
}

void sekha_request_pause(sekha_request *h)
{
    sekha_request *r = sekha__req(h);
    if (r && r->state == SEKHA_REQ_RUNNING)
        r->paused = 1;
}

void sekha_request_resume(sekha_request *h)
{
    sekha_request *r = sekha__req(h);
    if (!r || !r->paused || r->state != SEKHA_REQ_RUNNING)
        return;
    r->paused = 0;
    r->resume_due = 1;
    sekha__loop_arm(r->loop, &r->timer, sekha__now_ms());
}
