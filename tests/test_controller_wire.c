/* The controller sub-client when the wire misbehaves: plain-text 422 and 429 answers, cut
 * connections, retries and their limits, decoders that reject bad answers by naming the
 * field; then every async form in flight at once, the local content and timestamp helpers,
 * and devservers of its own (persistence across a restart, API key, the real rate limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "controller_fixture.h"

/* The path of one conversation (a static buffer). */
static const char *conv_path(const char *id)
{
    static char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    return path;
}

/* ---- the wire's failure modes ---- */

Test(controller, server_422_plain_text_is_validation_with_the_text)
{
    arm("POST", "/api/v1/conversations",
        "[{\"status\":422,\"content_type\":\"text/plain; charset=utf-8\",\"body\":"
        "\"Failed to deserialize the JSON body into the target type: messages: invalid type\"}]");
    sekha_messages *b = one_message("user", "x");
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_create_conversation_sync(cl, b, NULL, &conv, &err);
    cr_assert_eq(sekha_error_http_status(err), 422);
    cr_assert_str_eq(sekha_error_service_message(err),
                     "Failed to deserialize the JSON body into the target type: messages: "
                     "invalid type");
    cr_assert_eq(sekha_error_attempts(err), 1, "a 422 is not retried");
    expect_err(rc, err, SEKHA_E_VALIDATION, SEKHA_LAYER_HTTP, NULL);
    cr_assert_eq(count_all(), 0);
    sekha_messages_free(b);
}

typedef struct results_box {
    int calls, attempts;
    sekha_code code;
    size_t n;
} results_box;

static void on_results(sekha_request *req, const sekha_error *err, const sekha_search_results *r,
                       void *ud)
{
    results_box *b = ud;
    b->calls++;
    b->attempts = sekha_request_attempts(req);
    b->code = sekha_error_code(err);
    b->n = sekha_search_results_count(r);
}

Test(controller, rate_limit_429_plain_text_then_success)
{
    free(store("r", "/", "rate limited search"));
    static const char steps[] = "[{\"status\":429,\"body\":\"Rate limit exceeded. Please try "
                                "again later.\",\"content_type\":\"text/plain\"},{\"pass\":true}]";
    arm("POST", "/api/v1/query", steps);
    results_box box = {0};
    sekha_controller_query(cl, "rate", NULL, on_results, &box);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(box.code, SEKHA_OK);
    cr_assert_eq(box.attempts, 2);
    cr_assert_eq(box.n, 1);
    /* A 429 promises the request was not processed, so even a create is re-sent. */
    arm("POST", "/api/v1/conversations", steps);
    char *id = store("r2", "/", "second");
    cr_assert_eq(hits("/api/v1/conversations"), 3);
    cr_assert_eq(count_all(), 2, "stored once");
    free(id);
}

Test(controller, close_mid_body_on_a_get_is_retried)
{
    char *id = store("cut", "/", "body cut");
    arm("GET", conv_path(id), "[{\"close\":\"mid_body\"},{\"pass\":true}]");
    conv_box box = {0};
    sekha_request *req = sekha_controller_get_conversation(cl, id, on_conv, &box);
    cr_assert_not_null(req);
    sekha_client_run(cl);
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(box.code, SEKHA_OK);
    cr_assert_str_eq(box.id, id);
    cr_assert_eq(hits(conv_path(id)), 2);
    sekha_conversation_free(box.kept);
    free(id);
}

Test(controller, create_cut_after_handling_is_outcome_unknown_and_not_resent)
{
    arm("POST", "/api/v1/conversations", "[{\"close\":\"after_handling\"},{\"pass\":true}]");
    sekha_messages *b = one_message("user", "maybe stored");
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_create_conversation_sync(cl, b, NULL, &conv, &err);
    expect_err(rc, err, SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT, NULL);
    cr_assert_null(conv);
    cr_assert_eq(hits("/api/v1/conversations"), 1, "sent exactly once");
    cr_assert_eq(count_all(), 1, "the server did store it, once");
    sekha_messages_free(b);
}

