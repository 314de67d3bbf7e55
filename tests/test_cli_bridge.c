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
    /* A deployed bridge answers in one piece: there are no tokens to print as they come. */
    if (!ds_test_upstream())
        cr_assert_geq(o.out_reads, 4, "stdout arrived in %d reads: not token by token",
                      o.out_reads);
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
    /* An in-band stream error needs a bridge that streams; the deployed ones do not. */
    if (!ds_test_upstream()) {
        arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"inband_error\":true}]}");
        const char *const inband[] = {"complete", "x y z", NULL};
        run_cli(ds.bridge_url, inband, &o);
        cr_assert_eq(o.status, 1);
        cr_assert_str_eq(o.out, "You\n", "the text so far, then a newline");
        cr_assert_not_null(strstr(o.err, "injected in-band error"), "%s", o.err);
        cr_assert_not_null(strstr(o.err, "layer: service"), "%s", o.err);
    }
    const char *const refused[] = {"complete", "x", "--retries", "0", NULL};
    run_cli("http://127.0.0.1:1", refused, &o);
    cr_assert_eq(o.status, 3, "an unreachable bridge is 3: %s", o.err);
    cr_assert_eq(o.out_len, 0, "nothing on stdout: %s", o.out);
    cr_assert_not_null(strstr(o.err, "layer: transport"), "%s", o.err);
    const char *const embed_refused[] = {"embed", "x", "--retries", "0", NULL};
    run_cli("http://127.0.0.1:1", embed_refused, &o);
    cr_assert_eq(o.status, 3, "%s", o.err);
    cr_assert_eq(o.out_len, 0, "%s", o.out);
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

Test(cli_bridge, help_of_every_command)
{
    static cli_out all, o;
    const char *const top[] = {"help", NULL};
    cli_exec(NULL, top, 0, 0, &all);
    cr_assert_eq(all.status, 0);
    static const char *const names[] = {"complete", "embed"};
    static const char *const flags[][7] = {
        {"PROMPT", "--system", "--model", "--temperature", "--max-tokens", "--no-stream",
         "--json"},
        {"TEXT", "--model", "--api", "sekha-v1", "openai", "--json", "SEKHA_BRIDGE_URL"}};
    for (size_t i = 0; i < 2; i++) {
        cli_check_help(names[i], all.out, flags[i], 7, &o);
        cr_assert_not_null(strstr(o.out, "\"-\" reads"), "stdin input: %s", o.out);
        cr_assert_not_null(strstr(o.out, "default"), "%s", o.out);
    }
}

Test(cli_bridge, json_prints_exactly_one_value)
{
    static const char *const cases[][6] = {
        {"complete", "one two three", "--json", NULL},
        {"complete", "one two three", "--json", "--no-stream", NULL},
        {"complete", "one two three", "--json", "--system", "ctx", NULL},
        {"embed", "hello", "--json", NULL},
        {"embed", "hello", "--json", "--api", "openai", NULL},
        {"embed", "hello", "--json", "--api", "sekha-v1", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cli_out o;
        run_cli(ds.bridge_url, cases[i], &o);
        cr_assert_eq(o.status, 0, "case %zu: %s", i, o.err);
        cr_assert(cli_one_json_value(o.out, o.out_len), "case %zu: not one JSON value: %s", i,
                  o.out);
        cr_assert_eq(o.err_len, 0, "case %zu: %s", i, o.err);
    }
    /* a streamed --json reply holds the whole text, no tokens came before it */
    cli_out o;
    run_cli(ds.bridge_url, cases[0], &o);
    cr_assert_eq(o.out[0], '{', "%s", o.out);
    cr_assert_not_null(strstr(o.out, "\"You asked: one two three\""), "%s", o.out);
}

Test(cli_bridge, http_error_fails_with_1_and_an_empty_stdout)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"status\":400}]}");
    cli_out o;
    const char *const args[] = {"complete", "x", "--retries", "0", NULL};
    run_cli(ds.bridge_url, args, &o);
    cr_assert_eq(o.status, 1, "%s", o.err);
    cr_assert_eq(o.out_len, 0, "stdout stays empty on failure: %s", o.out);
    cr_assert_not_null(strstr(o.err, "layer: http"), "%s", o.err);
    arm("{\"path\":\"/embed\",\"steps\":[{\"status\":400}]}");
    const char *const json[] = {"embed", "x", "--retries", "0", "--json", NULL};
    run_cli(ds.bridge_url, json, &o);
    cr_assert_eq(o.status, 1, "%s", o.err);
    cr_assert_eq(o.out_len, 0, "%s", o.out);
    cr_assert(cli_one_json_value(o.err, o.err_len), "the error as JSON on stderr: %s", o.err);
}

