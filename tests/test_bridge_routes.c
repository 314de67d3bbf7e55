/* The bridge's routes beyond chat, embeddings and health (bridge_routes.h) against a local
 * sekha-devserver: models, tasks, routing, provider health, summaries, entities and
 * importance scores; then answers that leave optional fields out (read, absent), answers
 * with fields of the wrong type (a clear error naming the field), and refused arguments. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sekha/sekha.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(routes, .init = setup, .fini = teardown, .timeout = 60);

static sekha_client *client(void)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

/* Answers the next request to path with status and body (once). */
static void answer(const char *path, int status, const char *body)
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

/* errp, not the error: the call in the first argument sets it, and argument evaluation
 * order is unspecified. */
static void expect_error(sekha_code got, sekha_error **errp, sekha_code want, const char *needle)
{
    sekha_error *err = *errp;
    *errp = NULL;
    cr_assert_eq(got, want, "code %d, want %d: %s", got, want, sekha_error_message(err));
    cr_assert_eq(sekha_error_code(err), want);
    if (needle)
        cr_assert_not_null(strstr(sekha_error_message(err), needle), "\"%s\" not in: %s",
                           needle, sekha_error_message(err));
    sekha_error_free(err);
}

/* ---- the devserver's answers ---- */

typedef struct models_run {
    int finals;
    sekha_models *kept;
} models_run;

static void on_models(sekha_request *req, const sekha_error *err, const sekha_models *m,
                      void *ud)
{
    (void)req;
    models_run *r = ud;
    r->finals++;
    cr_assert_null(err, "%s", sekha_error_message(err));
    r->kept = sekha_models_copy(m);
}

Test(routes, models_list_what_the_bridge_serves)
{
    sekha_client *c = client();
    models_run r = {0};
    cr_assert_not_null(sekha_bridge_models(c, NULL, on_models, &r));
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.finals, 1);
    sekha_models *m = r.kept;
    cr_assert_eq(sekha_models_count(m), 2);
    const sekha_model *echo = sekha_models_at(m, 0), *hash = sekha_models_at(m, 1);
    cr_assert_str_eq(sekha_model_id(echo), "devserver-echo");
    cr_assert_str_eq(sekha_model_provider(echo), "devserver");
    cr_assert_str_eq(sekha_model_task(echo), "chat_small");
    cr_assert_eq(sekha_model_context_window(echo), 8192);
    cr_assert_eq(sekha_model_dimension(echo), -1, "a chat model has no dimension");
    cr_assert_eq(sekha_model_supports_vision(echo), 0);
    cr_assert_eq(sekha_model_supports_audio(echo), 0);
    cr_assert_str_eq(sekha_model_id(hash), "devserver-hash");
    cr_assert_eq(sekha_model_dimension(hash), 256);
    cr_assert_null(sekha_models_at(m, 2));
    cr_assert_not_null(strstr(sekha_models_json(m), "\"model_id\""));
    sekha_models_free(m);

    sekha_models *s = NULL;
    cr_assert_eq(sekha_bridge_models_sync(c, NULL, &s, NULL), SEKHA_OK);
    cr_assert_eq(sekha_models_count(s), 2);
    sekha_models_free(s);
    sekha_client_free(c);
}

Test(routes, tasks_and_routing)
{
    sekha_client *c = client();
    sekha_tasks *t = NULL;
    cr_assert_eq(sekha_bridge_tasks_sync(c, NULL, &t, NULL), SEKHA_OK);
    cr_assert_eq(sekha_tasks_count(t), 7);
    cr_assert_str_eq(sekha_tasks_at(t, 0), "embedding");
    cr_assert_str_eq(sekha_tasks_at(t, 6), "image_generation");
    cr_assert_null(sekha_tasks_at(t, 7));
    sekha_tasks_free(t);

    sekha_route *r = NULL;
    cr_assert_eq(sekha_bridge_route_sync(c, "chat_small", NULL, &r, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_route_provider(r), "devserver");
    cr_assert_str_eq(sekha_route_model(r), "devserver-echo");
    cr_assert_str_eq(sekha_route_provider_type(r), "devserver");
    cr_assert_str_eq(sekha_route_reason(r), "Default model for task");
    cr_assert_eq(sekha_route_estimated_cost(r), 0);
    sekha_route_free(r);

    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "devserver-hash"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_MAX_COST, 0.5), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_CONTEXT_SIZE, 4096), SEKHA_OK);
    cr_assert_eq(sekha_bridge_route_sync(c, "embedding", p, &r, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_route_model(r), "devserver-hash");
    cr_assert_str_eq(sekha_route_reason(r), "Preferred model available");
    sekha_route_free(r);

    /* An unknown task is the bridge's 400 listing the valid ones; vision has no provider. */
    sekha_error *err = NULL;
    expect_error(sekha_bridge_route_sync(c, "telepathy", NULL, &r, &err), &err,
                 SEKHA_E_BAD_REQUEST, "Valid tasks");
    cr_assert_null(r);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_REQUIRE_VISION, 1), SEKHA_OK);
    expect_error(sekha_bridge_route_sync(c, "chat_small", p, &r, &err), &err, SEKHA_E_SERVER,
                 "No suitable provider");
    sekha_params_free(p);
    sekha_client_free(c);
}

