/* sekha-devserver seen from a plain libcurl client: ready line, control routes, every fault
 * kind, the bridge's shapes and streaming, shutdown under load and 1,000 concurrent requests.
 * No libsekha code is involved, so these tests pin the server down independently of the
 * client library they are meant to exercise. */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devserver.h"

static ds_proc ds;

static void setup(void)
{
    cr_assert_eq(ds_proc_start(&ds, NULL), 0, "devserver did not start (SEKHA_DEVSERVER_BIN=%s)",
                 getenv("SEKHA_DEVSERVER_BIN") ? getenv("SEKHA_DEVSERVER_BIN") : "unset");
}

/* Only for tests that failed half-way: Criterion does not count assertions in .fini. */
static void teardown(void)
{
    if (ds.pid > 0)
        ds_proc_stop(&ds);
}

TestSuite(devserver, .init = setup, .fini = teardown, .timeout = 60);

/* Every test ends by stopping its devserver and requiring exit status 0, so a sanitizer
 * report in the server (leak, UB) fails the test that caused it. */
#define DS_TEST(name)                                                                   \
    static void name##_body(void);                                                      \
    Test(devserver, name)                                                               \
    {                                                                                   \
        name##_body();                                                                  \
        if (ds.pid > 0) {                                                               \
            int status_ = ds_proc_stop(&ds);                                            \
            cr_assert_eq(status_, 0, "devserver exit status %d", status_);              \
        }                                                                               \
    }                                                                                   \
    static void name##_body(void)

/* ---------------------------------------------------------------- a small curl client */

typedef struct resp {
    CURLcode rc;
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char retry_after[128];
    char location[256];
    size_t pieces, max_piece;
    size_t events;            /* SSE events seen (blank-line separators) */
    size_t abort_at_events;   /* stop the transfer once this many arrived (0 = never) */
    int prev_nl;
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t len = sz * n;
    char *nb = realloc(r->body, r->len + len + 1);
    cr_assert_not_null(nb);
    r->body = nb;
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    r->pieces++;
    if (len > r->max_piece)
        r->max_piece = len;
    for (size_t i = 0; i < len; i++) {
        int nl = p[i] == '\n';
        if (nl && r->prev_nl)
            r->events++;
        r->prev_nl = nl;
    }
    if (r->abort_at_events && r->events >= r->abort_at_events)
        return 0;
    return len;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0)
        return;
    const char *v = line + nl;
    size_t vl = len - nl;
    while (vl && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    if (vl >= outlen)
        vl = outlen - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t len = sz * n;
    header_value(p, len, "Content-Type:", r->ctype, sizeof r->ctype);
    header_value(p, len, "Retry-After:", r->retry_after, sizeof r->retry_after);
    header_value(p, len, "Location:", r->location, sizeof r->location);
    return len;
}

static CURL *easy(resp *r, const char *method, const char *url, const char *body,
                  long timeout_ms, struct curl_slist **hdrs)
{
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (body) {
        *hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    if (strcmp(method, body ? "POST" : "GET"))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
    return h;
}

/* One request; extra_header may be NULL. */
static resp fetch_h(const char *method, const char *base, const char *path, const char *body,
                    long timeout_ms, const char *extra_header)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    resp r;
    memset(&r, 0, sizeof r);
    struct curl_slist *hdrs = extra_header ? curl_slist_append(NULL, extra_header) : NULL;
    CURL *h = easy(&r, method, url, body, timeout_ms, &hdrs);
    r.rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    return r;
}

static resp fetch(const char *method, const char *base, const char *path, const char *body)
{
    return fetch_h(method, base, path, body, 10000, NULL);
}

static void resp_free(resp *r)
{
    free(r->body);
    r->body = NULL;
}

static void arm(const char *base, const char *rule)
{
    cr_assert_eq(ds_proc_fault(&ds, base, rule), 0, "rule rejected: %s", rule);
}

