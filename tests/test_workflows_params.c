/* The workflows' parameters against sekha-devserver: a key a workflow does not read and a
 * failed setter end the call before anything is sent; each stage gets only the keys it
 * reads (a child call refuses any other, so a workflow that passed its own keys on would
 * fail); the chunk callback gets its own userdata; results copied in a callback live on
 * and are freed on another thread. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "workflows_harness.h"

static ds_proc ds;
static sekha_client *cl;

static void setup(void)
{
    start_devserver(&ds, NULL);
    cl = wf_client(&ds);
}

static void teardown(void)
{
    sekha_client_free(cl);
    ds_proc_stop(&ds);
}

TestSuite(wf_params, .init = setup, .fini = teardown, .timeout = 60);

/* The February controller serves no /mcp/tools routes, so a deployment check that includes
 * MCP is degraded there (the MCP line says why). */
static sekha_service_status want_overall(void)
{
    return ds_test_upstream_is("2026-02") ? SEKHA_STATUS_DEGRADED : SEKHA_STATUS_HEALTHY;
}

static long ctl(const char *path) { return ds_proc_count(&ds, ds.controller_url, path); }
static long bridge(const char *path) { return ds_proc_count(&ds, ds.bridge_url, path); }

/* Every request any workflow could send. */
static long sent(void)
{
    return ctl("/api/v1/conversations") + ctl("/api/v1/query") +
           ctl("/api/v1/context/assemble") + ctl("/health") +
           ctl("/mcp/tools/memory_stats") + bridge("/v1/chat/completions") + bridge("/health");
}

typedef struct fin {
    int finals;
    sekha_code code;
    char message[512];
    int has_result;
} fin;

static void fin_set(fin *f, const sekha_error *err, const void *result)
{
    f->finals++;
    f->code = sekha_error_code(err);
    snprintf(f->message, sizeof f->message, "%s", err ? sekha_error_message(err) : "");
    f->has_result = result != NULL;
}

static void on_answer(sekha_request *req, const sekha_error *err, const sekha_answer *a, void *ud)
{
    (void)req;
    fin_set(ud, err, a);
}

static void on_stored(sekha_request *req, const sekha_error *err, const sekha_stored_query *r,
                      void *ud)
{
    (void)req;
    fin_set(ud, err, r);
}

static void on_health(sekha_request *req, const sekha_error *err,
                      const sekha_deployment_health *h, void *ud)
{
    (void)req;
    fin_set(ud, err, h);
}

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    (void)ch;
    (*(int *)ud)++;
    return SEKHA_EVENT_CONTINUE;
}

/* The chunks a stream delivered, to the setter's userdata. */
typedef struct seen {
    int n;
    char text[512];
} seen;

static int collect(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    seen *s = ud;
    s->n++;
    strncat(s->text, sekha_chunk_content(ch, NULL), sizeof s->text - strlen(s->text) - 1);
    return SEKHA_EVENT_CONTINUE;
}

static void expect_refused(const fin *f, const char *call, const char *needle)
{
    cr_assert_eq(f->finals, 1);
    cr_assert_eq(f->code, SEKHA_E_INVALID_ARG, "%s", f->message);
    cr_assert_not_null(strstr(f->message, call), "\"%s\" not in: %s", call, f->message);
    cr_assert_not_null(strstr(f->message, needle), "\"%s\" not in: %s", needle, f->message);
}

/* ================================================================ refused keys */

