/* Tool calls through the bridge: streamed fragments assembled by index, whole completions
 * that carry message.tool_calls, the JSON of both, the messages that answer a tool call,
 * a full round trip against sekha-devserver, and the response limit over tool-call
 * arguments. Decoder cases (shapes, merging) run without a server. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <criterion/criterion.h>

#include "bridge/internal.h"
#include "sekha/sekha.h"
#include "testutil.h"

static ds_proc ds;

static void tools_setup(void) { start_devserver(&ds, NULL); }
static void tools_teardown(void) { ds_proc_stop(&ds); }

TestSuite(tools, .init = tools_setup, .fini = tools_teardown, .timeout = 60);

#define TWO_TOOLS                                                                          \
    "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","           \
    "\"parameters\":{\"type\":\"object\"}}},{\"type\":\"function\",\"function\":{\"name\":" \
    "\"get_time\"}}]}"

#define USER_ASKS "weather in Paris caf\xc3\xa9"
#define ARGS_0 "{\"query\":\"" USER_ASKS "\",\"call\":0}"
#define ARGS_1 "{\"query\":\"" USER_ASKS "\",\"call\":1}"

static sekha_client *client_with_limit(size_t limit)
{
    sekha_options *o = test_options(&ds);
    if (limit)
        cr_assert_eq(sekha_options_set_max_response_bytes(o, limit), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

typedef struct final_copy {
    int finals, chunks;
    sekha_code code;
    int status;
    char message[512];
    sekha_completion *res; /* a copy of the lent completion */
} final_copy;

static void keep_final(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                       void *ud)
{
    (void)req;
    final_copy *f = ud;
    f->finals++;
    f->code = sekha_error_code(err);
    f->status = sekha_error_http_status(err);
    snprintf(f->message, sizeof f->message, "%s", err ? sekha_error_message(err) : "");
    f->res = c ? sekha_completion_copy(c) : NULL;
    cr_assert(!c || f->res, "copy failed");
}

static int count_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    (void)ch;
    ((final_copy *)ud)->chunks++;
    return SEKHA_EVENT_CONTINUE;
}

/* Sends msgs once (streamed or not) with extra_json and returns what the final callback
 * got (the completion is a copy: free it). */
static final_copy ask(sekha_client *c, const sekha_messages *m, int stream, const char *extra)
{
    final_copy f = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0.0), SEKHA_OK);
    if (extra)
        cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, extra), SEKHA_OK);
    if (stream)
        cr_assert_eq(sekha_params_set_on_chunk(p, count_chunk, &f), SEKHA_OK);
    sekha_request *req = stream ? sekha_bridge_stream_complete(c, m, p, keep_final, &f)
                                : sekha_bridge_complete(c, m, p, keep_final, &f);
    sekha_params_free(p);
    cr_assert_not_null(req);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(f.finals, 1);
    return f;
}

static void expect_two_calls(const sekha_completion *r)
{
    cr_assert_eq(sekha_completion_tool_call_count(r), 2);
    cr_assert_str_eq(sekha_completion_finish_reason(r), "tool_calls");
    const char *names[2] = {"get_weather", "get_time"}, *args[2] = {ARGS_0, ARGS_1};
    for (size_t i = 0; i < 2; i++) {
        const char *id = sekha_completion_tool_call_id(r, i);
        cr_assert_not_null(id);
        cr_assert_eq(strncmp(id, "call_", 5), 0, "%s", id);
        cr_assert_str_eq(sekha_completion_tool_call_type(r, i), "function");
        cr_assert_str_eq(sekha_completion_tool_call_name(r, i), names[i]);
        size_t len;
        cr_assert_str_eq(sekha_completion_tool_call_arguments(r, i, &len), args[i]);
        cr_assert_eq(len, strlen(args[i]));
    }
    cr_assert_str_neq(sekha_completion_tool_call_id(r, 0), sekha_completion_tool_call_id(r, 1));
    cr_assert_null(sekha_completion_tool_call_id(r, 2));
    cr_assert_null(sekha_completion_tool_call_type(r, 2));
    cr_assert_null(sekha_completion_tool_call_name(r, 2));
    cr_assert_null(sekha_completion_tool_call_arguments(r, 2, NULL));
    cr_assert_str_eq(sekha_completion_content(r, NULL), "");
}

