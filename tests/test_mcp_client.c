/* The MCP client (JSON-RPC sessions) against the devserver's real MCP endpoint at /mcp,
 * with scripted faults for the protocol corners (SSE answers, resumption, expired
 * sessions, 202s, server requests), and against small scripted stdio servers that check
 * on their side what the client sent (answers to server requests, cancellation). */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "mcp_fixture.h"


static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(mcp_client, .init = setup, .fini = teardown, .timeout = 60);

static sekha_client *new_client(const char *mcp_key)
{
    sekha_options *o = test_options(&ds);
    if (mcp_key)
        cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_MCP, mcp_key), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

/* A sync session, initialized. */
static sekha_mcp_session *ready_session(sekha_client *c)
{
    sekha_mcp_session *s = http_session(c);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    return s;
}

static void fault(const char *rule)
{
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0, "rule refused: %s", rule);
}

/* ---- callbacks that record ---- */

typedef struct rec {
    int calls;
    sekha_code code;
    long service_code;
    char message[512];
    char json[4096];
    int is_error;
    int notes_at_final; /* notifications seen when the final callback came */
    size_t tools;
    char tool0[64];
} rec;

static int notes;
static char last_note[128];

static void record_err(rec *r, const sekha_error *err)
{
    r->calls++;
    r->code = sekha_error_code(err);
    r->service_code = sekha_error_service_code(err);
    snprintf(r->message, sizeof r->message, "%s", err ? sekha_error_message(err) : "");
    r->notes_at_final = notes;
}

static void data_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d, void *ud)
{
    (void)req;
    rec *r = ud;
    record_err(r, err);
    snprintf(r->json, sizeof r->json, "%s", d ? sekha_mcp_data_json(d) : "");
}

static void tools_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_tools *t, void *ud)
{
    (void)req;
    rec *r = ud;
    record_err(r, err);
    r->tools = sekha_mcp_tools_count(t);
    snprintf(r->tool0, sizeof r->tool0, "%s", t && r->tools ? sekha_mcp_tools_name(t, 0) : "");
}

static void tool_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_tool_result *t,
                    void *ud)
{
    (void)req;
    rec *r = ud;
    record_err(r, err);
    r->is_error = sekha_mcp_tool_result_is_error(t);
    const char *sc = sekha_mcp_tool_result_structured(t);
    snprintf(r->json, sizeof r->json, "%s", sc ? sc : (t ? sekha_mcp_tool_result_json(t) : ""));
}

static void close_cb(sekha_request *req, const sekha_error *err, void *ud)
{
    (void)req;
    record_err(ud, err);
}

static void on_note(sekha_mcp_session *s, const char *method, const char *params, void *ud)
{
    (void)s;
    (void)params;
    (void)ud;
    notes++;
    snprintf(last_note, sizeof last_note, "%s", method);
}

/* ---- Streamable HTTP against the devserver ---- */

