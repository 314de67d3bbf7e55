/* The deployment health check against sekha-devserver: verdicts per service from the real
 * shapes and from faults, no retries, the deadline, cancel, and concurrency shown by the
 * devserver's delay switches. */
#include <time.h>

#include "workflows_harness.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(health, .init = setup, .fini = teardown, .timeout = 60);

typedef struct hrec {
    int finals;
    sekha_code code;
    int has;
    sekha_service_status overall, st[SEKHA_SERVICE_COUNT];
    double latency[SEKHA_SERVICE_COUNT];
    char detail[SEKHA_SERVICE_COUNT][256];
    sekha_code err[SEKHA_SERVICE_COUNT];
    sekha_layer layer[SEKHA_SERVICE_COUNT];
    char json[2048];
} hrec;

static void hrecord(hrec *r, const sekha_error *err, const sekha_deployment_health *h)
{
    r->code = sekha_error_code(err);
    r->has = h != NULL;
    r->overall = sekha_deployment_health_overall(h);
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        sekha_service s = (sekha_service)i;
        r->st[i] = sekha_deployment_health_status(h, s);
        r->latency[i] = sekha_deployment_health_latency_ms(h, s);
        snprintf(r->detail[i], sizeof r->detail[i], "%s", sekha_deployment_health_detail(h, s));
        r->err[i] = sekha_error_code(sekha_deployment_health_error(h, s));
        r->layer[i] = sekha_error_layer(sekha_deployment_health_error(h, s));
    }
    const char *json = sekha_deployment_health_json(h);
    snprintf(r->json, sizeof r->json, "%s", json ? json : "");
}

static void on_health(sekha_request *req, const sekha_error *err,
                      const sekha_deployment_health *h, void *ud)
{
    (void)req;
    hrec *r = ud;
    r->finals++;
    hrecord(r, err, h);
}

/* Runs the sync form on a fresh client made from o (freed here). */
static void check_sync(sekha_options *o, long timeout_ms, hrec *r)
{
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    sekha_deployment_health *h = NULL;
    sekha_error *err = NULL;
    sekha_params *p = NULL; /* 0: the default timeout */
    if (timeout_ms) {
        p = sekha_params_new();
        cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_TIMEOUT_MS, timeout_ms), SEKHA_OK);
    }
    cr_assert_eq(sekha_workflow_health_check_sync(c, p, &h, &err), SEKHA_OK,
                 "a service's state is never the check's failure: %s", sekha_error_message(err));
    sekha_params_free(p);
    hrecord(r, NULL, h);
    sekha_deployment_health_free(h);
    sekha_client_free(c);
}

enum { CTL = SEKHA_SERVICE_CONTROLLER, BR = SEKHA_SERVICE_BRIDGE, MCP = SEKHA_SERVICE_MCP };

/* The February controller serves no /mcp/tools routes: its MCP check is degraded (a missing
 * part, not a failing service) and says why, and the whole verdict with it. */
static int feb(void) { return ds_test_upstream_is("2026-02"); }

static sekha_service_status want_overall(sekha_service_status otherwise)
{
    return feb() && otherwise < SEKHA_STATUS_DEGRADED ? SEKHA_STATUS_DEGRADED : otherwise;
}

static void expect_mcp_fine(const hrec *r)
{
    if (feb()) {
        cr_assert_eq(r->st[MCP], SEKHA_STATUS_DEGRADED, "%s", r->detail[MCP]);
        cr_assert_not_null(strstr(r->detail[MCP], "no MCP tool routes"), "%s", r->detail[MCP]);
    } else {
        cr_assert_eq(r->st[MCP], SEKHA_STATUS_HEALTHY, "%s", r->detail[MCP]);
    }
}

