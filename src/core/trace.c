/* Trace events and W3C trace context. Requests get their ids when the client sends
 * traceparent or traces; everything else here runs only when a trace callback or a
 * cassette is on (c->tracing), so a client without them pays for no libcurl getinfo and no
 * clock read. */
#include "core/internal.h"
#include "core/jwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sekha_trace_event {
    sekha_trace_kind kind;
    sekha_request *r;
    const sekha__trace_req *tr;
    char trace_id[33];
    char span_id[17];
    const char *path;
    const char *reason;  /* NULL: not retried */
    int64_t delay_ms;    /* -1: not retried */
    sekha_code code;
    sekha_layer layer;
    const char *error;   /* an END's message, NULL on success */
    double total_ms;
    const char *json;    /* built on demand */
};

int64_t sekha__trace_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- client ---- */

/* Whether requests carry traceparent, and get trace ids at all, given the mode, the trace
 * callback and a caller's parent. */
void sekha__trace_decide(sekha_client *c)
{
    const sekha_options *o = c->opts;
    int wanted = o->trace_fn || c->has_tp;
    c->send_traceparent = o->traceparent_mode == SEKHA_TRACEPARENT_ALWAYS ||
                          (o->traceparent_mode == SEKHA_TRACEPARENT_AUTO && wanted);
    c->ids_on = c->send_traceparent || o->trace_fn;
}

int sekha__trace_client_init(sekha_client *c, sekha_error **err)
{
    const sekha_options *o = c->opts;
    c->rnd_pos = sizeof c->rnd; /* drawn on first use */
    sekha__trace_decide(c);
    c->tracing = o->trace_fn || o->record_path;
    if (!o->record_path)
        return 0;
    /* 0600: a cassette holds conversations and prompts */
    c->record_fd = open(o->record_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                        0600);
    if (c->record_fd < 0) {
        if (err)
            *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "cannot open the cassette %.200s: %s", o->record_path,
                                    strerror(errno));
        return -1;
    }
    return 0;
}

void sekha__trace_client_free(sekha_client *c)
{
    if (c->record_fd >= 0)
        close(c->record_fd);
    c->record_fd = -1;
    sekha__buf_free(&c->trace_buf);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* n lowercase hex digits, not all zero */
static int hex_id_ok(const char *s, size_t n)
{
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        int v = hexval(s[i]);
        if (v < 0)
            return 0;
        nonzero |= v;
    }
    return nonzero != 0;
}

sekha_code sekha_client_set_trace_parent(sekha_client *c, const char *tp)
{
    if (!c)
        return SEKHA_E_INVALID_ARG;
    if (!tp) {
        c->has_tp = 0;
        sekha__trace_decide(c);
        return SEKHA_OK;
    }
    /* 00-<32 hex>-<16 hex>-<2 hex>: version 00 has exactly this length */
    if (strlen(tp) != 55 || tp[0] != '0' || tp[1] != '0' || tp[2] != '-' || tp[35] != '-' ||
        tp[52] != '-' || !hex_id_ok(tp + 3, 32) || !hex_id_ok(tp + 36, 16) ||
        hexval(tp[53]) < 0 || hexval(tp[54]) < 0)
        return SEKHA_E_INVALID_ARG;
    memcpy(c->tp_trace, tp + 3, 32);
    memcpy(c->tp_flags, tp + 53, 2);
    c->has_tp = 1;
    sekha__trace_decide(c);
    return SEKHA_OK;
}

/* ---- requests ---- */

static const char hexdig[] = "0123456789abcdef";

static void hex(char *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[p[i] >> 4];
        out[2 * i + 1] = hexdig[p[i] & 15];
    }
}

/* n random bytes from the client's batch: one randombytes_buf call (a getrandom system
 * call) per ten requests instead of two per request. */