Test(mcp_client, http_lifecycle_tools_and_delete)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = http_session(c);
    rec init = {0}, list = {0}, store = {0}, search = {0}, bad = {0}, unknown = {0}, raw = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(init.code, SEKHA_OK, "%s", init.message);
    cr_assert_not_null(strstr(init.json, "\"protocolVersion\":\"2025-11-25\""), "%s", init.json);
    cr_assert_str_eq(sekha_mcp_session_protocol_version(s), "2025-11-25");
    cr_assert_str_eq(sekha_mcp_session_server_name(s), "sekha-devserver");
    cr_assert_not_null(sekha_mcp_session_id(s));
    char sid[128];
    snprintf(sid, sizeof sid, "%s", sekha_mcp_session_id(s));
    cr_assert_not_null(strstr(sekha_mcp_session_server_capabilities(s), "tools"));

    sekha_mcp_session_list_tools(s, NULL, tools_cb, &list);
    sekha_mcp_session_call_tool(s, "memory_store",
                                "{\"label\":\"Otters\",\"folder\":\"/zoo\",\"messages\":[{\"role\":"
                                "\"user\",\"content\":\"sea otters hold hands while sleeping\"}]}",
                                NULL, tool_cb, &store);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(list.code, SEKHA_OK, "%s", list.message);
    cr_assert_eq(list.tools, 7);
    cr_assert_str_eq(list.tool0, "memory_store");
    cr_assert_eq(store.code, SEKHA_OK, "%s", store.message);
    cr_assert_eq(store.is_error, 0, "%s", store.json);
    cr_assert_not_null(strstr(store.json, "\"conversation_id\""), "%s", store.json);

    sekha_mcp_session_call_tool(s, "memory_search", "{\"query\":\"otters sleeping\"}", NULL, tool_cb,
                                &search);
    sekha_mcp_session_call_tool(s, "memory_get_context", "{\"conversation_id\":\"nope\"}", NULL,
                                tool_cb, &bad);
    sekha_mcp_session_call_tool(s, "no_such_tool", NULL, NULL, tool_cb, &unknown);
    sekha_mcp_session_request(s, "resources/list", NULL, data_cb, &raw);
    cr_assert_eq(sekha_mcp_session_notify(s, "notifications/roots/list_changed", NULL), SEKHA_OK);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(search.code, SEKHA_OK);
    cr_assert_not_null(strstr(search.json, "sea otters hold hands"), "%s", search.json);
    cr_assert_eq(bad.code, SEKHA_OK, "a failing tool is a result");
    cr_assert_eq(bad.is_error, 1);
    cr_assert_eq(unknown.code, SEKHA_E_SERVICE);
    cr_assert_eq(unknown.service_code, -32602);
    cr_assert_eq(raw.code, SEKHA_E_SERVICE);
    cr_assert_eq(raw.service_code, -32601);

    rec closed = {0};
    sekha_mcp_session_close(s, close_cb, &closed);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(closed.calls, 1);
    cr_assert_eq(closed.code, SEKHA_OK, "%s", closed.message);
    rec late = {0};
    sekha_mcp_session_ping(s, data_cb, &late);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(late.code, SEKHA_E_INVALID_ARG, "calls after close fail");
    sekha_mcp_session_free(s);

    /* DELETE ended the session on the server */
    char header[192];
    snprintf(header, sizeof header, "Mcp-Session-Id: %s", sid);
    const char *headers[] = {header, "Accept: application/json, text/event-stream", NULL};
    const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}";
    sekha_response *resp = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_HEADERS, headers), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, ping, strlen(ping)), SEKHA_OK);
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_MCP, "POST /mcp", p, &resp, NULL),
                 SEKHA_E_NOT_FOUND);
    sekha_params_free(p);
    sekha_response_free(resp);
    sekha_client_free(c);
}