Test(controller, bad_answers_are_bad_response_naming_the_field)
{
    char *id = store("bad", "/", "answers");
    arm("GET", conv_path(id),
        "[{\"malformed_json\":true},{\"invalid_utf8\":true},"
        "{\"status\":200,\"body\":\"{\\\"id\\\":7}\"},"
        "{\"status\":200,\"body\":\"{\\\"id\\\":\\\"" MISSING "\\\",\\\"label\\\":7}\"},"
        "{\"status\":200,\"body\":\"\"},"
        "{\"status\":200,\"body\":\"[1,2]\"}]");
    static const char *const needles[] = {"not valid JSON", "UTF-8", "\"id\"", "\"label\"",
                                          "empty", "object"};
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++) {
        sekha_conversation *conv = NULL;
        sekha_error *err = NULL;
        sekha_code rc = sekha_controller_get_conversation_sync(cl, id, &conv, &err);
        cr_assert_null(conv);
        cr_assert_eq(sekha_error_attempts(err), 1, "decoding failures are not retried");
        expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, needles[i]);
    }
    arm("POST", "/api/v1/query",
        "[{\"status\":200,\"body\":\"{\\\"results\\\":[{\\\"conversation_id\\\":\\\"" MISSING
        "\\\",\\\"message_id\\\":\\\"" MISSING "\\\",\\\"score\\\":\\\"high\\\"}],"
        "\\\"total\\\":1,\\\"page\\\":0,\\\"page_size\\\":10}\"},"
        "{\"status\":200,\"body\":\"{\\\"results\\\":[],\\\"total\\\":-1,\\\"page\\\":0,"
        "\\\"page_size\\\":10}\"}]");
    sekha_search_results *r = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_query_sync(cl, "q", NULL, &r, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "results[0].score");
    rc = sekha_controller_query_sync(cl, "q", NULL, &r, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "\"total\"");
    arm("POST", "/api/v1/labels/suggest",
        "[{\"status\":200,\"body\":\"{\\\"conversation_id\\\":\\\"" MISSING "\\\","
        "\\\"suggestions\\\":[{\\\"label\\\":\\\"x\\\",\\\"confidence\\\":0.5,"
        "\\\"is_existing\\\":\\\"yes\\\"}]}\"}]");
    sekha_label_suggestions *l = NULL;
    rc = sekha_controller_suggest_labels_sync(cl, id, &l, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "suggestions[0].is_existing");
    free(id);
}

/* Every async form on one client at once: each ends with exactly one callback. */
typedef struct tally {
    int calls, ok;
} tally;

#define TALLY_CB(name, type)                                                                  \
    static void name(sekha_request *req, const sekha_error *err, const type *r, void *ud)    \
    {                                                                                         \
        tally *t = ud;                                                                        \
        (void)req;                                                                            \
        t->calls++;                                                                           \
        t->ok += !err && r;                                                                   \
    }
TALLY_CB(t_conv, sekha_conversation)
TALLY_CB(t_results, sekha_search_results)
TALLY_CB(t_messages, sekha_stored_messages)
TALLY_CB(t_count, sekha_count_result)
TALLY_CB(t_summary, sekha_summary)
TALLY_CB(t_prune, sekha_prune_suggestions)
TALLY_CB(t_labels, sekha_label_suggestions)
TALLY_CB(t_health, sekha_health)
TALLY_CB(t_metrics, sekha_metrics)

static void t_done(sekha_request *req, const sekha_error *err, void *ud)
{
    tally *t = ud;
    (void)req;
    t->calls++;
    t->ok += !err;
}