Test(health, every_service_healthy_async_and_sync)
{
    sekha_client *c = wf_client(&ds);
    hrec r = {0};
    cr_assert_not_null(sekha_workflow_health_check(c, NULL, on_health, &r));
    cr_assert_eq(r.finals, 0);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    sekha_client_free(c);
    cr_assert_eq(r.finals, 1);
    cr_assert_eq(r.overall, want_overall(SEKHA_STATUS_HEALTHY), "%s", r.json);
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        cr_assert_geq(r.latency[i], 0);
        if (i == MCP)
            continue;
        cr_assert_eq(r.st[i], SEKHA_STATUS_HEALTHY, "%d: %s", i, r.detail[i]);
        cr_assert_eq(r.err[i], SEKHA_OK);
    }
    expect_mcp_fine(&r);
    /* The February controller's health is {status, version, uptime_seconds}. */
    cr_assert_str_eq(r.detail[CTL], feb() ? "version 0.1.0" : "database ok, chroma ok");
    if (!feb())
        cr_assert_str_eq(r.detail[MCP], "memory_stats: 0 conversations");
    cJSON *j = cJSON_Parse(r.json);
    cr_assert_not_null(j, "%s", r.json);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring,
                     feb() ? "degraded" : "healthy");
    cJSON *services = cJSON_GetObjectItem(j, "services");
    cr_assert_eq(cJSON_GetArraySize(services), 3);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(services, 1), "service")->valuestring,
                     "bridge");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(services, 1), "url")->valuestring,
                     ds.bridge_url);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(services, 0), "error")));
    cJSON_Delete(j);

    hrec s = {0};
    check_sync(wf_options(&ds), 0, &s);
    cr_assert_eq(s.overall, want_overall(SEKHA_STATUS_HEALTHY));
    cr_assert_str_eq(sekha_service_status_name(SEKHA_STATUS_UNREACHABLE), "unreachable");
    cr_assert_str_eq(sekha_service_name(SEKHA_SERVICE_MCP), "mcp");
}

Test(health, a_stopped_bridge_is_unreachable_and_the_rest_still_reported)
{
    sekha_options *o = wf_options(&ds);
    char closed[64];
    wf_closed_url(closed, sizeof closed);
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, closed), SEKHA_OK);
    hrec r = {0};
    check_sync(o, 0, &r);
    cr_assert_eq(r.st[BR], SEKHA_STATUS_UNREACHABLE);
    cr_assert_eq(r.err[BR], SEKHA_E_CONNECT);
    cr_assert_eq(r.layer[BR], SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(r.st[CTL], SEKHA_STATUS_HEALTHY);
    expect_mcp_fine(&r);
    cr_assert_eq(r.overall, SEKHA_STATUS_UNREACHABLE);
}

Test(health, the_mcp_key_is_needed_and_its_absence_explained)
{
    sekha_options *o = test_options(&ds); /* no key at all */
    hrec r = {0};
    check_sync(o, 0, &r);
    if (feb()) {
        /* No route, so no key check either: the missing routes are what it reports. */
        expect_mcp_fine(&r);
        return;
    }
    cr_assert_eq(r.st[MCP], SEKHA_STATUS_UNHEALTHY);
    cr_assert_eq(r.err[MCP], SEKHA_E_AUTH);
    cr_assert_not_null(strstr(r.detail[MCP], "HTTP 401"), "%s", r.detail[MCP]);
    cr_assert_not_null(strstr(r.detail[MCP], "SEKHA_MCP_API_KEY"), "%s", r.detail[MCP]);
    cr_assert_eq(r.overall, SEKHA_STATUS_UNHEALTHY);

    /* the controller's key is the fallback */
    o = test_options(&ds);
    sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, DEVSERVER_MCP_KEY);
    hrec s = {0};
    check_sync(o, 0, &s);
    cr_assert_eq(s.st[MCP], SEKHA_STATUS_HEALTHY, "%s", s.detail[MCP]);
}

Test(health, failing_answers_are_unhealthy_and_never_retried)
{
    wf_rule(&ds, ds.controller_url, "GET", "/health", 1, "{\"status\":503,\"body\":\"\"}", NULL);
    wf_rule(&ds, ds.bridge_url, "GET", "/health", 1,
            "{\"status\":503,\"body\":\"{\\\"detail\\\":\\\"provider check crashed\\\"}\"}", NULL);
    wf_rule(&ds, ds.controller_url, "POST", "/mcp/tools/memory_stats", 0, NULL,
            "{\"success\":false,\"data\":null,\"error\":\"Database error: locked\"}");
    hrec r = {0};
    check_sync(wf_options(&ds), 0, &r);
    cr_assert_eq(r.st[CTL], SEKHA_STATUS_UNHEALTHY);
    cr_assert_eq(r.err[CTL], SEKHA_E_SERVER);
    cr_assert_eq(strncmp(r.detail[CTL], "HTTP 503", 8), 0, "%s", r.detail[CTL]);
    cr_assert_eq(r.st[BR], SEKHA_STATUS_UNHEALTHY);
    cr_assert_str_eq(r.detail[BR], "HTTP 503: provider check crashed");
    cr_assert_eq(r.st[MCP], SEKHA_STATUS_UNHEALTHY);
    cr_assert_str_eq(r.detail[MCP], "memory_stats failed: Database error: locked");
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/health"), 1, "503 is not retried");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/health"), 1);
}

