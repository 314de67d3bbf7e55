/* The controller sub-client against sekha-devserver over 127.0.0.1, endpoint by endpoint:
 * conversations, then search and memory, each call in its sync and async form, with the
 * controller's real shapes and quirks and validation before sending (the server's request
 * counters prove nothing was sent). Failure modes are in test_controller_wire.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller_fixture.h"

/* ---- conversations ---- */

Test(controller, create_answers_201_shape_and_get_returns_it)
{
    sekha_messages *b = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(b, "user", "How do I bake sourdough?"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(b, "assistant", "Feed the starter first."), SEKHA_OK);
    cr_assert_eq(sekha_messages_count(b), 2);
    sekha_params *p = with_int(with_text(with_text(NULL, SEKHA_PARAM_LABEL, "Cooking"),
                                         SEKHA_PARAM_FOLDER, "/home"),
                               SEKHA_PARAM_IMPORTANCE, 7);
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, b, p, &conv, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_params_free(p);
    cr_assert_null(err);
    cr_assert_str_eq(sekha_conversation_label(conv), "Cooking");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/home");
    cr_assert_str_eq(sekha_conversation_status(conv), "active");
    cr_assert_eq(sekha_conversation_message_count(conv), 2);
    cr_assert_not_null(strstr(sekha_conversation_json(conv), "\"conversation_id\""),
                       "the raw 201 body is kept: %s", sekha_conversation_json(conv));
    double t = 0;
    cr_assert_eq(sekha_timestamp_to_epoch(sekha_conversation_created_at(conv), &t), SEKHA_OK,
                 "naive timestamp %s", sekha_conversation_created_at(conv));
    double now = (double)time(NULL);
    cr_assert(t > now - 86400 && t < now + 86400, "created_at is read as UTC");

    sekha_conversation *got = NULL;
    cr_assert_eq(sekha_controller_get_conversation_sync(cl, sekha_conversation_id(conv), &got,
                                                        &err), SEKHA_OK);
    cr_assert_str_eq(sekha_conversation_id(got), sekha_conversation_id(conv));
    cr_assert_str_eq(sekha_conversation_created_at(got), sekha_conversation_created_at(conv));
    cr_assert_eq(sekha_conversation_message_count(got), 2);
    sekha_conversation_free(got);
    sekha_conversation_free(conv);
    sekha_messages_free(b);
    cr_assert_eq(hits("/api/v1/conversations"), 1);
}

Test(controller, async_create_lends_result_and_copy_keeps_it)
{
    sekha_messages *b = one_message("user", "lent results");
    sekha_params *p = with_text(with_text(NULL, SEKHA_PARAM_LABEL, "L"), SEKHA_PARAM_FOLDER, "F");
    conv_box box = {0};
    sekha_request *req = sekha_controller_create_conversation(cl, b, p, on_conv, &box);
    sekha_messages_free(b); /* the body was built at call time */
    sekha_params_free(p);
    cr_assert_not_null(req);
    cr_assert_eq(box.calls, 0, "never called back from inside the call");
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(box.code, SEKHA_OK);
    cr_assert_eq((const void *)box.kept, (const void *)box.lent, "copy hands out the result");
    /* The library released its reference after the callback; ours keeps the object alive. */
    cr_assert_str_eq(sekha_conversation_id(box.kept), box.id);
    cr_assert_str_eq(sekha_conversation_label(box.kept), "L");
    sekha_conversation_free(box.kept);
}

