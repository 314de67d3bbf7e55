/* `sekha mcp ...` run as a subprocess: the acceptance (tools over the devserver's
 * /mcp, a stored conversation found by memory_search, stats, a wrong key failing with an
 * auth error), the Sekha tool commands, --stdio with progress on stderr, and exit statuses
 * (0 ok, 1 failed, 2 usage or refused input, 3 unreachable), help and --json. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_runner.h"
#include "testutil.h"

#define DEV_KEY "dev_default_key_change_me_1234567890"

extern char **environ;

static ds_proc ds;
static char dir[64];

static void setup(void)
{
    start_devserver(&ds, NULL);
    snprintf(dir, sizeof dir, "/tmp/sekha-cli-mcp-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    ds_proc_stop(&ds);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(cli_mcp, .init = setup, .fini = teardown, .timeout = 60);

typedef struct cli_run {
    int status;
    char out[32768];
    char err[8192];
} cli_run;

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs sekha with the devserver as controller (and so MCP) URL and key, then args; stdout
 * and stderr go to files read back once it exited. */
static cli_run *cli(const char *key, const char *const *args)
{
    const char *bin = getenv("SEKHA_CLI");
    cr_assert_not_null(bin, "SEKHA_CLI is not set");
    const char *argv[32] = {bin, "--controller-url", ds.controller_url};
    size_t n = 3;
    if (key) {
        argv[n++] = "--mcp-api-key";
        argv[n++] = key;
    }
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/err", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    static cli_run r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(out_path, r.out, sizeof r.out);
    slurp(err_path, r.err, sizeof r.err);
    return &r;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The February controller serves no /mcp/tools routes, so `sekha mcp stats` and `search`
 * (which use them) fail there, exit 1, with a message that says so; `mcp call` goes through
 * the JSON-RPC endpoint and still works. */
static int feb(void) { return ds_test_upstream_is("2026-02"); }

static void expect_no_tool_routes(const cli_run *r)
{
    cr_assert_eq(r->status, 1, "%s", r->err);
    cr_assert_str_eq(r->out, "");
    cr_assert_not_null(strstr(r->err, "MCP tool routes"), "names what is missing: %s", r->err);
}

static const char *STORE_ARGS =
    "{\"label\":\"Kayak trip\",\"folder\":\"/personal\",\"messages\":[{\"role\":\"user\","
    "\"content\":\"Packing list for the fjord kayak trip: dry bags and a spare paddle\"}]}";

Test(cli_mcp, acceptance_tools_search_stats_and_a_wrong_key)
{
    char url[192];
    snprintf(url, sizeof url, "%s/mcp", ds.controller_url);
    cli_run *r = cli(DEV_KEY, ARGS("mcp", "tools", "--url", url, "--json"));
    cr_assert_eq(r->status, 0, "%s", r->err);
    cJSON *v = cJSON_Parse(r->out);
    cr_assert_not_null(v, "not JSON: %s", r->out);
    const cJSON *tools = cJSON_GetObjectItem(v, "tools");
    cr_assert_eq(cJSON_GetArraySize(tools), 7);
    static const char *const names[] = {"memory_store", "memory_search", "memory_update",
                                        "memory_prune", "memory_get_context", "memory_export",
                                        "memory_stats"};
    for (size_t i = 0; i < 7; i++) {
        int found = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, tools)
            found |= !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t, "name")), names[i]);
        cr_assert(found, "%s listed", names[i]);
    }
    cJSON_Delete(v);

    r = cli(DEV_KEY, ARGS("mcp", "call", "memory_store", "--args", STORE_ARGS, "--url", url));
    cr_assert_eq(r->status, 0, "%s", r->err);
    r = cli(DEV_KEY, ARGS("mcp", "call", "memory_search", "--args", "{\"query\":\"fjord kayak packing\"}",
                          "--url", url));
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert_not_null(strstr(r->out, "spare paddle"), "%s", r->out);
    cr_assert_not_null(strstr(r->out, "Kayak trip"), "%s", r->out);

    r = cli(DEV_KEY, ARGS("mcp", "stats"));
    if (feb()) {
        expect_no_tool_routes(r);
        r = cli("wrong_key_wrong_key_wrong_key_wrong_key", ARGS("mcp", "tools", "--url", url));
        cr_assert_eq(r->status, 1);
        cr_assert_not_null(strstr(r->err, "authentication failed"), "%s", r->err);
        return;
    }
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert_not_null(strstr(r->out, "total_conversations: 1"), "%s", r->out);
    cr_assert_not_null(strstr(r->out, "folders: /personal"), "%s", r->out);

    r = cli("wrong_key_wrong_key_wrong_key_wrong_key", ARGS("mcp", "stats"));
    cr_assert_eq(r->status, 1);
    cr_assert_not_null(strstr(r->err, "authentication failed"), "%s", r->err);
    cr_assert_not_null(strstr(r->err, "Invalid API key"), "%s", r->err);
    r = cli("wrong_key_wrong_key_wrong_key_wrong_key", ARGS("mcp", "tools", "--url", url));
    cr_assert_eq(r->status, 1);
    cr_assert_not_null(strstr(r->err, "authentication failed"), "%s", r->err);
    cr_assert_null(strstr(r->err, "out of memory"), "only the real cause: %s", r->err);
    cr_assert_str_eq(r->out, "");
    r = cli(NULL, ARGS("mcp", "stats"));
    cr_assert_eq(r->status, 1, "no key at all");
    cr_assert_not_null(strstr(r->err, "Missing authorization header"), "%s", r->err);
}

