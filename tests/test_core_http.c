/* The async core over real loopback HTTP: concurrency, retries, Retry-After, error layers,
 * timeouts, cancel, free, rate limiting, redaction. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/timers.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(core_http, .init = setup, .fini = teardown, .timeout = 60);

/* ---- a counting callback ---- */

typedef struct tally {
    int calls;
    int ok;
    int errors[128];
    int last_attempts;
    sekha_code last_code;
    sekha_layer last_layer;
    int last_status;
} tally;

static void count_cb(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    tally *t = ud;
    t->calls++;
    t->last_attempts = sekha_request_attempts(req);
    t->last_code = sekha_error_code(err);
    t->last_layer = sekha_error_layer(err);
    t->last_status = sekha_response_status(resp);
    if (!err)
        t->ok++;
    else if (sekha_error_code(err) < 128)
        t->errors[sekha_error_code(err)]++;
}

static sekha_code get_sync(sekha_client *c, const char *path, sekha_response **resp, sekha_error **err)
{
    char line[512];
    snprintf(line, sizeof line, "GET %s", path);
    return sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, line, NULL, resp, err);
}

/* POST "{}" as JSON to the echo route with these SEKHA_HTTP_* flags. */
static sekha_code post_json_sync(sekha_client *c, unsigned flags, sekha_error **err)
{
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "{}", 2), SEKHA_OK);
    if (flags)
        cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, flags), SEKHA_OK);
    sekha_code rc = sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "POST /_devserver/echo", p,
                                            NULL, err);
    sekha_params_free(p);
    return rc;
}

Test(core_http, sync_get_roundtrip_sends_user_agent_and_key)
{
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, "key-abcdefghijklmnopqrstuvwxyz012345"), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo?x=1", &resp, &err), SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_response_status(resp), 200);
    const char *body = sekha_response_body(resp, NULL);
    cr_assert_not_null(strstr(body, "libsekha/"), "user agent sent: %s", body);
    cr_assert_not_null(strstr(body, "Bearer key-abcdefghijklmnopqrstuvwxyz012345"), "auth sent: %s", body);
    cr_assert_not_null(sekha_response_header(resp, "content-type"));
    cr_assert_null(sekha_response_header(resp, "x-not-there"));
    sekha_response_free(resp);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, thousand_concurrent_requests_on_one_thread)
{
    int fds_before = fd_count();
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    tally t = {0};
    for (int i = 0; i < 1000; i++)
        cr_assert_not_null(sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                              NULL, count_cb, &t));
    cr_assert_eq(sekha_client_pending(c), 1000);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(t.calls, 1000);
    cr_assert_eq(t.ok, 1000, "errors: connect %d timeout %d lost %d", t.errors[SEKHA_E_CONNECT],
                 t.errors[SEKHA_E_TIMEOUT], t.errors[SEKHA_E_CONNECTION_LOST]);
    cr_assert_eq(sekha_client_pending(c), 0);
    sekha_client_free(c);
    sekha_options_free(o);
    cr_assert_eq(fd_count(), fds_before, "file descriptors leaked");
}

static void arm(const char *path, const char *steps)
{
    char *buf = malloc(strlen(path) + strlen(steps) + 64);
    sprintf(buf, "{\"path\":\"%s\",\"steps\":%s}", path, steps);
    cr_assert_eq(ds_proc_fault(&ds, ds.controller_url, buf), 0, "fault rule rejected: %s", buf);
    free(buf);
}

/* n copies of one step, as a JSON array */
static void arm_n(const char *path, const char *step, int n)
{
    char *steps = malloc((strlen(step) + 1) * (size_t)n + 3);
    char *p = steps;
    *p++ = '[';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : "", step);
    strcpy(p, "]");
    arm(path, steps);
    free(steps);
}

typedef struct log_capture {
    char text[65536];
    size_t len;
} log_capture;

static void capture_log(sekha_log_level level, const char *line, void *ud)
{
    (void)level;
    log_capture *lc = ud;
    size_t n = strlen(line);
    if (lc->len + n + 2 < sizeof lc->text) {
        memcpy(lc->text + lc->len, line, n);
        lc->len += n;
        lc->text[lc->len++] = '\n';
        lc->text[lc->len] = '\0';
    }
}

