/* `sekha complete` and `sekha embed` end to end against a sekha-devserver: tokens reach
 * stdout as they arrive (several writes, not one), the --no-stream bridge still prints the
 * whole reply, --json, and exit statuses. */
#include <cjson/cJSON.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_runner.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(cli_bridge, .init = setup, .fini = teardown, .timeout = 60);

/* Runs $SEKHA_CLI with args (NULL-terminated) aimed at bridge_url, reading stdout as it
 * comes so separate writes show up as separate reads. */
static void run_cli(const char *bridge_url, const char *const *args, cli_out *o)
{
    const char *argv[32] = {"--bridge-url", bridge_url};
    size_t n = 2;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    cli_exec(NULL, argv, 0, 0, o);
}

static void arm(const char *rule)
{
    cr_assert_eq(ds_proc_fault(&ds, ds.bridge_url, rule), 0, "rule rejected: %s", rule);
}

Test(cli_bridge, complete_prints_tokens_as_they_arrive)
{
    /* Chunks spaced by the server, so the CLI's per-token writes cannot merge in the pipe. */
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"chunk_delay_ms\":40}]}");
    cli_out o;
    const char *const args[] = {"complete", "one two three four five six", NULL};
    run_cli(ds.bridge_url, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "You asked: one two three four five six\n");
    cr_assert_geq(o.out_reads, 4, "stdout arrived in %d reads: not token by token", o.out_reads);
}

Test(cli_bridge, a_bridge_that_does_not_stream_still_prints_the_reply)
{
    ds_proc plain;
    const char *const ds_args[] = {"--no-stream", NULL};
    start_devserver(&plain, ds_args);
    cli_out o;
    const char *const args[] = {"complete", "hello", NULL};
    run_cli(plain.bridge_url, args, &o);
    ds_proc_stop(&plain);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "You asked: hello\n");
    const char *const flag[] = {"complete", "--no-stream", "--system", "ctx", "hello", NULL};
    run_cli(ds.bridge_url, flag, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "Based on your memory: ctx ... you asked: hello\n");
}

Test(cli_bridge, json_output_and_options)
{
    cli_out o;
    const char *const args[] = {"complete", "a b c d", "--json", "--max-tokens", "3",
                                "--temperature", "0", "--model", "m", NULL};
    run_cli(ds.bridge_url, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_not_null(v, "not JSON: %s", o.out);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "choices"), 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(c0, "message"), "content")->valuestring,
                     "You asked: a");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(c0, "finish_reason")->valuestring, "length");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(v, "model")->valuestring, "devserver-echo/m");
    cJSON_Delete(v);
}

Test(cli_bridge, embed_prints_the_vector)
{
    cli_out o;
    const char *const args[] = {"embed", "hello world", NULL};
    run_cli(ds.bridge_url, args, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    int numbers = 0;
    for (char *tok = strtok(o.out, " \n"); tok; tok = strtok(NULL, " \n"), numbers++)
        strtod(tok, NULL);
    cr_assert_eq(numbers, 256);
    const char *const json[] = {"embed", "hello world", "--api", "openai", "--json", NULL};
    run_cli(ds.bridge_url, json, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "data"), 0),
                     "embedding")), 256);
    cJSON_Delete(v);
}

Test(cli_bridge, failures_and_usage_errors)
{
    cli_out o;
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"inband_error\":true}]}");
    const char *const inband[] = {"complete", "x y z", NULL};
    run_cli(ds.bridge_url, inband, &o);
    cr_assert_eq(o.status, 1);
    cr_assert_str_eq(o.out, "You\n", "the text so far, then a newline");
    cr_assert_not_null(strstr(o.err, "injected in-band error"), "%s", o.err);
    cr_assert_not_null(strstr(o.err, "layer: service"), "%s", o.err);
    const char *const refused[] = {"complete", "x", "--retries", "0", NULL};
    run_cli("http://127.0.0.1:1", refused, &o);
    cr_assert_eq(o.status, 1);
    cr_assert_not_null(strstr(o.err, "layer: transport"), "%s", o.err);
    static const char *const usage[][4] = {
        {"complete", NULL}, {"complete", "a", "b", NULL}, {"complete", "a", "--temperature", "-1"},
        {"complete", "a", "--max-tokens", "0"}, {"complete", "a", "--bogus", NULL},
        {"embed", "a", "--api", "nope"}};
    for (size_t i = 0; i < sizeof usage / sizeof *usage; i++) {
        const char *args[5] = {0};
        memcpy(args, usage[i], sizeof usage[i]);
        run_cli(ds.bridge_url, args, &o);
        cr_assert_eq(o.status, 2, "case %zu: %s", i, o.err);
        cr_assert_not_null(strstr(o.err, "usage: sekha"), "case %zu: %s", i, o.err);
    }
}
