/* The README's newcomer path, run as written: start sekha-devserver, export the SEKHA_*
 * variables its ready line names (each key is the variable's name, lower-cased, without the
 * SEKHA_ prefix), then health (MCP healthy), store, query, chat and mcp stats all succeed.
 * Also: the shell completions list exactly the commands `sekha help` lists. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_runner.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void)
{
    /* Nothing from the caller's environment may help or hinder: only what the ready line
     * gives is exported, as a newcomer would. */
    static const char *const vars[] = {"SEKHA_CONTROLLER_URL", "SEKHA_BRIDGE_URL",
                                       "SEKHA_MCP_URL", "SEKHA_API_KEY", "SEKHA_BRIDGE_API_KEY",
                                       "SEKHA_MCP_API_KEY", "SEKHA_TIMEOUT", "SEKHA_MAX_RETRIES",
                                       "SEKHA_RATE_LIMIT"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
    start_devserver(&ds, NULL);
}

static void teardown(void)
{
    ds_proc_stop(&ds);
}

TestSuite(cli_newcomer, .init = setup, .fini = teardown, .timeout = 60);

/* export SEKHA_<KEY>=<value> for every variable the README tells a newcomer to take from
 * the ready line. */
static void export_ready_line(void)
{
    cr_assert_eq(setenv("SEKHA_CONTROLLER_URL", ds.controller_url, 1), 0);
    cr_assert_eq(setenv("SEKHA_BRIDGE_URL", ds.bridge_url, 1), 0);
    cr_assert_eq(setenv("SEKHA_MCP_URL", ds.mcp_url, 1), 0);
    cr_assert_eq(setenv("SEKHA_MCP_API_KEY", ds.mcp_api_key, 1), 0);
}

static void run(cli_out *o, const char *const *args, int want)
{
    cli_exec(NULL, args, 0, 0, o);
    cr_assert_eq(o->status, want, "sekha %s: exit %d, want %d\nstdout: %s\nstderr: %s", args[0],
                 o->status, want, o->out, o->err);
}

/* The line of `sekha health` about service svc. */
static const char *health_line(const char *out, const char *svc)
{
    size_t n = strlen(svc);
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, svc, n) == 0 && l[n] == ' ')
            return l;
    return NULL;
}

Test(cli_newcomer, readme_path_works_against_the_devserver)
{
    export_ready_line();
    static cli_out o;

    /* The February controller serves no /mcp/tools routes: the MCP line says so, and what
     * uses them fails (exit 1) with that message. */
    int feb = ds_test_upstream_is("2026-02");
    run(&o, (const char *const[]){"health", NULL}, feb ? 1 : 0);
    const char *mcp = health_line(o.out, "mcp");
    cr_assert_not_null(mcp, "no mcp line in: %s", o.out);
    cr_assert(strncmp(mcp + strspn(mcp + 3, " ") + 3, feb ? "degraded" : "healthy",
                      feb ? 8 : 7) == 0, "%s", o.out);

    run(&o, (const char *const[]){"store", "--label", "Lisbon trip", "--folder", "/travel",
                                  "--message", "user:I fly to Lisbon on 12 May, TP1351 at 07:40.",
                                  NULL},
        0);
    cr_assert(o.out_len >= 36, "no conversation id printed: %s", o.out);

    run(&o, (const char *const[]){"query", "flight to Lisbon", NULL}, 0);
    cr_assert_not_null(strstr(o.out, "TP1351"), "%s", o.out);

    run(&o, (const char *const[]){"chat", "When do I fly?", "--show-context", NULL}, 0);
    cr_assert(o.out_len > 0, "no reply");
    cr_assert_not_null(strstr(o.err, "TP1351"), "memories not shown: %s", o.err);

    run(&o, (const char *const[]){"mcp", "stats", NULL}, feb ? 1 : 0);
    if (feb)
        cr_assert_not_null(strstr(o.err, "MCP tool routes"), "%s", o.err);
    else
        cr_assert_not_null(strstr(o.out, "1"), "%s", o.out);
}

/* The JSON-RPC endpoint the ready line prints is where `sekha mcp tools --url` connects. */
Test(cli_newcomer, mcp_jsonrpc_url_serves_mcp_clients)
{
    export_ready_line();
    static cli_out o;
    run(&o, (const char *const[]){"mcp", "tools", "--url", ds.mcp_jsonrpc_url, NULL}, 0);
    cr_assert_not_null(strstr(o.out, "memory_search"), "%s", o.out);
}