Test(core_http, retry_honours_retry_after_seconds)
{
    arm("/_devserver/echo", "[{\"status\":503,\"retry_after\":\"1\"},{\"pass\":true}]");
    sekha_options *o = test_options(&ds);
    log_capture lc = {0};
    cr_assert_eq(sekha_options_set_log(o, SEKHA_LOG_INFO, capture_log, &lc), SEKHA_OK);
    sekha_client *c = test_client(o);
    int64_t t0 = sekha__now_ms();
    tally t = {0};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, count_cb, &t);
    sekha_client_run(c);
    int64_t elapsed = sekha__now_ms() - t0;
    cr_assert_eq(t.ok, 1);
    cr_assert_eq(t.last_attempts, 2);
    cr_assert_geq(elapsed, 1000, "waited %lld ms, Retry-After said 1 s", (long long)elapsed);
    cr_assert_not_null(strstr(lc.text, "retrying in 1000 ms (Retry-After)"), "log:\n%s", lc.text);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 2);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, retry_after_http_date_and_cap)
{
    /* An HTTP-date far in the future exceeds the cap: no retry, the wait is reported. */
    arm("/_devserver/echo", "[{\"status\":429,\"retry_after\":\"Fri, 31 Dec 2100 23:59:59 GMT\"}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retry_after_ms(o, 2000), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", NULL, &err), SEKHA_E_RATE_LIMITED);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_HTTP);
    cr_assert_eq(sekha_error_attempts(err), 1);
    cr_assert_gt(sekha_error_retry_after_ms(err), 2000);
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, client_error_is_not_retried_and_is_http_layer)
{
    arm("/_devserver/echo", "[{\"status\":404,\"body\":\"{\\\"error\\\":\\\"Conversation not found\\\",\\\"code\\\":404}\",\"content_type\":\"application/json\"}]");
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", &resp, &err), SEKHA_E_NOT_FOUND);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_HTTP);
    cr_assert_eq(sekha_error_http_status(err), 404);
    cr_assert_eq(sekha_error_attempts(err), 1);
    cr_assert_str_eq(sekha_error_service_message(err), "Conversation not found");
    cr_assert_eq(sekha_response_status(resp), 404, "the HTTP error's response is handed back");
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 1);
    sekha_response_free(resp);
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, server_error_burst_longer_than_retries)
{
    arm("/_devserver/echo", "[{\"status\":500},{\"status\":502},{\"status\":503},{\"status\":504},{\"pass\":true}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retries(o, 2), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", NULL, &err), SEKHA_E_SERVER);
    cr_assert_eq(sekha_error_attempts(err), 3);
    cr_assert_eq(sekha_error_http_status(err), 503);
    cr_assert_not_null(strstr(sekha_error_message(err), "after 3 attempts"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, non_idempotent_post_retried_only_when_unprocessed)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    arm("/_devserver/echo", "[{\"status\":500},{\"pass\":true}]");
    cr_assert_eq(post_json_sync(c, 0, &err),
                 SEKHA_E_SERVER, "a 500 to a POST may have been processed: not re-sent");
    cr_assert_eq(sekha_error_attempts(err), 1);
    sekha_error_free(err);
    arm("/_devserver/echo", "[{\"status\":503},{\"pass\":true}]");
    cr_assert_eq(post_json_sync(c, 0, &err),
                 SEKHA_OK, "a 503 promises the POST was not processed");
    arm("/_devserver/echo", "[{\"status\":500},{\"pass\":true}]");
    cr_assert_eq(post_json_sync(c, SEKHA_HTTP_IDEMPOTENT, &err),
                 SEKHA_OK, "the caller marked it safe");
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, reset_after_handling_is_outcome_unknown_not_resent)
{
    arm("/_devserver/echo", "[{\"close\":\"after_handling\"},{\"pass\":true}]");
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    cr_assert_eq(post_json_sync(c, 0, &err),
                 SEKHA_E_OUTCOME_UNKNOWN, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(sekha_error_attempts(err), 1);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 1, "sent exactly once");
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, idempotent_get_retried_after_mid_body_close)
{
    arm("/_devserver/echo", "[{\"close\":\"mid_body\"},{\"pass\":true}]");
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    sekha_response *resp = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", &resp, &err), SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 2);
    sekha_response_free(resp);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, attempt_timeout_is_transport_timeout)
{
    arm("/_devserver/echo", "[{\"stall\":true}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, 300), SEKHA_OK);
    cr_assert_eq(sekha_options_set_max_retries(o, 0), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", NULL, &err), SEKHA_E_TIMEOUT);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(sekha_error_curl_code(err), CURLE_OPERATION_TIMEDOUT);
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, connection_refused_is_retried_then_reported)
{
    sekha_options *o = test_options(&ds);
    /* port 1 on loopback: nothing listens there */
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, "http://127.0.0.1:1"), SEKHA_OK);
    cr_assert_eq(sekha_options_set_max_retries(o, 2), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/health", NULL, &err), SEKHA_E_CONNECT);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(sekha_error_curl_code(err), CURLE_COULDNT_CONNECT);
    cr_assert_null(sekha_error_service_message(err), "no server said anything");
    cr_assert_eq(sekha_error_service_code(err), 0);
    cr_assert_eq(sekha_error_attempts(err), 3);
    cr_assert_eq(sekha_error_http_status(err), 0);
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, invalid_arguments_end_through_the_callback)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    tally t = {0};
    const char *inject[] = {"X-Ok: 1", "X-Bad: a\r\nX-Injected: 1", NULL};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_HEADERS, inject), SEKHA_OK);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", p, count_cb, &t);
    sekha_params_free(p);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /has space", NULL, count_cb, &t);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "BREW /x", NULL, count_cb, &t);
    cr_assert_eq(t.calls, 0, "never called from inside the starting call");
    sekha_client_run(c);
    cr_assert_eq(t.calls, 3);
    cr_assert_eq(t.errors[SEKHA_E_INVALID_ARG], 3);
    cr_assert_eq(t.last_layer, SEKHA_LAYER_LOCAL);
    cr_assert_eq(t.last_attempts, 0);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 0);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, local_rate_limit_spaces_requests)
{
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_CONTROLLER, 5, 1000), SEKHA_OK);
    sekha_client *c = test_client(o);
    tally t = {0};
    int64_t t0 = sekha__now_ms();
    for (int i = 0; i < 8; i++)
        sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, count_cb, &t);
    sekha_client_run(c);
    int64_t elapsed = sekha__now_ms() - t0;
    cr_assert_eq(t.ok, 8);
    /* 5 tokens at once, then one every 200 ms: the 8th cannot start before 600 ms */
    cr_assert_geq(elapsed, 600, "elapsed %lld ms", (long long)elapsed);
    sekha_client_free(c);
    sekha_options_free(o);
}

