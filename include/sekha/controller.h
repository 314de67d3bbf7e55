/* libsekha: the controller sub-client, the memory store of a Sekha deployment.
 *
 * One call per REST route of sekha-controller (conversations, semantic and full-text search,
 * context assembly, summaries, pruning, label suggestions, health, metrics), each in an async
 * form (callback + userdata last, returns a request handle, exactly one final callback) and a
 * _sync form (returns a sekha_code, hands the result over to the caller).
 *
 * Arguments are checked before anything is sent: ids must be UUIDs, strings non-NULL and
 * UTF-8 (JSON has no other encoding; the message names the field and the byte, as in
 * "messages[0].content is not valid UTF-8 (at byte 4)"), JSON text one valid JSON value,
 * numbers in range. A rejected call still ends through its callback with SEKHA_E_INVALID_ARG (layer
 * "local"), and nothing reaches the network. Optional arguments use 0 / NULL for "the
 * controller's default" as documented per function. String lists are NULL-terminated arrays.
 *
 * With a NULL client an async call returns NULL and calls nothing back; a sync call returns
 * SEKHA_E_INVALID_ARG.
 *
 * Results are opaque. A result passed to a callback is lent: valid until the callback
 * returns, unless you take a reference with its _retain() (then release it with _free()).
 * Results of _sync calls belong to the caller, who frees them with _free(). References are
 * counted without locks: retain and free one result from one thread at a time. Items reached
 * through _at() live as long as their list. Every result has _json(): the body as received,
 * for fields without an accessor. Timestamps are returned as the controller sends them:
 * naive UTC without a zone ("2026-01-16T10:20:30.123456"); sekha_timestamp_to_epoch()
 * converts them.
 *
 * Retries: reads (GET, and the POST routes that only compute: query, full-text search,
 * context, summaries, pruning dry runs, label suggestions) and idempotent writes (PUT,
 * DELETE, prune execution, embedding rebuild) are retried by the core's policy. Creating a
 * conversation is not re-sent once the server may have processed it: a connection lost
 * after sending ends with SEKHA_E_OUTCOME_UNKNOWN. Health probes are never retried: a probe
 * reports the state at the time of asking, and a 503 is an answer.
 */
#ifndef SEKHA_CONTROLLER_H
#define SEKHA_CONTROLLER_H

#include "client.h"
#include "health.h"
#include "messages.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ---- */

/* A conversation as created or fetched (ConversationResponse). */
typedef struct sekha_conversation sekha_conversation;
/* A page of results of list_conversations or query (QueryResponse). */
typedef struct sekha_search_results sekha_search_results;
/* One item of sekha_search_results (SearchResultDto); lent by its list. */
typedef struct sekha_search_result sekha_search_result;
/* Messages from full-text search or context assembly. */
typedef struct sekha_message_list sekha_message_list;
/* One stored message; lent by its list. */
typedef struct sekha_message sekha_message;
/* The answer of count_conversations. */
typedef struct sekha_count_result sekha_count_result;
/* A generated summary. */
typedef struct sekha_summary sekha_summary;
/* The answer of prune_dry_run. */
typedef struct sekha_prune_suggestions sekha_prune_suggestions;
/* One pruning suggestion; lent by its list. */
typedef struct sekha_prune_suggestion sekha_prune_suggestion;
/* The answer of suggest_labels. */
typedef struct sekha_label_suggestions sekha_label_suggestions;
/* One label suggestion; lent by its list. */
typedef struct sekha_label_suggestion sekha_label_suggestion;
/* The controller's /metrics answer. */
typedef struct sekha_metrics sekha_metrics;

/* ---- callbacks (results and errors are lent until the callback returns) ---- */

typedef void (*sekha_conversation_cb)(sekha_request *req, const sekha_error *err,
                                      const sekha_conversation *conv, void *userdata);
typedef void (*sekha_search_results_cb)(sekha_request *req, const sekha_error *err,
                                        const sekha_search_results *results, void *userdata);