Test(controller, every_async_form_completes_once)
{
    char *id = store("all", "/all", "every async call runs together");
    char *other = store("other", "/all", "to be deleted");
    const char *const ids[] = {id, NULL};
    tally t = {0, 0};
    sekha_messages *b = one_message("tool", "{}");
    sekha_params *p = with_int(with_text(with_text(NULL, SEKHA_PARAM_LABEL, "x"),
                                         SEKHA_PARAM_FOLDER, "/x"), SEKHA_PARAM_IMPORTANCE, 3);
    sekha_controller_create_conversation(cl, b, p, t_conv, &t);
    sekha_messages_free(b);
    sekha_params_free(p);
    sekha_controller_get_conversation(cl, id, t_conv, &t);
    p = with_int(with_int(with_int(with_text(NULL, SEKHA_PARAM_FOLDER, "/all"),
                                   SEKHA_PARAM_ARCHIVED, 0), SEKHA_PARAM_PAGE, 1),
                 SEKHA_PARAM_PAGE_SIZE, 10);
    sekha_controller_list_conversations(cl, p, t_results, &t);
    sekha_params_free(p);
    p = with_text(NULL, SEKHA_PARAM_LABEL, "all");
    sekha_controller_count_conversations(cl, p, t_count, &t);
    sekha_params_free(p);
    p = with_int(NULL, SEKHA_PARAM_LIMIT, 5); /* one object read by two calls */
    sekha_controller_query(cl, "async", p, t_results, &t);
    sekha_controller_full_text_search(cl, "async", p, t_messages, &t);
    sekha_params_free(p);
    p = with_int(with_list(NULL, SEKHA_PARAM_PREFERRED_LABELS, ids), SEKHA_PARAM_BUDGET, 500);
    sekha_controller_assemble_context(cl, "async", p, t_messages, &t);
    sekha_params_free(p);
    p = with_text(NULL, SEKHA_PARAM_LEVEL, "weekly");
    sekha_controller_summarize(cl, id, p, t_summary, &t);
    sekha_params_free(p);
    p = with_int(NULL, SEKHA_PARAM_THRESHOLD_DAYS, 0);
    sekha_controller_prune_dry_run(cl, p, t_prune, &t);
    sekha_params_free(p);
    sekha_controller_suggest_labels(cl, id, t_labels, &t);
    sekha_controller_health(cl, t_health, &t);
    sekha_controller_metrics(cl, t_metrics, &t);
    sekha_controller_rebuild_embeddings(cl, t_done, &t);
    sekha_controller_update_folder(cl, id, "/all", t_done, &t);
    sekha_controller_delete_conversation(cl, other, t_done, &t);
    cr_assert_eq(sekha_client_pending(cl), 15);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(t.calls, 15);
    cr_assert_eq(t.ok, 15);
    sekha_controller_pin_conversation(cl, id, t_done, &t);
    sekha_controller_archive_conversation(cl, id, t_done, &t);
    sekha_controller_update_label(cl, id, "l", "/f", t_done, &t);
    sekha_controller_prune_execute(cl, ids, t_done, &t);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(t.ok, 19);
    free(id);
    free(other);
}

/* ---- local helpers: content and timestamps ---- */

