/* sekha-devserver --replay: hand-written cassettes served back to the library's raw and
 * typed calls. Checks matching (listener, method, path with query, body; JSON bodies
 * whatever their key order), recorded order with the last answer repeating, the 404 that
 * names an unknown request, recorded headers, streams written chunk by chunk with their
 * gaps, transport failures, and the start-up refusal of a bad cassette line. */
#include <stdarg.h>
#include <time.h>

#include "testutil.h"

TestSuite(replay, .timeout = 60);

#define UUID1 "11111111-2222-4333-8444-555555555555"
#define UUID2 "66666666-7777-4888-9999-aaaaaaaaaaaa"

/* Writes the lines to a new temporary file whose path goes to path (cap bytes). */
static void write_cassette(char *path, size_t cap, ...)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, cap, "%s/sekha-replay-XXXXXX", dir);
    int fd = mkstemp(path);
    cr_assert(fd >= 0, "mkstemp %s", path);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    va_list ap;
    va_start(ap, cap);
    for (const char *line; (line = va_arg(ap, const char *)) != NULL;)
        fprintf(f, "%s\n", line);
    va_end(ap);
    cr_assert_eq(fclose(f), 0);
}

static void start_replay(ds_proc *p, const char *path)
{
    cr_assert_eq(ds_proc_start_replay(p, path), 0, "replay server did not start on %s", path);
}

static sekha_client *replay_client(const ds_proc *p, int retries)
{
    sekha_options *o = test_options(p);
    cr_assert_eq(sekha_options_set_max_retries(o, retries), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

/* A raw request; returns the status (0 when there was no response) and keeps the body. */
static int raw(sekha_client *c, sekha_service svc, const char *line, const char *body,
               char *out, size_t cap, sekha_error **err_out)
{
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_NO_RETRY), SEKHA_OK);
    if (body) {
        cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, body, strlen(body)), SEKHA_OK);
        cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json"),
                     SEKHA_OK);
    }
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    (void)sekha_http_request_sync(c, svc, line, p, &resp, &err);
    sekha_params_free(p);
    int status = sekha_response_status(resp);
    if (out) {
        size_t len = 0;
        const char *b = resp ? sekha_response_body(resp, &len) : "";
        snprintf(out, cap, "%.*s", (int)len, b ? b : "");
    }
    sekha_response_free(resp);
    if (err_out)
        *err_out = err;
    else
        sekha_error_free(err);
    return status;
}

static const char *result_line(const char *uuid1, const char *content)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "{\\\"results\\\":[{\\\"conversation_id\\\":\\\"%s\\\",\\\"message_id\\\":\\\"%s\\\","
             "\\\"score\\\":0.5,\\\"content\\\":\\\"%s\\\",\\\"metadata\\\":{},"
             "\\\"label\\\":\\\"Cars\\\",\\\"folder\\\":\\\"/work\\\","
             "\\\"timestamp\\\":\\\"2024-01-01T00:00:00\\\"}],"
             "\\\"total\\\":1,\\\"page\\\":0,\\\"page_size\\\":5}",
             uuid1, UUID2, content);
    return buf;
}

Test(replay, typed_query_matches_whatever_the_key_order_and_retries_through_a_503)
{
    /* The library sends {"query":"engine","limit":5}; the cassette has the keys the other
     * way round and spaced out. The first answer is a 503 the client retries. */
    char l1[2048], l2[2048], path[256];
    snprintf(l1, sizeof l1,
             "{\"v\":1,\"service\":\"controller\",\"method\":\"POST\",\"path\":\"/api/v1/query\","
             "\"request_body\":\"{ \\\"limit\\\": 5, \\\"query\\\": \\\"engine\\\" }\","
             "\"status\":503,\"content_type\":\"application/json\","
             "\"headers\":{\"retry-after\":\"0\"},\"body\":\"{\\\"error\\\":\\\"busy\\\"}\"}");
    snprintf(l2, sizeof l2,
             "{\"v\":1,\"service\":\"controller\",\"method\":\"POST\",\"path\":\"/api/v1/query\","
             "\"request_body\":\"{\\\"limit\\\":5,\\\"query\\\":\\\"engine\\\"}\",\"status\":200,"
             "\"content_type\":\"application/json\",\"body\":\"%s\"}",
             result_line(UUID1, "knocking"));
    write_cassette(path, sizeof path, l1, l2, (const char *)NULL);
    ds_proc ds;
    start_replay(&ds, path);
    sekha_client *c = replay_client(&ds, 2);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 5), SEKHA_OK);
    for (int round = 0; round < 2; round++) {
        /* Round 1 takes the 503 then the 200; round 2 gets the 200 again (the last repeats). */
        sekha_search_results *r = NULL;
        sekha_error *err = NULL;
        cr_assert_eq(sekha_controller_query_sync(c, "engine", p, &r, &err), SEKHA_OK,
                     "round %d: %s", round, sekha_error_message(err));
        cr_assert_eq(sekha_search_results_count(r), 1);
        const sekha_search_result *top = sekha_search_results_at(r, 0);
        cr_assert_str_eq(sekha_search_result_conversation_id(top), UUID1);
        cr_assert_str_eq(sekha_search_result_content(top), "knocking");
        cr_assert_str_eq(sekha_search_result_label(top), "Cars");
        sekha_search_results_free(r);
    }
    sekha_params_free(p);
    sekha_client_free(c);
    cr_assert_eq(ds_proc_stop(&ds), 0);
    unlink(path);
}