Test(mcp_client, calls_initialize_on_demand_and_sync_sessions_stay_sync)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = http_session(c);
    sekha_mcp_tools *t = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_list_tools_sync(s, NULL, &t, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_tools_count(t), 7);
    cr_assert_not_null(strstr(sekha_mcp_tools_input_schema(t, 1), "\"query\""));
    cr_assert_null(sekha_mcp_tools_next_cursor(t));
    sekha_mcp_tools_free(t);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), 3, "initialize, initialized, tools/list");
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, NULL), SEKHA_E_INVALID_ARG,
                 "already initialized");
    rec r = {0};
    sekha_mcp_session_ping(s, data_cb, &r);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.code, SEKHA_E_INVALID_ARG, "an async call on a sync session is refused");
    cr_assert_eq(sekha_mcp_session_ping_sync(s, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_close_sync(s, NULL), SEKHA_OK);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

static const char *GONE_404 =
    "{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"status\":404,\"body\":"
    "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":null,\\\"error\\\":{\\\"code\\\":-32001,"
    "\\\"message\\\":\\\"Session not found\\\"}}\"}]}";

Test(mcp_client, expired_session_is_renewed_and_the_call_resent)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = ready_session(c);
    char first[128];
    snprintf(first, sizeof first, "%s", sekha_mcp_session_id(s));
    fault(GONE_404);
    sekha_mcp_tools *t = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_list_tools_sync(s, NULL, &t, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_tools_count(t), 7);
    sekha_mcp_tools_free(t);
    cr_assert_str_neq(sekha_mcp_session_id(s), first, "a new session");
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), 6, "init, initialized, 404, init, initialized, list");

    /* the 400 some servers send instead, naming the session */
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"status\":400,\"body\":"
          "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":null,\\\"error\\\":{\\\"code\\\":-32000,"
          "\\\"message\\\":\\\"Bad Request: No valid session ID provided\\\"}}\"}]}");
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_OK, "%s", sekha_error_message(err));
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_client, expired_session_without_renewal_fails_clearly_then_starts_anew)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = http_session(c);
    cr_assert_eq(sekha_mcp_session_set_reinitialize(s, 0), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, NULL), SEKHA_OK);
    fault(GONE_404);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_NOT_FOUND);
    cr_assert_not_null(strstr(sekha_error_message(err), "MCP session expired"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_null(sekha_mcp_session_id(s));
    cr_assert_eq(sekha_mcp_session_ping_sync(s, NULL), SEKHA_OK, "the next call starts a session");
    cr_assert_not_null(sekha_mcp_session_id(s));
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_client, sse_answer_without_result_is_resumed_with_last_event_id)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = ready_session(c);
    /* ids: initialize 1, then this request 2 */
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"status\":200,\"content_type\":"
          "\"text/event-stream\",\"body\":\"id: ev-1\\nretry: 20\\ndata: \\n\\n\"}]}");
    fault("{\"path\":\"/mcp\",\"method\":\"GET\",\"steps\":[{\"status\":200,\"content_type\":"
          "\"text/event-stream\",\"body\":\"id: ev-2\\ndata: {\\\"jsonrpc\\\":\\\"2.0\\\","
          "\\\"method\\\":\\\"notifications/message\\\",\\\"params\\\":{}}\\n\\nid: ev-3\\n"
          "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,\\\"result\\\":{\\\"resumed\\\":true}}\\n\\n\"}]}");
    notes = 0;
    sekha_mcp_session_set_notification_handler(s, on_note, NULL);
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_request_sync(s, "custom/thing", "{\"x\":1}", &d, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_data_bool(d, "resumed", 0), 1);
    sekha_mcp_data_free(d);
    cr_assert_eq(notes, 1);
    cr_assert_str_eq(last_note, "notifications/message");
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), 4, "init, initialized, POST, resume GET");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_client, answers_without_a_response_are_protocol_errors)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = ready_session(c);
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"status\":202,\"body\":\"\"},"
          "{\"status\":200,\"content_type\":\"text/event-stream\",\"body\":\"data: \\n\\n\"}]}");
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_PROTOCOL);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_SERVICE);
    sekha_error_free(err);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_PROTOCOL, "a stream with no id");
    cr_assert_not_null(strstr(sekha_error_message(err), "no event id"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, NULL), SEKHA_OK, "the session is still fine");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_client, wrong_key_on_the_mcp_endpoint_is_an_auth_error)
{
    sekha_client *c = new_client("wrong_key_wrong_key_wrong_key_wrong_key");
    sekha_mcp_session *s = http_session(c);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_list_tools_sync(s, NULL, NULL, &err), SEKHA_E_AUTH);
    cr_assert_eq(sekha_error_http_status(err), 401);
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    sekha_client_free(c);

    /* the key only goes where the MCP service points, unless the user says so */
    c = new_client(DS_DEV_KEY);
    char other[192];
    snprintf(other, sizeof other, "%s/mcp", ds.bridge_url);
    s = sekha_mcp_session_new_http(c, other, NULL);
    cr_assert_not_null(s);
    cr_assert_eq(sekha_mcp_session_set_send_key(s, 1), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_NOT_FOUND, "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

/* The devserver's side of the contract, spoken to directly. */
static int raw_post(sekha_client *c, const char *accept, const char *ctype, const char *body,
                    char *out, size_t cap)
{
    const char *headers[] = {accept, NULL};
    sekha_response *resp = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_HEADERS, headers), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, ctype), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, body, strlen(body)), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_NO_RETRY), SEKHA_OK);
    sekha_http_request_sync(c, SEKHA_SERVICE_MCP, "POST /mcp", p, &resp, NULL);
    sekha_params_free(p);
    int status = sekha_response_status(resp);
    snprintf(out, cap, "%s", resp ? sekha_response_body(resp, NULL) : "");
    sekha_response_free(resp);
    return status;
}

