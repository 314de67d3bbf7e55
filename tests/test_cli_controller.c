/* The `sekha` controller subcommands, run as a subprocess against sekha-devserver: output,
 * --json, exit statuses (0 ok, 1 failed, 2 usage or refused input, 3 unreachable) and the
 * three-layer cause on stderr,
 * including the acceptance scenario on a fresh --db. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_stdin.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(cli_controller, .init = setup, .fini = teardown, .timeout = 60);

static cli_run *run(const char *const *args)
{
    return cli_run_in(ds.controller_url, NULL, args);
}

/* Runs a command that must succeed; returns its stdout without the final newline (malloc'd). */
static char *ok(const char *const *args)
{
    cli_run *r = run(args);
    cr_assert_eq(r->status, 0, "%s %s failed (%d): %s", args[0], args[1] ? args[1] : "",
                 r->status, r->err);
    if (r->out_len && r->out[r->out_len - 1] == '\n')
        r->out[--r->out_len] = '\0';
    char *s = strdup(r->out);
    cli_run_free(r);
    return s;
}

static void expect_status(const char *const *args, int status, const char *in_stderr)
{
    cli_run *r = run(args);
    cr_assert_eq(r->status, status, "%s: exit %d, want %d; stderr: %s", args[0], r->status,
                 status, r->err);
    if (in_stderr)
        cr_assert_not_null(strstr(r->err, in_stderr), "\"%s\" not in stderr: %s", in_stderr,
                           r->err);
    cli_run_free(r);
}

static char *store(const char *label, const char *text)
{
    char msg[512];
    snprintf(msg, sizeof msg, "user:%s", text);
    char *id = ok((const char *const[]){"store", "--label", label, "--folder", "/cli",
                                        "--message", msg, NULL});
    cr_assert_eq(strlen(id), 36, "store prints the id: \"%s\"", id);
    return id;
}

Test(cli_controller_acceptance, fresh_db_store_query_context_count_delete)
{
    char dir[] = "/tmp/sekha-cli-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char db[64];
    snprintf(db, sizeof db, "%s/fresh.db", dir);
    start_devserver(&ds, (const char *const[]){"--db", db, NULL});
    char *bread = store("Cooking", "How do I bake sourdough bread with a starter?");
    char *car = store("Cars", "My car engine makes a knocking noise when accelerating");
    char *trip = store("Travel", "Best time to visit Japan for cherry blossoms");

    char *q = ok((const char *const[]){"query", "engine knocking noise", "--json", NULL});
    cJSON *j = cJSON_Parse(q);
    cr_assert_not_null(j, "--json prints JSON: %s", q);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(first, "conversation_id")), car,
                     "the matching conversation ranks first");
    cJSON_Delete(j);
    free(q);

    char *ctx = ok((const char *const[]){"context", "sourdough bread", "--budget", "30",
                                         "--json", NULL});
    j = cJSON_Parse(ctx);
    cr_assert(cJSON_IsArray(j), "context prints the bare array: %s", ctx);
    size_t tokens = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, j)
        tokens += strlen(cJSON_GetStringValue(cJSON_GetObjectItem(m, "content"))) / 4;
    cr_assert(cJSON_GetArraySize(j) >= 1, "something fits in 30 tokens");
    cr_assert(tokens <= 25, "within 85%% of the budget: %zu tokens", tokens);
    cJSON_Delete(j);
    free(ctx);

    char *n = ok((const char *const[]){"count", NULL});
    cr_assert_str_eq(n, "3");
    free(n);
    free(ok((const char *const[]){"delete", car, NULL}));
    expect_status((const char *const[]){"get", car, NULL}, 1, "not found");
    ds_proc_stop(&ds);
    free(bread);
    free(car);
    free(trip);
    unlink(db);
    char side[96];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    rmdir(dir);
}

Test(cli_controller, store_get_and_json)
{
    char *id = ok((const char *const[]){"store", "--label", "Notes", "--folder", "/w",
                                        "--message", "user:first: with a colon",
                                        "--message", "assistant:second", "--importance", "3",
                                        NULL});
    char *got = ok((const char *const[]){"get", id, NULL});
    cr_assert_not_null(strstr(got, "label:    Notes"), "%s", got);
    cr_assert_not_null(strstr(got, "folder:   /w"));
    cr_assert_not_null(strstr(got, "messages: 2"));
    cr_assert_not_null(strstr(got, "status:   active"));
    free(got);
    got = ok((const char *const[]){"--json", "get", id, NULL});
    cJSON *j = cJSON_Parse(got);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), id);
    cJSON_Delete(j);
    free(got);
    char *hit = ok((const char *const[]){"search", "colon", NULL});
    cr_assert_not_null(strstr(hit, "user: first: with a colon"), "ROLE:TEXT splits at the "
                       "first colon: %s", hit);
    free(hit);
    free(id);
}