/* ---- cancel and free ---- */

Test(core_http, cancel_before_send_and_while_stalled)
{
    arm("/_devserver/echo", "[{\"stall\":true}]");
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    tally a = {0}, b = {0};
    sekha_request *stalled = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                                NULL, count_cb, &a);
    sekha_request *queued = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/other",
                                               NULL, count_cb, &b);
    sekha_request_cancel(queued);
    sekha_request_cancel(queued); /* twice is harmless */
    /* let the stalled one reach the server before cancelling it */
    while (ds_proc_count(&ds, ds.controller_url, "/_devserver/echo") < 1)
        sekha_client_poll(c, 10);
    sekha_request_cancel(stalled);
    sekha_client_run(c);
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.last_code, SEKHA_E_CANCELLED);
    cr_assert_eq(a.last_layer, SEKHA_LAYER_LOCAL);
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(b.last_code, SEKHA_E_CANCELLED);
    cr_assert_eq(b.last_attempts, 0);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/other"), 0);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, free_with_100_in_flight_gives_each_one_callback)
{
    int fds_before = fd_count();
    arm_n("/_devserver/echo", "{\"stall\":true}", 100);
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    tally t = {0};
    for (int i = 0; i < 100; i++)
        sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, count_cb, &t);
    /* some requests in flight at the server, the rest anywhere in between */
    while (ds_proc_count(&ds, ds.controller_url, "/_devserver/echo") < 50)
        sekha_client_poll(c, 10);
    sekha_client_free(c);
    cr_assert_eq(t.calls, 100);
    cr_assert_eq(t.errors[SEKHA_E_CLOSED], 100);
    sekha_options_free(o);
    cr_assert_eq(fd_count(), fds_before, "file descriptors leaked");
}

