/* The devserver's controller side over real loopback HTTP: every REST route's success and
 * error shapes (quirks included), persistence across a restart, and concurrent writes.
 * Talks to the server with libcurl easy directly, never through libsekha, so these tests
 * pin the server's wire behaviour alone. The MCP tool endpoints are in
 * test_devserver_controller_mcp.c. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devserver_controller_fixture.h"

#define NIL_UUID "00000000-0000-0000-0000-000000000000"

static void put_empty(const char *id, const char *action, const char *body, long status)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/%s", id, action);
    expect_empty(body ? jreq("PUT", path, body) : http("PUT", path, NULL, NULL), status);
}

/* ------------------------------------------------------------------ #1 create */

Test(devserver_controller, create_answers_201_with_both_ids)
{
    res r = jreq("POST", "/api/v1/conversations",
                 "{\"label\":\"Work\",\"folder\":\"/projects\",\"messages\":["
                 "{\"role\":\"user\",\"content\":\"first\"},{\"role\":\"assistant\",\"content\":\"second\"}],"
                 "\"unknown_field\":true}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_expect_str_eq(r.ctype, "application/json");
    cJSON *j = parse(&r);
    const char *id = str(j, "id");
    cr_expect_eq(strlen(id), 36);
    cr_expect_eq(id[14], '4', "a v4 uuid: %s", id);
    cr_expect_str_eq(str(j, "conversation_id"), id);
    cr_expect_str_eq(str(j, "label"), "Work");
    cr_expect_str_eq(str(j, "folder"), "/projects");
    cr_expect_str_eq(str(j, "status"), "active");
    cr_expect_eq(num(j, "message_count"), 2);
    expect_naive(str(j, "created_at"), 'T');
    cJSON_Delete(j);
    res_free(&r);
}

Test(devserver_controller, create_flattens_multimodal_parts)
{
    res r = jreq("POST", "/api/v1/conversations",
                 "{\"label\":\"Vision\",\"folder\":\"/v\",\"messages\":[{\"role\":\"user\",\"content\":["
                 "{\"type\":\"text\",\"text\":\"describe zebrafish\"},"
                 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://img.test/z.png\",\"detail\":\"high\"}},"
                 "{\"type\":\"text\",\"text\":\"stripes please\"}]}]}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    res_free(&r);
    r = jreq("POST", "/api/v1/search/fts", "{\"query\":\"zebrafish\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    const cJSON *m = cJSON_GetArrayItem(get(j, "results"), 0);
    cr_assert_not_null(m);
    cr_expect_str_eq(str(m, "content"), "describe zebrafish stripes please");
    const cJSON *img = cJSON_GetArrayItem(get(get(m, "metadata"), "images"), 0);
    cr_assert_not_null(img);
    cr_expect_str_eq(str(img, "url"), "https://img.test/z.png");
    cr_expect_str_eq(str(img, "detail"), "high");
    cJSON_Delete(j);
    res_free(&r);
}

Test(devserver_controller, create_rejections_are_plain_text)
{
    const char *ok = "{\"label\":\"a\",\"folder\":\"/\",\"messages\":[]}";
    expect_text(http("POST", "/api/v1/conversations", ok, NULL), 415, "Content-Type");
    expect_text(http("POST", "/api/v1/conversations", ok, "text/plain"), 415, NULL);
    res r = jreq("POST", "/api/v1/conversations", ok);
    cr_expect_eq(r.status, 201);
    res_free(&r);
    r = http("POST", "/api/v1/conversations", ok, "application/json; charset=utf-8");
    cr_expect_eq(r.status, 201);
    res_free(&r);
    expect_text(jreq("POST", "/api/v1/conversations", "{\"label\":"), 400, "parse");
    expect_text(jreq("POST", "/api/v1/conversations", ""), 400, NULL);
    expect_text(jreq("POST", "/api/v1/conversations", "{\"label\":\"a\",\"messages\":[]}"), 422,
                "missing field `folder`");
    expect_text(jreq("POST", "/api/v1/conversations", "{\"label\":null,\"folder\":\"/\",\"messages\":[]}"),
                422, "label");
    expect_text(jreq("POST", "/api/v1/conversations", "{\"label\":5,\"folder\":\"/\",\"messages\":[]}"),
                422, NULL);
    expect_text(jreq("POST", "/api/v1/conversations", "[1,2]"), 422, NULL);
    expect_text(jreq("POST", "/api/v1/conversations",
                     "{\"label\":\"a\",\"folder\":\"/\",\"messages\":[{\"role\":\"user\"}]}"),
                422, "content");
    expect_text(jreq("POST", "/api/v1/conversations",
                     "{\"label\":\"a\",\"folder\":\"/\",\"messages\":[{\"role\":\"user\",\"content\":"
                     "[{\"type\":\"audio\",\"data\":\"x\"}]}]}"),
                422, NULL);
}

/* ------------------------------------------------------------------ #2 get, #8 delete */

Test(devserver_controller, get_delete_and_not_found)
{
    char *id = create("Getme", "/g", "hello there");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    res r = http("GET", path, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "id"), id);
    cr_expect_str_eq(str(j, "label"), "Getme");
    cr_expect_str_eq(str(j, "folder"), "/g");
    cr_expect_str_eq(str(j, "status"), "active");
    cr_expect_eq(num(j, "message_count"), 1);
    expect_naive(str(j, "created_at"), 'T');
    cJSON_Delete(j);
    res_free(&r);

    /* Upper-case and simple (unhyphenated) forms parse like the uuid crate's. */
    char upper[64], simple[64];
    size_t k = 0;
    for (size_t i = 0; id[i]; i++) {
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 32 : id[i]);
        if (id[i] != '-')
            simple[k++] = id[i];
    }
    upper[strlen(id)] = '\0';
    simple[k] = '\0';
    snprintf(path, sizeof path, "/api/v1/conversations/%s", upper);
    r = http("GET", path, NULL, NULL);
    cr_expect_eq(r.status, 200);
    res_free(&r);
    snprintf(path, sizeof path, "/api/v1/conversations/%s", simple);
    r = http("GET", path, NULL, NULL);
    cr_expect_eq(r.status, 200);
    res_free(&r);

    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    expect_empty(http("DELETE", path, NULL, NULL), 200);
    expect_error(http("GET", path, NULL, NULL), 404, "Conversation not found");
    expect_error(http("DELETE", path, NULL, NULL), 404, "Conversation not found");
    expect_text(http("GET", "/api/v1/conversations/not-a-uuid", NULL, NULL), 400, NULL);
    expect_text(http("DELETE", "/api/v1/conversations/1234", NULL, NULL), 400, NULL);
    expect_empty(http("POST", path, "{}", "application/json"), 405);
    free(id);
}

/* ------------------------------------------------------------------ #3 list */

Test(devserver_controller, list_is_a_query_response_newest_first)
{
    char *a = create("Alpha", "/one", "a");
    usleep(2000);
    char *b = create("Beta", "/two", "b");
    res r = http("GET", "/api/v1/conversations", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_expect_eq(num(j, "total"), 2);
    cr_expect_eq(num(j, "page"), 1);
    cr_expect_eq(num(j, "page_size"), 50);
    const cJSON *results = get(j, "results");
    cr_assert_eq(cJSON_GetArraySize(results), 2);
    const cJSON *first = cJSON_GetArrayItem(results, 0);
    cr_expect_str_eq(str(first, "conversation_id"), b);
    cr_expect_str_eq(str(first, "message_id"), NIL_UUID);
    cr_expect_eq(num(first, "score"), 1.0);
    cr_expect_str_eq(str(first, "content"), "Beta");
    cr_expect_str_eq(str(first, "label"), "Beta");
    cr_expect_str_eq(str(first, "folder"), "/two");
    expect_naive(str(first, "timestamp"), 'T');
    const cJSON *meta = get(first, "metadata");
    cr_expect_str_eq(str(meta, "folder"), "/two");
    cr_expect_str_eq(str(meta, "status"), "active");
    cr_expect_eq(num(meta, "importance_score"), 5);
    cr_expect_str_eq(str(cJSON_GetArrayItem(results, 1), "conversation_id"), a);
    cJSON_Delete(j);
    res_free(&r);

    /* Updating the older one moves it to the front (ordered by updated_at). */
    put_empty(a, "folder", "{\"folder\":\"/moved\"}", 200);
    r = http("GET", "/api/v1/conversations?page=1&page_size=1", NULL, NULL);
    j = parse(&r);
    cr_expect_eq(num(j, "total"), 2);
    cr_expect_eq(num(j, "page_size"), 1);
    cr_assert_eq(cJSON_GetArraySize(get(j, "results")), 1);
    cr_expect_str_eq(str(cJSON_GetArrayItem(get(j, "results"), 0), "conversation_id"), a);
    cJSON_Delete(j);
    res_free(&r);
    r = http("GET", "/api/v1/conversations?page=2&page_size=1", NULL, NULL);
    j = parse(&r);
    cr_expect_eq(num(j, "page"), 2);
    cr_expect_str_eq(str(cJSON_GetArrayItem(get(j, "results"), 0), "conversation_id"), b);
    cJSON_Delete(j);
    res_free(&r);

    expect_text(http("GET", "/api/v1/conversations?page=0", NULL, NULL), 400, NULL);
    expect_text(http("GET", "/api/v1/conversations?page=abc", NULL, NULL), 400, NULL);
    expect_text(http("GET", "/api/v1/conversations?pinned=yes", NULL, NULL), 400, NULL);
    expect_empty(http("PATCH", "/api/v1/conversations", NULL, NULL), 405);
    free(a);
    free(b);
}

static int list_count(const char *query)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/conversations?%s", query);
    res r = http("GET", path, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s: %s", query, r.body);
    cJSON *j = parse(&r);
    int n = cJSON_GetArraySize(get(j, "results"));
    cr_expect_eq(num(j, "total"), n);
    cJSON_Delete(j);
    res_free(&r);
    return n;
}

Test(devserver_controller, list_filters_actually_filter)
{
    char *a = create("Shared", "/x", "a");
    char *b = create("Shared", "/y", "b");
    char *c = create("Other", "/x", "c");
    put_empty(b, "pin", NULL, 200);
    put_empty(c, "archive", NULL, 200);
    cr_expect_eq(list_count("label=Shared"), 2);
    cr_expect_eq(list_count("folder=%2Fx"), 2);
    cr_expect_eq(list_count("label=Shared&folder=%2Fx"), 1);
    cr_expect_eq(list_count("pinned=true"), 1);
    cr_expect_eq(list_count("pinned=false"), 2);
    cr_expect_eq(list_count("archived=true"), 1);
    cr_expect_eq(list_count("archived=false"), 2);
    cr_expect_eq(list_count("label=Nope"), 0);
    free(a);
    free(b);
    free(c);
}

/* ------------------------------------------------------------------ #4-#7 updates */

Test(devserver_controller, label_folder_pin_archive)
{
    char *id = create("Old", "/old", "text");
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s/label", id);
    expect_text(jreq("PUT", path, "{\"label\":\"New\"}"), 422, "missing field `folder`");
    expect_text(jreq("PUT", path, "{\"folder\":\"/f\"}"), 422, "missing field `label`");
    expect_text(http("PUT", path, "{\"label\":\"a\",\"folder\":\"b\"}", NULL), 415, NULL);
    put_empty(id, "label", "{\"label\":\"New\",\"folder\":\"/new\"}", 200);
    put_empty(id, "folder", "{\"folder\":\"/newer\"}", 200);
    put_empty(id, "pin", NULL, 200);
    put_empty(id, "archive", NULL, 200);

    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    res r = http("GET", path, NULL, NULL);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "label"), "New");
    cr_expect_str_eq(str(j, "folder"), "/newer");
    cr_expect_str_eq(str(j, "status"), "archived");
    cJSON_Delete(j);
    res_free(&r);
    r = http("GET", "/api/v1/conversations?label=New", NULL, NULL);
    j = parse(&r);
    cr_expect_eq(num(get(cJSON_GetArrayItem(get(j, "results"), 0), "metadata"), "importance_score"), 10);
    cJSON_Delete(j);
    res_free(&r);

    /* Not-found answers differ per route, exactly as in the real controller. */
    expect_error(jreq("PUT", "/api/v1/conversations/" MISSING_UUID "/label",
                      "{\"label\":\"a\",\"folder\":\"b\"}"),
                 404, "Entity not found: Conversation not found");
    expect_error(jreq("PUT", "/api/v1/conversations/" MISSING_UUID "/folder", "{\"folder\":\"b\"}"),
                 404, "Conversation not found");
    expect_error(http("PUT", "/api/v1/conversations/" MISSING_UUID "/pin", NULL, NULL), 500,
                 "Entity not found: Conversation not found");
    expect_error(http("PUT", "/api/v1/conversations/" MISSING_UUID "/archive", NULL, NULL), 500,
                 "Entity not found: Conversation not found");
    expect_text(http("PUT", "/api/v1/conversations/xyz/pin", NULL, NULL), 400, NULL);
    expect_empty(http("POST", "/api/v1/conversations/" MISSING_UUID "/pin", NULL, NULL), 405);
    expect_empty(http("PUT", "/api/v1/conversations/" MISSING_UUID "/star", NULL, NULL), 404);
    free(id);
}

