/* The Sekha memory tools over the devserver's /mcp/tools/<tool> endpoints: envelopes,
 * error mapping (service, not-found, server, auth), key fallback, integer importance,
 * local validation, parameters, defaults, results shared across threads, async and sync
 * forms. */
#include <pthread.h>
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

/* The February controller mounts no /mcp/tools routes: there every tool call fails with an
 * error that says so (what a user of that deployment gets), and a test that needs the
 * routes has nothing more to check. Returns 1 in that case. */
static int no_tool_routes(void)
{
    if (!ds_test_upstream_is("2026-02"))
        return 0;
    sekha_client *c = client_with(NULL, DEV_KEY);
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_neq(sekha_mcp_memory_stats_sync(c, NULL, &d, &err), SEKHA_OK);
    cr_assert_null(d);
    cr_assert_not_null(strstr(sekha_error_message(err), "MCP tool routes"), "names what is "
                       "missing: %s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_client_free(c);
    return 1;
}

typedef struct got {
    int calls;
    sekha_code code;
    sekha_layer layer;
    int status;
    char message[512];
    char text[512];
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
    snprintf(g->text, sizeof g->text, "%s", err ? sekha_error_message(err) : "");
    snprintf(g->json, sizeof g->json, "%s", d ? sekha_mcp_data_json(d) : "");
    cr_assert((err == NULL) == (d != NULL), "exactly one of error and data");
}

/* The conversation every test stores. */
static sekha_messages *messages(void)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "How do I tune the zebra cache eviction policy?"),
                 SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "assistant", "Use an LRU with a zebra-sized window."),
                 SEKHA_OK);
    return m;
}

/* Parameters from a few keys: text keys take strings, the others numbers. */
static sekha_params *params_of(const char *label, const char *folder, int importance)
{
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, label), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FOLDER, folder), SEKHA_OK);
    if (importance)
        cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, importance), SEKHA_OK);
    return p;
}

static char *store(sekha_client *c, const char *label, const char *folder, int importance)
{
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    sekha_messages *m = messages();
    sekha_params *p = params_of(label, folder, importance);
    cr_assert_eq(sekha_mcp_memory_store_sync(c, m, p, &d, &err),
                 SEKHA_OK, "store: %s", sekha_error_message(err));
    sekha_params_free(p);
    sekha_messages_free(m);
    const char *id = sekha_mcp_data_str(d, "conversation_id");
    cr_assert_not_null(id);
    cr_assert_str_eq(sekha_mcp_data_str(d, "label"), label);
    char *copy = strdup(id);
    sekha_mcp_data_free(d);
    return copy;
}