Test(controller, content_helpers_follow_the_sdk_type_guards)
{
    cr_assert(sekha_is_valid_role("user") && sekha_is_valid_role("assistant") &&
              sekha_is_valid_role("system") && sekha_is_valid_role("tool"));
    cr_assert(!sekha_is_valid_role("User") && !sekha_is_valid_role("") &&
              !sekha_is_valid_role(NULL) && !sekha_is_valid_role("function"));
    sekha_content *c = sekha_content_parse("\"plain text\"");
    cr_assert_str_eq(sekha_content_text(c), "plain text");
    cr_assert_eq(sekha_content_image_count(c), 0);
    sekha_content_free(c);
    c = sekha_content_parse("[{\"type\":\"text\",\"text\":\"look\"},"
                            "{\"type\":\"image_url\",\"image_url\":{\"url\":\"u1\",\"detail\":\"low\"}},"
                            "{\"type\":\"image_url\",\"image_url\":{}},"
                            "{\"type\":\"text\",\"text\":7},{\"text\":\"untyped\"},"
                            "{\"type\":\"image_url\",\"image_url\":{\"url\":\"u2\"}},"
                            "{\"type\":\"text\",\"text\":\"here\"}]");
    cr_assert_str_eq(sekha_content_text(c), "look here");
    cr_assert_eq(sekha_content_image_count(c), 2);
    cr_assert_str_eq(sekha_content_image_url(c, 0), "u1");
    cr_assert_str_eq(sekha_content_image_detail(c, 0), "low");
    cr_assert_str_eq(sekha_content_image_url(c, 1), "u2");
    cr_assert_null(sekha_content_image_detail(c, 1));
    cr_assert_null(sekha_content_image_url(c, 2));
    sekha_content_free(c);
    c = sekha_content_parse("42");
    cr_assert_str_eq(sekha_content_text(c), "", "other values carry no text");
    sekha_content_free(c);
    cr_assert_null(sekha_content_parse("[\"unterminated"));
    cr_assert_null(sekha_content_parse(NULL));
    cr_assert_str_eq(sekha_content_text(NULL), "");
}

Test(controller, timestamps_parse_as_utc)
{
    double t = 0;
    cr_assert_eq(sekha_timestamp_to_epoch("1970-01-01T00:00:00", &t), SEKHA_OK);
    cr_assert_float_eq(t, 0.0, 1e-9);
    cr_assert_eq(sekha_timestamp_to_epoch("2026-01-16T10:20:30.123456789", &t), SEKHA_OK);
    cr_assert_float_eq(t, 1768558830.123456789, 1e-6);
    cr_assert_eq(sekha_timestamp_to_epoch("2026-01-16 10:20:30.5", &t), SEKHA_OK,
                 "the MCP tools' spaced form");
    cr_assert_float_eq(t, 1768558830.5, 1e-6);
    cr_assert_eq(sekha_timestamp_to_epoch("2026-01-16T12:20:30+02:00", &t), SEKHA_OK);
    cr_assert_float_eq(t, 1768558830.0, 1e-6);
    cr_assert_eq(sekha_timestamp_to_epoch("2026-01-16T10:20:30Z", &t), SEKHA_OK);
    cr_assert_float_eq(t, 1768558830.0, 1e-6);
    cr_assert_eq(sekha_timestamp_to_epoch("2024-02-29T00:00:00", &t), SEKHA_OK, "leap day");
    cr_assert_float_eq(t, 1709164800.0, 1e-6);
    static const char *const bad[] = {"", "2026-01-16", "2026-13-01T00:00:00",
                                      "2025-02-29T00:00:00", "2026-01-16T24:00:00",
                                      "2026-01-16T10:20:30.", "2026-01-16T10:20:30.1234567890",
                                      "2026-01-16T10:20:30 extra", "2026-01-16T10:20:30+2",
                                      "26-01-16T10:20:30"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(sekha_timestamp_to_epoch(bad[i], &t), SEKHA_E_INVALID_ARG, "%s", bad[i]);
    cr_assert_eq(sekha_timestamp_to_epoch(NULL, &t), SEKHA_E_INVALID_ARG);
}

/* ---- persistence across a devserver restart ---- */

Test(controller_own_server, stored_data_survives_a_restart)
{
    char dir[] = "/tmp/sekha-ctl-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char db[64];
    snprintf(db, sizeof db, "%s/store.db", dir);
    const char *const args[] = {"--db", db, NULL};
    ds_proc p;
    start_devserver(&p, args);
    sekha_options *o = test_options(&p);
    sekha_client *c = test_client(o);
    sekha_messages *b = one_message("user", "remember the lighthouse keeper");
    sekha_params *prm = with_text(with_text(NULL, SEKHA_PARAM_LABEL, "Durable"),
                                  SEKHA_PARAM_FOLDER, "/disk");
    sekha_conversation *conv = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(c, b, prm, &conv, NULL), SEKHA_OK);
    sekha_params_free(prm);
    char id[40];
    snprintf(id, sizeof id, "%s", sekha_conversation_id(conv));
    sekha_conversation_free(conv);
    sekha_messages_free(b);
    sekha_client_free(c);
    sekha_options_free(o);
    cr_assert_eq(ds_proc_stop(&p), 0);

    start_devserver(&p, args);
    o = test_options(&p);
    c = test_client(o);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_get_conversation_sync(c, id, &conv, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_conversation_label(conv), "Durable");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/disk");
    cr_assert_eq(sekha_conversation_message_count(conv), 1);
    sekha_conversation_free(conv);
    sekha_stored_messages *l = NULL;
    cr_assert_eq(sekha_controller_full_text_search_sync(c, "lighthouse", NULL, &l, NULL),
                 SEKHA_OK);
    cr_assert_eq(sekha_stored_messages_count(l), 1);
    sekha_stored_messages_free(l);
    sekha_client_free(c);
    sekha_options_free(o);
    ds_proc_stop(&p);
    /* SQLite's side files may or may not exist, depending on its journal mode. */
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char f[96];
        snprintf(f, sizeof f, "%s%s", db, suffixes[i]);
        unlink(f);
    }
    cr_assert_eq(rmdir(dir), 0, "the temporary directory is left empty");
}