Test(mcp_client, devserver_mcp_endpoint_rejections)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    const char *both = "Accept: application/json, text/event-stream";
    const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    char body[512];
    cr_assert_eq(raw_post(c, "Accept: application/json", "application/json", ping, body, sizeof body), 406);
    cr_assert_eq(raw_post(c, both, "text/plain", ping, body, sizeof body), 415);
    cr_assert_eq(raw_post(c, both, "application/json", "{nope", body, sizeof body), 400);
    cr_assert_not_null(strstr(body, "-32700"), "%s", body);
    cr_assert_eq(raw_post(c, both, "application/json", ping, body, sizeof body), 400, "no session");
    cr_assert_not_null(strstr(body, "Mcp-Session-Id"), "%s", body);
    sekha_response *resp = NULL;
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_MCP, "GET /mcp", NULL, &resp, NULL),
                 SEKHA_E_HTTP);
    cr_assert_eq(sekha_response_status(resp), 405, "no standalone stream");
    sekha_response_free(resp);
    sekha_client_free(c);
}

/* A server request arrives with the answer's stream: the handler answers it, the
 * notification before the result is delivered first. */
static int handled;

static void reply_roots(sekha_mcp_session *s, sekha_mcp_server_request *rq, void *ud)
{
    (void)s;
    (void)ud;
    handled++;
    cr_assert_str_eq(sekha_mcp_server_request_method(rq), "roots/list");
    cr_assert_not_null(strstr(sekha_mcp_server_request_params(rq), "\"why\""));
    cr_assert_eq(sekha_mcp_server_request_reply(rq, "{\"roots\":[]}"), SEKHA_OK);
}