typedef struct reentry {
    sekha_client *c;
    sekha_code sync_rc;
    int freed_inside;
    int calls;
} reentry;

static void reenter_cb(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    (void)req; (void)err; (void)resp;
    reentry *r = ud;
    r->calls++;
    r->sync_rc = sekha_http_request_sync(r->c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                         NULL, NULL, NULL);
    cr_assert_eq(sekha_client_run(r->c), SEKHA_E_IN_CALLBACK);
    if (r->freed_inside) {
        sekha_client_free(r->c); /* deferred until the loop call returns */
        sekha_client_free(r->c); /* a second call is ignored */
    }
}

Test(core_http, sync_inside_callback_fails_fast_and_free_inside_is_deferred)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    reentry r = {.c = c};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, reenter_cb, &r);
    sekha_client_run(c);
    cr_assert_eq(r.sync_rc, SEKHA_E_IN_CALLBACK);
    reentry r2 = {.c = c, .freed_inside = 1};
    tally other = {0};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, reenter_cb, &r2);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/slow", NULL, count_cb, &other);
    arm("/_devserver/slow", "[{\"stall\":true}]");
    sekha_client_run(c); /* returns once the free completes */
    cr_assert_eq(r2.calls, 1);
    cr_assert_eq(other.calls, 1, "the other request still got its one callback");
    cr_assert_eq(other.last_code, SEKHA_E_CLOSED);
    sekha_options_free(o);
}

typedef struct canceller {
    sekha_client *c;
    uint64_t id;
} canceller;

static void *cancel_thread(void *arg)
{
    canceller *k = arg;
    sekha_client_cancel(k->c, k->id);
    return NULL;
}

Test(core_http, cancel_from_another_thread)
{
    arm("/_devserver/echo", "[{\"stall\":true}]");
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    tally t = {0};
    sekha_request *r = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                          NULL, count_cb, &t);
    canceller k = {c, sekha_request_id(r)};
    while (ds_proc_count(&ds, ds.controller_url, "/_devserver/echo") < 1)
        sekha_client_poll(c, 10);
    pthread_t th;
    pthread_create(&th, NULL, cancel_thread, &k);
    sekha_client_run(c); /* woken by the cancel, returns when the request ends */
    pthread_join(th, NULL);
    cr_assert_eq(t.calls, 1);
    cr_assert_eq(t.last_code, SEKHA_E_CANCELLED);
    sekha_client_cancel(c, k.id); /* a finished id is ignored */
    sekha_client_poll(c, 0);
    sekha_client_free(c);
    sekha_options_free(o);
}

static void *wake_thread(void *arg)
{
    sekha_client_wakeup(arg);
    return NULL;
}

Test(core_http, wakeup_ends_a_blocking_poll)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    pthread_t th;
    pthread_create(&th, NULL, wake_thread, c);
    cr_assert_eq(sekha_client_poll(c, -1), 0, "poll(-1) with nothing pending returns on wakeup");
    pthread_join(th, NULL);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, debug_log_redacts_keys)
{
    const char *key = "sk-sekha-SECRETSECRETSECRETSECRET00000";
    sekha_options *o = test_options(&ds);
    log_capture lc = {0};
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, key), SEKHA_OK);
    cr_assert_eq(sekha_options_set_log(o, SEKHA_LOG_DEBUG, capture_log, &lc), SEKHA_OK);
    sekha_client *c = test_client(o);
    arm("/_devserver/echo", "[{\"status\":401}]");
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", NULL, &err), SEKHA_E_AUTH);
    cr_assert_null(strstr(sekha_error_message(err), "SECRET"));
    sekha_response *resp = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", &resp, NULL), SEKHA_OK);
    cr_assert_not_null(strstr(sekha_response_body(resp, NULL), "SECRET"), "the key was really sent");
    cr_assert_not_null(strstr(lc.text, "Authorization: [redacted]"), "log:\n%s", lc.text);
    cr_assert_null(strstr(lc.text, "SECRET"), "the key leaked into the log:\n%s", lc.text);
    sekha_response_free(resp);
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, post_on_a_reused_connection_is_never_silently_resent)
{
    /* libcurl retries a request whose reused connection died before any answer byte; for a
     * POST the server already processed that would store it twice. */
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    cr_assert_eq(get_sync(c, "/_devserver/echo", NULL, NULL), SEKHA_OK); /* a connection to reuse */
    arm("/_devserver/echo", "[{\"close\":\"after_handling\"},{\"pass\":true}]");
    sekha_error *err = NULL;
    cr_assert_eq(post_json_sync(c, 0, &err),
                 SEKHA_E_OUTCOME_UNKNOWN, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_error_attempts(err), 1);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 2, "the POST reached the server once");
    sekha_error_free(err);
    sekha_client_free(c);
    sekha_options_free(o);
}

