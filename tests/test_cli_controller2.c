/* The `sekha` controller subcommands as a Unix tool, run as a subprocess against
 * sekha-devserver: a complete --help for every command, exactly one JSON value on stdout
 * with --json, file and stdin input (ROLE:@FILE, ROLE:@-, TEXT "-"), and the exit-status
 * table: 2 for input refused locally (nothing reaches the server), 3 for an unreachable
 * controller, 1 for an HTTP error; stdout stays empty whenever a command fails. */
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_stdin.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(cli_controller2, .init = setup, .fini = teardown, .timeout = 90);

static const char *const commands[] = {
    "store", "get", "list", "count", "label", "folder", "pin", "archive", "delete", "query",
    "search", "context", "summarize", "prune", "suggest-labels", "metrics",
    "rebuild-embeddings", NULL};

static cli_run *run(const char *const *args) { return cli_run_in(ds.controller_url, NULL, args); }

/* stdout holds exactly one JSON value (after its final newline is trimmed); returns it. */
static cJSON *one_json(const cli_run *r, const char *what)
{
    cr_assert_gt(r->out_len, 0, "%s: nothing on stdout; stderr: %s", what, r->err);
    cr_assert_eq(r->out[r->out_len - 1], '\n', "%s: stdout ends with a newline", what);
    char *copy = strndup(r->out, r->out_len - 1);
    cr_assert_not_null(copy);
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(copy, &end, 1);
    cr_assert_not_null(v, "%s: stdout is not exactly one JSON value: %s", what, r->out);
    free(copy);
    return v;
}

/* Runs a command that must succeed with --json; returns its one JSON value. */
static cJSON *ok_json(const char *const *args)
{
    cli_run *r = run(args);
    cr_assert_eq(r->status, 0, "%s failed (%d): %s", args[0], r->status, r->err);
    cJSON *v = one_json(r, args[0]);
    cli_run_free(r);
    return v;
}

static char *store_id(const char *label, const char *message)
{
    cJSON *v = ok_json((const char *const[]){"store", "--label", label, "--folder", "/t",
                                             "--message", message, "--json", NULL});
    char *id = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(v, "id")));
    cJSON_Delete(v);
    cr_assert_eq(strlen(id), 36);
    return id;
}

Test(cli_controller2, every_command_has_a_complete_help)
{
    cli_run *all = run((const char *const[]){"help", NULL});
    cr_assert_eq(all->status, 0);
    for (size_t i = 0; commands[i]; i++) {
        cli_run *h = run((const char *const[]){commands[i], "--help", NULL});
        cr_assert_eq(h->status, 0, "%s --help", commands[i]);
        cr_assert_eq(h->err_len, 0, "%s --help writes nothing on stderr: %s", commands[i], h->err);
        cr_assert_gt(h->out_len, 0);
        cr_assert_str_neq(h->out, all->out, "%s --help is its own text", commands[i]);
        cli_run *h2 = run((const char *const[]){"help", commands[i], NULL});
        cr_assert_eq(h2->status, 0);
        cr_assert_str_eq(h2->out, h->out, "sekha help %s equals sekha %s --help", commands[i],
                         commands[i]);
        cli_run_free(h2);
        /* The command's own part: between the summary and the common flags. */
        const char *own = strstr(h->out, ".\n\n");
        const char *common = strstr(h->out, "Common flags");
        cr_assert(own && common && own + 3 < common, "%s --help has a text of its own: %s",
                  commands[i], h->out);
        /* Every flag of the usage line is explained, and where the controller is. */
        const char *usage = strchr(h->out, ' ') + 1; /* "sekha ..." */
        const char *usage_end = strchr(usage, '\n');
        for (const char *f = strstr(usage, "--"); f && f < usage_end; f = strstr(f + 2, "--")) {
            size_t n = strcspn(f, " ]|.\n");
            char flag[40];
            snprintf(flag, sizeof flag, "  %.*s ", (int)n, f);
            const char *at = strstr(own, flag);
            cr_assert(at && at < common, "%s --help explains %s: %s", commands[i], flag, h->out);
        }
        const char *env = strstr(own, "SEKHA_CONTROLLER_URL");
        cr_assert(env && env < common, "%s --help names SEKHA_CONTROLLER_URL", commands[i]);
        /* Lines stay under 90 columns, usage line aside (it is the table's). */
        for (const char *l = usage_end + 1; *l;) {
            size_t n = strcspn(l, "\n");
            cr_assert_lt(n, 90, "%s --help: line too long: %.*s", commands[i], (int)n, l);
            l += n + (l[n] ? 1 : 0);
        }
        cli_run_free(h);
    }
    cli_run_free(all);
}