typedef void (*sekha_message_list_cb)(sekha_request *req, const sekha_error *err,
                                      const sekha_message_list *messages, void *userdata);
typedef void (*sekha_count_cb)(sekha_request *req, const sekha_error *err,
                               const sekha_count_result *count, void *userdata);
typedef void (*sekha_summary_cb)(sekha_request *req, const sekha_error *err,
                                 const sekha_summary *summary, void *userdata);
typedef void (*sekha_prune_suggestions_cb)(sekha_request *req, const sekha_error *err,
                                           const sekha_prune_suggestions *suggestions,
                                           void *userdata);
typedef void (*sekha_label_suggestions_cb)(sekha_request *req, const sekha_error *err,
                                           const sekha_label_suggestions *suggestions,
                                           void *userdata);
typedef void (*sekha_metrics_cb)(sekha_request *req, const sekha_error *err,
                                 const sekha_metrics *metrics, void *userdata);

/* "No filter" for the pinned and archived arguments of list_conversations. */
#define SEKHA_FILTER_ANY (-1)

/* ---- messages to store ---- */

/* An ordered list of messages for create_conversation. Each message has a role (user,
 * assistant, system or tool) and either string content or a list of content parts (text,
 * image_url). The first failed add is remembered, and create_conversation then reports it,
 * so adds may be chained without checking each one. */
typedef struct sekha_message_builder sekha_message_builder;

/* A new, empty builder; NULL on no memory. */
SEKHA_API sekha_message_builder *sekha_message_builder_new(void);

/* Frees a builder. NULL is a no-op. */
SEKHA_API void sekha_message_builder_free(sekha_message_builder *b);

/* Appends a message with string content (copied; may be empty). SEKHA_E_INVALID_ARG for an
 * invalid role or NULL content. */
SEKHA_API sekha_code sekha_message_builder_add(sekha_message_builder *b, const char *role,
                                               const char *content);

/* Appends a message whose content is a list of parts, added next with
 * sekha_message_builder_text_part() / _image_part(). It must get at least one part. */
SEKHA_API sekha_code sekha_message_builder_add_parts(sekha_message_builder *b, const char *role);

/* Adds {"type":"text","text":text} to the last message started with _add_parts(). */
SEKHA_API sekha_code sekha_message_builder_text_part(sekha_message_builder *b, const char *text);

/* Adds {"type":"image_url","image_url":{"url":url,"detail":detail}} to the last message
 * started with _add_parts(). url must be non-empty; detail is NULL (omitted), "low", "high"
 * or "auto". */
SEKHA_API sekha_code sekha_message_builder_image_part(sekha_message_builder *b, const char *url,
                                                      const char *detail);

/* Number of messages added so far. */
SEKHA_API size_t sekha_message_builder_count(const sekha_message_builder *b);

/* Why the first failed add failed, "" when none did. */
SEKHA_API const char *sekha_message_builder_error(const sekha_message_builder *b);

/* ---- content helpers (the SDKs' type guards) ---- */

/* Message content as JSON: a string, or an array of parts. */
typedef struct sekha_content sekha_content;

/* 1 when role is one of user, assistant, system, tool (case-sensitive), else 0. */
SEKHA_API int sekha_is_valid_role(const char *role);

/* Parses content given as JSON text. NULL when json is NULL, not valid JSON, or on no
 * memory. Any JSON value is accepted; only strings and part arrays carry text. */
SEKHA_API sekha_content *sekha_content_parse(const char *json);

/* The text: a string's value, or the "text" of every text part joined with one space;
 * "" for any other value. Never NULL; valid while the content is. */
SEKHA_API const char *sekha_content_text(const sekha_content *content);

/* Number of image_url parts that have a URL (0 for string content). */
SEKHA_API size_t sekha_content_image_count(const sekha_content *content);

/* The URL of image i (NULL when out of range). */
SEKHA_API const char *sekha_content_image_url(const sekha_content *content,
                                                      size_t i);