/* libcurl would read the proxy variables for every request; the client reads them once,
 * when it is made, and a client made without them never uses a proxy. */
Test(core_http, proxy_variables_are_read_when_the_client_is_made)
{
    static const char *const vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                       "ALL_PROXY", "no_proxy", "NO_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retries(o, 0), SEKHA_OK);
    sekha_client *plain = test_client(o);
    /* A proxy that refuses every connection (port 1 on loopback: nothing listens). */
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    sekha_client *proxied = test_client(o);
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(get_sync(plain, "/_devserver/echo", &resp, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_response_status(resp), 200);
    sekha_response_free(resp);
    resp = NULL;
    cr_assert_eq(get_sync(proxied, "/_devserver/echo", &resp, &err), SEKHA_E_CONNECT,
                 "the proxy from the environment was not used");
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    sekha_error_free(err);
    sekha_response_free(resp);
    sekha_client_free(plain);
    sekha_client_free(proxied);
    sekha_options_free(o);
}

/* sekha_options_set_user_agent(o, NULL) sends no User-Agent line at all (libcurl adds none
 * of its own); setting one again brings it back. */
Test(core_http, user_agent_can_be_left_out)
{
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, "key-abcdefghijklmnopqrstuvwxyz012345"), SEKHA_OK);
    for (int round = 0; round < 2; round++) {
        cr_assert_eq(sekha_options_set_user_agent(o, round ? "probe/1" : NULL), SEKHA_OK);
        sekha_client *c = test_client(o);
        sekha_response *resp = NULL;
        sekha_error *err = NULL;
        cr_assert_eq(get_sync(c, "/_devserver/echo", &resp, &err), SEKHA_OK, "%s",
                     sekha_error_message(err));
        const char *body = sekha_response_body(resp, NULL);
        if (round)
            cr_assert_not_null(strstr(body, "probe/1"), "user agent not sent: %s", body);
        else
            cr_assert_null(strcasestr(body, "user-agent"), "a user agent was sent: %s", body);
        cr_assert_not_null(strstr(body, "Bearer key-"), "the key must still go: %s", body);
        sekha_response_free(resp);
        sekha_client_free(c);
    }
    sekha_options_free(o);
}

/* ---- the raw request in its 1.0 shape: request line, parameters, ownership ---- */

typedef struct last_error {
    int calls;
    sekha_code code;
    char message[512];
    int service_message_null;
} last_error;

static void error_cb(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                     void *ud)
{
    (void)req;
    (void)resp;
    last_error *l = ud;
    l->calls++;
    l->code = sekha_error_code(err);
    snprintf(l->message, sizeof l->message, "%s", sekha_error_message(err));
    l->service_message_null = sekha_error_service_message(err) == NULL;
}

/* Starts one request, runs it and returns how it ended. */
static last_error run_raw(sekha_client *c, const char *line, const sekha_params *p)
{
    last_error l = {0};
    cr_assert_not_null(sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, line, p, error_cb, &l));
    cr_assert_eq(l.calls, 0, "never called from inside the starting call");
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(l.calls, 1);
    return l;
}