Test(replay, raw_requests_get_answers_in_recorded_order_then_the_last_again)
{
    char path[256];
    write_cassette(path, sizeof path,
        "{\"v\":1,\"service\":\"controller\",\"method\":\"GET\",\"path\":\"/api/v1/labels?x=1\","
        "\"status\":200,\"content_type\":\"application/json\",\"body\":\"[\\\"one\\\"]\"}",
        "{\"v\":1,\"service\":\"controller\",\"method\":\"GET\",\"path\":\"/api/v1/labels?x=2\","
        "\"status\":200,\"content_type\":\"application/json\",\"body\":\"[\\\"other\\\"]\"}",
        "{\"v\":1,\"service\":\"controller\",\"method\":\"GET\",\"path\":\"/api/v1/labels?x=1\","
        "\"status\":503,\"content_type\":\"application/json\","
        "\"headers\":{\"retry-after\":\"7\",\"www-authenticate\":\"Bearer\"},"
        "\"body\":\"{\\\"error\\\":\\\"later\\\"}\"}",
        "{\"v\":1,\"service\":\"controller\",\"method\":\"GET\",\"path\":\"/api/v1/labels?x=1\","
        "\"status\":200,\"content_type\":\"application/json\",\"body_b64\":\"WyJ0aHJlZSJd\"}",
        "{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"/api/v1/labels?x=1\","
        "\"status\":200,\"content_type\":\"application/json\",\"body\":\"[\\\"bridge\\\"]\"}",
        (const char *)NULL);
    ds_proc ds;
    start_replay(&ds, path);
    sekha_client *c = replay_client(&ds, 0);
    char body[512];
    cr_assert_eq(raw(c, SEKHA_SERVICE_CONTROLLER, "GET /api/v1/labels?x=1", NULL, body,
                     sizeof body, NULL), 200);
    cr_assert_str_eq(body, "[\"one\"]");

    /* The 503 comes with its recorded headers. */
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_NO_RETRY), SEKHA_OK);
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_neq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /api/v1/labels?x=1",
                                          p, &resp, &err), SEKHA_OK);
    cr_assert_eq(sekha_response_status(resp), 503);
    cr_assert_str_eq(sekha_response_header(resp, "retry-after"), "7");
    cr_assert_str_eq(sekha_response_header(resp, "www-authenticate"), "Bearer");
    cr_assert_str_eq(sekha_response_header(resp, "content-type"), "application/json");
    sekha_response_free(resp);
    sekha_error_free(err);
    sekha_params_free(p);

    for (int i = 0; i < 3; i++) {
        cr_assert_eq(raw(c, SEKHA_SERVICE_CONTROLLER, "GET /api/v1/labels?x=1", NULL, body,
                         sizeof body, NULL), 200);
        cr_assert_str_eq(body, "[\"three\"]", "the last recorded answer repeats");
    }
    /* The query is part of the request; the listener too. */
    cr_assert_eq(raw(c, SEKHA_SERVICE_CONTROLLER, "GET /api/v1/labels?x=2", NULL, body,
                     sizeof body, NULL), 200);
    cr_assert_str_eq(body, "[\"other\"]");
    cr_assert_eq(raw(c, SEKHA_SERVICE_BRIDGE, "GET /api/v1/labels?x=1", NULL, body,
                     sizeof body, NULL), 200);
    cr_assert_str_eq(body, "[\"bridge\"]");
    sekha_client_free(c);
    cr_assert_eq(ds_proc_stop(&ds), 0);
    unlink(path);
}