static cJSON *json_of(const resp *r)
{
    cJSON *j = r->body ? cJSON_Parse(r->body) : NULL;
    cr_assert_not_null(j, "not JSON: %s", r->body ? r->body : "(no body)");
    return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* ---------------------------------------------------------------- basics */

DS_TEST(ready_line_gives_loopback_urls)
{
    int cport = 0, bport = 0;
    cr_assert_eq(sscanf(ds.controller_url, "http://127.0.0.1:%d", &cport), 1);
    cr_assert_eq(sscanf(ds.bridge_url, "http://127.0.0.1:%d", &bport), 1);
    cr_assert(cport > 0 && bport > 0 && cport != bport);
    /* mcp_url is what SEKHA_MCP_URL takes: the base of /mcp/tools/<tool>, the controller. */
    cr_assert_str_eq(ds.mcp_url, ds.controller_url);
    char mcp[200];
    snprintf(mcp, sizeof mcp, "%s/mcp", ds.controller_url);
    cr_assert_str_eq(ds.mcp_jsonrpc_url, mcp);
    cr_assert_str_eq(ds.mcp_api_key, "dev_default_key_change_me_1234567890");
}

DS_TEST(echo_shows_what_the_client_sent)
{
    resp r = fetch_h("PUT", ds.controller_url, "/_devserver/echo?x=1&y=a%20b", "{\"k\":true}",
                     10000, "X-Test: yes");
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 200);
    cJSON *j = json_of(&r);
    cr_assert_str_eq(jstr(j, "method"), "PUT");
    cr_assert_str_eq(jstr(j, "path"), "/_devserver/echo");
    cr_assert_str_eq(jstr(j, "body"), "{\"k\":true}");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(j, "query");
    cr_assert_str_eq(jstr(q, "x"), "1");
    cr_assert_str_eq(jstr(q, "y"), "a b");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "headers");
    cr_assert_str_eq(jstr(h, "x-test"), "yes");
    cr_assert_str_eq(jstr(h, "content-type"), "application/json");
    cJSON_Delete(j);
    resp_free(&r);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), 1);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/_devserver/echo"), 0, "counts are per port");
}

DS_TEST(bad_rules_are_rejected_and_delete_clears)
{
    cr_assert_neq(ds_proc_fault(&ds, ds.bridge_url, "{\"path\":\"/x\",\"steps\":[{\"bogus\":1}]}"), 0);
    cr_assert_neq(ds_proc_fault(&ds, ds.bridge_url, "{\"path\":\"x\",\"steps\":[{}]}"), 0);
    cr_assert_neq(ds_proc_fault(&ds, ds.bridge_url, "{\"path\":\"/x\",\"steps\":[]}"), 0);
    cr_assert_neq(ds_proc_fault(&ds, ds.bridge_url, "{\"path\":\"/x\",\"steps\":[{\"close\":\"x\"}]}"), 0);
    cr_assert_neq(ds_proc_fault(&ds, ds.bridge_url, "not json"), 0);
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"status\":500}]}");
    resp r = fetch("DELETE", ds.bridge_url, "/_devserver/faults", NULL);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200, "the rule was cleared");
    resp_free(&r);
}

DS_TEST(unknown_paths)
{
    resp r = fetch("GET", ds.bridge_url, "/nope", NULL);
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(r.body, "{\"detail\":\"Not Found\"}");
    resp_free(&r);
    r = fetch("GET", ds.controller_url, "/nope", NULL);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
}

DS_TEST(oversized_body_gets_413)
{
    size_t n = 17u << 20;
    char *big = malloc(n + 1);
    cr_assert_not_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    resp r = fetch("POST", ds.bridge_url, "/embed", big);
    cr_assert_eq(r.status, 413);
    resp_free(&r);
    free(big);
}

/* ---------------------------------------------------------------- status faults */

DS_TEST(status_sequence_is_consumed_in_order)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"method\":\"GET\",\"steps\":["
        "{\"status\":503,\"retry_after\":\"1\"},"
        "{\"status\":429,\"retry_after\":\"Wed, 21 Oct 2015 07:28:00 GMT\",\"body\":\"slow\","
        "\"content_type\":\"text/plain\"},"
        "{\"pass\":true}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 503);
    cr_assert_str_eq(r.retry_after, "1");
    cJSON *j = json_of(&r);
    cr_assert_str_eq(jstr(j, "error"), "injected fault");
    cr_assert_eq(jnum(j, "code"), 503);
    cJSON_Delete(j);
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 429);
    cr_assert_str_eq(r.retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
    cr_assert_str_eq(r.body, "slow");
    cr_assert_str_eq(r.ctype, "text/plain");
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.retry_after, "");
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200, "the used-up rule is gone");
    resp_free(&r);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/health"), 4);
}

