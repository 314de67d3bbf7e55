/** @file controller.h
 * @brief The controller sub-client: the memory store of a Sekha deployment.
 *
 * One call per REST route of sekha-controller (conversations, semantic and full-text
 * search, context assembly, summaries, pruning, label suggestions, health, metrics), each
 * in an async form (required arguments, then a ::sekha_params for what has a default, then
 * the final callback and its userdata; returns a request handle; exactly one final
 * callback per request, always from the loop, never from inside the call) and a `_sync`
 * form (runs the same request on the client's private loop, returns a ::sekha_code and
 * hands the result over to the caller: `*out` gets it whenever there is one, `*err` the
 * error; both may be NULL). The results and their accessors are in controller_results.h.
 *
 * Parameters: each call lists the keys it reads and their defaults; NULL parameters mean
 * "all defaults", and a key that is not set is not sent (the controller's default
 * applies) unless the call says otherwise. A key the call does not read, or parameters
 * with a failed setter, end the call with ::SEKHA_E_INVALID_ARG naming the key (or
 * repeating the setter's message), and nothing is sent.
 *
 * Arguments are checked before anything is sent: ids must be UUIDs, strings non-NULL and
 * UTF-8 (JSON has no other encoding; the message names the field and the byte, as in
 * "messages[0].content is not valid UTF-8 (at byte 4)"), JSON text one valid JSON value,
 * numbers in range. A rejected call still ends through its callback with
 * ::SEKHA_E_INVALID_ARG (layer "local"), and nothing reaches the network. String lists
 * are NULL-terminated arrays. Arguments and parameters are copied or read before the call
 * returns.
 *
 * With a NULL client an async call returns NULL and calls nothing back; a sync call
 * returns ::SEKHA_E_INVALID_ARG. A sync call made inside a callback fails with
 * ::SEKHA_E_IN_CALLBACK.
 *
 * Results given to a callback are lent until the callback returns; each result type's
 * `_copy()` gives one you own and `_free()` releases it (see controller_results.h).
 *
 * Retries: reads (GET, and the POST routes that only compute: query, full-text search,
 * context, summaries, pruning dry runs, label suggestions) and idempotent writes (PUT,
 * DELETE, prune execution, embedding rebuild) are retried by the core's policy. Creating a
 * conversation is not re-sent once the server may have processed it: a connection lost
 * after sending ends with ::SEKHA_E_OUTCOME_UNKNOWN. Health probes are never retried: a
 * probe reports the state at the time of asking, and a 503 is an answer.
 *
 * The controller reports a missing conversation as a 500 "Entity not found: ..." on some
 * routes (pin, archive, summaries, label suggestions): libsekha reports that as
 * ::SEKHA_E_NOT_FOUND (HTTP status 500) without retrying, on every controller route.
 */
#ifndef SEKHA_CONTROLLER_H
#define SEKHA_CONTROLLER_H

#include "client.h"
#include "controller_results.h"
#include "health.h"
#include "messages.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- final callbacks (results and errors are lent until the callback returns) ---- */

/** The final callback of the calls that answer with a conversation.
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param conv the conversation on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_conversation_cb)(sekha_request *req, const sekha_error *err,
                                      const sekha_conversation *conv, void *userdata);

/** The final callback of sekha_controller_list_conversations() and
 * sekha_controller_query().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param results the page of results on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_search_results_cb)(sekha_request *req, const sekha_error *err,
                                        const sekha_search_results *results, void *userdata);

/** The final callback of sekha_controller_full_text_search() and
 * sekha_controller_assemble_context().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param messages the messages read back on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_stored_messages_cb)(sekha_request *req, const sekha_error *err,
                                         const sekha_stored_messages *messages,
                                         void *userdata);

/** The final callback of sekha_controller_count_conversations().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param count the answer on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_count_cb)(sekha_request *req, const sekha_error *err,
                               const sekha_count_result *count, void *userdata);

/** The final callback of sekha_controller_summarize().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param summary the summary on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_summary_cb)(sekha_request *req, const sekha_error *err,
                                 const sekha_summary *summary, void *userdata);

/** The final callback of sekha_controller_prune_dry_run().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param suggestions the suggestions on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_prune_suggestions_cb)(sekha_request *req, const sekha_error *err,
                                           const sekha_prune_suggestions *suggestions,
                                           void *userdata);

/** The final callback of sekha_controller_suggest_labels().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param suggestions the suggestions on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_label_suggestions_cb)(sekha_request *req, const sekha_error *err,
                                           const sekha_label_suggestions *suggestions,
                                           void *userdata);

/** The final callback of sekha_controller_metrics().
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error.
 * @param metrics the metrics on success, else NULL.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_metrics_cb)(sekha_request *req, const sekha_error *err,
                                 const sekha_metrics *metrics, void *userdata);

/* ---- content helpers (the SDKs' type guards) ---- */