Test(mcp_client, notifications_and_server_requests_before_the_result)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = http_session(c);
    notes = 0;
    handled = 0;
    sekha_mcp_session_set_notification_handler(s, on_note, NULL);
    sekha_mcp_session_set_request_handler(s, reply_roots, NULL);
    rec init = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    long before = ds_proc_count(&ds, NULL, "/mcp");
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"status\":200,\"content_type\":"
          "\"text/event-stream\",\"body\":\"data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"method\\\":"
          "\\\"notifications/progress\\\",\\\"params\\\":{\\\"progressToken\\\":99,\\\"progress\\\":1}}"
          "\\n\\ndata: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":\\\"s-1\\\",\\\"method\\\":\\\"roots/list\\\","
          "\\\"params\\\":{\\\"why\\\":1}}\\n\\ndata: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,\\\"result\\\":{}}\\n\\n\"}]}");
    rec ping = {0};
    sekha_mcp_session_ping(s, data_cb, &ping);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(ping.code, SEKHA_OK, "%s", ping.message);
    cr_assert_eq(ping.notes_at_final, 1, "the notification came first");
    cr_assert_str_eq(last_note, "notifications/progress", "unknown progress tokens go to the handler");
    cr_assert_eq(handled, 1);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), before + 2, "the ping and the handler's answer");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_client, cancel_sends_notifications_cancelled_and_free_ends_every_call)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = http_session(c);
    rec init = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"stall\":true},{\"pass\":true},"
          "{\"stall\":true},{\"stall\":true}]}");
    rec a = {0}, b = {0}, d = {0};
    sekha_request *r = sekha_mcp_session_call_tool(s, "memory_stats", NULL, NULL, tool_cb, &a);
    while (ds_proc_count(&ds, NULL, "/mcp") < 3)
        sekha_client_poll(c, 20); /* until the stalled POST reached the server */
    sekha_request_cancel(r);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK, "the cancelled notice goes out too");
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.code, SEKHA_E_CANCELLED);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), 4, "init, initialized, call, cancelled");

    sekha_mcp_session_ping(s, data_cb, &b);
    sekha_mcp_session_free(s); /* pending calls end with CANCELLED, from the loop */
    cr_assert_eq(b.calls, 0);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(b.calls, 1);
    cr_assert_eq(b.code, SEKHA_E_CANCELLED);

    s = http_session(c);
    sekha_mcp_session_ping(s, data_cb, &d);
    sekha_client_poll(c, 0);
    sekha_mcp_session_free(s);
    sekha_client_free(c); /* nothing left pending, nothing leaked */
    cr_assert_eq(d.calls, 1);
}

typedef struct free_in_cb {
    rec r;
    sekha_mcp_session *s;
} free_in_cb;

static void tools_then_free(sekha_request *req, const sekha_error *err, const sekha_mcp_tools *t,
                            void *ud)
{
    free_in_cb *f = ud;
    tools_cb(req, err, t, &f->r);
    sekha_mcp_session_free(f->s); /* legal inside callbacks, even during the client's free */
}

Test(mcp_client, client_free_ends_session_calls_with_closed)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    free_in_cb f = {.s = http_session(c)};
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"stall\":true}]}");
    sekha_mcp_session_list_tools(f.s, NULL, tools_then_free, &f);
    while (ds_proc_count(&ds, NULL, "/mcp") < 1)
        sekha_client_poll(c, 20);
    sekha_client_free(c);
    cr_assert_eq(f.r.calls, 1);
    cr_assert_eq(f.r.code, SEKHA_E_CLOSED);
}

Test(mcp_client, listen_on_a_server_without_a_standalone_stream)
{
    sekha_client *c = new_client(DS_DEV_KEY);
    sekha_mcp_session *s = http_session(c);
    cr_assert_eq(sekha_mcp_session_set_listen(s, 1), SEKHA_OK);
    rec ping = {0};
    sekha_mcp_session_ping(s, data_cb, &ping);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK, "405 on GET: no stream, run() returns");
    cr_assert_eq(ping.code, SEKHA_OK);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp"), 4, "init, initialized, GET, ping");
    cr_assert_eq(sekha_mcp_session_set_listen(s, 0), SEKHA_E_INVALID_ARG, "too late");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

/* ---- stdio with scripted servers ---- */

#define INIT_REPLY(v) LINE("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"" v \
                           "\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"sh-server\"," \
                           "\"version\":\"0.1\"}}}")

/* The server checks on its side what the client answered and sent, and reports it in its
 * results: the client's own bookkeeping cannot fake these. */
static const char *PROTOCOL_SCRIPT =
    "echo $$ > \"$1/pid\"\n"
    "read l; echo \"$l\" > \"$1/init\"\n"
    LINE("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"early\"}}")
    INIT_REPLY("2025-06-18")
    "read l; echo \"$l\" > \"$1/initialized\"\n"
    "read l\n"
    LINE("{\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"roots/list\"}")
    "read l; case \"$l\" in *'\"id\":\"srv-1\"'*-32601*) ok=true;; *) ok=false;; esac\n"
    "printf '{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"rootsRefused\":%s}}\\n' $ok\n"
    "read l\n"
    "read l; case \"$l\" in *notifications/cancelled*'\"requestId\":3'*) c=true;; *) c=false;; esac\n"
    "read l\n"
    "printf '{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"sawCancel\":%s}}\\n' $c\n"
    "while read l; do :; done\n";