Test(wf_params, keys_a_workflow_does_not_read_are_refused_before_sending)
{
    int chunks = 0;
    const char *const labels[] = {"x", NULL};
    sekha_params *cursor = sekha_params_new(), *chunk = sekha_params_new();
    sekha_params *labels_p = sekha_params_new(), *excluded = sekha_params_new();
    sekha_params *model = sekha_params_new(), *limit = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(cursor, SEKHA_PARAM_CURSOR, "c"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_chunk(chunk, on_chunk, &chunks), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(labels_p, SEKHA_PARAM_LABELS, labels), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(excluded, SEKHA_PARAM_EXCLUDED_FOLDERS, labels),
                 SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(model, SEKHA_PARAM_MODEL, "m"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(limit, SEKHA_PARAM_LIMIT, 3), SEKHA_OK);
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "hello"), SEKHA_OK);

    fin f[8] = {{0}};
    /* store_and_query reads no model; the completions read neither a cursor nor (whole)
     * a chunk callback; the context workflows filter by preferred labels, not labels, and
     * take no limit; the memory workflows exclude no folders; the health check reads only
     * a timeout. */
    sekha_workflow_store_and_query(cl, m, "q", model, on_stored, &f[0]);
    sekha_workflow_complete_with_context(cl, "p", chunk, on_answer, &f[1]);
    sekha_workflow_stream_with_context(cl, "p", labels_p, on_answer, &f[2]);
    sekha_workflow_complete_with_context(cl, "p", limit, on_answer, &f[3]);
    sekha_workflow_complete_with_memory(cl, "p", excluded, on_answer, &f[4]);
    sekha_workflow_stream_with_memory(cl, "p", cursor, on_answer, &f[5]);
    sekha_workflow_complete_with_memory(cl, "p", chunk, on_answer, &f[6]);
    sekha_workflow_health_check(cl, model, on_health, &f[7]);
    cr_assert_eq(f[0].finals + f[7].finals, 0, "never from inside the call");
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);

    expect_refused(&f[0], "sekha_workflow_store_and_query", "the parameter model does not apply");
    expect_refused(&f[1], "sekha_workflow_complete_with_context", "on_chunk");
    expect_refused(&f[2], "sekha_workflow_stream_with_context", "the parameter labels does");
    expect_refused(&f[3], "sekha_workflow_complete_with_context", "the parameter limit does");
    expect_refused(&f[4], "sekha_workflow_complete_with_memory", "excluded_folders");
    expect_refused(&f[5], "sekha_workflow_stream_with_memory", "cursor");
    expect_refused(&f[6], "sekha_workflow_complete_with_memory", "on_chunk");
    expect_refused(&f[7], "sekha_workflow_health_check", "the parameter model does not apply");
    cr_assert_eq(f[0].has_result, 0, "nothing stored, no result");
    cr_assert_eq(f[7].has_result, 0);
    cr_assert_eq(chunks, 0);
    cr_assert_eq(sent(), 0, "nothing reached the devserver");

    /* The sync forms refuse the same way. */
    sekha_error *err = NULL;
    sekha_answer *a = NULL;
    cr_assert_eq(sekha_workflow_stream_with_context_sync(cl, "p", cursor, &a, &err),
                 SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_error_message(err), "the parameter cursor does not apply"),
                       "%s", sekha_error_message(err));
    cr_assert_not_null(a, "an answer says how far the workflow got: nowhere");
    cr_assert_null(sekha_answer_prompt(a));
    sekha_answer_free(a);
    sekha_error_free(err);
    sekha_deployment_health *h = NULL;
    cr_assert_eq(sekha_workflow_health_check_sync(cl, limit, &h, &err), SEKHA_E_INVALID_ARG);
    cr_assert_null(h);
    sekha_error_free(err);
    sekha_stored_query *sq = NULL;
    cr_assert_eq(sekha_workflow_store_and_query_sync(cl, m, "q", chunk, &sq, &err),
                 SEKHA_E_INVALID_ARG);
    cr_assert_null(sq);
    sekha_error_free(err);
    cr_assert_eq(sent(), 0);

    sekha_messages_free(m);
    sekha_params_free(cursor);
    sekha_params_free(chunk);
    sekha_params_free(labels_p);
    sekha_params_free(excluded);
    sekha_params_free(model);
    sekha_params_free(limit);
}

/* A temperature the bridge would refuse ends every completion workflow before its
 * recall stage sends anything, as the bridge call alone does. */
Test(wf_params, a_temperature_above_the_bridge_limit_sends_nothing)
{
    sekha_params *hot = sekha_params_new();
    cr_assert_eq(sekha_params_set_real(hot, SEKHA_PARAM_TEMPERATURE, 2.5), SEKHA_OK);
    fin f[4] = {{0}};
    sekha_workflow_complete_with_context(cl, "p", hot, on_answer, &f[0]);
    sekha_workflow_stream_with_context(cl, "p", hot, on_answer, &f[1]);
    sekha_workflow_complete_with_memory(cl, "p", hot, on_answer, &f[2]);
    sekha_workflow_stream_with_memory(cl, "p", hot, on_answer, &f[3]);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    expect_refused(&f[0], "sekha_workflow_complete_with_context", "temperature must be from 0 to 2");
    expect_refused(&f[1], "sekha_workflow_stream_with_context", "temperature must be from 0 to 2");
    expect_refused(&f[2], "sekha_workflow_complete_with_memory", "temperature must be from 0 to 2");
    expect_refused(&f[3], "sekha_workflow_stream_with_memory", "temperature must be from 0 to 2");
    cr_assert_eq(sent(), 0, "nothing reached the devserver");
    sekha_params_free(hot);
}