Test(controller, multimodal_parts_are_stored_as_joined_text)
{
    sekha_messages *b = sekha_messages_new();
    cr_assert_eq(sekha_messages_add_parts(b, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(b, "zebra picture"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(b, "https://img.example/z.png", "high"),
                 SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(b, "describe stripes"), SEKHA_OK);
    sekha_params *p = with_text(NULL, SEKHA_PARAM_LABEL, "Img");
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, b, p, &conv, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_params_free(p);
    sekha_stored_messages *l = NULL;
    cr_assert_eq(sekha_controller_full_text_search_sync(cl, "zebra", NULL, &l, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    cr_assert_eq(sekha_stored_messages_count(l), 1);
    const sekha_stored_message *m = sekha_stored_messages_at(l, 0);
    cr_assert_str_eq(sekha_stored_message_content(m), "zebra picture describe stripes");
    cr_assert_str_eq(sekha_stored_message_conversation_id(m), sekha_conversation_id(conv));
    /* The parts reached the server as parts: it keeps the image (url and detail) apart. */
    cr_assert_str_eq(sekha_stored_message_metadata_json(m),
                     "{\"images\":[{\"url\":\"https://img.example/z.png\",\"detail\":\"high\"}]}",
                     "image kept in metadata: %s", sekha_stored_message_metadata_json(m));
    cr_assert_null(sekha_stored_message_embedding_id(m), "null embedding_id reads as NULL");
    cr_assert_null(sekha_stored_messages_at(l, 1));
    sekha_stored_messages_free(l);
    sekha_conversation_free(conv);
    sekha_messages_free(b);
}

static void create_fails_locally(sekha_messages *b, const sekha_params *p, const char *needle)
{
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_create_conversation_sync(cl, b, p, &conv, &err);
    cr_assert_null(conv);
    cr_assert_not_null(strstr(sekha_error_message(err), "sekha_controller_create_conversation: "),
                       "the call is named: %s", sekha_error_message(err));
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, needle);
}

Test(controller, create_validates_before_sending)
{
    sekha_messages *empty = sekha_messages_new();
    create_fails_locally(empty, NULL, "at least one message");
    create_fails_locally(NULL, NULL, "messages is NULL");

    sekha_messages *bad_role = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(bad_role, "robot", "hi"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(bad_role, "user", "hi"), SEKHA_OK);
    cr_assert_not_null(strstr(sekha_messages_error(bad_role), "robot"));
    create_fails_locally(bad_role, NULL, "robot");

    sekha_messages *no_parts = sekha_messages_new();
    sekha_messages_add_parts(no_parts, "user");
    create_fails_locally(no_parts, NULL, "started with parts but has none");

    sekha_messages *bad_part = sekha_messages_new();
    cr_assert_eq(sekha_messages_add_text_part(bad_part, "x"), SEKHA_E_INVALID_ARG,
                 "a part needs an open parts message");
    sekha_messages_add_parts(bad_part, "tool");
    cr_assert_eq(sekha_messages_add_image_part(bad_part, "u", "huge"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_image_part(bad_part, "", NULL), SEKHA_E_INVALID_ARG);
    create_fails_locally(bad_part, NULL, "sekha_messages_add_parts");

    sekha_messages *bad_text = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(bad_text, "user", "bad \xff"), SEKHA_E_INVALID_ARG);
    create_fails_locally(bad_text, NULL, "sekha_controller_create_conversation: "
                                         "messages[0].content is not valid UTF-8 (at byte 4)");

    /* A setter that failed is reported by the call that is given the parameters. */
    sekha_messages *ok = one_message("system", "fine");
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 11), SEKHA_E_INVALID_ARG);
    create_fails_locally(ok, p, "sekha_controller_create_conversation: importance must be "
                                "from 1 to 10 (got 11)");
    sekha_params_free(p);
    p = with_text(NULL, SEKHA_PARAM_LABEL, "l");
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FOLDER, "bad \xc3"), SEKHA_E_INVALID_ARG);
    create_fails_locally(ok, p, "folder is not valid UTF-8 (at byte 4)");
    sekha_params_free(p);
    /* A key the call does not read is a mistake worth reporting, not ignoring. */
    p = with_text(NULL, SEKHA_PARAM_MODEL, "m");
    create_fails_locally(ok, p, "model");
    sekha_params_free(p);
    cr_assert_eq(hits("/api/v1/conversations"), 0, "nothing was sent");

    sekha_messages_free(empty);
    sekha_messages_free(bad_role);
    sekha_messages_free(no_parts);
    sekha_messages_free(bad_part);
    sekha_messages_free(bad_text);
    sekha_messages_free(ok);
}

Test(controller, create_defaults_label_and_folder_and_leaves_importance_out)
{
    sekha_messages *m = one_message("user", "defaults");
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, m, NULL, &conv, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    cr_assert_str_eq(sekha_conversation_label(conv), "Conversation");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/");
    sekha_conversation_free(conv);
    sekha_messages_free(m);
}

Test(controller, async_validation_failure_calls_back_once_from_the_loop)
{
    conv_box box = {0};
    cr_assert_not_null(sekha_controller_get_conversation(cl, "not-a-uuid", on_conv, &box));
    cr_assert_eq(box.calls, 0);
    sekha_client_run(cl);
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(box.code, SEKHA_E_INVALID_ARG);
    cr_assert_null(box.lent);
    cr_assert_null(sekha_controller_get_conversation(NULL, MISSING, on_conv, &box),
                   "no client: nothing to call back with");
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(sekha_controller_get_conversation_sync(NULL, MISSING, NULL, NULL),
                 SEKHA_E_INVALID_ARG);
}

