/* Trace events, W3C trace context and the cassette, against sekha-devserver: a retried 503
 * gives one ATTEMPT per attempt with the retry's reason and delay and then one END; a
 * workflow's stages name it as parent and share its trace id; every request carries a
 * traceparent header (unless turned off) that keeps a caller's trace id; no API key ever
 * reaches an event or the cassette; a query and a stream are recorded as the expected
 * lines. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "testutil.h"

#define CKEY "ctl-secret-key-0123456789abcdef"
#define BKEY "bridge-secret-key-fedcba9876543210"

static ds_proc ds;

TestSuite(trace, .timeout = 60);

/* ---- what the callback saw, copied out of the lent events ---- */

#define MAX_EV 64

typedef struct seen {
    sekha_trace_kind kind;
    sekha_service service;
    char method[8];
    char path[128];
    uint64_t id, parent;
    char trace_id[33], span_id[17];
    int attempt, status;
    char reason[64];
    int has_reason;
    int64_t delay_ms, sent, received, events;
    double ttfb_ms, total_ms, first_event_ms;
    sekha_code code;
    sekha_layer layer;
    char *json;
} seen;

typedef struct log {
    seen ev[MAX_EV];
    int n;
} log;

static void on_trace(const sekha_trace_event *ev, void *ud)
{
    log *l = ud;
    cr_assert_lt(l->n, MAX_EV);
    seen *s = &l->ev[l->n++];
    s->kind = sekha_trace_event_kind(ev);
    s->service = sekha_trace_event_service(ev);
    snprintf(s->method, sizeof s->method, "%s", sekha_trace_event_method(ev));
    snprintf(s->path, sizeof s->path, "%s", sekha_trace_event_path(ev));
    s->id = sekha_trace_event_request_id(ev);
    s->parent = sekha_trace_event_parent_id(ev);
    snprintf(s->trace_id, sizeof s->trace_id, "%s", sekha_trace_event_trace_id(ev));
    snprintf(s->span_id, sizeof s->span_id, "%s", sekha_trace_event_span_id(ev));
    s->attempt = sekha_trace_event_attempt(ev);
    s->status = sekha_trace_event_status(ev);
    const char *reason = sekha_trace_event_retry_reason(ev);
    s->has_reason = reason != NULL;
    snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : "");
    s->delay_ms = sekha_trace_event_retry_delay_ms(ev);
    s->sent = sekha_trace_event_bytes_sent(ev);
    s->received = sekha_trace_event_bytes_received(ev);
    s->events = sekha_trace_event_event_count(ev);
    s->ttfb_ms = sekha_trace_event_ttfb_ms(ev);
    s->total_ms = sekha_trace_event_total_ms(ev);
    s->first_event_ms = sekha_trace_event_first_event_ms(ev);
    s->code = sekha_trace_event_error_code(ev);
    s->layer = sekha_trace_event_error_layer(ev);
    const char *j = sekha_trace_event_json(ev);
    cr_assert_not_null(j);
    s->json = strdup(j);
}

static void log_free(log *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->ev[i].json);
    l->n = 0;
}

static sekha_options *opts_traced(log *l)
{
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_MCP, DS_DEV_KEY), SEKHA_OK);
    if (l)
        cr_assert_eq(sekha_options_set_trace(o, on_trace, l), SEKHA_OK);
    return o;
}

static sekha_client *client_of(sekha_options *o)
{
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hex_ok(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void query(sekha_client *c)
{
    sekha_error *err = NULL;
    sekha_search_results *res = NULL;
    sekha_code rc = sekha_controller_query_sync(c, "hello", NULL, &res, &err);
    cr_assert_eq(rc, SEKHA_OK, "query: %s", sekha_error_message(err));
    sekha_search_results_free(res);
}

/* The echo route's JSON answer (what the server received), parsed. */
static cJSON *echo(sekha_client *c)
{
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                         NULL, &resp, &err),
                 SEKHA_OK, "echo: %s", sekha_error_message(err));
    size_t n = 0;
    const char *body = sekha_response_body(resp, &n);
    cJSON *v = cJSON_ParseWithLength(body, n);
    cr_assert_not_null(v, "echo body: %.*s", (int)n, body);
    sekha_response_free(resp);
    return v;
}

static const char *echoed_header(const cJSON *v, const char *name)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(v, "headers");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(h, name);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* ---- reading a cassette ---- */

typedef struct lines {
    cJSON *v[32];
    int n;
    char *text;
} lines;

