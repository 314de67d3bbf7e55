/* The fault matrix over loopback: each injected fault, for plain requests and for SSE
 * streams, must end in exactly one final callback with the right layer, code and attempt
 * count, and leave no file descriptor behind. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(fault_matrix, .init = setup, .fini = teardown, .timeout = 120);

typedef struct fault_case {
    const char *name;
    const char *method;        /* GET or POST */
    const char *path;
    const char *rule_path;     /* where the rule applies */
    const char *steps;         /* JSON array of fault steps */
    unsigned flags;            /* SEKHA_HTTP_* */
    long timeout_ms;           /* request (or stream idle) timeout for this case */
    size_t max_body;           /* 0 = default */
    sekha_code code;
    sekha_layer layer;
    int attempts;
    int server_hits;           /* requests that reached the server, -1 = don't check */
} fault_case;

#define ECHO "/_devserver/echo"
#define SSE "/_devserver/sse?count=20&size=50"

static const fault_case plain_cases[] = {
    {"refused", "GET", NULL, NULL, NULL, 0, 0, 0, SEKHA_E_CONNECT, SEKHA_LAYER_TRANSPORT, 3, -1},
    {"close before status, GET retried", "GET", ECHO, ECHO, "[{\"close\":\"before_status\"},{\"pass\":true}]", 0, 0, 0,
     SEKHA_OK, SEKHA_LAYER_NONE, 2, 2},
    {"close before status, POST unknown", "POST", ECHO, ECHO, "[{\"close\":\"before_status\"}]", 0, 0, 0,
     SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT, 1, 1},
    {"close mid headers, GET exhausts", "GET", ECHO, ECHO,
     "[{\"close\":\"mid_headers\"},{\"close\":\"mid_headers\"},{\"close\":\"mid_headers\"}]", 0, 0, 0,
     SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT, 3, 3},
    {"close mid body, GET retried", "GET", ECHO, ECHO, "[{\"close\":\"mid_body\"},{\"pass\":true}]", 0, 0, 0,
     SEKHA_OK, SEKHA_LAYER_NONE, 2, 2},
    {"stored then reset, POST not re-sent", "POST", ECHO, ECHO, "[{\"close\":\"after_handling\"},{\"pass\":true}]", 0,
     0, 0, SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT, 1, 1},
    {"stall past the timeout", "GET", ECHO, ECHO, "[{\"stall\":true},{\"stall\":true},{\"stall\":true}]", 0, 200, 0,
     SEKHA_E_TIMEOUT, SEKHA_LAYER_TRANSPORT, 3, 3},
    {"trickle one byte per write", "GET", ECHO, ECHO, "[{\"pass\":true,\"chunk_size\":1}]", 0, 0, 0, SEKHA_OK,
     SEKHA_LAYER_NONE, 1, 1},
    {"429 without Retry-After then ok", "POST", ECHO, ECHO, "[{\"status\":429,\"body\":\"Rate limit exceeded. Please try again later.\",\"content_type\":\"text/plain\"},{\"pass\":true}]",
     0, 0, 0, SEKHA_OK, SEKHA_LAYER_NONE, 2, 2},
    {"429 with Retry-After seconds then ok", "GET", ECHO, ECHO, "[{\"status\":429,\"retry_after\":\"0\"},{\"pass\":true}]", 0,
     0, 0, SEKHA_OK, SEKHA_LAYER_NONE, 2, 2},
    {"429 with a past HTTP-date then ok", "GET", ECHO, ECHO,
     "[{\"status\":429,\"retry_after\":\"Wed, 21 Oct 2015 07:28:00 GMT\"},{\"pass\":true}]", 0, 0, 0, SEKHA_OK,
     SEKHA_LAYER_NONE, 2, 2},
    {"5xx burst longer than the retries", "GET", ECHO, ECHO,
     "[{\"status\":502},{\"status\":503},{\"status\":504},{\"status\":500},{\"pass\":true}]", 0, 0, 0, SEKHA_E_SERVER,
     SEKHA_LAYER_HTTP, 3, 3},
    {"4xx is final", "GET", ECHO, ECHO, "[{\"status\":422,\"body\":\"missing field `folder`\",\"content_type\":\"text/plain\"}]",
     0, 0, 0, SEKHA_E_VALIDATION, SEKHA_LAYER_HTTP, 1, 1},
    {"body over the limit", "POST", ECHO, NULL, NULL, 0, 0, 2048, SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT, 1, -1},
    {"redirect loop", "GET", ECHO, ECHO, "[{\"redirect_loop\":true}]", 0, 0, 0, SEKHA_E_REDIRECT, SEKHA_LAYER_HTTP, 1,
     -1},
};

