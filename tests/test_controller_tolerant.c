/* Tolerant reading of the controller's answers: a field a result can do without may be
 * missing (or null) and reads NULL / -1, ids are opaque strings, but a missing id, content
 * or score, and any field of the wrong type, still fail the call naming the field. The
 * answers are canned by the devserver's fault rules, shaped like those of other controller
 * versions and of the SDKs' own test mocks. */
#include <cjson/cJSON.h>

#include "controller_fixture.h"

/* Arms one 200 answer with body (JSON text) for method path. */
static void answer(const char *method, const char *path, const char *body)
{
    cJSON *steps = cJSON_CreateArray(), *step = cJSON_CreateObject();
    cJSON_AddNumberToObject(step, "status", 200);
    cJSON_AddStringToObject(step, "body", body);
    cJSON_AddItemToArray(steps, step);
    char *text = cJSON_PrintUnformatted(steps);
    cr_assert_not_null(text);
    arm(method, path, text);
    cJSON_free(text);
    cJSON_Delete(steps);
}

static sekha_code query(sekha_search_results **r, sekha_error **err)
{
    *r = NULL;
    *err = NULL;
    return sekha_controller_query_sync(cl, "anything", NULL, r, err);
}

Test(controller, a_query_hit_without_folder_is_read_with_folder_null)
{
    answer("POST", "/api/v1/query",
           "{\"results\":[{\"conversation_id\":\"" MISSING "\",\"message_id\":\"" MISSING "\","
           "\"score\":0.75,\"content\":\"the plan\",\"metadata\":{},\"label\":\"Work\","
           "\"timestamp\":\"2026-01-16T10:20:30\"}],\"total\":1,\"page\":0,\"page_size\":10}");
    sekha_search_results *r;
    sekha_error *err;
    cr_assert_eq(query(&r, &err), SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_search_results_count(r), 1);
    const sekha_search_result *it = sekha_search_results_at(r, 0);
    cr_assert_null(sekha_search_result_folder(it));
    cr_assert_str_eq(sekha_search_result_label(it), "Work");
    cr_assert_str_eq(sekha_search_result_content(it), "the plan");
    cr_assert_float_eq(sekha_search_result_score(it), 0.75, 1e-9);
    sekha_search_results_free(r);
}

Test(controller, a_mock_shaped_query_answer_with_opaque_ids_is_read)
{
    /* What the SDKs' mocks send: ids like "123", only the fields a hit needs. */
    answer("POST", "/api/v1/query",
           "{\"results\":[{\"conversation_id\":\"123\",\"content\":\"hello\",\"score\":0.9},"
           "{\"conversation_id\":\"456\",\"message_id\":null,\"content\":\"again\","
           "\"score\":1,\"label\":null,\"folder\":null}]}");
    sekha_search_results *r;
    sekha_error *err;
    cr_assert_eq(query(&r, &err), SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_search_results_count(r), 2);
    const sekha_search_result *a = sekha_search_results_at(r, 0);
    cr_assert_str_eq(sekha_search_result_conversation_id(a), "123");
    cr_assert_null(sekha_search_result_message_id(a));
    cr_assert_null(sekha_search_result_label(a));
    cr_assert_null(sekha_search_result_timestamp(a));
    cr_assert_str_eq(sekha_search_result_metadata_json(a), "null");
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 1)), "456");
    cr_assert_eq(sekha_search_results_total(r), -1, "absent numbers read -1");
    cr_assert_eq(sekha_search_results_page(r), -1);
    cr_assert_eq(sekha_search_results_page_size(r), -1);
    sekha_search_results_free(r);
}