Test(core_http, request_line_must_be_method_space_path)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    static const char *const bad[] = {"GET", "GET ", "GET  /_devserver/echo", "get /_devserver/echo",
                                      "HEAD /_devserver/echo", "GET _devserver/echo",
                                      "BREW /_devserver/echo", "GET\t/_devserver/echo",
                                      "/_devserver/echo", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        last_error l = run_raw(c, bad[i], NULL);
        cr_assert_eq(l.code, SEKHA_E_INVALID_ARG, "\"%s\" was accepted", bad[i]);
        cr_assert_not_null(strstr(l.message, "METHOD /path"), "%s", l.message);
        cr_assert(l.service_message_null, "a local detail is no service message");
    }
    last_error l = run_raw(c, NULL, NULL);
    cr_assert_eq(l.code, SEKHA_E_INVALID_ARG);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 0, "nothing was sent");
    for (const char *const *m = (const char *const[]){"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
         *m; m++) {
        char line[64];
        snprintf(line, sizeof line, "%s /_devserver/echo?a=%%20b", *m);
        sekha_response *resp = NULL;
        sekha_error *err = NULL;
        cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, line, NULL, &resp, &err),
                     SEKHA_OK, "%s: %s", line, sekha_error_message(err));
        char want[32];
        snprintf(want, sizeof want, "\"method\":\"%s\"", *m);
        cr_assert_not_null(strstr(sekha_response_body(resp, NULL), want), "%s",
                           sekha_response_body(resp, NULL));
        cr_assert_not_null(strstr(sekha_response_body(resp, NULL), "\"a\":\" b\""), "%s",
                           sekha_response_body(resp, NULL));
        sekha_response_free(resp);
    }
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, parameters_are_sent)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_HEADERS,
                                       (const char *const[]){"X-One: 1", "X-Two: two", NULL}),
                 SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "text/plain"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "hello", 5), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_NO_RETRY), SEKHA_OK);
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "PUT /_devserver/echo", p,
                                         &resp, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    sekha_params_free(p);
    const char *body = sekha_response_body(resp, NULL);
    cr_assert_not_null(strstr(body, "\"x-one\":\"1\""), "%s", body);
    cr_assert_not_null(strstr(body, "\"x-two\":\"two\""), "%s", body);
    cr_assert_not_null(strstr(body, "\"content-type\":\"text/plain\""), "%s", body);
    cr_assert_not_null(strstr(body, "\"body\":\"hello\""), "%s", body);
    sekha_response_free(resp);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_http, parameters_the_call_does_not_read_are_rejected)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "gpt"), SEKHA_OK);
    last_error l = run_raw(c, "GET /_devserver/echo", p);
    cr_assert_eq(l.code, SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(l.message, "sekha_http_request"), "%s", l.message);
    cr_assert_not_null(strstr(l.message, "model"), "%s", l.message);
    sekha_params_free(p);

    /* a failed setter is reported by the call that gets the parameters */
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, 0x10000), SEKHA_E_INVALID_ARG);
    l = run_raw(c, "GET /_devserver/echo", p);
    cr_assert_eq(l.code, SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(l.message, "http_flags"), "%s", l.message);
    sekha_params_free(p);

    /* a bit that is no SEKHA_HTTP_* flag */
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, 0x100), SEKHA_OK);
    l = run_raw(c, "GET /_devserver/echo", p);
    cr_assert_eq(l.code, SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(l.message, "0x100"), "%s", l.message);
    sekha_params_free(p);

    /* the sync form reports the same, and a NULL client is an invalid argument */
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 3), SEKHA_OK);
    sekha_error *err = NULL;
    sekha_response *resp = (sekha_response *)&err; /* must be reset */
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", p,
                                         &resp, &err),
                 SEKHA_E_INVALID_ARG);
    cr_assert_null(resp);
    cr_assert_not_null(strstr(sekha_error_message(err), "limit"), "%s", sekha_error_message(err));
    cr_assert_null(sekha_error_service_message(err));
    sekha_error_free(err);
    sekha_params_free(p);
    cr_assert_eq(sekha_http_request_sync(NULL, SEKHA_SERVICE_CONTROLLER, "GET /x",
                                         NULL, NULL, NULL),
                 SEKHA_E_INVALID_ARG);
    cr_assert_null(sekha_http_request(NULL, SEKHA_SERVICE_CONTROLLER, "GET /x",
                                      NULL, error_cb, NULL));
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 0, "nothing was sent");
    sekha_client_free(c);
    sekha_options_free(o);
}

