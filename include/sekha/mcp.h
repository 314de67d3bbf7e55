/* libsekha: the MCP sub-client.
 *
 * Two things live here:
 *
 * 1. The Sekha memory tools, over the controller's HTTP tool endpoints
 *    (POST <MCP base URL>/mcp/tools/<tool>, "Authorization: Bearer <MCP key>"; the MCP URL
 *    and key fall back to the controller's). Answers come wrapped in {success, data, error}:
 *    the callbacks get the unwrapped `data` as a sekha_mcp_data. success:false is
 *    SEKHA_E_SERVICE with the server's message; the empty-bodied 404 and 500 are
 *    SEKHA_E_NOT_FOUND and SEKHA_E_SERVER; a missing or wrong key (401) and a malformed
 *    Authorization header (the controller's 400 "Invalid authorization format") are
 *    SEKHA_E_AUTH. Strings must be UTF-8 and JSON text (messages_json, filters_json, and
 *    the sessions' params_json, arguments_json, capabilities) one JSON value in UTF-8: a
 *    call that breaks this ends with SEKHA_E_INVALID_ARG naming it, and sends nothing.
 *
 * 2. A Model Context Protocol client (JSON-RPC 2.0) that works against any MCP server, as
 *    a session over one of three transports: Streamable HTTP, the legacy HTTP+SSE
 *    transport, or stdio (a child process). Every JSON-RPC call is a sekha_request with
 *    exactly one final callback and can be cancelled (the server is then sent
 *    notifications/cancelled).
 *
 * Sessions in short:
 *  - Calls made before initialize completes start (or wait for) initialization, so
 *    sekha_mcp_session_initialize() is optional; call it to learn the server's answer.
 *  - Versions offered: 2025-11-25 (asked for by default), 2025-06-18, 2025-03-26. A server
 *    that picks anything else fails initialization with SEKHA_E_PROTOCOL.
 *  - Session gone: when a Streamable HTTP server answers a call with 404 (or a 400 that
 *    names the session, as some servers do), the session re-initializes and the call is
 *    re-sent once, transparently. With sekha_mcp_session_set_reinitialize(s, 0) the call
 *    fails instead (SEKHA_E_NOT_FOUND or SEKHA_E_BAD_REQUEST, message "MCP session
 *    expired") and the next call starts a new session. A legacy SSE session whose event
 *    stream breaks fails the calls waiting on it; the next call reconnects.
 *  - Streams: answers may be JSON or an SSE stream. Event ids are remembered; a stream that
 *    ends (or breaks, or stays silent longer than the stream idle timeout) before the call's
 *    result is resumed with GET and Last-Event-ID after the server's retry: delay (1 s when
 *    it gave none, at most SEKHA_SSE_MAX_RETRY_MS, 60 s). A server that answers with plain
 *    JSON must do so within that timeout. An event id goes back verbatim, so it must be at
 *    most 4096 bytes without control characters or leading/trailing blanks; a call whose
 *    stream would have to resume from any other id fails with SEKHA_E_PROTOCOL.
 *  - A ping from the server is answered by the session itself with an empty result (the
 *    spec requires it of every receiver); it never reaches the request handler.
 *  - A session runs on one loop, chosen by its first call: the client's loop (async
 *    forms) or the private loop of sync calls (the _sync forms). Calls of the other kind
 *    then fail with SEKHA_E_INVALID_ARG.
 *  - While a legacy SSE session is connected, or a Streamable HTTP session listens on its
 *    standalone GET stream (sekha_mcp_session_set_listen), the session keeps a request
 *    pending, so sekha_client_run() returns only once the session is closed: close it from
 *    a callback, or drive the client with sekha_client_poll().
 *  - stdio sessions have no per-call timeout (cancel the request to give up).
 *  - Sessions and their client may be freed in either order, also from inside callbacks:
 *    see sekha_mcp_session_free().
 */
#ifndef SEKHA_MCP_H
#define SEKHA_MCP_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- JSON results with path accessors ---- */