/* ------------------------------------------------------------------ #9 count */

Test(devserver_controller, count_variants)
{
    free(create("Cnt", "/c1", "x"));
    free(create("Cnt", "/c2", "y"));
    free(create("Solo", "/c1", "z"));
    res r = http("GET", "/api/v1/conversations/count", NULL, NULL);
    cJSON *j = parse(&r);
    cr_expect_eq(num(j, "count"), 3);
    cr_expect(cJSON_IsNull(get(j, "label")));
    cr_expect(cJSON_IsNull(get(j, "folder")));
    cJSON_Delete(j);
    res_free(&r);
    r = http("GET", "/api/v1/conversations/count?label=Cnt", NULL, NULL);
    j = parse(&r);
    cr_expect_eq(num(j, "count"), 2);
    cr_expect_str_eq(str(j, "label"), "Cnt");
    cr_expect(cJSON_IsNull(get(j, "folder")));
    cJSON_Delete(j);
    res_free(&r);
    r = http("GET", "/api/v1/conversations/count?folder=/c1", NULL, NULL);
    j = parse(&r);
    cr_expect_eq(num(j, "count"), 2);
    cr_expect_str_eq(str(j, "folder"), "/c1");
    cJSON_Delete(j);
    res_free(&r);
    r = http("GET", "/api/v1/conversations/count?label=Cnt&folder=/c1", NULL, NULL);
    cr_expect_eq(r.status, 200);
    j = parse(&r);
    cr_expect_eq(num(j, "count"), 0);
    cr_expect_str_eq(str(j, "error"), "Cannot specify both label and folder");
    cr_expect_null(cJSON_GetObjectItem(j, "label"));
    cJSON_Delete(j);
    res_free(&r);
    expect_empty(http("DELETE", "/api/v1/conversations/count", NULL, NULL), 405);
}