Test(routes, provider_health_is_a_probe)
{
    sekha_client *c = client();
    sekha_providers *p = NULL;
    cr_assert_eq(sekha_bridge_providers_sync(c, NULL, &p, NULL), SEKHA_OK);
    cr_assert_eq(sekha_providers_count(p), 1);
    cr_assert_eq(sekha_providers_healthy(p), 1);
    cr_assert_eq(sekha_providers_total_models(p), 2);
    const sekha_provider *d = sekha_providers_at(p, 0);
    cr_assert_str_eq(sekha_provider_id(d), "devserver");
    cr_assert_str_eq(sekha_provider_type(d), "devserver");
    cr_assert_str_eq(sekha_provider_state(d), "closed");
    cr_assert_eq(sekha_provider_models_count(d), 2);
    cr_assert_eq(sekha_provider_failure_count(d), 0);
    cr_assert_null(sekha_provider_last_failure(d), "null means it never failed");
    cr_assert_null(sekha_providers_at(p, 1));
    sekha_providers_free(p);

    answer("/api/v1/health/providers", 503, "{\"detail\":\"registry down\"}");
    sekha_error *err = NULL;
    expect_error(sekha_bridge_providers_sync(c, NULL, &p, &err), &err, SEKHA_E_SERVER,
                 "registry down");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/api/v1/health/providers"), 2,
                 "a probe is never retried");
    sekha_client_free(c);
}

Test(routes, summaries_entities_and_scores)
{
    sekha_client *c = client();
    const char *texts[] = {"we chose SQLite for the store", "Alice will write the tests"};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LEVEL, "weekly"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "tiny"), SEKHA_OK);
    sekha_text_summary *s = NULL;
    cr_assert_eq(sekha_bridge_summarize_sync(c, texts, 2, p, &s, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_text_summary_text(s),
                     "Weekly summary of 2 messages: we chose SQLite for the store Alice will "
                     "write the tests");
    cr_assert_str_eq(sekha_text_summary_level(s), "weekly");
    cr_assert_str_eq(sekha_text_summary_model(s), "tiny");
    cr_assert_eq(sekha_text_summary_message_count(s), 2);
    cr_assert_gt(sekha_text_summary_tokens(s), 0);
    sekha_text_summary_free(s);

    sekha_error *err = NULL;
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LEVEL, "yearly"), SEKHA_OK);
    expect_error(sekha_bridge_summarize_sync(c, texts, 2, p, &s, &err), &err,
                 SEKHA_E_BAD_REQUEST, "Invalid level: yearly");
    sekha_params_free(p);

    sekha_entities *e = NULL;
    cr_assert_eq(sekha_bridge_extract_sync(c, "Alice moved the GPU2 jobs to Bob, Alice said.",
                                           NULL, &e, NULL), SEKHA_OK);
    cr_assert_eq(sekha_entities_kind_count(e), 4);
    cr_assert_str_eq(sekha_entities_kind(e, 0), "people");
    cr_assert_eq(sekha_entities_count(e, 0), 2);
    cr_assert_str_eq(sekha_entities_at(e, 0, 0), "Alice");
    cr_assert_str_eq(sekha_entities_at(e, 0, 1), "Bob");
    cr_assert_null(sekha_entities_at(e, 0, 2));
    cr_assert_eq(sekha_entities_count(e, 1), 0);
    cr_assert_str_eq(sekha_entities_kind(e, 2), "technical_terms");
    cr_assert_str_eq(sekha_entities_at(e, 2, 0), "GPU2");
    cr_assert_null(sekha_entities_kind(e, 4));
    cr_assert_eq(sekha_entities_count(e, 4), 0);
    cr_assert_str_eq(sekha_entities_model(e), "default");
    sekha_entities_free(e);

    sekha_importance *i = NULL;
    cr_assert_eq(sekha_bridge_score_sync(c, "one two three four five six seven eight nine ten "
                                            "eleven twelve", NULL, &i, NULL), SEKHA_OK);
    cr_assert_eq(sekha_importance_score(i), 2.0);
    cr_assert_str_eq(sekha_importance_reasoning(i), "Score: 2/10 (12 words)");
    cr_assert_str_eq(sekha_importance_model(i), "default");
    sekha_importance_free(i);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/api/v1/score"), 1);
    sekha_client_free(c);
}

