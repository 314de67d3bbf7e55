/* The devserver's MCP tool endpoints over real loopback HTTP: bearer auth before anything
 * else, a custom key, and each tool's {success, data, error} envelope and not-found
 * answers. Talks to the server with libcurl easy directly, never through libsekha. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devserver_controller_fixture.h"

#define MCP_KEY "dev_default_key_change_me_1234567890"

static res mcp(const char *tool, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/mcp/tools/%s", tool);
    return http_to(ds.controller_url, "POST", path, body, "application/json", "Bearer " MCP_KEY);
}

Test(devserver_controller, mcp_auth_runs_first)
{
    const char *path = "/mcp/tools/memory_stats";
    res r = http_to(ds.controller_url, "POST", path, "{}", "application/json", NULL);
    cr_expect_eq(r.status, 401);
    cr_expect_str_eq(r.body, "{\"error\":\"Missing authorization header\"}");
    res_free(&r);
    r = http_to(ds.controller_url, "POST", path, "{}", "application/json", "Basic " MCP_KEY);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(r.body, "{\"error\":\"Invalid authorization format\"}");
    res_free(&r);
    r = http_to(ds.controller_url, "POST", path, "{}", "application/json", "bearer " MCP_KEY);
    cr_expect_eq(r.status, 400, "the scheme is case-sensitive");
    res_free(&r);
    r = http_to(ds.controller_url, "POST", path, "{}", "application/json", "Bearer short");
    cr_expect_eq(r.status, 401);
    cr_expect_str_eq(r.body, "{\"error\":\"Invalid API key\"}");
    res_free(&r);
    r = http_to(ds.controller_url, "POST", path, "{}", "application/json",
                "Bearer test_key_12345678901234567890123456789012");
    cr_expect_eq(r.status, 401);
    res_free(&r);
    /* Auth comes before the body: a bad body with a bad key is still a 401. */
    r = http_to(ds.controller_url, "POST", path, "{bad", NULL, "Bearer nope");
    cr_expect_eq(r.status, 401);
    res_free(&r);
    r = mcp("memory_stats", "{}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    res_free(&r);
    expect_empty(http_to(ds.controller_url, "POST", "/mcp/tools/memory_nope", "{}", "application/json",
                         "Bearer " MCP_KEY),
                 404);
    expect_empty(http_to(ds.controller_url, "GET", path, NULL, NULL, "Bearer " MCP_KEY), 405);
}

Test(devserver_controller, mcp_custom_key)
{
    ds_proc_stop(&ds);
    const char *args[] = {"--mcp-api-key", "custom_key_abcdefghijklmnopqrstuvwxyz_0123", NULL};
    cr_assert_eq(ds_proc_start(&ds, args), 0);
    res r = mcp("memory_stats", "{}");
    cr_expect_eq(r.status, 401, "the default key no longer works");
    res_free(&r);
    r = http_to(ds.controller_url, "POST", "/mcp/tools/memory_stats", "{}", "application/json",
                "Bearer custom_key_abcdefghijklmnopqrstuvwxyz_0123");
    cr_expect_eq(r.status, 200, "%s", r.body);
    res_free(&r);
}

/* The envelope {success, data, error} and returns data (caller deletes the root). */
static cJSON *mcp_ok(const char *tool, const char *body, const cJSON **data)
{
    res r = mcp(tool, body);
    cr_assert_eq(r.status, 200, "%s: %ld %s", tool, r.status, r.body);
    cJSON *j = parse(&r);
    res_free(&r);
    cr_assert(cJSON_IsTrue(get(j, "success")), "%s failed", tool);
    cr_expect(cJSON_IsNull(get(j, "error")));
    *data = get(j, "data");
    return j;
}