Test(controller, get_unknown_is_not_found_and_bad_id_is_never_sent)
{
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_get_conversation_sync(cl, MISSING, &conv, &err);
    cr_assert_eq(sekha_error_http_status(err), 404);
    cr_assert_str_eq(sekha_error_service_message(err), "Conversation not found");
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP,
               "GET /api/v1/conversations/{id}");
    cr_assert_null(conv);
    rc = sekha_controller_get_conversation_sync(cl, "../count", &conv, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "UUID");
    cr_assert_eq(hits("/api/v1/conversations/" MISSING), 1);
    cr_assert_eq(hits("/api/v1/conversations/count"), 0, "the bad id was not sent");
}

Test(controller, list_filters_pages_and_percent_encodes)
{
    const char *odd = "a&b=c d/#?+%";
    char *a = store(odd, "/x y", "first");
    char *b = store("plain", "/x y", "second");
    char *c = store("plain", "/z", "third");
    sekha_search_results *r = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, NULL, &r, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_search_results_count(r), 3);
    cr_assert_eq(sekha_search_results_total(r), 3);
    cr_assert_eq(sekha_search_results_page(r), 1);
    cr_assert_eq(sekha_search_results_page_size(r), 50);
    const sekha_search_result *it = sekha_search_results_at(r, 0);
    cr_assert_str_eq(sekha_search_result_conversation_id(it), c, "newest first");
    cr_assert_str_eq(sekha_search_result_message_id(it), "00000000-0000-0000-0000-000000000000");
    cr_assert_float_eq(sekha_search_result_score(it), 1.0, 1e-9);
    cr_assert_str_eq(sekha_search_result_content(it), "plain", "content is the label");
    cr_assert_not_null(strstr(sekha_search_result_metadata_json(it), "\"status\":\"active\""));
    sekha_search_results_free(r);

    sekha_params *p = with_text(NULL, SEKHA_PARAM_LABEL, odd);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, &err), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_search_results_count(r), 1, "the odd label survives the query string");
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), a);
    sekha_search_results_free(r);

    p = with_int(with_int(with_text(NULL, SEKHA_PARAM_FOLDER, "/x y"), SEKHA_PARAM_PAGE, 2),
                 SEKHA_PARAM_PAGE_SIZE, 1);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, &err), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_search_results_count(r), 1);
    cr_assert_eq(sekha_search_results_total(r), 2);
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), a,
                     "page 2 of size 1 holds the older one");
    sekha_search_results_free(r);

    cr_assert_eq(sekha_controller_pin_conversation_sync(cl, b, &err), SEKHA_OK);
    cr_assert_eq(sekha_controller_archive_conversation_sync(cl, c, &err), SEKHA_OK);
    p = with_int(NULL, SEKHA_PARAM_PINNED, 1);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, &err), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_search_results_count(r), 1);
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), b);
    sekha_search_results_free(r);
    p = with_int(NULL, SEKHA_PARAM_ARCHIVED, 1);
    cr_assert_eq(sekha_controller_list_conversations_sync(cl, p, &r, &err), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_search_results_count(r), 1);
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), c);
    sekha_search_results_free(r);

    long before = hits("/api/v1/conversations");
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_PINNED, 2), SEKHA_E_INVALID_ARG);
    sekha_code rc = sekha_controller_list_conversations_sync(cl, p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "pinned");
    sekha_params_free(p);
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_PAGE, -1), SEKHA_E_INVALID_ARG);
    rc = sekha_controller_list_conversations_sync(cl, p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "page");
    sekha_params_free(p);
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_PAGE_SIZE, -5), SEKHA_E_INVALID_ARG);
    rc = sekha_controller_list_conversations_sync(cl, p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "-5");
    sekha_params_free(p);
    p = with_int(NULL, SEKHA_PARAM_PAGE, 4294967296LL);
    rc = sekha_controller_list_conversations_sync(cl, p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "4294967296");
    sekha_params_free(p);
    cr_assert_eq(hits("/api/v1/conversations"), before);
    free(a);
    free(b);
    free(c);
}

typedef struct done_box {
    int calls, ok;
    sekha_code last;
} done_box;