DS_TEST(method_and_prefix_matching)
{
    arm(ds.controller_url, "{\"path\":\"/_devserver/ec*\",\"method\":\"POST\",\"steps\":[{\"status\":500}]}");
    resp r = fetch("GET", ds.controller_url, "/_devserver/echo", NULL);
    cr_assert_eq(r.status, 200, "GET does not match a POST rule");
    resp_free(&r);
    r = fetch("POST", ds.controller_url, "/_devserver/echo", "{}");
    cr_assert_eq(r.status, 500);
    resp_free(&r);
}

DS_TEST(repeat_cycles_the_steps)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"repeat\":true,\"steps\":[{\"status\":502},{\"pass\":true}]}");
    for (int i = 0; i < 6; i++) {
        resp r = fetch("GET", ds.bridge_url, "/health", NULL);
        cr_assert_eq(r.status, i % 2 ? 200 : 502);
        resp_free(&r);
    }
}

DS_TEST(delay_then_status)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"delay_ms\":100,\"status\":504}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 504);
    resp_free(&r);
}

DS_TEST(long_delay_hits_the_client_timeout)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"delay_ms\":60000}]}");
    resp r = fetch_h("GET", ds.bridge_url, "/health", NULL, 300, NULL);
    cr_assert_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
}

DS_TEST(stall_hits_the_client_timeout)
{
    arm(ds.controller_url, "{\"path\":\"/_devserver/echo\",\"steps\":[{\"stall\":true}]}");
    resp r = fetch_h("GET", ds.controller_url, "/_devserver/echo", NULL, 300, NULL);
    cr_assert_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
    cr_assert_eq(r.len, 0);
    resp_free(&r);
    r = fetch("GET", ds.controller_url, "/_devserver/echo", NULL);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
}

/* ---------------------------------------------------------------- connection faults */

DS_TEST(close_before_status_is_an_empty_reply)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"close\":\"before_status\"}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.rc, CURLE_GOT_NOTHING, "%s", curl_easy_strerror(r.rc));
    resp_free(&r);
}

DS_TEST(close_mid_headers_fails)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"close\":\"mid_headers\"}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert(r.rc == CURLE_PARTIAL_FILE || r.rc == CURLE_GOT_NOTHING || r.rc == CURLE_RECV_ERROR,
              "%s", curl_easy_strerror(r.rc));
    cr_assert_eq(r.len, 0);
    resp_free(&r);
}

DS_TEST(close_mid_body_is_a_partial_file)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"close\":\"mid_body\"}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.rc, CURLE_PARTIAL_FILE, "%s", curl_easy_strerror(r.rc));
    cr_assert_eq(r.status, 200);
    cr_assert_gt(r.len, 0);
    resp_free(&r);
}

DS_TEST(close_after_handling_keeps_the_side_effect)
{
    arm(ds.controller_url, "{\"path\":\"/api/v1/conversations\",\"method\":\"POST\","
        "\"steps\":[{\"close\":\"after_handling\"}]}");
    resp r = fetch("POST", ds.controller_url, "/api/v1/conversations",
                   "{\"label\":\"l\",\"folder\":\"/f\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    cr_assert(r.rc == CURLE_RECV_ERROR || r.rc == CURLE_GOT_NOTHING, "%s", curl_easy_strerror(r.rc));
    cr_assert_eq(r.len, 0);
    resp_free(&r);
    r = fetch("GET", ds.controller_url, "/api/v1/conversations/count", NULL);
    cr_assert_eq(r.status, 200);
    cJSON *j = json_of(&r);
    cr_assert_eq(jnum(j, "count"), 1, "the create was stored before the reset");
    cJSON_Delete(j);
    resp_free(&r);
}

DS_TEST(redirect_loop_is_too_many_redirects)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"redirect_loop\":true}]}");
    char url[256];
    snprintf(url, sizeof url, "%s/health", ds.bridge_url);
    resp r;
    memset(&r, 0, sizeof r);
    struct curl_slist *hdrs = NULL;
    CURL *h = easy(&r, "GET", url, NULL, 10000, &hdrs);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    cr_assert_eq(curl_easy_perform(h), CURLE_TOO_MANY_REDIRECTS);
    curl_easy_cleanup(h);
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200, "one step was one loop");
    resp_free(&r);
}

/* ---------------------------------------------------------------- body faults */

DS_TEST(malformed_json_is_truncated)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"malformed_json\":true}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "application/json");
    cr_assert_gt(r.len, 0);
    cJSON *j = cJSON_Parse(r.body);
    cr_assert_null(j, "should not parse: %s", r.body);
    resp_free(&r);
}