/** Message content as JSON: a string, or an array of parts (opaque). */
typedef struct sekha_content sekha_content;

/** Whether a role is one the controller stores.
 * @param role the role (may be NULL).
 * @return 1 for "user", "assistant", "system" or "tool" (case-sensitive), else 0. */
SEKHA_API int sekha_is_valid_role(const char *role);

/** Parses message content given as JSON text. Any JSON value is accepted; only strings and
 * part arrays carry text.
 * @param json the JSON text (may be NULL).
 * @return the content, to free with sekha_content_free(); NULL when json is NULL, not
 *         valid JSON, or on no memory. */
SEKHA_API sekha_content *sekha_content_parse(const char *json);

/** The text of message content: a string's value, or the "text" of every text part joined
 * with one space; "" for any other value.
 * @param content the content.
 * @return the text, never NULL; valid while the content is. */
SEKHA_API const char *sekha_content_text(const sekha_content *content);

/** The number of image_url parts that have a URL.
 * @param content the content.
 * @return the count (0 for string content). */
SEKHA_API size_t sekha_content_image_count(const sekha_content *content);

/** The URL of an image part.
 * @param content the content.
 * @param i the image's position among the image parts that have a URL.
 * @return the URL (valid while the content is), NULL when out of range. */
SEKHA_API const char *sekha_content_image_url(const sekha_content *content, size_t i);

/** The detail of an image part.
 * @param content the content.
 * @param i the image's position among the image parts that have a URL.
 * @return "low", "high", "auto" or whatever was sent; NULL when absent or out of range. */
SEKHA_API const char *sekha_content_image_detail(const sekha_content *content, size_t i);

/** Frees parsed content.
 * @param content the content (NULL is a no-op). */
SEKHA_API void sekha_content_free(sekha_content *content);

/** Converts a controller timestamp to seconds since the epoch. Accepts
 * YYYY-MM-DD[T or space]HH:MM:SS with an optional fraction (up to 9 digits) and an
 * optional zone (Z, +HH:MM, -HH:MM, +HHMM); without a zone the time is taken as UTC,
 * which is what the controller means.
 * @param timestamp the timestamp.
 * @param epoch_seconds receives the seconds (may be NULL).
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG for anything else. */
SEKHA_API sekha_code sekha_timestamp_to_epoch(const char *timestamp, double *epoch_seconds);

/* ---- conversations ---- */