static void on_done(sekha_request *req, const sekha_error *err, void *ud)
{
    done_box *b = ud;
    (void)req;
    b->calls++;
    b->ok += err == NULL;
    b->last = sekha_error_code(err);
}

Test(controller, async_updates_apply_and_get_sees_them)
{
    char *id = store("old", "/old", "text");
    done_box box = {0};
    sekha_controller_update_label(cl, id, "new label", "/new", on_done, &box);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    sekha_controller_update_folder(cl, id, "/newer", on_done, &box);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    sekha_controller_pin_conversation(cl, id, on_done, &box);
    sekha_controller_archive_conversation(cl, id, on_done, &box);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(box.calls, 4);
    cr_assert_eq(box.ok, 4, "last error %d", box.last);
    sekha_conversation *conv = NULL;
    cr_assert_eq(sekha_controller_get_conversation_sync(cl, id, &conv, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_conversation_label(conv), "new label");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/newer");
    cr_assert_str_eq(sekha_conversation_status(conv), "archived");
    sekha_conversation_free(conv);
    free(id);
}

Test(controller, update_errors_follow_the_controller)
{
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_update_label_sync(cl, MISSING, "l", "f", &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, "Entity not found");
    rc = sekha_controller_update_folder_sync(cl, MISSING, "f", &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, NULL);
    /* pin and archive answer a missing conversation with the repository's 500 "Entity not
     * found", as the real controller does: a not-found, final at once (no retries). */
    rc = sekha_controller_pin_conversation_sync(cl, MISSING, &err);
    cr_assert_eq(sekha_error_http_status(err), 500);
    cr_assert_eq(sekha_error_attempts(err), 1);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, "Entity not found");
    cr_assert_eq(hits("/api/v1/conversations/" MISSING "/pin"), 1, "a not-found was retried");
    rc = sekha_controller_archive_conversation_sync(cl, MISSING, &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, NULL);
    cr_assert_eq(hits("/api/v1/conversations/" MISSING "/archive"), 1);
    /* Any other 500 is still retried (it may be transient). */
    arm("PUT", "/api/v1/conversations/" MISSING "/pin", "[{\"status\":500}]");
    rc = sekha_controller_pin_conversation_sync(cl, MISSING, &err);
    cr_assert_gt(hits("/api/v1/conversations/" MISSING "/pin"), 2, "a plain 500 was not retried");
    sekha_error_free(err);
    rc = sekha_controller_update_label_sync(cl, MISSING, NULL, "f", &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "label and folder");
    rc = sekha_controller_update_folder_sync(cl, MISSING, NULL, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "folder is required");
    rc = sekha_controller_pin_conversation_sync(cl, "", &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "UUID");
    cr_assert_eq(hits("/api/v1/conversations/" MISSING "/label"), 1);
}

Test(controller, delete_then_get_is_not_found)
{
    char *id = store("gone", "/", "soon deleted");
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_delete_conversation_sync(cl, id, &err), SEKHA_OK);
    sekha_conversation *conv = NULL;
    sekha_code rc = sekha_controller_get_conversation_sync(cl, id, &conv, &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, NULL);
    rc = sekha_controller_delete_conversation_sync(cl, id, &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, NULL);
    cr_assert_eq(count_all(), 0);
    free(id);
}

Test(controller, count_all_by_label_and_by_folder)
{
    free(store("a b", "/one", "x"));
    free(store("a b", "/two", "y"));
    free(store("c", "/two", "z"));
    cr_assert_eq(count_all(), 3);
    sekha_count_result *r = NULL;
    sekha_error *err = NULL;
    sekha_params *p = with_text(NULL, SEKHA_PARAM_LABEL, "a b");
    cr_assert_eq(sekha_controller_count_conversations_sync(cl, p, &r, &err), SEKHA_OK);
    cr_assert_eq(sekha_count_result_value(r), 2);
    cr_assert_str_eq(sekha_count_result_label(r), "a b");
    cr_assert_null(sekha_count_result_folder(r), "null folder reads as NULL");
    sekha_count_result_free(r);
    sekha_params *q = with_text(NULL, SEKHA_PARAM_FOLDER, "/two");
    cr_assert_eq(sekha_controller_count_conversations_sync(cl, q, &r, &err), SEKHA_OK);
    cr_assert_eq(sekha_count_result_value(r), 2);
    sekha_count_result_free(r);
    p = with_text(p, SEKHA_PARAM_FOLDER, "/two");
    sekha_code rc = sekha_controller_count_conversations_sync(cl, p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "not both");
    sekha_params_free(p);
    sekha_params_free(q);
    cr_assert_null(r);
    cr_assert_eq(hits("/api/v1/conversations/count"), 3);
}