/* A decoded JSON value: a Sekha tool's `data`, or a JSON-RPC result. Paths are keys and
 * array indexes separated by '.', e.g. "results.0.content", "conversation.label"; NULL or
 * "" is the value itself. */
typedef struct sekha_mcp_data sekha_mcp_data;

/* The value as compact JSON text (valid while d is). */
SEKHA_API const char *sekha_mcp_data_json(const sekha_mcp_data *d);

/* The string at path, NULL when absent or not a string. */
SEKHA_API const char *sekha_mcp_data_str(const sekha_mcp_data *d, const char *path);

/* The number at path, fallback when absent or not a number. */
SEKHA_API double sekha_mcp_data_num(const sekha_mcp_data *d, const char *path, double fallback);

/* The boolean at path (1/0), fallback when absent or not a boolean. */
SEKHA_API int sekha_mcp_data_bool(const sekha_mcp_data *d, const char *path, int fallback);

/* The number of elements of the array (or members of the object) at path, 0 otherwise. */
SEKHA_API size_t sekha_mcp_data_count(const sekha_mcp_data *d, const char *path);

/* Frees a result returned by a sync call. NULL is a no-op. */
SEKHA_API void sekha_mcp_data_free(sekha_mcp_data *d);

/* Final callback of calls answering with a sekha_mcp_data (lent; NULL on error). */
typedef void (*sekha_mcp_data_cb)(sekha_request *req, const sekha_error *err,
                                  const sekha_mcp_data *data, void *userdata);

/* ---- 1. Sekha memory tools (POST /mcp/tools/<tool>) ----
 * Optional arguments: NULL strings, negative numbers and -1 flags are left out, so the
 * server's defaults apply. Results: the envelope's data, e.g. "total_conversations",
 * "results.0.content", "conversation_id" (see the Sekha wire contract, section 1.3). */

/* memory_stats for one folder or one label (at most one of them; neither = all folders). */
SEKHA_API sekha_request *sekha_mcp_memory_stats(sekha_client *c, const char *folder,
                                                const char *label, sekha_mcp_data_cb cb,
                                                void *userdata);
/* Sync form of sekha_mcp_memory_stats. */
SEKHA_API sekha_code sekha_mcp_memory_stats_sync(sekha_client *c, const char *folder,
                                                 const char *label, sekha_mcp_data **out,
                                                 sekha_error **err);

/* memory_search: query (required), filters as JSON text (a Chroma where clause, or NULL),
 * limit (0 = the server's default of 10). */
