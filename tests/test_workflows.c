/* The completion and store workflows against sekha-devserver: every workflow async and sync,
 * the prompt layout documented in workflows.h (checked message by message), the budget,
 * the real shapes (a bare array from context assembly, a bridge that ignores "stream"),
 * cancel at each stage with exactly one final callback, and stage errors passed on with
 * their layer. */
#include <stdlib.h>
#include <string.h>

#include "workflows_harness.h"

#define UUID(n) "3f8a5c1e-0000-4000-8000-00000000000" #n

static ds_proc ds;
static sekha_client *cl;

static void setup(void)
{
    start_devserver(&ds, NULL);
    cl = wf_client(&ds);
}

/* Parameters made by a test, freed at its end (calls read them before they return, so
 * freeing them right after would do as well; this keeps the call sites short). */
static sekha_params *made[32];
static size_t nmade;

static void teardown(void)
{
    sekha_client_free(cl);
    ds_proc_stop(&ds);
    while (nmade)
        sekha_params_free(made[--nmade]);
}

static sekha_params *ps(void)
{
    cr_assert_lt(nmade, sizeof made / sizeof *made);
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    return made[nmade++] = p;
}

static sekha_params *with_text(sekha_params *p, sekha_param k, const char *v)
{
    cr_assert_eq(sekha_params_set_text(p, k, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

static sekha_params *with_int(sekha_params *p, sekha_param k, int64_t v)
{
    cr_assert_eq(sekha_params_set_int(p, k, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

static sekha_params *with_real(sekha_params *p, sekha_param k, double v)
{
    cr_assert_eq(sekha_params_set_real(p, k, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

static sekha_params *with_list(sekha_params *p, sekha_param k, const char *const *v)
{
    cr_assert_eq(sekha_params_set_list(p, k, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

TestSuite(workflows, .init = setup, .fini = teardown, .timeout = 60);

/* ---- what an answer held, copied out of the lent objects ---- */

#define MAX_MSGS 16

typedef struct rec {
    int finals, chunks, chunks_after_cancel, cancelled;
    int cancel_handle_at, cancel_child_at; /* act at this chunk (1-based) */
    sekha_request *handle;
    sekha_code code;
    sekha_layer layer;
    int status;
    char message[512];
    int has_answer, has_context, has_results, has_completion, complete;
    char text[4096], seen[4096];
    size_t nprompt;
    char role[MAX_MSGS][16];
    char *content[MAX_MSGS];
    size_t nmem, dropped, tokens;
    size_t source[MAX_MSGS];
    char *mem_text[MAX_MSGS];
    char mem_label[MAX_MSGS][64];
} rec;

static void rec_free(rec *r)
{
    for (size_t i = 0; i < MAX_MSGS; i++) {
        free(r->content[i]);
        free(r->mem_text[i]);
    }
}

static void record(rec *r, const sekha_error *err, const sekha_answer *a)
{
    r->code = sekha_error_code(err);
    r->layer = sekha_error_layer(err);
    r->status = sekha_error_http_status(err);
    snprintf(r->message, sizeof r->message, "%s", err ? sekha_error_message(err) : "");
    r->has_answer = a != NULL;
    r->has_context = sekha_answer_context(a) != NULL;
    r->has_results = sekha_answer_search_results(a) != NULL;
    const sekha_completion *c = sekha_answer_completion(a);
    r->has_completion = c != NULL;
    r->complete = sekha_completion_complete(c);
    snprintf(r->text, sizeof r->text, "%s", c ? sekha_completion_content(c, NULL) : "");
    const sekha_messages *m = sekha_answer_prompt(a);
    r->nprompt = sekha_messages_count(m);
    cr_assert_leq(r->nprompt, MAX_MSGS);
    for (size_t i = 0; i < r->nprompt; i++) {
        snprintf(r->role[i], sizeof r->role[i], "%s", sekha_messages_role(m, i));
        r->content[i] = strdup(sekha_messages_content(m, i));
    }
    r->nmem = sekha_answer_memory_count(a);
    r->dropped = sekha_answer_memory_dropped(a);
    r->tokens = sekha_answer_memory_tokens(a);
    cr_assert_leq(r->nmem, MAX_MSGS);
    for (size_t i = 0; i < r->nmem; i++) {
        r->source[i] = sekha_answer_memory_source(a, i);
        r->mem_text[i] = strdup(sekha_answer_memory_text(a, i));
        snprintf(r->mem_label[i], sizeof r->mem_label[i], "%s", sekha_answer_memory_label(a, i));
    }
    cr_assert_null(sekha_answer_memory_text(a, r->nmem), "out of range is NULL");
}

static void on_answer(sekha_request *req, const sekha_error *err, const sekha_answer *a, void *ud)
{
    (void)req;
    rec *r = ud;
    r->finals++;
    record(r, err, a);
}

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    rec *r = ud;
    cr_assert_eq(r->finals, 0, "a chunk after the final callback");
    r->chunks_after_cancel += r->cancelled;
    size_t len;
    const char *s = sekha_chunk_content(ch, &len);
    strncat(r->seen, s, sizeof r->seen - strlen(r->seen) - 1);
    r->chunks++;
    if (r->chunks == r->cancel_handle_at) {
        sekha_request_cancel(r->handle);
        r->cancelled = 1;
    }
    if (r->chunks == r->cancel_child_at) {
        sekha_request_cancel(req);
        r->cancelled = 1;
    }
    return SEKHA_EVENT_CONTINUE;
}

/* Stream parameters whose chunks go to on_chunk with r. */
static sekha_params *with_chunks(sekha_params *p, rec *r)
{
    cr_assert_eq(sekha_params_set_on_chunk(p, on_chunk, r), SEKHA_OK);
    return p;
}

/* Runs the loop until the workflow's one final callback, and checks nothing is left. */
static void finish(sekha_client *c, rec *r)
{
    cr_assert_eq(r->finals, 0, "final callback from inside the call");
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r->finals, 1);
    cr_assert_eq(sekha_client_pending(c), 0, "every stage ended before the final callback");
}

static void expect(const rec *r, sekha_code code, sekha_layer layer, const char *needle)
{
    cr_assert_eq(r->code, code, "code %d, want %d: %s", r->code, code, r->message);
    cr_assert_eq(r->layer, layer, "layer %s: %s", sekha_layer_name(r->layer), r->message);
    if (needle)
        cr_assert_not_null(strstr(r->message, needle), "\"%s\" not in: %s", needle, r->message);
}

static long ctl_hits(const char *path) { return ds_proc_count(&ds, ds.controller_url, path); }
static long bridge_hits(void) { return ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"); }

/* Polls the loop until the server has seen `path` n times (the request is in flight). */
static void wait_hits(sekha_client *c, const char *base, const char *path, long n)
{
    for (int i = 0; i < 500 && ds_proc_count(&ds, base, path) < n; i++)
        sekha_client_poll(c, 20);
    cr_assert_eq(ds_proc_count(&ds, base, path), n, "%s never reached the server", path);
}

/* ---- crafted answers of the controller, to pin down ranking, times and sizes ---- */

/* A bare array of context messages: text[i], role[i], label[i], day[i] of January 2026. */
static char *context_body(size_t n, const char *const *text, const char *const *role,
                          const char *const *label, const int *day)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *m = cJSON_CreateObject();
        char ts[32];
        snprintf(ts, sizeof ts, "2026-01-%02dT10:00:00.123456", day[i]);
        cJSON_AddStringToObject(m, "id", UUID(1));
        cJSON_AddStringToObject(m, "conversation_id", UUID(2));
        cJSON_AddStringToObject(m, "role", role[i]);
        cJSON_AddStringToObject(m, "content", text[i]);
        cJSON_AddStringToObject(m, "timestamp", ts);
        cJSON_AddNullToObject(m, "embedding_id");
        cJSON *cite = cJSON_AddObjectToObject(cJSON_AddObjectToObject(m, "metadata"), "citation");
        cJSON_AddStringToObject(cite, "label", label[i]);
        cJSON_AddStringToObject(cite, "folder", "/");
        cJSON_AddItemToArray(arr, m);
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

/* A QueryResponse whose results have text[i] and label[i], scores falling from 0.9. */
static char *query_body(size_t n, const char *const *text, const char *const *label)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "conversation_id", UUID(3));
        cJSON_AddStringToObject(r, "message_id", UUID(4));
        cJSON_AddNumberToObject(r, "score", 0.9 - 0.1 * (double)i);
        cJSON_AddStringToObject(r, "content", text[i]);
        cJSON_AddStringToObject(r, "label", label[i]);
        cJSON_AddStringToObject(r, "folder", "/");
        cJSON_AddStringToObject(r, "timestamp", "2026-01-16T10:20:30");
        cJSON_AddNullToObject(r, "metadata");
        cJSON_AddItemToArray(arr, r);
    }
    cJSON_AddNumberToObject(root, "total", (double)n);
    cJSON_AddNumberToObject(root, "page", 0);
    cJSON_AddNumberToObject(root, "page_size", (double)n);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

static void arm_controller_body(const char *path, char *body)
{
    wf_rule(&ds, ds.controller_url, "POST", path, 0, NULL, body);
    free(body);
}

/* n bytes of "word " text. */
static char *words(size_t n)
{
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = "word "[i % 5];
    s[n] = '\0';
    return s;
}

/* ================================================================ store_and_query */

typedef struct stored {
    int finals, has_result, has_results;
    sekha_code code;
    sekha_layer layer;
    char id[64], first_hit[64];
} stored;

static void copy_stored(stored *s, const sekha_error *err, const sekha_stored_query *r)
{
    s->code = sekha_error_code(err);
    s->layer = sekha_error_layer(err);
    s->has_result = r != NULL;
    const sekha_conversation *conv = sekha_stored_query_conversation(r);
    snprintf(s->id, sizeof s->id, "%s", conv ? sekha_conversation_id(conv) : "");
    const sekha_search_results *res = sekha_stored_query_results(r);
    s->has_results = res != NULL;
    const sekha_search_result *hit = sekha_search_results_at(res, 0);
    snprintf(s->first_hit, sizeof s->first_hit, "%s",
             hit ? sekha_search_result_conversation_id(hit) : "");
}

static void on_stored(sekha_request *req, const sekha_error *err, const sekha_stored_query *r,
                      void *ud)
{
    (void)req;
    stored *s = ud;
    s->finals++;
    copy_stored(s, err, r);
}

static sekha_messages *two_messages(const char *user, const char *assistant)
{
    sekha_messages *b = sekha_messages_new();
    sekha_messages_add(b, "user", user);
    sekha_messages_add(b, "assistant", assistant);
    return b;
}

Test(workflows, store_and_query_finds_what_it_stored)
{
    sekha_messages *b = two_messages("My locker code is 4711 at the climbing gym.",
                                     "Locker 4711, noted.");
    stored s = {0};
    cr_assert_not_null(sekha_workflow_store_and_query(cl, b, "climbing gym locker code",
                                                      with_int(ps(), SEKHA_PARAM_IMPORTANCE, 7),
                                                      on_stored, &s));
    sekha_messages_free(b); /* copied by the call */
    cr_assert_eq(s.finals, 0);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(s.finals, 1);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_str_eq(s.first_hit, s.id, "the stored conversation ranks first");

    b = two_messages("Sync: the boat leaves from pier 9.", "Pier 9.");
    sekha_stored_query *out = NULL;
    sekha_error *err = NULL;
    sekha_params *p = with_text(with_text(ps(), SEKHA_PARAM_LABEL, "Boats"), SEKHA_PARAM_FOLDER,
                                "/trips");
    cr_assert_eq(sekha_workflow_store_and_query_sync(cl, b, "which pier does the boat leave", p,
                                                     &out, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    copy_stored(&s, NULL, out);
    cr_assert_str_eq(s.first_hit, s.id);
    cr_assert_str_eq(sekha_conversation_label(sekha_stored_query_conversation(out)), "Boats");
    cr_assert_str_eq(sekha_conversation_folder(sekha_stored_query_conversation(out)), "/trips");
    sekha_stored_query_free(out);
    sekha_messages_free(b);
}

Test(workflows, store_and_query_stage_failures)
{
    /* importance 11 is refused by its setter, and the call reports it before anything is
     * sent */
    sekha_messages *b = two_messages("x", "y");
    sekha_stored_query *out = NULL;
    sekha_error *err = NULL;
    sekha_params *p = ps();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 11), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_workflow_store_and_query_sync(cl, b, "x", p, &out, &err),
                 SEKHA_E_INVALID_ARG);
    cr_assert_null(out, "nothing stored, no result");
    cr_assert_not_null(strstr(sekha_error_message(err), "sekha_workflow_store_and_query: "
                                                        "importance must be from 1 to 10"),
                       "%s", sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(ctl_hits("/api/v1/conversations"), 0);

    /* the query fails after the store succeeded: the caller still learns what was stored */
    wf_rule(&ds, ds.controller_url, "POST", "/api/v1/query", 1, "{\"status\":500}", NULL);
    stored s = {0};
    sekha_workflow_store_and_query(cl, b, "x", with_text(ps(), SEKHA_PARAM_LABEL, "L"), on_stored,
                                   &s);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(s.finals, 1);
    cr_assert_eq(s.code, SEKHA_E_SERVER);
    cr_assert_eq(s.layer, SEKHA_LAYER_HTTP);
    cr_assert(s.has_result && s.id[0], "the stored conversation is reported");
    cr_assert_eq(s.has_results, 0);
    cr_assert_eq(ctl_hits("/api/v1/conversations"), 1, "the store was sent once");
    sekha_messages_free(b);
}

/* ================================================================ context */

Test(workflows, complete_with_context_against_the_real_shapes)
{
    const char *const trip[] = {"user:I fly to Lisbon on 12 May, flight TP1351.",
                                "assistant:Noted, TP1351 on 12 May.", NULL};
    free(wf_store(cl, "Lisbon trip", "/travel", trip));
    rec r = {0};
    sekha_params *p = with_real(with_text(ps(), SEKHA_PARAM_CONTEXT_QUERY, "flight to Lisbon"),
                                SEKHA_PARAM_TEMPERATURE, 0.0);
    sekha_workflow_complete_with_context(cl, "When do I fly?", p, on_answer, &r);
    finish(cl, &r);
    expect(&r, SEKHA_OK, SEKHA_LAYER_NONE, NULL);
    cr_assert(r.has_context, "context assembly's bare array was decoded");
    cr_assert_eq(r.nmem, 2);
    cr_assert_eq(r.nprompt, 4, "system, two turns, the prompt");
    cr_assert_str_eq(r.role[0], "system");
    cr_assert_str_eq(r.content[0], SEKHA_CONTEXT_INSTRUCTION " Recalled from: Lisbon trip.");
    cr_assert_str_eq(r.role[1], "user");
    cr_assert_str_eq(r.content[1], "I fly to Lisbon on 12 May, flight TP1351.");
    cr_assert_str_eq(r.role[2], "assistant");
    cr_assert_str_eq(r.role[3], "user");
    cr_assert_str_eq(r.content[3], "When do I fly?");
    /* the devserver echoes the first 12 words of its system messages */
    cr_assert_str_eq(r.text, "Based on your memory: The messages before the last one are "
                             "recalled from earlier conversations, oldest ... you asked: When do "
                             "I fly?");
    rec_free(&r);

    rec s = {0};
    sekha_answer *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_complete_with_context_sync(cl, "When do I fly?", NULL, &out, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    record(&s, NULL, out);
    cr_assert_eq(s.nmem, 2, "the prompt is the default query");
    sekha_answer_free(out);
    rec_free(&s);
}

Test(workflows, context_turns_are_ordered_by_time_with_their_roles_and_text)
{
    const char *text[] = {"ranked first, newest", "ranked second, oldest", "a tool result",
                          "   "};
    const char *role[] = {"assistant", "user", "tool", "user"};
    const char *label[] = {"B", "A", "B", "A"};
    const int day[] = {3, 1, 2, 4};
    arm_controller_body("/api/v1/context/assemble", context_body(4, text, role, label, day));
    sekha_messages *b = sekha_messages_new();
    rec r = {0};
    sekha_answer *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_complete_with_context_sync(cl, "q?", NULL, &out, &err), SEKHA_OK);
    record(&r, NULL, out);
    sekha_answer_free(out);
    cr_assert_eq(r.nmem, 4, "whitespace is text too; only empty texts are skipped");
    cr_assert_str_eq(r.content[0], SEKHA_CONTEXT_INSTRUCTION " Recalled from: B, A.");
    const char *want_role[] = {"system", "user", "system", "assistant", "user", "user"};
    const char *want_text[] = {NULL, "ranked second, oldest", "a tool result",
                               "ranked first, newest", "   ", "q?"};
    cr_assert_eq(r.nprompt, 6);
    for (size_t i = 1; i < 6; i++) {
        cr_assert_str_eq(r.role[i], want_role[i], "message %zu", i);
        cr_assert_str_eq(r.content[i], want_text[i], "message %zu", i);
    }
    cr_assert_eq(r.source[0], 0, "memories are numbered in ranking order");
    cr_assert_str_eq(r.mem_label[1], "A");
    rec_free(&r);

    /* content parts: text joined with one space, images left out */
    cr_assert_eq(sekha_messages_add_parts(b, "user"), SEKHA_OK);
    sekha_messages_add_text_part(b, "look at");
    sekha_messages_add_image_part(b, "https://img.example/p.png", NULL);
    sekha_messages_add_text_part(b, "this photo");
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "Pics"), SEKHA_OK);
    sekha_conversation *conv = NULL;
    if (ds_test_upstream_is("2026-01")) {
        /* The January controller takes string content only and answers 422 to parts. */
        cr_assert_eq(sekha_controller_create_conversation_sync(cl, b, p, &conv, &err),
                     SEKHA_E_VALIDATION);
        cr_assert_not_null(strstr(sekha_error_message(err), "content parts"), "%s",
                           sekha_error_message(err));
        sekha_error_free(err);
        sekha_params_free(p);
        sekha_messages_free(b);
        return;
    }
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, b, p, &conv, &err), SEKHA_OK);
    sekha_conversation_free(conv);
    sekha_params_free(p);
    sekha_messages_free(b);
    rec s = {0};
    cr_assert_eq(sekha_workflow_complete_with_context_sync(
                     cl, "photo?", with_text(ps(), SEKHA_PARAM_CONTEXT_QUERY, "look at this photo"),
                     &out, &err),
                 SEKHA_OK);
    record(&s, NULL, out);
    sekha_answer_free(out);
    cr_assert_eq(s.nmem, 1);
    cr_assert_str_eq(s.mem_text[0], "look at this photo");
    rec_free(&s);
}

Test(workflows, context_respects_the_budget)
{
    char *big = words(1000); /* 250 tokens each */
    const char *text[] = {big, big, big, big, big};
    const char *role[] = {"user", "user", "user", "user", "user"};
    const char *label[] = {"L", "L", "L", "L", "L"};
    const int day[] = {1, 2, 3, 4, 5};
    arm_controller_body("/api/v1/context/assemble", context_body(5, text, role, label, day));
    rec r = {0};
    sekha_workflow_complete_with_context(cl, "q", with_int(ps(), SEKHA_PARAM_BUDGET, 600),
                                         on_answer, &r);
    finish(cl, &r);
    expect(&r, SEKHA_OK, SEKHA_LAYER_NONE, NULL);
    cr_assert_eq(r.nmem, 3, "two whole, the third cut to the space left");
    cr_assert_eq(r.dropped, 2);
    cr_assert_eq(r.tokens, 600);
    cr_assert_str_eq(r.mem_text[0], big);
    size_t cut = strlen(r.mem_text[2]);
    cr_assert_eq(cut, 400, "cut to 100 tokens");
    cr_assert_str_eq(r.mem_text[2] + cut - 6, " [...]");
    size_t placed = 0;
    for (size_t i = 1; i + 1 < r.nprompt; i++)
        placed += strlen(r.content[i]);
    cr_assert_leq((placed + 3) / 4, 600, "the turns stay within the budget");
    rec_free(&r);

    /* the default budget (4000) takes all five */
    text[0] = text[1] = text[2] = text[3] = text[4] = big;
    arm_controller_body("/api/v1/context/assemble", context_body(5, text, role, label, day));
    rec s = {0};
    sekha_workflow_complete_with_context(cl, "q", NULL, on_answer, &s);
    finish(cl, &s);
    cr_assert_eq(s.nmem, 5);
    cr_assert_eq(s.dropped, 0);
    rec_free(&s);
    free(big);
}

/* ================================================================ memory */

Test(workflows, complete_with_memory_puts_results_first_in_one_system_message)
{
    const char *const a[] = {"user:Tomatoes need watering every morning in July.", NULL};
    const char *const b[] = {"user:Roses need watering twice a week in July.", NULL};
    free(wf_store(cl, "alpha", "/garden", a));
    free(wf_store(cl, "beta", "/garden", b));
    const char *const beta[] = {"beta", NULL};
    rec r = {0};
    sekha_params *p = with_text(ps(), SEKHA_PARAM_SEARCH_QUERY, "watering in July");
    with_text(with_list(p, SEKHA_PARAM_LABELS, beta), SEKHA_PARAM_MODEL, "m1");
    sekha_workflow_complete_with_memory(cl, "How often?", p, on_answer, &r);
    finish(cl, &r);
    expect(&r, SEKHA_OK, SEKHA_LAYER_NONE, NULL);
    cr_assert(r.has_results);
    cr_assert_eq(r.nmem, 1, "only beta's memory");
    cr_assert_str_eq(r.mem_label[0], "beta");
    cr_assert_eq(r.nprompt, 2);
    cr_assert_str_eq(r.role[0], "system");
    const char *head = "[1] beta (score ";
    cr_assert_eq(strncmp(r.content[0], head, strlen(head)), 0, "%s", r.content[0]);
    cr_assert_not_null(strstr(r.content[0], "):\nRoses need watering twice a week in July.\n\n"
                                            SEKHA_MEMORY_INSTRUCTION));
    cr_assert_str_eq(r.role[1], "user");
    cr_assert_str_eq(r.content[1], "How often?");
    cr_assert_eq(strncmp(r.text, "Based on your memory: [1] beta (score ", 38), 0, "%s", r.text);
    rec_free(&r);
}

Test(workflows, memory_filters_labels_keeps_the_limit_and_the_budget)
{
    const char *text[] = {"a0", "b1", "a2", "b3", "b4"};
    const char *label[] = {"a", "b", "a", "b", "b"};
    arm_controller_body("/api/v1/query", query_body(5, text, label));
    const char *const want[] = {"b", NULL};
    sekha_answer *out = NULL;
    sekha_error *err = NULL;
    rec r = {0};
    sekha_params *p = with_list(with_int(ps(), SEKHA_PARAM_LIMIT, 2), SEKHA_PARAM_LABELS, want);
    cr_assert_eq(sekha_workflow_complete_with_memory_sync(cl, "q", p, &out, &err), SEKHA_OK);
    record(&r, NULL, out);
    sekha_answer_free(out);
    cr_assert_eq(r.nmem, 2);
    cr_assert_eq(r.source[0], 1);
    cr_assert_eq(r.source[1], 3, "the limit counts matching results only");
    rec_free(&r);

    char *big = words(2000);
    const char *bigs[] = {big, big, big};
    const char *labels3[] = {"big", "big", "big"};
    arm_controller_body("/api/v1/query", query_body(3, bigs, labels3));
    rec s = {0};
    sekha_params *budget = with_chunks(with_int(ps(), SEKHA_PARAM_BUDGET, 700), &s);
    sekha_workflow_stream_with_memory(cl, "q", budget, on_answer, &s);
    finish(cl, &s);
    expect(&s, SEKHA_OK, SEKHA_LAYER_NONE, NULL);
    cr_assert_eq(s.nmem, 2, "one whole result and one cut");
    cr_assert_eq(s.dropped, 1);
    cr_assert_eq(s.tokens, 700, "headers count against the budget too");
    cr_assert_str_eq(s.mem_text[1] + strlen(s.mem_text[1]) - 6, " [...]");
    cr_assert_lt(strlen(s.content[0]), 2 * 2000, "the system message holds less than two "
                                                  "results");
    cr_assert_str_eq(s.seen, s.text);
    rec_free(&s);
    free(big);
}

/* ================================================================ streaming */

Test(workflows, stream_with_context_delivers_tokens_then_the_answer)
{
    const char *const m[] = {"user:The spare key is under the blue flower pot.", NULL};
    free(wf_store(cl, "Home", "/", m));
    rec r = {0};
    sekha_workflow_stream_with_context(cl, "Where is the key?", with_chunks(ps(), &r), on_answer,
                                       &r);
    finish(cl, &r);
    expect(&r, SEKHA_OK, SEKHA_LAYER_NONE, NULL);
    if (ds_test_upstream())
        cr_assert_eq(r.chunks, 1, "the deployed bridge does not stream: one synthetic chunk");
    else
        cr_assert_gt(r.chunks, 10, "one chunk per word");
    cr_assert_str_eq(r.seen, r.text, "the chunks add up to the completion");
    cr_assert(r.complete);
    rec_free(&r);

    rec s = {0};
    sekha_answer *out = NULL;
    sekha_error *err = NULL;
    sekha_params *p = with_chunks(with_int(ps(), SEKHA_PARAM_MAX_TOKENS, 3), &s);
    cr_assert_eq(sekha_workflow_stream_with_context_sync(cl, "Where is the key?", p, &out, &err),
                 SEKHA_OK);
    record(&s, NULL, out);
    sekha_answer_free(out);
    cr_assert_str_eq(s.text, "Based on your", "max_tokens reaches the bridge");
    cr_assert_str_eq(s.seen, s.text);
    rec_free(&s);

    sekha_answer *mem = NULL;
    rec t = {0};
    p = with_chunks(with_text(ps(), SEKHA_PARAM_SEARCH_QUERY, "spare key"), &t);
    cr_assert_eq(sekha_workflow_stream_with_memory_sync(cl, "Where is the key?", p, &mem, &err),
                 SEKHA_OK);
    record(&t, NULL, mem);
    sekha_answer_free(mem);
    cr_assert_eq(t.nmem, 1);
    cr_assert_str_eq(t.seen, t.text);
    rec_free(&t);
}

Test(workflows, streaming_works_with_a_bridge_that_ignores_stream)
{
    ds_proc plain;
    const char *const args[] = {"--no-stream", NULL};
    start_devserver(&plain, args);
    sekha_client *c = wf_client(&plain);
    const char *const m[] = {"user:The cat is called Miso.", NULL};
    free(wf_store(c, "Pets", "/", m));
    rec r = {0};
    sekha_workflow_stream_with_context(c, "Cat's name?", with_chunks(ps(), &r), on_answer, &r);
    finish(c, &r);
    sekha_client_free(c);
    ds_proc_stop(&plain);
    expect(&r, SEKHA_OK, SEKHA_LAYER_NONE, NULL);
    cr_assert_eq(r.chunks, 1, "one synthetic chunk");
    cr_assert_str_eq(r.seen, r.text);
    cr_assert_eq(r.nmem, 1);
    rec_free(&r);
}

/* ================================================================ cancel */

Test(workflows, cancel_before_anything_is_sent)
{
    rec r = {0};
    sekha_request *h = sekha_workflow_stream_with_context(cl, "p", with_chunks(ps(), &r),
                                                          on_answer, &r);
    sekha_request_cancel(h);
    sekha_request_cancel(h);
    finish(cl, &r);
    expect(&r, SEKHA_E_CANCELLED, SEKHA_LAYER_LOCAL, NULL);
    cr_assert(r.has_answer);
    cr_assert_eq(r.has_context, 0);
    cr_assert_eq(ctl_hits("/api/v1/context/assemble"), 0, "the queued stage was never sent");
    rec_free(&r);
}

Test(workflows, cancel_during_recall_and_during_completion)
{
    wf_rule(&ds, ds.controller_url, "POST", "/api/v1/context/assemble", 0, "{\"stall\":true}",
            NULL);
    rec r = {0};
    sekha_request *h = sekha_workflow_complete_with_context(cl, "p", NULL, on_answer, &r);
    wait_hits(cl, ds.controller_url, "/api/v1/context/assemble", 1);
    sekha_request_cancel(h);
    finish(cl, &r);
    expect(&r, SEKHA_E_CANCELLED, SEKHA_LAYER_LOCAL, NULL);
    cr_assert_eq(bridge_hits(), 0);
    rec_free(&r);

    wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 0, "{\"stall\":true}", NULL);
    rec s = {0};
    h = sekha_workflow_complete_with_memory(cl, "p", NULL, on_answer, &s);
    wait_hits(cl, ds.bridge_url, "/v1/chat/completions", 1);
    sekha_request_cancel(h);
    finish(cl, &s);
    expect(&s, SEKHA_E_CANCELLED, SEKHA_LAYER_LOCAL, NULL);
    cr_assert(s.has_results, "the recall stage had finished");
    cr_assert_eq(s.nprompt, 1, "nothing recalled: only the prompt");
    cr_assert_eq(s.has_completion, 0);
    rec_free(&s);
}

Test(workflows, cancel_from_the_token_callback_keeps_the_text_so_far)
{
    /* A deployed bridge answers in one piece: its one synthetic chunk is where to cancel. */
    int at = ds_test_upstream() ? 1 : 3;
    const char *rule = "{\"endless\":true,\"chunk_delay_ms\":20}";
    wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 1, rule, NULL);
    rec r = {.cancel_handle_at = at};
    r.handle = sekha_workflow_stream_with_context(cl, "p", with_chunks(ps(), &r), on_answer, &r);
    finish(cl, &r);
    expect(&r, SEKHA_E_CANCELLED, SEKHA_LAYER_LOCAL, NULL);
    cr_assert_eq(r.chunks, at);
    cr_assert_eq(r.chunks_after_cancel, 0);
    cr_assert(r.has_completion, "the stream ended before the workflow: its text is kept");
    cr_assert_str_eq(r.text, r.seen);
    cr_assert_eq(r.complete, at == 1, "a one-piece answer is whole at its only chunk");
    rec_free(&r);

    /* cancelling the stream's own request ends the workflow the same way, sync form too;
     * a one-piece answer has no middle to cancel in */
    if (at == 1)
        return;
    rec s = {.cancel_child_at = 2};
    sekha_answer *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_workflow_stream_with_memory_sync(cl, "p", with_chunks(ps(), &s), &out, &err),
                 SEKHA_E_CANCELLED);
    record(&s, err, out);
    sekha_answer_free(out);
    sekha_error_free(err);
    cr_assert_eq(s.chunks, 2);
    cr_assert_str_eq(s.text, s.seen);
    cr_assert_eq(sekha_client_pending(cl), 0);
    rec_free(&s);
}

Test(workflows, client_free_ends_a_pending_workflow_once)
{
    sekha_client *c = wf_client(&ds);
    wf_rule(&ds, ds.controller_url, "POST", "/api/v1/query", 0, "{\"stall\":true}", NULL);
    rec r = {0};
    sekha_workflow_stream_with_memory(c, "p", with_chunks(ps(), &r), on_answer, &r);
    wait_hits(c, ds.controller_url, "/api/v1/query", 1);
    sekha_client_free(c);
    cr_assert_eq(r.finals, 1);
    expect(&r, SEKHA_E_CLOSED, SEKHA_LAYER_LOCAL, NULL);
    rec_free(&r);
}

/* ================================================================ errors */

Test(workflows, stage_errors_keep_their_layer)
{
    /* recall: an HTTP 500, and an answer that is not a context */
    wf_rule(&ds, ds.controller_url, "POST", "/api/v1/context/assemble", 1, "{\"status\":500}",
            NULL);
    rec r = {0};
    sekha_workflow_complete_with_context(cl, "p", NULL, on_answer, &r);
    finish(cl, &r);
    expect(&r, SEKHA_E_SERVER, SEKHA_LAYER_HTTP, "POST /api/v1/context/assemble");
    cr_assert_eq(r.status, 500);
    cr_assert_eq(bridge_hits(), 0);
    rec_free(&r);
    ds_proc_clear_faults(&ds);
    arm_controller_body("/api/v1/context/assemble", strdup("{\"x\":1}"));
    rec bad = {0};
    sekha_workflow_complete_with_context(cl, "p", NULL, on_answer, &bad);
    finish(cl, &bad);
    expect(&bad, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "messages");
    rec_free(&bad);

    /* completion: the bridge's own validation (422), then an in-band stream error */
    wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 0, "{\"status\":422}", NULL);
    rec v = {0};
    sekha_workflow_complete_with_memory(cl, "p", NULL, on_answer, &v);
    finish(cl, &v);
    expect(&v, SEKHA_E_VALIDATION, SEKHA_LAYER_HTTP, "/v1/chat/completions");
    cr_assert(v.has_results && v.nprompt == 1, "the recall stage had finished");
    rec_free(&v);
    /* An in-band stream error needs a bridge that streams; the deployed ones do not. */
    if (!ds_test_upstream()) {
        wf_rule(&ds, ds.bridge_url, "POST", "/v1/chat/completions", 0,
                "{\"inband_error\":true}", NULL);
        rec s = {0};
        sekha_workflow_stream_with_context(cl, "one two three", with_chunks(ps(), &s), on_answer,
                                           &s);
        finish(cl, &s);
        expect(&s, SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, "injected in-band error");
        cr_assert_str_eq(s.text, "You", "the partial text is kept");
        rec_free(&s);
    }

    /* transport: nothing listens where the bridge should be */
    sekha_options *o = wf_options(&ds);
    char closed[64];
    wf_closed_url(closed, sizeof closed);
    sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, closed);
    sekha_options_set_max_retries(o, 0);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    rec t = {0};
    sekha_workflow_complete_with_memory(c, "p", NULL, on_answer, &t);
    finish(c, &t);
    sekha_client_free(c);
    expect(&t, SEKHA_E_CONNECT, SEKHA_LAYER_TRANSPORT, NULL);
    rec_free(&t);
}

Test(workflows, invalid_arguments_end_through_the_callback)
{
    rec r[6] = {{0}};
    sekha_workflow_complete_with_context(cl, NULL, with_text(ps(), SEKHA_PARAM_CONTEXT_QUERY, "q"),
                                         on_answer, &r[0]);
    sekha_workflow_stream_with_context(cl, "", with_chunks(ps(), &r[1]), on_answer, &r[1]);
    /* values refused by their setters are reported by the call */
    sekha_params *bad_limit = ps(), *bad_temp = with_chunks(ps(), &r[3]);
    cr_assert_eq(sekha_params_set_int(bad_limit, SEKHA_PARAM_LIMIT, -1), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_params_set_real(bad_temp, SEKHA_PARAM_TEMPERATURE, -1.0),
                 SEKHA_E_INVALID_ARG);
    sekha_workflow_complete_with_memory(cl, "p", bad_limit, on_answer, &r[2]);
    sekha_workflow_stream_with_memory(cl, "p", bad_temp, on_answer, &r[3]);
    sekha_workflow_complete_with_context(cl, "p", with_text(ps(), SEKHA_PARAM_CONTEXT_QUERY, "   "),
                                         on_answer, &r[4]);
    sekha_workflow_complete_with_memory(cl, "caf\xc3", NULL, on_answer, &r[5]);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(r[i].finals, 1);
        expect(&r[i], SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, NULL);
        rec_free(&r[i]);
    }
    cr_assert_not_null(strstr(r[0].message, "workflow complete_with_context"), "%s", r[0].message);
    cr_assert_not_null(strstr(r[4].message, "assemble_context"), "the stage says: %s",
                       r[4].message);
    cr_assert_not_null(strstr(r[5].message, "UTF-8"), "%s", r[5].message);
    cr_assert_not_null(strstr(r[2].message, "sekha_workflow_complete_with_memory: limit must be"),
                       "%s", r[2].message);
    cr_assert_not_null(strstr(r[3].message, "sekha_workflow_stream_with_memory: temperature"),
                       "%s", r[3].message);
    cr_assert_eq(ctl_hits("/api/v1/context/assemble") + ctl_hits("/api/v1/query"), 0);
    cr_assert_null(sekha_workflow_complete_with_context(NULL, "p", NULL, on_answer, &r[0]));
    cr_assert_eq(sekha_workflow_complete_with_memory_sync(NULL, "p", NULL, NULL, NULL),
                 SEKHA_E_INVALID_ARG);
}

static void sync_inside(sekha_request *req, const sekha_error *err, const sekha_answer *a,
                        void *ud)
{
    (void)req;
    (void)err;
    (void)a;
    sekha_answer *out = NULL;
    *(sekha_code *)ud = sekha_workflow_complete_with_context_sync(cl, "p", NULL, &out, NULL);
    cr_assert_null(out);
}

Test(workflows, sync_forms_refuse_to_run_inside_a_callback)
{
    sekha_code got = SEKHA_OK;
    sekha_workflow_complete_with_context(cl, "p", NULL, sync_inside, &got);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(got, SEKHA_E_IN_CALLBACK);
}