Test(controller, count_error_field_in_a_200_is_a_service_error)
{
    arm("GET", "/api/v1/conversations/count",
        "[{\"status\":200,\"body\":\"{\\\"count\\\":0,\\\"error\\\":\\\"Cannot specify both "
        "label and folder\\\"}\"}]");
    sekha_count_result *r = NULL;
    sekha_error *err = NULL;
    sekha_params *p = with_text(NULL, SEKHA_PARAM_LABEL, "x");
    sekha_code rc = sekha_controller_count_conversations_sync(cl, p, &r, &err);
    sekha_params_free(p);
    cr_assert_null(r);
    cr_assert_str_eq(sekha_error_service_message(err), "Cannot specify both label and folder");
    expect_err(rc, err, SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, "Cannot specify both");
}

/* ---- search and memory ---- */

Test(controller, query_ranks_the_matching_conversation_first)
{
    char *bread = store("Cooking", "/home", "How do I bake sourdough bread with a starter?");
    char *car = store("Cars", "/work", "My car engine makes a knocking noise when accelerating");
    char *trip = store("Travel", "/home", "Best time to visit Japan for cherry blossoms");
    sekha_search_results *r = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_query_sync(cl, "engine knocking noise", NULL, &r, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_search_results_count(r), 3);
    const sekha_search_result *top = sekha_search_results_at(r, 0);
    cr_assert_str_eq(sekha_search_result_conversation_id(top), car);
    cr_assert_str_eq(sekha_search_result_label(top), "Cars");
    cr_assert_str_eq(sekha_search_result_folder(top), "/work");
    cr_assert(sekha_search_result_score(top) > sekha_search_result_score(sekha_search_results_at(r, 1)));
    cr_assert_eq(sekha_search_results_page(r), 0, "the first page reports page 0 (quirk)");
    sekha_search_results_free(r);

    char filters[128];
    snprintf(filters, sizeof filters, "{\"conversation_id\":\"%s\"}", trip);
    sekha_params *p = with_text(with_int(with_int(NULL, SEKHA_PARAM_LIMIT, 1), SEKHA_PARAM_OFFSET,
                                         3), SEKHA_PARAM_FILTERS_JSON, filters);
    cr_assert_eq(sekha_controller_query_sync(cl, "engine", p, &r, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_params_free(p);
    cr_assert_eq(sekha_search_results_count(r), 1);
    cr_assert_str_eq(sekha_search_result_conversation_id(sekha_search_results_at(r, 0)), trip);
    cr_assert_eq(sekha_search_results_page(r), 3, "page = ceil(offset / limit)");
    sekha_search_results_free(r);

    sekha_code rc = sekha_controller_query_sync(cl, " \t\n", NULL, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "blank");
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "{not json"),
                 SEKHA_E_INVALID_ARG);
    rc = sekha_controller_query_sync(cl, "x", p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "filters_json");
    sekha_params_free(p);
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, -1), SEKHA_E_INVALID_ARG);
    rc = sekha_controller_query_sync(cl, "x", p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "limit");
    sekha_params_free(p);
    p = with_int(NULL, SEKHA_PARAM_LIMIT, 4294967296LL);
    rc = sekha_controller_query_sync(cl, "x", p, &r, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "4294967296");
    sekha_params_free(p);
    cr_assert_eq(hits("/api/v1/query"), 2);
    free(bread);
    free(car);
    free(trip);
}

Test(controller, full_text_search_limit_and_syntax_error)
{
    free(store("a", "/", "alpha beta gamma"));
    free(store("b", "/", "beta delta"));
    sekha_stored_messages *l = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_full_text_search_sync(cl, "beta", NULL, &l, &err), SEKHA_OK);
    cr_assert_eq(sekha_stored_messages_count(l), 2);
    cr_assert_eq(sekha_stored_messages_total(l), 2);
    cr_assert_str_eq(sekha_stored_message_role(sekha_stored_messages_at(l, 0)), "user");
    sekha_stored_messages_free(l);
    sekha_params *p = with_int(NULL, SEKHA_PARAM_LIMIT, 1);
    cr_assert_eq(sekha_controller_full_text_search_sync(cl, "beta", p, &l, &err), SEKHA_OK);
    cr_assert_eq(sekha_stored_messages_count(l), 1);
    sekha_stored_messages_free(l);
    sekha_params_free(p);
    sekha_code rc = sekha_controller_full_text_search_sync(cl, "\"unbalanced", NULL, &l, &err);
    cr_assert_eq(sekha_error_attempts(err), 4, "a 500 is retried (3 retries)");
    expect_err(rc, err, SEKHA_E_SERVER, SEKHA_LAYER_HTTP, "Database error");
    rc = sekha_controller_full_text_search_sync(cl, "", NULL, &l, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, NULL);
}