Test(replay, an_unknown_request_gets_a_404_naming_it)
{
    char path[256];
    write_cassette(path, sizeof path,
        "{\"v\":1,\"service\":\"controller\",\"method\":\"POST\",\"path\":\"/api/v1/query\","
        "\"request_body\":\"{\\\"query\\\":\\\"engine\\\"}\",\"status\":200,"
        "\"content_type\":\"application/json\",\"body\":\"{}\"}",
        (const char *)NULL);
    ds_proc ds;
    start_replay(&ds, path);
    sekha_client *c = replay_client(&ds, 0);
    char body[1024];
    cr_assert_eq(raw(c, SEKHA_SERVICE_CONTROLLER, "POST /api/v1/query",
                     "{\"query\":\"brakes\"}", body, sizeof body, NULL), 404);
    cr_assert_str_eq(body, "{\"error\":\"not in the cassette: POST /api/v1/query "
                           "{\\\"query\\\":\\\"brakes\\\"}\"}");
    /* Same body on the other listener: not recorded there. */
    cr_assert_eq(raw(c, SEKHA_SERVICE_BRIDGE, "POST /api/v1/query", "{\"query\":\"engine\"}",
                     body, sizeof body, NULL), 404);
    /* A long body is cut at 200 bytes. */
    char big[600] = "{\"query\":\"";
    memset(big + 10, 'q', 500);
    strcpy(big + 510, "\"}");
    cr_assert_eq(raw(c, SEKHA_SERVICE_CONTROLLER, "POST /api/v1/query", big, body, sizeof body,
                     NULL), 404);
    cr_assert_not_null(strstr(body, "not in the cassette: POST /api/v1/query {\\\"query\\\":"));
    cr_assert_null(strstr(body, "qqq\\\"}"), "the body is cut: %s", body);
    cr_assert_lt(strlen(body), 320, "%s", body);
    sekha_client_free(c);
    cr_assert_eq(ds_proc_stop(&ds), 0);
    unlink(path);
}

typedef struct chunks_seen {
    int n;
    struct timespec first, last;
} chunks_seen;

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    (void)ch;
    chunks_seen *s = ud;
    clock_gettime(CLOCK_MONOTONIC, s->n == 0 ? &s->first : &s->last);
    s->n++;
    return SEKHA_EVENT_CONTINUE;
}

#define CHUNK(text, extra) \
    "data: {\\\"choices\\\":[{\\\"index\\\":0,\\\"delta\\\":{\\\"content\\\":\\\"" text \
    "\\\"},\\\"finish_reason\\\":" extra "}]}\\n\\n"

Test(replay, a_bridge_stream_arrives_in_chunks_with_its_gaps)
{
    char path[256];
    write_cassette(path, sizeof path,
        "{\"v\":1,\"service\":\"bridge\",\"method\":\"POST\",\"path\":\"/v1/chat/completions\","
        "\"request_body\":\"{\\\"stream\\\": true, \\\"messages\\\": "
        "[{\\\"content\\\": \\\"hi\\\", \\\"role\\\": \\\"user\\\"}]}\","
        "\"status\":200,\"content_type\":\"text/event-stream\",\"stream\":["
        "[0.4,\"" CHUNK("Hel", "null") "\"],"
        "[45.5,\"" CHUNK("lo", "null") "\"],"
        "[90,\"" CHUNK("!", "\\\"stop\\\"") "data: [DONE]\\n\\n\"]]}",
        (const char *)NULL);
    ds_proc ds;
    start_replay(&ds, path);
    sekha_client *c = replay_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "hi");
    chunks_seen seen = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_on_chunk(p, on_chunk, &seen), SEKHA_OK);
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, p, &out, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_completion_content(out, NULL), "Hello!");
    cr_assert_eq(sekha_completion_complete(out), 1);
    cr_assert_eq(seen.n, 3, "one chunk callback per recorded chunk");
    double gap = (double)(seen.last.tv_sec - seen.first.tv_sec) * 1000.0
                 + (double)(seen.last.tv_nsec - seen.first.tv_nsec) / 1e6;
    cr_assert_geq(gap, 50.0, "the recorded gaps (90 ms in all) are kept: %.1f ms", gap);
    sekha_completion_free(out);
    sekha_params_free(p);
    sekha_messages_free(m);
    sekha_client_free(c);
    cr_assert_eq(ds_proc_stop(&ds), 0);
    unlink(path);
}

