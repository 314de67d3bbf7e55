/* Numbers in the library are read and written in the C locale whatever the application
 * chose with setlocale(LC_ALL, ""): every test here runs under de_DE.UTF-8, whose decimal
 * separator is a comma. The locale is compiled with localedef (Debian package "locales")
 * once into the build directory when the system has none; a test that cannot get it fails,
 * so a machine without it never passes these silently. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cnum.h"
#include "core/internal.h"
#include "core/jdoc.h"
#include "testutil.h"

#define LOCALE_NAME "de_DE.UTF-8"

static int comma_decimal(void)
{
    const char *dp = localeconv()->decimal_point;
    return dp && strcmp(dp, ",") == 0;
}

/* Runs localedef into dir/LOCALE_NAME through a private directory renamed into place, so
 * parallel test processes never see a half-written locale. */
static void compile_locale(const char *dir)
{
    char tmp[1024], target[4096], out[4096];
    snprintf(tmp, sizeof tmp, "%s/.build-XXXXXX", dir);
    cr_assert_not_null(mkdtemp(tmp), "mkdtemp in %s: %s", dir, strerror(errno));
    snprintf(out, sizeof out, "%s/" LOCALE_NAME, tmp);
    snprintf(target, sizeof target, "%s/" LOCALE_NAME, dir);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        execlp("localedef", "localedef", "-c", "-i", "de_DE", "-f", "UTF-8", out, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 127,
              "localedef is missing: install the Debian package \"locales\" (scripts/deps.sh "
              "TEST_PACKAGES)");
    struct stat sb;
    cr_assert_eq(stat(out, &sb), 0, "localedef -i de_DE -f UTF-8 %s failed (exit %d): install "
                 "the Debian package \"locales\"", out, WEXITSTATUS(st));
    /* Someone else may have won the race; theirs is as good as ours. */
    if (rename(out, target) != 0)
        cr_assert(errno == ENOTEMPTY || errno == EEXIST, "rename to %s: %s", target,
                  strerror(errno));
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}

/* Switches this test process to a comma-decimal locale, or fails the test saying why. */
static void use_comma_locale(void)
{
    if (setlocale(LC_ALL, LOCALE_NAME) && comma_decimal())
        return;
    const char *dir = getenv("SEKHA_TEST_LOCPATH");
    char fallback[256];
    if (!dir || !*dir) {
        snprintf(fallback, sizeof fallback, "%s/sekha-test-locales-%ld",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getuid());
        dir = fallback;
    }
    cr_assert(mkdir(dir, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
    char have[4096];
    snprintf(have, sizeof have, "%s/" LOCALE_NAME "/LC_NUMERIC", dir);
    if (access(have, R_OK) != 0)
        compile_locale(dir);
    setenv("LOCPATH", dir, 1);
    cr_assert_not_null(setlocale(LC_ALL, LOCALE_NAME),
                       "setlocale(LC_ALL, \"" LOCALE_NAME "\") failed with LOCPATH=%s", dir);
    cr_assert(comma_decimal(), LOCALE_NAME " does not use a decimal comma here");
    /* The locale is in effect: the C library itself now writes and reads commas. */
    char probe[16];
    snprintf(probe, sizeof probe, "%.2f", 0.83);
    cr_assert_str_eq(probe, "0,83");
}

static ds_proc ds;
static sekha_client *cl;

static void start(void)
{
    use_comma_locale();
    start_devserver(&ds, NULL);
    cl = test_client_with_mcp(&ds);
}

static void stop(void)
{
    sekha_client_free(cl);
    ds_proc_stop(&ds);
}

TestSuite(locale, .timeout = 60);
TestSuite(locale_wire, .init = start, .fini = stop, .timeout = 60);

/* ================================================================ no server */

Test(locale, helpers_read_and_write_a_point)
{
    use_comma_locale();
    char *end;
    cr_assert_eq(sekha__strtod_c("1.5", &end), 1.5);
    cr_assert_eq(*end, '\0');
    cr_assert_eq(sekha__strtod_c("2,5", &end), 2.0, "a comma ends the number");
    cr_assert_str_eq(end, ",5");
    cr_assert_eq(sekha__strtod_c("-1e-3x", &end), -1e-3);
    cr_assert_str_eq(end, "x");
    char buf[64];
    cr_assert_eq(sekha__snprintf_c(buf, sizeof buf, "%.2f|%g|%.0f", 0.83, 1.25, 1234.0), 14);
    cr_assert_str_eq(buf, "0.83|1.25|1234");
    static const double vals[] = {0.1, 0.5, -2.75, 1.0 / 3, 1e-300, 6.02214076e23, 12345};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        cr_assert_gt(sekha__dtoa_c(buf, sizeof buf, vals[i]), 0);
        cr_assert_null(strchr(buf, ','), "%s", buf);
        cr_assert_eq(sekha__strtod_c(buf, &end), vals[i], "%s reads back", buf);
        cr_assert_eq(*end, '\0');
    }
    /* the caller's locale is left as it was */
    snprintf(buf, sizeof buf, "%.1f", 1.5);
    cr_assert_str_eq(buf, "1,5");
}

Test(locale, options_from_env_reads_fractional_seconds)
{
    use_comma_locale();
    unsetenv("SEKHA_CONTROLLER_URL");
    unsetenv("SEKHA_MAX_RETRIES");
    setenv("SEKHA_TIMEOUT", "1.5", 1);
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_from_env(o), SEKHA_OK, "%s", sekha_options_last_error(o));
    cr_assert_eq(o->call_timeout_ms, 1500);
    /* a comma is not the library's decimal separator, whatever the locale says */
    setenv("SEKHA_TIMEOUT", "1,5", 1);
    cr_assert_eq(sekha_options_from_env(o), SEKHA_E_INVALID_ARG);
    sekha_options_free(o);
}