Test(mcp_client, stdio_protocol_as_seen_by_the_server)
{
    make_tmpdir();
    sekha_client *c = new_client(NULL);
    sekha_mcp_session *s = stdio_session(c, PROTOCOL_SCRIPT);
    notes = 0;
    sekha_mcp_session_set_notification_handler(s, on_note, NULL);
    rec init = {0}, ping = {0}, call = {0}, ping2 = {0}, closed = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    sekha_mcp_session_ping(s, data_cb, &ping); /* waits for initialization */
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(init.code, SEKHA_OK, "%s", init.message);
    cr_assert_eq(init.notes_at_final, 1, "a notification before the initialize result");
    cr_assert_str_eq(sekha_mcp_session_protocol_version(s), "2025-06-18", "the server's choice");
    cr_assert_str_eq(sekha_mcp_session_server_name(s), "sh-server");
    cr_assert_eq(ping.code, SEKHA_OK, "%s", ping.message);
    cr_assert_not_null(strstr(ping.json, "\"rootsRefused\":true"), "%s", ping.json);

    sekha_request *r = sekha_mcp_session_call_tool(s, "slow", NULL, NULL, tool_cb, &call);
    sekha_request_cancel(r);
    sekha_mcp_session_ping(s, data_cb, &ping2);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(call.code, SEKHA_E_CANCELLED);
    cr_assert_not_null(strstr(ping2.json, "\"sawCancel\":true"), "%s", ping2.json);

    long pid = read_pid();
    sekha_mcp_session_close(s, close_cb, &closed);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(closed.code, SEKHA_OK, "%s", closed.message);
    cr_assert(reaped(pid), "the child was reaped");
    sekha_mcp_session_free(s);
    sekha_client_free(c);

    char path[128], line[1024] = "";
    snprintf(path, sizeof path, "%s/init", tmpdir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    fclose(f);
    cr_assert_not_null(strstr(line, "\"method\":\"initialize\""), "%s", line);
    cr_assert_not_null(strstr(line, "\"protocolVersion\":\"2025-11-25\""), "%s", line);
    cr_assert_not_null(strstr(line, "\"clientInfo\":{\"name\":\"libsekha\""), "%s", line);
    snprintf(path, sizeof path, "%s/initialized", tmpdir);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(line, sizeof line, f));
    fclose(f);
    cr_assert_not_null(strstr(line, "notifications/initialized"), "%s", line);
    remove_tmpdir();
}

Test(mcp_client, stdio_unsupported_version_and_a_dying_server)
{
    make_tmpdir();
    sekha_client *c = new_client(NULL);
    sekha_mcp_session *s = stdio_session(c, "read l\n" INIT_REPLY("1999-01-01") "while read l; do :; done\n");
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_E_PROTOCOL);
    cr_assert_not_null(strstr(sekha_error_message(err), "1999-01-01"));
    sekha_error_free(err);
    sekha_mcp_session_free(s);

    s = stdio_session(c, "echo $$ > \"$1/pid\"; read l\n" INIT_REPLY("2025-03-26") "read l; read l; exit 3\n");
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_CONNECTION_LOST);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    sekha_error_free(err);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_CONNECTION_LOST, "stays broken");
    sekha_error_free(err);
    long pid = read_pid();
    sekha_mcp_session_free(s);
    cr_assert(reaped(pid));

    const char *argv[] = {"/nonexistent/mcp-server", NULL};
    cr_assert_null(sekha_mcp_session_new_stdio(c, argv, &err));
    cr_assert_eq(sekha_error_code(err), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_error_message(err), "nonexistent"));
    sekha_error_free(err);
    sekha_client_free(c);
    remove_tmpdir();
}