Test(cli_controller2, help_states_defaults_and_caveats)
{
    static const struct {
        const char *cmd, *says;
    } want[] = {
        {"query", "default 0: the server's\n                         default, 10"},
        {"search", "default 0: the server's\n                         default, 10"},
        {"context", "default 0: the server's default,\n                         4000"},
        {"context", "PREFER"},
        {"context", "it does not filter"},
        {"store", "ignores\n                         it when storing and keeps 5"},
        {"store", "ROLE:@@TEXT"},
        {"store", "ROLE:@-"},
        {"list", "(default 50)"},
        {"summarize", "(default daily)"},
        {"prune", "required"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cli_run *h = run((const char *const[]){want[i].cmd, "--help", NULL});
        cr_assert_not_null(strstr(h->out, want[i].says), "%s --help says \"%s\": %s",
                           want[i].cmd, want[i].says, h->out);
        cli_run_free(h);
    }
}

Test(cli_controller2, json_prints_exactly_one_value_for_every_command)
{
    char *id = store_id("Garden", "user:tomatoes need deep watering");
    char *other = store_id("Cars", "user:the engine knocks");
    const char *const *runs[] = {
        (const char *const[]){"get", id, NULL},
        (const char *const[]){"list", NULL},
        (const char *const[]){"count", NULL},
        (const char *const[]){"label", other, "Engines", "/cars", NULL},
        (const char *const[]){"folder", other, "/garage", NULL},
        (const char *const[]){"pin", id, NULL},
        (const char *const[]){"archive", other, NULL},
        (const char *const[]){"query", "tomatoes", NULL},
        (const char *const[]){"search", "tomatoes", NULL},
        (const char *const[]){"context", "watering", NULL},
        (const char *const[]){"summarize", id, NULL},
        (const char *const[]){"prune", "--days", "0", NULL},
        (const char *const[]){"prune", "--days", "0", "--execute", "--all", NULL},
        (const char *const[]){"suggest-labels", id, NULL},
        (const char *const[]){"metrics", NULL},
        (const char *const[]){"rebuild-embeddings", NULL},
        (const char *const[]){"delete", other, NULL},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        const char *args[12];
        size_t n = 0;
        for (; runs[i][n]; n++)
            args[n] = runs[i][n];
        args[n++] = "--json";
        args[n] = NULL;
        cli_run *r = run(args);
        cr_assert(r->status == 0 || r->status == 2, "%s --json exits %d: %s", args[0],
                  r->status, r->err);
        if (r->status == 0)
            cJSON_Delete(one_json(r, args[0]));
        else
            cr_assert_eq(r->out_len, 0);
        cli_run_free(r);
    }
    /* What the commands without a body of their own print. */
    cJSON *v = ok_json((const char *const[]){"label", id, "Veg", "/garden", "--json", NULL});
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(v, "id")), id);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(v, "label")), "Veg");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(v, "folder")), "/garden");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(v, "ok")));
    cJSON_Delete(v);
    v = ok_json((const char *const[]){"metrics", "--json", NULL});
    const cJSON *total = cJSON_GetObjectItem(v, "sekha_conversations_total");
    if (ds_test_upstream_is("2026-02")) {
        /* The February controller's /metrics is JSON saying it is not implemented. */
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(v, "metrics")),
                         "not_implemented", "%s", cJSON_PrintUnformatted(v));
    } else {
        cr_assert(cJSON_IsNumber(total), "metrics --json has the samples: %s",
                  cJSON_PrintUnformatted(v));
        /* The January controller's one gauge is a placeholder that stays 0. */
        cr_assert_eq(total->valuedouble, ds_test_upstream() ? 0.0 : 1.0,
                     "one conversation left");
        cr_assert(ds_test_upstream() ||
                  cJSON_IsNumber(cJSON_GetObjectItem(v, "sekha_conversations_pinned")));
    }
    cJSON_Delete(v);
    char *fresh = store_id("Fresh", "user:new");
    v = ok_json((const char *const[]){"prune", "--days", "0", "--execute", "--all", "--json",
                                      NULL});
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(v, "suggestions")));
    const cJSON *archived = cJSON_GetObjectItem(v, "archived");
    cr_assert_eq(cJSON_GetArraySize(archived), 1);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(archived, 0)), fresh);
    cJSON_Delete(v);
    free(fresh);
    free(id);
    free(other);
}