/* ---- tolerant reading: optional fields may be missing, types are checked ---- */

Test(routes, missing_optional_fields_read_as_absent)
{
    sekha_client *c = client();
    answer("/api/v1/models", 200, "[{\"model_id\":\"m\",\"dimension\":null}]");
    sekha_models *m = NULL;
    cr_assert_eq(sekha_bridge_models_sync(c, NULL, &m, NULL), SEKHA_OK);
    const sekha_model *x = sekha_models_at(m, 0);
    cr_assert_str_eq(sekha_model_id(x), "m");
    cr_assert_null(sekha_model_provider(x));
    cr_assert_null(sekha_model_task(x));
    cr_assert_eq(sekha_model_context_window(x), -1);
    cr_assert_eq(sekha_model_dimension(x), -1);
    cr_assert_eq(sekha_model_supports_vision(x), -1);
    sekha_models_free(m);

    answer("/api/v1/route", 200, "{\"provider_id\":\"p\",\"model_id\":\"m\"}");
    sekha_route *r = NULL;
    cr_assert_eq(sekha_bridge_route_sync(c, "chat_small", NULL, &r, NULL), SEKHA_OK);
    cr_assert_null(sekha_route_reason(r));
    cr_assert_null(sekha_route_provider_type(r));
    cr_assert_eq(sekha_route_estimated_cost(r), -1);
    sekha_route_free(r);

    /* the flat ProviderHealth form, and a provider that says nothing about itself */
    answer("/api/v1/health/providers", 200,
           "{\"providers\":{\"a\":{\"circuit_breaker_state\":\"open\"},\"b\":{}}}");
    sekha_providers *p = NULL;
    cr_assert_eq(sekha_bridge_providers_sync(c, NULL, &p, NULL), SEKHA_OK);
    cr_assert_eq(sekha_providers_count(p), 2);
    cr_assert_str_eq(sekha_provider_state(sekha_providers_at(p, 0)), "open");
    cr_assert_null(sekha_provider_state(sekha_providers_at(p, 1)));
    cr_assert_eq(sekha_provider_models_count(sekha_providers_at(p, 1)), -1);
    cr_assert_eq(sekha_providers_healthy(p), -1);
    sekha_providers_free(p);

    answer("/api/v1/summarize", 200, "{\"summary\":\"s\"}");
    sekha_text_summary *s = NULL;
    const char *one[] = {"x"};
    cr_assert_eq(sekha_bridge_summarize_sync(c, one, 1, NULL, &s, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_text_summary_text(s), "s");
    cr_assert_null(sekha_text_summary_model(s));
    cr_assert_eq(sekha_text_summary_tokens(s), -1);
    sekha_text_summary_free(s);

    answer("/api/v1/extract", 200, "{\"entities\":{\"people\":null,\"places\":[\"Oslo\"]}}");
    sekha_entities *e = NULL;
    cr_assert_eq(sekha_bridge_extract_sync(c, "x", NULL, &e, NULL), SEKHA_OK);
    cr_assert_eq(sekha_entities_kind_count(e), 2);
    cr_assert_eq(sekha_entities_count(e, 0), 0);
    cr_assert_str_eq(sekha_entities_at(e, 1, 0), "Oslo");
    cr_assert_null(sekha_entities_model(e));
    sekha_entities_free(e);

    answer("/api/v1/score", 200, "{\"score\":5.0}");
    sekha_importance *i = NULL;
    cr_assert_eq(sekha_bridge_score_sync(c, "x", NULL, &i, NULL), SEKHA_OK);
    cr_assert_eq(sekha_importance_score(i), 5.0);
    cr_assert_null(sekha_importance_reasoning(i));
    sekha_importance_free(i);
    sekha_client_free(c);
}

Test(routes, wrong_types_and_missing_essentials_name_the_field)
{
    static const struct {
        const char *path, *body, *needle;
    } cases[] = {
        {"/api/v1/models", "[{\"provider_id\":\"p\"}]", "\"[0].model_id\" is missing"},
        {"/api/v1/models", "[{\"model_id\":\"m\"},{\"model_id\":\"n\",\"dimension\":\"256\"}]",
         "\"[1].dimension\" is missing or not a number"},
        {"/api/v1/models", "[{\"model_id\":\"m\",\"supports_vision\":\"yes\"}]",
         "\"[0].supports_vision\" is missing or not a boolean"},
        {"/api/v1/models", "[\"m\"]", "\"[0]\" is missing or not an object"},
        {"/api/v1/models", "{\"models\":[]}", "not an array"},
        {"/api/v1/tasks", "[\"chat_small\",3]", "\"[1]\" is missing or not a string"},
        {"/api/v1/route", "{\"provider_id\":\"p\"}", "\"model_id\" is missing"},
        {"/api/v1/route", "{\"provider_id\":\"p\",\"model_id\":7}", "\"model_id\""},
        {"/api/v1/route", "{\"provider_id\":\"p\",\"model_id\":\"m\",\"estimated_cost\":\"0\"}",
         "\"estimated_cost\""},
        {"/api/v1/health/providers", "{\"total_providers\":0}", "\"providers\""},
        {"/api/v1/health/providers", "{\"providers\":{\"x\":3}}", "\"providers.x\""},
        {"/api/v1/health/providers",
         "{\"providers\":{\"x\":{\"circuit_breaker\":{\"state\":1}}}}", "\"providers.x.state\""},
        {"/api/v1/summarize", "{\"level\":\"daily\"}", "\"summary\" is missing"},
        {"/api/v1/summarize", "{\"summary\":\"s\",\"message_count\":\"2\"}", "\"message_count\""},
        {"/api/v1/extract", "{\"model\":\"m\"}", "\"entities\""},
        {"/api/v1/extract", "{\"entities\":{\"people\":[1]}}", "\"entities.people\""},
        {"/api/v1/score", "{\"reasoning\":\"r\"}", "\"score\" is missing"},
        {"/api/v1/score", "{\"score\":\"7\"}", "\"score\""},
        {"/api/v1/score", "not json", "not valid JSON"},
    };
    sekha_client *c = client();
    const char *one[] = {"x"};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        answer(cases[k].path, 200, cases[k].body);
        sekha_error *err = NULL;
        void *res = NULL;
        sekha_code rc;
        const char *p = cases[k].path + strlen("/api/v1/");
        if (!strcmp(p, "models"))
            rc = sekha_bridge_models_sync(c, NULL, (sekha_models **)&res, &err);
        else if (!strcmp(p, "tasks"))
            rc = sekha_bridge_tasks_sync(c, NULL, (sekha_tasks **)&res, &err);
        else if (!strcmp(p, "route"))
            rc = sekha_bridge_route_sync(c, "chat_small", NULL, (sekha_route **)&res, &err);
        else if (!strcmp(p, "health/providers"))
            rc = sekha_bridge_providers_sync(c, NULL, (sekha_providers **)&res, &err);
        else if (!strcmp(p, "summarize"))
            rc = sekha_bridge_summarize_sync(c, one, 1, NULL, (sekha_text_summary **)&res, &err);
        else if (!strcmp(p, "extract"))
            rc = sekha_bridge_extract_sync(c, "x", NULL, (sekha_entities **)&res, &err);
        else
            rc = sekha_bridge_score_sync(c, "x", NULL, (sekha_importance **)&res, &err);
        cr_assert_null(res, "case %zu: a result from a bad answer", k);
        cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_SERVICE, "case %zu", k);
        expect_error(rc, &err, SEKHA_E_BAD_RESPONSE, cases[k].needle);
    }
    /* a 200 carrying an error object is the service's failure */
    answer("/api/v1/models", 200, "{\"error\":{\"message\":\"registry exploded\"}}");
    sekha_error *err = NULL;
    expect_error(sekha_bridge_models_sync(c, NULL, NULL, &err), &err, SEKHA_E_SERVICE,
                 "registry exploded");
    sekha_client_free(c);
}

