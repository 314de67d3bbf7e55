/* The Sekha memory tools over the devserver's /mcp/tools/<tool> endpoints: envelopes,
 * error mapping (service, not-found, server, auth), key fallback, integer importance,
 * local validation, async and sync forms. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DEV_KEY "dev_default_key_change_me_1234567890"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(mcp_tools, .init = setup, .fini = teardown, .timeout = 60);

/* A client whose MCP key comes from the controller key (the fallback) unless key_mcp. */
static sekha_client *client_with(const char *controller_key, const char *mcp_key)
{
    sekha_options *o = test_options(&ds);
    if (controller_key)
        cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, controller_key), SEKHA_OK);
    if (mcp_key)
        cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_MCP, mcp_key), SEKHA_OK);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_MCP, 0, 1000), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

typedef struct got {
    int calls;
    sekha_code code;
    sekha_layer layer;
    int status;
    char message[512];
    char json[8192];
} got;

static void data_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d, void *ud)
{
    (void)req;
    got *g = ud;
    g->calls++;
    g->code = sekha_error_code(err);
    g->layer = sekha_error_layer(err);
    g->status = sekha_error_http_status(err);
    snprintf(g->message, sizeof g->message, "%s",
             sekha_error_service_message(err) ? sekha_error_service_message(err) : "");
    snprintf(g->json, sizeof g->json, "%s", d ? sekha_mcp_data_json(d) : "");
    cr_assert((err == NULL) == (d != NULL), "exactly one of error and data");
}

static const char *MESSAGES =
    "[{\"role\":\"user\",\"content\":\"How do I tune the zebra cache eviction policy?\"},"
    "{\"role\":\"assistant\",\"content\":\"Use an LRU with a zebra-sized window.\"}]";

static char *store(sekha_client *c, const char *label, const char *folder, int importance)
{
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_store_sync(c, label, folder, MESSAGES, importance, &d, &err),
                 SEKHA_OK, "store: %s", sekha_error_message(err));
    const char *id = sekha_mcp_data_str(d, "conversation_id");
    cr_assert_not_null(id);
    cr_assert_str_eq(sekha_mcp_data_str(d, "label"), label);
    char *copy = strdup(id);
    sekha_mcp_data_free(d);
    return copy;
}