/* The completion's JSON has message.tool_calls in the non-streaming OpenAI shape. */
static void expect_json_calls(const sekha_completion *r)
{
    const char *json = sekha_completion_json(r);
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "%s", json);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "choices"), 0), "message");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(msg, "content")), "%s", json);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    cr_assert_eq(cJSON_GetArraySize(calls), 2, "%s", json);
    for (int i = 0; i < 2; i++) {
        const cJSON *t = cJSON_GetArrayItem(calls, i);
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(t, "id")->valuestring,
                         sekha_completion_tool_call_id(r, (size_t)i));
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(t, "type")->valuestring, "function");
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring,
                         sekha_completion_tool_call_name(r, (size_t)i));
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(fn, "arguments")->valuestring,
                         i ? ARGS_1 : ARGS_0);
    }
    cJSON_Delete(v);
}

Test(tools, streamed_tool_calls_are_assembled_by_index)
{
    sekha_client *c = client_with_limit(0);
    sekha_messages *m = msgs_of(NULL, USER_ASKS);
    final_copy f = ask(c, m, 1, TWO_TOOLS);
    cr_assert_eq(f.code, SEKHA_OK, "%s", f.message);
    cr_assert(sekha_completion_streamed(f.res));
    cr_assert(sekha_completion_complete(f.res));
    /* two headers, the interleaved argument pieces, the finish chunk */
    cr_assert_gt(f.chunks, 2 + 8);
    cr_assert_eq((size_t)f.chunks, sekha_completion_chunks(f.res));
    expect_two_calls(f.res);
    expect_json_calls(f.res);
    sekha_completion_free(f.res);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(tools, whole_completions_carry_their_tool_calls)
{
    sekha_client *c = client_with_limit(0);
    sekha_messages *m = msgs_of(NULL, USER_ASKS);
    final_copy f = ask(c, m, 0, TWO_TOOLS);
    cr_assert_eq(f.code, SEKHA_OK, "%s", f.message);
    cr_assert_eq(sekha_completion_streamed(f.res), 0);
    expect_two_calls(f.res);
    expect_json_calls(f.res);
    sekha_completion_free(f.res);

    /* a server that ignores "stream" answers one JSON completion: the same calls */
    ds_proc plain;
    const char *const args[] = {"--no-stream", NULL};
    start_devserver(&plain, args);
    sekha_options *o = test_options(&plain);
    sekha_client *pc = test_client(o);
    sekha_options_free(o);
    final_copy g = ask(pc, m, 1, TWO_TOOLS);
    sekha_client_free(pc);
    ds_proc_stop(&plain);
    cr_assert_eq(g.code, SEKHA_OK, "%s", g.message);
    cr_assert_eq(g.chunks, 1);
    expect_two_calls(g.res);
    expect_json_calls(g.res);
    sekha_completion_free(g.res);

    /* tool_choice "none": no call, the usual text */
    final_copy h = ask(c, m, 1, "{\"tool_choice\":\"none\",\"tools\":[{\"type\":\"function\","
                                "\"function\":{\"name\":\"f\"}}]}");
    cr_assert_eq(h.code, SEKHA_OK, "%s", h.message);
    cr_assert_eq(sekha_completion_tool_call_count(h.res), 0);
    cr_assert_str_eq(sekha_completion_content(h.res, NULL), "You asked: " USER_ASKS);
    cr_assert_null(strstr(sekha_completion_json(h.res), "tool_calls"));
    sekha_completion_free(h.res);
    sekha_messages_free(m);
    sekha_client_free(c);
}

/* user asks -> the assistant calls two tools -> the app answers each call -> the final
 * answer names what the tools returned. */
static void round_trip(int stream)
{
    sekha_client *c = client_with_limit(0);
    sekha_messages *m = msgs_of(NULL, USER_ASKS);
    final_copy f = ask(c, m, stream, TWO_TOOLS);
    cr_assert_eq(f.code, SEKHA_OK, "%s", f.message);
    size_t n = sekha_completion_tool_call_count(f.res);
    cr_assert_eq(n, 2);
    cr_assert_eq(sekha_messages_add(m, "assistant", sekha_completion_content(f.res, NULL)),
                 SEKHA_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sekha_messages_add_tool_call(
                         m, sekha_completion_tool_call_id(f.res, i),
                         sekha_completion_tool_call_name(f.res, i),
                         sekha_completion_tool_call_arguments(f.res, i, NULL)),
                     SEKHA_OK);
    const char *results[2] = {"sunny 21\xc2\xb0" "C", "half past \"noon\""};
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sekha_messages_add_tool_result(m, sekha_completion_tool_call_id(f.res, i),
                                                    results[i]),
                     SEKHA_OK);
    cr_assert_eq(sekha_messages_count(m), 4);
    cr_assert_str_eq(sekha_messages_role(m, 3), "tool");
    final_copy g = ask(c, m, stream, TWO_TOOLS);
    cr_assert_eq(g.code, SEKHA_OK, "%s", g.message);
    cr_assert_eq(sekha_completion_tool_call_count(g.res), 0);
    cr_assert_str_eq(sekha_completion_content(g.res, NULL),
                     "Tool get_weather returned: sunny 21\xc2\xb0" "C "
                     "Tool get_time returned: half past \"noon\"");
    cr_assert_str_eq(sekha_completion_finish_reason(g.res), "stop");
    sekha_completion_free(g.res);

    /* a tool result whose id answers no call is refused by the server */
    sekha_messages *wrong = msgs_of(NULL, USER_ASKS);
    cr_assert_eq(sekha_messages_add(wrong, "assistant", ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(wrong, "call_a", "get_time", NULL), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_result(wrong, "call_b", "x"), SEKHA_OK);
    final_copy h = ask(c, wrong, stream, TWO_TOOLS);
    cr_assert_eq(h.code, SEKHA_E_BAD_REQUEST, "%s", h.message);
    cr_assert_eq(h.status, 400);
    sekha_completion_free(h.res);
    sekha_messages_free(wrong);
    sekha_completion_free(f.res);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(tools, a_streamed_tool_round_trip) { round_trip(1); }
Test(tools, a_tool_round_trip_without_streaming) { round_trip(0); }

Test(tools, tool_call_arguments_count_against_the_response_limit)
{
    cr_assert_eq(ds_proc_fault(&ds, ds.bridge_url,
                               "{\"path\":\"/v1/chat/completions\",\"steps\":[{\"endless\":true,"
                               "\"chunk_delay_ms\":1}]}"),
                 0);
    sekha_client *c = client_with_limit(1024);
    sekha_messages *m = msgs_of(NULL, USER_ASKS);
    final_copy f = ask(c, m, 1, TWO_TOOLS);
    cr_assert_eq(f.code, SEKHA_E_TOO_LARGE, "%s", f.message);
    cr_assert_not_null(f.res, "the calls so far are handed over");
    cr_assert_eq(sekha_completion_complete(f.res), 0);
    cr_assert_eq(sekha_completion_tool_call_count(f.res), 2);
    cr_assert_str_eq(sekha_completion_tool_call_arguments(f.res, 0, NULL), ARGS_0);
    size_t len0, len1;
    sekha_completion_tool_call_arguments(f.res, 0, &len0);
    const char *a1 = sekha_completion_tool_call_arguments(f.res, 1, &len1);
    cr_assert_eq(strncmp(a1, ARGS_1 "moremore", strlen(ARGS_1) + 8), 0, "%s", a1);
    size_t ids = strlen(sekha_completion_tool_call_id(f.res, 0)) +
                 strlen(sekha_completion_tool_call_id(f.res, 1));
    size_t total = len0 + len1 + ids + strlen("get_weather") + strlen("get_time") +
                   2 * strlen("function");
    cr_assert_leq(total, 1024, "%zu", total);
    cr_assert_gt(total, 1024 - 8, "every piece that fitted is kept (%zu)", total);
    sekha_completion_free(f.res);
    sekha_messages_free(m);
    sekha_client_free(c);
}

/* ================================================================ without a server */

Test(tool_messages, are_checked_and_written_in_the_openai_shape)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "f", "{}"), SEKHA_E_INVALID_ARG,
                 "no message yet");
    cr_assert_eq(sekha_messages_add(m, "user", "hi"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "f", "{}"), SEKHA_E_INVALID_ARG,
                 "the last message is not the assistant's");
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(NULL, "call_1", "f", "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, NULL, "f", "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "", "f", "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "", "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", NULL, "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_\xff", "f", "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "f\xc3", "{}"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "f", "{\"a\":\"\xed\xa0\x80\"}"),
                 SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "f", "{\"q\":\"a\\\"b\"}"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_2", "g", NULL), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_result(NULL, "call_1", "x"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_result(m, NULL, "x"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_result(m, "", "x"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_\xc0\x80", "x"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_1", "\xff"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_1", NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_count(m), 2, "refused messages are not added");
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_1", "r\\1"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_2", ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_3", "f", "{}"), SEKHA_E_INVALID_ARG,
                 "a tool message is last");
    cr_assert_str_eq(sekha_messages_role(m, 2), "tool");
    cr_assert_str_eq(sekha_messages_content(m, 2), "r\\1");
    /* The first refused add is remembered, and a list with one is never sent. */
    cr_assert_str_eq(sekha_messages_error(m),
                     "a tool call was added after a message that is not an assistant message");
    sekha_buf body = {0};
    sekha_error *refused = sekha__bridge_chat_body(&body, m, NULL, 0);
    cr_assert_not_null(refused);
    cr_assert_eq(sekha_error_code(refused), SEKHA_E_INVALID_ARG);
    sekha_error_free(refused);
    free(m->error);
    m->error = NULL;
    cr_assert_null(sekha__bridge_chat_body(&body, m, NULL, 0));
    cr_assert_str_eq(sekha__buf_str(&body),
                     "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                     "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
                     "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
                     "\"arguments\":\"{\\\"q\\\":\\\"a\\\\\\\"b\\\"}\"}},"
                     "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\","
                     "\"arguments\":\"{}\"}}]},"
                     "{\"role\":\"tool\",\"content\":\"r\\\\1\",\"tool_call_id\":\"call_1\"},"
                     "{\"role\":\"tool\",\"content\":\"\",\"tool_call_id\":\"call_2\"}],"
                     "\"stream\":false}");
    cJSON *v = cJSON_Parse(sekha__buf_str(&body));
    cr_assert_not_null(v, "the body is JSON");
    cJSON_Delete(v);
    sekha__buf_free(&body);
    sekha_messages_free(m);
}