static const fault_case stream_cases[] = {
    {"stream: close before status, retried", "GET", SSE, "/_devserver/sse", "[{\"close\":\"before_status\"},{\"pass\":true}]",
     SEKHA_HTTP_STREAM, 0, 0, SEKHA_OK, SEKHA_LAYER_NONE, 2, 2},
    {"stream: 503 before the first event, retried", "GET", SSE, "/_devserver/sse", "[{\"status\":503},{\"pass\":true}]",
     SEKHA_HTTP_STREAM, 0, 0, SEKHA_OK, SEKHA_LAYER_NONE, 2, 2},
    {"stream: cut mid-stream is not retried", "GET", SSE, "/_devserver/sse", "[{\"pass\":true,\"truncate_after\":3}]",
     SEKHA_HTTP_STREAM, 0, 0, SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT, 1, 1},
    {"stream: truncated event", "GET", SSE, "/_devserver/sse", "[{\"pass\":true,\"cut_mid_event\":true,\"clean_close\":true}]",
     SEKHA_HTTP_STREAM, 0, 0, SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT, 1, 1},
    {"stream: one byte per write", "GET", SSE, "/_devserver/sse", "[{\"pass\":true,\"chunk_size\":1}]", SEKHA_HTTP_STREAM,
     0, 0, SEKHA_OK, SEKHA_LAYER_NONE, 1, 1},
    {"stream: stalls past the idle timeout", "GET", SSE, "/_devserver/sse",
     "[{\"pass\":true,\"endless\":true,\"chunk_delay_ms\":3000}]", SEKHA_HTTP_STREAM, 200, 0, SEKHA_E_TIMEOUT,
     SEKHA_LAYER_TRANSPORT, 1, 1},
    {"stream: event over the limit", "GET", SSE, "/_devserver/sse", "[{\"pass\":true,\"event_bytes\":200000}]",
     SEKHA_HTTP_STREAM, 0, 4096, SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT, 1, 1},
};

typedef struct outcome {
    int calls;
    sekha_code code;
    sekha_layer layer;
    int attempts;
} outcome;

static void on_done(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    (void)resp;
    outcome *o = ud;
    o->calls++;
    o->code = sekha_error_code(err);
    o->layer = sekha_error_layer(err);
    o->attempts = sekha_request_attempts(req);
}

static int on_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    (void)ev;
    (void)ud;
    return SEKHA_EVENT_CONTINUE;
}

static void run_case(const fault_case *fc)
{
    cr_assert_eq(ds_proc_clear_faults(&ds), 0);
    if (fc->steps) {
        char rule[2048];
        snprintf(rule, sizeof rule, "{\"path\":\"%s\",\"steps\":%s}", fc->rule_path, fc->steps);
        cr_assert_eq(ds_proc_fault(&ds, ds.controller_url, rule), 0, "%s: rule rejected", fc->name);
    }
    long hits_before = fc->rule_path ? ds_proc_count(&ds, ds.controller_url, fc->rule_path) : 0;
    int fds_before = fd_count();
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retries(o, 2), SEKHA_OK);
    if (!fc->path)
        cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, "http://127.0.0.1:1"), SEKHA_OK);
    if (fc->timeout_ms) {
        cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, fc->timeout_ms), SEKHA_OK);
        cr_assert_eq(sekha_options_set_stream_idle_timeout_ms(o, fc->timeout_ms), SEKHA_OK);
    }
    if (fc->max_body) {
        cr_assert_eq(sekha_options_set_max_response_bytes(o, fc->max_body), SEKHA_OK);
        cr_assert_eq(sekha_options_set_max_event_bytes(o, fc->max_body), SEKHA_OK);
    }
    sekha_client *c = test_client(o);
    static char big[8192];
    memset(big, 'x', sizeof big);
    int post = strcmp(fc->method, "POST") == 0;
    outcome out = {0};
    char line[512];
    snprintf(line, sizeof line, "%s %s", fc->method, fc->path ? fc->path : "/health");
    sekha_params *p = sekha_params_new();
    if (post) {
        cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "text/plain"), SEKHA_OK);
        cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, big, sizeof big), SEKHA_OK);
    }
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, fc->flags), SEKHA_OK);
    if (fc->flags & SEKHA_HTTP_STREAM)
        cr_assert_eq(sekha_params_set_on_event(p, on_event, &out), SEKHA_OK);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, line, p, on_done, &out);
    sekha_params_free(p);
    sekha_client_run(c);
    sekha_client_free(c);
    sekha_options_free(o);
    cr_expect_eq(out.calls, 1, "%s: %d final callbacks", fc->name, out.calls);
    cr_expect_eq(out.code, fc->code, "%s: code %d (%s), expected %d", fc->name, out.code,
                 sekha_strerror(out.code), fc->code);
    cr_expect_eq(out.layer, fc->layer, "%s: layer %s", fc->name, sekha_layer_name(out.layer));
    cr_expect_eq(out.attempts, fc->attempts, "%s: %d attempts, expected %d", fc->name, out.attempts, fc->attempts);
    if (fc->server_hits >= 0)
        cr_expect_eq(ds_proc_count(&ds, ds.controller_url, fc->rule_path) - hits_before, fc->server_hits,
                     "%s: server saw %ld requests", fc->name,
                     ds_proc_count(&ds, ds.controller_url, fc->rule_path) - hits_before);
    cr_expect_eq(fd_count(), fds_before, "%s: file descriptors leaked", fc->name);
}

Test(fault_matrix, plain_requests)
{
    for (size_t i = 0; i < sizeof plain_cases / sizeof *plain_cases; i++)
        run_case(&plain_cases[i]);
}

Test(fault_matrix, sse_streams)
{
    for (size_t i = 0; i < sizeof stream_cases / sizeof *stream_cases; i++)
        run_case(&stream_cases[i]);
}