Test(mcp_tools, store_search_context_update_export_prune_stats)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    char *id = store(c, "Zebra cache", "/eng/caches", 7);

    /* async search finds it, unwrapped from the envelope */
    got g = {0};
    cr_assert_not_null(sekha_mcp_memory_search(c, "zebra cache eviction", NULL, 5, data_cb, &g));
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.calls, 1);
    cr_assert_eq(g.code, SEKHA_OK, "%s", g.message);
    cr_assert_not_null(strstr(g.json, "\"total_results\":"), "%s", g.json);
    cr_assert_null(strstr(g.json, "\"success\""), "the envelope is unwrapped: %s", g.json);

    sekha_mcp_data *d = NULL;
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "zebra cache eviction", NULL, 5, &d, NULL), SEKHA_OK);
    cr_assert_geq(sekha_mcp_data_count(d, "results"), 1);
    cr_assert_str_eq(sekha_mcp_data_str(d, "results.0.conversation_id"), id);
    cr_assert_not_null(strstr(sekha_mcp_data_str(d, "results.0.content"), "zebra"));
    cr_assert_eq(sekha_mcp_data_num(d, "limit", 0), 5);
    sekha_mcp_data_free(d);

    /* importance went out as an integer: the endpoint takes an i32 and kept it */
    cr_assert_eq(sekha_mcp_memory_get_context_sync(c, id, &d, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_data_num(d, "importance_score", 0), 7);
    cr_assert_str_eq(sekha_mcp_data_str(d, "folder"), "/eng/caches");
    sekha_mcp_data_free(d);

    cr_assert_eq(sekha_mcp_memory_update_sync(c, id, "Zebra cache v2", NULL, NULL, 9, &d, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_data_count(d, "updated_fields"), 2);
    cr_assert_str_eq(sekha_mcp_data_str(d, "updated_fields.0"), "label");
    sekha_mcp_data_free(d);

    cr_assert_eq(sekha_mcp_memory_export_sync(c, id, "markdown", 0, &d, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_mcp_data_str(d, "conversation.label"), "Zebra cache v2");
    cr_assert_eq(sekha_mcp_data_num(d, "conversation.importance_score", 0), 9);
    cr_assert_eq(sekha_mcp_data_count(d, "messages"), 2);
    cr_assert_str_eq(sekha_mcp_data_str(d, "messages.1.role"), "assistant");
    cr_assert_str_eq(sekha_mcp_data_str(d, "format"), "markdown");
    cr_assert_eq(sekha_mcp_data_bool(d, "include_metadata", 1), 0);
    sekha_mcp_data_free(d);

    cr_assert_eq(sekha_mcp_memory_prune_sync(c, 1, 5.0, &d, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_data_num(d, "threshold_days", 0), 1);
    cr_assert_eq(sekha_mcp_data_count(d, "suggestions"), (size_t)sekha_mcp_data_num(d, "total_suggestions", -1));
    sekha_mcp_data_free(d);

    cr_assert_eq(sekha_mcp_memory_stats_sync(c, "/eng/caches", NULL, &d, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_data_num(d, "total_conversations", 0), 1);
    cr_assert_str_eq(sekha_mcp_data_str(d, "folders.0"), "/eng/caches");
    cr_assert_null(sekha_mcp_data_str(d, "folders.1"));
    sekha_mcp_data_free(d);
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, "Zebra cache v2", &d, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_mcp_data_str(d, "labels.0"), "Zebra cache v2");
    sekha_mcp_data_free(d);
    free(id);
    sekha_client_free(c);
}

Test(mcp_tools, mcp_key_falls_back_to_the_controller_key)
{
    sekha_client *c = client_with(DEV_KEY, NULL);
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, NULL, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_data_num(d, "total_conversations", -1), 0);
    sekha_mcp_data_free(d);
    sekha_client_free(c);
}

Test(mcp_tools, success_false_is_a_service_error_with_the_servers_message)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    got g = {0};
    sekha_mcp_memory_stats(c, "/a", "b", data_cb, &g);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.calls, 1);
    cr_assert_eq(g.code, SEKHA_E_SERVICE);
    cr_assert_eq(g.layer, SEKHA_LAYER_SERVICE);
    cr_assert_str_eq(g.message, "Cannot specify both folder and label");

    /* a failure without a message still says what happened */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"steps\":[{\"status\":200,"
                                          "\"body\":\"{\\\"success\\\":false,\\\"data\\\":null,\\\"error\\\":null}\"}]}"), 0);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, NULL, NULL, &err), SEKHA_E_SERVICE);
    cr_assert_not_null(strstr(sekha_error_message(err), "without a message"));
    cr_assert_null(sekha_error_service_message(err), "the server said nothing");
    sekha_error_free(err);

    /* no envelope at all */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"steps\":[{\"status\":200,"
                                          "\"body\":\"{\\\"data\\\":1}\"}]}"), 0);
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, NULL, NULL, NULL), SEKHA_E_BAD_RESPONSE);
    sekha_client_free(c);
}

Test(mcp_tools, empty_404_and_500_map_to_not_found_and_server)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    sekha_error *err = NULL;
    sekha_mcp_data *d = NULL;
    cr_assert_eq(sekha_mcp_memory_get_context_sync(c, "0b6f0c1e-1111-4a2b-8c3d-000000000000", &d, &err),
                 SEKHA_E_NOT_FOUND);
    cr_assert_null(d);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_HTTP);
    cr_assert_eq(sekha_error_http_status(err), 404);
    sekha_error_free(err);

    /* a read-only tool is retried on 500, then reported as a server error */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"repeat\":true,"
                                          "\"steps\":[{\"status\":500,\"body\":\"\"}]}"), 0);
    got g = {0};
    sekha_mcp_memory_stats(c, NULL, NULL, data_cb, &g);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.code, SEKHA_E_SERVER);
    cr_assert_eq(g.status, 500);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_stats"), 4, "first try plus 3 retries");
    sekha_client_free(c);
}