/* Prometheus text with labels, comments, special values and a timestamp, as one object. */
Test(cli_controller2, metrics_json_parses_prometheus_text)
{
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "{\"path\":\"/metrics\",\"steps\":[{\"status\":200,"
                               "\"content_type\":\"text/plain; version=0.0.4\",\"body\":"
                               "\"# HELP x_total X.\\n# TYPE x_total counter\\n"
                               "x_total{route=\\\"/a}b\\\",code=\\\"200\\\"} 3 1700000000\\n"
                               "up 1\\n\\nq NaN\\nhi +Inf\\n\"},{\"status\":200,\"body\":"
                               "\"not a metric line\\n\"}]}"),
                 0);
    cJSON *v = ok_json((const char *const[]){"metrics", "--json", NULL});
    const cJSON *x = cJSON_GetObjectItem(v, "x_total{route=\"/a}b\",code=\"200\"}");
    cr_assert(cJSON_IsNumber(x) && x->valuedouble == 3.0, "%s", cJSON_PrintUnformatted(v));
    cr_assert_eq(cJSON_GetObjectItem(v, "up")->valuedouble, 1.0);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(v, "q")), "NaN");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(v, "hi")), "+Inf");
    cr_assert_eq(cJSON_GetArraySize(v), 4);
    cJSON_Delete(v);
    cli_run *r = run((const char *const[]){"metrics", "--json", NULL});
    cr_assert_eq(r->status, 1, "a body that is not Prometheus text: %s", r->err);
    cr_assert_eq(r->out_len, 0);
    cJSON *e = cJSON_Parse(r->err);
    cr_assert_not_null(cJSON_GetObjectItem(e, "error"), "a JSON error on stderr: %s", r->err);
    cJSON_Delete(e);
    cli_run_free(r);
}

/* A temporary file holding text; returns its path (malloc'd). */
static char *temp_file(const char *text, size_t len)
{
    char *path = strdup("/tmp/sekha-cli-in-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, text + off, len - off);
        cr_assert_gt(n, 0);
        off += (size_t)n;
    }
    close(fd);
    return path;
}

/* 1 MiB of text starting with a word found nowhere else. */
static char *big_text(const char *word)
{
    size_t len = (size_t)1 << 20;
    char *s = malloc(len + 1);
    size_t n = (size_t)snprintf(s, len, "%s ", word);
    for (size_t i = 0; n < len; i++)
        s[n++] = i % 7 == 6 ? ' ' : (char)('a' + i % 23);
    s[len] = '\0';
    return s;
}

/* Stores big text with --message user:@<from> (stdin from in_path) and reads it back whole
 * through full-text search (the controller's get has no message bodies). */
static void big_round_trip(const char *word, const char *from, const char *in_path,
                           const char *text)
{
    char msg[256];
    snprintf(msg, sizeof msg, "user:@%s", from);
    cli_run *r = cli_run_in(ds.controller_url, in_path,
                            (const char *const[]){"store", "--label", "Big", "--folder", "/big",
                                                  "--message", msg, "--json", NULL});
    cr_assert_eq(r->status, 0, "store %s: %s", msg, r->err);
    cJSON *conv = one_json(r, "store");
    cli_run_free(r);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(conv, "id"));
    cJSON *got = ok_json((const char *const[]){"get", id, "--json", NULL});
    cr_assert_eq(cJSON_GetObjectItem(got, "message_count")->valueint, 1);
    cJSON_Delete(got);
    cJSON *found = ok_json((const char *const[]){"search", word, "--json", NULL});
    const cJSON *hits = cJSON_GetObjectItem(found, "results");
    cr_assert_eq(cJSON_GetArraySize(hits), 1, "one message holds %s", word);
    const char *content = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(hits, 0),
                                                                   "content"));
    cr_assert_not_null(content);
    cr_assert_eq(strlen(content), strlen(text), "the whole message came back");
    cr_assert(strcmp(content, text) == 0, "unchanged");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(hits, 0),
                                                              "conversation_id")), id);
    cJSON_Delete(found);
    cJSON_Delete(conv);
}

Test(cli_controller2, a_1_mib_message_from_a_file_and_from_stdin)
{
    char *a = big_text("zebrafile");
    char *pa = temp_file(a, strlen(a));
    big_round_trip("zebrafile", pa, NULL, a);
    char *b = big_text("yakstdin");
    char *pb = temp_file(b, strlen(b));
    big_round_trip("yakstdin", "-", pb, b);
    unlink(pa);
    unlink(pb);
    free(pa);
    free(pb);
    free(a);
    free(b);
}

