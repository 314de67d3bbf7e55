/* Request bodies are JSON, and JSON is UTF-8: a caller's string that is not UTF-8 (or JSON
 * text that is not valid JSON) is refused before anything is sent, with SEKHA_E_INVALID_ARG
 * and a message naming the field and the byte, in every service and workflow. Counted on
 * the devserver: the refused request never reaches it. Also the writer itself: what it
 * accepts, what it refuses, and the paths it names. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jwrite.h"
#include "testutil.h"

#define UUID1 "3f8a5c1e-0000-4000-8000-000000000001"

static ds_proc ds;
static sekha_client *cl;

static void setup(void)
{
    start_devserver(&ds, NULL);
    cl = test_client_with_mcp(&ds);
}

static void teardown(void)
{
    sekha_client_free(cl);
    ds_proc_stop(&ds);
}

TestSuite(wire_utf8, .init = setup, .fini = teardown, .timeout = 60);

static long hits(const char *path)
{
    long n = ds_proc_count(&ds, ds.controller_url, path);
    cr_assert_geq(n, 0, "counter of %s", path);
    return n;
}

/* A local SEKHA_E_INVALID_ARG whose message holds every needle. */
static void refused(sekha_code rc, sekha_error *err, const char *n1, const char *n2)
{
    const char *msg = sekha_error_message(err);
    cr_assert_eq(rc, SEKHA_E_INVALID_ARG, "code %d: %s", rc, msg);
    cr_assert_eq(sekha_error_code(err), SEKHA_E_INVALID_ARG, "%s", msg);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_LOCAL, "%s", msg);
    cr_assert_not_null(strstr(msg, n1), "\"%s\" not in: %s", n1, msg);
    if (n2)
        cr_assert_not_null(strstr(msg, n2), "\"%s\" not in: %s", n2, msg);
    sekha_error_free(err);
}

/* ================================================================ the controller */

Test(wire_utf8, create_names_the_message_content_and_sends_nothing)
{
    sekha_messages *b = sekha_messages_new();
    sekha_messages_add(b, "user", "fine");
    sekha_messages_add(b, "user", "bad \xff");
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_create_conversation_sync(cl, b, NULL, &conv, &err);
    cr_assert_null(conv);
    refused(rc, err, "messages[1].content is not valid UTF-8 (at byte 4)",
            "sekha_controller_create_conversation");
    sekha_messages_free(b);
    cr_assert_eq(hits("/api/v1/conversations"), 0, "nothing was sent");
}

typedef struct got {
    int calls;
    sekha_code code;
    sekha_layer layer;
    char message[512];
} got;

static void on_conv(sekha_request *req, const sekha_error *err, const sekha_conversation *c,
                    void *ud)
{
    (void)req;
    got *g = ud;
    g->calls++;
    g->code = sekha_error_code(err);
    g->layer = sekha_error_layer(err);
    snprintf(g->message, sizeof g->message, "%s", err ? sekha_error_message(err) : "");
    cr_assert_null(c);
}