Test(controller_own_server, api_key_and_the_real_rate_limit)
{
    const char *const args[] = {"--api-key", "rest-key-0123456789abcdefghijklmnopq",
                                "--rate-limit", "3", NULL};
    ds_proc p;
    start_devserver(&p, args);
    sekha_options *o = test_options(&p);
    cr_assert_eq(sekha_options_set_max_retries(o, 0), SEKHA_OK);
    sekha_client *anon = test_client(o);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER,
                                           "rest-key-0123456789abcdefghijklmnopq"), SEKHA_OK);
    sekha_client *keyed = test_client(o);
    sekha_count_result *r = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_count_conversations_sync(anon, NULL, &r, &err);
    expect_err(rc, err, SEKHA_E_AUTH, SEKHA_LAYER_HTTP, NULL);
    cr_assert_eq(sekha_controller_count_conversations_sync(keyed, NULL, &r, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_count_result_free(r);
    cr_assert_eq(sekha_controller_count_conversations_sync(keyed, NULL, &r, &err), SEKHA_OK);
    sekha_count_result_free(r);
    /* The fourth request in the minute: plain text, no Retry-After, as the real limiter. */
    rc = sekha_controller_count_conversations_sync(keyed, NULL, &r, &err);
    cr_assert_eq(sekha_error_retry_after_ms(err), -1);
    cr_assert_str_eq(sekha_error_service_message(err),
                     "Rate limit exceeded. Please try again later.");
    expect_err(rc, err, SEKHA_E_RATE_LIMITED, SEKHA_LAYER_HTTP, "429");
    sekha_client_free(anon);
    sekha_client_free(keyed);
    sekha_options_free(o);
    ds_proc_stop(&p);
}

/* ---- parameters: what a call reads, and only that ---- */

typedef struct refused_box {
    int calls;
    sekha_code code;
    sekha_layer layer;
    char message[512];
} refused_box;

static void on_refused_results(sekha_request *req, const sekha_error *err,
                               const sekha_search_results *r, void *ud)
{
    refused_box *b = ud;
    (void)req;
    b->calls++;
    b->code = sekha_error_code(err);
    b->layer = sekha_error_layer(err);
    snprintf(b->message, sizeof b->message, "%s", err ? sekha_error_message(err) : "");
    cr_assert_null(r);
}

Test(controller, a_key_the_call_does_not_read_is_refused_and_nothing_is_sent)
{
    /* async: refused through the callback, from the loop, never from inside the call */
    sekha_params *p = with_int(with_text(NULL, SEKHA_PARAM_MODEL, "m"), SEKHA_PARAM_LIMIT, 3);
    refused_box box = {0};
    cr_assert_not_null(sekha_controller_query(cl, "anything", p, on_refused_results, &box));
    cr_assert_eq(box.calls, 0);
    sekha_params_free(p); /* read before the call returned */
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(box.code, SEKHA_E_INVALID_ARG, "%s", box.message);
    cr_assert_eq(box.layer, SEKHA_LAYER_LOCAL);
    cr_assert_not_null(strstr(box.message, "sekha_controller_query"), "%s", box.message);
    cr_assert_not_null(strstr(box.message, "model"), "%s", box.message);
    cr_assert_null(sekha_controller_query(NULL, "anything", p, on_refused_results, &box),
                   "no client: nothing to call back with");

    /* sync, and one key of another call for each call that takes parameters */
    sekha_error *err = NULL;
    sekha_search_results *r = NULL;
    p = with_text(NULL, SEKHA_PARAM_MODEL, "m");
    sekha_code rc = sekha_controller_query_sync(cl, "anything", p, &r, &err);
    cr_assert_null(r);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "model");
    sekha_params_free(p);
    sekha_stored_messages *l = NULL;
    p = with_int(NULL, SEKHA_PARAM_OFFSET, 1); /* a key of query, not of full-text search */
    rc = sekha_controller_full_text_search_sync(cl, "anything", p, &l, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "offset");
    rc = sekha_controller_assemble_context_sync(cl, "anything", p, &l, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "offset");
    sekha_params_free(p);
    p = with_int(NULL, SEKHA_PARAM_LIMIT, 1);
    rc = sekha_controller_list_conversations_sync(cl, p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "limit");
    sekha_prune_suggestions *ps = NULL;
    rc = sekha_controller_prune_dry_run_sync(cl, p, &ps, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "limit");
    sekha_summary *s = NULL;
    rc = sekha_controller_summarize_sync(cl, MISSING, p, &s, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "limit");
    sekha_params_free(p);
    p = with_int(NULL, SEKHA_PARAM_PINNED, 1);
    sekha_count_result *n = NULL;
    rc = sekha_controller_count_conversations_sync(cl, p, &n, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "pinned");
    sekha_messages *m = one_message("user", "never stored");
    sekha_conversation *conv = NULL;
    rc = sekha_controller_create_conversation_sync(cl, m, p, &conv, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "pinned");
    sekha_messages_free(m);
    sekha_params_free(p);

    static const char *const routes[] = {
        "/api/v1/query", "/api/v1/search/fts", "/api/v1/context/assemble",
        "/api/v1/conversations", "/api/v1/conversations/count", "/api/v1/prune/dry-run",
        "/api/v1/summarize"};
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
        cr_assert_eq(hits(routes[i]), 0, "%s was sent", routes[i]);
}