/* The detail of image i ("low", "high", "auto" or whatever was sent), NULL when absent. */
SEKHA_API const char *sekha_content_image_detail(const sekha_content *content,
                                                         size_t i);

/* Frees parsed content. NULL is a no-op. */
SEKHA_API void sekha_content_free(sekha_content *content);

/* Converts a controller timestamp to seconds since the epoch. Accepts
 * YYYY-MM-DD[T or space]HH:MM:SS with an optional fraction (up to 9 digits) and an optional
 * zone (Z, +HH:MM, -HH:MM, +HHMM); without a zone the time is taken as UTC, which is what
 * the controller means. Returns SEKHA_OK, or SEKHA_E_INVALID_ARG for anything else. */
SEKHA_API sekha_code sekha_timestamp_to_epoch(const char *timestamp, double *epoch_seconds);

/* ---- conversations ---- */

/* POST /api/v1/conversations (201): stores a conversation. label and folder are required
 * (may be empty strings); messages must hold at least one message and no failed add.
 * importance 0 leaves it out; 1..10 is sent as importance_score (the current controller
 * ignores it on this route and stores 5; pinning sets 10). Never re-sent once the server
 * may have processed it (see the header comment). */
SEKHA_API sekha_request *sekha_controller_create_conversation(
    sekha_client *client, const char *label, const char *folder,
    const sekha_message_builder *messages, int importance, sekha_conversation_cb cb,
    void *userdata);

/* Sync form of sekha_controller_create_conversation. */
SEKHA_API sekha_code sekha_controller_create_conversation_sync(
    sekha_client *client, const char *label, const char *folder,
    const sekha_message_builder *messages, int importance, sekha_conversation **out,
    sekha_error **err);

/* GET /api/v1/conversations/{id}. An unknown id ends with SEKHA_E_NOT_FOUND (HTTP 404). */
SEKHA_API sekha_request *sekha_controller_get_conversation(sekha_client *client, const char *id,
                                                           sekha_conversation_cb cb,
                                                           void *userdata);

/* Sync form of sekha_controller_get_conversation. */
SEKHA_API sekha_code sekha_controller_get_conversation_sync(sekha_client *client, const char *id,
                                                            sekha_conversation **out,
                                                            sekha_error **err);

/* GET /api/v1/conversations: a page of conversations, newest update first, each dressed as
 * a search result (conversation_id, content = label, metadata {folder, status,
 * importance_score}). label / folder: NULL = no filter. pinned / archived: 1 or 0 to filter,
 * SEKHA_FILTER_ANY for none. page: 0 = 1 (the default), else >= 1; page_size: 0 = 50,
 * else >= 1. Note: the real controller's filters match nothing (a known bug); the
 * devserver filters as intended. */
SEKHA_API sekha_request *sekha_controller_list_conversations(
    sekha_client *client, const char *label, const char *folder, int pinned, int archived,
    long page, long page_size, sekha_search_results_cb cb, void *userdata);

/* Sync form of sekha_controller_list_conversations. */
SEKHA_API sekha_code sekha_controller_list_conversations_sync(
    sekha_client *client, const char *label, const char *folder, int pinned, int archived,
    long page, long page_size, sekha_search_results **out, sekha_error **err);

/* PUT /api/v1/conversations/{id}/label: sets both label and folder (both required). The
 * controller reports any failure, unknown id included, as 404. */
SEKHA_API sekha_request *sekha_controller_update_label(sekha_client *client, const char *id,
                                                       const char *label, const char *folder,
                                                       sekha_done_cb cb,
                                                       void *userdata);

/* Sync form of sekha_controller_update_label. */
SEKHA_API sekha_code sekha_controller_update_label_sync(sekha_client *client, const char *id,
                                                        const char *label, const char *folder,
                                                        sekha_error **err);

/* PUT /api/v1/conversations/{id}/folder: moves a conversation to folder. */
SEKHA_API sekha_request *sekha_controller_update_folder(sekha_client *client, const char *id,
                                                        const char *folder,
                                                        sekha_done_cb cb,
                                                        void *userdata);