Test(health, degraded_states_and_other_controller_versions)
{
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, NULL,
            "{\"status\":\"healthy\",\"checks\":{\"database\":{\"status\":\"ok\"},"
            "\"chroma\":{\"status\":\"error\"}}}");
    wf_rule(&ds, ds.bridge_url, "GET", "/health", 0, NULL,
            "{\"status\":\"degraded\",\"ollama_status\":{\"status\":\"degraded\"}}");
    hrec r = {0};
    check_sync(wf_options(&ds), 0, &r);
    cr_assert_eq(r.st[CTL], SEKHA_STATUS_DEGRADED);
    cr_assert_str_eq(r.detail[CTL], "database ok, chroma error");
    cr_assert_eq(r.st[BR], SEKHA_STATUS_DEGRADED);
    cr_assert_eq(r.overall, want_overall(SEKHA_STATUS_DEGRADED));

    /* February's controller: {status, version, uptime_seconds}; a 200 that is no report */
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, NULL,
            "{\"status\":\"healthy\",\"version\":\"2.0.0\",\"uptime_seconds\":0}");
    wf_rule(&ds, ds.controller_url, "POST", "/mcp/tools/memory_stats", 0, NULL, "[1]");
    hrec s = {0};
    check_sync(wf_options(&ds), 0, &s);
    cr_assert_eq(s.st[CTL], SEKHA_STATUS_HEALTHY);
    cr_assert_str_eq(s.detail[CTL], "version 2.0.0");
    cr_assert_eq(s.st[MCP], SEKHA_STATUS_DEGRADED, "%s", s.detail[MCP]);

    /* A controller without the MCP tool routes answers 404: the part is missing, the
     * service is not failing, and the detail says what to use instead. */
    wf_rule(&ds, ds.controller_url, "POST", "/mcp/tools/memory_stats", 0,
            "{\"status\":404,\"body\":\"\"}", NULL);
    hrec t = {0};
    check_sync(wf_options(&ds), 0, &t);
    cr_assert_eq(t.st[MCP], SEKHA_STATUS_DEGRADED, "%s", t.detail[MCP]);
    cr_assert_not_null(strstr(t.detail[MCP], "no MCP tool routes"), "%s", t.detail[MCP]);
    cr_assert_not_null(strstr(t.detail[MCP], "REST API"), "%s", t.detail[MCP]);
    cr_assert_eq(t.overall, SEKHA_STATUS_DEGRADED);
}

Test(health, a_silent_service_is_unreachable_at_the_deadline)
{
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, "{\"stall\":true}", NULL);
    hrec r = {0};
    check_sync(wf_options(&ds), 300, &r);
    cr_assert_eq(r.st[CTL], SEKHA_STATUS_UNREACHABLE);
    cr_assert_eq(r.err[CTL], SEKHA_E_TIMEOUT);
    cr_assert_eq(r.layer[CTL], SEKHA_LAYER_TRANSPORT);
    cr_assert_str_eq(r.detail[CTL], "no answer within 300 ms");
    cr_assert_eq(r.latency[CTL], 300);
    cr_assert_eq(r.st[BR], SEKHA_STATUS_HEALTHY, "the others are not held up");
    expect_mcp_fine(&r);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each service answers after 1 s. Checked one after another that takes at least 3 s; side
 * by side about 1 s. The bound, 2.5 s, leaves 1.5 s of slack for a loaded machine and
 * still fails for any sequential order, so it proves concurrency without being a timing
 * test that flakes. */