/** Stores a conversation: POST /api/v1/conversations (201).
 *
 * Parameters read: ::SEKHA_PARAM_LABEL (default "Conversation"), ::SEKHA_PARAM_FOLDER
 * (default "/"), ::SEKHA_PARAM_IMPORTANCE (1..10, sent as importance_score; unset: not
 * sent. The current controller ignores it on this route and stores 5; pinning sets 10).
 *
 * Messages with content parts go out as parts; a controller that takes content as text
 * only (the January one) answers 422, reported as ::SEKHA_E_VALIDATION with a message
 * that says the controller accepts only plain-text content.
 *
 * Never re-sent once the server may have processed it: a connection lost after sending
 * ends with ::SEKHA_E_OUTCOME_UNKNOWN. The final callback comes later from the loop,
 * never from inside this call.
 * @param client the client.
 * @param messages the messages to store: at least one, no failed add (the failure is
 *        reported as "sekha_controller_create_conversation: messages[0].content is not
 *        valid UTF-8 (at byte 4)"); read before the call returns.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the stored conversation.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_create_conversation(sekha_client *client,
                                                              const sekha_messages *messages,
                                                              const sekha_params *params,
                                                              sekha_conversation_cb cb,
                                                              void *userdata);

/** Sync form of sekha_controller_create_conversation().
 * @param client the client.
 * @param messages the messages to store.
 * @param params the optional parameters, or NULL.
 * @param out receives the stored conversation (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_create_conversation_sync(sekha_client *client,
                                                               const sekha_messages *messages,
                                                               const sekha_params *params,
                                                               sekha_conversation **out,
                                                               sekha_error **err);

/** Fetches a conversation: GET /api/v1/conversations/{id}. An unknown id ends with
 * ::SEKHA_E_NOT_FOUND (HTTP 404). The final callback comes later from the loop.
 * @param client the client.
 * @param id the conversation's UUID.
 * @param cb the final callback, given the conversation.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_get_conversation(sekha_client *client, const char *id,
                                                           sekha_conversation_cb cb,
                                                           void *userdata);

/** Sync form of sekha_controller_get_conversation().
 * @param client the client.
 * @param id the conversation's UUID.
 * @param out receives the conversation (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_get_conversation_sync(sekha_client *client, const char *id,
                                                            sekha_conversation **out,
                                                            sekha_error **err);

/** Lists conversations: GET /api/v1/conversations, a page of them, newest update first,
 * each dressed as a search result (conversation_id, content = label, metadata {folder,
 * status, importance_score}).
 *
 * Parameters read (unset = no filter): ::SEKHA_PARAM_LABEL, ::SEKHA_PARAM_FOLDER,
 * ::SEKHA_PARAM_PINNED (1: only pinned, 0: only unpinned), ::SEKHA_PARAM_ARCHIVED (1: only
 * archived, 0: only active), ::SEKHA_PARAM_PAGE (1..4294967295, default 1),
 * ::SEKHA_PARAM_PAGE_SIZE (1..4294967295, default 50).
 *
 * Note: the real controller's filters match nothing (a known bug of its own); the
 * devserver filters as intended. The final callback comes later from the loop.
 * @param client the client.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the page.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_list_conversations(sekha_client *client,
                                                             const sekha_params *params,
                                                             sekha_search_results_cb cb,
                                                             void *userdata);

/** Sync form of sekha_controller_list_conversations().
 * @param client the client.
 * @param params the optional parameters, or NULL.
 * @param out receives the page (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_list_conversations_sync(sekha_client *client,
                                                              const sekha_params *params,
                                                              sekha_search_results **out,
                                                              sekha_error **err);

/** Sets a conversation's label and folder: PUT /api/v1/conversations/{id}/label. The
 * controller reports any failure, an unknown id included, as 404. The final callback
 * comes later from the loop.
 * @param client the client.
 * @param id the conversation's UUID.
 * @param label the new label (required, may be empty).
 * @param folder the new folder (required, may be empty).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_update_label(sekha_client *client, const char *id,
                                                       const char *label, const char *folder,
                                                       sekha_done_cb cb, void *userdata);

/** Sync form of sekha_controller_update_label().
 * @param client the client.
 * @param id the conversation's UUID.
 * @param label the new label.
 * @param folder the new folder.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_update_label_sync(sekha_client *client, const char *id,
                                                        const char *label, const char *folder,
                                                        sekha_error **err);

/** Moves a conversation to a folder: PUT /api/v1/conversations/{id}/folder. The final
 * callback comes later from the loop.
 * @param client the client.
 * @param id the conversation's UUID.
 * @param folder the new folder (required).
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_update_folder(sekha_client *client, const char *id,
                                                        const char *folder, sekha_done_cb cb,
                                                        void *userdata);

/** Sync form of sekha_controller_update_folder().
 * @param client the client.
 * @param id the conversation's UUID.
 * @param folder the new folder.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_update_folder_sync(sekha_client *client, const char *id,
                                                         const char *folder, sekha_error **err);

/** Pins a conversation (sets importance 10): PUT /api/v1/conversations/{id}/pin. The
 * controller reports an unknown id as a 500 "Entity not found: ...", not as 404: libsekha
 * reports it as ::SEKHA_E_NOT_FOUND (HTTP status 500) without retrying. The final
 * callback comes later from the loop.
 * @param client the client.
 * @param id the conversation's UUID.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_pin_conversation(sekha_client *client, const char *id,
                                                           sekha_done_cb cb, void *userdata);

/** Sync form of sekha_controller_pin_conversation().
 * @param client the client.
 * @param id the conversation's UUID.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_pin_conversation_sync(sekha_client *client, const char *id,
                                                            sekha_error **err);

/** Archives a conversation (sets status "archived"): PUT
 * /api/v1/conversations/{id}/archive. An unknown id is reported as for
 * sekha_controller_pin_conversation(). The final callback comes later from the loop.
 * @param client the client.
 * @param id the conversation's UUID.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_archive_conversation(sekha_client *client,
                                                               const char *id,
                                                               sekha_done_cb cb,
                                                               void *userdata);

/** Sync form of sekha_controller_archive_conversation().
 * @param client the client.
 * @param id the conversation's UUID.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_archive_conversation_sync(sekha_client *client,
                                                                const char *id,
                                                                sekha_error **err);

/** Deletes a conversation: DELETE /api/v1/conversations/{id}. An unknown id ends with
 * ::SEKHA_E_NOT_FOUND. A delete retried after a lost connection can report
 * ::SEKHA_E_NOT_FOUND although its first attempt succeeded. The final callback comes
 * later from the loop.
 * @param client the client.
 * @param id the conversation's UUID.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_delete_conversation(sekha_client *client,
                                                              const char *id,
                                                              sekha_done_cb cb,
                                                              void *userdata);

/** Sync form of sekha_controller_delete_conversation().
 * @param client the client.
 * @param id the conversation's UUID.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_delete_conversation_sync(sekha_client *client,
                                                               const char *id,
                                                               sekha_error **err);

/** Counts conversations: GET /api/v1/conversations/count, all of them, or those with a
 * label, or those in a folder.
 *
 * Parameters read (unset = no filter): ::SEKHA_PARAM_LABEL, ::SEKHA_PARAM_FOLDER. Setting
 * both is ::SEKHA_E_INVALID_ARG, as the controller cannot count that.
 *
 * A 200 answer carrying an "error" field ends with ::SEKHA_E_SERVICE and that text as the
 * service message. The final callback comes later from the loop.
 * @param client the client.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the count.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_count_conversations(sekha_client *client,
                                                              const sekha_params *params,
                                                              sekha_count_cb cb, void *userdata);

/** Sync form of sekha_controller_count_conversations().
 * @param client the client.
 * @param params the optional parameters, or NULL.
 * @param out receives the count (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_count_conversations_sync(sekha_client *client,
                                                               const sekha_params *params,
                                                               sekha_count_result **out,
                                                               sekha_error **err);

/* ---- search and memory ---- */