/* ------------------------------------------------------------------ #10 query */

Test(devserver_controller, query_ranks_the_matching_conversation_first)
{
    char *cook = create("Cooking", "/home", "My grandmother's lasagna recipe needs ricotta and basil");
    char *db = create("Databases", "/work", "How do I tune PostgreSQL indexes for slow queries");
    char *cars = create("Cars", "/home", "Changing the oil in a diesel engine every 10000 km");
    res r = jreq("POST", "/api/v1/query", "{\"query\":\"postgresql index tuning\",\"limit\":2,\"offset\":4}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    const cJSON *results = get(j, "results");
    cr_assert_eq(cJSON_GetArraySize(results), 2);
    const cJSON *top = cJSON_GetArrayItem(results, 0);
    cr_expect_str_eq(str(top, "conversation_id"), db);
    cr_expect_str_eq(str(top, "label"), "Databases");
    cr_expect_str_eq(str(top, "folder"), "/work");
    cr_expect_str_eq(str(top, "content"), "How do I tune PostgreSQL indexes for slow queries");
    cr_expect_eq(strlen(str(top, "message_id")), 36);
    expect_naive(str(top, "timestamp"), 'T');
    double s0 = num(top, "score"), s1 = num(cJSON_GetArrayItem(results, 1), "score");
    cr_expect(s0 > s1 && s0 <= 1.0001 && s0 > 0.2, "scores %f %f", s0, s1);
    const cJSON *meta = get(top, "metadata");
    cr_expect_str_eq(str(meta, "conversation_id"), db);
    cr_expect_str_eq(str(meta, "message_id"), str(top, "message_id"));
    cr_expect_str_eq(str(meta, "role"), "user");
    cr_expect_not_null(cJSON_GetObjectItem(meta, "content_preview"));
    /* offset is not applied; it only feeds page = ceil(offset/limit); total = returned. */
    cr_expect_eq(num(j, "page"), 2);
    cr_expect_eq(num(j, "page_size"), 2);
    cr_expect_eq(num(j, "total"), 2);
    cJSON_Delete(j);
    res_free(&r);

    r = jreq("POST", "/api/v1/query", "{\"query\":\"lasagna\"}");
    j = parse(&r);
    cr_expect_str_eq(str(cJSON_GetArrayItem(get(j, "results"), 0), "conversation_id"), cook);
    cr_expect_eq(num(j, "page"), 0, "the first page reports page 0");
    cr_expect_eq(num(j, "page_size"), 10);
    cr_expect_eq(num(j, "total"), 3);
    cJSON_Delete(j);
    res_free(&r);

    /* filters are a Chroma where clause over the message metadata. */
    char body[256];
    snprintf(body, sizeof body, "{\"query\":\"oil\",\"filters\":{\"conversation_id\":{\"$eq\":\"%s\"}}}", cars);
    r = jreq("POST", "/api/v1/query", body);
    j = parse(&r);
    cr_expect_eq(cJSON_GetArraySize(get(j, "results")), 1);
    cJSON_Delete(j);
    res_free(&r);
    r = jreq("POST", "/api/v1/query", "{\"query\":\"oil\",\"filters\":{\"label\":\"Cars\"}}");
    j = parse(&r);
    cr_expect_eq(cJSON_GetArraySize(get(j, "results")), 0, "Chroma holds no label key");
    cJSON_Delete(j);
    res_free(&r);
    r = jreq("POST", "/api/v1/query", "{\"query\":\"oil\",\"filters\":{\"labels\":[\"Cars\"]}}");
    cr_expect_eq(r.status, 500);
    j = parse(&r);
    cr_expect(strncmp(str(j, "error"), "Semantic search failed:", 23) == 0, "%s", r.body);
    cJSON_Delete(j);
    res_free(&r);

    expect_text(jreq("POST", "/api/v1/query", "{\"limit\":3}"), 422, "query");
    expect_text(jreq("POST", "/api/v1/query", "{\"query\":\"x\",\"limit\":-1}"), 422, NULL);
    expect_text(jreq("POST", "/api/v1/query", "{\"query\":\"x\",\"limit\":2.5}"), 422, NULL);
    expect_empty(http("GET", "/api/v1/query", NULL, NULL), 405);
    free(cook);
    free(db);
    free(cars);
}

/* ------------------------------------------------------------------ #11 fts, #12 rebuild */

Test(devserver_controller, full_text_search)
{
    char *id = create("Fts", "/f", "The quick brown fox jumps over the lazy dog");
    free(create("Fts2", "/f", "Nothing to see"));
    res r = jreq("POST", "/api/v1/search/fts", "{\"query\":\"brown AND fox\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_expect_eq(num(j, "total"), 1);
    const cJSON *m = cJSON_GetArrayItem(get(j, "results"), 0);
    cr_assert_not_null(m);
    cr_expect_str_eq(str(m, "conversation_id"), id);
    cr_expect_str_eq(str(m, "role"), "user");
    cr_expect_str_eq(str(m, "content"), "The quick brown fox jumps over the lazy dog");
    cr_expect_eq(strlen(str(m, "id")), 36);
    expect_naive(str(m, "timestamp"), 'T');
    cr_expect(cJSON_IsNull(get(m, "embedding_id")));
    cr_expect(cJSON_IsObject(get(m, "metadata")));
    cJSON_Delete(j);
    res_free(&r);

    r = jreq("POST", "/api/v1/search/fts", "{\"query\":\"qu*\",\"limit\":0}");
    j = parse(&r);
    cr_expect_eq(num(j, "total"), 0);
    cJSON_Delete(j);
    res_free(&r);

    r = jreq("POST", "/api/v1/search/fts", "{\"query\":\"AND OR (\"}");
    cr_expect_eq(r.status, 500, "%s", r.body);
    j = parse(&r);
    cr_expect_eq(num(j, "code"), 500);
    cr_expect_not_null(cJSON_GetObjectItem(j, "error"));
    cJSON_Delete(j);
    res_free(&r);
    expect_text(jreq("POST", "/api/v1/search/fts", "{\"query\":\"x\",\"limit\":null}"), 422, "limit");

    expect_empty(http("POST", "/api/v1/rebuild-embeddings", NULL, NULL), 202);
    expect_empty(http("POST", "/api/v1/rebuild-embeddings", "{}", "application/json"), 202);
    free(id);
}

/* ------------------------------------------------------------------ #13 context */

Test(devserver_controller, context_assembly_is_a_bare_array_within_budget)
{
    char body[2048];
    char long_text[801];
    memset(long_text, 'k', 800);
    long_text[800] = '\0';
    for (int i = 0; i < 6; i++) {
        snprintf(body, sizeof body, "Kubernetes note %d %s", i, long_text);
        free(create("Infra", "/work/ops", body));
    }
    char *secret = create("Infra", "/private/keys", "kubernetes secret material");
    char *pinned = create("Pinned", "/notes", "always remember the deploy freeze");
    put_empty(pinned, "pin", NULL, 200);

    res r = jreq("POST", "/api/v1/context/assemble",
                 "{\"query\":\"kubernetes\",\"preferred_labels\":[\"Infra\"],\"context_budget\":600,"
                 "\"excluded_folders\":[\"/private\"]}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_assert(cJSON_IsArray(j), "a bare JSON array, got %s", r.body);
    int n = cJSON_GetArraySize(j);
    cr_expect(n >= 1, "something fits the budget");
    size_t tokens = 0;
    int saw_pinned = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *m = cJSON_GetArrayItem(j, i);
        tokens += strlen(str(m, "content")) / 4;
        cr_expect_eq(strlen(str(m, "id")), 36);
        cr_expect(cJSON_IsNull(get(m, "embedding_id")));
        const cJSON *cit = get(get(m, "metadata"), "citation");
        expect_naive(str(cit, "timestamp"), ' ');
        if (!strcmp(str(m, "conversation_id"), pinned)) {
            saw_pinned = 1;
            cr_expect_str_eq(str(cit, "label"), "Pinned");
            cr_expect_str_eq(str(cit, "folder"), "/notes");
        }
    }
    cr_expect(tokens <= 510, "tokens %zu exceed 85%% of 600", tokens);
    cr_expect(saw_pinned, "pinned conversations are always recalled and rank high");
    cJSON_Delete(j);
    res_free(&r);

    /* A small budget takes only what fits; excluded folders drop semantic hits. */
    r = jreq("POST", "/api/v1/context/assemble",
             "{\"query\":\"secret material\",\"preferred_labels\":[],\"context_budget\":20,"
             "\"excluded_folders\":[\"/private\"]}");
    j = parse(&r);
    cr_assert(cJSON_IsArray(j));
    for (int i = 0; i < cJSON_GetArraySize(j); i++)
        cr_expect_str_neq(str(cJSON_GetArrayItem(j, i), "conversation_id"), secret);
    cJSON_Delete(j);
    res_free(&r);

    r = jreq("POST", "/api/v1/context/assemble", "{\"query\":\"x\",\"preferred_labels\":[],\"context_budget\":0}");
    cr_expect_str_eq(r.body, "[]");
    res_free(&r);
    expect_text(jreq("POST", "/api/v1/context/assemble", "{\"query\":\"x\",\"context_budget\":100}"),
                422, "preferred_labels");
    expect_text(jreq("POST", "/api/v1/context/assemble", "{\"query\":\"x\",\"preferred_labels\":[]}"),
                422, "context_budget");
    expect_text(jreq("POST", "/api/v1/context/assemble",
                     "{\"query\":\"x\",\"preferred_labels\":[],\"context_budget\":10,\"excluded_folders\":null}"),
                422, NULL);
    free(secret);
    free(pinned);
}

/* ------------------------------------------------------------------ #14 summarize */

Test(devserver_controller, summarize_levels_and_errors)
{
    res r = jreq("POST", "/api/v1/conversations",
                 "{\"label\":\"Trip\",\"folder\":\"/t\",\"messages\":["
                 "{\"role\":\"user\",\"content\":\"We fly to Lisbon on Friday. Hotel is booked.\"},"
                 "{\"role\":\"assistant\",\"content\":\"Pack sunscreen! It will be hot.\"}]}");
    cJSON *j = parse(&r);
    char *id = strdup(str(j, "id"));
    cJSON_Delete(j);
    res_free(&r);
    char body[160];
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\",\"level\":\"weekly\"}", id);
    r = jreq("POST", "/api/v1/summarize", body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    j = parse(&r);
    cr_expect_str_eq(str(j, "conversation_id"), id);
    cr_expect_str_eq(str(j, "level"), "weekly");
    cr_expect_str_eq(str(j, "model"), "devserver-extractive");
    expect_naive(str(j, "generated_at"), 'T');
    const char *summary = str(j, "summary");
    cr_expect_not_null(strstr(summary, "We fly to Lisbon on Friday."), "%s", summary);
    cr_expect_not_null(strstr(summary, "Pack sunscreen!"), "%s", summary);
    cr_expect_null(strstr(summary, "Hotel"), "only first sentences: %s", summary);
    cJSON_Delete(j);
    res_free(&r);

    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\",\"level\":\"hourly\"}", id);
    expect_error(jreq("POST", "/api/v1/summarize", body), 400,
                 "Invalid level: must be daily, weekly, or monthly");
    expect_error(jreq("POST", "/api/v1/summarize",
                      "{\"conversation_id\":\"" MISSING_UUID "\",\"level\":\"daily\"}"),
                 404, "Conversation not found");
    expect_text(jreq("POST", "/api/v1/summarize", "{\"conversation_id\":\"nope\",\"level\":\"daily\"}"),
                422, NULL);
    expect_text(jreq("POST", "/api/v1/summarize", "{\"level\":\"daily\"}"), 422, "conversation_id");
    free(id);
}

/* ------------------------------------------------------------------ #15-#17 */

Test(devserver_controller, prune_dry_run_and_execute)
{
    char *a = create("Stale", "/s", "old stuff");
    char *b = create("Stale2", "/s", "more old stuff");
    res r = jreq("POST", "/api/v1/prune/dry-run", "{\"threshold_days\":30}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_expect_eq(num(j, "total"), 0, "nothing is 30 days old yet");
    cJSON_Delete(j);
    res_free(&r);
    /* A negative threshold puts the cutoff in the future: everything active is stale. */
    r = jreq("POST", "/api/v1/prune/dry-run", "{\"threshold_days\":-1}");
    j = parse(&r);
    cr_expect_eq(num(j, "total"), 2);
    const cJSON *s = cJSON_GetArrayItem(get(j, "suggestions"), 0);
    cr_assert_not_null(s);
    cr_expect_eq(strlen(str(s, "conversation_id")), 36);
    cr_expect_not_null(cJSON_GetObjectItem(s, "conversation_label"));
    expect_naive(str(s, "last_accessed"), 'T');
    cr_expect_eq(num(s, "message_count"), 1);
    cr_expect_eq(num(s, "token_estimate"), 200);
    cr_expect_eq(num(s, "importance_score"), 5.0);
    cr_expect_not_null(strstr(str(s, "preview"), "user: "));
    cr_expect_str_eq(str(s, "recommendation"), "keep");
    cJSON_Delete(j);
    res_free(&r);
    expect_text(jreq("POST", "/api/v1/prune/dry-run", "{}"), 422, "threshold_days");

    char body[256];
    snprintf(body, sizeof body, "{\"conversation_ids\":[\"%s\"]}", a);
    expect_empty(jreq("POST", "/api/v1/prune/execute", body), 200);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", a);
    r = http("GET", path, NULL, NULL);
    j = parse(&r);
    cr_expect_str_eq(str(j, "status"), "archived");
    cJSON_Delete(j);
    res_free(&r);
    r = jreq("POST", "/api/v1/prune/dry-run", "{\"threshold_days\":-1}");
    j = parse(&r);
    cr_expect_eq(num(j, "total"), 1, "archived conversations are not suggested again");
    cJSON_Delete(j);
    res_free(&r);
    snprintf(body, sizeof body, "{\"conversation_ids\":[\"" MISSING_UUID "\",\"%s\"]}", b);
    expect_error(jreq("POST", "/api/v1/prune/execute", body), 500,
                 "Entity not found: Conversation not found");
    expect_text(jreq("POST", "/api/v1/prune/execute", "{\"conversation_ids\":[\"bad\"]}"), 422, NULL);
    free(a);
    free(b);
}

Test(devserver_controller, label_suggestions)
{
    free(create("kubernetes", "/ops", "cluster notes"));
    char *id = create("Untitled", "/inbox",
                      "Kubernetes pods keep restarting. The kubernetes scheduler evicts pods when "
                      "memory pressure rises; pods need limits.");
    char body[128];
    snprintf(body, sizeof body, "{\"conversation_id\":\"%s\"}", id);
    res r = jreq("POST", "/api/v1/labels/suggest", body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "conversation_id"), id);
    cr_expect_str_eq(str(j, "model"), "devserver-extractive");
    const cJSON *sugg = get(j, "suggestions");
    int n = cJSON_GetArraySize(sugg);
    cr_expect(n >= 2 && n <= 5, "%d suggestions", n);
    int existing = 0, fresh = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(sugg, i);
        int is_existing = cJSON_IsTrue(get(s, "is_existing"));
        double conf = num(s, "confidence");
        cr_expect(conf > (is_existing ? 0.89 : 0.59) && conf < (is_existing ? 0.91 : 0.61), "%f", conf);
        cr_expect(strlen(str(s, "reason")) > 0);
        if (is_existing) {
            existing++;
            cr_expect_str_eq(str(s, "label"), "kubernetes");
        } else {
            fresh++;
        }
    }
    cr_expect_eq(existing, 1);
    cr_expect(fresh >= 1);
    cJSON_Delete(j);
    res_free(&r);
    r = jreq("POST", "/api/v1/labels/suggest", "{\"conversation_id\":\"" MISSING_UUID "\"}");
    cr_expect_eq(r.status, 500);
    res_free(&r);
    expect_text(jreq("POST", "/api/v1/labels/suggest", "{}"), 422, NULL);
    free(id);
}