Test(mcp_tools, store_search_context_update_export_prune_stats)
{
    if (no_tool_routes())
        return;
    sekha_client *c = client_with(NULL, DEV_KEY);
    char *id = store(c, "Zebra cache", "/eng/caches", 7);

    /* async search finds it, unwrapped from the envelope */
    got g = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 5), SEKHA_OK);
    cr_assert_not_null(sekha_mcp_memory_search(c, "zebra cache eviction", p, data_cb, &g));
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.calls, 1);
    cr_assert_eq(g.code, SEKHA_OK, "%s", g.message);
    cr_assert_not_null(strstr(g.json, "\"total_results\":"), "%s", g.json);
    cr_assert_null(strstr(g.json, "\"success\""), "the envelope is unwrapped: %s", g.json);

    sekha_mcp_data *d = NULL;
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "zebra cache eviction", p, &d, NULL), SEKHA_OK);
    sekha_params_free(p);
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

    p = params_of("Zebra cache v2", NULL, 9);
    cr_assert_eq(sekha_mcp_memory_update_sync(c, id, p, &d, NULL), SEKHA_OK);
    sekha_params_free(p);
    /* The deployed controller saves label and folder only, though it lists the importance
     * as updated too; the result reports what was really stored. */
    int saves_all = !ds_test_upstream();
    if (saves_all) {
        cr_assert_eq(sekha_mcp_data_count(d, "updated_fields"), 2);
        cr_assert_str_eq(sekha_mcp_data_str(d, "updated_fields.0"), "label");
    } else {
        for (size_t i = 0; i < sekha_mcp_data_count(d, "updated_fields"); i++) {
            char path[48];
            snprintf(path, sizeof path, "updated_fields.%zu", i);
            cr_assert_str_neq(sekha_mcp_data_str(d, path), "importance_score",
                              "not stored, so not reported: %s", sekha_mcp_data_json(d));
        }
    }
    sekha_mcp_data_free(d);

    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FORMAT, "markdown"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_INCLUDE_METADATA, 0), SEKHA_OK);
    cr_assert_eq(sekha_mcp_memory_export_sync(c, id, p, &d, NULL), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_str_eq(sekha_mcp_data_str(d, "conversation.label"), "Zebra cache v2");
    cr_assert_eq(sekha_mcp_data_num(d, "conversation.importance_score", 0), saves_all ? 9 : 7);
    cr_assert_eq(sekha_mcp_data_count(d, "messages"), 2);
    cr_assert_str_eq(sekha_mcp_data_str(d, "messages.1.role"), "assistant");
    cr_assert_str_eq(sekha_mcp_data_str(d, "format"), "markdown");
    cr_assert_eq(sekha_mcp_data_bool(d, "include_metadata", 1), 0);
    sekha_mcp_data_free(d);

    p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_THRESHOLD_DAYS, 1), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_IMPORTANCE_THRESHOLD, 5.0), SEKHA_OK);
    cr_assert_eq(sekha_mcp_memory_prune_sync(c, p, &d, NULL), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_mcp_data_num(d, "threshold_days", 0), 1);
    cr_assert_eq(sekha_mcp_data_count(d, "suggestions"), (size_t)sekha_mcp_data_num(d, "total_suggestions", -1));
    sekha_mcp_data_free(d);

    p = params_of(NULL, "/eng/caches", 0);
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, p, &d, NULL), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_eq(sekha_mcp_data_num(d, "total_conversations", 0), 1);
    cr_assert_str_eq(sekha_mcp_data_str(d, "folders.0"), "/eng/caches");
    cr_assert_null(sekha_mcp_data_str(d, "folders.1"));
    sekha_mcp_data_free(d);
    p = params_of("Zebra cache v2", NULL, 0);
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, p, &d, NULL), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_str_eq(sekha_mcp_data_str(d, "labels.0"), "Zebra cache v2");
    sekha_mcp_data_free(d);
    free(id);
    sekha_client_free(c);
}

Test(mcp_tools, mcp_key_falls_back_to_the_controller_key)
{
    if (no_tool_routes())
        return;
    sekha_client *c = client_with(DEV_KEY, NULL);
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_data_num(d, "total_conversations", -1), 0);
    sekha_mcp_data_free(d);
    sekha_client_free(c);
}

Test(mcp_tools, success_false_is_a_service_error_with_the_servers_message)
{
    if (no_tool_routes())
        return;
    sekha_client *c = client_with(NULL, DEV_KEY);
    got g = {0};
    sekha_params *p = params_of("b", "/a", 0);
    sekha_mcp_memory_stats(c, p, data_cb, &g);
    sekha_params_free(p);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.calls, 1);
    cr_assert_eq(g.code, SEKHA_E_SERVICE);
    cr_assert_eq(g.layer, SEKHA_LAYER_SERVICE);
    cr_assert_str_eq(g.message, "Cannot specify both folder and label");

    /* a failure without a message still says what happened */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"steps\":[{\"status\":200,"
                                          "\"body\":\"{\\\"success\\\":false,\\\"data\\\":null,\\\"error\\\":null}\"}]}"), 0);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, NULL, &err), SEKHA_E_SERVICE);
    cr_assert_not_null(strstr(sekha_error_message(err), "without a message"));
    cr_assert_null(sekha_error_service_message(err), "the server said nothing");
    sekha_error_free(err);

    /* no envelope at all */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"steps\":[{\"status\":200,"
                                          "\"body\":\"{\\\"data\\\":1}\"}]}"), 0);
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, NULL, NULL, NULL), SEKHA_E_BAD_RESPONSE);
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
    sekha_mcp_memory_stats(c, NULL, data_cb, &g);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.code, SEKHA_E_SERVER);
    cr_assert_eq(g.status, 500);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_stats"), 4, "first try plus 3 retries");
    sekha_client_free(c);
}