static void read_cassette(const char *path, lines *out)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    out->text = strdup(buf);
    out->n = 0;
    for (char *p = buf, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        cr_assert_not_null(nl, "every line ends with a newline");
        *nl = '\0';
        cr_assert_lt(out->n, 32);
        out->v[out->n] = cJSON_Parse(p);
        cr_assert_not_null(out->v[out->n], "line %d is not JSON: %.300s", out->n, p);
        out->n++;
    }
}

static void lines_free(lines *l)
{
    for (int i = 0; i < l->n; i++)
        cJSON_Delete(l->v[i]);
    free(l->text);
}

static const char *str_of(const cJSON *v, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* ---- attempts, retries, end ---- */

Test(trace, retried_503_gives_each_attempt_then_one_end)
{
    start_devserver(&ds, NULL);
    log l = {0};
    sekha_client *c = client_of(opts_traced(&l));
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "{\"path\":\"/api/v1/query\",\"steps\":[{\"status\":503}]}"),
                 0);
    query(c);
    cr_assert_eq(l.n, 3, "events: %d", l.n);
    seen *a1 = &l.ev[0], *a2 = &l.ev[1], *end = &l.ev[2];
    cr_assert_eq(a1->kind, SEKHA_TRACE_ATTEMPT);
    cr_assert_eq(a1->attempt, 1);
    cr_assert_eq(a1->status, 503);
    cr_assert_str_eq(a1->reason, "HTTP 503");
    cr_assert_geq(a1->delay_ms, 0);
    cr_assert_leq(a1->delay_ms, 50); /* the test options' backoff cap */
    cr_assert_eq(a1->layer, SEKHA_LAYER_HTTP);
    cr_assert_eq(a1->code, SEKHA_E_SERVER);
    cr_assert_gt(a1->sent, 0);
    cr_assert_gt(a1->received, 0);
    cr_assert_geq(a1->ttfb_ms, 0);
    cr_assert_str_eq(a1->method, "POST");
    cr_assert_str_eq(a1->path, "/api/v1/query");
    cr_assert_eq(a1->service, SEKHA_SERVICE_CONTROLLER);
    cr_assert_eq(a2->kind, SEKHA_TRACE_ATTEMPT);
    cr_assert_eq(a2->attempt, 2);
    cr_assert_eq(a2->status, 200);
    cr_assert_eq(a2->has_reason, 0);
    cr_assert_eq(a2->delay_ms, -1);
    cr_assert_eq(a2->code, SEKHA_OK);
    cr_assert_eq(end->kind, SEKHA_TRACE_END);
    cr_assert_eq(end->attempt, 2);
    cr_assert_eq(end->status, 200);
    cr_assert_eq(end->code, SEKHA_OK);
    cr_assert_eq(end->sent, a1->sent + a2->sent);
    cr_assert_geq(end->total_ms, a1->total_ms);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(l.ev[i].id, a1->id);
        cr_assert_eq(l.ev[i].parent, 0);
        cr_assert(hex_ok(l.ev[i].trace_id, 32), "%s", l.ev[i].trace_id);
        cr_assert(hex_ok(l.ev[i].span_id, 16), "%s", l.ev[i].span_id);
        cr_assert_str_eq(l.ev[i].trace_id, a1->trace_id);
        cr_assert_str_eq(l.ev[i].span_id, a1->span_id);
        cJSON *v = cJSON_Parse(l.ev[i].json);
        cr_assert_not_null(v, "%s", l.ev[i].json);
        cr_assert_str_eq(cJSON_GetObjectItem(v, "kind")->valuestring, i < 2 ? "attempt" : "end");
        cr_assert_eq(cJSON_GetObjectItem(v, "status")->valueint, l.ev[i].status);
        cr_assert_str_eq(cJSON_GetObjectItem(v, "trace_id")->valuestring, a1->trace_id);
        cJSON_Delete(v);
    }
    cr_assert(strstr(a1->json, "\"retry_reason\":\"HTTP 503\""), "%s", a1->json);
    /* a second call is a new trace */
    query(c);
    cr_assert_eq(l.n, 5);
    cr_assert_str_neq(l.ev[4].trace_id, a1->trace_id);
    cr_assert_gt(l.ev[4].id, a1->id);
    log_free(&l);
    sekha_client_free(c);
    ds_proc_stop(&ds);
}

