/* The one message list (src/shared/messages.c): what may be added, the first error
 * remembered, copies, the check a call makes and the JSON written for the services. */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "core/buf.h"
#include "sekha/sekha.h"
#include "shared/shared.h"

static sekha_messages *fresh(void)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_not_null(m);
    return m;
}

static void expect_error(const sekha_messages *m, const char *want)
{
    cr_expect_str_eq(sekha_messages_error(m), want);
}

/* The list as sekha__messages_write writes it (malloc'd). */
static char *written(const sekha_messages *m)
{
    sekha_buf b = {0};
    cr_assert_eq(sekha__messages_write(&b, m), 0);
    char *s = strdup(sekha__buf_str(&b));
    cr_assert_eq(strlen(s), b.len);
    sekha__buf_free(&b);
    return s;
}

static void expect_written(const sekha_messages *m, const char *want)
{
    char *got = written(m);
    cr_expect_str_eq(got, want);
    cJSON *j = cJSON_Parse(got);
    cr_expect_not_null(j, "not JSON: %s", got);
    cJSON_Delete(j);
    free(got);
}

/* sekha__messages_check's verdict: NULL want = accepted; else the message carries want. */
static void expect_check(const sekha_messages *m, const char *want)
{
    sekha_error *e = sekha__messages_check(m, "sekha_test_call");
    if (!want) {
        cr_expect_null(e, "refused: %s", e ? sekha_error_message(e) : "");
    } else {
        cr_assert_not_null(e, "accepted, want \"%s\"", want);
        cr_expect_eq(sekha_error_code(e), SEKHA_E_INVALID_ARG);
        cr_expect_eq(sekha_error_layer(e), SEKHA_LAYER_LOCAL);
        cr_expect(strstr(sekha_error_message(e), want) != NULL, "message \"%s\" lacks \"%s\"",
                  sekha_error_message(e), want);
    }
    sekha_error_free(e);
}

