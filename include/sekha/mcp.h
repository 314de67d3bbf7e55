/** @file mcp.h
 * @brief The MCP sub-client: the Sekha memory tools and Model Context Protocol sessions.
 *
 * Two things live here:
 *
 * 1. The Sekha memory tools, over the controller's HTTP tool endpoints
 *    (POST \<MCP base URL\>/mcp/tools/\<tool\>, "Authorization: Bearer \<MCP key\>"; the MCP URL
 *    and key fall back to the controller's). Answers come wrapped in {success, data, error}:
 *    the callbacks get the unwrapped `data` as a ::sekha_mcp_data. success:false is
 *    ::SEKHA_E_SERVICE with the server's message; the empty-bodied 404 and 500 are
 *    ::SEKHA_E_NOT_FOUND and ::SEKHA_E_SERVER. A controller that mounts no tool routes
 *    (the February controller) answers every tool with that 404: the message then says
 *    the controller serves no MCP tool routes and to use its REST API (the
 *    sekha_controller_* calls) instead; for the tools about one conversation it names
 *    both causes, as the 404 is also "no such conversation". A missing or wrong key (401)
 *    and a malformed
 *    Authorization header (the controller's 400 "Invalid authorization format") are
 *    ::SEKHA_E_AUTH. Strings must be UTF-8 and JSON text (::SEKHA_PARAM_FILTERS_JSON, and
 *    the sessions' params_json, arguments_json, capabilities) one JSON value in UTF-8: a
 *    call that breaks this ends with ::SEKHA_E_INVALID_ARG naming it, and sends nothing.
 *    Optional arguments are parameters (::sekha_params): a key that is not set is left out
 *    of the request, so the server's default applies (each call names its defaults).
 *
 * 2. A Model Context Protocol client (JSON-RPC 2.0) that works against any MCP server, as
 *    a session over one of three transports: Streamable HTTP, the legacy HTTP+SSE
 *    transport, or stdio (a child process). Every JSON-RPC call is a ::sekha_request with
 *    exactly one final callback and can be cancelled (the server is then sent
 *    notifications/cancelled).
 *
 * Sessions in short:
 *  - Calls made before initialize completes start (or wait for) initialization, so
 *    sekha_mcp_session_initialize() is optional; call it to learn the server's answer.
 *  - Versions offered: 2025-11-25 (asked for by default), 2025-06-18, 2025-03-26. A server
 *    that picks anything else fails initialization with ::SEKHA_E_PROTOCOL.
 *  - Session gone: when a Streamable HTTP server answers a call with 404 (or a 400 that
 *    names the session, as some servers do), the session re-initializes and the call is
 *    re-sent once, transparently. With sekha_mcp_session_set_reinitialize(s, 0) the call
 *    fails instead (::SEKHA_E_NOT_FOUND or ::SEKHA_E_BAD_REQUEST, message "MCP session
 *    expired") and the next call starts a new session. A legacy SSE session whose event
 *    stream breaks fails the calls waiting on it; the next call reconnects.
 *  - Streams: answers may be JSON or an SSE stream. Event ids are remembered; a stream that
 *    ends (or breaks, or stays silent longer than the stream idle timeout) before the call's
 *    result is resumed with GET and Last-Event-ID after the server's retry: delay (1 s when
 *    it gave none, at most ::SEKHA_SSE_MAX_RETRY_MS, 60 s). A server that answers with plain
 *    JSON must do so within that timeout. An event id goes back verbatim, so it must be at
 *    most 4096 bytes without control characters or leading/trailing blanks; a call whose
 *    stream would have to resume from any other id fails with ::SEKHA_E_PROTOCOL.
 *  - A ping from the server is answered by the session itself with an empty result (the
 *    spec requires it of every receiver); it never reaches the request handler.
 *  - A session runs on one loop, chosen by its first call: the client's loop (async
 *    forms) or the private loop of sync calls (the _sync forms). Calls of the other kind
 *    then fail with ::SEKHA_E_INVALID_ARG. The session's delays (stream resumption, the
 *    standalone stream's reconnection, a stdio server's grace periods) run on that loop's
 *    timers; a session holds no file descriptor of its own beyond its transport's.
 *  - While a legacy SSE session is connected, or a Streamable HTTP session listens on its
 *    standalone GET stream (sekha_mcp_session_set_listen()), the session keeps a request
 *    pending, so sekha_client_run() returns only once the session is closed: close it from
 *    a callback, or drive the client with sekha_client_poll().
 *  - stdio sessions have no per-call timeout (cancel the request to give up).
 *  - Sessions and their client may be freed in either order, also from inside callbacks:
 *    see sekha_mcp_session_free().
 *
 * Ownership, the same rule as everywhere: a result given to a callback is lent until the
 * callback returns; its _copy function returns one the caller owns, on any thread (cheap:
 * results are immutable and shared with an atomic count); its _free function releases one
 * the caller owns (sync results, copies). Strings returned by accessors live as long as
 * the object they came from; accessors may be called from several threads at once.
 * Arguments (strings, messages, parameters) are copied or read before a call returns.
 */