Test(cli_controller, usage_errors_exit_2)
{
    expect_status((const char *const[]){"store", "--label", "l", "--folder", "f", NULL}, 2,
                  "usage: sekha store");
    expect_status((const char *const[]){"store", "--label", "l", "--folder", "f", "--message",
                                        "robot:hi", NULL}, 2, "ROLE:TEXT");
    expect_status((const char *const[]){"store", "--label", "l", "--folder", "f", "--message",
                                        "no colon", NULL}, 2, NULL);
    expect_status((const char *const[]){"list", "--page", "0", NULL}, 2, "--page must be 1..4294967295");
    expect_status((const char *const[]){"list", "--page-size", "x", NULL}, 2, "whole number");
    expect_status((const char *const[]){"count", "--label", "a", "--folder", "b", NULL}, 2,
                  "not both");
    expect_status((const char *const[]){"get", NULL}, 2, "expected 1 argument");
    expect_status((const char *const[]){"label", "id", "only-label", NULL}, 2, NULL);
    expect_status((const char *const[]){"prune", NULL}, 2, "--days");
    expect_status((const char *const[]){"prune", "--days", "1", "--all", NULL}, 2, "--execute");
    expect_status((const char *const[]){"query", "x", "--bogus", NULL}, 2, "unknown option");
    /* typos must not pass as success, wherever they stand */
    expect_status((const char *const[]){"frobnicate", NULL}, 2, "unknown command");
    expect_status((const char *const[]){"--bogus", "count", NULL}, 2, "unknown option --bogus");
    expect_status((const char *const[]){"help", "frobnicate", NULL}, 2, "unknown command");
    expect_status((const char *const[]){"context", "q", "--budget", NULL}, 2, "needs a value");
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/api/v1/conversations"), 0);
}

Test(cli_controller, changes_and_list_filters)
{
    char *a = store("Alpha", "alpha text");
    char *b = store("Beta", "beta text");
    char *out = ok((const char *const[]){"label", a, "Renamed", "/moved", NULL});
    cr_assert_str_eq(out + strlen("relabelled "), a);
    free(out);
    free(ok((const char *const[]){"folder", b, "/elsewhere", NULL}));
    free(ok((const char *const[]){"pin", a, NULL}));
    free(ok((const char *const[]){"archive", b, NULL}));
    char *list = ok((const char *const[]){"list", NULL});
    cr_assert_not_null(strstr(list, "Renamed  folder=/moved  status=active  importance=10"),
                       "%s", list);
    cr_assert_not_null(strstr(list, "Beta  folder=/elsewhere  status=archived"), "%s", list);
    cr_assert_not_null(strstr(list, "2 shown, 2 in total"));
    free(list);
    /* The deployed controllers' list filters match nothing (documented in `sekha list
     * --help` and the man page); the devserver's own mode filters. */
    int filters_work = !ds_test_upstream();
    list = ok((const char *const[]){"list", "--pinned", NULL});
    cr_assert_eq(strstr(list, a) != NULL, filters_work, "%s", list);
    cr_assert_null(strstr(list, b));
    free(list);
    list = ok((const char *const[]){"list", "--archived", "--page-size", "1", "--page", "1",
                                    NULL});
    cr_assert_eq(strstr(list, b) != NULL, filters_work, "%s", list);
    cr_assert_null(strstr(list, a));
    free(list);
    char *n = ok((const char *const[]){"count", "--folder", "/moved", NULL});
    cr_assert_str_eq(n, "1");
    free(n);
    expect_status((const char *const[]){"pin", "not-an-id", NULL}, 2, "layer: local");
    expect_status((const char *const[]){"label", "3f8a5c1e-0000-4000-8000-000000000001", "x",
                                        "y", NULL}, 1, "http status: 404");
    free(a);
    free(b);
}