static const unsigned char *rnd(sekha_client *c, size_t n)
{
    if (c->rnd_pos + n > sizeof c->rnd) {
        randombytes_buf(c->rnd, sizeof c->rnd);
        c->rnd_pos = 0;
    }
    const unsigned char *p = c->rnd + c->rnd_pos;
    c->rnd_pos += n;
    return p;
}

static const unsigned char *rnd_nonzero(sekha_client *c, size_t n)
{
    for (;;) { /* W3C forbids all-zero ids; a redraw happens once in 2^64 */
        const unsigned char *p = rnd(c, n);
        for (size_t i = 0; i < n; i++)
            if (p[i])
                return p;
    }
}

int sekha__trace_request_init(sekha_client *c, sekha_request *r, const sekha_request *parent)
{
    if (c->ids_on) {
        char *tp = r->traceparent;
        memcpy(tp, "00-", 3);
        if (parent && parent->traceparent[0]) {
            memcpy(tp + 3, parent->traceparent + 3, 32);
            memcpy(tp + 53, parent->traceparent + 53, 2);
        } else if (c->has_tp) {
            memcpy(tp + 3, c->tp_trace, 32);
            memcpy(tp + 53, c->tp_flags, 2);
        } else {
            hex(tp + 3, rnd_nonzero(c, 16), 16);
            memcpy(tp + 53, "01", 2);
        }
        tp[35] = '-';
        hex(tp + 36, rnd_nonzero(c, 8), 8);
        tp[52] = '-';
        tp[55] = '\0';
    }
    if (!c->tracing)
        return 0;
    sekha__trace_req *tr = calloc(1, sizeof *tr);
    if (!tr)
        return -1;
    tr->start_us = sekha__trace_now_us();
    tr->first_event_us = -1;
    tr->dns = tr->connect = tr->tls = tr->ttfb = tr->total = -1;
    r->tr = tr;
    return 0;
}

static double us_ms(curl_off_t us)
{
    return (double)us / 1000.0;
}

void sekha__trace_capture(sekha_request *r, int rc)
{
    sekha__trace_req *tr = r->tr;
    if (!tr || tr->captured)
        return;
    tr->captured = 1;
    tr->emitted = 0;
    tr->rc = rc;
    tr->status = r->resp.status;
    tr->sent = tr->received = 0;
    tr->dns = tr->connect = tr->tls = tr->ttfb = tr->total = -1;
    if (!r->easy)
        return;
    CURL *e = r->easy;
    long status = 0, req_size = 0, hdr_size = 0;
    curl_off_t down = 0, t_dns = 0, t_conn = 0, t_tls = 0, t_fb = 0, t_total = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &req_size);
    curl_easy_getinfo(e, CURLINFO_HEADER_SIZE, &hdr_size);
    curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &down);
    curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &t_dns);
    curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &t_conn);
    curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &t_tls);
    curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &t_fb);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &t_total);
    if (status > 0)
        tr->status = (int)status;
    tr->sent = req_size;
    tr->received = (int64_t)hdr_size + (int64_t)down;
    tr->sent_sum += tr->sent;
    tr->received_sum += tr->received;
    tr->dns = us_ms(t_dns);
    tr->connect = us_ms(t_conn);
    tr->tls = t_tls > 0 ? us_ms(t_tls) : -1;
    tr->ttfb = t_fb > 0 && tr->status > 0 ? us_ms(t_fb) : -1;
    tr->total = us_ms(t_total);
}

void sekha__trace_first_event(sekha_request *r)
{
    if (r->tr && r->tr->first_event_us < 0)
        r->tr->first_event_us = sekha__trace_now_us();
}

/* ---- events ---- */