/* Sync form of sekha_controller_update_folder. */
SEKHA_API sekha_code sekha_controller_update_folder_sync(sekha_client *client, const char *id,
                                                         const char *folder, sekha_error **err);

/* PUT /api/v1/conversations/{id}/pin: sets importance 10. The controller reports an
 * unknown id as a 500 "Entity not found: ...", not as 404: libsekha reports it as
 * SEKHA_E_NOT_FOUND (http status 500) without retrying, as for every controller route. */
SEKHA_API sekha_request *sekha_controller_pin_conversation(sekha_client *client, const char *id,
                                                           sekha_done_cb cb,
                                                           void *userdata);

/* Sync form of sekha_controller_pin_conversation. */
SEKHA_API sekha_code sekha_controller_pin_conversation_sync(sekha_client *client, const char *id,
                                                            sekha_error **err);

/* PUT /api/v1/conversations/{id}/archive: sets status "archived" (unknown id: as for pin). */
SEKHA_API sekha_request *sekha_controller_archive_conversation(sekha_client *client,
                                                               const char *id,
                                                               sekha_done_cb cb,
                                                               void *userdata);

/* Sync form of sekha_controller_archive_conversation. */
SEKHA_API sekha_code sekha_controller_archive_conversation_sync(sekha_client *client,
                                                                const char *id,
                                                                sekha_error **err);

/* DELETE /api/v1/conversations/{id}. Unknown id: SEKHA_E_NOT_FOUND. A delete retried after
 * a lost connection can report SEKHA_E_NOT_FOUND although its first attempt succeeded. */
SEKHA_API sekha_request *sekha_controller_delete_conversation(sekha_client *client,
                                                              const char *id,
                                                              sekha_done_cb cb,
                                                              void *userdata);

/* Sync form of sekha_controller_delete_conversation. */
SEKHA_API sekha_code sekha_controller_delete_conversation_sync(sekha_client *client,
                                                               const char *id,
                                                               sekha_error **err);

/* GET /api/v1/conversations/count: all conversations, or those with label, or those in
 * folder (NULL = no filter; giving both is SEKHA_E_INVALID_ARG, as the controller cannot
 * count that). A 200 answer carrying an "error" field ends with SEKHA_E_SERVICE and that
 * text as the service message. */
SEKHA_API sekha_request *sekha_controller_count_conversations(sekha_client *client,
                                                              const char *label,
                                                              const char *folder,
                                                              sekha_count_cb cb, void *userdata);

/* Sync form of sekha_controller_count_conversations. */
SEKHA_API sekha_code sekha_controller_count_conversations_sync(sekha_client *client,
                                                               const char *label,
                                                               const char *folder,
                                                               sekha_count_result **out,
                                                               sekha_error **err);

/* ---- search and memory ---- */

/* POST /api/v1/query: semantic search over stored messages, best first. query must be
 * non-blank. limit: 0 = 10 (the default), else 1..4294967295. offset: 0 = none (the
 * controller ignores it except for the page number it reports). filters_json: NULL = none,
 * else a JSON value passed unchanged as the vector store's "where" clause (metadata keys:
 * conversation_id, message_id, content_preview, role, ...); it must be valid JSON. */
SEKHA_API sekha_request *sekha_controller_query(sekha_client *client, const char *query,
                                                long limit, long offset,
                                                const char *filters_json,
                                                sekha_search_results_cb cb, void *userdata);

/* Sync form of sekha_controller_query. */
SEKHA_API sekha_code sekha_controller_query_sync(sekha_client *client, const char *query,
                                                 long limit, long offset,
                                                 const char *filters_json,
                                                 sekha_search_results **out, sekha_error **err);

/* POST /api/v1/search/fts: full-text search (SQLite FTS5 MATCH syntax) over message
 * content, best rank first. query must be non-blank; limit: 0 = 10, else 1..4294967295.
 * A query the FTS engine cannot parse ends with SEKHA_E_SERVER (the controller's 500). */