Test(trace, transport_failure_is_an_attempt_with_its_reason)
{
    char url[64];
    test_closed_port_url(url, sizeof url);
    log l = {0};
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, url), SEKHA_OK);
    cr_assert_eq(sekha_options_set_backoff(o, 1, 5), SEKHA_OK);
    cr_assert_eq(sekha_options_set_max_retries(o, 1), SEKHA_OK);
    cr_assert_eq(sekha_options_set_trace(o, on_trace, &l), SEKHA_OK);
    char path[] = "/tmp/sekha-cassette-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(sekha_options_set_record(o, path), SEKHA_OK);
    sekha_client *c = client_of(o);
    sekha_error *err = NULL;
    cr_assert_neq(sekha_controller_query_sync(c, "x", NULL, NULL, &err), SEKHA_OK);
    cr_assert_eq(l.n, 3);
    cr_assert_str_eq(l.ev[0].reason, "connection refused");
    cr_assert_eq(l.ev[0].status, 0);
    cr_assert_eq(l.ev[0].layer, SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(l.ev[1].has_reason, 0);
    cr_assert_eq(l.ev[2].kind, SEKHA_TRACE_END);
    cr_assert_eq(l.ev[2].code, sekha_error_code(err));
    cr_assert(strstr(l.ev[2].json, "\"error\":"), "%s", l.ev[2].json);
    sekha_error_free(err);
    log_free(&l);
    sekha_client_free(c);
    /* no response: each attempt is recorded as status 0 with the transport's words */
    lines cas;
    read_cassette(path, &cas);
    cr_assert_eq(cas.n, 2, "%s", cas.text);
    for (int i = 0; i < cas.n; i++) {
        cr_assert_eq(cJSON_GetObjectItem(cas.v[i], "status")->valueint, 0);
        cr_assert_not_null(str_of(cas.v[i], "error"));
        cr_assert_gt(strlen(str_of(cas.v[i], "error")), 0);
        cr_assert_null(cJSON_GetObjectItem(cas.v[i], "body"));
        cr_assert_str_eq(str_of(cas.v[i], "path"), "/api/v1/query");
    }
    lines_free(&cas);
    unlink(path);
}

/* A trace callback may cancel the request it reports: the retry it announced does not
 * hold the cancel back for its delay. */
typedef struct cancel_ctx {
    log l;
    sekha_request *req;
    sekha_code code;
    int finals;
} cancel_ctx;

static void cancel_on_retry(const sekha_trace_event *ev, void *ud)
{
    cancel_ctx *t = ud;
    on_trace(ev, &t->l);
    if (sekha_trace_event_retry_reason(ev))
        sekha_request_cancel(t->req);
}

static void cancel_done(sekha_request *req, const sekha_error *err,
                        const sekha_search_results *res, void *ud)
{
    (void)req, (void)res;
    cancel_ctx *t = ud;
    t->code = sekha_error_code(err);
    t->finals++;
}

Test(trace, a_cancel_from_the_trace_callback_ends_the_request_promptly)
{
    start_devserver(&ds, NULL);
    static cancel_ctx t;
    memset(&t, 0, sizeof t);
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_trace(o, cancel_on_retry, &t), SEKHA_OK);
    sekha_client *c = client_of(o);
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "{\"path\":\"/api/v1/query\",\"steps\":[{\"status\":503,"
                               "\"retry_after\":30}]}"),
                 0);
    int64_t t0 = now_ms();
    t.req = sekha_controller_query(c, "x", NULL, cancel_done, &t);
    cr_assert_not_null(t.req);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_lt(now_ms() - t0, 10000, "the cancel waited for the 30 s Retry-After");
    cr_assert_eq(t.finals, 1);
    cr_assert_eq(t.code, SEKHA_E_CANCELLED);
    cr_assert_eq(t.l.n, 2);
    cr_assert_eq(t.l.ev[0].delay_ms, 30000);
    cr_assert_eq(t.l.ev[1].kind, SEKHA_TRACE_END);
    cr_assert_eq(t.l.ev[1].code, SEKHA_E_CANCELLED);
    log_free(&t.l);
    sekha_client_free(c);
    ds_proc_stop(&ds);
}

/* ---- workflows ---- */

