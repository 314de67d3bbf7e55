/* `sekha --trace`, `--trace-summary` and `--record` end to end: per-attempt timings as JSON
 * lines, a workflow's stages under one trace id, and a recorded chat replayed offline by
 * `sekha-devserver --replay` with identical output. */
#include "cli_runner.h"
#include "workflows_harness.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(cli_trace, .init = setup, .fini = teardown, .timeout = 60);

/* Runs the CLI aimed at the servers of p with args appended. */
static void run_at(const ds_proc *p, const char *const *args, cli_out *o)
{
    const char *argv[40] = {"--controller-url", p->controller_url, "--bridge-url",
                            p->bridge_url, "--mcp-api-key", DEVSERVER_MCP_KEY};
    size_t n = 6;
    for (; *args && n < 39; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    cli_exec(NULL, argv, 0, 0, o);
}

/* The JSON lines of text, parsed (the caller deletes the array). */
static cJSON *json_lines(const char *text)
{
    cJSON *all = cJSON_CreateArray();
    for (const char *line = text; *line;) {
        size_t k = strcspn(line, "\n");
        if (k && line[0] == '{') {
            char *one = strndup(line, k);
            cJSON *v = cJSON_Parse(one);
            free(one);
            cr_assert_not_null(v, "not a JSON line: %.*s", (int)k, line);
            cJSON_AddItemToArray(all, v);
        }
        line += k + (line[k] == '\n');
    }
    return all;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

Test(cli_trace, trace_file_has_per_attempt_timings)
{
    char path[] = "/tmp/sekha-trace-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    /* one 503 first: the trace shows both attempts and why the first was retried */
    wf_rule(&ds, ds.controller_url, "GET", "/api/v1/conversations/count", 0,
            "{\"status\":503,\"body\":\"busy\"}", NULL);
    cli_out o;
    const char *const args[] = {"--trace", path, "count", NULL};
    run_at(&ds, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *events = json_lines(slurp(path));
    unlink(path);
    int attempts = 0, ends = 0, retried = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "kind"));
        cr_assert_not_null(kind);
        if (strcmp(kind, "attempt") == 0) {
            attempts++;
            cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(ev, "total_ms")),
                      "an attempt has its timings");
            if (cJSON_GetStringValue(cJSON_GetObjectItem(ev, "retry_reason")))
                retried++;
        } else if (strcmp(kind, "end") == 0) {
            ends++;
        }
    }
    cJSON_Delete(events);
    cr_assert_eq(attempts, 2, "two attempts");
    cr_assert_eq(retried, 1, "the 503 says why it was retried");
    cr_assert_eq(ends, 1);
}

Test(cli_trace, a_chat_shows_its_stages_under_one_trace_id)
{
    cli_out o;
    const char *const args[] = {"--trace", "-", "chat", "When do I fly?", NULL};
    run_at(&ds, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *events = json_lines(o.err);
    const char *trace = NULL;
    int stages = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(ev, "trace_id"));
        cr_assert_not_null(id);
        cr_assert_eq(strlen(id), 32);
        if (!trace)
            trace = id;
        cr_assert_str_eq(id, trace, "every stage shares the workflow's trace id");
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "kind")), "end") == 0)
            stages++;
    }
    cr_assert_geq(stages, 2, "the memory search and the completion at least: %s", o.err);
    cJSON_Delete(events);
}

Test(cli_trace, summary_prints_a_row_per_request)
{
    cli_out o;
    const char *const args[] = {"--trace-summary", "count", NULL};
    run_at(&ds, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.err, "stage"), "%s", o.err);
    cr_assert_not_null(strstr(o.err, "GET /api/v1/conversations/count"), "%s", o.err);
}

Test(cli_trace, a_recorded_chat_replays_offline_with_identical_output)
{
    sekha_client *c = wf_client(&ds);
    const char *const trip[] = {"user:I fly to Lisbon on 12 May, flight TP1351 at 07:40.", NULL};
    free(wf_store(c, "Lisbon trip", "/travel", trip));
    sekha_client_free(c);
    char path[] = "/tmp/sekha-cassette-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cli_out live, again;
    const char *const rec[] = {"--record", path, "chat", "When do I fly?", NULL};
    run_at(&ds, rec, &live);
    cr_assert_eq(live.status, 0, "stderr: %s", live.err);
    const char *cassette = slurp(path);
    cr_assert_null(strstr(cassette, DEVSERVER_MCP_KEY), "no key in the cassette");
    ds_proc replay;
    cr_assert_eq(ds_proc_start_replay(&replay, path), 0);
    const char *const play[] = {"chat", "When do I fly?", NULL};
    run_at(&replay, play, &again);
    ds_proc_stop(&replay);
    unlink(path);
    cr_assert_eq(again.status, 0, "stderr: %s", again.err);
    cr_assert_str_eq(again.out, live.out, "the replay gives the same answer");
}

Test(cli_trace, every_request_carries_a_w3c_traceparent_unless_told_not_to)
{
    cli_out o;
    const char *const args[] = {"--verbose", "count", NULL};
    run_at(&ds, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    const char *tp = strstr(o.err, "traceparent: 00-");
    cr_assert_not_null(tp, "the debug log shows the headers sent: %s", o.err);
    tp += strlen("traceparent: ");
    size_t k = strcspn(tp, "\r\n");
    cr_assert_eq(k, 55, "00-<32 hex>-<16 hex>-<2 hex>: %.*s", (int)k, tp);
    cr_assert(tp[35] == '-' && tp[52] == '-', "%.*s", (int)k, tp);
    const char *const off[] = {"--verbose", "--no-traceparent", "count", NULL};
    run_at(&ds, off, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_null(strstr(o.err, "traceparent"), "%s", o.err);
}