Test(cli_controller2, at_escapes_and_text_from_stdin)
{
    char *id = store_id("At", "user:@@handle of the kettle");
    cJSON *found = ok_json((const char *const[]){"search", "kettle", "--json", NULL});
    const cJSON *hit = cJSON_GetArrayItem(cJSON_GetObjectItem(found, "results"), 0);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(hit, "content")),
                     "@handle of the kettle", "\"@@\" stores one literal \"@\"");
    cJSON_Delete(found);
    char *in = temp_file("kettle\n", 7);
    static const char *const cmds[] = {"search", "query", "context"};
    for (size_t i = 0; i < 3; i++) {
        cli_run *r = cli_run_in(ds.controller_url, in,
                                (const char *const[]){cmds[i], "-", "--json", NULL});
        cr_assert_eq(r->status, 0, "%s - : %s", cmds[i], r->err);
        cJSON *v = one_json(r, cmds[i]);
        cr_assert_not_null(strstr(r->out, id), "%s read its text from stdin: %s", cmds[i],
                           r->out);
        cJSON_Delete(v);
        cli_run_free(r);
    }
    unlink(in);
    free(in);
    free(id);
}

Test(cli_controller2, importance_is_accepted_with_a_warning)
{
    cli_run *r = run((const char *const[]){"store", "--label", "I", "--folder", "/i",
                                           "--message", "user:hi", "--importance", "7", NULL});
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_assert_not_null(strstr(r->err, "warning: --importance is ignored"), "%s", r->err);
    cr_assert_eq(strchr(r->err, '\n'), r->err + r->err_len - 1, "one line: %s", r->err);
    cli_run_free(r);
    r = run((const char *const[]){"store", "--label", "I", "--folder", "/i", "--message",
                                  "user:hi", "--importance", "7", "--json", NULL});
    cr_assert_eq(r->status, 0, "%s", r->err);
    cJSON_Delete(one_json(r, "store"));
    cJSON *w = cJSON_Parse(r->err);
    cr_assert_not_null(cJSON_GetObjectItem(w, "warning"), "a JSON warning: %s", r->err);
    cJSON_Delete(w);
    cli_run_free(r);
    r = run((const char *const[]){"store", "--label", "I", "--folder", "/i", "--message",
                                  "user:hi", NULL});
    cr_assert_eq(r->err_len, 0, "no warning without --importance: %s", r->err);
    cli_run_free(r);
}

/* ---- the exit-status table ---- */

static const char *const uuid = "3f8a5c1e-0000-4000-8000-000000000001";

/* Every row must exit with status, print nothing on stdout and (unless it is 1) nothing
 * that claims the service spoke; repeated with --json, where stderr is one JSON object. */
static void expect_row(const char *url, const char *const *args, int status, const char *says)
{
    for (int json = 0; json < 2; json++) {
        const char *argv[16];
        size_t n = 0;
        argv[n++] = "--retries";
        argv[n++] = "0";
        for (size_t i = 0; args[i]; i++)
            argv[n++] = args[i];
        if (json)
            argv[n++] = "--json";
        argv[n] = NULL;
        cli_run *r = cli_run_in(url, NULL, argv);
        cr_assert_eq(r->status, status, "%s %s: exit %d, want %d; stderr: %s", args[0],
                     args[1] ? args[1] : "", r->status, status, r->err);
        cr_assert_eq(r->out_len, 0, "%s: stdout stays empty on failure: %s", args[0], r->out);
        if (status != 1)
            cr_assert_null(strstr(r->err, "service says"), "%s: %s", args[0], r->err);
        if (json) {
            cJSON *e = cJSON_Parse(r->err);
            cr_assert_not_null(cJSON_GetObjectItem(e, "error"), "%s --json: a JSON error: %s",
                               args[0], r->err);
            cJSON_Delete(e);
        } else if (says) {
            cr_assert_not_null(strstr(r->err, says), "%s: \"%s\" not in: %s", args[0], says,
                               r->err);
        }
        cli_run_free(r);
    }
}