SEKHA_API sekha_request *sekha_controller_full_text_search(sekha_client *client,
                                                           const char *query, long limit,
                                                           sekha_message_list_cb cb,
                                                           void *userdata);

/* Sync form of sekha_controller_full_text_search. */
SEKHA_API sekha_code sekha_controller_full_text_search_sync(sekha_client *client,
                                                            const char *query, long limit,
                                                            sekha_message_list **out,
                                                            sekha_error **err);

/* POST /api/v1/rebuild-embeddings (202, empty). The real controller accepts and does
 * nothing yet; the devserver recomputes its embeddings. */
SEKHA_API sekha_request *sekha_controller_rebuild_embeddings(sekha_client *client,
                                                             sekha_done_cb cb,
                                                             void *userdata);

/* Sync form of sekha_controller_rebuild_embeddings. */
SEKHA_API sekha_code sekha_controller_rebuild_embeddings_sync(sekha_client *client,
                                                              sekha_error **err);

/* POST /api/v1/context/assemble: the messages that best serve query (recalled by
 * similarity, pinned conversations and recent messages of preferred labels; ranked by
 * importance, recency and label match), packed into 85 % of context_budget tokens at
 * chars/4. query must be non-blank; preferred_labels and excluded_folders (folder
 * prefixes) are NULL-terminated lists or NULL for none; context_budget: 0 = 4000, else
 * 1..4294967295. The controller answers with a bare JSON array; an object with "messages"
 * (other versions of the stack) is accepted too. */
SEKHA_API sekha_request *sekha_controller_assemble_context(
    sekha_client *client, const char *query, const char *const *preferred_labels,
    long context_budget, const char *const *excluded_folders, sekha_message_list_cb cb,
    void *userdata);

/* Sync form of sekha_controller_assemble_context. */
SEKHA_API sekha_code sekha_controller_assemble_context_sync(
    sekha_client *client, const char *query, const char *const *preferred_labels,
    long context_budget, const char *const *excluded_folders, sekha_message_list **out,
    sekha_error **err);

/* POST /api/v1/summarize: level NULL = "daily", else "daily", "weekly" or "monthly"
 * (anything else is rejected before sending). Unknown id: SEKHA_E_NOT_FOUND. */
SEKHA_API sekha_request *sekha_controller_summarize(sekha_client *client,
                                                    const char *conversation_id,
                                                    const char *level, sekha_summary_cb cb,
                                                    void *userdata);

/* Sync form of sekha_controller_summarize. */
SEKHA_API sekha_code sekha_controller_summarize_sync(sekha_client *client,
                                                     const char *conversation_id,
                                                     const char *level, sekha_summary **out,
                                                     sekha_error **err);

/* POST /api/v1/prune/dry-run: active conversations not updated for threshold_days
 * (>= 0; the SDKs use 90), with a recommendation "archive" or "keep". Changes nothing. */
SEKHA_API sekha_request *sekha_controller_prune_dry_run(sekha_client *client,
                                                        long threshold_days,
                                                        sekha_prune_suggestions_cb cb,
                                                        void *userdata);

/* Sync form of sekha_controller_prune_dry_run. */
SEKHA_API sekha_code sekha_controller_prune_dry_run_sync(sekha_client *client,
                                                         long threshold_days,
                                                         sekha_prune_suggestions **out,
                                                         sekha_error **err);

/* POST /api/v1/prune/execute: archives the conversations (a non-empty NULL-terminated list
 * of UUIDs) in order; the controller stops at the first failure (500). */
SEKHA_API sekha_request *sekha_controller_prune_execute(sekha_client *client,
                                                        const char *const *conversation_ids,
                                                        sekha_done_cb cb,
                                                        void *userdata);

/* Sync form of sekha_controller_prune_execute. */
SEKHA_API sekha_code sekha_controller_prune_execute_sync(sekha_client *client,
                                                         const char *const *conversation_ids,
                                                         sekha_error **err);

/* POST /api/v1/labels/suggest: label ideas for a conversation (an unknown id is the
 * controller's 500 "Entity not found", reported as SEKHA_E_NOT_FOUND). */
