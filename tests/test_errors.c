/* Error layers, codes and service-body parsing. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/internal.h"

static sekha_error *http(int status, const char *body)
{
    return sekha__error_http(status, -1, body, strlen(body), "test");
}

Test(errors, controller_error_response)
{
    sekha_error *e = http(404, "{\"error\":\"Conversation not found\",\"code\":404}");
    cr_assert_eq(sekha_error_layer(e), SEKHA_LAYER_HTTP);
    cr_assert_eq(sekha_error_code(e), SEKHA_E_NOT_FOUND);
    cr_assert_eq(sekha_error_http_status(e), 404);
    cr_assert_str_eq(sekha_error_service_message(e), "Conversation not found");
    cr_assert_eq(sekha_error_service_code(e), 404);
    cr_assert_not_null(strstr(sekha_error_message(e), "Conversation not found"));
    sekha_error_free(e);
}

Test(errors, fastapi_detail_string_and_list)
{
    sekha_error *e = http(503, "{\"detail\":\"provider down\"}");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_SERVER);
    cr_assert_str_eq(sekha_error_service_message(e), "provider down");
    sekha_error_free(e);
    e = http(422, "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\",\"messages\"],\"msg\":\"Field required\"}]}");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_VALIDATION);
    cr_assert_str_eq(sekha_error_service_message(e), "body.messages: Field required");
    sekha_error_free(e);
}

Test(errors, openai_and_jsonrpc_error_objects)
{
    sekha_error *e = http(401, "{\"error\":{\"message\":\"bad key\",\"type\":\"invalid_request_error\"}}");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_AUTH);
    cr_assert_str_eq(sekha_error_service_message(e), "bad key");
    sekha_error_free(e);
    e = http(400, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"}}");
    cr_assert_eq(sekha_error_service_code(e), -32700);
    cr_assert_str_eq(sekha_error_service_message(e), "Parse error");
    sekha_error_free(e);
}

Test(errors, plain_text_and_empty_bodies)
{
    sekha_error *e = http(429, "Rate limit exceeded. Please try again later.");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_RATE_LIMITED);
    cr_assert_str_eq(sekha_error_service_message(e), "Rate limit exceeded. Please try again later.");
    cr_assert_eq(sekha_error_retry_after_ms(e), -1);
    sekha_error_free(e);
    e = http(422, "Failed to deserialize the JSON body into the target type: missing field `folder`");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_VALIDATION);
    cr_assert_not_null(strstr(sekha_error_service_message(e), "missing field"));
    sekha_error_free(e);
    e = http(500, "");
    cr_assert_eq(sekha_error_code(e), SEKHA_E_SERVER);
    cr_assert_null(sekha_error_service_message(e), "the server said nothing");
    cr_assert_not_null(strstr(sekha_error_message(e), "Internal Server Error"));
    size_t len = 99;
    sekha_error_body(e, &len);
    cr_assert_eq(len, 0);
    sekha_error_free(e);
}

Test(errors, hostile_bodies_are_sanitised_and_bounded)
{
    char big[200000];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[10] = '\033';
    big[11] = '\n';
    sekha_error *e = http(500, big);
    cr_assert_leq(strlen(sekha_error_service_message(e)), 512);
    cr_assert_null(strchr(sekha_error_service_message(e), '\033'));
    cr_assert_null(strchr(sekha_error_message(e), '\n'));
    size_t len;
    sekha_error_body(e, &len);
    cr_assert_eq(len, 64 * 1024, "the kept body is capped");
    sekha_error_free(e);
}

Test(errors, transport_errors_keep_curl_details)
{
    sekha_error *e = sekha__error_curl(CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 1", "GET /x");
    cr_assert_eq(sekha_error_layer(e), SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(sekha_error_code(e), SEKHA_E_CONNECT);
    cr_assert_eq(sekha_error_curl_code(e), CURLE_COULDNT_CONNECT);
    cr_assert_not_null(strstr(sekha_error_message(e), "Failed to connect"));
    sekha_error *copy = sekha_error_copy(e);
    sekha_error_free(e);
    cr_assert_eq(sekha_error_code(copy), SEKHA_E_CONNECT);
    cr_assert_not_null(strstr(sekha_error_message(copy), "transport"));
    sekha_error_free(copy);
}

Test(errors, strerror_covers_every_code)
{
    for (int c = 0; c < 100; c++)
        cr_assert_not_null(sekha_strerror((sekha_code)c));
    cr_assert_str_eq(sekha_layer_name(SEKHA_LAYER_HTTP), "http");
    cr_assert_eq(sekha_error_code(NULL), SEKHA_OK);
    sekha_error_free(NULL);
}

#include "core/call.h"

static sekha_response body_of(const char *s)
{
    sekha_response r = {0};
    r.status = 200;
    sekha__buf_puts(&r.body, s);
    return r;
}

Test(errors, json_bodies_must_be_one_complete_value)
{
    const char *bad[] = {"{\"a\":1}xyz", "{\"a\":1", "", "not json", "{\"a\":1} {\"b\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sekha_response r = body_of(bad[i]);
        sekha_error *err = NULL;
        cJSON *v = sekha__json_parse(&r, "test", &err);
        cr_assert_null(v, "accepted %s", bad[i]);
        cr_assert_eq(sekha_error_code(err), SEKHA_E_BAD_RESPONSE);
        cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_SERVICE);
        sekha_error_free(err);
        sekha__buf_free(&r.body);
    }
    sekha_response r = body_of("  {\"a\":[1,2]} \n");
    sekha_error *err = NULL;
    cJSON *v = sekha__json_parse(&r, "test", &err);
    cr_assert_not_null(v, "%s", sekha_error_message(err));
    cJSON_Delete(v);
    sekha__buf_free(&r.body);
}

/* service_message and service_code are only what a server said: a local or transport
 * detail goes to the message alone. */
