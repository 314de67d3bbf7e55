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
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET", "/_devserver/echo", NULL, NULL,
                                         NULL, 0, 0, NULL, NULL, &resp, NULL), SEKHA_OK);
    sekha_response_free(resp);
    sekha_client_free(c);

    c = test_client(o);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET", "/_devserver/echo", NULL, NULL, NULL, 0, 0, NULL,
                       NULL, NULL);
    cr_assert_eq(sekha_client_set_loop_hooks(c, noop_watch, noop_timer, NULL), SEKHA_E_INVALID_ARG,
                 "too late once a request exists");
    sekha_client_free(c);
    sekha_options_free(o);
}