/* ---- arguments refused before anything is sent ---- */

typedef struct fail_run {
    int finals;
    sekha_code code;
} fail_run;

static void on_route(sekha_request *req, const sekha_error *err, const sekha_route *r, void *ud)
{
    (void)req;
    fail_run *f = ud;
    f->finals++;
    f->code = sekha_error_code(err);
    cr_assert_null(r);
}

Test(routes, bad_arguments_fail_through_the_callback)
{
    sekha_client *c = client();
    fail_run f = {0};
    cr_assert_not_null(sekha_bridge_route(c, NULL, NULL, on_route, &f));
    cr_assert_eq(f.finals, 0, "the final callback comes from the loop");
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(f.finals, 1);
    cr_assert_eq(f.code, SEKHA_E_INVALID_ARG);

    sekha_error *err = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LEVEL, "daily"), SEKHA_OK);
    expect_error(sekha_bridge_models_sync(c, p, NULL, &err), &err, SEKHA_E_INVALID_ARG, "level");
    expect_error(sekha_bridge_route_sync(c, "chat_small", p, NULL, &err), &err,
                 SEKHA_E_INVALID_ARG, "level");
    expect_error(sekha_bridge_score_sync(c, "x", p, NULL, &err), &err, SEKHA_E_INVALID_ARG,
                 "level");
    sekha_params_free(p);
    cr_assert_eq(sekha_params_set_real(p = sekha_params_new(), SEKHA_PARAM_MAX_COST, -1),
                 SEKHA_E_INVALID_ARG, "a cost is >= 0");
    sekha_params_free(p);
    const char *bad[] = {"ok", "\xff"};
    expect_error(sekha_bridge_summarize_sync(c, bad, 2, NULL, NULL, &err), &err,
                 SEKHA_E_INVALID_ARG, "text 1");
    expect_error(sekha_bridge_summarize_sync(c, bad, 0, NULL, NULL, &err), &err,
                 SEKHA_E_INVALID_ARG, "at least one");
    expect_error(sekha_bridge_extract_sync(c, "\xc3", NULL, NULL, &err), &err,
                 SEKHA_E_INVALID_ARG, "text");
    expect_error(sekha_bridge_score_sync(c, NULL, NULL, NULL, &err), &err, SEKHA_E_INVALID_ARG,
                 "conversation");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/api/v1/summarize"), 0);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/api/v1/route"), 0);
    sekha_client_free(c);
}

