/* Transport discovery: a session made with sekha_mcp_session_new_http() whose URL is a
 * legacy HTTP+SSE server (server-everything in "sse" mode, nobody here wrote it) falls
 * back as the MCP specification's backwards-compatibility section says: the initialize
 * POST gets a 4xx, so the URL is opened with GET as an SSE stream whose first event is
 * "endpoint", and the session continues over the legacy transport. The CLI's --url does
 * the same. A URL that is neither keeps the first answer's error and says what was tried.
 * The npm peers must be installed (tests/peers). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_runner.h"
#include "everything.h"

TestSuite(mcp_discovery, .timeout = 90);

static void echo(sekha_mcp_session *s, const char *text)
{
    char args[128], want[160];
    snprintf(args, sizeof args, "{\"message\":\"%s\"}", text);
    snprintf(want, sizeof want, "Echo: %s", text);
    sekha_mcp_tool_result *r = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_call_tool_sync(s, "echo", args, NULL, &r, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    cr_assert_str_eq(sekha_mcp_tool_result_content_text(r, 0), want);
    sekha_mcp_tool_result_free(r);
}

Test(mcp_discovery, an_http_session_on_a_legacy_sse_url_falls_back_to_the_legacy_transport)
{
    peer_proc p;
    start_everything(&p, "sse");
    sekha_client *c = new_client();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/sse", p.port);
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_mcp_session_server_name(s), "mcp-servers/everything");
    echo(s, "over the legacy transport");
    sekha_mcp_tools *t = NULL;
    cr_assert_eq(sekha_mcp_session_list_tools_sync(s, NULL, &t, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_gt(sekha_mcp_tools_count(t), 0);
    sekha_mcp_tools_free(t);
    cr_assert_eq(sekha_mcp_session_close_sync(s, &err), SEKHA_OK, "%s", sekha_error_message(err));
    sekha_mcp_session_free(s);

    /* A call made before initialization (the session initializes on demand) too. */
    s = sekha_mcp_session_new_http(c, url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    echo(s, "first call, no explicit initialize");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    peer_stop(&p);
}

Test(mcp_discovery, a_streamable_http_server_is_not_asked_for_the_legacy_stream)
{
    peer_proc p;
    start_everything(&p, "streamableHttp");
    sekha_client *c = new_client();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mcp", p.port);
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    echo(s, "streamable");
    cr_assert_not_null(sekha_mcp_session_id(s), "the Streamable HTTP transport gave a session id");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    peer_stop(&p);
}

Test(mcp_discovery, a_url_that_is_neither_fails_with_the_first_answer_and_says_what_was_tried)
{
    peer_proc p;
    start_everything(&p, "sse");
    sekha_client *c = new_client();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/nothing-here", p.port);
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_E_NOT_FOUND, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_error_http_status(err), 404);
    cr_assert_not_null(strstr(sekha_error_message(err), "legacy HTTP+SSE"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    err = NULL;
    /* The session stays usable for another attempt and fails the same way, no hang. */
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_NOT_FOUND, "%s",
                 sekha_error_message(err));
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    peer_stop(&p);
}

Test(mcp_discovery, cli_call_with_url_on_a_legacy_sse_server)
{
    peer_proc p;
    start_everything(&p, "sse");
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/sse", p.port);
    cli_out o;
    const char *const args[] = {"mcp", "call", "echo", "--args", "{\"message\":\"hi\"}",
                                "--url", url, NULL};
    cli_exec(NULL, args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.out, "Echo: hi\n");
    const char *const list[] = {"mcp", "tools", "--url", url, NULL};
    cli_exec(NULL, list, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.out, "echo"), "%s", o.out);
    peer_stop(&p);
}

Test(mcp_discovery, an_authorization_challenge_is_not_taken_for_a_legacy_server)
{
    ds_proc ds;
    const char *args[] = {"--mcp-oauth", NULL};
    cr_assert_eq(ds_proc_start(&ds, args), 0, "devserver did not start");
    sekha_client *c = new_client();
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, ds.mcp_jsonrpc_url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_E_AUTH, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_error_http_status(err), 401);
    cr_assert_null(strstr(sekha_error_message(err), "legacy"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), 1, "one POST, no GET for a legacy stream");
    ds_proc_stop(&ds);
}