Test(controller, list_pinned_zero_filters_and_unset_does_not)
{
    char *pinned = store("p", "/", "pinned one");
    char *plain = store("q", "/", "plain one");
    cr_assert_eq(sekha_controller_pin_conversation_sync(cl, pinned, NULL), SEKHA_OK);
    sekha_search_results *r = NULL;
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, NULL, &r, NULL), SEKHA_OK);
    cr_assert_eq(sekha_search_results_count(r), 2, "unset: no filter");
    sekha_search_results_free(r);
    sekha_params *p = with_int(NULL, SEKHA_PARAM_PINNED, 0);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, NULL), SEKHA_OK);
    cr_assert_eq(sekha_search_results_count(r), 1, "0 is a value: only unpinned ones");
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), plain);
    sekha_search_results_free(r);
    p = with_int(p, SEKHA_PARAM_PINNED, 1);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, NULL), SEKHA_OK);
    cr_assert_eq(sekha_search_results_count(r), 1);
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), pinned);
    sekha_search_results_free(r);
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_PINNED), SEKHA_OK);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, NULL), SEKHA_OK);
    cr_assert_eq(sekha_search_results_count(r), 2, "unset again: no filter");
    sekha_search_results_free(r);
    sekha_params_free(p);
    free(pinned);
    free(plain);
}