#ifndef SEKHA_MCP_H
#define SEKHA_MCP_H

#include "client.h"
#include "messages.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- JSON results with path accessors ---- */

/** A decoded JSON value: a Sekha tool's `data`, or a JSON-RPC result (opaque, immutable).
 *
 * Paths are keys and array indexes separated by '.', e.g. "results.0.content",
 * "conversation.label"; NULL or "" is the value itself. */
typedef struct sekha_mcp_data sekha_mcp_data;

/** The value as compact JSON text.
 * Built on first use (once, safely from several threads).
 * @param d the value (NULL gives NULL).
 * @return the text, valid as long as d; NULL when d is NULL or out of memory. */
SEKHA_API const char *sekha_mcp_data_json(const sekha_mcp_data *d);

/** The string at a path.
 * @param d the value.
 * @param path the path (NULL or "" = the value itself).
 * @return the string, valid as long as d; NULL when absent or not a string. */
SEKHA_API const char *sekha_mcp_data_str(const sekha_mcp_data *d, const char *path);

/** The number at a path.
 * @param d the value.
 * @param path the path (NULL or "" = the value itself).
 * @param fallback what to return when the path is absent or not a number.
 * @return the number, or fallback. */
SEKHA_API double sekha_mcp_data_num(const sekha_mcp_data *d, const char *path, double fallback);

/** The boolean at a path.
 * @param d the value.
 * @param path the path (NULL or "" = the value itself).
 * @param fallback what to return when the path is absent or not a boolean.
 * @return 1 or 0, or fallback. */
SEKHA_API int sekha_mcp_data_bool(const sekha_mcp_data *d, const char *path, int fallback);

/** The number of elements of the array (or members of the object) at a path.
 * @param d the value.
 * @param path the path (NULL or "" = the value itself).
 * @return the count, 0 when absent or neither an array nor an object. */
SEKHA_API size_t sekha_mcp_data_count(const sekha_mcp_data *d, const char *path);

/** Returns a value the caller owns (a shared reference: the value is immutable).
 * May be called from any thread, e.g. inside the callback the value was lent to.
 * @param d the value (NULL gives NULL).
 * @return the same value, to release with sekha_mcp_data_free(). */
SEKHA_API sekha_mcp_data *sekha_mcp_data_copy(const sekha_mcp_data *d);

/** Releases a value the caller owns (a sync result or a copy), on any thread.
 * @param d the value; NULL is a no-op. */
SEKHA_API void sekha_mcp_data_free(sekha_mcp_data *d);

/** The final callback of calls answering with a ::sekha_mcp_data.
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param data the result (lent until the callback returns; sekha_mcp_data_copy() keeps
 *        it); NULL on error.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_mcp_data_cb)(sekha_request *req, const sekha_error *err,
                                  const sekha_mcp_data *data, void *userdata);

/* ---- 1. Sekha memory tools (POST /mcp/tools/<tool>) ----
 * Results: the envelope's data, e.g. "total_conversations", "results.0.content",
 * "conversation_id" (see the Sekha wire contract, section 1.3). Every tool call rejects a
 * parameter it does not read (::SEKHA_E_INVALID_ARG naming it) and parameters with a
 * failed setter, and then sends nothing. The final callback comes later from the loop,
 * never from inside the call. */

/** memory_stats: counts for one folder or one label, or for all folders.
 *
 * Parameters read: ::SEKHA_PARAM_FOLDER and ::SEKHA_PARAM_LABEL (at most one of them;
 * neither = all folders).
 * @param client the client; NULL returns NULL and calls nothing.
 * @param params the parameters (NULL = all defaults).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_stats(sekha_client *client, const sekha_params *params,
                                                sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_stats(): runs it on the client's private loop.
 * @param client the client.
 * @param params the parameters (NULL = all defaults).
 * @param out receives the result the caller owns (free with sekha_mcp_data_free()); may
 *        be NULL.
 * @param err receives the error the caller owns (free with sekha_error_free()); may be NULL.
 * @return ::SEKHA_OK or the error's code (::SEKHA_E_INVALID_ARG for a NULL client,
 *         ::SEKHA_E_IN_CALLBACK inside a callback). */