static const char *path_of(const sekha_request *r)
{
    if (!r->method || !r->url)
        return r->what ? r->what : "";
    const char *p = strstr(r->url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : "/";
}

/* Why an attempt that ended with rc / status is retried. */
static const char *retry_reason(const sekha__trace_req *tr, char *buf, size_t len)
{
    switch (tr->rc) {
    case CURLE_OK:
        snprintf(buf, len, "HTTP %d", tr->status);
        return buf;
    case CURLE_OPERATION_TIMEDOUT:
        return "timed out";
    case CURLE_COULDNT_CONNECT:
        return "connection refused";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return "could not resolve host";
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return "HTTP/2 error";
    default:
        return "connection lost";
    }
}

static void event_init(sekha_trace_event *ev, sekha_trace_kind kind, sekha_request *r)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->r = r;
    ev->tr = r->tr;
    ev->delay_ms = -1;
    if (r->traceparent[0]) {
        memcpy(ev->trace_id, r->traceparent + 3, 32);
        memcpy(ev->span_id, r->traceparent + 36, 16);
    }
    ev->path = path_of(r);
}

static void deliver(sekha_request *r, sekha_trace_event *ev)
{
    sekha_client *c = r->client;
    SEKHA__USER_CB(c, c->opts->trace_fn(ev, c->opts->trace_ud));
}

/* The attempt's own failure, when it is retried (the final one is r->err). */
static void attempt_error(const sekha__trace_req *tr, sekha_code *code, sekha_layer *layer)
{
    if (tr->rc != CURLE_OK) {
        *code = tr->rc < 0 ? SEKHA_E_CANCELLED : sekha__code_for_curl(tr->rc);
        *layer = SEKHA_LAYER_TRANSPORT;
    } else if (tr->status >= 400) {
        *code = sekha__code_for_status(tr->status);
        *layer = SEKHA_LAYER_HTTP;
    } else {
        *code = SEKHA_OK;
        *layer = SEKHA_LAYER_NONE;
    }
}

static const char *transport_message(const sekha_request *r, const sekha__trace_req *tr)
{
    if (tr->rc > 0)
        return r->errbuf[0] ? r->errbuf : curl_easy_strerror((CURLcode)tr->rc);
    if (r->err && r->err->message)
        return r->err->message;
    return "the request was ended before its response";
}

/* Reports the captured attempt once: its cassette line and its ATTEMPT event. */
static void report_attempt(sekha_request *r, const char *reason, int64_t delay_ms)
{
    sekha__trace_req *tr = r->tr;
    if (!tr || !tr->captured || tr->emitted)
        return;
    tr->emitted = 1;
    sekha_client *c = r->client;
    if (c->record_fd >= 0) {
        /* a stream the library ended (STOP, cancel) keeps what arrived: a replay can
         * serve it; any other cut answer is a transport failure */
        int answered = tr->status > 0 && (tr->rc == CURLE_OK || (tr->rc < 0 && r->is_sse));
        sekha__record_attempt(r, answered ? NULL : transport_message(r, tr));
    }
    if (!c->opts->trace_fn)
        return;
    sekha_trace_event ev;
    event_init(&ev, SEKHA_TRACE_ATTEMPT, r);
    ev.reason = reason;
    ev.delay_ms = reason ? delay_ms : -1;
    ev.total_ms = tr->total;
    if (reason || !r->err) {
        attempt_error(tr, &ev.code, &ev.layer);
        if (!reason && ev.layer == SEKHA_LAYER_HTTP && tr->status < 400) {
            ev.code = SEKHA_OK;
            ev.layer = SEKHA_LAYER_NONE;
        }
    } else {
        ev.code = r->err->code;
        ev.layer = r->err->layer;
    }
    deliver(r, &ev);
}

void sekha__trace_retry(sekha_request *r, int64_t delay_ms)
{
    if (!r->tr)
        return;
    char buf[32];
    report_attempt(r, retry_reason(r->tr, buf, sizeof buf), delay_ms);
    r->tr->rate_wait = 0;
}