/* ---- provider health in the bridge's /health report ---- */

static sekha_health *bridge_health(sekha_client *c)
{
    sekha_health *h = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_health_sync(c, &h, &err), SEKHA_OK, "%s", sekha_error_message(err));
    return h;
}

Test(routes, bridge_health_names_its_providers)
{
    sekha_client *c = client();
    sekha_health *h = bridge_health(c);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_HEALTHY);
    cr_assert_eq(sekha_health_provider_count(h), 1);
    cr_assert_str_eq(sekha_health_provider_name(h, 0), "devserver");
    cr_assert_str_eq(sekha_health_provider_state(h, 0), "closed");
    cr_assert_null(sekha_health_provider_name(h, 1));
    cr_assert_null(sekha_health_provider_state(h, 1));
    sekha_health_free(h);

    /* a breaker that is not closed makes a healthy bridge degraded; a provider without
     * breaker data, or a providers member of another type, says nothing */
    answer("/health", 200,
           "{\"status\":\"healthy\",\"ollama_status\":{\"status\":\"healthy\",\"providers\":"
           "{\"a\":{\"circuit_breaker\":{\"state\":\"half_open\"}},\"b\":{},\"c\":7}}}");
    h = bridge_health(c);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_DEGRADED);
    cr_assert_eq(sekha_health_provider_count(h), 3);
    cr_assert_str_eq(sekha_health_provider_state(h, 0), "half_open");
    cr_assert_str_eq(sekha_health_provider_name(h, 1), "b");
    cr_assert_null(sekha_health_provider_state(h, 1));
    cr_assert_null(sekha_health_provider_state(h, 2));
    sekha_health_free(h);

    answer("/health", 200,
           "{\"status\":\"healthy\",\"ollama_status\":{\"status\":\"healthy\",\"providers\":[]}}");
    h = bridge_health(c);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_HEALTHY);
    cr_assert_eq(sekha_health_provider_count(h), 0);
    sekha_health_free(h);

    /* the controller's report has no providers */
    sekha_health *ctl = NULL;
    cr_assert_eq(sekha_controller_health_sync(c, &ctl, NULL), SEKHA_OK);
    cr_assert_eq(sekha_health_provider_count(ctl), 0);
    sekha_health_free(ctl);
    sekha_client_free(c);
}