Test(trace, workflow_stages_name_it_as_parent_and_share_its_trace)
{
    start_devserver(&ds, NULL);
    log l = {0};
    sekha_client *c = client_of(opts_traced(&l));
    sekha_answer *ans = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_complete_with_context_sync(c, "what did we say?", NULL, &ans,
                                                           &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    sekha_answer_free(ans);
    cr_assert_geq(l.n, 5, "events: %d", l.n);
    seen *root = &l.ev[l.n - 1]; /* the workflow ends after everything it started */
    cr_assert_eq(root->kind, SEKHA_TRACE_END);
    cr_assert_eq(root->parent, 0);
    cr_assert_str_eq(root->method, "");
    int children = 0, services = 0;
    for (int i = 0; i < l.n - 1; i++) {
        cr_assert_str_eq(l.ev[i].trace_id, root->trace_id, "event %d: %s", i, l.ev[i].json);
        cr_assert_neq(l.ev[i].id, root->id);
        cr_assert_str_neq(l.ev[i].span_id, root->span_id);
        if (l.ev[i].parent == root->id && l.ev[i].kind == SEKHA_TRACE_END)
            children++;
        if (l.ev[i].service == SEKHA_SERVICE_BRIDGE)
            services |= 2;
        if (l.ev[i].service == SEKHA_SERVICE_CONTROLLER)
            services |= 1;
    }
    cr_assert_geq(children, 2);
    cr_assert_eq(services, 3, "the stages reach both services");
    log_free(&l);
    sekha_client_free(c);
    ds_proc_stop(&ds);
}

/* ---- traceparent ---- */

Test(trace, traceparent_is_sent_when_a_trace_is_wanted_and_in_w3c_format)
{
    start_devserver(&ds, NULL);
    /* AUTO without a trace callback or parent: nobody collects the trace, nothing sent */
    sekha_client *c = client_of(opts_traced(NULL));
    cJSON *v = echo(c);
    cr_assert_null(echoed_header(v, "traceparent"));
    cJSON_Delete(v);
    sekha_client_free(c);

    sekha_options *o = opts_traced(NULL);
    cr_assert_eq(sekha_options_set_traceparent(o, SEKHA_TRACEPARENT_ALWAYS), SEKHA_OK);
    cr_assert_eq(sekha_options_set_traceparent(o, (sekha_traceparent_mode)7), SEKHA_E_INVALID_ARG);
    c = client_of(o);
    v = echo(c);
    const char *tp = echoed_header(v, "traceparent");
    cr_assert_not_null(tp, "no traceparent");
    cr_assert_eq(strlen(tp), 55, "%s", tp);
    cr_assert_eq(strncmp(tp, "00-", 3), 0, "%s", tp);
    char trace[33], span[17];
    memcpy(trace, tp + 3, 32), trace[32] = '\0';
    memcpy(span, tp + 36, 16), span[16] = '\0';
    cr_assert(hex_ok(trace, 32) && hex_ok(span, 16), "%s", tp);
    cr_assert_eq(tp[35], '-');
    cr_assert_eq(tp[52], '-');
    cr_assert_str_eq(tp + 52, "-01");
    cJSON *w = echo(c);
    cr_assert_str_neq(echoed_header(w, "traceparent"), tp, "a new trace per call");
    cJSON_Delete(v);
    cJSON_Delete(w);
    sekha_client_free(c);

    /* AUTO with a trace callback: sent; NEVER: not even then */
    log l = {0};
    c = client_of(opts_traced(&l));
    v = echo(c);
    cr_assert_not_null(echoed_header(v, "traceparent"));
    cJSON_Delete(v);
    sekha_client_free(c);
    log_free(&l);
    o = opts_traced(&l);
    cr_assert_eq(sekha_options_set_traceparent(o, SEKHA_TRACEPARENT_NEVER), SEKHA_OK);
    c = client_of(o);
    v = echo(c);
    cr_assert_null(echoed_header(v, "traceparent"));
    cJSON_Delete(v);
    sekha_client_free(c);
    log_free(&l);
    ds_proc_stop(&ds);
}

Test(trace, a_callers_parent_keeps_its_trace_id)
{
    start_devserver(&ds, NULL);
    log l = {0};
    sekha_client *c = client_of(opts_traced(&l));
    const char *parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    cr_assert_eq(sekha_client_set_trace_parent(c, parent), SEKHA_OK);
    cJSON *v = echo(c);
    const char *tp = echoed_header(v, "traceparent");
    cr_assert_not_null(tp);
    cr_assert_eq(strncmp(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36), 0, "%s", tp);
    cr_assert_neq(strncmp(tp + 36, "00f067aa0ba902b7", 16), 0, "a span of our own: %s", tp);
    cr_assert_str_eq(tp + 52, "-00", "the caller's flags: %s", tp);
    cr_assert_str_eq(l.ev[l.n - 1].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    cr_assert_eq(strncmp(tp + 36, l.ev[l.n - 1].span_id, 16), 0);
    cJSON_Delete(v);

    static const char *const bad[] = {
        "",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* version */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span id */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* uppercase */
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  /* short */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(sekha_client_set_trace_parent(c, bad[i]), SEKHA_E_INVALID_ARG, "%s", bad[i]);
    cr_assert_eq(sekha_client_set_trace_parent(NULL, parent), SEKHA_E_INVALID_ARG);
    /* a refused value changed nothing */
    v = echo(c);
    cr_assert_eq(strncmp(echoed_header(v, "traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36),
                 0);
    cJSON_Delete(v);
    /* NULL: a new trace id per call again */
    cr_assert_eq(sekha_client_set_trace_parent(c, NULL), SEKHA_OK);
    v = echo(c);
    cr_assert_neq(strncmp(echoed_header(v, "traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36),
                  0);
    cJSON_Delete(v);
    log_free(&l);
    sekha_client_free(c);
    ds_proc_stop(&ds);
}

/* ---- the cassette ---- */

static int events_seen;

static int on_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req, (void)ev, (void)ud;
    events_seen++;
    return SEKHA_EVENT_CONTINUE;
}

Test(trace, a_query_and_a_stream_are_recorded)
{
    start_devserver(&ds, NULL);
    char path[] = "/tmp/sekha-cassette-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    log tl = {0};
    sekha_options *o = opts_traced(&tl);
    cr_assert_eq(sekha_options_set_record(o, path), SEKHA_OK);
    sekha_client *c = client_of(o);
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "{\"path\":\"/api/v1/query\",\"steps\":[{\"status\":503,"
                               "\"retry_after\":0}]}"),
                 0);
    query(c);
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "{\"path\":\"/_devserver/sse\",\"steps\":[{\"chunk_size\":40,"
                               "\"chunk_delay_ms\":20}]}"),
                 0);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_on_event(p, on_event, NULL), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_STREAM), SEKHA_OK);
    sekha_error *err = NULL;
    events_seen = 0;
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER,
                                         "GET /_devserver/sse?count=4&size=30", p, NULL, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    sekha_params_free(p);
    cr_assert_geq(events_seen, 4);
    sekha_client_free(c); /* closes the file */
    /* the stream's end reports its events and when the first came */
    seen *end = &tl.ev[tl.n - 1];
    cr_assert_eq(end->kind, SEKHA_TRACE_END);
    cr_assert_str_eq(end->path, "/_devserver/sse?count=4&size=30");
    cr_assert_eq(end->events, events_seen);
    cr_assert_geq(end->first_event_ms, 0);
    cr_assert_leq(end->first_event_ms, end->total_ms);
    cr_assert_eq(tl.ev[0].kind, SEKHA_TRACE_ATTEMPT);
    cr_assert_eq(tl.ev[0].first_event_ms, -1, "not a stream");
    log_free(&tl);

    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    lines l;
    read_cassette(path, &l);
    cr_assert_eq(l.n, 3, "%s", l.text);
    /* the 503, then the answer, in order */
    for (int i = 0; i < 2; i++) {
        cJSON *v = l.v[i];
        cr_assert_eq(cJSON_GetObjectItem(v, "v")->valueint, 1);
        cr_assert_str_eq(str_of(v, "service"), "controller");
        cr_assert_str_eq(str_of(v, "method"), "POST");
        cr_assert_str_eq(str_of(v, "path"), "/api/v1/query");
        cJSON *body = cJSON_Parse(str_of(v, "request_body"));
        cr_assert_not_null(body, "%s", str_of(v, "request_body"));
        cr_assert_str_eq(str_of(body, "query"), "hello");
        cJSON_Delete(body);
        cr_assert_eq(cJSON_GetObjectItem(v, "status")->valueint, i == 0 ? 503 : 200);
        cr_assert_not_null(str_of(v, "body"));
        cr_assert_eq(strncmp(str_of(v, "content_type"), "application/json", 16), 0);
    }
    cr_assert_str_eq(str_of(cJSON_GetObjectItem(l.v[0], "headers"), "retry-after"), "0");
    cJSON *res = cJSON_Parse(str_of(l.v[1], "body"));
    cr_assert_not_null(res);
    cJSON_Delete(res);
    /* the stream: raw bytes with their arrival times */
    cJSON *s = l.v[2];
    cr_assert_str_eq(str_of(s, "method"), "GET");
    cr_assert_str_eq(str_of(s, "path"), "/_devserver/sse?count=4&size=30");
    cr_assert_eq(cJSON_GetObjectItem(s, "status")->valueint, 200);
    cr_assert_eq(strncmp(str_of(s, "content_type"), "text/event-stream", 17), 0);
    cr_assert_null(cJSON_GetObjectItem(s, "body"));
    cJSON *chunks = cJSON_GetObjectItem(s, "stream");
    cr_assert(cJSON_IsArray(chunks));
    cr_assert_geq(cJSON_GetArraySize(chunks), 2);
    double last = -1;
    size_t total = 0;
    char all[8192] = "";
    cJSON *ch;
    cJSON_ArrayForEach(ch, chunks)
    {
        cr_assert_eq(cJSON_GetArraySize(ch), 2);
        double t = cJSON_GetArrayItem(ch, 0)->valuedouble;
        const char *raw = cJSON_GetArrayItem(ch, 1)->valuestring;
        cr_assert_geq(t, last);
        cr_assert_geq(t, 0);
        last = t;
        total += strlen(raw);
        cr_assert_lt(total, sizeof all);
        strcat(all, raw);
    }
    cr_assert_gt(last, 0, "chunks 20 ms apart have later times");
    int datas = 0;
    for (const char *q = all; (q = strstr(q, "data:")); q++)
        datas++;
    cr_assert_geq(datas, 4, "%s", all);
    lines_free(&l);
    unlink(path);
    ds_proc_stop(&ds);
}