void sekha__trace_end(sekha_request *r)
{
    sekha__trace_req *tr = r->tr;
    if (!tr)
        return;
    report_attempt(r, NULL, -1);
    if (!r->client->opts->trace_fn)
        return;
    sekha_trace_event ev;
    event_init(&ev, SEKHA_TRACE_END, r);
    ev.total_ms = (double)(sekha__trace_now_us() - tr->start_us) / 1000.0;
    if (r->err) {
        ev.code = r->err->code;
        ev.layer = r->err->layer;
        ev.error = r->err->message;
    }
    deliver(r, &ev);
}

/* ---- accessors ---- */

sekha_trace_kind sekha_trace_event_kind(const sekha_trace_event *ev)
{
    return ev ? ev->kind : SEKHA_TRACE_ATTEMPT;
}

sekha_service sekha_trace_event_service(const sekha_trace_event *ev)
{
    return ev ? ev->r->service : SEKHA_SERVICE_CONTROLLER;
}

const char *sekha_trace_event_method(const sekha_trace_event *ev)
{
    return ev && ev->r->method ? ev->r->method : "";
}

const char *sekha_trace_event_path(const sekha_trace_event *ev)
{
    return ev ? ev->path : "";
}

uint64_t sekha_trace_event_request_id(const sekha_trace_event *ev)
{
    return ev ? ev->r->id : 0;
}

uint64_t sekha_trace_event_parent_id(const sekha_trace_event *ev)
{
    return ev ? ev->r->parent_id : 0;
}

const char *sekha_trace_event_trace_id(const sekha_trace_event *ev)
{
    return ev ? ev->trace_id : "";
}

const char *sekha_trace_event_span_id(const sekha_trace_event *ev)
{
    return ev ? ev->span_id : "";
}

int sekha_trace_event_attempt(const sekha_trace_event *ev)
{
    return ev ? ev->r->attempts : 0;
}

int sekha_trace_event_status(const sekha_trace_event *ev)
{
    if (!ev)
        return 0;
    return ev->tr->captured ? ev->tr->status : ev->r->resp.status;
}

int64_t sekha_trace_event_bytes_sent(const sekha_trace_event *ev)
{
    return !ev ? 0 : ev->kind == SEKHA_TRACE_END ? ev->tr->sent_sum : ev->tr->sent;
}

int64_t sekha_trace_event_bytes_received(const sekha_trace_event *ev)
{
    return !ev ? 0 : ev->kind == SEKHA_TRACE_END ? ev->tr->received_sum : ev->tr->received;
}

double sekha_trace_event_dns_ms(const sekha_trace_event *ev)
{
    return ev ? ev->tr->dns : -1;
}

double sekha_trace_event_connect_ms(const sekha_trace_event *ev)
{
    return ev ? ev->tr->connect : -1;
}

double sekha_trace_event_tls_ms(const sekha_trace_event *ev)
{
    return ev ? ev->tr->tls : -1;
}

double sekha_trace_event_ttfb_ms(const sekha_trace_event *ev)
{
    return ev ? ev->tr->ttfb : -1;
}

double sekha_trace_event_total_ms(const sekha_trace_event *ev)
{
    return ev ? ev->total_ms : -1;
}

const char *sekha_trace_event_retry_reason(const sekha_trace_event *ev)
{
    return ev ? ev->reason : NULL;
}

int64_t sekha_trace_event_retry_delay_ms(const sekha_trace_event *ev)
{
    return ev ? ev->delay_ms : -1;
}

int64_t sekha_trace_event_rate_wait_ms(const sekha_trace_event *ev)
{
    return !ev ? 0 : ev->kind == SEKHA_TRACE_END ? ev->tr->rate_wait_sum : ev->tr->rate_wait;
}

sekha_layer sekha_trace_event_error_layer(const sekha_trace_event *ev)
{
    return ev ? ev->layer : SEKHA_LAYER_NONE;
}

sekha_code sekha_trace_event_error_code(const sekha_trace_event *ev)
{
    return ev ? ev->code : SEKHA_OK;
}