Test(mcp_tools, missing_wrong_and_malformed_keys_are_auth_errors)
{
    if (no_tool_routes())
        return;
    sekha_client *none = client_with(NULL, NULL);
    got g = {0};
    sekha_mcp_memory_stats(none, NULL, data_cb, &g);
    cr_assert_eq(sekha_client_run(none), SEKHA_OK);
    cr_assert_eq(g.code, SEKHA_E_AUTH);
    cr_assert_eq(g.status, 401);
    cr_assert_str_eq(g.message, "Missing authorization header");
    sekha_client_free(none);

    sekha_client *wrong = client_with(NULL, "wrong_key_wrong_key_wrong_key_wrong_key");
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_search_sync(wrong, "x", NULL, NULL, &err), SEKHA_E_AUTH);
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
    sekha_mcp_memory_search(c, "x", NULL, data_cb, &g);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(g.code, SEKHA_E_AUTH);
    cr_assert_eq(g.status, 400);
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "x", NULL, NULL, &err), SEKHA_E_AUTH);
    cr_assert_eq(sekha_error_code(err), SEKHA_E_AUTH);
    cr_assert_not_null(strstr(sekha_error_message(err), "authentication failed"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "x", NULL, NULL, NULL), SEKHA_E_AUTH,
                 "the code is remapped even when the caller does not ask for the error");
    /* other 400s stay bad requests */
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_search\",\"steps\":[{\"status\":400,"
                                          "\"body\":\"{\\\"error\\\":\\\"something else\\\"}\"}]}"), 0);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "x", NULL, NULL, NULL), SEKHA_E_BAD_REQUEST);
    sekha_client_free(c);
}

Test(mcp_tools, bad_arguments_fail_locally_through_the_callback)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    got g[6] = {{0}};
    sekha_params *filters = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(filters, SEKHA_PARAM_FILTERS_JSON, "[1,2]"), SEKHA_OK);
    sekha_messages *empty = sekha_messages_new();
    sekha_messages *m = messages();
    sekha_params *eleven = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(eleven, SEKHA_PARAM_IMPORTANCE, 11), SEKHA_E_INVALID_ARG,
                 "the range is checked when set");
    cr_assert_not_null(sekha_mcp_memory_get_context(c, "not-a-uuid", data_cb, &g[0]));
    cr_assert_not_null(sekha_mcp_memory_search(c, "", NULL, data_cb, &g[1]));
    cr_assert_not_null(sekha_mcp_memory_search(c, "q", filters, data_cb, &g[2]));
    cr_assert_not_null(sekha_mcp_memory_store(c, empty, NULL, data_cb, &g[3]));
    cr_assert_not_null(sekha_mcp_memory_store(c, m, eleven, data_cb, &g[4]));
    cr_assert_not_null(sekha_mcp_memory_update(c, "0b6f0c1e-1111-4a2b-8c3d-00000000000", NULL,
                                               data_cb, &g[5]));
    sekha_params_free(filters);
    sekha_params_free(eleven);
    sekha_messages_free(empty);
    sekha_messages_free(m);
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
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_update"), 0);
    cr_assert_null(sekha_mcp_memory_stats(NULL, NULL, data_cb, &g[0]));
    sekha_client_free(c);
}

