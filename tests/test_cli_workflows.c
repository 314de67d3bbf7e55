/* `sekha chat` and `sekha health` end to end against a sekha-devserver: tokens reach stdout
 * as they arrive, memories shown on stderr, Ctrl-C cancels cleanly, health exit statuses,
 * concurrency seen from outside, and the spinner on a terminal (never on a pipe). */
#include <errno.h>
#include <pty.h>

#include "cli_runner.h"
#include "workflows_harness.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(cli_workflows, .init = setup, .fini = teardown, .timeout = 60);

/* Runs the CLI aimed at ds (bridge at bridge_url when not NULL) with args appended. */
static void run(const char *bridge_url, const char *const *args, int sig, cli_out *o)
{
    const char *argv[40] = {"--controller-url", ds.controller_url, "--bridge-url",
                            bridge_url ? bridge_url : ds.bridge_url, "--mcp-api-key",
                            DEVSERVER_MCP_KEY};
    size_t n = 6;
    for (; *args && n < 39; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    cli_exec(NULL, argv, sig, 1, o);
}

static void store_trip(void)
{
    sekha_client *c = wf_client(&ds);
    const char *const trip[] = {"user:I fly to Lisbon on 12 May, flight TP1351 at 07:40.", NULL};
    free(wf_store(c, "Lisbon trip", "/travel", trip));
    sekha_client_free(c);
}

static void pace_tokens(long ms)
{
    char step[64];
    snprintf(step, sizeof step, "{\"pass\":true,\"chunk_delay_ms\":%ld}", ms);
    wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 1, step, NULL);
}

/* ---- chat ---- */