Test(cli_mcp, sekha_tool_commands)
{
    cli_run *r = cli(DEV_KEY, ARGS("mcp", "call", "memory_store", "--args", STORE_ARGS));
    cr_assert_eq(r->status, 0, "default URL is <MCP>/mcp: %s", r->err);
    r = cli(DEV_KEY, ARGS("mcp", "search", "spare paddle", "--limit", "3"));
    if (feb()) {
        expect_no_tool_routes(r);
        expect_no_tool_routes(cli(DEV_KEY, ARGS("mcp", "stats", "--label", "Kayak trip")));
        return;
    }
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert_not_null(strstr(r->out, "Kayak trip (/personal): Packing list"), "%s", r->out);
    r = cli(DEV_KEY, ARGS("mcp", "search", "spare paddle", "--json"));
    cr_assert_eq(r->status, 0, "%s", r->err);
    cJSON *v = cJSON_Parse(r->out);
    cr_assert_not_null(v, "%s", r->out);
    cr_assert_eq(cJSON_GetObjectItem(v, "total_results")->valueint, 1);
    cJSON_Delete(v);
    r = cli(DEV_KEY, ARGS("mcp", "stats", "--label", "Kayak trip", "--json"));
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert_not_null(strstr(r->out, "\"labels\":[\"Kayak trip\"]"), "%s", r->out);
    r = cli(DEV_KEY, ARGS("mcp", "call", "memory_get_context", "--args", "{\"conversation_id\":\"x\"}"));
    cr_assert_eq(r->status, 1, "a tool error fails the command");
    cr_assert_not_null(strstr(r->err, "reported an error"), "%s", r->err);
}

Test(cli_mcp, stdio_server_with_progress_on_stderr)
{
    char script[128];
    snprintf(script, sizeof script, "%s/server.sh", dir);
    FILE *f = fopen(script, "w");
    cr_assert_not_null(f);
    fputs("read l\n"
          "printf '%s\\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-11-25\","
          "\"capabilities\":{},\"serverInfo\":{\"name\":\"sh\",\"version\":\"1\"}}}'\n"
          "read l\nread l\n"
          "case \"$l\" in *'\"progressToken\":2'*) ;; *) exit 1;; esac\n"
          "printf '%s\\n' '{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"
          "{\"progressToken\":2,\"progress\":1,\"total\":2,\"message\":\"halfway\"}}'\n"
          "printf '%s\\n' '{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
          "\"text\":\"done by sh\"}]}}'\n"
          "while read l; do :; done\n",
          f);
    fclose(f);
    char cmd[192];
    snprintf(cmd, sizeof cmd, "sh '%s'", script);
    cli_run *r = cli(NULL, ARGS("mcp", "call", "work", "--stdio", cmd));
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert_str_eq(r->out, "done by sh\n");
    cr_assert_not_null(strstr(r->err, "progress: 1/2 halfway"), "%s", r->err);
}