Test(mcp_tools, cancel_and_client_free_give_one_final_callback)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    cr_assert_eq(ds_proc_fault(&ds, NULL, "{\"path\":\"/mcp/tools/memory_stats\",\"repeat\":true,"
                                          "\"steps\":[{\"stall\":true}]}"), 0);
    got a = {0}, b = {0};
    sekha_request *r = sekha_mcp_memory_stats(c, NULL, data_cb, &a);
    sekha_mcp_memory_stats(c, NULL, data_cb, &b);
    sekha_request_cancel(r);
    while (a.calls == 0)
        sekha_client_poll(c, 1000);
    cr_assert_eq(a.code, SEKHA_E_CANCELLED);
    sekha_client_free(c);
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(b.code, SEKHA_E_CLOSED);
}

/* ---- parameters ---- */

static const char *const TOOLS[] = {"memory_stats", "memory_search", "memory_store",
                                    "memory_update", "memory_prune", "memory_get_context",
                                    "memory_export"};

static long tool_hits(void)
{
    long n = 0;
    for (size_t i = 0; i < sizeof TOOLS / sizeof *TOOLS; i++) {
        char path[64];
        snprintf(path, sizeof path, "/mcp/tools/%s", TOOLS[i]);
        n += ds_proc_count(&ds, NULL, path);
    }
    return n;
}

static void assert_refused(const got *g, const char *call, const char *key)
{
    cr_assert_eq(g->calls, 1);
    cr_assert_eq(g->code, SEKHA_E_INVALID_ARG, "%s: %s", call, g->text);
    cr_assert_eq(g->layer, SEKHA_LAYER_LOCAL);
    cr_assert_not_null(strstr(g->text, call), "%s", g->text);
    cr_assert_not_null(strstr(g->text, key), "%s", g->text);
}