Test(mcp_tools, missing_wrong_and_malformed_keys_are_auth_errors)
{
    sekha_client *none = client_with(NULL, NULL);
    got g = {0};
    sekha_mcp_memory_stats(none, NULL, NULL, data_cb, &g);
    cr_assert_eq(sekha_client_run(none), SEKHA_OK);
    cr_assert_eq(g.code, SEKHA_E_AUTH);
    cr_assert_eq(g.status, 401);
    cr_assert_str_eq(g.message, "Missing authorization header");
    sekha_client_free(none);

    sekha_client *wrong = client_with(NULL, "wrong_key_wrong_key_wrong_key_wrong_key");
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_search_sync(wrong, "x", NULL, 0, NULL, &err), SEKHA_E_AUTH);
    cr_assert_str_eq(sekha_error_service_message(err), "Invalid API key");
    sekha_error_free(err);
    sekha_client_free(wrong);

    /* The controller's 400 for an Authorization header without "Bearer ": the library
     * never sends one, so the answer is scripted; it must come out as an auth error, from
     * the async and the sync paths alike. */
    sekha_client *c = client_with(NULL, DEV_KEY);
    const char *rule = "{\"path\":\"/mcp/tools/memory_search\",\"steps\":[{\"status\":400,"
                       "\"body\":\"{\\\"error\\\":\\\"Invalid authorization format\\\"}\"}]}";
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    memset(&g, 0, sizeof g);
    sekha_mcp_memory_search(c, "x", NULL, 0, data_cb, &g);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.code, SEKHA_E_AUTH);
    cr_assert_eq(g.status, 400);
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "x", NULL, 0, NULL, &err), SEKHA_E_AUTH);
    cr_assert_eq(sekha_error_code(err), SEKHA_E_AUTH);
    cr_assert_not_null(strstr(sekha_error_message(err), "authentication failed"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "x", NULL, 0, NULL, NULL), SEKHA_E_AUTH,
                 "the code is remapped even when the caller does not ask for the error");
    /* other 400s stay bad requests */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_search\",\"steps\":[{\"status\":400,"
                                          "\"body\":\"{\\\"error\\\":\\\"something else\\\"}\"}]}"), 0);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "x", NULL, 0, NULL, NULL), SEKHA_E_BAD_REQUEST);
    sekha_client_free(c);
}

Test(mcp_tools, bad_arguments_fail_locally_through_the_callback)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    got g[6] = {{0}};
    cr_assert_not_null(sekha_mcp_memory_get_context(c, "not-a-uuid", data_cb, &g[0]));
    cr_assert_not_null(sekha_mcp_memory_search(c, "", NULL, 0, data_cb, &g[1]));
    cr_assert_not_null(sekha_mcp_memory_search(c, "q", "[1,2]", 0, data_cb, &g[2]));
    cr_assert_not_null(sekha_mcp_memory_store(c, "l", "/f", "[]", -1, data_cb, &g[3]));
    cr_assert_not_null(sekha_mcp_memory_store(c, "l", "/f", MESSAGES, 11, data_cb, &g[4]));
    cr_assert_not_null(sekha_mcp_memory_update(c, "0b6f0c1e-1111-4a2b-8c3d-000000000000", NULL, NULL,
                                               NULL, 0, data_cb, &g[5]));
    for (int i = 0; i < 6; i++)
        cr_assert_eq(g[i].calls, 0, "callbacks come from the loop, never from the call");
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(g[i].calls, 1);
        cr_assert_eq(g[i].code, SEKHA_E_INVALID_ARG, "case %d", i);
        cr_assert_eq(g[i].layer, SEKHA_LAYER_LOCAL);
    }
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_search"), 0);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_store"), 0);
    cr_assert_null(sekha_mcp_memory_stats(NULL, NULL, NULL, data_cb, &g[0]));
    sekha_client_free(c);
}

Test(mcp_tools, cancel_and_client_free_give_one_final_callback)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"repeat\":true,"
                                          "\"steps\":[{\"stall\":true}]}"), 0);
    got a = {0}, b = {0};
    sekha_request *r = sekha_mcp_memory_stats(c, NULL, NULL, data_cb, &a);
    sekha_mcp_memory_stats(c, NULL, NULL, data_cb, &b);
    sekha_request_cancel(r);
    while (a.calls == 0)
        sekha_client_poll(c, 1000);
    cr_assert_eq(a.code, SEKHA_E_CANCELLED);
    sekha_client_free(c);
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(b.code, SEKHA_E_CLOSED);
}