DS_TEST(invalid_utf8_in_string_values)
{
    arm(ds.bridge_url, "{\"path\":\"/health\",\"steps\":[{\"invalid_utf8\":true}]}");
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "\":\"\xff\xfe"));
    resp_free(&r);
}

/* ---------------------------------------------------------------- SSE faults */

DS_TEST(sse_plain_ends_with_done)
{
    resp r = fetch("GET", ds.controller_url, "/_devserver/sse?count=3&size=50", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_str_eq(r.ctype, "text/event-stream");
    cr_assert_eq(r.events, 4);
    cr_assert_not_null(strstr(r.body, "data: {\"i\":0,\"pad\":\"x"));
    const char *done = "data: [DONE]\n\n";
    cr_assert_str_eq(r.body + r.len - strlen(done), done);
    /* each data payload is padded to 50 bytes */
    const char *e1 = strstr(r.body, "data: {\"i\":1");
    cr_assert_not_null(e1);
    cr_assert_eq(strchr(e1, '\n') - (e1 + 6), 50);
    resp_free(&r);
}

DS_TEST(sse_arrives_in_requested_pieces)
{
    resp plain = fetch("GET", ds.bridge_url, "/_devserver/sse?count=4&size=40", NULL);
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"chunk_size\":7,\"chunk_delay_ms\":2}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=4&size=40", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.len, plain.len);
    cr_assert_eq(memcmp(r.body, plain.body, r.len), 0, "same bytes, different pieces");
    cr_assert_leq(r.max_piece, 7);
    cr_assert_geq(r.pieces, (r.len + 6) / 7);
    resp_free(&r);
    resp_free(&plain);
}

DS_TEST(sse_single_byte_pieces)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"chunk_size\":1}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=2&size=20", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.max_piece, 1);
    cr_assert_eq(r.pieces, r.len);
    cr_assert_eq(r.events, 3);
    resp_free(&r);
}

DS_TEST(sse_truncate_after_aborts_without_done)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"truncate_after\":2}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=5&size=30", NULL);
    cr_assert_eq(r.rc, CURLE_PARTIAL_FILE, "%s", curl_easy_strerror(r.rc));
    cr_assert_eq(r.events, 2);
    cr_assert_null(strstr(r.body, "[DONE]"));
    resp_free(&r);
}

DS_TEST(sse_truncate_with_clean_close)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"truncate_after\":2,\"clean_close\":true}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=5&size=30", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.events, 2);
    cr_assert_null(strstr(r.body, "[DONE]"));
    resp_free(&r);
}

DS_TEST(sse_cut_mid_event)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"cut_mid_event\":true}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=5&size=30", NULL);
    cr_assert_neq(r.rc, CURLE_OK);
    cr_assert_eq(r.events, 1);
    cr_assert_gt(r.len, strlen("data: ") + 30 + 2, "part of the second event arrived");
    cr_assert_neq(r.body[r.len - 1], '\n');
    resp_free(&r);
}

DS_TEST(sse_inband_error)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"inband_error\":true}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=5&size=30", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.events, 2);
    cr_assert_not_null(strstr(r.body, "\n\ndata: {\"error\":{\"message\":\"injected in-band error\","
                                      "\"type\":\"server_error\",\"code\":500}}\n\n"));
    cr_assert_null(strstr(r.body, "[DONE]"));
    resp_free(&r);
}

DS_TEST(sse_event_bytes)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"event_bytes\":100000}]}");
    resp r = fetch("GET", ds.bridge_url, "/_devserver/sse?count=2&size=10", NULL);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(strncmp(r.body, "data: ", 6), 0);
    cr_assert_eq(strchr(r.body, '\n') - (r.body + 6), 100000);
    resp_free(&r);
}

DS_TEST(sse_endless_never_finishes)
{
    arm(ds.bridge_url, "{\"path\":\"/_devserver/sse\",\"steps\":[{\"endless\":true,\"chunk_delay_ms\":5}]}");
    char url[256];
    snprintf(url, sizeof url, "%s/_devserver/sse?count=2", ds.bridge_url);
    resp r;
    memset(&r, 0, sizeof r);
    r.abort_at_events = 30;
    struct curl_slist *hdrs = NULL;
    CURL *h = easy(&r, "GET", url, NULL, 20000, &hdrs);
    cr_assert_eq(curl_easy_perform(h), CURLE_WRITE_ERROR, "we stopped it, it did not end");
    cr_assert_geq(r.events, 30);
    cr_assert_null(strstr(r.body, "[DONE]"));
    curl_easy_cleanup(h);
    resp_free(&r);
}