Test(cli_workflows, chat_streams_tokens_and_shows_memories_on_stderr)
{
    store_trip();
    pace_tokens(20); /* spaced chunks cannot merge into one read of the pipe */
    cli_out o;
    const char *const args[] = {"chat", "When", "is", "my", "flight?", "--memory-query",
                                "flight to Lisbon", "--show-context", NULL};
    run(NULL, args, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    const char *head = "Based on your memory: [1] Lisbon trip (score ";
    cr_assert_eq(strncmp(o.out, head, strlen(head)), 0, "%s", o.out);
    cr_assert_not_null(strstr(o.out, "): I fly to Lisbon on 12 May, ... you asked: When is my "
                                     "flight?\n"), "grounded in the stored trip: %s", o.out);
    /* A deployed bridge answers in one piece: there are no tokens to print as they come. */
    if (!ds_test_upstream())
        cr_assert_geq(o.out_reads, 5, "stdout arrived in %d reads: not token by token",
                      o.out_reads);
    cr_assert_null(strstr(o.out, "memories used"), "memories stay off stdout");
    cr_assert_not_null(strstr(o.err, "memories used: 1 (about "), "%s", o.err);
    cr_assert_not_null(strstr(o.err, "[1] Lisbon trip: I fly to Lisbon on 12 May"), "%s", o.err);
    cr_assert_null(strstr(o.err, "thinking"), "no spinner on a pipe: %s", o.err);
}

Test(cli_workflows, chat_with_context_json_and_usage)
{
    store_trip();
    cli_out o;
    const char *const ctx[] = {"chat", "When do I fly?", "--budget", "500", "--label",
                               "Lisbon trip", NULL};
    run(NULL, ctx, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "Based on your memory: The messages before the last one are recalled "
                            "from earlier conversations, oldest ... you asked: When do I fly?\n");
    const char *const json[] = {"chat", "When do I fly?", "--json", NULL};
    run(NULL, json, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_not_null(v, "not JSON: %s", o.out);
    cr_assert_str_eq(cJSON_GetObjectItem(v, "object")->valuestring, "chat.completion");
    cJSON_Delete(v);
    const char *const both[] = {"chat", "x", "--context-query", "a", "--memory-query", "b", NULL};
    run(NULL, both, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    const char *const none[] = {"chat", NULL};
    run(NULL, none, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
}

Test(cli_workflows, chat_failures_name_the_layer)
{
    char closed[64];
    wf_closed_url(closed, sizeof closed);
    cli_out o;
    const char *const args[] = {"chat", "hello", "--retries", "0", NULL};
    run(closed, args, 0, &o);
    cr_assert_eq(o.status, 3, "an unreachable bridge is 3; stderr: %s", o.err);
    cr_assert_eq(o.out_len, 0, "nothing on stdout: %s", o.out);
    cr_assert_not_null(strstr(o.err, "layer: transport"), "%s", o.err);
    cr_assert_not_null(strstr(o.err, "/v1/chat/completions"), "%s", o.err);
}

static int bridge_asked(void *ud)
{
    (void)ud;
    return ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions") >= 1;
}

Test(cli_workflows, ctrl_c_cancels_a_stream_cleanly)
{
    cli_out o;
    const char *const args[] = {"chat", "tell me everything", NULL};
    if (ds_test_upstream()) {
        /* A deployed bridge answers in one piece, so the interrupt comes while the CLI waits
         * for one that stalls, once the request has reached it. */
        wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 0, "{\"stall\":true}",
                NULL);
        const char *argv[] = {"--controller-url", ds.controller_url, "--bridge-url",
                              ds.bridge_url, "--mcp-api-key", DEVSERVER_MCP_KEY, args[0],
                              args[1], NULL};
        cli_exec_when(NULL, argv, SIGINT, 0, bridge_asked, NULL, &o);
        cr_assert_eq(o.out_len, 0, "nothing arrived: %s", o.out);
    } else {
        /* A stream that never ends on its own: only the interrupt can end the command. */
        wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 1,
                "{\"endless\":true,\"chunk_delay_ms\":50}", NULL);
        run(NULL, args, SIGINT, &o); /* sent once the first token is on stdout */
        cr_assert_gt(o.out_len, 1);
        cr_assert_eq(o.out[o.out_len - 1], '\n', "what arrived is printed and ended");
    }
    cr_assert_eq(o.signaled, 0, "the CLI handled the signal instead of dying from it");
    cr_assert_eq(o.status, 130, "status %d, stderr: %s", o.status, o.err);
    cr_assert_not_null(strstr(o.err, "interrupted"), "%s", o.err);
    cr_assert_lt(o.seconds, 15, "the command ended promptly after the interrupt");
}

/* ---- health ---- */

/* The February controller serves no /mcp/tools routes: `sekha health` reports the MCP line
 * degraded, says why, and exits 1 where the other stacks are healthy (0). */
static int feb(void) { return ds_test_upstream_is("2026-02"); }
static int healthy_status(void) { return feb() ? 1 : 0; }

static void expect_mcp_line(const char *out)
{
    if (feb())
        cr_assert_not_null(strstr(out, "mcp         degraded"), "%s", out);
    else
        cr_assert_not_null(strstr(out, "mcp         healthy"), "%s", out);
    cr_assert(!feb() || strstr(out, "no MCP tool routes"), "says why: %s", out);
}

Test(cli_workflows, health_table_and_exit_statuses)
{
    cli_out o;
    const char *const args[] = {"health", NULL};
    run(NULL, args, 0, &o);
    cr_assert_eq(o.status, healthy_status(), "stdout: %s stderr: %s", o.out, o.err);
    cr_assert_not_null(strstr(o.out, "controller  healthy"), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "bridge      healthy"), "%s", o.out);
    expect_mcp_line(o.out);
    cr_assert_not_null(strstr(o.out, feb() ? "overall: degraded\n" : "overall: healthy\n"),
                       "%s", o.out);
    cr_assert_not_null(strstr(o.out, ds.bridge_url), "%s", o.out);

    char closed[64];
    wf_closed_url(closed, sizeof closed);
    run(closed, args, 0, &o);
    cr_assert_eq(o.status, 2, "a stopped bridge: %s", o.out);
    cr_assert_not_null(strstr(o.out, "bridge      unreachable"), "names the bridge: %s", o.out);
    cr_assert_not_null(strstr(o.out, "controller  healthy"), "%s", o.out);

    const char *const nokey[] = {"--mcp-api-key", "wrong-key", "health", NULL};
    run(NULL, nokey, 0, &o);
    cr_assert_eq(o.status, 1, "a rejected MCP key is degraded, not down: %s", o.out);
    /* February has no route to check the key on: the line is the missing routes'. */
    cr_assert_not_null(strstr(o.out, feb() ? "mcp         degraded" : "mcp         unhealthy"),
                       "%s", o.out);

    const char *const json[] = {"health", "--json", NULL};
    run(closed, json, 0, &o);
    cr_assert_eq(o.status, 2);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_not_null(v, "not JSON: %s", o.out);
    cr_assert_str_eq(cJSON_GetObjectItem(v, "status")->valuestring, "unreachable");
    cJSON *br = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "services"), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(br, "status")->valuestring, "unreachable");
    cr_assert_str_eq(cJSON_GetObjectItem(br, "url")->valuestring, closed);
    cJSON_Delete(v);
}