Test(mcp_client, stdio_close_terminates_a_server_that_ignores_end_of_input)
{
    make_tmpdir();
    sekha_client *c = new_client(NULL);
    /* the pid is written before the answer, and exec keeps it */
    sekha_mcp_session *s = stdio_session(c, "echo $$ > \"$1/pid\"; read l\n" INIT_REPLY("2025-11-25")
                                            "read l; exec sleep 60\n");
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, NULL), SEKHA_OK);
    long pid = read_pid();
    cr_assert_eq(sekha_mcp_session_close_sync(s, NULL), SEKHA_OK);
    cr_assert(reaped(pid), "SIGTERM ended it and it was reaped");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    remove_tmpdir();
}

/* ---- driven by the user's own loop (mode B) ---- */

typedef struct user_loop {
    struct pollfd fds[64];
    int n;
    long long deadline; /* -1: no timer */
} user_loop;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ul_watch(sekha_client *c, int fd, int events, void *ud)
{
    (void)c;
    user_loop *l = ud;
    short want = (short)(((events & SEKHA_WATCH_READ) ? POLLIN : 0) |
                         ((events & SEKHA_WATCH_WRITE) ? POLLOUT : 0));
    for (int i = 0; i < l->n; i++)
        if (l->fds[i].fd == fd) {
            if (events)
                l->fds[i].events = want;
            else
                l->fds[i] = l->fds[--l->n];
            return;
        }
    if (events && l->n < 64)
        l->fds[l->n++] = (struct pollfd){.fd = fd, .events = want};
}

static void ul_timer(sekha_client *c, long ms, void *ud)
{
    (void)c;
    user_loop *l = ud;
    l->deadline = ms < 0 ? -1 : mono_ms() + ms;
}

static void ul_run(sekha_client *c, user_loop *l, const int *done)
{
    while (!*done) {
        int wait = l->deadline < 0 ? 1000 : (int)(l->deadline - mono_ms());
        if (poll(l->fds, (nfds_t)l->n, wait < 0 ? 0 : wait) > 0) {
            struct pollfd ready[64];
            int n = l->n;
            memcpy(ready, l->fds, sizeof ready);
            for (int i = 0; i < n; i++)
                if (ready[i].revents)
                    sekha_client_socket_ready(c, ready[i].fd,
                                              ((ready[i].revents & (POLLIN | POLLHUP)) ? SEKHA_WATCH_READ : 0) |
                                              ((ready[i].revents & POLLOUT) ? SEKHA_WATCH_WRITE : 0));
        }
        if (l->deadline >= 0 && mono_ms() >= l->deadline) {
            l->deadline = -1;
            sekha_client_timer_expired(c);
        }
    }
}

Test(mcp_client, stdio_session_driven_by_the_users_poll_loop)
{
    make_tmpdir();
    sekha_client *c = new_client(NULL);
    user_loop l = {.deadline = -1};
    cr_assert_eq(sekha_client_set_loop_hooks(c, ul_watch, ul_timer, &l), SEKHA_OK);
    sekha_mcp_session *s = stdio_session(c, "read l\n" INIT_REPLY("2025-11-25") "read l; read l\n"
                                            LINE("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"t1\",\"inputSchema\":{}}]}}")
                                            "while read l; do :; done\n");
    rec list = {0}, closed = {0};
    sekha_mcp_session_list_tools(s, NULL, tools_cb, &list);
    ul_run(c, &l, &list.calls);
    cr_assert_eq(list.code, SEKHA_OK, "%s", list.message);
    cr_assert_eq(list.tools, 1);
    cr_assert_str_eq(list.tool0, "t1");
    sekha_mcp_session_close(s, close_cb, &closed);
    ul_run(c, &l, &closed.calls);
    cr_assert_eq(closed.code, SEKHA_OK);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    remove_tmpdir();
}