Test(locale, json_numbers_read_with_a_point)
{
    use_comma_locale();
    /* past the exact fast path, so the general reader runs */
    static const char text[] = "[0.83, 1.2345678901234567e-5, 123456789012345678901.5]";
    sekha_jdoc d = {0};
    cr_assert_eq(sekha__jdoc_parse(&d, text, sizeof text - 1, NULL), 0);
    const sekha_jv *v = sekha__jfirst(&d, sekha__jroot(&d));
    double x;
    cr_assert_eq(sekha__jnum(v, &x), -1);
    cr_assert_eq(x, 0.83);
    v = sekha__jnext(&d, v);
    cr_assert_eq(sekha__jnum(v, &x), -1);
    cr_assert_eq(x, 1.2345678901234567e-5);
    v = sekha__jnext(&d, v);
    cr_assert_eq(sekha__jnum(v, &x), -1);
    cr_assert_eq(x, 123456789012345678901.5);
    sekha__jdoc_free(&d);
}

Test(locale, max_response_bytes_bounds)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_max_response_bytes(o, 1023), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_max_response_bytes(o, 1024), SEKHA_OK);
    cr_assert_eq(sekha_options_set_max_response_bytes(o, SIZE_MAX), SIZE_MAX > UINT64_C(4) << 30
                                                                         ? SEKHA_E_INVALID_ARG
                                                                         : SEKHA_OK);
    if (SIZE_MAX > UINT64_C(4) << 30) {
        cr_assert_eq(sekha_options_set_max_response_bytes(o, (size_t)(UINT64_C(4) << 30)),
                     SEKHA_OK);
        cr_assert_eq(sekha_options_set_max_response_bytes(o, (size_t)(UINT64_C(4) << 30) + 1),
                     SEKHA_E_INVALID_ARG);
    }
    sekha_options_free(o);
}

/* ================================================================ on the wire */