Test(wire_utf8, create_names_parts_label_and_folder_async)
{
    struct {
        const char *label, *folder, *part, *url, *want;
    } cases[] = {
        {"a", "/a", "x\xc3(", "http://x/i.png", "messages[0].content text part is not valid UTF-8 (at byte 1)"},
        {"a", "/a", "ok", "http://x/\xed\xa0\x80.png", "messages[0].content image URL is not valid UTF-8 (at byte 9)"},
        {"\xe2\x82", "/a", "ok", "http://x/i.png", "label is not valid UTF-8 (at byte 0)"},
        {"a", "/\xc0\xaf", "ok", "http://x/i.png", "folder is not valid UTF-8 (at byte 1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sekha_messages *b = sekha_messages_new();
        sekha_messages_add_parts(b, "user");
        sekha_messages_add_text_part(b, "first");
        sekha_messages_add_text_part(b, cases[i].part);
        sekha_messages_add_image_part(b, cases[i].url, NULL);
        /* A setter refusing label or folder is reported by the call. */
        sekha_params *p = sekha_params_new();
        sekha_params_set_text(p, SEKHA_PARAM_LABEL, cases[i].label);
        sekha_params_set_text(p, SEKHA_PARAM_FOLDER, cases[i].folder);
        got g = {0};
        sekha_controller_create_conversation(cl, b, p, on_conv, &g);
        sekha_messages_free(b);
        sekha_params_free(p);
        cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
        cr_assert_eq(g.calls, 1);
        cr_assert_eq(g.code, SEKHA_E_INVALID_ARG, "case %zu: %s", i, g.message);
        cr_assert_eq(g.layer, SEKHA_LAYER_LOCAL);
        cr_assert_not_null(strstr(g.message, cases[i].want), "case %zu: %s", i, g.message);
        cr_assert_not_null(strstr(g.message, "sekha_controller_create_conversation: "),
                           "case %zu: %s", i, g.message);
    }
    cr_assert_eq(hits("/api/v1/conversations"), 0, "nothing was sent");
}

Test(wire_utf8, valid_utf8_of_every_length_goes_through_unchanged)
{
    /* 2-, 3- and 4-byte characters, the edges of the ranges, and a long ASCII run first so
     * the block scan meets them mid-block. */
    static const char text[] = "0123456789abcdefghij caf\xc3\xa9 \xe2\x98\x95 \xf0\x9d\x84\x9e "
                               "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
                               "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf end";
    sekha_messages *b = sekha_messages_new();
    sekha_messages_add(b, "user", text);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "caf\xc3\xa9"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FOLDER, "/\xe2\x98\x95"), SEKHA_OK);
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, b, p, &conv, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_messages_free(b);
    cr_assert_str_eq(sekha_conversation_label(conv), "caf\xc3\xa9");
    cr_assert_str_eq(sekha_conversation_folder(conv), "/\xe2\x98\x95");
    sekha_params_free(p);
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 10), SEKHA_OK);
    sekha_stored_messages *msgs = NULL;
    cr_assert_eq(sekha_controller_full_text_search_sync(cl, "end", p, &msgs, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    cr_assert_eq(sekha_stored_messages_count(msgs), 1);
    cr_assert_str_eq(sekha_stored_message_content(sekha_stored_messages_at(msgs, 0)), text);
    sekha_stored_messages_free(msgs);
    sekha_search_results *res = NULL;
    cr_assert_eq(sekha_controller_query_sync(cl, text, p, &res, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_search_results_free(res);
    sekha_params_free(p);
    sekha_conversation_free(conv);
}

Test(wire_utf8, query_and_full_text_search_name_the_byte_and_send_nothing)
{
    /* The bad byte after a full block of ASCII, inside one, and at the very end. */
    static const struct {
        const char *q;
        const char *want;
    } cases[] = {
        {"caf\xc3", "query is not valid UTF-8 (at byte 3)"},
        {"0123456789abcdef0123\x80xyz", "query is not valid UTF-8 (at byte 20)"},
        {"0123456789abcdef0123456789abcdef\xf5\x80\x80\x80", "query is not valid UTF-8 (at byte 32)"},
        {"ok \xf0\x8f\xbf\xbf overlong", "query is not valid UTF-8 (at byte 3)"},
        {"ok \xf4\x90\x80\x80 too high", "query is not valid UTF-8 (at byte 3)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sekha_search_results *res = NULL;
        sekha_error *err = NULL;
        sekha_code rc = sekha_controller_query_sync(cl, cases[i].q, NULL, &res, &err);
        cr_assert_null(res);
        refused(rc, err, cases[i].want, "sekha_controller_query");
        sekha_stored_messages *msgs = NULL;
        rc = sekha_controller_full_text_search_sync(cl, cases[i].q, NULL, &msgs, &err);
        cr_assert_null(msgs);
        refused(rc, err, cases[i].want, "sekha_controller_full_text_search");
    }
    cr_assert_eq(hits("/api/v1/query"), 0, "nothing was sent");
    cr_assert_eq(hits("/api/v1/search/fts"), 0, "nothing was sent");
}

Test(wire_utf8, filters_json_must_be_utf8_json)
{
    sekha_search_results *res = NULL;
    sekha_error *err = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "{\"label\":\"\xff\"}"),
                 SEKHA_E_INVALID_ARG);
    sekha_code rc = sekha_controller_query_sync(cl, "q", p, &res, &err);
    refused(rc, err, "filters_json is not valid UTF-8 (at byte 10)", "sekha_controller_query");
    sekha_params_free(p);
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "{\"label\":\"x\"} trailing"),
                 SEKHA_E_INVALID_ARG);
    rc = sekha_controller_query_sync(cl, "q", p, &res, &err);
    refused(rc, err, "filters_json is not valid JSON", NULL);
    sekha_params_free(p);
    cr_assert_eq(hits("/api/v1/query"), 0, "nothing was sent");
}