Test(messages, roles)
{
    sekha_messages *m = fresh();
    cr_expect_eq(sekha_messages_count(m), 0);
    cr_expect_eq(sekha_messages_add(m, "system", "s"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add(m, "user", "u"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add(m, "assistant", "a"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add(m, "tool", "t"), SEKHA_OK);
    cr_expect_eq(sekha_messages_count(m), 4);
    cr_expect_str_eq(sekha_messages_role(m, 0), "system");
    cr_expect_str_eq(sekha_messages_role(m, 3), "tool");
    cr_expect_str_eq(sekha_messages_content(m, 2), "a");
    cr_expect_null(sekha_messages_role(m, 4));
    cr_expect_null(sekha_messages_content(m, 4));
    cr_expect_str_eq(sekha_messages_error(m), "");
    expect_check(m, NULL);

    /* Case matters; the refused role is named and nothing is appended. */
    cr_expect_eq(sekha_messages_add(m, "User", "x"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[4].role \"User\" is not one of system, user, assistant, tool");
    cr_expect_eq(sekha_messages_count(m), 4);
    expect_check(m, "sekha_test_call: messages[4].role \"User\" is not one of");
    sekha_messages_free(m);

    m = fresh();
    cr_expect_eq(sekha_messages_add(m, NULL, "x"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].role (NULL) is not one of system, user, assistant, tool");
    sekha_messages_free(m);

    m = fresh();
    cr_expect_eq(sekha_messages_add_parts(m, "robot"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].role \"robot\" is not one of system, user, assistant, tool");
    cr_expect_eq(sekha_messages_count(m), 0);
    sekha_messages_free(m);
}

Test(messages, null_arguments)
{
    cr_expect_eq(sekha_messages_add(NULL, "user", "x"), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add_parts(NULL, "user"), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add_text_part(NULL, "x"), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add_image_part(NULL, "u", NULL), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add_tool_call(NULL, "i", "n", NULL), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add_tool_result(NULL, "i", "x"), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_count(NULL), 0);
    cr_expect_null(sekha_messages_role(NULL, 0));
    cr_expect_null(sekha_messages_content(NULL, 0));
    cr_expect_str_eq(sekha_messages_error(NULL), "");
    cr_expect_null(sekha_messages_copy(NULL));
    sekha_messages_free(NULL);
    expect_check(NULL, "sekha_test_call: messages is NULL");

    sekha_messages *m = fresh();
    expect_check(m, "sekha_test_call: messages must hold at least one message");
    cr_expect_eq(sekha_messages_add(m, "user", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].content is NULL");
    cr_expect_eq(sekha_messages_count(m), 0);
    sekha_messages_free(m);
}

Test(messages, utf8_errors_name_the_field_and_byte)
{
    sekha_messages *m = fresh();
    cr_assert_eq(sekha_messages_add(m, "user", "caf\xc3\xa9 \xf0\x9f\xa6\x8a"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add(m, "user", "abc\xff"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[1].content is not valid UTF-8 (at byte 3)");
    cr_expect_eq(sekha_messages_count(m), 1, "the bad message is not kept");
    sekha_messages_free(m);

    m = fresh();
    cr_expect_eq(sekha_messages_add_tool_result(m, "id\xc0", "ok"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].tool_call_id is not valid UTF-8 (at byte 2)");
    cr_expect_eq(sekha_messages_count(m), 0);
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_text_part(m, "\xed\xa0\x80"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].content text part is not valid UTF-8 (at byte 0)");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_image_part(m, "http://x/\x80", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].content image URL is not valid UTF-8 (at byte 9)");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_tool_call(m, "c1", "f", "{\"a\":\"\xf8\"}"),
                 SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].tool_calls arguments is not valid UTF-8 (at byte 6)");
    cr_expect_eq(sekha_messages_add_tool_call(m, "c\xff", "f", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].tool_calls arguments is not valid UTF-8 (at byte 6)");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_tool_call(m, "c1", "f\xff", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].tool_calls name is not valid UTF-8 (at byte 1)");
    sekha_messages_free(m);
}

Test(messages, first_error_is_remembered_and_reported_by_the_check)
{
    sekha_messages *m = fresh();
    cr_assert_eq(sekha_messages_add(m, "user", "hello"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add(m, "nobody", "x"), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add(m, "user", "\xff"), SEKHA_E_INVALID_ARG);
    /* Later adds still work, but the list stays refused with the first reason. */
    cr_expect_eq(sekha_messages_add(m, "assistant", "fine"), SEKHA_OK);
    cr_expect_eq(sekha_messages_count(m), 2);
    expect_error(m, "messages[1].role \"nobody\" is not one of system, user, assistant, tool");
    expect_check(m, "sekha_test_call: messages[1].role \"nobody\"");

    /* A copy keeps the error. */
    sekha_messages *c = sekha_messages_copy(m);
    cr_assert_not_null(c);
    expect_error(c, "messages[1].role \"nobody\" is not one of system, user, assistant, tool");
    expect_check(c, "messages[1].role \"nobody\"");
    sekha_messages_free(c);
    sekha_messages_free(m);
}

Test(messages, parts)
{
    sekha_messages *m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_expect_str_eq(sekha_messages_content(m, 0), "");
    /* Started but no part yet: the check refuses it. */
    expect_check(m, "sekha_test_call: messages[0] was started with parts but has none");
    cr_assert_eq(sekha_messages_add_text_part(m, "What is"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://example.test/cat.png", "low"),
                 SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "in this picture?"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "data:image/png;base64,AAAA", NULL), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://example.test/b.png", "high"),
                 SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://example.test/c.png", "auto"),
                 SEKHA_OK);
    /* Text parts are joined with one space; images are left out. */
    cr_expect_str_eq(sekha_messages_content(m, 0), "What is in this picture?");
    expect_check(m, NULL);
    cr_expect_str_eq(sekha_messages_error(m), "");
    sekha_messages_free(m);
}

Test(messages, image_parts_need_a_url_and_a_known_detail)
{
    sekha_messages *m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_image_part(m, NULL, NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0] image part has no URL");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_image_part(m, "", "low"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0] image part has no URL");
    sekha_messages_free(m);

    const char *bad[] = {"medium", "LOW", "", "high "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        m = fresh();
        cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
        cr_expect_eq(sekha_messages_add_image_part(m, "https://x.test/i.png", bad[i]),
                     SEKHA_E_INVALID_ARG, "detail \"%s\"", bad[i]);
        expect_error(m, "messages[0] image detail must be low, high or auto");
        sekha_messages_free(m);
    }
}

Test(messages, parts_need_a_parts_message)
{
    sekha_messages *m = fresh();
    cr_expect_eq(sekha_messages_add_text_part(m, "x"), SEKHA_E_INVALID_ARG);
    expect_error(m, "a text part added without a message started by sekha_messages_add_parts()");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add(m, "user", "plain"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_image_part(m, "https://x.test/i.png", NULL),
                 SEKHA_E_INVALID_ARG);
    expect_error(m, "an image part added without a message started by "
                    "sekha_messages_add_parts()");
    cr_expect_str_eq(sekha_messages_content(m, 0), "plain");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_text_part(m, NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0] text part is NULL");
    sekha_messages_free(m);
}

/* Joining is exactly "the text parts joined with one space", empty parts included, so
 * the text reads the same whatever order the parts came in. */
Test(messages, parts_join_counts_empty_text_parts)
{
    sekha_messages *m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "b"), SEKHA_OK);
    cr_expect_str_eq(sekha_messages_content(m, 0), " b");
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "a"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "b"), SEKHA_OK);
    cr_expect_str_eq(sekha_messages_content(m, 1), "a  b");
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://x.test/i.png", NULL), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "only"), SEKHA_OK);
    cr_expect_str_eq(sekha_messages_content(m, 2), "only");
    sekha_messages_free(m);
}

Test(messages, tool_calls_only_after_an_assistant_message)
{
    sekha_messages *m = fresh();
    cr_expect_eq(sekha_messages_add_tool_call(m, "c1", "f", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "a tool call was added after a message that is not an assistant message");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add(m, "user", "hi"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_tool_call(m, "c1", "f", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "a tool call was added after a message that is not an assistant message");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_tool_call(m, "", "f", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0] tool call needs an id and a name");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_tool_call(m, "c1", NULL, NULL), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_messages_add_tool_call(m, NULL, "f", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0] tool call needs an id and a name");
    sekha_messages_free(m);

    /* An assistant message made of parts may call tools too. */
    m = fresh();
    cr_assert_eq(sekha_messages_add_parts(m, "assistant"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "calling"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add_tool_call(m, "c1", "f", NULL), SEKHA_OK);
    expect_written(m, "[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":"
                      "\"calling\"}],\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                      "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]");
    sekha_messages_free(m);
}

Test(messages, tool_results)
{
    sekha_messages *m = fresh();
    cr_expect_eq(sekha_messages_add_tool_result(m, "", "x"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].tool_call_id is empty");
    sekha_messages_free(m);

    m = fresh();
    cr_expect_eq(sekha_messages_add_tool_result(m, NULL, "x"), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].tool_call_id is empty");
    sekha_messages_free(m);

    m = fresh();
    cr_expect_eq(sekha_messages_add_tool_result(m, "c1", NULL), SEKHA_E_INVALID_ARG);
    expect_error(m, "messages[0].content is NULL");
    sekha_messages_free(m);

    m = fresh();
    cr_assert_eq(sekha_messages_add_tool_result(m, "c1", "42 degrees"), SEKHA_OK);
    cr_expect_str_eq(sekha_messages_role(m, 0), "tool");
    cr_expect_str_eq(sekha_messages_content(m, 0), "42 degrees");
    expect_written(m, "[{\"role\":\"tool\",\"content\":\"42 degrees\",\"tool_call_id\":\"c1\"}]");
    sekha_messages_free(m);
}

static void build_mixed(sekha_messages *m)
{
    cr_assert_eq(sekha_messages_add(m, "system", "Be \"brief\".\n"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "Weather in caf\xc3\xa9?"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://x.test/a.png", "high"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://x.test/b.png", NULL), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_1", "weather", "{\"city\":\"Paris\"}"),
                 SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_call(m, "call_2", "time", NULL), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_1", "sunny\t\x01"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_tool_result(m, "call_2", "noon"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "user", "\\ thanks"), SEKHA_OK);
}

static const char mixed_json[] =
    "[{\"role\":\"system\",\"content\":\"Be \\\"brief\\\".\\n\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather in caf\xc3\xa9?\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.test/a.png\",\"detail\":"
    "\"high\"}},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.test/b.png\"}}]},"
    "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
    "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
    "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"time\","
    "\"arguments\":\"{}\"}}]},"
    "{\"role\":\"tool\",\"content\":\"sunny\\t\\u0001\",\"tool_call_id\":\"call_1\"},"
    "{\"role\":\"tool\",\"content\":\"noon\",\"tool_call_id\":\"call_2\"},"
    "{\"role\":\"user\",\"content\":\"\\\\ thanks\"}]";

Test(messages, writes_a_mixed_list_exactly)
{
    sekha_messages *m = fresh();
    build_mixed(m);
    expect_check(m, NULL);
    expect_written(m, mixed_json);

    /* The cJSON form is the same array. */
    cJSON *tree = sekha__messages_cjson(m);
    cr_assert_not_null(tree);
    cJSON *want = cJSON_Parse(mixed_json);
    cr_assert_not_null(want);
    cr_expect(cJSON_Compare(tree, want, 1));
    cJSON_Delete(want);
    cJSON_Delete(tree);

    /* Appending after existing content leaves it alone. */
    sekha_buf b = {0};
    cr_assert_eq(sekha__buf_puts(&b, "{\"messages\":"), 0);
    cr_assert_eq(sekha__messages_write(&b, m), 0);
    cr_assert_eq(sekha__buf_puts(&b, "}"), 0);
    cr_expect_eq(strncmp(b.data, "{\"messages\":[{\"role\":\"system\"", 29), 0);
    cJSON *j = cJSON_Parse(b.data);
    cr_expect_not_null(j);
    cJSON_Delete(j);
    sekha__buf_free(&b);
    sekha_messages_free(m);
}

Test(messages, writes_an_empty_list)
{
    sekha_messages *m = fresh();
    expect_written(m, "[]");
    sekha_messages_free(m);
}

Test(messages, copy_is_deep)
{
    sekha_messages *m = fresh();
    build_mixed(m);
    sekha_messages *c = sekha_messages_copy(m);
    cr_assert_not_null(c);

    /* Change the original after copying, then free it: the copy is untouched. */
    cr_assert_eq(sekha_messages_add(m, "user", "more"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "x"), SEKHA_OK);
    cr_expect_eq(sekha_messages_add(m, "bad", "x"), SEKHA_E_INVALID_ARG);
    sekha_messages_free(m);

    cr_expect_eq(sekha_messages_count(c), 6);
    cr_expect_str_eq(sekha_messages_error(c), "");
    cr_expect_str_eq(sekha_messages_content(c, 1), "Weather in caf\xc3\xa9?");
    expect_written(c, mixed_json);
    expect_check(c, NULL);

    /* The copy can grow on its own, parts message included. */
    cr_assert_eq(sekha_messages_add_parts(c, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(c, "p"), SEKHA_OK);
    cr_expect_eq(sekha_messages_count(c), 7);
    sekha_messages_copy(NULL);
    sekha_messages *empty = sekha_messages_new();
    sekha_messages *c2 = sekha_messages_copy(empty);
    cr_assert_not_null(c2);
    cr_expect_eq(sekha_messages_count(c2), 0);
    cr_assert_eq(sekha_messages_add(c2, "user", "x"), SEKHA_OK);
    sekha_messages_free(c2);
    sekha_messages_free(empty);
    sekha_messages_free(c);
}

/* A list may grow past its first allocation without losing messages. */
Test(messages, many_messages)
{
    sekha_messages *m = fresh();
    char text[32];
    for (int i = 0; i < 100; i++) {
        snprintf(text, sizeof text, "message %d", i);
        cr_assert_eq(sekha_messages_add(m, i % 2 ? "assistant" : "user", text), SEKHA_OK);
    }
    cr_expect_eq(sekha_messages_count(m), 100);
    cr_expect_str_eq(sekha_messages_content(m, 99), "message 99");
    char *s = written(m);
    cJSON *j = cJSON_Parse(s);
    cr_assert_not_null(j);
    cr_expect_eq(cJSON_GetArraySize(j), 100);
    cJSON_Delete(j);
    free(s);
    sekha_messages_free(m);
}