SEKHA_API sekha_request *sekha_controller_suggest_labels(sekha_client *client,
                                                         const char *conversation_id,
                                                         sekha_label_suggestions_cb cb,
                                                         void *userdata);

/* Sync form of sekha_controller_suggest_labels. */
SEKHA_API sekha_code sekha_controller_suggest_labels_sync(sekha_client *client,
                                                          const char *conversation_id,
                                                          sekha_label_suggestions **out,
                                                          sekha_error **err);

/* GET /health, never retried (a probe reports the state at the time of asking; a 503 is
 * an answer). An unhealthy controller answers 503 with an empty body: SEKHA_E_SERVER. */
SEKHA_API sekha_request *sekha_controller_health(sekha_client *client, sekha_health_cb cb,
                                                 void *userdata);

/* Sync form of sekha_controller_health. */
SEKHA_API sekha_code sekha_controller_health_sync(sekha_client *client, sekha_health **out,
                                                  sekha_error **err);

/* GET /metrics: Prometheus text (or, from some versions, a JSON placeholder). */
SEKHA_API sekha_request *sekha_controller_metrics(sekha_client *client, sekha_metrics_cb cb,
                                                  void *userdata);

/* Sync form of sekha_controller_metrics. */
SEKHA_API sekha_code sekha_controller_metrics_sync(sekha_client *client, sekha_metrics **out,
                                                   sekha_error **err);

/* ---- sekha_conversation ---- */

/* The conversation's UUID. */
SEKHA_API const char *sekha_conversation_id(const sekha_conversation *conv);
/* Its label. */
SEKHA_API const char *sekha_conversation_label(const sekha_conversation *conv);
/* Its folder. */
SEKHA_API const char *sekha_conversation_folder(const sekha_conversation *conv);
/* Its status: "active" or "archived". */
SEKHA_API const char *sekha_conversation_status(const sekha_conversation *conv);
/* Number of messages (the real controller may report 0: a known bug). */
SEKHA_API long long sekha_conversation_message_count(const sekha_conversation *conv);
/* Creation time, naive UTC as sent. */
SEKHA_API const char *sekha_conversation_created_at(const sekha_conversation *conv);
/* The body as received. */
SEKHA_API const char *sekha_conversation_json(const sekha_conversation *conv);
/* Takes a reference (for a result lent to a callback); release it with _free(). */
SEKHA_API sekha_conversation *sekha_conversation_retain(const sekha_conversation *conv);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_conversation_free(sekha_conversation *conv);

/* ---- sekha_search_results / sekha_search_result ---- */

/* Number of results in this page. */
SEKHA_API size_t sekha_search_results_count(const sekha_search_results *r);
/* Result i, NULL when out of range; lent by the list. */
SEKHA_API const sekha_search_result *sekha_search_results_at(const sekha_search_results *r,
                                                             size_t i);
/* "total": for list, every match; for query, the number returned (controller quirk). */
SEKHA_API long long sekha_search_results_total(const sekha_search_results *r);
/* "page" as reported (query reports ceil(offset/limit), so 0 for the first page). */
SEKHA_API long long sekha_search_results_page(const sekha_search_results *r);
/* "page_size" as reported. */
SEKHA_API long long sekha_search_results_page_size(const sekha_search_results *r);
/* The body as received. */
SEKHA_API const char *sekha_search_results_json(const sekha_search_results *r);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_search_results *sekha_search_results_retain(const sekha_search_results *r);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_search_results_free(sekha_search_results *r);