Test(controller, a_hit_without_content_or_score_or_of_wrong_types_still_fails)
{
    static const struct {
        const char *hit, *needle;
    } cases[] = {
        {"{\"conversation_id\":\"1\",\"score\":0.5}", "results[0].content"},
        {"{\"conversation_id\":\"1\",\"content\":\"x\"}", "results[0].score"},
        {"{\"content\":\"x\",\"score\":0.5}", "results[0].conversation_id"},
        {"{\"conversation_id\":\"1\",\"content\":\"x\",\"score\":0.5,\"folder\":7}",
         "results[0].folder"},
        {"{\"conversation_id\":1,\"content\":\"x\",\"score\":0.5}", "results[0].conversation_id"},
        {"{\"conversation_id\":\"1\",\"content\":\"x\",\"score\":\"high\"}", "results[0].score"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"results\":[%s]}", cases[i].hit);
        answer("POST", "/api/v1/query", body);
        sekha_search_results *r;
        sekha_error *err;
        sekha_code rc = query(&r, &err);
        cr_assert_null(r, "case %zu", i);
        expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, cases[i].needle);
    }
    answer("POST", "/api/v1/query", "{\"results\":[],\"total\":\"1\"}");
    sekha_search_results *r;
    sekha_error *err;
    sekha_code rc = query(&r, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "\"total\"");
    answer("POST", "/api/v1/query", "{\"total\":0}");
    rc = query(&r, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "\"results\"");
}

Test(controller, a_conversation_needs_only_its_id)
{
    char *id = store("t", "/", "tolerant");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    answer("GET", path, "{\"id\":\"123\"}");
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_get_conversation_sync(cl, id, &conv, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_conversation_id(conv), "123");
    cr_assert_null(sekha_conversation_label(conv));
    cr_assert_null(sekha_conversation_folder(conv));
    cr_assert_null(sekha_conversation_status(conv));
    cr_assert_null(sekha_conversation_created_at(conv));
    cr_assert_eq(sekha_conversation_message_count(conv), -1);
    sekha_conversation_free(conv);

    static const char *const bad[][2] = {
        {"{\"label\":\"x\"}", "\"id\""},
        {"{\"id\":7}", "\"id\""},
        {"{\"id\":\"1\",\"message_count\":\"3\"}", "\"message_count\""},
        {"{\"id\":\"1\",\"label\":[]}", "\"label\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        answer("GET", path, bad[i][0]);
        sekha_code rc = sekha_controller_get_conversation_sync(cl, id, &conv, &err);
        cr_assert_null(conv);
        expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, bad[i][1]);
    }
    free(id);
}