Test(cli_mcp, usage_errors_exit_2)
{
    cr_assert_eq(cli(NULL, ARGS("mcp"))->status, 2);
    cr_assert_eq(cli(NULL, ARGS("mcp", "call"))->status, 2);
    cr_assert_eq(cli(NULL, ARGS("mcp", "bogus"))->status, 2);
    cr_assert_eq(cli(NULL, ARGS("mcp", "tools", "--url", "http://x", "--stdio", "y"))->status, 2);
    cr_assert_eq(cli(NULL, ARGS("mcp", "stats", "--folder", "a", "--label", "b"))->status, 2);
    cr_assert_eq(cli(NULL, ARGS("mcp", "search", "q", "--limit", "zero"))->status, 2);
    cr_assert_eq(cli(NULL, ARGS("mcp", "tools", "--stdio", "'unbalanced"))->status, 2);
    /* refused before anything could be sent: a local error, 2 */
    cli_run *r = cli(NULL, ARGS("mcp", "tools", "--stdio", "/nonexistent/server"));
    cr_assert_eq(r->status, 2);
    cr_assert_not_null(strstr(r->err, "cannot start"), "%s", r->err);
}

Test(cli_mcp, help_of_mcp)
{
    static cli_out all, o;
    cli_exec(NULL, (const char *const[]){"help", NULL}, 0, 0, &all);
    cr_assert_eq(all.status, 0);
    static const char *const words[] = {"tools", "call NAME", "stats", "search QUERY",
                                        "--url", "--sse", "--stdio", "--args", "--folder",
                                        "--label", "--limit", "--filters", "--json",
                                        "SEKHA_MCP_URL", "SEKHA_MCP_API_KEY", "default",
                                        "/mcp/tools/", "\"-\" reads"};
    cli_check_help("mcp", all.out, words, sizeof words / sizeof *words, &o);
}