/* The conversation the result belongs to. */
SEKHA_API const char *sekha_search_result_conversation_id(const sekha_search_result *r);
/* The message (the nil UUID for list_conversations items). */
SEKHA_API const char *sekha_search_result_message_id(const sekha_search_result *r);
/* Similarity score (1.0 for list items). */
SEKHA_API double sekha_search_result_score(const sekha_search_result *r);
/* The message text (the label for list items). */
SEKHA_API const char *sekha_search_result_content(const sekha_search_result *r);
/* The conversation's label. */
SEKHA_API const char *sekha_search_result_label(const sekha_search_result *r);
/* The conversation's folder. */
SEKHA_API const char *sekha_search_result_folder(const sekha_search_result *r);
/* Message time (list items: the conversation's last update), naive UTC. */
SEKHA_API const char *sekha_search_result_timestamp(const sekha_search_result *r);
/* "metadata" as compact JSON text ("null" when absent). */
SEKHA_API const char *sekha_search_result_metadata_json(const sekha_search_result *r);

/* ---- sekha_message_list / sekha_message ---- */

/* Number of messages. */
SEKHA_API size_t sekha_message_list_count(const sekha_message_list *l);
/* Message i, NULL when out of range; lent by the list. */
SEKHA_API const sekha_message *sekha_message_list_at(const sekha_message_list *l, size_t i);
/* Full-text search's "total" (the number returned); the count for context assembly. */
SEKHA_API long long sekha_message_list_total(const sekha_message_list *l);
/* Sum over messages of strlen(content) / 4: the controller's own token estimate. */
SEKHA_API size_t sekha_message_list_token_estimate(const sekha_message_list *l);
/* The body as received. */
SEKHA_API const char *sekha_message_list_json(const sekha_message_list *l);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_message_list *sekha_message_list_retain(const sekha_message_list *l);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_message_list_free(sekha_message_list *l);

/* The message's UUID. */
SEKHA_API const char *sekha_message_id(const sekha_message *m);
/* The conversation it belongs to. */
SEKHA_API const char *sekha_message_conversation_id(const sekha_message *m);
/* user, assistant, system or tool (as stored). */
SEKHA_API const char *sekha_message_role(const sekha_message *m);
/* Its text (content parts, if a server sends them, are flattened as by
 * sekha_content_text). */
SEKHA_API const char *sekha_message_content(const sekha_message *m);
/* Message time, naive UTC. */
SEKHA_API const char *sekha_message_timestamp(const sekha_message *m);
/* embedding_id, NULL when null or absent. */
SEKHA_API const char *sekha_message_embedding_id(const sekha_message *m);
/* "metadata" as compact JSON text ("null" when absent); context assembly adds
 * {"citation":{"label","folder","timestamp"}}. */
SEKHA_API const char *sekha_message_metadata_json(const sekha_message *m);

/* ---- sekha_count_result ---- */

/* The count. */
SEKHA_API long long sekha_count_result_value(const sekha_count_result *r);
/* The label filter echoed back, NULL when none. */
SEKHA_API const char *sekha_count_result_label(const sekha_count_result *r);
/* The folder filter echoed back, NULL when none. */
SEKHA_API const char *sekha_count_result_folder(const sekha_count_result *r);
/* The body as received. */
SEKHA_API const char *sekha_count_result_json(const sekha_count_result *r);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_count_result *sekha_count_result_retain(const sekha_count_result *r);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_count_result_free(sekha_count_result *r);

/* ---- sekha_summary ---- */

/* The summarised conversation. */
SEKHA_API const char *sekha_summary_conversation_id(const sekha_summary *s);
/* daily, weekly or monthly. */
SEKHA_API const char *sekha_summary_level(const sekha_summary *s);
/* The summary text. */
SEKHA_API const char *sekha_summary_text(const sekha_summary *s);
/* Generation time, naive UTC. */
SEKHA_API const char *sekha_summary_generated_at(const sekha_summary *s);
/* The model that wrote it, NULL when the server does not say. */
SEKHA_API const char *sekha_summary_model(const sekha_summary *s);
/* The body as received. */
SEKHA_API const char *sekha_summary_json(const sekha_summary *s);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_summary *sekha_summary_retain(const sekha_summary *s);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_summary_free(sekha_summary *s);

/* ---- sekha_prune_suggestions / sekha_prune_suggestion ---- */

