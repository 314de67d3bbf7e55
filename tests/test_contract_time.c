/* Time and place: SEKHA_TIMEOUT is the total time of a call (retries and streams
 * included), a timeout says "timed out", retries stay within their budget, redirects are
 * never followed, and two clients run side by side on two threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli_runner.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void)
{
    unsetenv("SEKHA_TIMEOUT");
    ds_proc_stop(&ds);
}

TestSuite(contract_time, .init = setup, .fini = teardown, .timeout = 30);

static void arm_rule(const char *base, const char *path, const char *steps)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"path\":\"%s\",\"steps\":%s}", path, steps);
    cr_assert_eq(ds_proc_fault(&ds, base, buf), 0, "rule rejected: %s", buf);
}

/* Options as a user gets them with SEKHA_TIMEOUT set. */
static sekha_options *options_with_timeout(const char *seconds)
{
    sekha_options *o = test_options(&ds);
    setenv("SEKHA_TIMEOUT", seconds, 1);
    cr_assert_eq(sekha_options_from_env(o), SEKHA_OK, "%s", sekha_options_last_error(o));
    return o;
}

typedef struct outcome {
    int done, events;
    sekha_code code;
    int attempts;
    char message[512];
} outcome;

static void on_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                    void *ud)
{
    (void)req;
    (void)resp;
    outcome *s = ud;
    s->done++;
    s->code = sekha_error_code(err);
    s->attempts = sekha_error_attempts(err);
    snprintf(s->message, sizeof s->message, "%s", sekha_error_message(err));
}

static int on_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    (void)ev;
    ((outcome *)ud)->events++;
    return SEKHA_EVENT_CONTINUE;
}

static void run(sekha_options *o, const char *method, const char *path, unsigned flags,
                outcome *s)
{
    sekha_client *c = test_client(o);
    char line[512];
    snprintf(line, sizeof line, "%s %s", method, path);
    sekha_params *p = sekha_params_new();
    if (method[0] == 'P') {
        cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json"),
                     SEKHA_OK);
        cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "{}", 2), SEKHA_OK);
    }
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, flags), SEKHA_OK);
    if (flags & SEKHA_HTTP_STREAM)
        cr_assert_eq(sekha_params_set_on_event(p, on_event, s), SEKHA_OK);
    cr_assert_not_null(sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, line, p, on_done, s));
    sekha_params_free(p);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    sekha_client_free(c);
}

Test(contract_time, an_endless_stream_ends_at_the_call_timeout)
{
    arm_rule(ds.controller_url, "/_devserver/sse", "[{\"endless\":true,\"chunk_delay_ms\":20}]");
    sekha_options *o = options_with_timeout("1");
    outcome s = {0};
    run(o, "GET", "/_devserver/sse?count=10&size=60", SEKHA_HTTP_STREAM, &s);
    cr_assert_eq(s.done, 1);
    cr_assert_eq(s.code, SEKHA_E_TIMEOUT, "%s", s.message);
    cr_assert_gt(s.events, 0, "events flowed until the deadline");
    cr_assert_not_null(strstr(s.message, "timed out"), "%s", s.message);
    sekha_options_free(o);
}

Test(contract_time, retries_and_their_waits_count_against_the_call_timeout)
{
    /* Every answer is a 503 asking for a 1 s wait: with 1.5 s in all there is room for
     * the first attempt and one retry, not the four that max_retries alone would allow. */
    arm_rule(ds.controller_url, "/_devserver/echo",
             "[{\"status\":503,\"retry_after\":1},{\"status\":503,\"retry_after\":1},"
             "{\"status\":503,\"retry_after\":1},{\"status\":503,\"retry_after\":1}]");
    sekha_options *o = options_with_timeout("1.5");
    cr_assert_eq(sekha_options_set_max_retries(o, 3), SEKHA_OK);
    outcome s = {0};
    run(o, "GET", "/_devserver/echo", 0, &s);
    cr_assert_eq(s.code, SEKHA_E_SERVER, "%s", s.message);
    cr_assert_eq(s.attempts, 2, "%s", s.message);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 2);
    sekha_options_free(o);
}

Test(contract_time, a_stalled_write_says_timed_out)
{
    arm_rule(ds.controller_url, "/_devserver/echo", "[{\"stall\":true}]");
    sekha_options *o = options_with_timeout("0.5");
    outcome s = {0};
    run(o, "POST", "/_devserver/echo", 0, &s);
    cr_assert_eq(s.code, SEKHA_E_TIMEOUT, "%s", s.message);
    cr_assert_not_null(strstr(s.message, "timed out"), "%s", s.message);
    cr_assert_null(strstr(s.message, "connection lost"), "%s", s.message);
    cr_assert_not_null(strstr(s.message, "may have been applied"), "%s", s.message);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 1, "re-sent");
    sekha_options_free(o);
}

Test(contract_time, a_stalled_streaming_write_says_timed_out)
{
    arm_rule(ds.controller_url, "/_devserver/echo", "[{\"stall\":true}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_stream_idle_timeout_ms(o, 300), SEKHA_OK);
    outcome s = {0};
    run(o, "POST", "/_devserver/echo", SEKHA_HTTP_STREAM, &s);
    cr_assert_eq(s.code, SEKHA_E_TIMEOUT, "%s", s.message);
    cr_assert_not_null(strstr(s.message, "no data received"), "%s", s.message);
    sekha_options_free(o);
}

Test(contract_time, the_attempt_timeout_still_retries_within_the_call_timeout)
{
    arm_rule(ds.controller_url, "/_devserver/echo", "[{\"delay_ms\":1500},{\"pass\":true}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, 300), SEKHA_OK);
    cr_assert_eq(sekha_options_set_call_timeout_ms(o, 10000), SEKHA_OK);
    outcome s = {0};
    run(o, "GET", "/_devserver/echo", 0, &s);
    cr_assert_eq(s.code, SEKHA_OK, "%s", s.message);
    sekha_options_free(o);
}

Test(contract_time, the_call_timeout_setter_checks_its_range)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_call_timeout_ms(o, 0), SEKHA_OK, "0 = no total limit");
    cr_assert_eq(sekha_options_set_call_timeout_ms(o, -1), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_call_timeout_ms(o, 24L * 3600 * 1000 + 1), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_options_last_error(o), "call timeout"));
    sekha_options_free(o);
}