Test(errors, local_and_transport_details_are_not_service_messages)
{
    sekha_error *e = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "id must be a UUID");
    cr_assert_null(sekha_error_service_message(e), "a local detail became a service message");
    cr_assert_eq(sekha_error_service_code(e), 0);
    cr_assert_not_null(strstr(sekha_error_message(e), "id must be a UUID"));
    sekha_error *copy = sekha_error_copy(e);
    sekha_error_free(e);
    cr_assert_null(sekha_error_service_message(copy));
    cr_assert_not_null(strstr(sekha_error_message(copy), "id must be a UUID"));
    sekha__error_compose(copy, "a route");
    cr_assert_not_null(strstr(sekha_error_message(copy), "id must be a UUID"),
                       "recomposing keeps the detail: %s", sekha_error_message(copy));
    cr_assert_not_null(strstr(sekha_error_message(copy), "a route"));
    sekha_error_free(copy);

    e = sekha__error_curl(CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 1", "GET /x");
    cr_assert_null(sekha_error_service_message(e), "curl's text became a service message");
    cr_assert_not_null(strstr(sekha_error_message(e), "Failed to connect"));
    sekha_error_free(e);

    /* an empty 500: the reason phrase is ours, not the server's */
    e = http(500, "");
    cr_assert_null(sekha_error_service_message(e));
    cr_assert_not_null(strstr(sekha_error_message(e), "Internal Server Error"));
    sekha_error_free(e);

    /* a service-layer error keeps both: the local context and what the server said */
    e = sekha__error_new(SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, "count: the controller reported an error");
    sekha__error_parse_body(e, "{\"error\":\"db down\"}", 19);
    sekha__error_compose(e, NULL);
    cr_assert_str_eq(sekha_error_service_message(e), "db down");
    cr_assert_not_null(strstr(sekha_error_message(e), "count: the controller reported an error"));
    cr_assert_not_null(strstr(sekha_error_message(e), "db down"));
    sekha_error_free(e);
}

Test(errors, names_of_services_and_statuses)
{
    cr_assert_str_eq(sekha_service_name(SEKHA_SERVICE_CONTROLLER), "controller");
    cr_assert_str_eq(sekha_service_name(SEKHA_SERVICE_BRIDGE), "bridge");
    cr_assert_str_eq(sekha_service_name(SEKHA_SERVICE_MCP), "mcp");
    cr_assert_str_eq(sekha_service_name((sekha_service)SEKHA_SERVICE_COUNT), "unknown");
    cr_assert_str_eq(sekha_service_status_name(SEKHA_STATUS_HEALTHY), "healthy");
    cr_assert_str_eq(sekha_service_status_name(SEKHA_STATUS_DEGRADED), "degraded");
    cr_assert_str_eq(sekha_service_status_name(SEKHA_STATUS_UNHEALTHY), "unhealthy");
    cr_assert_str_eq(sekha_service_status_name(SEKHA_STATUS_UNREACHABLE), "unreachable");
    cr_assert_str_eq(sekha_service_status_name((sekha_service_status)-1), "unknown");
}