static int bridge_asked(void *ud)
{
    (void)ud;
    return ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions") >= 1;
}

Test(cli_bridge, ctrl_c_during_complete_exits_130)
{
    const char *const args[] = {"--bridge-url", ds.bridge_url, "complete", "tell me more", NULL};
    cli_out o;
    if (ds_test_upstream()) {
        /* A deployed bridge answers in one piece, so the interrupt comes while the CLI waits
         * for one that stalls, once the request has reached it. */
        arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"stall\":true}]}");
        cli_exec_when(NULL, args, SIGINT, 0, bridge_asked, NULL, &o);
        cr_assert_eq(o.out_len, 0, "nothing arrived: %s", o.out);
    } else {
        arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"endless\":true,"
            "\"chunk_delay_ms\":50}]}");
        cli_exec(NULL, args, SIGINT, 1, &o); /* once the first token is on stdout */
        cr_assert_eq(o.out[o.out_len - 1], '\n', "what arrived is printed and ended");
    }
    cr_assert_eq(o.signaled, 0, "the CLI handled the signal instead of dying from it");
    cr_assert_eq(o.status, 130, "status %d, stderr: %s", o.status, o.err);
    cr_assert_not_null(strstr(o.err, "interrupted"), "%s", o.err);
    cr_assert_lt(o.seconds, 15, "ended promptly after the interrupt");
}

Test(cli_bridge, a_large_prompt_from_stdin)
{
    char path[] = "/tmp/sekha-cli-bridge-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs("Lisbon flight ", f);
    for (size_t n = 0; n < (1u << 20); n += 12)
        fputs("lorem ipsum ", f);
    cr_assert_eq(fclose(f), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "exec \"$SEKHA_CLI\" --bridge-url %s complete - --max-tokens 4 < %s",
             ds.bridge_url, path);
    const char *const args[] = {"-c", cmd, NULL};
    cli_out o;
    cli_exec("/bin/sh", args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s", o.err);
    cr_assert_str_eq(o.out, "You asked: Lisbon flight\n", "the prompt came from stdin");
    /* embed takes "-" too */
    snprintf(cmd, sizeof cmd, "echo 'hello world' | exec \"$SEKHA_CLI\" --bridge-url %s embed - "
             "--json", ds.bridge_url);
    cli_exec("/bin/sh", args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s", o.err);
    cr_assert(cli_one_json_value(o.out, o.out_len), "%s", o.out);
    unlink(path);
}

Test(cli_bridge, a_system_message_from_stdin_and_stdin_used_once)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "echo 'be brief' | exec \"$SEKHA_CLI\" --bridge-url %s complete "
             "--system - 'hello there'", ds.bridge_url);
    const char *const args[] = {"-c", cmd, NULL};
    cli_out o;
    cli_exec("/bin/sh", args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "%s", o.err);
    /* the devserver answers from the system message's first words */
    cr_assert_not_null(strstr(o.out, "be brief"), "%s", o.out);
    snprintf(cmd, sizeof cmd, "echo x | exec \"$SEKHA_CLI\" --bridge-url %s complete --system - -",
             ds.bridge_url);
    cli_exec("/bin/sh", args, 0, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    cr_assert_eq(o.out_len, 0);
    cr_assert_not_null(strstr(o.err, "only one argument"), "%s", o.err);
}