Test(locale_wire, metrics_values_read_with_a_point)
{
    char rule[512];
    snprintf(rule, sizeof rule,
             "{\"path\":\"/metrics\",\"steps\":[{\"status\":200,\"content_type\":\"text/plain\","
             "\"body\":\"# HELP x\\nsekha_ratio 0.83\\nsekha_big{a=\\\"1\\\"} 1.5e3\\n\"}]}");
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    sekha_metrics *m = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_metrics_sync(cl, &m, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    double v = 0;
    cr_assert_eq(sekha_metrics_value(m, "sekha_ratio", &v), 1, "0.83 reads as a number");
    cr_assert_eq(v, 0.83);
    cr_assert_eq(sekha_metrics_value(m, "sekha_big", &v), 1);
    cr_assert_eq(v, 1500.0);
    sekha_metrics_free(m);
}

/* A QueryResponse of one result with score 0.83. */
static void arm_query(void)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "results");
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "conversation_id", "3f8a5c1e-0000-4000-8000-000000000003");
    cJSON_AddStringToObject(r, "message_id", "3f8a5c1e-0000-4000-8000-000000000004");
    cJSON_AddRawToObject(r, "score", "0.83");
    cJSON_AddStringToObject(r, "content", "Roses need water.");
    cJSON_AddStringToObject(r, "label", "beta");
    cJSON_AddStringToObject(r, "folder", "/");
    cJSON_AddStringToObject(r, "timestamp", "2026-01-16T10:20:30");
    cJSON_AddNullToObject(r, "metadata");
    cJSON_AddItemToArray(arr, r);
    cJSON_AddRawToObject(root, "total", "1");
    cJSON_AddRawToObject(root, "page", "1");
    cJSON_AddRawToObject(root, "page_size", "1");
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "path", "/api/v1/query");
    cJSON *steps = cJSON_AddArrayToObject(rule, "steps");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddRawToObject(s, "status", "200");
    char *body = cJSON_PrintUnformatted(root);
    cJSON_AddStringToObject(s, "body", body);
    free(body);
    cJSON_AddItemToArray(steps, s);
    char *text = cJSON_PrintUnformatted(rule);
    cr_assert_eq(ds_proc_fault(&ds, NULL, text), 0, "%s", text);
    free(text);
    cJSON_Delete(rule);
    cJSON_Delete(root);
}

Test(locale_wire, memory_prompt_writes_scores_with_a_point)
{
    arm_query();
    sekha_answer *a = NULL;
    sekha_error *err = NULL;
    sekha_params *t = sekha_params_new();
    cr_assert_eq(sekha_params_set_real(t, SEKHA_PARAM_TEMPERATURE, 0.5), SEKHA_OK);
    cr_assert_eq(sekha_workflow_complete_with_memory_sync(cl, "How often?", t, &a, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    sekha_params_free(t);
    const sekha_messages *p = sekha_answer_prompt(a);
    cr_assert_eq(sekha_messages_count(p), 2);
    const char *sys = sekha_messages_content(p, 0);
    cr_assert_not_null(strstr(sys, "[1] beta (score 0.83):\nRoses need water."), "%s", sys);
    /* What reached the bridge: the devserver echoes the context's first words. */
    const char *said = sekha_completion_content(sekha_answer_completion(a), NULL);
    cr_assert_not_null(strstr(said, "[1] beta (score 0.83):"), "%s", said);
    cr_assert_null(strstr(said, "0,83"), "%s", said);
    sekha_answer_free(a);
}

Test(locale_wire, bodies_carry_numbers_with_a_point)
{
    /* temperature through the bridge's writer, importance_threshold through the tree
     * writer: the devserver refuses "0,5" (not JSON), so success means a point was sent */
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "hi"), SEKHA_OK);
    sekha_completion *c = NULL;
    sekha_error *err = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0.25), SEKHA_OK);
    cr_assert_eq(sekha_bridge_complete_sync(cl, m, p, &c, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_params_free(p);
    sekha_completion_free(c);
    sekha_messages_free(m);
    sekha_mcp_data *d = NULL;
    sekha_params *prune = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(prune, SEKHA_PARAM_THRESHOLD_DAYS, 30), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(prune, SEKHA_PARAM_IMPORTANCE_THRESHOLD, 0.5), SEKHA_OK);
    cr_assert_eq(sekha_mcp_memory_prune_sync(cl, prune, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_params_free(prune);
    sekha_mcp_data_free(d);
}

Test(locale_wire, health_report_json_uses_a_point)
{
    sekha_deployment_health *h = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_health_check_sync(cl, NULL, &h, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    const char *json = sekha_deployment_health_json(h);
    cr_assert_not_null(json);
    sekha_jdoc d = {0};
    size_t at = 0;
    cr_assert_eq(sekha__jdoc_parse(&d, json, strlen(json), &at), 0, "broken at %zu: %s", at,
                 json);
    sekha__jdoc_free(&d);
    sekha_deployment_health_free(h);
}