Test(cli_controller, search_summarize_labels_and_prune)
{
    char *a = store("Garden", "Garden tomatoes need deep watering. Mulch keeps the soil moist.");
    char *b = store("Cooking", "Tomatoes make a fine sauce");
    char *s = ok((const char *const[]){"search", "tomatoes", "--limit", "1", NULL});
    cr_assert_eq(strchr(s, '\n'), NULL, "one line for --limit 1: %s", s);
    free(s);
    s = ok((const char *const[]){"summarize", a, "--level", "weekly", NULL});
    cr_assert_not_null(strstr(s, "Garden tomatoes need deep watering."), "%s", s);
    free(s);
    expect_status((const char *const[]){"summarize", a, "--level", "hourly", NULL}, 2,
                  "daily, weekly or monthly");
    s = ok((const char *const[]){"suggest-labels", a, NULL});
    cr_assert_not_null(strstr(s, "Garden  0.90  existing"), "%s", s);
    free(s);
    s = ok((const char *const[]){"prune", "--days", "0", NULL});
    cr_assert_not_null(strstr(s, "keep"), "%s", s);
    cr_assert_not_null(strstr(s, a));
    free(s);
    s = ok((const char *const[]){"prune", "--days", "0", "--execute", NULL});
    cr_assert_not_null(strstr(s, "archived 0 conversations"), "only \"archive\" ones: %s", s);
    free(s);
    s = ok((const char *const[]){"prune", "--days", "0", "--execute", "--all", NULL});
    cr_assert_not_null(strstr(s, "archived 2 conversations"), "%s", s);
    free(s);
    s = ok((const char *const[]){"get", b, NULL});
    cr_assert_not_null(strstr(s, "status:   archived"));
    free(s);
    s = ok((const char *const[]){"context", "tomato watering", "--label", "Garden",
                                 "--exclude-folder", "/none", NULL});
    cr_assert_not_null(strstr(s, "[Garden] user: Garden tomatoes need deep watering."), "%s", s);
    cr_assert_not_null(strstr(s, "budget 4000 tokens"));
    free(s);
    free(a);
    free(b);
}

Test(cli_controller, metrics_rebuild_and_help)
{
    free(store("M", "metric"));
    char *m = ok((const char *const[]){"metrics", NULL});
    /* The deployed controllers answer a placeholder whatever is stored. */
    const char *want = ds_test_upstream_is("2026-01")   ? "sekha_conversations_total 0"
                       : ds_test_upstream_is("2026-02") ? "not_implemented"
                                                        : "sekha_conversations_total 1";
    cr_assert_not_null(strstr(m, want), "%s", m);
    free(m);
    m = ok((const char *const[]){"rebuild-embeddings", NULL});
    cr_assert_str_eq(m, "embedding rebuild accepted");
    free(m);
    m = ok((const char *const[]){"help", NULL});
    cr_assert_not_null(strstr(m, "  suggest-labels "));
    free(m);
    m = ok((const char *const[]){"context", "--help", NULL});
    cr_assert_not_null(strstr(m, "context QUERY [--budget N]"));
    free(m);
}

Test(cli_controller, unreachable_controller_is_a_transport_failure)
{
    char url[64];
    test_closed_port_url(url, sizeof url); /* nothing listens there */
    cli_run *r = cli_run_in(url, NULL, (const char *const[]){"--retries", "0", "count", NULL});
    cr_assert_eq(r->status, 3);
    cr_assert_not_null(strstr(r->err, "layer: transport"), "%s", r->err);
    cr_assert_not_null(strstr(r->err, "GET /api/v1/conversations/count"));
    cr_assert_eq(r->out_len, 0);
    cli_run_free(r);
}

/* Text that is not UTF-8 cannot be JSON: refused locally (exit 2, the field and byte named
 * on stderr) and the controller never hears of it. */
Test(cli_controller, non_utf8_text_is_refused_before_sending)
{
    expect_status((const char *const[]){"store", "--label", "a", "--folder", "/a", "--message",
                                        "user:bad \xff", NULL}, 2,
                  "messages[0].content is not valid UTF-8 (at byte 4)");
    expect_status((const char *const[]){"store", "--label", "a\xc3", "--folder", "/a",
                                        "--message", "user:fine", NULL}, 2,
                  "label is not valid UTF-8 (at byte 1)");
    expect_status((const char *const[]){"query", "caf\xc3", NULL}, 2,
                  "query is not valid UTF-8 (at byte 3)");
    expect_status((const char *const[]){"search", "\xff", NULL}, 2,
                  "query is not valid UTF-8 (at byte 0)");
    cli_run *r = run((const char *const[]){"store", "--label", "a", "--folder", "/a",
                                           "--message", "user:bad \xff", NULL});
    cr_assert_not_null(strstr(r->err, "layer: local"), "%s", r->err);
    cli_run_free(r);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/api/v1/conversations"), 0);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/api/v1/query"), 0);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/api/v1/search/fts"), 0);
}