/* Number of suggestions. */
SEKHA_API size_t sekha_prune_suggestions_count(const sekha_prune_suggestions *p);
/* Suggestion i, NULL when out of range; lent by the list. */
SEKHA_API const sekha_prune_suggestion *sekha_prune_suggestions_at(
    const sekha_prune_suggestions *p, size_t i);
/* "total" as reported. */
SEKHA_API long long sekha_prune_suggestions_total(const sekha_prune_suggestions *p);
/* The body as received. */
SEKHA_API const char *sekha_prune_suggestions_json(const sekha_prune_suggestions *p);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_prune_suggestions *sekha_prune_suggestions_retain(
    const sekha_prune_suggestions *p);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_prune_suggestions_free(sekha_prune_suggestions *p);

/* The conversation concerned. */
SEKHA_API const char *sekha_prune_suggestion_conversation_id(const sekha_prune_suggestion *s);
/* Its label. */
SEKHA_API const char *sekha_prune_suggestion_label(const sekha_prune_suggestion *s);
/* Its last update, naive UTC. */
SEKHA_API const char *sekha_prune_suggestion_last_accessed(const sekha_prune_suggestion *s);
/* Its message count. */
SEKHA_API long long sekha_prune_suggestion_message_count(const sekha_prune_suggestion *s);
/* Estimated tokens it holds. */
SEKHA_API long long sekha_prune_suggestion_token_estimate(const sekha_prune_suggestion *s);
/* Its importance score. */
SEKHA_API double sekha_prune_suggestion_importance(const sekha_prune_suggestion *s);
/* A short preview of its content ("" when none). */
SEKHA_API const char *sekha_prune_suggestion_preview(const sekha_prune_suggestion *s);
/* "archive" or "keep" (or "review", from other versions). */
SEKHA_API const char *sekha_prune_suggestion_recommendation(const sekha_prune_suggestion *s);

/* ---- sekha_label_suggestions / sekha_label_suggestion ---- */

/* The conversation the labels are for. */
SEKHA_API const char *sekha_label_suggestions_conversation_id(const sekha_label_suggestions *l);
/* Number of suggestions. */
SEKHA_API size_t sekha_label_suggestions_count(const sekha_label_suggestions *l);
/* Suggestion i, NULL when out of range; lent by the list. */
SEKHA_API const sekha_label_suggestion *sekha_label_suggestions_at(
    const sekha_label_suggestions *l, size_t i);
/* The body as received. */
SEKHA_API const char *sekha_label_suggestions_json(const sekha_label_suggestions *l);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_label_suggestions *sekha_label_suggestions_retain(
    const sekha_label_suggestions *l);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_label_suggestions_free(sekha_label_suggestions *l);

/* The suggested label. */
SEKHA_API const char *sekha_label_suggestion_label(const sekha_label_suggestion *s);
/* Confidence 0..1 (the controller gives 0.9 for existing labels, 0.6 for new ones). */
SEKHA_API double sekha_label_suggestion_confidence(const sekha_label_suggestion *s);
/* 1 when the label is already in use. */
SEKHA_API int sekha_label_suggestion_is_existing(const sekha_label_suggestion *s);
/* Why it was suggested ("" when the server gives no reason). */
SEKHA_API const char *sekha_label_suggestion_reason(const sekha_label_suggestion *s);

/* ---- sekha_metrics ---- */

/* The body as received (Prometheus text exposition, or JSON from some versions). */
SEKHA_API const char *sekha_metrics_text(const sekha_metrics *m);
/* Finds the first sample of metric `name` (any labels) in Prometheus text and stores its
 * value. Returns 1 when found, 0 otherwise. */
SEKHA_API int sekha_metrics_value(const sekha_metrics *m, const char *name, double *value);
/* Takes a reference; release it with _free(). */
SEKHA_API sekha_metrics *sekha_metrics_retain(const sekha_metrics *m);
/* Releases a sync result or a reference. NULL is a no-op. */
SEKHA_API void sekha_metrics_free(sekha_metrics *m);

#ifdef __cplusplus
}
#endif

#endif