Test(wire_utf8, updates_context_and_labels_name_the_field)
{
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_update_label_sync(cl, UUID1, "ok", "/b\xfe", &err);
    refused(rc, err, "folder is not valid UTF-8 (at byte 2)", "sekha_controller_update_label");
    rc = sekha_controller_update_folder_sync(cl, UUID1, "\xc1\xbf", &err);
    refused(rc, err, "folder is not valid UTF-8 (at byte 0)", "sekha_controller_update_folder");
    cr_assert_eq(hits("/api/v1/conversations/" UUID1 "/label"), 0);
    cr_assert_eq(hits("/api/v1/conversations/" UUID1 "/folder"), 0);

    const char *const preferred[] = {"ok", "b\xff", NULL};
    const char *const excluded[] = {"/x\xe0\x80\x80", NULL};
    sekha_stored_messages *msgs = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_PREFERRED_LABELS, preferred),
                 SEKHA_E_INVALID_ARG);
    rc = sekha_controller_assemble_context_sync(cl, "q", p, &msgs, &err);
    refused(rc, err, "preferred_labels[1] is not valid UTF-8 (at byte 1)",
            "sekha_controller_assemble_context");
    sekha_params_free(p);
    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS, excluded),
                 SEKHA_E_INVALID_ARG);
    rc = sekha_controller_assemble_context_sync(cl, "q", p, &msgs, &err);
    refused(rc, err, "excluded_folders[0] is not valid UTF-8 (at byte 2)", NULL);
    sekha_params_free(p);
    rc = sekha_controller_assemble_context_sync(cl, "\xff", NULL, &msgs, &err);
    refused(rc, err, "query is not valid UTF-8 (at byte 0)", NULL);
    cr_assert_null(msgs);
    cr_assert_eq(hits("/api/v1/context/assemble"), 0, "nothing was sent");
}

/* ================================================================ MCP */

/* Parameters holding one text key (a failed set is remembered and reported by the call). */
static sekha_params *text_param(sekha_param key, const char *value)
{
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    sekha_params_set_text(p, key, value);
    return p;
}

/* A call given p; p is freed after. */
#define WITH(p, call) \
    do {             \
        call;        \
        sekha_params_free(p); \
    } while (0)