/* Decodes the given chunks (SSE data) into a completion as the stream does. */
static sekha__chunk_rc feed(sekha_completion *c, const char *const *chunks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sekha__chunk_fields f;
        cJSON *root = NULL;
        sekha__chunk_rc rc = sekha__chunk_decode(chunks[i], strlen(chunks[i]), &c->text, &f,
                                                 &root);
        if (rc == SEKHA__CHUNK_OK && f.tool_calls)
            cr_assert_eq(sekha__completion_add_tool_calls(c, f.tool_calls), 0);
        cJSON_Delete(root);
        if (rc != SEKHA__CHUNK_OK)
            return rc;
    }
    return SEKHA__CHUNK_OK;
}

#define TC(body) "{\"choices\":[{\"index\":0,\"delta\":{" body "}}]}"

Test(tool_messages, fragments_merge_by_index_in_any_order)
{
    static const char *const chunks[] = {
        TC("\"role\":\"assistant\",\"content\":\"Let me check. \""),
        TC("\"tool_calls\":[{\"index\":2,\"id\":\"call_c\",\"type\":\"function\","
           "\"function\":{\"name\":\"third\",\"arguments\":\"\"}}]"),
        TC("\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"function\":{\"name\":\"first\"}}]"),
        TC("\"content\":\"More text.\",\"tool_calls\":[{\"index\":2,\"function\":"
           "{\"arguments\":\"{\\\"x\\\":\"}},{\"index\":0,\"function\":{\"arguments\":\"[1,\"}}]"),
        TC("\"tool_calls\":[{\"index\":2,\"id\":\"\",\"function\":{\"name\":\"\",\"arguments\":"
           "\"\\u00e9\\\"}\"}}]"),
        TC("\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"2]\"}}]"),
        TC("\"tool_calls\":null"),
        TC("\"tool_calls\":[]"),
        "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
    };
    sekha_completion *c = sekha__completion_new();
    cr_assert_eq(feed(c, chunks, sizeof chunks / sizeof *chunks), SEKHA__CHUNK_OK);
    cr_assert_str_eq(sekha_completion_content(c, NULL), "Let me check. More text.");
    cr_assert_eq(sekha_completion_tool_call_count(c), 2);
    cr_assert_str_eq(sekha_completion_tool_call_id(c, 0), "call_a");
    cr_assert_str_eq(sekha_completion_tool_call_name(c, 0), "first");
    cr_assert_str_eq(sekha_completion_tool_call_type(c, 0), "function", "the default type");
    cr_assert_str_eq(sekha_completion_tool_call_arguments(c, 0, NULL), "[1,2]");
    cr_assert_str_eq(sekha_completion_tool_call_id(c, 1), "call_c",
                     "empty strings replace nothing");
    cr_assert_str_eq(sekha_completion_tool_call_name(c, 1), "third");
    cr_assert_str_eq(sekha_completion_tool_call_arguments(c, 1, NULL), "{\"x\":\xc3\xa9\"}");
    sekha_completion *d = sekha_completion_copy(c);
    sekha_completion_free(c);
    cr_assert_str_eq(sekha_completion_tool_call_arguments(d, 1, NULL), "{\"x\":\xc3\xa9\"}");
    /* text and calls both in the synthesized JSON */
    cJSON *v = cJSON_Parse(sekha_completion_json(d));
    cr_assert_not_null(v);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "choices"), 0), "message");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(msg, "content")->valuestring,
                     "Let me check. More text.");
    const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"), 1);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(t1, "id")->valuestring, "call_c");
    cJSON_Delete(v);
    sekha_completion_free(d);
}