/* ------------------------------------------------------------------ #18 #19 and routing */

Test(devserver_controller, health_metrics_and_routing)
{
    res r = http("GET", "/health", NULL, NULL);
    cr_assert_eq(r.status, 200);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "status"), "healthy");
    const char *ts = str(j, "timestamp");
    cr_expect(strlen(ts) > 20 && ts[10] == 'T' && strstr(ts, "+00:00"), "RFC 3339: %s", ts);
    cr_expect_str_eq(str(get(get(j, "checks"), "database"), "status"), "ok");
    cr_expect_str_eq(str(get(get(j, "checks"), "chroma"), "status"), "ok");
    cJSON_Delete(j);
    res_free(&r);

    free(create("M1", "/m", "one"));
    char *b = create("M2", "/m", "two");
    put_empty(b, "pin", NULL, 200);
    r = http("GET", "/metrics", NULL, NULL);
    cr_assert_eq(r.status, 200);
    cr_expect(strncmp(r.ctype, "text/plain", 10) == 0);
    cr_expect_not_null(strstr(r.body, "\nsekha_conversations_total 2\n"), "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\nsekha_messages_total 2\n"), "%s", r.body);
    cr_expect_not_null(strstr(r.body, "\nsekha_conversations_pinned 1\n"), "%s", r.body);
    res_free(&r);

    expect_empty(http("GET", "/api/v1/nope", NULL, NULL), 404);
    expect_empty(http("GET", "/api/v1/conversations/", NULL, NULL), 404);
    expect_empty(http("POST", "/health", NULL, NULL), 405);
    expect_empty(http("GET", "/api/v1/summarize", NULL, NULL), 405);
    expect_empty(http("PUT", "/api/v1/search/fts", NULL, NULL), 405);
    free(b);
}