Test(wf_params, a_failed_setter_is_reported_by_every_workflow)
{
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_BUDGET, 0), SEKHA_E_INVALID_ARG);
    /* a key that would be refused comes second: the failed setter wins */
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CURSOR, "c"), SEKHA_OK);
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "hello"), SEKHA_OK);
    fin f[6] = {{0}};
    sekha_workflow_store_and_query(cl, m, "q", p, on_stored, &f[0]);
    sekha_workflow_complete_with_context(cl, "p", p, on_answer, &f[1]);
    sekha_workflow_stream_with_context(cl, "p", p, on_answer, &f[2]);
    sekha_workflow_complete_with_memory(cl, "p", p, on_answer, &f[3]);
    sekha_workflow_stream_with_memory(cl, "p", p, on_answer, &f[4]);
    sekha_workflow_health_check(cl, p, on_health, &f[5]);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    static const char *const calls[] = {
        "sekha_workflow_store_and_query",      "sekha_workflow_complete_with_context",
        "sekha_workflow_stream_with_context",  "sekha_workflow_complete_with_memory",
        "sekha_workflow_stream_with_memory",   "sekha_workflow_health_check"};
    for (int i = 0; i < 6; i++)
        expect_refused(&f[i], calls[i], "budget must be >= 1 (got 0)");
    cr_assert_eq(sent(), 0);

    /* Once cleared, the same object is used as it stands (the cursor is still refused). */
    sekha_params_clear_error(p);
    fin g = {0};
    sekha_workflow_health_check(cl, p, on_health, &g);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    expect_refused(&g, "sekha_workflow_health_check", "cursor");
    sekha_messages_free(m);
    sekha_params_free(p);
}

Test(wf_params, null_client_and_null_params)
{
    fin f = {0};
    cr_assert_null(sekha_workflow_store_and_query(NULL, NULL, "q", NULL, on_stored, &f));
    cr_assert_null(sekha_workflow_complete_with_context(NULL, "p", NULL, on_answer, &f));
    cr_assert_null(sekha_workflow_stream_with_context(NULL, "p", NULL, on_answer, &f));
    cr_assert_null(sekha_workflow_complete_with_memory(NULL, "p", NULL, on_answer, &f));
    cr_assert_null(sekha_workflow_stream_with_memory(NULL, "p", NULL, on_answer, &f));
    cr_assert_null(sekha_workflow_health_check(NULL, NULL, on_health, &f));
    cr_assert_eq(f.finals, 0, "nothing is called back");
    sekha_error *err = NULL;
    sekha_answer *a = (sekha_answer *)&f;
    cr_assert_eq(sekha_workflow_stream_with_memory_sync(NULL, "p", NULL, &a, &err),
                 SEKHA_E_INVALID_ARG);
    cr_assert_null(a);
    cr_assert_eq(sekha_error_code(err), SEKHA_E_INVALID_ARG);
    sekha_error_free(err);
    sekha_stored_query *sq = (sekha_stored_query *)&f;
    cr_assert_eq(sekha_workflow_store_and_query_sync(NULL, NULL, "q", NULL, &sq, NULL),
                 SEKHA_E_INVALID_ARG);
    cr_assert_null(sq);

    /* NULL params: every default, and a result */
    sekha_deployment_health *h = NULL;
    cr_assert_eq(sekha_workflow_health_check_sync(cl, NULL, &h, &err), SEKHA_OK);
    cr_assert_eq(sekha_deployment_health_overall(h), want_overall(),
                 "%s", sekha_deployment_health_json(h));
    sekha_deployment_health_free(h);
}

/* ================================================================ keys per stage */

/* Every key of the context workflows at once: if any reached a stage that does not read
 * it, that stage's call would refuse it and the workflow would fail. */