SEKHA_API sekha_code sekha_mcp_memory_stats_sync(sekha_client *client, const sekha_params *params,
                                                 sekha_mcp_data **out, sekha_error **err);

/** memory_search: a semantic search of the stored conversations.
 *
 * Parameters read: ::SEKHA_PARAM_FILTERS_JSON (a JSON object: a Chroma where clause;
 * default none) and ::SEKHA_PARAM_LIMIT (at most 2147483647; default: the server's, 10).
 * @param client the client; NULL returns NULL and calls nothing.
 * @param query what to search for (a non-empty UTF-8 string).
 * @param params the parameters (NULL = all defaults).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_search(sekha_client *client, const char *query,
                                                 const sekha_params *params,
                                                 sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_search().
 * @param client the client.
 * @param query what to search for.
 * @param params the parameters (NULL = all defaults).
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_memory_search_sync(sekha_client *client, const char *query,
                                                  const sekha_params *params,
                                                  sekha_mcp_data **out, sekha_error **err);

/** memory_store: stores a conversation.
 *
 * Parameters read: ::SEKHA_PARAM_LABEL (default "Conversation") and ::SEKHA_PARAM_FOLDER
 * (default "/"), the same defaults as sekha_workflow_store_and_query(); neither may be
 * empty. ::SEKHA_PARAM_IMPORTANCE (1-10, sent as an integer; default: the server's, 5).
 * A controller that takes content as text only (the January one) refuses messages with
 * content parts with a 422: the error (::SEKHA_E_VALIDATION) then says so.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param messages the conversation (at least one message; read before the call returns).
 * @param params the parameters (NULL = all defaults).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_store(sekha_client *client,
                                                const sekha_messages *messages,
                                                const sekha_params *params,
                                                sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_store().
 * @param client the client.
 * @param messages the conversation.
 * @param params the parameters (NULL = all defaults).
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_memory_store_sync(sekha_client *client,
                                                 const sekha_messages *messages,
                                                 const sekha_params *params,
                                                 sekha_mcp_data **out, sekha_error **err);

/** memory_update: changes a stored conversation's metadata, then reads it back.
 *
 * Parameters read (each left unchanged when not set): ::SEKHA_PARAM_LABEL,
 * ::SEKHA_PARAM_FOLDER, ::SEKHA_PARAM_STATUS and ::SEKHA_PARAM_IMPORTANCE (1-10).
 *
 * The January controller saves only label and folder yet reports status and importance
 * as updated, so the update is followed by memory_get_context (two requests, one handle:
 * cancelling it cancels whichever runs) and the result reports what the conversation
 * holds afterwards: {"conversation_id", "updated_fields": the fields asked for that read
 * back as asked, "not_stored": those that did not, "stored": {label, folder, status,
 * importance_score} as read back, "reported_fields": what the tool claimed, "message"}.
 * A status of "pinned" counts as stored when the status or an importance of 10 says so.
 * Either request failing fails the call with its error (a failed read-back leaves the
 * update done).
 * @param client the client; NULL returns NULL and calls nothing.
 * @param conversation_id the conversation (a UUID).
 * @param params the parameters (NULL = change nothing).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_update(sekha_client *client,
                                                 const char *conversation_id,
                                                 const sekha_params *params,
                                                 sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_update().
 * @param client the client.
 * @param conversation_id the conversation (a UUID).
 * @param params the parameters.
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_memory_update_sync(sekha_client *client,
                                                  const char *conversation_id,
                                                  const sekha_params *params,
                                                  sekha_mcp_data **out, sekha_error **err);

/** memory_prune: suggests conversations to prune.
 *
 * Parameters read: ::SEKHA_PARAM_THRESHOLD_DAYS (at most 2147483647; default: the
 * server's, 30) and ::SEKHA_PARAM_IMPORTANCE_THRESHOLD (default: the server's, 5.0).
 * @param client the client; NULL returns NULL and calls nothing.
 * @param params the parameters (NULL = all defaults).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_prune(sekha_client *client, const sekha_params *params,
                                                sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_prune().
 * @param client the client.
 * @param params the parameters (NULL = all defaults).
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_memory_prune_sync(sekha_client *client, const sekha_params *params,
                                                 sekha_mcp_data **out, sekha_error **err);

/** memory_get_context: one conversation's metadata. Takes no parameters.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param conversation_id the conversation (a UUID).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_get_context(sekha_client *client,
                                                      const char *conversation_id,
                                                      sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_get_context().
 * @param client the client.
 * @param conversation_id the conversation (a UUID).
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_memory_get_context_sync(sekha_client *client,
                                                       const char *conversation_id,
                                                       sekha_mcp_data **out, sekha_error **err);

/** memory_export: one conversation, for export.
 *
 * Parameters read: ::SEKHA_PARAM_FORMAT ("json" or "markdown"; default json) and
 * ::SEKHA_PARAM_INCLUDE_METADATA (0/1; default: the server's). The controller only echoes
 * them.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param conversation_id the conversation (a UUID).
 * @param params the parameters (NULL = all defaults).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL only when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_mcp_memory_export(sekha_client *client,
                                                 const char *conversation_id,
                                                 const sekha_params *params,
                                                 sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_memory_export().
 * @param client the client.
 * @param conversation_id the conversation (a UUID).
 * @param params the parameters (NULL = all defaults).
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_memory_export_sync(sekha_client *client,
                                                  const char *conversation_id,
                                                  const sekha_params *params,
                                                  sekha_mcp_data **out, sekha_error **err);

/* ---- 2. MCP sessions ---- */

