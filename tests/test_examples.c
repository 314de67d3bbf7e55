/* The shipped examples, run against a sekha-devserver as a user would run them (SEKHA_*
 * variables). The token relay is checked in a real browser: headless Chromium loads its
 * page, and the page reports back what it showed over time. (examples/event_loop_poll.c is
 * run by test_core_loop.c.) */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "cli_runner.h"
#include "workflows_harness.h"

static ds_proc ds;

static void setup(void)
{
    start_devserver(&ds, NULL);
    setenv("SEKHA_CONTROLLER_URL", ds.controller_url, 1);
    setenv("SEKHA_BRIDGE_URL", ds.bridge_url, 1);
    setenv("SEKHA_MCP_API_KEY", DEVSERVER_MCP_KEY, 1);
}

static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(examples, .init = setup, .fini = teardown, .timeout = 120);

static const char *example(const char *name)
{
    char var[64];
    snprintf(var, sizeof var, "SEKHA_EXAMPLE_%s", name);
    const char *bin = getenv(var);
    cr_assert_not_null(bin, "%s is not set", var);
    return bin;
}

static void store_trip(void)
{
    sekha_client *c = wf_client(&ds);
    const char *const trip[] = {"user:I fly to Lisbon on 12 May, flight TP1351 at 07:40.",
                                "assistant:Noted: TP1351, 12 May, 07:40.", NULL};
    free(wf_store(c, "Lisbon trip", "/travel", trip));
    sekha_client_free(c);
}

/* What the devserver answers to `question` with the trip in memory (its reply is a pure
 * function of the prompt), asked through the library itself. */
static char *expected_reply(const char *question)
{
    sekha_client *c = wf_client(&ds);
    sekha_answer *a = NULL;
    cr_assert_eq(sekha_workflow_complete_with_context_sync(c, question, NULL, &a, NULL), SEKHA_OK);
    char *s = strdup(sekha_completion_content(sekha_answer_completion(a), NULL));
    sekha_answer_free(a);
    sekha_client_free(c);
    return s;
}

Test(examples, memory_chat_streams_a_grounded_answer)
{
    store_trip();
    char *want = expected_reply("When is my flight?");
    wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 1,
            "{\"pass\":true,\"chunk_delay_ms\":20}", NULL);
    cli_out o;
    const char *const args[] = {"When is my flight?", NULL};
    cli_exec(example("MEMORY_CHAT"), args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    char line[2048];
    snprintf(line, sizeof line, "%s\n-- 2 memories used: Lisbon trip, Lisbon trip\n", want);
    cr_assert_str_eq(o.out, line);
    cr_assert_geq(o.out_reads, 5, "tokens printed as they came (%d reads)", o.out_reads);
    free(want);
}

Test(examples, health_probe_exit_status_follows_the_deployment)
{
    cli_out o;
    const char *const args[] = {NULL};
    cli_exec(example("HEALTH_PROBE"), args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s %s", o.out, o.err);
    cr_assert_not_null(strstr(o.out, "controller healthy"), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "mcp        healthy"), "%s", o.out);
    char closed[64];
    wf_closed_url(closed, sizeof closed);
    setenv("SEKHA_BRIDGE_URL", closed, 1);
    cli_exec(example("HEALTH_PROBE"), args, 0, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.out);
    cr_assert_not_null(strstr(o.out, "bridge     unreachable"), "%s", o.out);
}