/* ---------------------------------------------------------------- bridge */

static const char *chat_body =
    "{\"messages\":[{\"role\":\"system\",\"content\":\"The user likes green tea\"},"
    "{\"role\":\"user\",\"content\":\"What do I   drink?\"}]%s}";

static const char *chat_answer =
    "Based on your memory: The user likes green tea ... you asked: What do I drink?";

DS_TEST(bridge_completion_shape)
{
    char body[512];
    snprintf(body, sizeof body, chat_body, ",\"model\":\"m1\"");
    resp r = fetch("POST", ds.bridge_url, "/v1/chat/completions", body);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "application/json");
    cJSON *j = json_of(&r);
    const char *id = jstr(j, "id");
    cr_assert_not_null(id);
    cr_assert_eq(strlen(id), strlen("chatcmpl-") + 8);
    cr_assert_eq(strncmp(id, "chatcmpl-", 9), 0);
    cr_assert_eq(strspn(id + 9, "0123456789abcdef"), 8);
    cr_assert_str_eq(jstr(j, "object"), "chat.completion");
    cr_assert_gt(jnum(j, "created"), 1600000000);
    cr_assert_str_eq(jstr(j, "model"), "devserver-echo/m1");
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
    cr_assert_eq(jnum(c0, "index"), 0);
    cr_assert_str_eq(jstr(c0, "finish_reason"), "stop");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c0, "message");
    cr_assert_str_eq(jstr(m, "role"), "assistant");
    cr_assert_str_eq(jstr(m, "content"), chat_answer);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
    cr_assert_eq(jnum(u, "prompt_tokens"), 9);
    cr_assert_eq(jnum(u, "completion_tokens"), 16);
    cr_assert_eq(jnum(u, "total_tokens"), 25);
    cJSON_Delete(j);
    resp_free(&r);
    /* the alias answers the same way */
    snprintf(body, sizeof body, chat_body, "");
    r = fetch("POST", ds.bridge_url, "/api/v1/chat/completions", body);
    cr_assert_eq(r.status, 200);
    j = json_of(&r);
    cr_assert_str_eq(jstr(j, "model"), "devserver-echo");
    cJSON_Delete(j);
    resp_free(&r);
}

DS_TEST(bridge_max_tokens_cuts_with_length)
{
    char body[512];
    snprintf(body, sizeof body, chat_body, ",\"max_tokens\":3");
    resp r = fetch("POST", ds.bridge_url, "/v1/chat/completions", body);
    cr_assert_eq(r.status, 200);
    cJSON *j = json_of(&r);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
    cr_assert_str_eq(jstr(c0, "finish_reason"), "length");
    cr_assert_str_eq(jstr(cJSON_GetObjectItemCaseSensitive(c0, "message"), "content"),
                     "Based on your");
    cJSON_Delete(j);
    resp_free(&r);
}

static void expect_422(const char *body, const char *type, const char *loc_last)
{
    resp r = fetch("POST", ds.bridge_url, "/v1/chat/completions", body);
    cr_assert_eq(r.status, 422, "%s -> %ld", body, r.status);
    cJSON *j = json_of(&r);
    const cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "detail"), 0);
    cr_assert_not_null(d0, "%s", r.body);
    cr_assert_str_eq(jstr(d0, "type"), type);
    cr_assert_not_null(jstr(d0, "msg"));
    cr_assert(cJSON_HasObjectItem(d0, "input"));
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(d0, "loc");
    cr_assert_str_eq(cJSON_GetArrayItem(loc, 0)->valuestring, "body");
    const cJSON *last = cJSON_GetArrayItem(loc, cJSON_GetArraySize(loc) - 1);
    if (loc_last)
        cr_assert_str_eq(last->valuestring, loc_last);
    cJSON_Delete(j);
    resp_free(&r);
}