/* ---- the devserver's unversioned aliases answer like the /api/v1 routes ---- */

static cJSON *post(sekha_client *c, const char *line, const char *body, int *status)
{
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, body, strlen(body)), SEKHA_OK);
    sekha_response *r = NULL;
    sekha_http_request_sync(c, SEKHA_SERVICE_BRIDGE, line, p, &r, NULL);
    sekha_params_free(p);
    cr_assert_not_null(r, "%s: no answer", line);
    *status = sekha_response_status(r);
    cJSON *v = cJSON_Parse(sekha_response_body(r, NULL));
    sekha_response_free(r);
    cr_assert_not_null(v, "%s: not JSON", line);
    return v;
}

Test(routes, unversioned_aliases_and_validation_answers)
{
    sekha_client *c = client();
    int st;
    cJSON *v = post(c, "POST /summarize", "{\"messages\":[\"a b\"]}", &st);
    cr_assert_eq(st, 200);
    cr_assert_str_eq(cJSON_GetObjectItem(v, "summary")->valuestring,
                     "Daily summary of 1 messages: a b");
    cr_assert_str_eq(cJSON_GetObjectItem(v, "level")->valuestring, "daily");
    cJSON_Delete(v);
    v = post(c, "POST /extract", "{\"text\":\"Ada wrote it\"}", &st);
    cr_assert_eq(st, 200);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "entities"),
                                                            "people"), 0)->valuestring, "Ada");
    cJSON_Delete(v);
    const char *score_paths[] = {"POST /score", "POST /score_importance"};
    for (size_t i = 0; i < 2; i++) {
        v = post(c, score_paths[i], "{\"conversation\":\"hi\",\"model\":\"m\"}", &st);
        cr_assert_eq(st, 200);
        cr_assert_eq(cJSON_GetObjectItem(v, "score")->valuedouble, 1.0);
        cr_assert_str_eq(cJSON_GetObjectItem(v, "model")->valuestring, "m");
        cJSON_Delete(v);
    }
    /* FastAPI's 422: the field's location and what was wrong */
    v = post(c, "POST /score", "{\"conversation\":3}", &st);
    cr_assert_eq(st, 422);
    cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "detail"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(d, "type")->valuestring, "string_type");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "loc"), 1)->valuestring,
                     "conversation");
    cJSON_Delete(v);
    v = post(c, "POST /api/v1/route", "{}", &st);
    cr_assert_eq(st, 422);
    cJSON_Delete(v);
    sekha_client_free(c);
}

Test(routes, route_options_reach_the_bridge_with_their_types)
{
    sekha_client *c = client();
    int st;
    /* the devserver refuses a mistyped option as the bridge's pydantic model does... */
    cJSON *v = post(c, "POST /api/v1/route", "{\"task\":\"chat_small\",\"context_size\":\"512\"}",
                    &st);
    cr_assert_eq(st, 422);
    cJSON_Delete(v);
    v = post(c, "POST /api/v1/route", "{\"task\":\"chat_small\",\"max_cost\":\"1\"}", &st);
    cr_assert_eq(st, 422);
    cJSON_Delete(v);
    /* ...so every option set here arrived as the type the bridge wants */
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_REQUIRE_VISION, 0), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_MAX_COST, 1e-3), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_CONTEXT_SIZE, 128000), SEKHA_OK);
    sekha_route *r = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_route_sync(c, "chat_smart", p, &r, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_route_model(r), "devserver-echo");
    sekha_route_free(r);
    sekha_params_free(p);
    sekha_client_free(c);
}