Test(contract_time, retries_stop_at_the_retry_budget)
{
    /* 1 s Retry-After waits: attempts at 0, 1 and 2 s fit a 2.5 s budget, a fourth does not */
    arm_rule(ds.controller_url, "/_devserver/echo",
             "[{\"status\":503,\"retry_after\":1},{\"status\":503,\"retry_after\":1},"
             "{\"status\":503,\"retry_after\":1},{\"status\":503,\"retry_after\":1},"
             "{\"status\":503,\"retry_after\":1}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retries(o, 10), SEKHA_OK);
    cr_assert_eq(sekha_options_set_retry_budget_ms(o, 2500), SEKHA_OK);
    outcome s = {0};
    run(o, "GET", "/_devserver/echo", 0, &s);
    cr_assert_eq(s.code, SEKHA_E_SERVER, "%s", s.message);
    cr_assert_eq(s.attempts, 3, "%s", s.message);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 3);
    sekha_options_free(o);
}

/* ---- redirects ---- */

static void redirect_case(const char *method, int status, const char *target_path)
{
    char steps[512];
    snprintf(steps, sizeof steps, "[{\"status\":%d,\"location\":\"%s%s\",\"body\":\"{}\"}]",
             status, ds.controller_url, target_path);
    arm_rule(ds.controller_url, "/_devserver/echo", steps);
    sekha_options *o = test_options(&ds);
    outcome s = {0};
    run(o, method, "/_devserver/echo", 0, &s);
    cr_assert_eq(s.code, SEKHA_E_REDIRECT, "%s %d: %s", method, status, s.message);
    cr_assert_not_null(strstr(s.message, target_path), "names the target: %s", s.message);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, target_path), 0,
                 "%s %d was followed", method, status);
    sekha_options_free(o);
}

Test(contract_time, redirects_are_never_followed)
{
    redirect_case("POST", 302, "/_devserver/sse");
    redirect_case("POST", 301, "/_devserver/sse");
    redirect_case("POST", 307, "/_devserver/sse");
    redirect_case("GET", 308, "/_devserver/sse");
}

/* ---- two clients on two threads ---- */

typedef struct worker {
    const ds_proc *ds;
    int ok, failed;
} worker;

static void count_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                       void *ud)
{
    (void)resp;
    worker *w = ud;
    if (err || sekha_request_valid(req) != 1)
        w->failed++;
    else
        w->ok++;
}

static void *work(void *arg)
{
    worker *w = arg;
    sekha_options *o = test_options(w->ds);
    sekha_client *c = sekha_client_new(o, NULL);
    sekha_options_free(o);
    if (!c)
        return NULL;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 20; i++)
            sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                               NULL, count_done, w);
        sekha_client_run(c);
    }
    sekha_client_free(c);
    return NULL;
}

Test(contract_time, two_clients_on_two_threads_at_once)
{
    worker w[2] = {{.ds = &ds}, {.ds = &ds}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(w[i].failed, 0, "thread %d: %d failed", i, w[i].failed);
        cr_assert_eq(w[i].ok, 200, "thread %d: %d ok", i, w[i].ok);
    }
}

/* ---- the CLI ---- */

Test(contract_time, sekha_complete_on_an_endless_stream_times_out)
{
    arm_rule(ds.bridge_url, "/v1/chat/completions", "[{\"endless\":true,\"chunk_delay_ms\":20}]");
    setenv("SEKHA_TIMEOUT", "3", 1);
    const char *const args[] = {"--bridge-url", ds.bridge_url, "complete", "hello", NULL};
    cli_out o;
    cli_exec(NULL, args, 0, 0, &o);
    cr_assert_neq(o.status, 0, "exit status 0; stderr: %s", o.err);
    cr_assert_lt(o.seconds, 10.0, "took %.1f s", o.seconds);
    cr_assert_not_null(strstr(o.err, "timed out"), "stderr: %s", o.err);
}

static void keep_completion(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                            void *ud)
{
    (void)req;
    outcome *s = ud;
    s->done++;
    s->code = sekha_error_code(err);
    snprintf(s->message, sizeof s->message, "%s", c ? sekha_completion_content(c, NULL) : "");
}

Test(contract_time, a_bridge_stream_cut_by_the_call_timeout_keeps_its_text)
{
    arm_rule(ds.bridge_url, "/v1/chat/completions", "[{\"endless\":true,\"chunk_delay_ms\":20}]");
    sekha_options *o = options_with_timeout("0.8");
    sekha_client *c = test_client(o);
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "tell me everything"), SEKHA_OK);
    outcome s = {0};
    cr_assert_not_null(sekha_bridge_stream_complete(c, m, NULL, keep_completion, &s));
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(s.done, 1);
    cr_assert_eq(s.code, SEKHA_E_TIMEOUT);
    cr_assert_gt(strlen(s.message), 0, "the text streamed before the deadline is kept");
    sekha_messages_free(m);
    sekha_client_free(c);
    sekha_options_free(o);
}