/** A session with an MCP server (opaque): see the file comment. */
typedef struct sekha_mcp_session sekha_mcp_session;

/** Creates a Streamable HTTP session. Nothing is sent yet.
 *
 * The MCP key is sent only to URLs under the MCP base URL unless
 * sekha_mcp_session_set_send_key() says otherwise.
 * @param client the client the session runs on.
 * @param url the endpoint (NULL = \<MCP base URL\>/mcp).
 * @param err receives the error the caller owns on failure; may be NULL.
 * @return the session, to free with sekha_mcp_session_free(); NULL on a bad URL, a NULL
 *         client or no memory. */
SEKHA_API sekha_mcp_session *sekha_mcp_session_new_http(sekha_client *client, const char *url,
                                                        sekha_error **err);

/** Creates a legacy HTTP+SSE session. Nothing is sent yet.
 * @param client the client the session runs on.
 * @param url the SSE endpoint (e.g. http://host/sse).
 * @param err receives the error the caller owns on failure; may be NULL.
 * @return the session, to free with sekha_mcp_session_free(); NULL on failure. */
SEKHA_API sekha_mcp_session *sekha_mcp_session_new_sse(sekha_client *client, const char *url,
                                                       sekha_error **err);

/** Creates a stdio session: starts a server process speaking newline-delimited JSON-RPC
 * on its stdin and stdout; its stderr is inherited.
 * @param client the client the session runs on.
 * @param argv the command: argv[0] (searched in PATH) and its arguments, NULL-terminated.
 * @param err receives the error the caller owns on failure; may be NULL.
 * @return the session, to free with sekha_mcp_session_free(); NULL when the process cannot
 *         be started. */
SEKHA_API sekha_mcp_session *sekha_mcp_session_new_stdio(sekha_client *client,
                                                         const char *const *argv,
                                                         sekha_error **err);

/** Sets clientInfo for initialize (default "libsekha" and the library version).
 * Only before the session's first call.
 * @param s the session.
 * @param name the client name (non-empty UTF-8, copied).
 * @param version the client version (non-empty UTF-8, copied).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_session_set_client_info(sekha_mcp_session *s, const char *name,
                                                       const char *version);

/** Sets the protocol version to ask for. Only before the session's first call.
 * @param s the session.
 * @param version one of the three supported (default 2025-11-25).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_session_set_protocol_version(sekha_mcp_session *s,
                                                            const char *version);

/** Sets the client capabilities object sent with initialize. Only before the session's
 * first call.
 * @param s the session.
 * @param capabilities_json a JSON object in UTF-8 (default "{}"), e.g. {"elicitation":{}}
 *        when a request handler answers elicitation/create.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_session_set_capabilities(sekha_mcp_session *s,
                                                        const char *capabilities_json);

/** Turns transparent re-initialization on or off (default on): when the server forgets
 * the session, it is renewed and the call re-sent once.
 * @param s the session.
 * @param on 1 (renew) or 0 (fail the call; the next call starts a new session).
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG for an unusable session. */
SEKHA_API sekha_code sekha_mcp_session_set_reinitialize(sekha_mcp_session *s, int on);

/** Streamable HTTP: opens the optional standalone GET stream once initialized, for
 * messages the server sends outside any call (default 0; 404/405 answers mean "none").
 * Only before the session's first call.
 * @param s the session (Streamable HTTP).
 * @param on 1 to listen, 0 not to.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG (other transports, too late). */
SEKHA_API sekha_code sekha_mcp_session_set_listen(sekha_mcp_session *s, int on);