/* ------------------------------------------------------------ shell completion */

/* The whitespace-separated words of the line starting with marker in file path (under
 * $SEKHA_SOURCE_DIR), between the marker and the closing quote or parenthesis. */
static void completion_words(const char *path, const char *marker, char *out, size_t cap)
{
    const char *src = getenv("SEKHA_SOURCE_DIR");
    cr_assert_not_null(src, "SEKHA_SOURCE_DIR is not set");
    char full[512];
    snprintf(full, sizeof full, "%s/%s", src, path);
    FILE *f = fopen(full, "r");
    cr_assert_not_null(f, "cannot open %s", full);
    char line[2048];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, marker);
        if (!p)
            continue;
        p += strlen(marker);
        size_t n = strcspn(p, "\")\n");
        cr_assert_lt(n, cap);
        memcpy(out, p, n);
        out[n] = '\0';
        found = 1;
    }
    fclose(f);
    cr_assert(found, "%s has no line with %s", full, marker);
}

/* The command names of `sekha help`, space-separated and sorted, plus "help". */
static void help_commands(char *out, size_t cap)
{
    static cli_out o;
    cli_exec(NULL, (const char *const[]){"help", NULL}, 0, 0, &o);
    cr_assert_eq(o.status, 0);
    const char *l = strstr(o.out, "Commands");
    cr_assert_not_null(l);
    l = strstr(l, "):\n");
    cr_assert_not_null(l);
    l += strlen("):\n");
    char names[64][32];
    size_t n = 0;
    while (strncmp(l, "  ", 2) == 0 && n < 63) {
        if (l[2] == ' ') { /* a wrapped summary's next line */
            l = strchr(l, '\n');
            cr_assert_not_null(l);
            l++;
            continue;
        }
        l += 2;
        size_t k = strcspn(l, " \n");
        cr_assert_lt(k, sizeof names[0]);
        memcpy(names[n], l, k);
        names[n++][k] = '\0';
        l = strchr(l, '\n');
        cr_assert_not_null(l);
        l++;
    }
    strcpy(names[n++], "help");
    qsort(names, n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        cr_assert_lt(strlen(out) + strlen(names[i]) + 2, cap);
        if (i)
            strcat(out, " ");
        strcat(out, names[i]);
    }
}

/* words, sorted and single-spaced, in place. */
static void normalise(char *words)
{
    char w[64][32];
    size_t n = 0;
    for (char *t = strtok(words, " \t"); t && n < 64; t = strtok(NULL, " \t")) {
        cr_assert_lt(strlen(t), sizeof w[0]);
        strcpy(w[n++], t);
    }
    qsort(w, n, sizeof w[0], (int (*)(const void *, const void *))strcmp);
    words[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(words, " ");
        strcat(words, w[i]);
    }
}

Test(cli_newcomer, completions_list_every_command)
{
    char want[2048], bash[2048], zsh[2048];
    help_commands(want, sizeof want);
    completion_words("contrib/completion/sekha.bash", "_sekha_commands=\"", bash, sizeof bash);
    completion_words("contrib/completion/_sekha", "_sekha_commands=(", zsh, sizeof zsh);
    normalise(bash);
    normalise(zsh);
    cr_assert_str_eq(bash, want, "contrib/completion/sekha.bash is out of date with sekha help");
    cr_assert_str_eq(zsh, want, "contrib/completion/_sekha is out of date with sekha help");
}

/* ------------------------------------------------------------ --rate-limit */

Test(cli_newcomer, rate_limit_flag_and_variable)
{
    export_ready_line();
    static cli_out o;
    run(&o, (const char *const[]){"count", "--rate-limit", "5/2", NULL}, 0);
    run(&o, (const char *const[]){"count", "--rate-limit", "0", NULL}, 0);
    run(&o, (const char *const[]){"count", "--rate-limit", "5/0", NULL}, 2);
    cr_assert_not_null(strstr(o.err, "--rate-limit"), "%s", o.err);
    cr_assert_eq(o.out_len, 0);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/api/v1/conversations/count"), 2, "nothing sent");
    cr_assert_eq(setenv("SEKHA_RATE_LIMIT", "many", 1), 0);
    run(&o, (const char *const[]){"count", NULL}, 2);
    cr_assert_not_null(strstr(o.err, "SEKHA_RATE_LIMIT"), "%s", o.err);
    run(&o, (const char *const[]){"count", "--rate-limit", "100", NULL}, 2);
}