Test(cli_workflows, health_timeout_flag_bounds_a_silent_service)
{
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, "{\"stall\":true}", NULL);
    cli_out o;
    const char *const args[] = {"health", "--timeout", "0.3", NULL};
    run(NULL, args, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.out);
    cr_assert_not_null(strstr(o.out, "controller  unreachable"), "%s", o.out);
    /* --timeout sets the request timeout too: whichever fires first reports it */
    cr_assert(strstr(o.out, "no answer within 300 ms") || strstr(o.out, "timed out"), "%s",
              o.out);
    cr_assert_lt(o.seconds, 5, "the silent controller did not hold the command up");
}

/* Every service answers after 1 s: sequential checks take >= 3 s, concurrent ones ~1 s.
 * The 2.5 s bound (process start included) proves the overlap with room to spare. */
Test(cli_workflows, health_checks_run_concurrently)
{
    const char *delay = "{\"delay_ms\":1000,\"pass\":true}";
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, delay, NULL);
    wf_rule(&ds, ds.bridge_url, "GET", "/health", 0, delay, NULL);
    wf_rule(&ds, ds.controller_url, "POST", "/mcp/tools/memory_stats", 0, delay, NULL);
    cli_out o;
    const char *const args[] = {"health", NULL};
    run(NULL, args, 0, &o);
    cr_assert_eq(o.status, healthy_status(), "%s %s", o.out, o.err);
    cr_assert_lt(o.seconds, 2.5, "took %.2f s: the checks did not overlap", o.seconds);
    cr_assert_eq(o.err_len, 0, "nothing on a piped stderr (no spinner): %s", o.err);
}

/* Runs `sekha COMMAND [ARG]` on a pseudo-terminal (stdout and stderr both) and returns all
 * it wrote there. */
static void run_on_terminal(const char *command, const char *arg, char *buf, size_t cap,
                            int *status)
{
    const char *bin = getenv("SEKHA_CLI");
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execl(bin, bin, "--controller-url", ds.controller_url, "--bridge-url", ds.bridge_url,
              "--mcp-api-key", DEVSERVER_MCP_KEY, command, arg, (char *)NULL);
        _exit(127);
    }
    size_t len = 0;
    for (;;) {
        struct pollfd p = {master, POLLIN, 0};
        cr_assert_gt(poll(&p, 1, 20000), 0, "the CLI hangs on the terminal");
        ssize_t n = read(master, buf + len, cap - 1 - len);
        if (n <= 0) /* EIO once the child closed the terminal */
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(master);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli_workflows, a_slow_call_shows_a_spinner_on_a_terminal)
{
    const char *delay = "{\"delay_ms\":1200,\"pass\":true}";
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, delay, NULL);
    char out[8192];
    int status;
    run_on_terminal("health", NULL, out, sizeof out, &status);
    cr_assert_eq(status, healthy_status(), "%s", out);
    cr_assert_not_null(strstr(out, "checking 0."), "the spinner shows the elapsed time: %s", out);
    cr_assert_not_null(strstr(out, "\r\033[K"), "and is erased before the table: %s", out);
    const char *erase = strstr(out, "\r\033[K");
    cr_assert_not_null(strstr(erase, "SERVICE"), "the table comes after the spinner");

    run_on_terminal("health", NULL, out, sizeof out, &status); /* fast: no spinner at all */
    cr_assert_eq(status, healthy_status());
    cr_assert_null(strstr(out, "checking"), "%s", out);

    /* the other areas' sync commands too */
    wf_rule(&ds, ds.controller_url, "POST", "/api/v1/query", 0, delay, NULL);
    run_on_terminal("query", "anything", out, sizeof out, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert_not_null(strstr(out, "waiting 0."), "%s", out);
    cr_assert_not_null(strstr(strstr(out, "\r\033[K"), "no matches"), "%s", out);
}

/* ---- help, --json, input ---- */

