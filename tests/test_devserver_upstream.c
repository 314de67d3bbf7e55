/* sekha-devserver --upstream: each quirk of the deployed stacks it reproduces, checked on the
 * wire with libcurl easy (never through libsekha), next to the devserver's own mode where
 * the two differ. The stand-in is only worth testing against if it is itself right. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "devserver.h"
#include "devserver_controller_http.h"

#define MCP_KEY "Bearer dev_default_key_change_me_1234567890"
#define MISSING_UUID "3f8a5c1e-0000-4000-8000-000000000001"

static ds_proc ds;

static void start(const char *version)
{
    const char *const args[] = {"--upstream", version, NULL};
    cr_assert_eq(ds_proc_start(&ds, version ? args : NULL), 0, "devserver did not start");
}

static void setup(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void teardown(void)
{
    ds_proc_stop_or_abort(&ds);
    curl_global_cleanup();
}

TestSuite(upstream, .init = setup, .fini = teardown, .timeout = 60);

static res ctl(const char *method, const char *path, const char *body)
{
    return http_to(ds.controller_url, method, path, body, body ? "application/json" : NULL, NULL);
}

static res mcp(const char *tool, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, "/mcp/tools/%s", tool);
    return http_to(ds.controller_url, "POST", path, body, "application/json", MCP_KEY);
}

static char *create(const char *label)
{
    char body[256];
    snprintf(body, sizeof body, "{\"label\":\"%s\",\"folder\":\"/up\",\"messages\":[{\"role\":"
             "\"user\",\"content\":\"gardening tomatoes need watering daily.\"}]}", label);
    res r = ctl("POST", "/api/v1/conversations", body);
    cr_assert_eq(r.status, 201, "create: %ld %s", r.status, r.body);
    cJSON *j = parse(&r);
    char *id = strdup(str(j, "id"));
    cJSON_Delete(j);
    res_free(&r);
    return id;
}

/* ------------------------------------------------------------------ the bridge */

typedef struct chat_res {
    res r;
    char temperature[32]; /* X-Devserver-Temperature, "" when absent */
} chat_res;

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    static const char name[] = "x-devserver-temperature:";
    chat_res *c = ud;
    size_t len = sz * n;
    if (len > sizeof name && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        while (*v == ' ')
            v++;
        size_t vl = strcspn(v, "\r\n");
        snprintf(c->temperature, sizeof c->temperature, "%.*s", (int)vl, v);
    }
    return len;
}

static chat_res chat(const char *body)
{
    chat_res c = {{0, NULL, 0, ""}, ""};
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", ds.bridge_url);
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c.r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    cr_assert_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c.r.status);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(c.r.ctype, sizeof c.r.ctype, "%s", ct ? ct : "");
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (!c.r.body)
        c.r.body = calloc(1, 1);
    return c;
}

#define HELLO "\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]"

Test(upstream, the_bridge_never_streams_and_ignores_tools)
{
    start("2026-01");
    chat_res c = chat("{" HELLO ",\"stream\":true}");
    cr_expect_eq(c.r.status, 200);
    cr_expect(strncmp(c.r.ctype, "application/json", 16) == 0, "stream:true answered as %s",
              c.r.ctype);
    cJSON *j = parse(&c.r);
    cr_expect_str_eq(str(j, "object"), "chat.completion");
    const cJSON *choice = cJSON_GetArrayItem(get(j, "choices"), 0);
    cr_assert_not_null(choice);
    cr_expect_str_eq(str(get(choice, "message"), "content"), "You asked: one two three");
    cJSON_Delete(j);
    res_free(&c.r);

    c = chat("{" HELLO ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}");
    j = parse(&c.r);
    choice = cJSON_GetArrayItem(get(j, "choices"), 0);
    cr_expect_str_eq(str(choice, "finish_reason"), "stop", "no tool call upstream");
    cr_expect_str_eq(str(get(choice, "message"), "content"), "You asked: one two three");
    cJSON_Delete(j);
    res_free(&c.r);
}

Test(upstream, temperature_zero_becomes_0_7_and_above_two_is_a_422)
{
    start("2026-01");
    chat_res c = chat("{" HELLO ",\"temperature\":0}");
    cr_expect_eq(c.r.status, 200);
    cr_expect_str_eq(c.temperature, "0.7", "`request.temperature or 0.7`");
    res_free(&c.r);
    c = chat("{" HELLO ",\"temperature\":0.25}");
    cr_expect_str_eq(c.temperature, "0.25");
    res_free(&c.r);
    c = chat("{" HELLO "}");
    cr_expect_str_eq(c.temperature, "0.7");
    res_free(&c.r);
    c = chat("{" HELLO ",\"temperature\":2.5}");
    cr_expect_eq(c.r.status, 422);
    cJSON *j = parse(&c.r);
    const cJSON *e = cJSON_GetArrayItem(get(j, "detail"), 0);
    cr_assert_not_null(e, "FastAPI's detail list: %s", c.r.body);
    cr_expect_str_eq(str(e, "type"), "less_than_equal");
    cr_expect_str_eq(cJSON_GetArrayItem(get(e, "loc"), 1)->valuestring, "temperature");
    cJSON_Delete(j);
    res_free(&c.r);
}