/** HTTP transports: whether to send the MCP key. Only before the session's first call.
 * @param s the session.
 * @param mode 1 (always), 0 (never) or -1 (only under the MCP base URL, the default).
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_mcp_session_set_send_key(sekha_mcp_session *s, int mode);

/** Receives every notification from the server that is not a progress notification of a
 * call with a progress callback. May arrive at any time, even before the result of
 * initialize; called from the session's loop.
 * @param s the session.
 * @param method the notification's method (lent until the callback returns).
 * @param params_json its params as JSON text, NULL when absent (lent).
 * @param userdata the pointer given to sekha_mcp_session_set_notification_handler(). */
typedef void (*sekha_mcp_notification_cb)(sekha_mcp_session *s, const char *method,
                                          const char *params_json, void *userdata);

/** Installs the notification callback.
 * @param s the session.
 * @param cb the callback (NULL removes it).
 * @param userdata passed to cb.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG for an unusable session. */
SEKHA_API sekha_code sekha_mcp_session_set_notification_handler(sekha_mcp_session *s,
                                                                sekha_mcp_notification_cb cb,
                                                                void *userdata);

/** A request from the server (elicitation/create, roots/list, sampling/createMessage, ...),
 * opaque.
 *
 * Its own rule, not the results' one: a server request is owned by the handler it is
 * given to, which answers it exactly once, inside the handler or later (from the
 * session's thread), with sekha_mcp_server_request_reply(), sekha_mcp_server_request_fail()
 * or sekha_mcp_elicitation_accept_defaults(); each of them frees it. It has no _copy and
 * no _free. Requests left unanswered are freed with their session. */
typedef struct sekha_mcp_server_request sekha_mcp_server_request;

/** Receives a request from the server; called from the session's loop.
 * @param s the session.
 * @param rq the request, owned by the handler from now on (see
 *        ::sekha_mcp_server_request).
 * @param userdata the pointer given to sekha_mcp_session_set_request_handler(). */
typedef void (*sekha_mcp_request_handler)(sekha_mcp_session *s, sekha_mcp_server_request *rq,
                                          void *userdata);

/** Installs the handler of server requests. Without one, every server request is answered
 * with JSON-RPC error -32601 (method not found), except ping, which the session always
 * answers itself.
 * @param s the session.
 * @param handler the handler (NULL removes it).
 * @param userdata passed to handler.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG for an unusable session. */
SEKHA_API sekha_code sekha_mcp_session_set_request_handler(sekha_mcp_session *s,
                                                           sekha_mcp_request_handler handler,
                                                           void *userdata);

/** The method of a server request.
 * @param rq the request.
 * @return the method, valid until rq is answered. */
SEKHA_API const char *sekha_mcp_server_request_method(const sekha_mcp_server_request *rq);

/** The params of a server request.
 * @param rq the request.
 * @return its params as JSON text, valid until rq is answered; NULL when absent. */
SEKHA_API const char *sekha_mcp_server_request_params(const sekha_mcp_server_request *rq);

/** Answers a server request with a result, and frees it.
 *
 * Text that is not a JSON object, or not UTF-8, is never sent: the server gets a JSON-RPC
 * internal error instead (its one answer).
 * @param rq the request (freed by this call whatever it returns).
 * @param result_json a JSON object in UTF-8 (NULL = {}).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (bad result_json, or the session's client is
 *         gone) or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_server_request_reply(sekha_mcp_server_request *rq,
                                                    const char *result_json);

/** Answers a server request with a JSON-RPC error, and frees it. Bytes of message that
 * are not UTF-8 are sent as U+FFFD.
 * @param rq the request (freed by this call whatever it returns).
 * @param code the JSON-RPC error code.
 * @param message the error message.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_server_request_fail(sekha_mcp_server_request *rq, long code,
                                                   const char *message);

/** For elicitation/create: accepts, with every property of requestedSchema that has a
 * "default" filled in with it (SEP-1034), and frees the request.
 * @param rq the request (freed by this call whatever it returns).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (not an elicitation) or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_elicitation_accept_defaults(sekha_mcp_server_request *rq);

/** initialize. Optional: other calls initialize on demand.
 *
 * Fails with ::SEKHA_E_INVALID_ARG when already initialized (or initializing, or closed).
 * The final callback comes later from the loop, never from inside this call.
 * @param s the session; an unusable one (NULL, freed, client freed) returns NULL.
 * @param cb the final callback; its data is the server's InitializeResult.
 * @param userdata passed to cb.
 * @return the request; NULL for an unusable session or no memory. */