Test(controller, rebuild_embeddings_answers_202_empty)
{
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_rebuild_embeddings_sync(cl, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    done_box box = {0};
    sekha_controller_rebuild_embeddings(cl, on_done, &box);
    sekha_client_run(cl);
    cr_assert_eq(box.ok, 1);
    cr_assert_eq(hits("/api/v1/rebuild-embeddings"), 2);
}

Test(controller, context_packs_messages_within_the_budget)
{
    char text[400];
    for (int i = 0; i < 12; i++) {
        snprintf(text, sizeof text, "Message %d about gardening tomatoes and watering plants "
                 "in the summer heat, with enough words to weigh about twenty tokens.", i);
        free(store(i % 2 ? "Garden" : "Other", i < 6 ? "/keep" : "/secret", text));
    }
    sekha_stored_messages *l = NULL;
    sekha_error *err = NULL;
    const char *const labels[] = {"Garden", NULL};
    sekha_params *p = with_int(with_list(NULL, SEKHA_PARAM_PREFERRED_LABELS, labels),
                               SEKHA_PARAM_BUDGET, 120);
    cr_assert_eq(sekha_controller_assemble_context_sync(cl, "watering tomatoes", p, &l, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    sekha_params_free(p);
    size_t n = sekha_stored_messages_count(l);
    cr_assert(n > 0 && n < 12, "some but not all fit: %zu", n);
    cr_assert(sekha_stored_messages_token_estimate(l) <= 102,
              "85%% of 120 tokens at chars/4: %zu", sekha_stored_messages_token_estimate(l));
    cr_assert_eq(sekha_stored_messages_total(l), (long long)n);
    cr_assert_eq(sekha_stored_messages_json(l)[0], '[', "the real shape is a bare array");
    cr_assert_not_null(strstr(sekha_stored_message_metadata_json(sekha_stored_messages_at(l, 0)),
                              "\"citation\""));
    sekha_stored_messages_free(l);

    const char *const excluded[] = {"/sec", NULL};
    p = with_list(NULL, SEKHA_PARAM_EXCLUDED_FOLDERS, excluded);
    cr_assert_eq(sekha_controller_assemble_context_sync(cl, "gardening", p, &l, &err), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_stored_messages_count(l), 6, "default budget 4000; /secret* excluded");
    for (size_t i = 0; i < sekha_stored_messages_count(l); i++)
        cr_assert_null(strstr(sekha_stored_message_metadata_json(sekha_stored_messages_at(l, i)),
                              "/secret"));
    sekha_stored_messages_free(l);
    sekha_code rc = sekha_controller_assemble_context_sync(cl, "", NULL, &l, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, NULL);
    cr_assert_eq(hits("/api/v1/context/assemble"), 2);
}

Test(controller, context_accepts_a_messages_object_and_rejects_other_shapes)
{
    arm("POST", "/api/v1/context/assemble",
        "[{\"status\":200,\"body\":\"{\\\"messages\\\":[{\\\"id\\\":\\\"" MISSING "\\\","
        "\\\"conversation_id\\\":\\\"" MISSING "\\\",\\\"role\\\":\\\"user\\\","
        "\\\"content\\\":[{\\\"type\\\":\\\"text\\\",\\\"text\\\":\\\"a\\\"},"
        "{\\\"type\\\":\\\"text\\\",\\\"text\\\":\\\"b\\\"}],"
        "\\\"timestamp\\\":\\\"2026-01-16T10:20:30\\\"}],\\\"estimated_tokens\\\":1}\"},"
        "{\"status\":200,\"body\":\"{\\\"results\\\":[]}\"},"
        "{\"status\":200,\"body\":\"[{\\\"id\\\":\\\"" MISSING "\\\"}]\"}]");
    sekha_stored_messages *l = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_assemble_context_sync(cl, "q", NULL, &l, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_stored_messages_count(l), 1);
    cr_assert_str_eq(sekha_stored_message_content(sekha_stored_messages_at(l, 0)), "a b",
                     "parts are flattened with one space");
    cr_assert_str_eq(sekha_stored_message_metadata_json(sekha_stored_messages_at(l, 0)), "null");
    sekha_stored_messages_free(l);
    sekha_code rc = sekha_controller_assemble_context_sync(cl, "q", NULL, &l, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "\"messages\"");
    rc = sekha_controller_assemble_context_sync(cl, "q", NULL, &l, &err);
    expect_err(rc, err, SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "[0].content");
    cr_assert_null(l);
}

Test(controller, summarize_levels_and_errors)
{
    char *id = store("Notes", "/", "The meeting moved to Tuesday. Bring the slides.");
    sekha_summary *s = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_summarize_sync(cl, id, NULL, &s, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_summary_level(s), "daily", "the default level is daily");
    cr_assert_str_eq(sekha_summary_conversation_id(s), id);
    cr_assert_not_null(strstr(sekha_summary_text(s), "The meeting moved to Tuesday."));
    cr_assert_str_eq(sekha_summary_model(s), "devserver-extractive");
    cr_assert_eq(sekha_timestamp_to_epoch(sekha_summary_generated_at(s), NULL), SEKHA_OK);
    sekha_summary_free(s);
    sekha_params *p = with_text(NULL, SEKHA_PARAM_LEVEL, "monthly");
    cr_assert_eq(sekha_controller_summarize_sync(cl, id, p, &s, &err), SEKHA_OK);
    cr_assert_str_eq(sekha_summary_level(s), "monthly");
    sekha_summary_free(s);
    long sent = hits("/api/v1/summarize");
    p = with_text(p, SEKHA_PARAM_LEVEL, "hourly");
    sekha_code rc = sekha_controller_summarize_sync(cl, id, p, &s, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "hourly");
    p = with_text(p, SEKHA_PARAM_LEVEL, "Daily");
    rc = sekha_controller_summarize_sync(cl, id, p, &s, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, NULL);
    cr_assert_eq(hits("/api/v1/summarize"), sent, "invalid levels are never sent");
    p = with_text(p, SEKHA_PARAM_LEVEL, "weekly");
    rc = sekha_controller_summarize_sync(cl, MISSING, p, &s, &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, NULL);
    sekha_params_free(p);
    free(id);
}

Test(controller, prune_dry_run_then_execute_archives)
{
    char *a = store("A", "/", "one");
    char *b = store("B", "/", "two");
    sekha_prune_suggestions *p = NULL;
    sekha_error *err = NULL;
    sekha_params *days = with_int(NULL, SEKHA_PARAM_THRESHOLD_DAYS, 0);
    cr_assert_eq(sekha_controller_prune_dry_run_sync(cl, days, &p, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_params_free(days);
    cr_assert_eq(sekha_prune_suggestions_count(p), 2);
    cr_assert_eq(sekha_prune_suggestions_total(p), 2);
    const sekha_prune_suggestion *s = sekha_prune_suggestions_at(p, 0);
    cr_assert_str_eq(sekha_prune_suggestion_recommendation(s), "keep");
    cr_assert_eq(sekha_prune_suggestion_message_count(s), 1);
    cr_assert_eq(sekha_prune_suggestion_token_estimate(s), 200);
    cr_assert_float_eq(sekha_prune_suggestion_importance(s), 5.0, 1e-9);
    cr_assert_not_null(strstr(sekha_prune_suggestion_preview(s), "user: "));
    cr_assert_eq(sekha_timestamp_to_epoch(sekha_prune_suggestion_last_accessed(s), NULL),
                 SEKHA_OK);
    sekha_prune_suggestions_free(p);
    cr_assert_eq(sekha_controller_prune_dry_run_sync(cl, NULL, &p, &err), SEKHA_OK);
    cr_assert_eq(sekha_prune_suggestions_count(p), 0, "nothing is 90 days old (the default)");
    sekha_prune_suggestions_free(p);

    const char *const ids[] = {a, b, NULL};
    cr_assert_eq(sekha_controller_prune_execute_sync(cl, ids, &err), SEKHA_OK);
    sekha_conversation *conv = NULL;
    sekha_controller_get_conversation_sync(cl, b, &conv, NULL);
    cr_assert_str_eq(sekha_conversation_status(conv), "archived");
    sekha_conversation_free(conv);

    const char *const bad[] = {a, "nope", NULL};
    sekha_code rc = sekha_controller_prune_execute_sync(cl, bad, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "conversation_ids[1]");
    rc = sekha_controller_prune_execute_sync(cl, NULL, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "empty");
    days = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(days, SEKHA_PARAM_THRESHOLD_DAYS, -1), SEKHA_E_INVALID_ARG);
    rc = sekha_controller_prune_dry_run_sync(cl, days, &p, &err);
    expect_err(rc, err, SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "threshold_days");
    sekha_params_free(days);
    const char *const missing[] = {MISSING, NULL};
    rc = sekha_controller_prune_execute_sync(cl, missing, &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, "not found");
    cr_assert_eq(hits("/api/v1/prune/execute"), 1 + 1, "a not-found was retried");
    free(a);
    free(b);
}

Test(controller, suggest_labels_shape_and_unknown_id)
{
    char *id = store("Cooking", "/", "Sourdough sourdough starter and Cooking tips");
    sekha_label_suggestions *l = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_suggest_labels_sync(cl, id, &l, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_label_suggestions_conversation_id(l), id);
    cr_assert(sekha_label_suggestions_count(l) >= 2);
    const sekha_label_suggestion *first = sekha_label_suggestions_at(l, 0);
    cr_assert_str_eq(sekha_label_suggestion_label(first), "Cooking");
    cr_assert_eq(sekha_label_suggestion_is_existing(first), 1);
    cr_assert_float_eq(sekha_label_suggestion_confidence(first), 0.9, 1e-6);
    cr_assert_neq(sekha_label_suggestion_reason(first)[0], '\0');
    const sekha_label_suggestion *second = sekha_label_suggestions_at(l, 1);
    cr_assert_str_eq(sekha_label_suggestion_label(second), "Sourdough");
    cr_assert_eq(sekha_label_suggestion_is_existing(second), 0);
    cr_assert_null(sekha_label_suggestions_at(l, 99));
    sekha_label_suggestions_free(l);
    sekha_code rc = sekha_controller_suggest_labels_sync(cl, MISSING, &l, &err);
    expect_err(rc, err, SEKHA_E_NOT_FOUND, SEKHA_LAYER_HTTP, "not found");
    free(id);
}

Test(controller, health_and_metrics)
{
    free(store("m", "/", "counted"));
    sekha_health *h = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_health_sync(cl, &h, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_health_status_text(h), "healthy");
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_HEALTHY);
    cr_assert_str_eq(sekha_health_check(h, "database"), "ok");
    cr_assert_null(sekha_health_check(h, "nope"));
    cr_assert_null(sekha_health_version(h), "the Jan shape has no version");
    double t = 0;
    cr_assert_eq(sekha_timestamp_to_epoch(sekha_health_timestamp(h), &t), SEKHA_OK);
    sekha_health_free(h);
    sekha_metrics *m = NULL;
    cr_assert_eq(sekha_controller_metrics_sync(cl, &m, &err), SEKHA_OK);
    double v = -1;
    cr_assert_eq(sekha_metrics_value(m, "sekha_conversations_total", &v), 1);
    cr_assert_float_eq(v, 1.0, 1e-9);
    cr_assert_eq(sekha_metrics_value(m, "sekha_conversations", &v), 0, "whole names only");
    sekha_metrics_free(m);
    arm("GET", "/metrics",
        "[{\"status\":200,\"content_type\":\"text/plain\",\"body\":\"# HELP x y\\n"
        "req{path=\\\"/a}b\\\",code=\\\"200\\\"} 42.5 1700000000\\n\"}]");
    cr_assert_eq(sekha_controller_metrics_sync(cl, &m, &err), SEKHA_OK);
    cr_assert_eq(sekha_metrics_value(m, "req", &v), 1);
    cr_assert_float_eq(v, 42.5, 1e-9, "labels with a quoted brace are skipped");
    sekha_metrics_free(m);
    arm("GET", "/health", "[{\"status\":503,\"body\":\"\"}]");
    sekha_options_set_max_retries(opts, 0);
    sekha_client *once = test_client(opts);
    sekha_code rc = sekha_controller_health_sync(once, &h, &err);
    expect_err(rc, err, SEKHA_E_SERVER, SEKHA_LAYER_HTTP, "503");
    sekha_client_free(once);
}