Test(cli_workflows, help_of_every_command)
{
    static cli_out all, o;
    const char *const top[] = {"help", NULL};
    cli_exec(NULL, top, 0, 0, &all);
    cr_assert_eq(all.status, 0);
    static const char *const names[] = {"chat", "health"};
    static const char *const words[][9] = {
        {"PROMPT", "--context-query", "--memory-query", "--budget", "--label", "--limit",
         "--model", "--show-context", "--json"},
        {"--timeout", "--json", "0  healthy", "1  degraded", "2  unreachable", "SEKHA_MCP_URL",
         "SEKHA_MCP_API_KEY", "default 5", "0 is refused"}};
    for (size_t i = 0; i < 2; i++)
        cli_check_help(names[i], all.out, words[i], 9, &o);
}

Test(cli_workflows, health_timeout_zero_says_what_is_allowed)
{
    cli_out o;
    const char *const args[] = {"health", "--timeout", "0", NULL};
    run(NULL, args, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    cr_assert_eq(o.out_len, 0, "%s", o.out);
    cr_assert_not_null(strstr(o.err, "more than 0"), "names the range: %s", o.err);
    cr_assert_not_null(strstr(o.err, "86400"), "%s", o.err);
}

Test(cli_workflows, json_prints_exactly_one_value)
{
    store_trip();
    static const char *const cases[][6] = {
        {"chat", "When do I fly?", "--json", NULL},
        {"chat", "When do I fly?", "--json", "--show-context", NULL},
        {"chat", "When", "do I fly?", "--json", "--memory-query", "Lisbon"},
        {"health", "--json", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[8] = {0};
        for (size_t k = 0; k < 6 && cases[i][k]; k++)
            args[k] = cases[i][k];
        cli_out o;
        run(NULL, args, 0, &o);
        cr_assert_eq(o.status, strcmp(args[0], "health") ? 0 : healthy_status(), "case %zu: %s",
                     i, o.err);
        cr_assert(cli_one_json_value(o.out, o.out_len), "case %zu: not one JSON value: %s", i,
                  o.out);
    }
    /* a failing chat with --json: stdout empty, one JSON object on stderr */
    char closed[64];
    wf_closed_url(closed, sizeof closed);
    cli_out o;
    const char *const failing[] = {"chat", "hi", "--json", "--retries", "0", NULL};
    run(closed, failing, 0, &o);
    cr_assert_eq(o.status, 3, "%s", o.err);
    cr_assert_eq(o.out_len, 0, "%s", o.out);
    cr_assert(cli_one_json_value(o.err, o.err_len), "%s", o.err);
}

Test(cli_workflows, chat_reads_the_question_from_stdin)
{
    store_trip();
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "echo 'When do I fly?' | exec \"$SEKHA_CLI\" --controller-url %s --bridge-url %s "
             "chat - --memory-query Lisbon",
             ds.controller_url, ds.bridge_url);
    const char *const args[] = {"-c", cmd, NULL};
    cli_out o;
    cli_exec("/bin/sh", args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s", o.err);
    cr_assert_not_null(strstr(o.out, "Lisbon trip"), "grounded in memory: %s", o.out);
    cr_assert_not_null(strstr(o.out, "you asked: When do I fly?"), "%s", o.out);
}

Test(cli_workflows, limit_without_memory_query_is_a_usage_error)
{
    cli_out o;
    const char *const args[] = {"chat", "x", "--limit", "3", NULL};
    run(NULL, args, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    cr_assert_not_null(strstr(o.err, "--memory-query"), "%s", o.err);
}

Test(cli_workflows, the_memory_query_from_stdin)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "exec \"$SEKHA_CLI\" --controller-url %s store --label Trip "
             "--folder /t --message 'user:I fly to Lisbon on 12 May' >/dev/null", ds.controller_url);
    const char *const store_args[] = {"-c", cmd, NULL};
    cli_out s;
    cli_exec("/bin/sh", store_args, 0, 0, &s);
    cr_assert_eq(s.status, 0, "%s", s.err);
    snprintf(cmd, sizeof cmd, "echo 'Lisbon flight' | exec \"$SEKHA_CLI\" --controller-url %s "
             "--bridge-url %s chat 'When?' --memory-query - --show-context",
             ds.controller_url, ds.bridge_url);
    const char *const args[] = {"-c", cmd, NULL};
    cli_out o;
    cli_exec("/bin/sh", args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s", o.err);
    cr_assert_not_null(strstr(o.out, "I fly to Lisbon"), "the memory found by the query from "
                       "stdin is in the reply: %s", o.out);
}