Test(health, the_three_checks_run_at_the_same_time)
{
    const char *delay = "{\"delay_ms\":1000,\"pass\":true}";
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, delay, NULL);
    wf_rule(&ds, ds.bridge_url, "GET", "/health", 0, delay, NULL);
    wf_rule(&ds, ds.controller_url, "POST", "/mcp/tools/memory_stats", 0, delay, NULL);
    hrec r = {0};
    double t0 = now_s();
    check_sync(wf_options(&ds), 0, &r);
    double took = now_s() - t0;
    cr_assert_eq(r.overall, want_overall(SEKHA_STATUS_HEALTHY));
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++)
        cr_assert_geq(r.latency[i], 900, "service %d was delayed (%.1f ms)", i, r.latency[i]);
    cr_assert_lt(took, 2.5, "took %.2f s: the checks did not overlap", took);
}

Test(health, cancel_and_bad_arguments)
{
    wf_rule(&ds, ds.controller_url, "GET", "/health", 0, "{\"stall\":true}", NULL);
    sekha_client *c = wf_client(&ds);
    hrec r = {0};
    sekha_request *h = sekha_workflow_health_check(c, NULL, on_health, &r);
    for (int i = 0; i < 500 && ds_proc_count(&ds, ds.controller_url, "/health") < 1; i++)
        sekha_client_poll(c, 20);
    sekha_request_cancel(h);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.finals, 1);
    cr_assert_eq(r.code, SEKHA_E_CANCELLED);
    cr_assert_eq(r.has, 0, "no report after a cancel");
    cr_assert_eq(sekha_client_pending(c), 0);

    /* A refused timeout is reported by the call, through the callback. */
    hrec s = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_TIMEOUT_MS, -1), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(sekha_workflow_health_check(c, p, on_health, &s));
    sekha_params_free(p);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(s.finals, 1);
    cr_assert_eq(s.code, SEKHA_E_INVALID_ARG);
    cr_assert_eq(s.has, 0);
    sekha_client_free(c);
    cr_assert_null(sekha_workflow_health_check(NULL, NULL, on_health, &s));
    sekha_deployment_health *out = NULL;
    cr_assert_eq(sekha_workflow_health_check_sync(NULL, NULL, &out, NULL), SEKHA_E_INVALID_ARG);
    cr_assert_null(out);
}

/* The bridge's /health names its providers and their circuit breakers: the report shows
 * each one, and a provider whose breaker is not closed makes a healthy bridge degraded. */
Test(health, provider_health_is_part_of_the_bridge_report)
{
    hrec r = {0};
    check_sync(wf_options(&ds), 0, &r);
    cr_assert_eq(r.st[BR], SEKHA_STATUS_HEALTHY, "%s", r.detail[BR]);
    cr_assert_str_eq(r.detail[BR], "status healthy, provider devserver closed");
    cJSON *j = cJSON_Parse(r.json);
    cJSON *br = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "services"), BR);
    cJSON *prov = cJSON_GetArrayItem(cJSON_GetObjectItem(br, "providers"), 0);
    cr_assert_not_null(prov, "%s", r.json);
    cr_assert_str_eq(cJSON_GetObjectItem(prov, "provider")->valuestring, "devserver");
    cr_assert_str_eq(cJSON_GetObjectItem(prov, "state")->valuestring, "closed");
    cr_assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "services"),
                                                          CTL), "providers"));
    cJSON_Delete(j);

    wf_rule(&ds, ds.bridge_url, "GET", "/health", 0, NULL,
            "{\"status\":\"healthy\",\"ollama_status\":{\"status\":\"healthy\",\"providers\":"
            "{\"local\":{\"provider_type\":\"ollama\",\"circuit_breaker\":{\"state\":\"closed\"}},"
            "\"cloud\":{\"provider_type\":\"openai\",\"circuit_breaker\":{\"state\":\"open\"}}}}}");
    hrec s = {0};
    check_sync(wf_options(&ds), 0, &s);
    cr_assert_eq(s.st[BR], SEKHA_STATUS_DEGRADED, "%s", s.detail[BR]);
    cr_assert_str_eq(s.detail[BR], "status healthy, provider local closed, provider cloud open");
    cr_assert_eq(s.overall, want_overall(SEKHA_STATUS_DEGRADED));
}