Test(wf_params, context_keys_reach_only_their_stage)
{
    const char *const trip[] = {"user:I fly to Lisbon on 12 May, flight TP1351.",
                                "assistant:Noted, TP1351 on 12 May.", NULL};
    free(wf_store(cl, "Lisbon trip", "/travel", trip));
    const char *const prefer[] = {"Lisbon trip", NULL};
    const char *const exclude[] = {"/work", NULL};
    seen chunks = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTEXT_QUERY, "flight to Lisbon"),
                 SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_BUDGET, 3000), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_PREFERRED_LABELS, prefer), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS, exclude), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "tiny"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, 4), SEKHA_OK);

    sekha_answer *a = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_complete_with_context_sync(cl, "When do I fly?", p, &a, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_answer_memory_count(a), 2, "the context query found the trip");
    const sekha_completion *c = sekha_answer_completion(a);
    cr_assert_str_eq(sekha_completion_model(c), "devserver-echo/tiny", "the model reached the "
                                                                      "bridge");
    cr_assert_str_eq(sekha_completion_content(c, NULL), "Based on your memory:",
                     "max_tokens reached the bridge");
    sekha_answer_free(a);

    /* The stream also passes the chunk callback on, with its own userdata. */
    cr_assert_eq(sekha_params_set_on_chunk(p, collect, &chunks), SEKHA_OK);
    cr_assert_eq(sekha_workflow_stream_with_context_sync(cl, "When do I fly?", p, &a, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    c = sekha_answer_completion(a);
    cr_assert_str_eq(sekha_completion_model(c), "devserver-echo/tiny");
    if (ds_test_upstream())
        cr_assert_eq(chunks.n, 1, "the deployed bridge does not stream: one synthetic chunk");
    else
        cr_assert_geq(chunks.n, 4, "one chunk per word");
    cr_assert_str_eq(chunks.text, "Based on your memory:");
    cr_assert_str_eq(sekha_completion_content(c, NULL), chunks.text);
    sekha_answer_free(a);
    sekha_params_free(p);
    cr_assert_eq(ctl("/api/v1/context/assemble"), 2);
    cr_assert_eq(bridge("/v1/chat/completions"), 2);
}

Test(wf_params, memory_keys_reach_only_their_stage)
{
    const char *const a1[] = {"user:Tomatoes need watering every morning in July.", NULL};
    const char *const b1[] = {"user:Roses need watering twice a week in July.", NULL};
    free(wf_store(cl, "alpha", "/garden", a1));
    free(wf_store(cl, "beta", "/garden", b1));
    const char *const beta[] = {"beta", NULL};
    seen chunks = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_SEARCH_QUERY, "watering in July"),
                 SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 1), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_LABELS, beta), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_BUDGET, 500), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "small"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0.2), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, 3), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_chunk(p, collect, &chunks), SEKHA_OK);

    fin f = {0};
    sekha_request *r = sekha_workflow_stream_with_memory(cl, "How often?", p, on_answer, &f);
    sekha_params_free(p); /* read by the call */
    cr_assert_not_null(r);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(f.finals, 1);
    cr_assert_eq(f.code, SEKHA_OK, "%s", f.message);
    /* The chunks went to the setter's userdata (the call's is f), max_tokens to the bridge;
     * the memory placed was beta's only (limit 1, label beta). */
    cr_assert_str_eq(chunks.text, "Based on your", "%s", chunks.text);
    cr_assert_eq(ctl("/api/v1/query"), 1);
}