SEKHA_API sekha_request *sekha_mcp_memory_search(sekha_client *c, const char *query,
                                                 const char *filters_json, unsigned limit,
                                                 sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_memory_search. */
SEKHA_API sekha_code sekha_mcp_memory_search_sync(sekha_client *c, const char *query,
                                                  const char *filters_json, unsigned limit,
                                                  sekha_mcp_data **out, sekha_error **err);

/* memory_store: label and folder (required), messages_json a non-empty JSON array of
 * {"role","content"} objects, importance 1-10 (sent as an integer) or -1 for the server's
 * default of 5. */
SEKHA_API sekha_request *sekha_mcp_memory_store(sekha_client *c, const char *label,
                                                const char *folder, const char *messages_json,
                                                int importance, sekha_mcp_data_cb cb,
                                                void *userdata);
/* Sync form of sekha_mcp_memory_store. */
SEKHA_API sekha_code sekha_mcp_memory_store_sync(sekha_client *c, const char *label,
                                                 const char *folder, const char *messages_json,
                                                 int importance, sekha_mcp_data **out,
                                                 sekha_error **err);

/* memory_update: conversation_id (a UUID) and any of label, folder, status, importance
 * (1-10, -1 = unchanged). */
SEKHA_API sekha_request *sekha_mcp_memory_update(sekha_client *c, const char *conversation_id,
                                                 const char *label, const char *folder,
                                                 const char *status, int importance,
                                                 sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_memory_update. */
SEKHA_API sekha_code sekha_mcp_memory_update_sync(sekha_client *c, const char *conversation_id,
                                                  const char *label, const char *folder,
                                                  const char *status, int importance,
                                                  sekha_mcp_data **out, sekha_error **err);

/* memory_prune: threshold_days (-1 = 30) and importance_threshold (< 0 = 5.0). */
SEKHA_API sekha_request *sekha_mcp_memory_prune(sekha_client *c, long threshold_days,
                                                double importance_threshold,
                                                sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_memory_prune. */
SEKHA_API sekha_code sekha_mcp_memory_prune_sync(sekha_client *c, long threshold_days,
                                                 double importance_threshold,
                                                 sekha_mcp_data **out, sekha_error **err);

/* memory_get_context: one conversation's metadata. */
SEKHA_API sekha_request *sekha_mcp_memory_get_context(sekha_client *c,
                                                      const char *conversation_id,
                                                      sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_memory_get_context. */
SEKHA_API sekha_code sekha_mcp_memory_get_context_sync(sekha_client *c,
                                                       const char *conversation_id,
                                                       sekha_mcp_data **out, sekha_error **err);

/* memory_export: format ("json" or "markdown", NULL = json) and include_metadata
 * (1/0, -1 = the server's default) are only echoed by the controller. */
SEKHA_API sekha_request *sekha_mcp_memory_export(sekha_client *c, const char *conversation_id,
                                                 const char *format, int include_metadata,
                                                 sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_memory_export. */
SEKHA_API sekha_code sekha_mcp_memory_export_sync(sekha_client *c, const char *conversation_id,
                                                  const char *format, int include_metadata,
                                                  sekha_mcp_data **out, sekha_error **err);

/* ---- 2. MCP sessions ---- */

typedef struct sekha_mcp_session sekha_mcp_session;

/* A Streamable HTTP session with the endpoint at url (NULL = <MCP base URL>/mcp). The MCP
 * key is sent only to URLs under the MCP base URL unless sekha_mcp_session_set_send_key()
 * says otherwise. Nothing is sent yet. Returns NULL (and *err, when given) on a bad URL. */
SEKHA_API sekha_mcp_session *sekha_mcp_session_new_http(sekha_client *c, const char *url,
                                                        sekha_error **err);

/* A legacy HTTP+SSE session: url is the SSE endpoint (e.g. http://host/sse). */
SEKHA_API sekha_mcp_session *sekha_mcp_session_new_sse(sekha_client *c, const char *url,
                                                       sekha_error **err);

/* A stdio session: starts argv[0] (searched in PATH) with argv, speaking newline-delimited
 * JSON-RPC on its stdin and stdout; its stderr is inherited. Returns NULL (and *err) when
 * it cannot be started. */
SEKHA_API sekha_mcp_session *sekha_mcp_session_new_stdio(sekha_client *c,
                                                         const char *const *argv,
                                                         sekha_error **err);

/* Sets clientInfo for initialize (default "libsekha" and the library version). */
SEKHA_API sekha_code sekha_mcp_session_set_client_info(sekha_mcp_session *s, const char *name,
                                                       const char *version);

/* The protocol version to ask for (one of the three supported; default 2025-11-25). */
SEKHA_API sekha_code sekha_mcp_session_set_protocol_version(sekha_mcp_session *s,
                                                            const char *version);

/* The client capabilities object sent with initialize, as JSON text (default "{}"), e.g.
 * {"elicitation":{}} when a request handler answers elicitation/create. */
SEKHA_API sekha_code sekha_mcp_session_set_capabilities(sekha_mcp_session *s,
                                                        const char *capabilities_json);

/* Transparent re-initialization when the server forgets the session (default 1). */
SEKHA_API sekha_code sekha_mcp_session_set_reinitialize(sekha_mcp_session *s, int on);

/* Streamable HTTP: open the optional standalone GET stream once initialized, for messages
 * the server sends outside any call (default 0; 404/405 answers mean "none"). */
SEKHA_API sekha_code sekha_mcp_session_set_listen(sekha_mcp_session *s, int on);

/* HTTP transports: send the MCP key (1), never (0), or only under the MCP base URL (-1,
 * the default). */
SEKHA_API sekha_code sekha_mcp_session_set_send_key(sekha_mcp_session *s, int mode);

/* Receives every notification from the server that is not a progress notification of a
 * call with a progress callback: method and params as JSON text (NULL when absent). May
 * arrive at any time, even before the result of initialize. */
typedef void (*sekha_mcp_notification_cb)(sekha_mcp_session *s, const char *method,
                                          const char *params_json, void *userdata);

/* Installs the notification callback (NULL removes it). */
SEKHA_API sekha_code sekha_mcp_session_set_notification_handler(sekha_mcp_session *s,
                                                                sekha_mcp_notification_cb cb,
                                                                void *userdata);

/* A request from the server (elicitation/create, roots/list, sampling/createMessage, ...).
 * Owned by the handler, which answers it exactly once, inside the handler or later, with
 * sekha_mcp_server_request_reply() or _fail(); both free it. Unanswered requests are
 * freed with their session. */
typedef struct sekha_mcp_server_request sekha_mcp_server_request;
typedef void (*sekha_mcp_request_handler)(sekha_mcp_session *s, sekha_mcp_server_request *rq,
                                          void *userdata);

/* Installs the handler of server requests. Without one, every server request is answered
 * with JSON-RPC error -32601 (method not found), except ping, which the session always
 * answers itself. */
SEKHA_API sekha_code sekha_mcp_session_set_request_handler(sekha_mcp_session *s,
                                                           sekha_mcp_request_handler handler,
                                                           void *userdata);

/* The method of a server request. */
SEKHA_API const char *sekha_mcp_server_request_method(const sekha_mcp_server_request *rq);

/* Its params as JSON text, NULL when absent. */
SEKHA_API const char *sekha_mcp_server_request_params(const sekha_mcp_server_request *rq);

/* Answers with result_json (a JSON object in UTF-8; NULL = {}) and frees rq. Text that
 * is not a JSON object, or not UTF-8, is never sent: the server gets a JSON-RPC internal
 * error instead (its one answer) and this returns SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_mcp_server_request_reply(sekha_mcp_server_request *rq,
                                                    const char *result_json);

/* Answers with a JSON-RPC error and frees rq. Bytes of message that are not UTF-8 are
 * sent as U+FFFD. */
SEKHA_API sekha_code sekha_mcp_server_request_fail(sekha_mcp_server_request *rq, long code,
                                                   const char *message);

/* For elicitation/create: accepts, with every property of requestedSchema that has a
 * "default" filled in with it (SEP-1034), and frees rq. */
SEKHA_API sekha_code sekha_mcp_elicitation_accept_defaults(sekha_mcp_server_request *rq);

/* initialize (optional: other calls initialize on demand). The data is the server's
 * InitializeResult. Fails with SEKHA_E_INVALID_ARG when already initialized. */
SEKHA_API sekha_request *sekha_mcp_session_initialize(sekha_mcp_session *s,
                                                      sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_session_initialize. */
SEKHA_API sekha_code sekha_mcp_session_initialize_sync(sekha_mcp_session *s,
                                                       sekha_mcp_data **out, sekha_error **err);

/* After initialization: the negotiated protocol version, the Mcp-Session-Id (HTTP, NULL
 * when the server gave none), serverInfo's name and version, the server's capabilities as
 * JSON text, and its instructions; NULL when unknown. */
SEKHA_API const char *sekha_mcp_session_protocol_version(const sekha_mcp_session *s);
/* The Mcp-Session-Id of a Streamable HTTP session, NULL when none. */
SEKHA_API const char *sekha_mcp_session_id(const sekha_mcp_session *s);
/* serverInfo.name, NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_server_name(const sekha_mcp_session *s);
/* serverInfo.version, NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_server_version(const sekha_mcp_session *s);
/* The server's capabilities as JSON text, NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_server_capabilities(const sekha_mcp_session *s);
/* The server's instructions, NULL when it gave none. */
SEKHA_API const char *sekha_mcp_session_instructions(const sekha_mcp_session *s);

/* ping: the data is the (empty) result. */
SEKHA_API sekha_request *sekha_mcp_session_ping(sekha_mcp_session *s, sekha_mcp_data_cb cb,
                                                void *userdata);
/* Sync form of sekha_mcp_session_ping. */
SEKHA_API sekha_code sekha_mcp_session_ping_sync(sekha_mcp_session *s, sekha_error **err);

/* Any other JSON-RPC request: method and params as JSON text (an object, or NULL). */
SEKHA_API sekha_request *sekha_mcp_session_request(sekha_mcp_session *s, const char *method,
                                                   const char *params_json,
                                                   sekha_mcp_data_cb cb, void *userdata);
/* Sync form of sekha_mcp_session_request. */
SEKHA_API sekha_code sekha_mcp_session_request_sync(sekha_mcp_session *s, const char *method,
                                                    const char *params_json,
                                                    sekha_mcp_data **out, sekha_error **err);

/* Sends a notification (no answer expected) once the session is initialized. Returns
 * SEKHA_OK once queued; it goes out from the session's loop (for a sync session, during
 * its next sync call). */
SEKHA_API sekha_code sekha_mcp_session_notify(sekha_mcp_session *s, const char *method,
                                              const char *params_json);

/* ---- tools/list ---- */

/* One page of tools/list. */
typedef struct sekha_mcp_tools sekha_mcp_tools;

/* Number of tools on this page. */
SEKHA_API size_t sekha_mcp_tools_count(const sekha_mcp_tools *t);
/* The name of tool i (NULL when out of range). */
SEKHA_API const char *sekha_mcp_tools_name(const sekha_mcp_tools *t, size_t i);
/* The description of tool i, NULL when none. */
SEKHA_API const char *sekha_mcp_tools_description(const sekha_mcp_tools *t, size_t i);
/* The inputSchema of tool i as JSON text, NULL when none. */
SEKHA_API const char *sekha_mcp_tools_input_schema(const sekha_mcp_tools *t, size_t i);
/* The cursor of the next page, NULL on the last page. */
SEKHA_API const char *sekha_mcp_tools_next_cursor(const sekha_mcp_tools *t);
/* The whole ListToolsResult as JSON text. */
SEKHA_API const char *sekha_mcp_tools_json(const sekha_mcp_tools *t);
/* Frees a page returned by a sync call. NULL is a no-op. */
SEKHA_API void sekha_mcp_tools_free(sekha_mcp_tools *t);

/* Final callback of tools/list (the page is lent; NULL on error). */
typedef void (*sekha_mcp_tools_cb)(sekha_request *req, const sekha_error *err,
                                   const sekha_mcp_tools *tools, void *userdata);

/* tools/list; cursor NULL for the first page, then sekha_mcp_tools_next_cursor(). */
SEKHA_API sekha_request *sekha_mcp_session_list_tools(sekha_mcp_session *s, const char *cursor,
                                                      sekha_mcp_tools_cb cb, void *userdata);
/* Sync form of sekha_mcp_session_list_tools. */
SEKHA_API sekha_code sekha_mcp_session_list_tools_sync(sekha_mcp_session *s, const char *cursor,
                                                       sekha_mcp_tools **out, sekha_error **err);

/* ---- tools/call ---- */

/* A CallToolResult. A tool that failed is still a result: see _is_error. */
typedef struct sekha_mcp_tool_result sekha_mcp_tool_result;

/* 1 when the tool reported an error (isError: true). */
SEKHA_API int sekha_mcp_tool_result_is_error(const sekha_mcp_tool_result *r);
/* Number of content parts. */
SEKHA_API size_t sekha_mcp_tool_result_content_count(const sekha_mcp_tool_result *r);
/* The type of part i ("text", "image", "audio", "resource_link", "resource", ...). */
SEKHA_API const char *sekha_mcp_tool_result_content_type(const sekha_mcp_tool_result *r, size_t i);
/* The text of part i when it is a text part, else NULL. */
SEKHA_API const char *sekha_mcp_tool_result_content_text(const sekha_mcp_tool_result *r, size_t i);
/* Part i as JSON text. */
SEKHA_API const char *sekha_mcp_tool_result_content_json(const sekha_mcp_tool_result *r, size_t i);
/* structuredContent as JSON text, NULL when the server sent none. */
SEKHA_API const char *sekha_mcp_tool_result_structured(const sekha_mcp_tool_result *r);
/* The whole result as JSON text. */
SEKHA_API const char *sekha_mcp_tool_result_json(const sekha_mcp_tool_result *r);
/* Frees a result returned by a sync call. NULL is a no-op. */
SEKHA_API void sekha_mcp_tool_result_free(sekha_mcp_tool_result *r);

/* Final callback of tools/call (the result is lent; NULL on error). */
typedef void (*sekha_mcp_tool_result_cb)(sekha_request *req, const sekha_error *err,
                                         const sekha_mcp_tool_result *result, void *userdata);

/* Progress of a call: progress and total (-1 when the server gave none) as the server
 * sent them, message NULL when none. Called before the final callback, with its userdata. */
typedef void (*sekha_mcp_progress_cb)(sekha_request *req, double progress, double total,
                                      const char *message, void *userdata);

/* tools/call of name with arguments_json (a JSON object, NULL = {}). With a progress
 * callback the call carries a progressToken and the server's progress notifications go
 * to it. */
SEKHA_API sekha_request *sekha_mcp_session_call_tool(sekha_mcp_session *s, const char *name,
                                                     const char *arguments_json,
                                                     sekha_mcp_progress_cb progress,
                                                     sekha_mcp_tool_result_cb cb,
                                                     void *userdata);
/* Sync form of sekha_mcp_session_call_tool (progress gets userdata). */
SEKHA_API sekha_code sekha_mcp_session_call_tool_sync(sekha_mcp_session *s, const char *name,
                                                      const char *arguments_json,
                                                      sekha_mcp_progress_cb progress,
                                                      void *userdata,
                                                      sekha_mcp_tool_result **out,
                                                      sekha_error **err);

/* ---- closing ---- */


/* Ends the session gracefully: calls still pending end with SEKHA_E_CANCELLED, streams
 * stop, a Streamable HTTP session is deleted on the server (DELETE with its id), a stdio
 * server gets end-of-input and is reaped (SIGTERM, then SIGKILL, if it lingers). Later
 * calls fail with SEKHA_E_INVALID_ARG. The session still needs sekha_mcp_session_free(). */
SEKHA_API sekha_request *sekha_mcp_session_close(sekha_mcp_session *s, sekha_done_cb cb,
                                                 void *userdata);
/* Sync form of sekha_mcp_session_close. */
SEKHA_API sekha_code sekha_mcp_session_close_sync(sekha_mcp_session *s, sekha_error **err);

/* Frees the session. An open session is dropped abruptly: pending calls end with
 * SEKHA_E_CANCELLED (their callbacks still come, from the loop), nothing more is sent, a
 * stdio child is killed and reaped. NULL is a no-op.
 *
 * The session and its client may be freed in either order, and either may be freed from
 * inside any callback. Freeing the client first ends the session's pending calls with
 * SEKHA_E_CLOSED (see sekha_client_free()), stops a stdio child and leaves the session
 * inert: calls return NULL, sync calls, setters and notifications fail with
 * SEKHA_E_INVALID_ARG, answers to server requests fail (and free the request), accessors
 * still work. The session must still be freed, and then touches nothing of the client. */
SEKHA_API void sekha_mcp_session_free(sekha_mcp_session *s);

#ifdef __cplusplus
}
#endif

#endif