Test(trace, an_unopenable_cassette_fails_the_client)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_record(o, "/nonexistent-dir/x/cassette.jsonl"), SEKHA_OK);
    cr_assert_eq(sekha_options_set_record(o, ""), SEKHA_E_INVALID_ARG);
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    cr_assert_null(c);
    cr_assert_not_null(err);
    cr_assert(strstr(sekha_error_message(err), "cassette"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_options_free(o);
}

/* ---- secrets ---- */

Test(trace, no_api_key_in_events_or_the_cassette)
{
    const char *const args[] = {"--api-key", CKEY, NULL};
    start_devserver(&ds, args);
    char path[] = "/tmp/sekha-cassette-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    log l = {0};
    sekha_options *o = opts_traced(&l);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, CKEY), SEKHA_OK);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_BRIDGE, BKEY), SEKHA_OK);
    cr_assert_eq(sekha_options_set_record(o, path), SEKHA_OK);
    sekha_client *c = client_of(o);
    query(c);
    /* the echo route answers with the Authorization header it got: the cassette must not
     * keep it */
    cJSON *v = echo(c);
    cr_assert_str_eq(echoed_header(v, "authorization"), "Bearer " CKEY);
    cJSON_Delete(v);
    sekha_answer *ans = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_complete_with_context_sync(c, "hello", NULL, &ans, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_answer_free(ans);
    sekha_mcp_data *stats = NULL;
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, &stats, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_mcp_data_free(stats);
    sekha_client_free(c);
    cr_assert_gt(l.n, 5);
    int mcp = 0;
    for (int i = 0; i < l.n; i++)
        mcp |= l.ev[i].service == SEKHA_SERVICE_MCP;
    cr_assert(mcp, "an MCP call was traced");
    for (int i = 0; i < l.n; i++) {
        cr_assert_null(strstr(l.ev[i].json, CKEY), "%s", l.ev[i].json);
        cr_assert_null(strstr(l.ev[i].json, BKEY), "%s", l.ev[i].json);
        cr_assert_null(strstr(l.ev[i].json, DS_DEV_KEY), "%s", l.ev[i].json);
    }
    lines cas;
    read_cassette(path, &cas);
    cr_assert_geq(cas.n, 4);
    cr_assert_null(strstr(cas.text, CKEY), "%s", cas.text);
    cr_assert_null(strstr(cas.text, BKEY));
    cr_assert_null(strstr(cas.text, DS_DEV_KEY));
    cr_assert_null(strstr(cas.text, "uthorization\":\"Bearer " CKEY));
    cr_assert(strstr(cas.text, "Bearer [REDACTED]"), "the echoed key was replaced: %s", cas.text);
    lines_free(&cas);
    log_free(&l);
    unlink(path);
    ds_proc_stop(&ds);
}