Test(wire_utf8, mcp_tools_refuse_before_sending)
{
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    sekha_code rc;
    sekha_messages *good = sekha_messages_new(), *bad = sekha_messages_new(),
                   *none = sekha_messages_new();
    sekha_messages_add(good, "user", "hello");
    sekha_messages_add(bad, "user", "bad \xff");
    sekha_params *p = text_param(SEKHA_PARAM_LABEL, "l\xff");
    WITH(p, rc = sekha_mcp_memory_store_sync(cl, good, p, &d, &err));
    refused(rc, err, "label is not valid UTF-8 (at byte 1)", "memory_store");
    rc = sekha_mcp_memory_store_sync(cl, bad, NULL, &d, &err);
    refused(rc, err, "messages[0].content is not valid UTF-8 (at byte 4)", "memory_store");
    rc = sekha_mcp_memory_store_sync(cl, none, NULL, &d, &err);
    refused(rc, err, "messages", NULL);
    rc = sekha_mcp_memory_search_sync(cl, "caf\xc3", NULL, &d, &err);
    refused(rc, err, "query is not valid UTF-8 (at byte 3)", "memory_search");
    p = text_param(SEKHA_PARAM_FILTERS_JSON, "{\"label\":\"x\"} {}");
    WITH(p, rc = sekha_mcp_memory_search_sync(cl, "q", p, &d, &err));
    refused(rc, err, "filters", NULL);
    p = text_param(SEKHA_PARAM_FILTERS_JSON, "{\"label\":\"\xff\"}");
    WITH(p, rc = sekha_mcp_memory_search_sync(cl, "q", p, &d, &err));
    refused(rc, err, "filters_json is not valid UTF-8 (at byte 10)", NULL);
    p = text_param(SEKHA_PARAM_STATUS, "act\xffive");
    WITH(p, rc = sekha_mcp_memory_update_sync(cl, UUID1, p, &d, &err));
    refused(rc, err, "status is not valid UTF-8 (at byte 3)", "memory_update");
    p = text_param(SEKHA_PARAM_FOLDER, "/\xff");
    WITH(p, rc = sekha_mcp_memory_stats_sync(cl, p, &d, &err));
    refused(rc, err, "folder is not valid UTF-8 (at byte 1)", "memory_stats");
    p = text_param(SEKHA_PARAM_FORMAT, "js\xffon");
    WITH(p, rc = sekha_mcp_memory_export_sync(cl, UUID1, p, &d, &err));
    refused(rc, err, "format is not valid UTF-8 (at byte 2)", "memory_export");
    sekha_messages_free(good);
    sekha_messages_free(bad);
    sekha_messages_free(none);
    cr_assert_null(d);
    static const char *const tools[] = {"memory_store", "memory_search", "memory_update",
                                        "memory_stats", "memory_export"};
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        char path[64];
        snprintf(path, sizeof path, "/mcp/tools/%s", tools[i]);
        cr_assert_eq(hits(path), 0, "%s reached the server", path);
    }
}