Test(devserver_controller, mcp_tools_envelopes)
{
    const cJSON *d;
    cJSON *j = mcp_ok("memory_store",
                      "{\"label\":\"McpLabel\",\"folder\":\"/mcp\",\"importance_score\":8,"
                      "\"messages\":[{\"role\":\"user\",\"content\":\"the mcp quokka fact\"}]}",
                      &d);
    char *id = strdup(str(d, "conversation_id"));
    cr_expect_str_eq(str(d, "id"), id);
    cr_expect_str_eq(str(d, "label"), "McpLabel");
    cr_expect_str_eq(str(d, "folder"), "/mcp");
    cJSON_Delete(j);
    expect_text(mcp("memory_store", "{\"label\":\"a\",\"folder\":\"/\",\"messages\":[],\"importance_score\":7.0}"),
                422, "importance_score");
    expect_text(mcp("memory_store", "{\"label\":\"a\"}"), 422, "folder");

    j = mcp_ok("memory_search", "{\"query\":\"quokka\",\"limit\":3}", &d);
    cr_expect_str_eq(str(d, "query"), "quokka");
    cr_expect_eq(num(d, "limit"), 3);
    cr_expect_eq(num(d, "total_results"), 1);
    const cJSON *hit = cJSON_GetArrayItem(get(d, "results"), 0);
    cr_assert_not_null(hit);
    cr_expect_str_eq(str(hit, "conversation_id"), id);
    cr_expect_str_eq(str(hit, "content"), "the mcp quokka fact");
    cr_expect_str_eq(str(hit, "label"), "McpLabel");
    expect_naive(str(hit, "timestamp"), ' ');
    cr_expect(num(hit, "score") > 0.2);
    cr_expect(cJSON_IsObject(get(hit, "metadata")));
    cJSON_Delete(j);

    char body[256];
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\"}", id);
    j = mcp_ok("memory_get_context", body, &d);
    cr_expect_str_eq(str(d, "conversation_id"), id);
    cr_expect_str_eq(str(d, "label"), "McpLabel");
    cr_expect_str_eq(str(d, "status"), "active");
    cr_expect_eq(num(d, "importance_score"), 8);
    cr_expect_eq(num(d, "word_count"), strlen("the mcp quokka fact"));
    cr_expect_eq(num(d, "session_count"), 1);
    expect_naive(str(d, "created_at"), ' ');
    expect_naive(str(d, "updated_at"), ' ');
    cJSON_Delete(j);

    snprintf(body, sizeof body,
             "{\"conversation_id\":\"%s\",\"label\":\"Renamed\",\"status\":\"archived\",\"importance_score\":2}", id);
    j = mcp_ok("memory_update", body, &d);
    cr_expect_str_eq(str(d, "conversation_id"), id);
    cr_expect_str_eq(str(d, "message"), "Conversation updated successfully");
    const cJSON *fields = get(d, "updated_fields");
    cr_expect_eq(cJSON_GetArraySize(fields), 3);
    cJSON_Delete(j);
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\",\"format\":\"markdown\"}", id);
    j = mcp_ok("memory_export", body, &d);
    const cJSON *conv = get(d, "conversation");
    cr_expect_str_eq(str(conv, "id"), id);
    cr_expect_str_eq(str(conv, "label"), "Renamed");
    cr_expect_str_eq(str(conv, "status"), "archived");
    cr_expect_eq(num(conv, "importance_score"), 2);
    cr_expect_str_eq(str(d, "format"), "markdown");
    cr_expect(cJSON_IsTrue(get(d, "include_metadata")));
    const cJSON *msg = cJSON_GetArrayItem(get(d, "messages"), 0);
    cr_assert_not_null(msg);
    cr_expect_str_eq(str(msg, "role"), "user");
    cr_expect_str_eq(str(msg, "content"), "the mcp quokka fact");
    expect_naive(str(msg, "timestamp"), ' ');
    cJSON_Delete(j);

    j = mcp_ok("memory_stats", "{\"label\":\"Renamed\"}", &d);
    cr_expect_eq(num(d, "total_conversations"), 1);
    cr_expect_eq(num(d, "average_importance"), 2.0);
    cr_expect_str_eq(cJSON_GetArrayItem(get(d, "labels"), 0)->valuestring, "Renamed");
    cJSON_Delete(j);
    j = mcp_ok("memory_stats", "{}", &d);
    cr_expect_str_eq(cJSON_GetArrayItem(get(d, "folders"), 0)->valuestring, "/mcp");
    cJSON_Delete(j);
    res r = mcp("memory_stats", "{\"folder\":\"/mcp\",\"label\":\"Renamed\"}");
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body, "{\"success\":false,\"data\":null,\"error\":\"Cannot specify both folder and label\"}");
    res_free(&r);

    j = mcp_ok("memory_prune", "{}", &d);
    cr_expect_eq(num(d, "threshold_days"), 30);
    cr_expect_eq(num(d, "importance_threshold"), 5.0);
    cr_expect_eq(num(d, "total_suggestions"), 0);
    cr_expect_eq(num(d, "estimated_token_savings"), 0);
    cr_expect(cJSON_IsArray(get(d, "suggestions")));
    cJSON_Delete(j);
    free(create("Active", "/a", "still here"));
    j = mcp_ok("memory_prune", "{\"threshold_days\":-1}", &d);
    cr_expect_eq(num(d, "total_suggestions"), 1);
    expect_naive(str(cJSON_GetArrayItem(get(d, "suggestions"), 0), "last_accessed"), ' ');
    cJSON_Delete(j);

    /* Not found is a bare 404 for every tool that takes a conversation_id. */
    const char *missing = "{\"conversation_id\":\"" MISSING_UUID "\",\"label\":\"x\"}";
    expect_empty(mcp("memory_get_context", missing), 404);
    expect_empty(mcp("memory_export", missing), 404);
    expect_empty(mcp("memory_update", missing), 404);
    expect_text(mcp("memory_update", "{\"conversation_id\":\"nope\"}"), 422, NULL);
    free(id);
}