DS_TEST(bridge_validation_like_fastapi)
{
    expect_422("{}", "missing", "messages");
    expect_422("{\"messages\":\"hi\"}", "list_type", "messages");
    expect_422("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
               "string_type", "content");
    expect_422("{\"messages\":[{\"content\":\"x\"}]}", "missing", "role");
    expect_422("{\"messages\":[],\"temperature\":2.5}", "less_than_equal", "temperature");
    expect_422("{\"messages\":[],\"temperature\":-1}", "greater_than_equal", "temperature");
    expect_422("{\"messages\":[],\"max_tokens\":0}", "greater_than_equal", "max_tokens");
    expect_422("{\"messages\":[", "json_invalid", NULL);
    expect_422("[1]", "model_attributes_type", "body");
    resp r = fetch("GET", ds.bridge_url, "/v1/chat/completions", NULL);
    cr_assert_eq(r.status, 405);
    resp_free(&r);
}

DS_TEST(bridge_stream_chunks_end_with_done)
{
    char body[512];
    snprintf(body, sizeof body, chat_body, ",\"stream\":true");
    resp r = fetch("POST", ds.bridge_url, "/v1/chat/completions", body);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "text/event-stream");
    const char *done = "data: [DONE]\n\n";
    cr_assert_str_eq(r.body + r.len - strlen(done), done);
    char text[512] = "";
    int n = 0, finished = 0;
    for (char *line = strtok(r.body, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_eq(strncmp(line, "data: ", 6), 0, "line: %s", line);
        if (!strcmp(line + 6, "[DONE]"))
            break;
        cr_assert_not(finished, "nothing after the finish chunk but [DONE]");
        cJSON *j = cJSON_Parse(line + 6);
        cr_assert_not_null(j, "%s", line);
        cr_assert_str_eq(jstr(j, "object"), "chat.completion.chunk");
        const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
        const cJSON *delta = cJSON_GetObjectItemCaseSensitive(c0, "delta");
        if (n == 0)
            cr_assert_str_eq(jstr(delta, "role"), "assistant");
        if (jstr(delta, "content"))
            strcat(text, jstr(delta, "content"));
        if (jstr(c0, "finish_reason")) {
            cr_assert_str_eq(jstr(c0, "finish_reason"), "stop");
            cr_assert(cJSON_HasObjectItem(j, "usage"));
            finished = 1;
        } else {
            cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c0, "finish_reason")));
        }
        cJSON_Delete(j);
        n++;
    }
    cr_assert(finished);
    cr_assert_eq(n, 17, "16 words and the finish chunk");
    cr_assert_str_eq(text, chat_answer);
    resp_free(&r);
}

DS_TEST(bridge_no_stream_gives_one_object)
{
    ds_proc plain;
    const char *const args[] = { "--no-stream", NULL };
    cr_assert_eq(ds_proc_start(&plain, args), 0);
    char body[512];
    snprintf(body, sizeof body, chat_body, ",\"stream\":true");
    resp r = fetch("POST", plain.bridge_url, "/v1/chat/completions", body);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "application/json");
    cJSON *j = json_of(&r);
    cr_assert_str_eq(jstr(j, "object"), "chat.completion");
    cJSON_Delete(j);
    resp_free(&r);
    cr_assert_eq(ds_proc_stop(&plain), 0);
}

DS_TEST(bridge_stream_obeys_stream_faults)
{
    arm(ds.bridge_url, "{\"path\":\"/v1/chat/completions\",\"steps\":[{\"chunk_size\":3,\"truncate_after\":4}]}");
    char body[512];
    snprintf(body, sizeof body, chat_body, ",\"stream\":true");
    resp r = fetch("POST", ds.bridge_url, "/v1/chat/completions", body);
    cr_assert_eq(r.rc, CURLE_PARTIAL_FILE);
    cr_assert_leq(r.max_piece, 3);
    cr_assert_eq(r.events, 4);
    resp_free(&r);
}

static void check_embed(const char *path, const char *model)
{
    resp r = fetch("POST", ds.bridge_url, path, "{\"text\":\"hello embedded world\"}");
    cr_assert_eq(r.status, 200, "%s", path);
    cJSON *j = json_of(&r);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "embedding")), 256);
    cr_assert_eq(jnum(j, "dimension"), 256);
    cr_assert_eq(jnum(j, "tokens_used"), 5);   /* 22 characters / 4 */
    cr_assert_str_eq(jstr(j, "model"), model);
    cJSON_Delete(j);
    resp_free(&r);
}