Test(wf_params, store_and_query_keys_reach_only_their_stage)
{
    const char *const other[] = {"user:The gym locker is number 12.", NULL};
    free(wf_store(cl, "Gym", "/", other));
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "My gym locker code is 4711."), SEKHA_OK);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "Locker"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FOLDER, "/gym"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 9), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 1), SEKHA_OK);
    sekha_stored_query *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_store_and_query_sync(cl, m, "gym locker", p, &out, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    const sekha_conversation *conv = sekha_stored_query_conversation(out);
    cr_assert_str_eq(sekha_conversation_label(conv), "Locker");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/gym");
    cr_assert_eq(sekha_search_results_count(sekha_stored_query_results(out)), 1,
                 "the limit reached the query");
    sekha_stored_query_free(out);

    /* Unset: the documented defaults */
    cr_assert_eq(sekha_workflow_store_and_query_sync(cl, m, "gym locker", NULL, &out, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    conv = sekha_stored_query_conversation(out);
    cr_assert_str_eq(sekha_conversation_label(conv), "Conversation");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/");
    cr_assert_geq(sekha_search_results_count(sekha_stored_query_results(out)), 2);
    sekha_stored_query_free(out);

    /* A blank query is refused before the store, like one that is not UTF-8. */
    long stored = ctl("/api/v1/conversations");
    cr_assert_eq(sekha_workflow_store_and_query_sync(cl, m, " \t", NULL, &out, &err),
                 SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_error_message(err), "query must not be empty or blank"),
                       "%s", sekha_error_message(err));
    cr_assert_null(out);
    sekha_error_free(err);
    cr_assert_eq(ctl("/api/v1/conversations"), stored, "nothing was stored");
    sekha_params_free(p);
    sekha_messages_free(m);
}

/* ================================================================ copies across threads */

typedef struct kept {
    sekha_deployment_health *health;
    sekha_answer *answer;
    sekha_stored_query *stored;
    char json[2048];
    char reply[512];
    char id[64];
} kept;

static void keep_health(sekha_request *req, const sekha_error *err,
                        const sekha_deployment_health *h, void *ud)
{
    (void)req;
    cr_assert_null(err);
    kept *k = ud;
    k->health = sekha_deployment_health_copy(h);
    cr_assert_eq(k->health, h, "a copy is the same immutable report");
    snprintf(k->json, sizeof k->json, "%s", sekha_deployment_health_json(h));
}

static void keep_answer(sekha_request *req, const sekha_error *err, const sekha_answer *a,
                        void *ud)
{
    (void)req;
    cr_assert_null(err);
    kept *k = ud;
    k->answer = sekha_answer_copy(a);
    snprintf(k->reply, sizeof k->reply, "%s",
             sekha_completion_content(sekha_answer_completion(a), NULL));
}

static void keep_stored(sekha_request *req, const sekha_error *err, const sekha_stored_query *r,
                        void *ud)
{
    (void)req;
    cr_assert_null(err);
    kept *k = ud;
    k->stored = sekha_stored_query_copy(r);
    snprintf(k->id, sizeof k->id, "%s",
             sekha_conversation_id(sekha_stored_query_conversation(r)));
}

/* Reads the kept results on another thread (the workflows have freed their own references
 * by now) and frees them there. Returns a malloc'd "ok" or the first mismatch. */
static void *read_and_free(void *arg)
{
    kept *k = arg;
    char *why = NULL;
    const char *json = sekha_deployment_health_json(k->health);
    if (!json || strcmp(json, k->json) != 0)
        why = strdup("the health report changed");
    else if (sekha_deployment_health_overall(k->health) != want_overall())
        why = strdup("the health report lost its verdict");
    else if (strcmp(sekha_completion_content(sekha_answer_completion(k->answer), NULL),
                    k->reply) != 0 ||
             sekha_messages_count(sekha_answer_prompt(k->answer)) == 0)
        why = strdup("the answer changed");
    else if (strcmp(sekha_conversation_id(sekha_stored_query_conversation(k->stored)), k->id) !=
             0)
        why = strdup("the stored conversation changed");
    sekha_deployment_health_free(k->health);
    sekha_answer_free(k->answer);
    sekha_stored_query_free(k->stored);
    return why ? why : strdup("ok");
}

Test(wf_params, results_copied_in_callbacks_are_freed_on_another_thread)
{
    const char *const m[] = {"user:The spare key is under the blue flower pot.", NULL};
    free(wf_store(cl, "Home", "/", m));
    kept k = {0};
    sekha_messages *msgs = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(msgs, "user", "The bike lock code is 3141."), SEKHA_OK);
    sekha_workflow_health_check(cl, NULL, keep_health, &k);
    sekha_workflow_complete_with_context(cl, "Where is the key?", NULL, keep_answer, &k);
    sekha_workflow_store_and_query(cl, msgs, "bike lock", NULL, keep_stored, &k);
    sekha_messages_free(msgs);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(sekha_client_pending(cl), 0);
    cr_assert(k.health && k.answer && k.stored);
    cr_assert_str_neq(k.reply, "");

    /* A second copy, freed here, shows the count is shared by both threads' owners. */
    sekha_answer *extra = sekha_answer_copy(k.answer);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, read_and_free, &k), 0);
    void *res = NULL;
    cr_assert_eq(pthread_join(t, &res), 0);
    cr_assert_str_eq(res, "ok");
    free(res);
    cr_assert_gt(sekha_answer_memory_count(extra), 0, "still readable after the thread's free");
    sekha_answer_free(extra);
    cr_assert_null(sekha_answer_copy(NULL));
    cr_assert_null(sekha_stored_query_copy(NULL));
    cr_assert_null(sekha_deployment_health_copy(NULL));
    sekha_answer_free(NULL);
    sekha_stored_query_free(NULL);
    sekha_deployment_health_free(NULL);
}
