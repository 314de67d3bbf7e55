/* Mode B (the user's event loop drives the client) and the driving API's contract. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(core_loop, .init = setup, .fini = teardown, .timeout = 60);

/* Runs the shipped poll() example against the devserver and checks what it printed. */
static void run_example(const char *args, const char *expect)
{
    const char *bin = getenv("SEKHA_EXAMPLE_EVENT_LOOP");
    cr_assert_not_null(bin, "SEKHA_EXAMPLE_EVENT_LOOP not set");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "SEKHA_CONTROLLER_URL='%s' '%s' %s", ds.controller_url, bin, args);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char out[256] = "";
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "example failed: %s", out);
    cr_assert_not_null(strstr(out, expect), "output: %s", out);
}

Test(core_loop, poll_example_drives_200_requests)
{
    run_example("200 /_devserver/echo", "200 ok, 0 failed");
}

Test(core_loop, poll_example_handles_retries_through_its_timer)
{
    cr_assert_eq(ds_proc_fault(&ds, ds.controller_url,
                               "{\"path\":\"/_devserver/echo\",\"steps\":[{\"status\":503},{\"status\":503}]}"), 0);
    run_example("3 /_devserver/echo", "3 ok, 0 failed");
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 5);
}

static void noop_watch(sekha_client *c, int fd, int ev, void *ud) { (void)c; (void)fd; (void)ev; (void)ud; }
static void noop_timer(sekha_client *c, long ms, void *ud) { (void)c; (void)ms; (void)ud; }

Test(core_loop, hooks_are_set_before_requests_and_exclude_run)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    cr_assert_eq(sekha_client_set_loop_hooks(c, NULL, noop_timer, NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_client_set_loop_hooks(c, noop_watch, noop_timer, NULL), SEKHA_OK);
    cr_assert_eq(sekha_client_run(c), SEKHA_E_INVALID_ARG);
    cr_assert_lt(sekha_client_poll(c, 0), 0);
    /* sync calls still work: they use their own loop */
    sekha_response *resp = NULL;
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                         NULL, &resp, NULL), SEKHA_OK);
    sekha_response_free(resp);
    sekha_client_free(c);

    c = test_client(o);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, NULL, NULL);
    cr_assert_eq(sekha_client_set_loop_hooks(c, noop_watch, noop_timer, NULL), SEKHA_E_INVALID_ARG,
                 "too late once a request exists");
    sekha_client_free(c);
    sekha_options_free(o);
}

/* ---- virtual requests and extra fd watches (what stdio transports and workflows use) ---- */
#include <unistd.h>

#include "core/internal.h"

typedef struct pipe_job {
    sekha__watch w;
    sekha_request *req;
    sekha_loop *loop;
    char got[16];
    int cancel_hook_calls;
    int done_calls;
    sekha_code code;
} pipe_job;

static void pipe_ready(void *ud, int fd, int events)
{
    pipe_job *j = ud;
    cr_assert(events & SEKHA_WATCH_READ);
    ssize_t n = read(fd, j->got, sizeof j->got - 1);
    cr_assert_gt(n, 0);
    j->got[n] = '\0';
    sekha__loop_unwatch(j->loop, &j->w);
    sekha__request_end(j->req, NULL, NULL);
}

static void virtual_done(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    (void)req; (void)resp;
    pipe_job *j = ud;
    j->done_calls++;
    j->code = sekha_error_code(err);
}

static void on_cancel_hook(sekha_request *r)
{
    pipe_job *j = sekha__req(r)->ud;
    j->cancel_hook_calls++;
}

Test(core_loop, virtual_request_ended_by_a_watched_pipe)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pipe_job j = {.loop = &c->main};
    j.req = sekha__start_virtual(c, NULL, "pipe job", virtual_done, &j);
    j.w = (sekha__watch){.fd = fds[0], .events = SEKHA_WATCH_READ, .fn = pipe_ready, .ud = &j};
    cr_assert_eq(sekha__loop_watch(&c->main, &j.w), 0);
    cr_assert_eq(sekha_client_pending(c), 1);
    cr_assert_eq(write(fds[1], "hello", 5), 5);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_str_eq(j.got, "hello");
    cr_assert_eq(j.done_calls, 1);
    cr_assert_eq(j.code, SEKHA_OK);
    close(fds[0]);
    close(fds[1]);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_loop, virtual_request_cancel_and_close_call_the_hook_once)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    pipe_job a = {0}, b = {0};
    a.req = sekha__start_virtual(c, NULL, "a", virtual_done, &a);
    sekha__req(a.req)->on_cancel = on_cancel_hook;
    b.req = sekha__start_virtual(c, NULL, "b", virtual_done, &b);
    sekha__req(b.req)->on_cancel = on_cancel_hook;
    sekha_request_cancel(a.req);
    sekha_request_cancel(a.req);
    cr_assert_eq(a.cancel_hook_calls, 1);
    sekha_client_poll(c, 0);
    cr_assert_eq(a.done_calls, 1);
    cr_assert_eq(a.code, SEKHA_E_CANCELLED);
    cr_assert_eq(b.done_calls, 0, "b waits for its owner");
    sekha_client_free(c);
    cr_assert_eq(b.cancel_hook_calls, 1);
    cr_assert_eq(b.done_calls, 1);
    cr_assert_eq(b.code, SEKHA_E_CLOSED);
    sekha_options_free(o);
}

/* A composed request that must outlive its own cancel until its children ended. */
static void end_it(sekha_request *r)
{
    pipe_job *j = sekha__req(r)->ud;
    j->cancel_hook_calls++;
}

static void timer_fired(sekha_request *r)
{
    pipe_job *j = sekha__req(r)->ud;
    snprintf(j->got, sizeof j->got, "timer");
    sekha__request_end(r, NULL, NULL);
}

Test(core_loop, owner_finishes_keeps_a_cancelled_virtual_request_until_it_ends)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    pipe_job a = {0};
    a.req = sekha__start_virtual(c, NULL, "a", virtual_done, &a);
    sekha__req(a.req)->on_cancel = end_it;
    sekha__req(a.req)->owner_finishes = 1;
    sekha_request_cancel(a.req);
    sekha_request_cancel(a.req);
    cr_assert_eq(a.cancel_hook_calls, 1);
    cr_assert_eq(sekha_client_poll(c, 0), 1, "still pending: its owner has not ended it");
    cr_assert_eq(a.done_calls, 0);
    sekha__request_end(a.req, NULL, NULL);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(a.done_calls, 1);
    cr_assert_eq(a.code, SEKHA_E_CANCELLED, "the cancel is what it reports");

    /* its own timer reaches the owner through on_timer */
    pipe_job b = {0};
    b.req = sekha__start_virtual(c, NULL, "b", virtual_done, &b);
    sekha__req(b.req)->on_timer = timer_fired;
    sekha__loop_arm(sekha__req(b.req)->loop, &sekha__req(b.req)->timer, sekha__now_ms() + 20);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_str_eq(b.got, "timer");
    cr_assert_eq(b.done_calls, 1);
    cr_assert_eq(b.code, SEKHA_OK);
    sekha_client_free(c);
    sekha_options_free(o);
}