/** Semantic search over stored messages, best first: POST /api/v1/query.
 *
 * Parameters read: ::SEKHA_PARAM_LIMIT (1..4294967295; unset: not sent, the controller
 * returns 10), ::SEKHA_PARAM_OFFSET (0..4294967295; unset: not sent. The controller
 * ignores it except for the page number it reports), ::SEKHA_PARAM_FILTERS_JSON (a JSON
 * value passed unchanged as the vector store's "where" clause; metadata keys:
 * conversation_id, message_id, content_preview, role, ...; unset: none).
 *
 * The hot path of memory lookups: with NULL parameters it does no work for them, and a
 * set key costs a table lookup, never an allocation. The final callback comes later from
 * the loop.
 * @param client the client.
 * @param query what to search for, non-blank UTF-8.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the results.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_query(sekha_client *client, const char *query,
                                                const sekha_params *params,
                                                sekha_search_results_cb cb, void *userdata);

/** Sync form of sekha_controller_query().
 * @param client the client.
 * @param query what to search for.
 * @param params the optional parameters, or NULL.
 * @param out receives the results (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_query_sync(sekha_client *client, const char *query,
                                                 const sekha_params *params,
                                                 sekha_search_results **out, sekha_error **err);

/** Full-text search (SQLite FTS5 MATCH syntax) over message content, best rank first:
 * POST /api/v1/search/fts.
 *
 * Parameters read: ::SEKHA_PARAM_LIMIT (1..4294967295; unset: not sent, the controller
 * returns 10).
 *
 * A query the FTS engine cannot parse ends with ::SEKHA_E_SERVER (the controller's 500).
 * The final callback comes later from the loop.
 * @param client the client.
 * @param query the FTS5 query, non-blank UTF-8.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the messages found.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_full_text_search(sekha_client *client,
                                                           const char *query,
                                                           const sekha_params *params,
                                                           sekha_stored_messages_cb cb,
                                                           void *userdata);

/** Sync form of sekha_controller_full_text_search().
 * @param client the client.
 * @param query the FTS5 query.
 * @param params the optional parameters, or NULL.
 * @param out receives the messages (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_full_text_search_sync(sekha_client *client,
                                                            const char *query,
                                                            const sekha_params *params,
                                                            sekha_stored_messages **out,
                                                            sekha_error **err);

/** Asks the controller to rebuild its embeddings: POST /api/v1/rebuild-embeddings (202,
 * empty). The real controller accepts and does nothing yet; the devserver recomputes its
 * embeddings. The final callback comes later from the loop.
 * @param client the client.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_rebuild_embeddings(sekha_client *client,
                                                             sekha_done_cb cb, void *userdata);

/** Sync form of sekha_controller_rebuild_embeddings().
 * @param client the client.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_rebuild_embeddings_sync(sekha_client *client,
                                                              sekha_error **err);

/** Assembles the context that best serves a query: POST /api/v1/context/assemble. The
 * controller recalls messages by similarity, pinned conversations and recent messages of
 * preferred labels, ranks them by importance, recency and label match, and packs them into
 * 85 % of the budget at chars/4 tokens.
 *
 * Parameters read: ::SEKHA_PARAM_PREFERRED_LABELS (unset: none, sent as []),
 * ::SEKHA_PARAM_BUDGET (1..4294967295 tokens, default 4000; the route requires one, so the
 * default is sent), ::SEKHA_PARAM_EXCLUDED_FOLDERS (folder prefixes to leave out; unset:
 * none, sent as []).
 *
 * The controller answers with a bare JSON array; an object with "messages" (other
 * versions of the stack) is accepted too. The final callback comes later from the loop.
 * @param client the client.
 * @param query what the context is for, non-blank UTF-8.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the messages chosen.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_assemble_context(sekha_client *client,
                                                           const char *query,
                                                           const sekha_params *params,
                                                           sekha_stored_messages_cb cb,
                                                           void *userdata);

/** Sync form of sekha_controller_assemble_context().
 * @param client the client.
 * @param query what the context is for.
 * @param params the optional parameters, or NULL.
 * @param out receives the messages (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_assemble_context_sync(sekha_client *client,
                                                            const char *query,
                                                            const sekha_params *params,
                                                            sekha_stored_messages **out,
                                                            sekha_error **err);

/** Summarises a conversation: POST /api/v1/summarize.
 *
 * Parameters read: ::SEKHA_PARAM_LEVEL ("daily", "weekly" or "monthly", default "daily";
 * anything else is rejected before sending).
 *
 * An unknown id ends with ::SEKHA_E_NOT_FOUND. The final callback comes later from the
 * loop.
 * @param client the client.
 * @param conversation_id the conversation's UUID.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the summary.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_summarize(sekha_client *client,
                                                    const char *conversation_id,
                                                    const sekha_params *params,
                                                    sekha_summary_cb cb, void *userdata);

/** Sync form of sekha_controller_summarize().
 * @param client the client.
 * @param conversation_id the conversation's UUID.
 * @param params the optional parameters, or NULL.
 * @param out receives the summary (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_summarize_sync(sekha_client *client,
                                                     const char *conversation_id,
                                                     const sekha_params *params,
                                                     sekha_summary **out, sekha_error **err);

/** Lists pruning candidates without changing anything: POST /api/v1/prune/dry-run. The
 * candidates are the active conversations not updated for the threshold, each with a
 * recommendation "archive" or "keep".
 *
 * Parameters read: ::SEKHA_PARAM_THRESHOLD_DAYS (>= 0, default 90, the SDKs' value; the
 * route requires one, so the default is sent).
 *
 * The final callback comes later from the loop.
 * @param client the client.
 * @param params the optional parameters, or NULL.
 * @param cb the final callback, given the suggestions.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_prune_dry_run(sekha_client *client,
                                                        const sekha_params *params,
                                                        sekha_prune_suggestions_cb cb,
                                                        void *userdata);

/** Sync form of sekha_controller_prune_dry_run().
 * @param client the client.
 * @param params the optional parameters, or NULL.
 * @param out receives the suggestions (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_prune_dry_run_sync(sekha_client *client,
                                                         const sekha_params *params,
                                                         sekha_prune_suggestions **out,
                                                         sekha_error **err);

/** Archives conversations in order: POST /api/v1/prune/execute. The controller stops at
 * the first failure (500). The final callback comes later from the loop.
 * @param client the client.
 * @param conversation_ids a non-empty NULL-terminated list of UUIDs.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_prune_execute(sekha_client *client,
                                                        const char *const *conversation_ids,
                                                        sekha_done_cb cb, void *userdata);

/** Sync form of sekha_controller_prune_execute().
 * @param client the client.
 * @param conversation_ids a non-empty NULL-terminated list of UUIDs.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_prune_execute_sync(sekha_client *client,
                                                         const char *const *conversation_ids,
                                                         sekha_error **err);

/** Asks for label ideas for a conversation: POST /api/v1/labels/suggest. An unknown id is
 * the controller's 500 "Entity not found", reported as ::SEKHA_E_NOT_FOUND. The final
 * callback comes later from the loop.
 * @param client the client.
 * @param conversation_id the conversation's UUID.
 * @param cb the final callback, given the suggestions.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_suggest_labels(sekha_client *client,
                                                         const char *conversation_id,
                                                         sekha_label_suggestions_cb cb,
                                                         void *userdata);

/** Sync form of sekha_controller_suggest_labels().
 * @param client the client.
 * @param conversation_id the conversation's UUID.
 * @param out receives the suggestions (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_suggest_labels_sync(sekha_client *client,
                                                          const char *conversation_id,
                                                          sekha_label_suggestions **out,
                                                          sekha_error **err);

/** Probes the controller: GET /health, never retried (a probe reports the state at the
 * time of asking; a 503 is an answer). An unhealthy controller answers 503 with an empty
 * body: ::SEKHA_E_SERVER. The final callback comes later from the loop.
 * @param client the client.
 * @param cb the final callback, given the report.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_health(sekha_client *client, sekha_health_cb cb,
                                                 void *userdata);

/** Sync form of sekha_controller_health().
 * @param client the client.
 * @param out receives the report (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_health_sync(sekha_client *client, sekha_health **out,
                                                  sekha_error **err);

/** Reads the controller's metrics: GET /metrics, Prometheus text (or, from some versions,
 * a JSON placeholder). The final callback comes later from the loop.
 * @param client the client.
 * @param cb the final callback, given the metrics.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL. */
SEKHA_API sekha_request *sekha_controller_metrics(sekha_client *client, sekha_metrics_cb cb,
                                                  void *userdata);

/** Sync form of sekha_controller_metrics().
 * @param client the client.
 * @param out receives the metrics (yours to free), may be NULL.
 * @param err receives the error on failure (yours to free), may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_controller_metrics_sync(sekha_client *client, sekha_metrics **out,
                                                   sekha_error **err);

#ifdef __cplusplus
}
#endif

#endif