Test(upstream, the_own_mode_streams_and_keeps_temperature_zero)
{
    start(NULL);
    chat_res c = chat("{" HELLO ",\"temperature\":0}");
    cr_expect_str_eq(c.temperature, "0");
    res_free(&c.r);
    c = chat("{" HELLO ",\"stream\":true}");
    cr_expect(strncmp(c.r.ctype, "text/event-stream", 17) == 0, "%s", c.r.ctype);
    res_free(&c.r);
}

/* ------------------------------------------------------------------ the controller */

Test(upstream, january_create_and_memory_store_refuse_content_parts)
{
    start("2026-01");
    const char *parts = "{\"label\":\"P\",\"folder\":\"/p\",\"messages\":[{\"role\":\"user\","
                        "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}";
    expect_text(ctl("POST", "/api/v1/conversations", parts), 422,
                "messages[0].content: invalid type: sequence, expected a string");
    expect_text(mcp("memory_store", parts), 422,
                "messages[0].content: invalid type: sequence, expected a string");
    free(create("Plain"));
}

Test(upstream, list_filters_match_nothing)
{
    start("2026-01");
    free(create("Garden"));
    res r = ctl("GET", "/api/v1/conversations", NULL);
    cJSON *j = parse(&r);
    cr_expect_eq(num(j, "total"), 1, "no filter lists everything");
    cJSON_Delete(j);
    res_free(&r);
    static const char *const filtered[] = {"?label=Garden", "?folder=/up", "?pinned=false",
                                           "?archived=false"};
    for (size_t i = 0; i < sizeof filtered / sizeof filtered[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/conversations%s", filtered[i]);
        r = ctl("GET", path, NULL);
        cr_expect_eq(r.status, 200);
        j = parse(&r);
        cr_expect_eq(num(j, "total"), 0, "%s", filtered[i]);
        cr_expect_eq(cJSON_GetArraySize(get(j, "results")), 0, "%s", filtered[i]);
        cJSON_Delete(j);
        res_free(&r);
    }
}

Test(upstream, summaries_and_label_suggestions_carry_no_model)
{
    start("2026-01");
    char *id = create("Garden");
    char body[128];
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\",\"level\":\"daily\"}", id);
    res r = ctl("POST", "/api/v1/summarize", body);
    cr_expect_eq(r.status, 200);
    cJSON *j = parse(&r);
    cr_expect_null(cJSON_GetObjectItem(j, "model"), "%s", r.body);
    cr_expect_str_eq(str(j, "conversation_id"), id);
    cJSON_Delete(j);
    res_free(&r);
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\"}", id);
    r = ctl("POST", "/api/v1/labels/suggest", body);
    cr_expect_eq(r.status, 200);
    j = parse(&r);
    cr_expect_null(cJSON_GetObjectItem(j, "model"), "%s", r.body);
    cr_expect(cJSON_IsArray(get(j, "suggestions")));
    cJSON_Delete(j);
    res_free(&r);
    free(id);
}

Test(upstream, not_found_messages_name_the_uuid)
{
    start("2026-01");
    const char *want = "Entity not found: Conversation " MISSING_UUID " not found";
    expect_error(ctl("PUT", "/api/v1/conversations/" MISSING_UUID "/label",
                     "{\"label\":\"a\",\"folder\":\"/a\"}"), 404, want);
    expect_error(ctl("PUT", "/api/v1/conversations/" MISSING_UUID "/pin", NULL), 500, want);
    expect_error(ctl("PUT", "/api/v1/conversations/" MISSING_UUID "/archive", NULL), 500, want);
    expect_error(ctl("POST", "/api/v1/summarize",
                     "{\"conversation_id\":\"" MISSING_UUID "\",\"level\":\"daily\"}"), 500, want);
    expect_error(ctl("POST", "/api/v1/prune/execute",
                     "{\"conversation_ids\":[\"" MISSING_UUID "\"]}"), 500, want);
}

Test(upstream, metrics_are_a_placeholder)
{
    start("2026-01");
    free(create("Counted"));
    res r = ctl("GET", "/metrics", NULL);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body, "# HELP sekha_conversations_total Total number of conversations\n"
                             "# TYPE sekha_conversations_total gauge\n"
                             "sekha_conversations_total 0\n");
    res_free(&r);
}