Test(controller, stored_messages_need_an_id_and_content)
{
    answer("POST", "/api/v1/search/fts",
           "{\"results\":[{\"id\":\"m1\",\"content\":\"only this\"}]}");
    sekha_stored_messages *l = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_full_text_search_sync(cl, "only", NULL, &l, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    cr_assert_eq(sekha_stored_messages_count(l), 1);
    const sekha_stored_message *m = sekha_stored_messages_at(l, 0);
    cr_assert_str_eq(sekha_stored_message_id(m), "m1");
    cr_assert_str_eq(sekha_stored_message_content(m), "only this");
    cr_assert_null(sekha_stored_message_conversation_id(m));
    cr_assert_null(sekha_stored_message_role(m));
    cr_assert_null(sekha_stored_message_timestamp(m));
    cr_assert_eq(sekha_stored_messages_total(l), -1);
    sekha_stored_messages_free(l);
    answer("POST", "/api/v1/search/fts", "{\"results\":[{\"id\":\"m1\",\"role\":\"user\"}]}");
    sekha_code rc = sekha_controller_full_text_search_sync(cl, "only", NULL, &l, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "results[0].content");
    answer("POST", "/api/v1/search/fts", "{\"results\":[{\"id\":\"m1\",\"content\":\"x\","
                                         "\"role\":5}]}");
    rc = sekha_controller_full_text_search_sync(cl, "only", NULL, &l, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "results[0].role");
}

Test(controller, summaries_and_suggestions_need_only_their_core)
{
    char *id = store("t", "/", "tolerant");
    answer("POST", "/api/v1/summarize", "{\"summary\":\"short\"}");
    sekha_summary *s = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_summarize_sync(cl, id, NULL, &s, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_summary_text(s), "short");
    cr_assert_null(sekha_summary_conversation_id(s));
    cr_assert_null(sekha_summary_level(s));
    cr_assert_null(sekha_summary_generated_at(s));
    sekha_summary_free(s);

    answer("POST", "/api/v1/prune/dry-run", "{\"suggestions\":[{\"conversation_id\":\"42\"}]}");
    sekha_prune_suggestions *p = NULL;
    cr_assert_eq(sekha_controller_prune_dry_run_sync(cl, NULL, &p, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    const sekha_prune_suggestion *ps = sekha_prune_suggestions_at(p, 0);
    cr_assert_str_eq(sekha_prune_suggestion_conversation_id(ps), "42");
    cr_assert_null(sekha_prune_suggestion_label(ps));
    cr_assert_null(sekha_prune_suggestion_recommendation(ps));
    cr_assert_null(sekha_prune_suggestion_last_accessed(ps));
    cr_assert_eq(sekha_prune_suggestion_message_count(ps), -1);
    cr_assert_eq(sekha_prune_suggestion_token_estimate(ps), -1);
    cr_assert_float_eq(sekha_prune_suggestion_importance(ps), -1, 1e-9);
    cr_assert_str_eq(sekha_prune_suggestion_preview(ps), "");
    cr_assert_eq(sekha_prune_suggestions_total(p), -1);
    sekha_prune_suggestions_free(p);

    answer("POST", "/api/v1/labels/suggest", "{\"suggestions\":[{\"label\":\"Work\"}]}");
    sekha_label_suggestions *l = NULL;
    cr_assert_eq(sekha_controller_suggest_labels_sync(cl, id, &l, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    const sekha_label_suggestion *ls = sekha_label_suggestions_at(l, 0);
    cr_assert_str_eq(sekha_label_suggestion_label(ls), "Work");
    cr_assert_float_eq(sekha_label_suggestion_confidence(ls), -1, 1e-9);
    cr_assert_eq(sekha_label_suggestion_is_existing(ls), -1);
    cr_assert_str_eq(sekha_label_suggestion_reason(ls), "");
    cr_assert_null(sekha_label_suggestions_conversation_id(l));
    sekha_label_suggestions_free(l);

    answer("POST", "/api/v1/summarize", "{\"level\":\"daily\"}");
    sekha_code rc = sekha_controller_summarize_sync(cl, id, NULL, &s, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "\"summary\"");
    answer("POST", "/api/v1/labels/suggest",
           "{\"suggestions\":[{\"label\":\"Work\",\"is_existing\":\"yes\"}]}");
    rc = sekha_controller_suggest_labels_sync(cl, id, &l, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "suggestions[0].is_existing");
    free(id);
}

/* ---- the CLI prints what a tolerant result holds ---- */

#include "cli_runner.h"

Test(controller, the_cli_prints_a_dash_for_fields_the_server_left_out)
{
    answer("POST", "/api/v1/query",
           "{\"results\":[{\"conversation_id\":\"123\",\"content\":\"hello\",\"score\":0.5,"
           "\"label\":\"Work\"}]}");
    cli_out o;
    const char *const q[] = {"--controller-url", ds.controller_url, "query", "hello", NULL};
    cli_exec(NULL, q, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.out, "0.5000  123  [Work / -]"), "%s", o.out);
    /* A suggestion without a recommendation: listed, and not archived by --execute. */
    answer("POST", "/api/v1/prune/dry-run", "{\"suggestions\":[{\"conversation_id\":\"" MISSING
                                            "\"}]}");
    const char *const p[] = {"--controller-url", ds.controller_url, "prune", "--days", "0",
                             "--execute", NULL};
    cli_exec(NULL, p, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.out, MISSING "  -"), "%s", o.out);
    cr_assert_eq(hits("/api/v1/prune/execute"), 0, "nothing recommended for archiving");
}