/* ---- ownership: a copy belongs to whoever holds it, on any thread ---- */

typedef struct sharer {
    const void *result;
    void *(*copy)(const void *);
    void (*release)(void *);
    int rounds;
} sharer;

/* Takes and drops copies as fast as it can, so the count is contended from all sides. */
static void *share(void *arg)
{
    sharer *s = arg;
    for (int i = 0; i < s->rounds; i++) {
        void *c = s->copy(s->result);
        if (c != s->result)
            return (void *)1;
        s->release(c);
    }
    return NULL;
}

static void *release_last(void *arg)
{
    sharer *s = arg;
    s->release((void *)s->result);
    return NULL;
}

/* Shares kept (a copy taken in a callback) among four threads, then frees it on a fifth:
 * a count that is not atomic loses updates and frees early (ASan) or never (LSan). */
static void shared_across_threads(void *kept, void *(*copy)(const void *),
                                  void (*release)(void *))
{
    cr_assert_not_null(kept);
    sharer s = {kept, copy, release, 200000};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, share, &s), 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        cr_assert_eq(pthread_join(t[i], &bad), 0);
        cr_assert_null(bad, "a copy is the same immutable result");
    }
    pthread_t last;
    cr_assert_eq(pthread_create(&last, NULL, release_last, &s), 0);
    cr_assert_eq(pthread_join(last, NULL), 0);
}

typedef struct kept_box {
    sekha_search_results *results;
    sekha_stored_messages *messages;
    sekha_conversation *conv;
} kept_box;

static void keep_results(sekha_request *req, const sekha_error *err,
                         const sekha_search_results *r, void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept_box *)ud)->results = sekha_search_results_copy(r);
}

static void keep_messages(sekha_request *req, const sekha_error *err,
                          const sekha_stored_messages *l, void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept_box *)ud)->messages = sekha_stored_messages_copy(l);
}

static void keep_conv(sekha_request *req, const sekha_error *err, const sekha_conversation *c,
                      void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept_box *)ud)->conv = sekha_conversation_copy(c);
}

/* Typed trampolines: a function is called through its own type. */
static void *copy_results(const void *r) { return sekha_search_results_copy(r); }
static void free_results(void *r) { sekha_search_results_free(r); }
static void *copy_messages(const void *l) { return sekha_stored_messages_copy(l); }
static void free_messages(void *l) { sekha_stored_messages_free(l); }
static void *copy_conv(const void *c) { return sekha_conversation_copy(c); }
static void free_conv(void *c) { sekha_conversation_free(c); }

Test(controller, results_copied_in_callbacks_are_shared_and_freed_on_other_threads)
{
    char *id = store("threads", "/", "copies travel between threads");
    kept_box k = {0};
    sekha_controller_query(cl, "copies between threads", NULL, keep_results, &k);
    sekha_controller_full_text_search(cl, "threads", NULL, keep_messages, &k);
    sekha_controller_get_conversation(cl, id, keep_conv, &k);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    /* The library has released its own references: each copy is the caller's alone. */
    cr_assert_eq(sekha_search_results_count(k.results), 1);
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(k.results, 0)),
                     id);
    cr_assert_str_eq(sekha_stored_message_content(sekha_stored_messages_at(k.messages, 0)),
                     "copies travel between threads");
    cr_assert_str_eq(sekha_conversation_label(k.conv), "threads");
    shared_across_threads(k.results, copy_results, free_results);
    shared_across_threads(k.messages, copy_messages, free_messages);
    shared_across_threads(k.conv, copy_conv, free_conv);
    cr_assert_null(sekha_search_results_copy(NULL));
    sekha_search_results_free(NULL);
    free(id);
}