double sekha_trace_event_first_event_ms(const sekha_trace_event *ev)
{
    if (!ev || ev->tr->first_event_us < 0)
        return -1;
    return (double)(ev->tr->first_event_us - ev->tr->start_us) / 1000.0;
}

int64_t sekha_trace_event_event_count(const sekha_trace_event *ev)
{
    return ev ? ev->r->events_delivered : 0;
}

static int put_key(sekha_buf *b, const char *key)
{
    return sekha__buf_puts(b, ",\"") | sekha__buf_puts(b, key) | sekha__buf_puts(b, "\":");
}

static int put_str(sekha_buf *b, const char *key, const char *v)
{
    if (put_key(b, key) != 0)
        return -1;
    if (!v)
        return sekha__buf_puts(b, "null");
    if (sekha__jw_string(b, v) == 0)
        return 0;
    char *fixed = sekha__utf8_repair(v); /* a server's words may not be UTF-8 */
    int rc = fixed ? sekha__jw_string(b, fixed) : -1;
    free(fixed);
    return rc;
}

static int put_int(sekha_buf *b, const char *key, int64_t v)
{
    return put_key(b, key) | sekha__jw_long(b, (long)v);
}

static int put_ms(sekha_buf *b, const char *key, double v)
{
    return put_key(b, key) | sekha__jw_double(b, v < 0 ? -1 : v);
}

const char *sekha_trace_event_json(const sekha_trace_event *ev)
{
    if (!ev)
        return NULL;
    if (ev->json)
        return ev->json;
    sekha_client *c = ev->r->client;
    sekha_buf *b = &c->trace_buf;
    sekha__buf_clear(b);
    int rc = sekha__buf_puts(b, ev->kind == SEKHA_TRACE_END ? "{\"kind\":\"end\"" : "{\"kind\":\"attempt\"");
    rc |= put_str(b, "service", sekha_service_name(sekha_trace_event_service(ev)));
    rc |= put_str(b, "method", sekha_trace_event_method(ev));
    rc |= put_str(b, "path", ev->path);
    rc |= put_int(b, "request_id", (int64_t)ev->r->id);
    rc |= put_int(b, "parent_id", (int64_t)ev->r->parent_id);
    rc |= put_str(b, "trace_id", ev->trace_id);
    rc |= put_str(b, "span_id", ev->span_id);
    rc |= put_int(b, "attempt", sekha_trace_event_attempt(ev));
    rc |= put_int(b, "status", sekha_trace_event_status(ev));
    rc |= put_int(b, "bytes_sent", sekha_trace_event_bytes_sent(ev));
    rc |= put_int(b, "bytes_received", sekha_trace_event_bytes_received(ev));
    rc |= put_ms(b, "dns_ms", ev->tr->dns);
    rc |= put_ms(b, "connect_ms", ev->tr->connect);
    rc |= put_ms(b, "tls_ms", ev->tr->tls);
    rc |= put_ms(b, "ttfb_ms", ev->tr->ttfb);
    rc |= put_ms(b, "total_ms", ev->total_ms);
    rc |= put_str(b, "retry_reason", ev->reason);
    rc |= put_int(b, "retry_delay_ms", ev->delay_ms);
    rc |= put_int(b, "rate_wait_ms", sekha_trace_event_rate_wait_ms(ev));
    rc |= put_str(b, "error_layer", sekha_layer_name(ev->layer));
    rc |= put_int(b, "error_code", ev->code);
    if (ev->error)
        rc |= put_str(b, "error", ev->error);
    rc |= put_ms(b, "first_event_ms", sekha_trace_event_first_event_ms(ev));
    rc |= put_int(b, "event_count", sekha_trace_event_event_count(ev));
    rc |= sekha__buf_puts(b, "}");
    if (rc != 0 || sekha__redact(c, b) != 0)
        return NULL;
    ((sekha_trace_event *)ev)->json = b->data; /* the event lives on our stack */
    return b->data;
}