DS_TEST(bridge_embeddings)
{
    check_embed("/embed", "devserver-hash");
    check_embed("/embeddings", "devserver-hash");
    check_embed("/api/v1/embed", "default");
    resp r = fetch("POST", ds.bridge_url, "/embed", "{\"model\":\"x\"}");
    cr_assert_eq(r.status, 422);
    resp_free(&r);

    r = fetch("POST", ds.bridge_url, "/v1/embeddings", "{\"input\":[\"a\",\"bcdefghij\"],\"model\":\"e\"}");
    cr_assert_eq(r.status, 200);
    cJSON *j = json_of(&r);
    cr_assert_str_eq(jstr(j, "object"), "list");
    cr_assert_str_eq(jstr(j, "model"), "e");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    cr_assert_eq(cJSON_GetArraySize(data), 2);
    const cJSON *d1 = cJSON_GetArrayItem(data, 1);
    cr_assert_str_eq(jstr(d1, "object"), "embedding");
    cr_assert_eq(jnum(d1, "index"), 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d1, "embedding")), 256);
    cr_assert_eq(jnum(cJSON_GetObjectItemCaseSensitive(j, "usage"), "prompt_tokens"), 2);
    cJSON_Delete(j);
    resp_free(&r);
}

DS_TEST(bridge_health_and_models)
{
    resp r = fetch("GET", ds.bridge_url, "/health", NULL);
    cr_assert_eq(r.status, 200);
    cJSON *j = json_of(&r);
    cr_assert_str_eq(jstr(j, "status"), "healthy");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "ollama_status");
    cr_assert_str_eq(jstr(o, "status"), "healthy");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "has_chat")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "has_embedding")));
    const char *ts = jstr(j, "timestamp");
    cr_assert_not_null(ts);
    cr_assert_eq(ts[10], 'T');
    cr_assert_neq(ts[strlen(ts) - 1], 'Z');
    cJSON_Delete(j);
    resp_free(&r);
    r = fetch("GET", ds.bridge_url, "/api/v1/models", NULL);
    cr_assert_eq(r.status, 200);
    j = json_of(&r);
    cr_assert(cJSON_IsArray(j));
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(j, 0), "model_id"), "devserver-echo");
    cJSON_Delete(j);
    resp_free(&r);
}

/* ---------------------------------------------------------------- controller gate */

DS_TEST(rate_limit_like_the_controller)
{
    ds_proc lim;
    const char *const args[] = { "--rate-limit", "3", NULL };
    cr_assert_eq(ds_proc_start(&lim, args), 0);
    for (int i = 0; i < 3; i++) {
        resp r = fetch("GET", lim.controller_url, "/health", NULL);
        cr_assert_neq(r.status, 429);
        resp_free(&r);
    }
    resp r = fetch("GET", lim.controller_url, "/health", NULL);
    cr_assert_eq(r.status, 429);
    cr_assert_str_eq(r.body, "Rate limit exceeded. Please try again later.");
    cr_assert_str_eq(r.retry_after, "");
    resp_free(&r);
    r = fetch_h("GET", lim.controller_url, "/health", NULL, 10000, "X-Forwarded-For: 10.0.0.9");
    cr_assert_neq(r.status, 429, "another client IP has its own window");
    resp_free(&r);
    cr_assert_eq(ds_proc_stop(&lim), 0);
}

DS_TEST(api_key_guards_rest_routes_only)
{
    ds_proc sec;
    const char *const args[] = { "--api-key", "s3cret", NULL };
    cr_assert_eq(ds_proc_start(&sec, args), 0);
    resp r = fetch("GET", sec.controller_url, "/health", NULL);
    cr_assert_eq(r.status, 401);
    cJSON *j = json_of(&r);
    cr_assert_not_null(jstr(j, "error"));
    cr_assert_eq(jnum(j, "code"), 401);
    cJSON_Delete(j);
    resp_free(&r);
    r = fetch_h("GET", sec.controller_url, "/health", NULL, 10000, "Authorization: Bearer wrong");
    cr_assert_eq(r.status, 401);
    resp_free(&r);
    r = fetch_h("GET", sec.controller_url, "/health", NULL, 10000, "Authorization: Bearer s3cret");
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    r = fetch_h("POST", sec.controller_url, "/mcp/tools/memory_stats", "{}", 10000,
                "Authorization: Bearer dev_default_key_change_me_1234567890");
    cr_assert_neq(r.status, 401, "MCP tools keep their own key");
    resp_free(&r);
    r = fetch("POST", sec.bridge_url, "/embed", "{\"text\":\"x\"}");
    cr_assert_eq(r.status, 200, "the bridge has no auth");
    resp_free(&r);
    cr_assert_eq(ds_proc_stop(&sec), 0);
}