Test(cli_mcp, json_prints_exactly_one_value)
{
    cli_run *r = cli(DEV_KEY, ARGS("mcp", "call", "memory_store", "--args", STORE_ARGS, "--json"));
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert(cli_one_json_value(r->out, strlen(r->out)), "call: %s", r->out);
    static const char *const cases[][4] = {{"tools", NULL},
                                           {"stats", NULL},
                                           {"stats", "--folder", "/personal", NULL},
                                           {"search", "paddle", NULL},
                                           {"search", "paddle", "--limit", "2"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[8] = {"mcp"};
        size_t n = 1;
        for (size_t k = 0; k < 4 && cases[i][k]; k++)
            args[n++] = cases[i][k];
        args[n++] = "--json";
        args[n] = NULL;
        r = cli(DEV_KEY, args);
        if (feb() && i > 0) {
            /* stats and search need the tool routes: one JSON error on stderr instead */
            cr_assert_eq(r->status, 1, "case %zu: %s", i, r->err);
            cr_assert_str_eq(r->out, "", "case %zu", i);
            cr_assert(cli_one_json_value(r->err, strlen(r->err)), "case %zu: %s", i, r->err);
            cr_assert_not_null(strstr(r->err, "MCP tool routes"), "case %zu: %s", i, r->err);
            continue;
        }
        cr_assert_eq(r->status, 0, "case %zu: %s", i, r->err);
        cr_assert(cli_one_json_value(r->out, strlen(r->out)), "case %zu: not one JSON value: %s", i, r->out);
        cr_assert_str_eq(r->err, "", "case %zu", i);
    }
    /* a failure with --json: stdout empty, one JSON object on stderr */
    r = cli("wrong_key_wrong_key_wrong_key_wrong_key", ARGS("mcp", "stats", "--json"));
    cr_assert_eq(r->status, 1);
    cr_assert_str_eq(r->out, "");
    cr_assert(cli_one_json_value(r->err, strlen(r->err)), "%s", r->err);
}

Test(cli_mcp, bad_args_json_exits_2_and_sends_nothing)
{
    char url[192];
    snprintf(url, sizeof url, "%s/mcp", ds.controller_url);
    long before = ds_proc_count(&ds, ds.controller_url, "/mcp");
    cr_assert_geq(before, 0);
    cli_run *r = cli(DEV_KEY, ARGS("mcp", "call", "memory_search", "--args", "{bad json"));
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert_str_eq(r->out, "");
    cr_assert_not_null(strstr(r->err, "--args is not valid JSON"), "%s", r->err);
    cr_assert_not_null(strstr(r->err, "byte "), "says where it broke: %s", r->err);
    r = cli(DEV_KEY, ARGS("mcp", "call", "memory_search", "--args", "{\"query\":1} x",
                          "--url", url));
    cr_assert_eq(r->status, 2, "trailing text after the object: %s", r->err);
    r = cli(DEV_KEY, ARGS("mcp", "call", "memory_search", "--args", "[1]", "--json"));
    cr_assert_eq(r->status, 2, "%s", r->err);
    cr_assert_not_null(strstr(r->err, "JSON object"), "%s", r->err);
    cr_assert(cli_one_json_value(r->err, strlen(r->err)), "a usage error as JSON with --json: %s", r->err);
    cr_assert_str_eq(r->out, "");
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/mcp"), before, "nothing was sent");
}

Test(cli_mcp, a_tool_error_goes_to_stderr_and_exits_1)
{
    cli_run *r = cli(DEV_KEY, ARGS("mcp", "call", "memory_search", "--args", "{\"query\":1}"));
    cr_assert_eq(r->status, 1, "%s", r->err);
    cr_assert_str_eq(r->out, "", "stdout stays empty on failure");
    cr_assert_not_null(strstr(r->err, "reported an error"), "%s", r->err);
    cr_assert_not_null(strstr(r->err, "invalid type"), "the tool's words: %s", r->err);
    r = cli(DEV_KEY, ARGS("mcp", "call", "memory_search", "--args", "{\"query\":1}", "--json"));
    cr_assert_eq(r->status, 1, "%s", r->err);
    cr_assert_str_eq(r->out, "");
    cr_assert(cli_one_json_value(r->err, strlen(r->err)), "%s", r->err);
    cr_assert_not_null(strstr(r->err, "\"tool_result\""), "%s", r->err);
}

Test(cli_mcp, an_unreachable_server_exits_3)
{
    static const char *const cases[][6] = {
        {"mcp", "tools", "--url", "http://127.0.0.1:1/mcp", NULL},
        {"mcp", "call", "memory_stats", "--url", "http://127.0.0.1:1/mcp", NULL},
        {"--mcp-url", "http://127.0.0.1:1", "mcp", "stats", NULL},
        {"--mcp-url", "http://127.0.0.1:1", "mcp", "search", "q", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[10] = {"--retries", "0"};
        size_t n = 2;
        for (size_t k = 0; k < 6 && cases[i][k]; k++)
            args[n++] = cases[i][k];
        args[n] = NULL;
        cli_run *r = cli(DEV_KEY, args);
        cr_assert_eq(r->status, 3, "case %zu: %s", i, r->err);
        cr_assert_str_eq(r->out, "", "case %zu", i);
        cr_assert_not_null(strstr(r->err, "layer: transport"), "case %zu: %s", i, r->err);
    }
}