Test(examples, concurrent_queries_share_one_thread)
{
    store_trip();
    cli_out o;
    const char *const args[] = {"200", NULL};
    cli_exec(example("CONCURRENT_QUERIES"), args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s %s", o.out, o.err);
    cr_assert_str_eq(o.out, "200 queries: 200 ok, 0 failed, 400 results; 200 were pending at "
                            "once\n");
}

/* ---- the token relay in a real browser ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Starts headless Chromium (in a process group of its own, so its helpers go with it) on
 * url, with a fresh profile in dir. Returns the pid. */
static pid_t start_browser(const char *url, const char *dir)
{
    char profile[300];
    snprintf(profile, sizeof profile, "--user-data-dir=%s", dir);
    /* Orphaned browser helpers are reparented to us, not to init, so none is left behind. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_RDWR);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execlp("chromium", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-dev-shm-usage", "--no-proxy-server",
               "--disable-crash-reporter", "--disable-breakpad", profile, url,
               (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

/* Stops the browser's process group. Its helpers outlive it for a moment; as this process
 * is their subreaper (see start_browser) they come back to us and are reaped here too. */
static void stop_browser(pid_t pid)
{
    kill(-pid, SIGTERM);
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct pollfd p = {pfd, POLLIN, 0};
    if (pfd < 0 || poll(&p, 1, 10000) <= 0)
        kill(-pid, SIGKILL);
    if (pfd >= 0)
        close(pfd);
    waitpid(pid, NULL, 0);
    kill(-pid, SIGKILL); /* any helper still in the group */
    while (waitpid(-pid, NULL, 0) > 0 || errno == EINTR) {
    }
}

/* Reads lines of fd into buf until one starts with prefix (or 60 s pass). */
static const char *read_until(int fd, char *buf, size_t cap, const char *prefix)
{
    size_t len = strlen(buf);
    for (;;) {
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, prefix, strlen(prefix)) == 0 && strchr(line, '\n'))
                return line;
        struct pollfd p = {fd, POLLIN, 0};
        cr_assert_gt(poll(&p, 1, 60000), 0, "no \"%s\" line; got: %s", prefix, buf);
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        cr_assert_gt(n, 0, "the relay ended early; it printed: %s", buf);
        len += (size_t)n;
        buf[len] = '\0';
    }
}

Test(examples, token_relay_streams_to_a_real_browser)
{
    if (system("command -v chromium >/dev/null 2>&1") != 0)
        cr_skip_test("chromium is not installed (scripts/test installs it)");
    store_trip();
    const char *question = "When is my flight?";
    char *want = expected_reply(question);
    /* about 25 words, one every 60 ms: the page samples the text many times meanwhile */
    wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 1,
            "{\"pass\":true,\"chunk_delay_ms\":60}", NULL);

    int out[2];
    cr_assert_eq(pipe(out), 0);
    pid_t relay = fork();
    cr_assert_geq(relay, 0);
    if (relay == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        const char *bin = example("SSE_RELAY");
        execl(bin, bin, "--port", "0", "--once", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char buf[16384] = "";
    const char *ready = read_until(out[0], buf, sizeof buf, "relay listening on ");
    char base[128];
    cr_assert_eq(sscanf(ready, "relay listening on %127s", base), 1);
    cr_assert_eq(strncmp(base, "http://127.0.0.1:", 17), 0, "loopback only: %s", base);

    char dir[] = "/tmp/sekha-chromium-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char url[256];
    snprintf(url, sizeof url, "%s?q=When%%20is%%20my%%20flight%%3F&report=1", base);
    pid_t browser = start_browser(url, dir);
    const char *report = read_until(out[0], buf, sizeof buf, "report: ");
    int st;
    cr_assert_eq(waitpid(relay, &st, 0), relay);
    stop_browser(browser);
    close(out[0]);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the relay exits after the report");

    cJSON *v = cJSON_Parse(report + strlen("report: "));
    cr_assert_not_null(v, "report: %s", report);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(v, "error")), "%s", report);
    cr_assert_str_eq(cJSON_GetObjectItem(v, "text")->valuestring, want,
                     "the page ends with the full reply");
    const cJSON *samples = cJSON_GetObjectItem(v, "samples");
    int n = cJSON_GetArraySize(samples);
    double prev = -1;
    for (int i = 0; i < n; i++) {
        double len = cJSON_GetArrayItem(samples, i)->valuedouble;
        cr_assert_gt(len, prev, "the text only grows: %s", report);
        prev = len;
    }
    cr_assert_eq(prev, (double)strlen(want));
    cr_assert_geq(n, 5, "the page showed the text at %d lengths: it did not grow over time", n);
    cJSON_Delete(v);
    free(want);
}
