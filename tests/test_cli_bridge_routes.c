/* `sekha models`, `sekha providers` and `sekha route` end to end against a sekha-devserver
 * (human output, --json, exit statuses, usage errors), their help, and provider health in
 * `sekha health`. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli_runner.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(cli_routes, .init = setup, .fini = teardown, .timeout = 60);

/* Runs $SEKHA_CLI aimed at the devserver with args (NULL-terminated). */
static void run(const char *const *args, cli_out *o)
{
    const char *argv[40] = {"--controller-url", ds.controller_url, "--bridge-url", ds.bridge_url,
                            "--mcp-api-key", DS_DEV_KEY};
    size_t n = 6;
    for (; *args && n < 39; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    cli_exec(NULL, argv, 0, 0, o);
}

static void arm(const char *path, int status, const char *body)
{
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "path", path);
    cJSON *step = cJSON_CreateObject();
    cJSON_AddNumberToObject(step, "status", status);
    cJSON_AddStringToObject(step, "body", body);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(rule, "steps"), step);
    char *text = cJSON_PrintUnformatted(rule);
    cJSON_Delete(rule);
    cr_assert_eq(ds_proc_fault(&ds, ds.bridge_url, text), 0, "rule rejected: %s", text);
    free(text);
}

static cli_out o;

Test(cli_routes, models_lists_the_devservers_models)
{
    const char *const json[] = {"models", "--json", NULL};
    run(json, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert(cli_one_json_value(o.out, o.out_len), "%s", o.out);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_eq(cJSON_GetArraySize(v), 2, "%s", o.out);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 0), "model_id")->valuestring,
                     "devserver-echo");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 1), "model_id")->valuestring,
                     "devserver-hash");
    cJSON_Delete(v);

    const char *const plain[] = {"models", NULL};
    run(plain, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "devserver-echo  devserver  chat_small  context 8192\n"
                            "devserver-hash  devserver  embedding  context 8192  dimension 256\n");

    /* what the bridge left out shows as "-"; a mistyped field is the bridge's fault */
    arm("/api/v1/models", 200, "[{\"model_id\":\"bare\"}]");
    run(plain, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "bare  -  -  context -\n");
    arm("/api/v1/models", 200, "[{\"model_id\":1}]");
    run(plain, &o);
    cr_assert_eq(o.status, 1);
    cr_assert_eq(o.out_len, 0);
    cr_assert_not_null(strstr(o.err, "[0].model_id"), "%s", o.err);

    const char *const extra[] = {"models", "more", NULL};
    run(extra, &o);
    cr_assert_eq(o.status, 2, "an argument is a usage error: %s", o.err);
}

Test(cli_routes, providers_shows_each_breaker)
{
    const char *const plain[] = {"providers", NULL};
    run(plain, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "devserver  devserver  closed  models 2  failures 0\n"
                            "healthy: 1 of 1\n");
    const char *const json[] = {"providers", "--json", NULL};
    run(json, &o);
    cr_assert_eq(o.status, 0);
    cr_assert(cli_one_json_value(o.out, o.out_len), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "\"total_providers\""), "%s", o.out);

    arm("/api/v1/health/providers", 200,
        "{\"providers\":{\"cloud\":{\"provider_type\":\"openai\",\"circuit_breaker\":"
        "{\"state\":\"open\",\"failure_count\":5,\"last_failure\":\"2026-01-01T00:00:00\"},"
        "\"models_count\":3}},\"healthy_providers\":0}");
    run(plain, &o);
    cr_assert_eq(o.status, 0, "an open breaker is information, not a failure: %s", o.err);
    cr_assert_str_eq(o.out, "cloud  openai  open  models 3  failures 5  last failure "
                            "2026-01-01T00:00:00\nhealthy: 0 of 1\n");
}

Test(cli_routes, route_names_the_model_or_says_why_not)
{
    const char *const plain[] = {"route", "chat_small", NULL};
    run(plain, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "model     devserver-echo\nprovider  devserver (devserver)\n"
                            "cost      0 USD\nreason    Default model for task\n");
    const char *const json[] = {"route", "embedding", "--model", "devserver-hash",
                                "--max-cost", "0.25", "--context-size", "512", "--json", NULL};
    run(json, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert(cli_one_json_value(o.out, o.out_len), "%s", o.out);
    cr_assert_not_null(strstr(o.out, "Preferred model available"), "%s", o.out);

    const char *const unknown[] = {"route", "telepathy", NULL};
    run(unknown, &o);
    cr_assert_eq(o.status, 1);
    cr_assert_not_null(strstr(o.err, "Valid tasks"), "%s", o.err);
    const char *const vision[] = {"route", "chat_small", "--require-vision", "--retries", "0",
                                  NULL};
    run(vision, &o);
    cr_assert_eq(o.status, 1);
    cr_assert_not_null(strstr(o.err, "No suitable provider"), "%s", o.err);

    const char *const missing[] = {"route", NULL};
    const char *const cost[] = {"route", "chat_small", "--max-cost", "-1", NULL};
    const char *const size[] = {"route", "chat_small", "--context-size", "0", NULL};
    const char *const *bad[] = {missing, cost, size};
    for (size_t i = 0; i < 3; i++) {
        run(bad[i], &o);
        cr_assert_eq(o.status, 2, "case %zu: %s", i, o.err);
    }
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/api/v1/route"), 4, "usage errors send nothing");
}

Test(cli_routes, help_for_each_command)
{
    static cli_out all;
    const char *const help[] = {"help", NULL};
    cli_exec(NULL, help, 0, 0, &all);
    const char *const models[] = {"GET /api/v1/models", "--json"};
    cli_check_help("models", all.out, models, 2, &o);
    const char *const providers[] = {"/api/v1/health/providers", "half_open", "--json"};
    cli_check_help("providers", all.out, providers, 3, &o);
    const char *const route[] = {"TASK", "--model", "--require-vision", "--max-cost",
                                 "--context-size", "chat_small"};
    cli_check_help("route", all.out, route, 6, &o);
}

Test(cli_routes, health_shows_provider_health)
{
    const char *const plain[] = {"health", NULL};
    run(plain, &o);
    /* The February controller serves no /mcp/tools routes: its MCP line, and so the verdict,
     * is unhealthy there (exit 1); the bridge line is the same. */
    cr_assert_eq(o.status, ds_test_upstream_is("2026-02") ? 1 : 0, "stdout: %s stderr: %s",
                 o.out, o.err);
    cr_assert_not_null(strstr(o.out, "provider devserver closed"), "%s", o.out);

    arm("/health", 200,
        "{\"status\":\"healthy\",\"ollama_status\":{\"status\":\"healthy\",\"providers\":"
        "{\"cloud\":{\"circuit_breaker\":{\"state\":\"open\"}}}}}");
    const char *const json[] = {"health", "--json", NULL};
    run(json, &o);
    cr_assert_eq(o.status, 1, "an open breaker degrades the bridge: %s", o.out);
    cJSON *v = cJSON_Parse(o.out);
    cJSON *br = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "services"), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(br, "status")->valuestring, "degraded");
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(br, "providers"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(p, "provider")->valuestring, "cloud");
    cr_assert_str_eq(cJSON_GetObjectItem(p, "state")->valuestring, "open");
    cJSON_Delete(v);
}