/* A character cut between two reads: the recorder writes such pieces in base64. */
Test(replay, stream_pieces_that_are_not_utf8_on_their_own_come_back_whole)
{
    char path[256];
    write_cassette(path, sizeof path,
        "{\"v\":1,\"service\":\"bridge\",\"method\":\"POST\",\"path\":\"/v1/chat/completions\","
        "\"request_body\":\"{\\\"stream\\\": true, \\\"messages\\\": "
        "[{\\\"content\\\": \\\"hi\\\", \\\"role\\\": \\\"user\\\"}]}\","
        "\"status\":200,\"content_type\":\"text/event-stream\",\"stream\":["
        "[0.1,null,\"ZGF0YTogeyJjaG9pY2VzIjpbeyJpbmRleCI6MCwiZGVsdGEiOnsiY29udGVudCI6ImNhZsM=\"],"
        "[0.2,null,\"qSJ9LCJmaW5pc2hfcmVhc29uIjoic3RvcCJ9XX0KCmRhdGE6IFtET05FXQoK\"]]}",
        (const char *)NULL);
    ds_proc ds;
    start_replay(&ds, path);
    sekha_client *c = replay_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "hi");
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, NULL, &out, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_completion_content(out, NULL), "caf\xc3\xa9");
    sekha_completion_free(out);
    sekha_messages_free(m);
    sekha_client_free(c);
    cr_assert_eq(ds_proc_stop(&ds), 0);
    unlink(path);
}

Test(replay, a_recorded_transport_failure_closes_the_connection)
{
    char path[256];
    write_cassette(path, sizeof path,
        "{\"v\":1,\"service\":\"mcp\",\"method\":\"GET\",\"path\":\"/gone\",\"status\":0,"
        "\"error\":\"connection reset by peer\"}",
        (const char *)NULL);
    ds_proc ds;
    start_replay(&ds, path);
    sekha_client *c = replay_client(&ds, 0);
    sekha_error *err = NULL;
    cr_assert_eq(raw(c, SEKHA_SERVICE_CONTROLLER, "GET /gone", NULL, NULL, 0, &err), 0);
    cr_assert_not_null(err);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT, "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_client_free(c);
    cr_assert_eq(ds_proc_stop(&ds), 0);
    unlink(path);
}

static void expect_refused(const char *second_line, const char *why)
{
    char path[256];
    write_cassette(path, sizeof path,
        "{\"v\":1,\"service\":\"controller\",\"method\":\"GET\",\"path\":\"/ok\",\"status\":200}",
        "", second_line, (const char *)NULL);
    char out[1024];
    int rc = ds_proc_replay_fails(path, out, sizeof out);
    unlink(path);
    cr_assert_eq(rc, 2, "exit status %d for %s: %s", rc, second_line, out);
    char where[300];
    snprintf(where, sizeof where, "%s:3: ", path);
    cr_assert_not_null(strstr(out, where), "names the line: %s", out);
    cr_assert_not_null(strstr(out, why), "says %s: %s", why, out);
    cr_assert_null(strstr(out, "controller_url"), "no ready line: %s", out);
}

Test(replay, a_bad_cassette_line_stops_the_server_naming_the_line)
{
    expect_refused("{\"v\":1,\"service\":\"controller\",\"method\":\"GET\"", "not valid JSON");
    expect_refused("[1,2]", "not a JSON object");
    expect_refused("{\"v\":2,\"service\":\"controller\",\"method\":\"GET\",\"path\":\"/\","
                   "\"status\":200}", "\"v\" must be 1");
    expect_refused("{\"v\":1,\"service\":\"db\",\"method\":\"GET\",\"path\":\"/\",\"status\":200}",
                   "\"service\"");
    expect_refused("{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"nope\","
                   "\"status\":200}", "\"path\"");
    expect_refused("{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"/\","
                   "\"status\":200,\"bdy\":\"x\"}", "unknown key \"bdy\"");
    expect_refused("{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"/\","
                   "\"status\":200,\"body_b64\":\"@@@\"}", "base64");
    expect_refused("{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"/\","
                   "\"status\":200,\"stream\":[[1,2]]}", "stream[0]");
    expect_refused("{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"/\","
                   "\"status\":0}", "needs \"error\"");
    expect_refused("{\"v\":1,\"service\":\"bridge\",\"method\":\"GET\",\"path\":\"/\","
                   "\"status\":200,\"headers\":{\"set-cookie\":\"a=b\"}}", "set-cookie");

    char out[512];
    cr_assert_eq(ds_proc_replay_fails("/nonexistent/cassette.jsonl", out, sizeof out), 2);
    cr_assert_not_null(strstr(out, "cannot read the cassette /nonexistent/cassette.jsonl"),
                       "%s", out);
}