DS_TEST(bad_arguments_exit_2)
{
    const char *bin = getenv("SEKHA_DEVSERVER_BIN");
    cr_assert_not_null(bin);
    const char *cases[][3] = { { "--bogus", NULL, NULL }, { "--port", "x", NULL },
                               { "--port", "70000", NULL }, { "--rate-limit", NULL, NULL } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            const char *argv[] = { bin, cases[i][0], cases[i][1], NULL };
            execv(bin, (char *const *)argv);
            _exit(127);
        }
        int st = 0;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "case %zu: status %d", i, st);
    }
}

/* ---------------------------------------------------------------- shutdown and load */

/* Starts a transfer on m and drives it until the server has counted the request, so the
 * request is known to sit in its fault when this returns. */
static void start_and_wait_arrival(CURLM *m, CURL *h, const char *base, const char *path)
{
    curl_multi_add_handle(m, h);
    long long deadline = mono_ms() + 10000;
    while (ds_proc_count(&ds, base, path) < 1) {
        int running = 0;
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 20, NULL);
        cr_assert_lt(mono_ms(), deadline, "the request never reached the server");
    }
}

static void sigterm_with_open_connection(const char *rule, const char *path)
{
    arm(ds.bridge_url, rule);
    char url[256];
    snprintf(url, sizeof url, "%s%s", ds.bridge_url, path);
    resp r;
    memset(&r, 0, sizeof r);
    struct curl_slist *hdrs = NULL;
    CURL *h = easy(&r, "GET", url, NULL, 30000, &hdrs);
    CURLM *m = curl_multi_init();
    char counted[128];
    snprintf(counted, sizeof counted, "%.*s", (int)strcspn(path, "?"), path);
    start_and_wait_arrival(m, h, ds.bridge_url, counted);
    long long t0 = mono_ms();
    int status = ds_proc_stop(&ds);
    long long took = mono_ms() - t0;
    cr_assert_eq(status, 0, "exit status %d", status);
    cr_assert_lt(took, 5000, "shutdown took %lld ms", took);
    /* the client side sees the connection end rather than hanging */
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_remove_handle(m, h);
    curl_easy_cleanup(h);
    curl_multi_cleanup(m);
    resp_free(&r);
}

DS_TEST(sigterm_exits_promptly_with_a_stalled_connection)
{
    sigterm_with_open_connection("{\"path\":\"/health\",\"steps\":[{\"stall\":true}]}", "/health");
}

DS_TEST(sigterm_exits_promptly_with_an_endless_stream)
{
    sigterm_with_open_connection(
        "{\"path\":\"/_devserver/sse\",\"steps\":[{\"endless\":true,\"chunk_delay_ms\":1000}]}",
        "/_devserver/sse?count=1");
}

DS_TEST(thousand_concurrent_requests)
{
    enum { N = 1000 };
    /* Both ends of 1,000 connections live in this process and the devserver. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* Every request is held for a while so that all of them are open at the same time. */
    arm(ds.controller_url, "{\"path\":\"/_devserver/echo\",\"repeat\":true,\"steps\":[{\"delay_ms\":300}]}");
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    static resp rs[N];
    static CURL *hs[N];
    struct curl_slist *hdrs = NULL;
    char url[256];
    for (int i = 0; i < N; i++) {
        snprintf(url, sizeof url, "%s/_devserver/echo?i=%d", ds.controller_url, i);
        memset(&rs[i], 0, sizeof rs[i]);
        hs[i] = easy(&rs[i], "GET", url, NULL, 50000, &hdrs);
        curl_easy_setopt(hs[i], CURLOPT_PRIVATE, &rs[i]);
        curl_multi_add_handle(m, hs[i]);
    }
    int running = 1, done = 0, ok = 0;
    while (running || done < N) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            resp *r;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
            r->rc = msg->data.result;
            done++;
            ok += r->rc == CURLE_OK && r->status == 200;
        }
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < N; i++) {
        cr_expect(rs[i].rc == CURLE_OK && rs[i].status == 200, "request %d: %s, HTTP %ld", i,
                  curl_easy_strerror(rs[i].rc), rs[i].status);
        curl_multi_remove_handle(m, hs[i]);
        curl_easy_cleanup(hs[i]);
        resp_free(&rs[i]);
    }
    curl_multi_cleanup(m);
    cr_assert_eq(ok, N);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/_devserver/echo"), N);
}