typedef struct events_seen {
    int events;
    void *event_ud;
    int done_calls;
    void *done_ud;
} events_seen;

static events_seen seen;

static int own_ud_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    (void)ev;
    seen.events++;
    seen.event_ud = ud;
    return SEKHA_EVENT_CONTINUE;
}

static void own_ud_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                        void *ud)
{
    (void)req;
    (void)resp;
    cr_assert_null(err, "%s", sekha_error_message(err));
    seen.done_calls++;
    seen.done_ud = ud;
}

Test(core_http, the_event_callback_gets_its_own_userdata)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    int event_side = 0, call_side = 0;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_STREAM), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_event(p, own_ud_event, &event_side), SEKHA_OK);
    seen = (events_seen){0};
    cr_assert_not_null(sekha_http_request(c, SEKHA_SERVICE_CONTROLLER,
                                          "GET /_devserver/sse?count=3&size=10", p, own_ud_done,
                                          &call_side));
    sekha_params_free(p); /* read by the call */
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_geq(seen.events, 3);
    cr_assert_eq(seen.event_ud, &event_side);
    cr_assert_eq(seen.done_calls, 1);
    cr_assert_eq(seen.done_ud, &call_side);

    /* the sync form takes the event callback the same way */
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_STREAM), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_event(p, own_ud_event, &call_side), SEKHA_OK);
    seen = (events_seen){0};
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER,
                                         "GET /_devserver/sse?count=2&size=10", p, NULL, NULL),
                 SEKHA_OK);
    cr_assert_geq(seen.events, 2);
    cr_assert_eq(seen.event_ud, &call_side);
    sekha_params_free(p);
    sekha_client_free(c);
    sekha_options_free(o);
}

/* ---- copies outlive their request and client, and move between threads ---- */

typedef struct kept {
    sekha_response *copies[2];
} kept;

static void keep_cb(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                    void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    kept *k = ud;
    k->copies[0] = sekha_response_copy(resp);
    k->copies[1] = sekha_response_copy(k->copies[0]); /* a reference to the owned copy */
    sekha_response_free((sekha_response *)resp);      /* lent: not ours, ignored */
}

static void *read_and_free(void *arg)
{
    sekha_response *r = arg;
    int ok = sekha_response_status(r) == 200 &&
             strstr(sekha_response_body(r, NULL), "\"path\":\"/_devserver/echo\"") != NULL &&
             sekha_response_header(r, "content-type") != NULL;
    sekha_response_free(r);
    return ok ? arg : NULL;
}

Test(core_http, response_copies_outlive_the_request_and_the_client)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    kept k = {{NULL, NULL}};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, keep_cb, &k);
    /* more requests, so the first one's structure is recycled under the copy */
    last_error others[4] = {{0}};
    for (int i = 0; i < 4; i++)
        sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/other", NULL, error_cb,
                           &others[i]);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    sekha_client_free(c);
    sekha_options_free(o);
    cr_assert_not_null(k.copies[0]);
    cr_assert_eq(k.copies[0], k.copies[1], "an owned response is shared, not copied again");
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, read_and_free, k.copies[i]), 0);
    for (int i = 0; i < 2; i++) {
        void *ok = NULL;
        pthread_join(t[i], &ok);
        cr_assert_not_null(ok, "thread %d read a wrong response", i);
    }
    cr_assert_null(sekha_response_copy(NULL));
    sekha_response_free(NULL);
}

Test(core_http, sync_responses_are_owned_and_copyable)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_response *resp = NULL;
    cr_assert_eq(get_sync(c, "/_devserver/echo", &resp, NULL), SEKHA_OK);
    sekha_response *again = sekha_response_copy(resp);
    cr_assert_eq(again, resp);
    sekha_response_free(resp);
    sekha_client_free(c);
    sekha_options_free(o);
    cr_assert_not_null(strstr(sekha_response_body(again, NULL), "/_devserver/echo"));
    sekha_response_free(again);
}