Test(cli_controller2, local_input_errors_exit_2_and_send_nothing)
{
    struct {
        const char *args[12];
        const char *says;
    } rows[] = {
        {{"get", "not-a-uuid"}, "must be a UUID"},
        {{"query", "x", "--limit", "99999999999"}, "--limit must be 0 (the server's default, "
                                                   "10) or 1..4294967295, got 99999999999"},
        {{"search", "x", "--limit", "4294967296"}, "--limit must be 0"},
        {{"query", "x", "--limit", "-1"}, "whole number"},
        {{"context", "q", "--budget", "4294967296"}, "--budget must be 0 (the server's default, "
                                                     "4000) or 1..4294967295"},
        {{"summarize", uuid, "--level", "yearly"}, "--level must be daily, weekly or monthly"},
        {{"store", "--label", "l", "--folder", "f", "--message", "user"}, "ROLE:TEXT"},
        {{"store", "--label", "l", "--folder", "f", "--message", "user:x", "--importance",
          "11"}, "--importance must be 1..10"},
        {{"store", "--label", "l", "--folder", "f", "--message", "user:@"}, "needs a file name"},
        {{"store", "--label", "l", "--folder", "f", "--message", "user:@/nonexistent/in"},
         "/nonexistent/in"},
        {{"store", "--label", "l", "--folder", "f", "--message", "user:@-", "--message",
          "user:@-"}, "only one --message"},
        {{"list", "--page-size", "0"}, "--page-size must be 1..4294967295"},
        {{"list", "--page", "4294967296"}, "--page must be 1..4294967295"},
        {{"prune", "--days", "999999999999"}, "--days must be"},
        {{"pin", "x"}, "must be a UUID"},
        {{"metrics", "extra"}, "expected 0 arguments"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        expect_row(ds.controller_url, rows[i].args, 2, rows[i].says);
    static const char *const paths[] = {
        "/api/v1/conversations", "/api/v1/conversations/not-a-uuid", "/api/v1/query",
        "/api/v1/search/fts", "/api/v1/context/assemble", "/api/v1/summarize",
        "/api/v1/prune/dry-run", "/metrics", "/api/v1/conversations/x/pin"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        cr_assert_eq(ds_proc_count(&ds, ds.controller_url, paths[i]), 0,
                     "nothing reached %s", paths[i]);
}

Test(cli_controller2, an_unreachable_controller_exits_3)
{
    char url[64];
    test_closed_port_url(url, sizeof url); /* nothing listens there */
    const char *const *rows[] = {
        (const char *const[]){"count", NULL},
        (const char *const[]){"get", uuid, NULL},
        (const char *const[]){"store", "--label", "l", "--folder", "f", "--message", "user:x",
                              NULL},
        (const char *const[]){"query", "x", NULL},
        (const char *const[]){"pin", uuid, NULL},
        (const char *const[]){"prune", "--days", "1", "--execute", NULL},
        (const char *const[]){"metrics", NULL},
        (const char *const[]){"rebuild-embeddings", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        expect_row(url, rows[i], 3, "layer: transport");
}

Test(cli_controller2, http_errors_exit_1)
{
    char *id = store_id("H", "user:some text");
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "[{\"path\":\"/metrics\",\"repeat\":true,\"steps\":[{\"status\":"
                               "404,\"body\":\"{\\\"error\\\":\\\"no metrics here\\\"}\"}]},"
                               "{\"path\":\"/api/v1/*\",\"repeat\":true,\"steps\":[{\"status\":"
                               "500,\"body\":\"{\\\"error\\\":\\\"boom\\\"}\"}]}]"),
                 0);
    const char *const *rows[] = {
        (const char *const[]){"count", NULL},
        (const char *const[]){"list", NULL},
        (const char *const[]){"get", id, NULL},
        (const char *const[]){"store", "--label", "l", "--folder", "f", "--message", "user:x",
                              NULL},
        (const char *const[]){"label", id, "a", "b", NULL},
        (const char *const[]){"folder", id, "b", NULL},
        (const char *const[]){"pin", id, NULL},
        (const char *const[]){"archive", id, NULL},
        (const char *const[]){"delete", id, NULL},
        (const char *const[]){"query", "x", NULL},
        (const char *const[]){"search", "x", NULL},
        (const char *const[]){"context", "x", NULL},
        (const char *const[]){"summarize", id, NULL},
        (const char *const[]){"prune", "--days", "0", NULL},
        (const char *const[]){"suggest-labels", id, NULL},
        (const char *const[]){"metrics", NULL},
        (const char *const[]){"rebuild-embeddings", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        expect_row(ds.controller_url, rows[i], 1, "service says");
    free(id);
}

/* prune --execute prints nothing when the archiving fails, not the list it was about to
 * act on. */
Test(cli_controller2, a_failed_prune_execute_leaves_stdout_empty)
{
    free(store_id("P", "user:old"));
    cr_assert_eq(ds_proc_fault(&ds, NULL,
                               "{\"path\":\"/api/v1/prune/execute\",\"repeat\":true,\"steps\":"
                               "[{\"status\":500,\"body\":\"{\\\"error\\\":\\\"boom\\\"}\"}]}"),
                 0);
    expect_row(ds.controller_url,
               (const char *const[]){"prune", "--days", "0", "--execute", "--all", NULL}, 1,
               "service says: boom");
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/api/v1/prune/execute"), 2);
}