/* ------------------------------------------------------------------ persistence */

Test(devserver_controller, data_survives_a_restart)
{
    ds_proc_stop(&ds);
    char dir[] = "/tmp/sekha-ctl-test-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char db[128];
    snprintf(db, sizeof db, "%s/store.db", dir);
    const char *args[] = {"--db", db, NULL};
    cr_assert_eq(ds_proc_start(&ds, args), 0);
    char *id = create("Durable", "/keep", "persistent platypus memory");
    put_empty(id, "pin", NULL, 200);
    cr_expect_eq(ds_proc_stop(&ds), 0, "SIGTERM is a clean shutdown");

    cr_assert_eq(ds_proc_start(&ds, args), 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/conversations/%s", id);
    res r = http("GET", path, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "label"), "Durable");
    cr_expect_str_eq(str(j, "folder"), "/keep");
    cr_expect_eq(num(j, "message_count"), 1);
    cJSON_Delete(j);
    res_free(&r);
    r = jreq("POST", "/api/v1/search/fts", "{\"query\":\"platypus\"}");
    j = parse(&r);
    cr_expect_eq(num(j, "total"), 1);
    cJSON_Delete(j);
    res_free(&r);
    r = jreq("POST", "/api/v1/query", "{\"query\":\"platypus\",\"limit\":1}");
    j = parse(&r);
    cr_expect_str_eq(str(cJSON_GetArrayItem(get(j, "results"), 0), "conversation_id"), id);
    cJSON_Delete(j);
    res_free(&r);
    cr_expect_eq(list_count("pinned=true"), 1);
    cr_expect_eq(ds_proc_stop(&ds), 0);

    /* Leave the directory as we found it (WAL side files may or may not exist). */
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[160];
        snprintf(f, sizeof f, "%s%s", db, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
    free(id);
}

/* ------------------------------------------------------------------ thread safety */

#define THREADS 5
#define PER_THREAD 10

typedef struct worker {
    int index;
    int created;
} worker;

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

/* Criterion's asserts must stay on the test's own thread, so workers only count. */
static void *create_many(void *arg)
{
    worker *w = arg;
    char body[256], url[256];
    snprintf(url, sizeof url, "%s/api/v1/conversations", ds.controller_url);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(body, sizeof body,
                 "{\"label\":\"T%d\",\"folder\":\"/threads\",\"messages\":[{\"role\":\"user\",\"content\":\"thread %d item %d\"}]}",
                 w->index, w->index, i);
        CURL *c = curl_easy_init();
        if (!c)
            continue;
        long status = 0;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        if (curl_easy_perform(c) == CURLE_OK &&
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 201)
            w->created++;
        curl_easy_cleanup(c);
    }
    curl_slist_free_all(h);
    return NULL;
}

Test(devserver_controller, concurrent_creates_all_succeed)
{
    pthread_t t[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].index = i;
        w[i].created = 0;
        cr_assert_eq(pthread_create(&t[i], NULL, create_many, &w[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += w[i].created;
    }
    cr_expect_eq(total, THREADS * PER_THREAD);
    res r = http("GET", "/api/v1/conversations/count?folder=/threads", NULL, NULL);
    cJSON *j = parse(&r);
    cr_expect_eq(num(j, "count"), THREADS * PER_THREAD);
    cJSON_Delete(j);
    res_free(&r);
    r = http("GET", "/api/v1/conversations?page_size=100", NULL, NULL);
    j = parse(&r);
    cr_expect_eq(cJSON_GetArraySize(get(j, "results")), THREADS * PER_THREAD);
    cJSON_Delete(j);
    res_free(&r);
}