Test(wire_utf8, mcp_session_refuses_bad_arguments_and_names)
{
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(cl, NULL, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    long before = hits("/mcp");
    cr_assert_gt(before, 0, "initialize was counted");
    sekha_mcp_tool_result *r = NULL;
    sekha_code rc = sekha_mcp_session_call_tool_sync(s, "memory_stats", "{\"folder\":\"\xff\"}",
                                                     NULL, &r, &err);
    refused(rc, err, "arguments_json is not valid UTF-8 (at byte 11)", NULL);
    rc = sekha_mcp_session_call_tool_sync(s, "memory_stats", "{} {}", NULL, &r, &err);
    refused(rc, err, "arguments_json is not valid JSON", NULL);
    rc = sekha_mcp_session_call_tool_sync(s, "memory\xff", NULL, NULL, &r, &err);
    refused(rc, err, "name is not valid UTF-8 (at byte 6)", NULL);
    cr_assert_null(r);
    sekha_mcp_data *d = NULL;
    rc = sekha_mcp_session_request_sync(s, "ping", "{\"x\":\"\xc3\"}", &d, &err);
    refused(rc, err, "params_json is not valid UTF-8 (at byte 6)", NULL);
    rc = sekha_mcp_session_request_sync(s, "pi\xffng", NULL, &d, &err);
    refused(rc, err, "method is not valid UTF-8 (at byte 2)", NULL);
    sekha_mcp_tools *t = NULL;
    sekha_params *p = text_param(SEKHA_PARAM_CURSOR, "cur\xffsor");
    WITH(p, rc = sekha_mcp_session_list_tools_sync(s, p, &t, &err));
    refused(rc, err, "cursor is not valid UTF-8 (at byte 3)", NULL);
    cr_assert_eq(sekha_mcp_session_notify(s, "notifications/x", "{\"a\":\"\xff\"}"),
                 SEKHA_E_INVALID_ARG);
    cr_assert_eq(hits("/mcp"), before, "nothing was sent after initialize");
    sekha_mcp_session_free(s);
}

Test(wire_utf8, mcp_session_settings_refuse_bad_text)
{
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(cl, NULL, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_session_set_client_info(s, "app\xff", "1.0"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_session_set_client_info(s, "app", "1.\xc3"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_session_set_capabilities(s, "{\"x\":\"\xff\"}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_session_set_capabilities(s, "{} []"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_session_set_client_info(s, "app \xe2\x98\x95", "1.0"), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_set_capabilities(s, "{\"x\":\"\xe2\x98\x95\"}"), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_mcp_session_free(s);
}

/* ================================================================ workflows */

Test(wire_utf8, store_and_query_checks_the_query_before_storing)
{
    sekha_messages *b = sekha_messages_new();
    sekha_messages_add(b, "user", "fine");
    sekha_stored_query *out = NULL;
    sekha_error *err = NULL;
    sekha_params *p = text_param(SEKHA_PARAM_LABEL, "l");
    sekha_code rc;
    WITH(p, rc = sekha_workflow_store_and_query_sync(cl, b, "bad \xff", p, &out, &err));
    sekha_messages_free(b);
    cr_assert_null(out);
    refused(rc, err, "query is not valid UTF-8 (at byte 4)", NULL);
    cr_assert_eq(hits("/api/v1/conversations"), 0, "nothing was stored");
    cr_assert_eq(hits("/api/v1/query"), 0);
}

Test(wire_utf8, chat_workflows_check_query_and_model_before_recall)
{
    const char *const labels[] = {"a\xff", NULL};
    for (int i = 0; i < 4; i++) {
        sekha_answer *out = NULL;
        sekha_error *err = NULL;
        sekha_code rc;
        /* The setters refuse the text; the call reports the first refusal. */
        sekha_params *p = NULL;
        if (i == 0) {
            p = text_param(SEKHA_PARAM_SEARCH_QUERY, "caf\xc3");
            WITH(p, rc = sekha_workflow_complete_with_memory_sync(cl, "hi", p, &out, &err));
            refused(rc, err, "search_query is not valid UTF-8 (at byte 3)", NULL);
        } else if (i == 1) {
            p = text_param(SEKHA_PARAM_MODEL, "m\xff");
            WITH(p, rc = sekha_workflow_complete_with_memory_sync(cl, "hi", p, &out, &err));
            refused(rc, err, "model is not valid UTF-8 (at byte 1)", NULL);
        } else if (i == 2) {
            p = text_param(SEKHA_PARAM_MODEL, "m\xff");
            WITH(p, rc = sekha_workflow_complete_with_context_sync(cl, "hi", p, &out, &err));
            refused(rc, err, "model is not valid UTF-8 (at byte 1)", NULL);
        } else {
            p = sekha_params_new();
            cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_PREFERRED_LABELS, labels),
                         SEKHA_E_INVALID_ARG);
            WITH(p, rc = sekha_workflow_complete_with_context_sync(cl, "hi", p, &out, &err));
            refused(rc, err, "preferred_labels[0] is not valid UTF-8 (at byte 1)", NULL);
        }
        /* the answer of a failure holds what was done: nothing */
        cr_assert_null(sekha_answer_completion(out), "case %d", i);
        cr_assert_null(sekha_answer_prompt(out), "case %d", i);
        sekha_answer_free(out);
    }
    cr_assert_eq(hits("/api/v1/query"), 0);
    cr_assert_eq(hits("/api/v1/context/assemble"), 0);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 0);
}

/* ================================================================ the writer */

Test(wire_utf8, jw_string_refuses_and_leaves_the_buffer)
{
    static const char *const bad[] = {
        "\x80", "a\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2 ", "\xe0\x80\x80", "\xe0\x9f\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xef\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
        "0123456789abcdef\"\\\n\xff", "0123456789abcdefghijklmnopqrstu\xc3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sekha_buf b = {0};
        cr_assert_eq(sekha__buf_puts(&b, "{\"k\":"), 0);
        cr_assert_eq(sekha__jw_string(&b, bad[i]), SEKHA_JW_NOT_UTF8, "case %zu", i);
        cr_assert_str_eq(sekha__buf_str(&b), "{\"k\":", "case %zu: the buffer is unchanged", i);
        size_t n = strlen(bad[i]), at = sekha__utf8_invalid_at(bad[i], n);
        cr_assert_lt(at, n, "case %zu", i);
        sekha__buf_free(&b);
    }
    static const char *const good[] = {"", "plain", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
                                       "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
                                       "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                                       "0123456789abcdef\xe2\x98\x95\"\n0123456789abcdef"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        sekha_buf b = {0};
        cr_assert_eq(sekha__jw_string(&b, good[i]), 0, "case %zu", i);
        cJSON *v = cJSON_ParseWithOpts(sekha__buf_str(&b), NULL, 1);
        cr_assert(cJSON_IsString(v), "case %zu: %s", i, sekha__buf_str(&b));
        cr_assert_str_eq(v->valuestring, good[i]);
        cr_assert_eq(sekha__utf8_invalid_at(good[i], strlen(good[i])), strlen(good[i]));
        cJSON_Delete(v);
        sekha__buf_free(&b);
    }
}

Test(wire_utf8, jw_tree_writes_json_and_names_the_path)
{
    cJSON *root = cJSON_Parse("{\"a\":[1,-2.5,1e300,true,false,null,{\"b\":\"x\"}],\"c\":\"\\u00e9\"}");
    cr_assert_not_null(root);
    sekha_buf b = {0};
    char why[256];
    cr_assert_eq(sekha__jw_tree(&b, root, why, sizeof why), 0, "%s", why);
    cr_assert_str_eq(sekha__buf_str(&b),
                     "{\"a\":[1,-2.5,1e+300,true,false,null,{\"b\":\"x\"}],\"c\":\"\xc3\xa9\"}");
    sekha__buf_free(&b);
    /* a bad string deep inside, then a bad key */
    cJSON *inner = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "a"), 6);
    cJSON_AddItemToObject(inner, "bad", cJSON_CreateString("ok \xe2\x28\xa1"));
    cr_assert_eq(sekha__jw_tree(&b, root, why, sizeof why), SEKHA_JW_NOT_UTF8);
    cr_assert_str_eq(why, "a[6].bad is not valid UTF-8 (at byte 3)");
    cr_assert_eq(b.len, 0, "nothing is left written");
    cJSON_DeleteItemFromObject(inner, "bad");
    cJSON_AddItemToObject(inner, "k\xff", cJSON_CreateNull());
    cr_assert_eq(sekha__jw_tree(&b, root, why, sizeof why), SEKHA_JW_NOT_UTF8);
    cr_assert_str_eq(why, "a key in a[6] is not valid UTF-8 (at byte 1)");
    cJSON_Delete(root);
    sekha__buf_free(&b);
}

Test(wire_utf8, json_text_check_names_syntax_and_encoding)
{
    char why[128];
    cr_assert_eq(sekha__jw_check_text("{\"a\":[1,2]}", "x_json", why, sizeof why), 0);
    cr_assert_neq(sekha__jw_check_text("{\"a\":\"\xff\"}", "x_json", why, sizeof why), 0);
    cr_assert_str_eq(why, "x_json is not valid UTF-8 (at byte 6)");
    cr_assert_neq(sekha__jw_check_text("{\"a\":1,}", "x_json", why, sizeof why), 0);
    cr_assert_str_eq(why, "x_json is not valid JSON (broken at byte 7)");
    cr_assert_neq(sekha__jw_check_text("", "x_json", why, sizeof why), 0);
    cr_assert_neq(sekha__jw_check_text("[] []", "x_json", why, sizeof why), 0);
}