Test(upstream, mcp_update_saves_only_label_and_folder_but_reports_everything)
{
    start("2026-01");
    char *id = create("Before");
    char body[256];
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\",\"label\":\"After\","
             "\"status\":\"bogus\",\"importance_score\":9}", id);
    res r = mcp("memory_update", body);
    cr_expect_eq(r.status, 200);
    cJSON *j = parse(&r);
    const cJSON *d = get(j, "data");
    const cJSON *f = get(d, "updated_fields");
    cr_assert_eq(cJSON_GetArraySize(f), 3, "%s", r.body);
    cr_expect_str_eq(cJSON_GetArrayItem(f, 0)->valuestring, "label/folder");
    cr_expect_str_eq(cJSON_GetArrayItem(f, 1)->valuestring, "status");
    cr_expect_str_eq(cJSON_GetArrayItem(f, 2)->valuestring, "importance_score");
    cr_expect_str_eq(str(d, "message"), "Conversation updated successfully");
    cJSON_Delete(j);
    res_free(&r);

    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\"}", id);
    r = mcp("memory_get_context", body);
    j = parse(&r);
    d = get(j, "data");
    cr_expect_str_eq(str(d, "label"), "After");
    cr_expect_str_eq(str(d, "folder"), "/up", "the folder kept");
    cr_expect_str_eq(str(d, "status"), "active", "status reported, not saved");
    cr_expect_eq(num(d, "importance_score"), 5, "importance reported, not saved");
    expect_naive(str(d, "updated_at"), ' ');
    cJSON_Delete(j);
    res_free(&r);
    expect_empty(mcp("memory_update", "{\"conversation_id\":\"" MISSING_UUID "\"}"), 404);
    free(id);
}

Test(upstream, mcp_prune_is_an_empty_500_when_anything_is_prunable)
{
    start("2026-01");
    res r = mcp("memory_prune", "{}");
    cr_expect_eq(r.status, 200, "nothing to prune: %s", r.body);
    res_free(&r);
    free(create("Old"));
    expect_empty(mcp("memory_prune", "{\"threshold_days\":-1}"), 500);
}

/* GETs /health n times on one connection; returns the 1-based number of the first 429,
 * 0 when every answer was a 200. */
static int first_429(int n)
{
    char url[256];
    snprintf(url, sizeof url, "%s/health", ds.controller_url);
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    res r = {0, NULL, 0, ""};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    int hit = 0;
    for (int i = 1; i <= n && !hit; i++) {
        cr_assert_eq(curl_easy_perform(h), CURLE_OK);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        cr_assert(status == 200 || status == 429, "request %d: %ld", i, status);
        if (status == 429) {
            hit = i;
            cr_expect_str_eq(r.body ? r.body : "", "Rate limit exceeded. Please try again later.");
        }
        r.len = 0;
    }
    free(r.body);
    curl_easy_cleanup(h);
    return hit;
}

Test(upstream, january_limits_everyone_to_one_shared_window_of_1000)
{
    start("2026-01");
    cr_assert_eq(first_429(1001), 1001, "the 1001st request of the minute is refused");
}

/* ------------------------------------------------------------------ February */

Test(upstream, february_has_no_mcp_tool_routes_and_takes_parts)
{
    start("2026-02");
    expect_empty(mcp("memory_stats", "{}"), 404);
    expect_empty(mcp("memory_store", "{\"label\":\"a\",\"folder\":\"/a\",\"messages\":[]}"), 404);
    res r = ctl("POST", "/api/v1/conversations",
                "{\"label\":\"P\",\"folder\":\"/p\",\"messages\":[{\"role\":\"user\","
                "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}");
    cr_expect_eq(r.status, 201, "%s", r.body);
    res_free(&r);
    r = ctl("GET", "/health", NULL);
    cr_expect_eq(r.status, 200);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "status"), "healthy");
    cr_expect(cJSON_IsString(get(j, "version")));
    cr_expect_eq(num(j, "uptime_seconds"), 0);
    cJSON_Delete(j);
    res_free(&r);
    r = ctl("GET", "/metrics", NULL);
    cr_expect_str_eq(r.body, "{\"metrics\":\"not_implemented\"}");
    res_free(&r);
    cr_assert_eq(first_429(1001), 0, "no limiter: more than January's 1000 all pass");
}

/* The command line refuses what no stack is, and what the February one cannot do. */
static void refused(const char *args, const char *needle)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "timeout 10 '%s' --port 0 --bridge-port 0 %s 2>&1",
             getenv("SEKHA_DEVSERVER_BIN"), args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char out[1024];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status %d, output %s", args, st, out);
    cr_expect_not_null(strstr(out, needle), "%s: '%s' not in %s", args, needle, out);
}

Test(upstream, unknown_versions_are_refused_by_name)
{
    refused("--upstream 2027-01", "'2027-01' is not one");
    refused("--upstream", "2026-01 (January controller) or 2026-02 (February controller)");
    refused("--upstream 2026-02 --rate-limit 5", "the 2026-02 controller has no rate limiter");
}