Test(mcp_tools, a_parameter_the_call_does_not_read_is_refused_and_nothing_is_sent)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    sekha_messages *m = messages();
    sekha_params *limit = sekha_params_new(), *status = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(limit, SEKHA_PARAM_LIMIT, 3), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(status, SEKHA_PARAM_STATUS, "archived"), SEKHA_OK);
    got g[7] = {{0}};
    const char *id = "0b6f0c1e-1111-4a2b-8c3d-000000000000";
    cr_assert_not_null(sekha_mcp_memory_stats(c, limit, data_cb, &g[0]));
    cr_assert_not_null(sekha_mcp_memory_search(c, "q", status, data_cb, &g[1]));
    cr_assert_not_null(sekha_mcp_memory_store(c, m, status, data_cb, &g[2]));
    cr_assert_not_null(sekha_mcp_memory_update(c, id, limit, data_cb, &g[3]));
    cr_assert_not_null(sekha_mcp_memory_prune(c, status, data_cb, &g[4]));
    cr_assert_not_null(sekha_mcp_memory_export(c, id, limit, data_cb, &g[5]));
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    assert_refused(&g[0], "sekha_mcp_memory_stats", "limit");
    assert_refused(&g[1], "sekha_mcp_memory_search", "status");
    assert_refused(&g[2], "sekha_mcp_memory_store", "status");
    assert_refused(&g[3], "sekha_mcp_memory_update", "limit");
    assert_refused(&g[4], "sekha_mcp_memory_prune", "status");
    assert_refused(&g[5], "sekha_mcp_memory_export", "limit");

    /* the sync forms report it the same way */
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_stats_sync(c, limit, &d, &err), SEKHA_E_INVALID_ARG);
    cr_assert_null(d);
    cr_assert_not_null(strstr(sekha_error_message(err), "limit"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(tool_hits(), 0, "nothing reached the server");
    sekha_params_free(limit);
    sekha_params_free(status);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(mcp_tools, a_failed_setter_is_reported_by_the_call)
{
    sekha_client *c = client_with(NULL, DEV_KEY);
    sekha_messages *m = messages();
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "Fine"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 0), SEKHA_E_INVALID_ARG);
    got g = {0};
    sekha_mcp_memory_store(c, m, p, data_cb, &g);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    assert_refused(&g, "sekha_mcp_memory_store", "importance");
    sekha_params *days = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(days, SEKHA_PARAM_THRESHOLD_DAYS, -1), SEKHA_E_INVALID_ARG);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_prune_sync(c, days, NULL, &err), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_error_message(err), "threshold_days"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    /* a value the controller cannot read as an i32 is refused by the call */
    sekha_params *huge = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(huge, SEKHA_PARAM_LIMIT, 3000000000LL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_memory_search_sync(c, "q", huge, NULL, &err), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_error_message(err), "limit must be at most"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(tool_hits(), 0, "nothing reached the server");
    sekha_params_free(huge);
    sekha_params_free(days);
    sekha_params_free(p);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(mcp_tools, store_without_label_or_folder_uses_the_workflow_defaults)
{
    if (no_tool_routes())
        return;
    sekha_client *c = client_with(NULL, DEV_KEY);
    sekha_messages *m = messages();
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_store_sync(c, m, NULL, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_mcp_data_str(d, "label"), "Conversation");
    char *id = strdup(sekha_mcp_data_str(d, "conversation_id"));
    sekha_mcp_data_free(d);
    cr_assert_eq(sekha_mcp_memory_get_context_sync(c, id, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_mcp_data_str(d, "folder"), "/");
    cr_assert_eq(sekha_mcp_data_num(d, "importance_score", 0), 5, "the server's default");
    sekha_mcp_data_free(d);
    /* an empty label is refused rather than sent */
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, ""), SEKHA_OK);
    long before = ds_proc_count(&ds, NULL, "/mcp/tools/memory_store");
    cr_assert_eq(sekha_mcp_memory_store_sync(c, m, p, NULL, NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_store"), before);
    sekha_params_free(p);
    free(id);
    sekha_messages_free(m);
    sekha_client_free(c);
}

/* ---- results shared across threads ---- */

static void keep_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d, void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    *(sekha_mcp_data **)ud = sekha_mcp_data_copy(d);
}

/* Reads the value's JSON (built on first use, possibly racing another thread), then
 * releases this thread's reference. */
static void *read_then_free(void *arg)
{
    sekha_mcp_data *d = arg;
    char *json = strdup(sekha_mcp_data_json(d));
    sekha_mcp_data_free(d);
    return json;
}

Test(mcp_tools, a_copy_kept_from_the_callback_is_read_and_freed_on_other_threads)
{
    if (no_tool_routes())
        return;
    sekha_client *c = client_with(NULL, DEV_KEY);
    free(store(c, "Threads", "/t", 0));
    sekha_mcp_data *kept = NULL;
    sekha_mcp_memory_search(c, "zebra cache", NULL, keep_cb, &kept);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_not_null(kept);
    sekha_client_free(c); /* a copy outlives its client */
    enum { N = 4 };
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        cr_assert_eq(sekha_mcp_data_copy(kept), kept, "a copy is the same immutable value");
        cr_assert_eq(pthread_create(&th[i], NULL, read_then_free, kept), 0);
    }
    const char *mine = sekha_mcp_data_json(kept);
    for (int i = 0; i < N; i++) {
        char *theirs = NULL;
        cr_assert_eq(pthread_join(th[i], (void **)&theirs), 0);
        cr_assert_str_eq(theirs, mine);
        free(theirs);
    }
    cr_assert_str_eq(sekha_mcp_data_json(kept), mine, "built once, never rebuilt");
    cr_assert_not_null(strstr(mine, "\"results\""), "%s", mine);
    sekha_mcp_data_free(kept);
    sekha_mcp_data_free(NULL);
    cr_assert_null(sekha_mcp_data_copy(NULL));
}