SEKHA_API sekha_request *sekha_mcp_session_initialize(sekha_mcp_session *s,
                                                      sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_session_initialize(): runs on the client's private loop.
 * @param s the session.
 * @param out receives the InitializeResult the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code (::SEKHA_E_INVALID_ARG for an unusable session
 *         or one that runs on the client's loop). */
SEKHA_API sekha_code sekha_mcp_session_initialize_sync(sekha_mcp_session *s,
                                                       sekha_mcp_data **out, sekha_error **err);

/** The negotiated protocol version.
 * @param s the session.
 * @return the version, valid while the session lives; NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_protocol_version(const sekha_mcp_session *s);

/** The Mcp-Session-Id of a Streamable HTTP session.
 * @param s the session.
 * @return the id, valid until the session changes it; NULL when the server gave none. */
SEKHA_API const char *sekha_mcp_session_id(const sekha_mcp_session *s);

/** serverInfo.name.
 * @param s the session.
 * @return the name; NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_server_name(const sekha_mcp_session *s);

/** serverInfo.version.
 * @param s the session.
 * @return the version; NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_server_version(const sekha_mcp_session *s);

/** The server's capabilities.
 * @param s the session.
 * @return the capabilities as JSON text; NULL before initialization. */
SEKHA_API const char *sekha_mcp_session_server_capabilities(const sekha_mcp_session *s);

/** The server's instructions.
 * @param s the session.
 * @return the instructions; NULL when it gave none. */
SEKHA_API const char *sekha_mcp_session_instructions(const sekha_mcp_session *s);

/** ping. The final callback comes later from the loop, never from inside this call.
 * @param s the session; an unusable one returns NULL.
 * @param cb the final callback; its data is the (empty) result.
 * @param userdata passed to cb.
 * @return the request; NULL for an unusable session or no memory. */
SEKHA_API sekha_request *sekha_mcp_session_ping(sekha_mcp_session *s, sekha_mcp_data_cb cb,
                                                void *userdata);

/** The sync form of sekha_mcp_session_ping().
 * @param s the session.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_session_ping_sync(sekha_mcp_session *s, sekha_error **err);

/** Any other JSON-RPC request. The final callback comes later from the loop, never from
 * inside this call.
 * @param s the session; an unusable one returns NULL.
 * @param method the method (non-empty UTF-8).
 * @param params_json its params: a JSON object in UTF-8, or NULL for none.
 * @param cb the final callback; its data is the result.
 * @param userdata passed to cb.
 * @return the request; NULL for an unusable session or no memory. */
SEKHA_API sekha_request *sekha_mcp_session_request(sekha_mcp_session *s, const char *method,
                                                   const char *params_json,
                                                   sekha_mcp_data_cb cb, void *userdata);

/** The sync form of sekha_mcp_session_request().
 * @param s the session.
 * @param method the method.
 * @param params_json its params (a JSON object, or NULL).
 * @param out receives the result the caller owns; may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_session_request_sync(sekha_mcp_session *s, const char *method,
                                                    const char *params_json,
                                                    sekha_mcp_data **out, sekha_error **err);

/** Sends a notification (no answer expected) once the session is initialized. It goes
 * out from the session's loop (for a sync session, during its next sync call).
 * @param s the session (initialized).
 * @param method the method (non-empty UTF-8).
 * @param params_json its params (a JSON object in UTF-8, or NULL).
 * @return ::SEKHA_OK once queued, ::SEKHA_E_INVALID_ARG (bad arguments, a session not
 *         initialized or unusable) or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_session_notify(sekha_mcp_session *s, const char *method,
                                              const char *params_json);

/* ---- tools/list ---- */

/** One page of tools/list (opaque, immutable). Tools are reached by index. */
typedef struct sekha_mcp_tools sekha_mcp_tools;

/** The number of tools on this page.
 * @param t the page.
 * @return the count (0 for NULL). */
SEKHA_API size_t sekha_mcp_tools_count(const sekha_mcp_tools *t);

/** The name of a tool.
 * @param t the page.
 * @param i the tool's index.
 * @return the name, valid as long as t; NULL when i is out of range. */
SEKHA_API const char *sekha_mcp_tools_name(const sekha_mcp_tools *t, size_t i);

/** The description of a tool.
 * @param t the page.
 * @param i the tool's index.
 * @return the description, valid as long as t; NULL when none. */
SEKHA_API const char *sekha_mcp_tools_description(const sekha_mcp_tools *t, size_t i);

/** The inputSchema of a tool. Built on first use (once, safely from several threads).
 * @param t the page.
 * @param i the tool's index.
 * @return the schema as JSON text, valid as long as t; NULL when none. */
SEKHA_API const char *sekha_mcp_tools_input_schema(const sekha_mcp_tools *t, size_t i);

/** The cursor of the next page (for ::SEKHA_PARAM_CURSOR).
 * @param t the page.
 * @return the cursor, valid as long as t; NULL on the last page. */
SEKHA_API const char *sekha_mcp_tools_next_cursor(const sekha_mcp_tools *t);

/** The whole ListToolsResult. Built on first use (once, safely from several threads).
 * @param t the page.
 * @return JSON text, valid as long as t. */
SEKHA_API const char *sekha_mcp_tools_json(const sekha_mcp_tools *t);

/** Returns a page the caller owns (a shared reference: the page is immutable).
 * May be called from any thread.
 * @param t the page (NULL gives NULL).
 * @return the same page, to release with sekha_mcp_tools_free(). */
SEKHA_API sekha_mcp_tools *sekha_mcp_tools_copy(const sekha_mcp_tools *t);

/** Releases a page the caller owns (a sync result or a copy), on any thread.
 * @param t the page; NULL is a no-op. */
SEKHA_API void sekha_mcp_tools_free(sekha_mcp_tools *t);

/** The final callback of tools/list.
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param tools the page (lent; sekha_mcp_tools_copy() keeps it); NULL on error.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_mcp_tools_cb)(sekha_request *req, const sekha_error *err,
                                   const sekha_mcp_tools *tools, void *userdata);

/** tools/list: one page of the server's tools.
 *
 * Parameters read: ::SEKHA_PARAM_CURSOR (default: the first page; then
 * sekha_mcp_tools_next_cursor()). The final callback comes later from the loop, never
 * from inside this call.
 * @param s the session; an unusable one returns NULL.
 * @param params the parameters (NULL = the first page).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL for an unusable session or no memory. */
SEKHA_API sekha_request *sekha_mcp_session_list_tools(sekha_mcp_session *s,
                                                      const sekha_params *params,
                                                      sekha_mcp_tools_cb cb, void *userdata);

/** The sync form of sekha_mcp_session_list_tools().
 * @param s the session.
 * @param params the parameters (NULL = the first page).
 * @param out receives the page the caller owns (free with sekha_mcp_tools_free()); may be
 *        NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_session_list_tools_sync(sekha_mcp_session *s,
                                                       const sekha_params *params,
                                                       sekha_mcp_tools **out, sekha_error **err);

/* ---- tools/call ---- */

/** A CallToolResult (opaque, immutable). A tool that failed is still a result: see
 * sekha_mcp_tool_result_is_error(). */
typedef struct sekha_mcp_tool_result sekha_mcp_tool_result;

/** Whether the tool reported an error (isError: true).
 * @param r the result.
 * @return 1 or 0. */
SEKHA_API int sekha_mcp_tool_result_is_error(const sekha_mcp_tool_result *r);

/** The number of content parts.
 * @param r the result.
 * @return the count (0 for NULL). */
SEKHA_API size_t sekha_mcp_tool_result_content_count(const sekha_mcp_tool_result *r);

/** The type of a content part ("text", "image", "audio", "resource_link", "resource", ...).
 * @param r the result.
 * @param i the part's index.
 * @return the type, valid as long as r; NULL when i is out of range. */
SEKHA_API const char *sekha_mcp_tool_result_content_type(const sekha_mcp_tool_result *r, size_t i);

/** The text of a text part.
 * @param r the result.
 * @param i the part's index.
 * @return the text, valid as long as r; NULL when the part is not a text part. */
SEKHA_API const char *sekha_mcp_tool_result_content_text(const sekha_mcp_tool_result *r, size_t i);

/** A content part as JSON text. Built on first use (once, safely from several threads).
 * @param r the result.
 * @param i the part's index.
 * @return the text, valid as long as r; NULL when i is out of range. */
SEKHA_API const char *sekha_mcp_tool_result_content_json(const sekha_mcp_tool_result *r, size_t i);

/** structuredContent as JSON text. Built on first use (once, safely from several threads).
 * @param r the result.
 * @return the text, valid as long as r; NULL when the server sent none. */
SEKHA_API const char *sekha_mcp_tool_result_structured(const sekha_mcp_tool_result *r);

/** The whole result as JSON text. Built on first use (once, safely from several threads).
 * @param r the result.
 * @return the text, valid as long as r. */
SEKHA_API const char *sekha_mcp_tool_result_json(const sekha_mcp_tool_result *r);

/** Returns a result the caller owns (a shared reference: the result is immutable).
 * May be called from any thread.
 * @param r the result (NULL gives NULL).
 * @return the same result, to release with sekha_mcp_tool_result_free(). */
SEKHA_API sekha_mcp_tool_result *sekha_mcp_tool_result_copy(const sekha_mcp_tool_result *r);

/** Releases a result the caller owns (a sync result or a copy), on any thread.
 * @param r the result; NULL is a no-op. */
SEKHA_API void sekha_mcp_tool_result_free(sekha_mcp_tool_result *r);

/** The final callback of tools/call.
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param result the result (lent; sekha_mcp_tool_result_copy() keeps it); NULL on error.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_mcp_tool_result_cb)(sekha_request *req, const sekha_error *err,
                                         const sekha_mcp_tool_result *result, void *userdata);

/** The progress of a call, as the server sent it; called from the session's loop, before
 * the call's final callback.
 * @param req the call's request.
 * @param progress the progress so far.
 * @param total the total, -1 when the server gave none.
 * @param message the server's message, NULL when none (lent until the callback returns).
 * @param userdata the pointer given to sekha_params_set_on_progress() (not the call's). */
typedef void (*sekha_mcp_progress_cb)(sekha_request *req, double progress, double total,
                                      const char *message, void *userdata);

/** Sets ::SEKHA_PARAM_ON_PROGRESS: a call given these parameters carries a progressToken
 * and the server's progress notifications for it go to fn.
 * @param p the parameters.
 * @param fn the progress callback (NULL unsets the key).
 * @param userdata passed to fn (its own, not the call's).
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG when p is NULL. */
SEKHA_API sekha_code sekha_params_set_on_progress(sekha_params *p, sekha_mcp_progress_cb fn,
                                                  void *userdata);

/** tools/call.
 *
 * Parameters read: ::SEKHA_PARAM_ON_PROGRESS (sekha_params_set_on_progress(); default
 * none: no progressToken is sent). The final callback comes later from the loop, never
 * from inside this call; progress callbacks come before it.
 * @param s the session; an unusable one returns NULL.
 * @param name the tool's name (non-empty UTF-8).
 * @param arguments_json its arguments: a JSON object in UTF-8 (NULL = {}).
 * @param params the parameters (NULL = all defaults).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request; NULL for an unusable session or no memory. */
SEKHA_API sekha_request *sekha_mcp_session_call_tool(sekha_mcp_session *s, const char *name,
                                                     const char *arguments_json,
                                                     const sekha_params *params,
                                                     sekha_mcp_tool_result_cb cb,
                                                     void *userdata);

/** The sync form of sekha_mcp_session_call_tool(); progress callbacks are made during it.
 * @param s the session.
 * @param name the tool's name.
 * @param arguments_json its arguments (a JSON object, or NULL).
 * @param params the parameters (NULL = all defaults).
 * @param out receives the result the caller owns (free with sekha_mcp_tool_result_free());
 *        may be NULL.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code (a tool that reported an error is a success:
 *         see sekha_mcp_tool_result_is_error()). */
SEKHA_API sekha_code sekha_mcp_session_call_tool_sync(sekha_mcp_session *s, const char *name,
                                                      const char *arguments_json,
                                                      const sekha_params *params,
                                                      sekha_mcp_tool_result **out,
                                                      sekha_error **err);

/* ---- closing ---- */

/** Ends the session gracefully.
 *
 * Calls still pending end with ::SEKHA_E_CANCELLED, streams stop, a Streamable HTTP
 * session is deleted on the server (DELETE with its id), a stdio server gets end-of-input
 * and is reaped (SIGTERM, then SIGKILL, if it lingers). Later calls fail with
 * ::SEKHA_E_INVALID_ARG. The session still needs sekha_mcp_session_free(). The final
 * callback comes later from the loop, never from inside this call.
 * @param s the session; an unusable one returns NULL.
 * @param cb the final callback (err NULL once closed).
 * @param userdata passed to cb.
 * @return the request; NULL for an unusable session or no memory. */
SEKHA_API sekha_request *sekha_mcp_session_close(sekha_mcp_session *s, sekha_done_cb cb,
                                                 void *userdata);

/** The sync form of sekha_mcp_session_close().
 * @param s the session.
 * @param err receives the error the caller owns; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_mcp_session_close_sync(sekha_mcp_session *s, sekha_error **err);

/** Frees the session.
 *
 * An open session is dropped abruptly: pending calls end with ::SEKHA_E_CANCELLED (their
 * callbacks still come, from the loop), nothing more is sent, pending delays are
 * disarmed, a stdio child is killed and reaped.
 *
 * The session and its client may be freed in either order, and either may be freed from
 * inside any callback. Freeing the client first ends the session's pending calls with
 * ::SEKHA_E_CLOSED (see sekha_client_free()), stops a stdio child and leaves the session
 * inert: calls return NULL, sync calls, setters and notifications fail with
 * ::SEKHA_E_INVALID_ARG, answers to server requests fail (and free the request), accessors
 * still work. The session must still be freed, and then touches nothing of the client.
 * @param s the session; NULL is a no-op. */
SEKHA_API void sekha_mcp_session_free(sekha_mcp_session *s);

#ifdef __cplusplus
}
#endif

#endif