Test(tool_messages, wrong_shapes_are_bad_responses)
{
    static const char *const bad[] = {
        TC("\"tool_calls\":{}"),
        TC("\"tool_calls\":[1]"),
        TC("\"tool_calls\":[{\"index\":-1}]"),
        TC("\"tool_calls\":[{\"index\":1024}]"),
        TC("\"tool_calls\":[{\"index\":1.5}]"),
        TC("\"tool_calls\":[{\"index\":\"0\"}]"),
        TC("\"tool_calls\":[{\"index\":1e300}]"),
        TC("\"tool_calls\":[{\"index\":0,\"id\":7}]"),
        TC("\"tool_calls\":[{\"index\":0,\"type\":[]}]"),
        TC("\"tool_calls\":[{\"index\":0,\"function\":\"f\"}]"),
        TC("\"tool_calls\":[{\"index\":0,\"function\":{\"name\":1}}]"),
        TC("\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":{\"a\":1}}}]"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sekha_completion *c = sekha__completion_new();
        cr_assert_eq(feed(c, &bad[i], 1), SEKHA__CHUNK_BAD, "%s", bad[i]);
        cr_assert_eq(sekha_completion_tool_call_count(c), 0);
        sekha_completion_free(c);
    }
    /* the same in a whole completion */
    sekha_completion *c = sekha__completion_new();
    const char *body = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                       "\"content\":null,\"tool_calls\":[{\"id\":\"x\",\"function\":"
                       "{\"name\":\"f\",\"arguments\":5}}]},\"finish_reason\":\"tool_calls\"}]}";
    sekha_error *e = sekha__completion_from_body(c, body, strlen(body), "test");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_BAD_RESPONSE);
    cr_assert_not_null(strstr(sekha_error_message(e), "arguments"), "%s", sekha_error_message(e));
    sekha_error_free(e);
    sekha_completion_free(c);
    /* a whole message that only calls tools needs no finish_reason; positions are indexes */
    c = sekha__completion_new();
    body = "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":"
           "\"f\",\"arguments\":\"1\"}},{\"id\":\"b\",\"type\":\"custom\",\"function\":{\"name\":"
           "\"g\"}}]}}]}";
    e = sekha__completion_from_body(c, body, strlen(body), "test");
    cr_assert_null(e, "%s", sekha_error_message(e));
    cr_assert_eq(sekha_completion_tool_call_count(c), 2);
    cr_assert_str_eq(sekha_completion_tool_call_id(c, 1), "b");
    cr_assert_str_eq(sekha_completion_tool_call_type(c, 1), "custom");
    cr_assert_str_eq(sekha_completion_tool_call_arguments(c, 1, NULL), "");
    sekha_completion_free(c);
}
