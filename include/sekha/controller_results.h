/** @file controller_results.h
 * @brief The results of the controller's calls and their accessors.
 *
 * Every result is opaque and immutable once handed out, so its accessors are safe from
 * several threads at once. Ownership is the library's one rule: a result given to a
 * callback is lent until the callback returns; its `_copy()` gives one you own, on any
 * thread (the copy is the same object with an atomic reference count, so it is cheap);
 * its `_free()` releases one you own (a copy, or the result of a `_sync` call), on any
 * thread. Items reached through `_at()` live as long as their list, and strings returned
 * by accessors as long as the object they came from.
 *
 * Every accessor accepts NULL and then returns NULL or 0, so a caller that skipped an
 * error check reads defaults instead of crashing.
 *
 * Results are read tolerantly: a call fails (::SEKHA_E_BAD_RESPONSE naming the field)
 * only when what a result cannot exist without is missing (a conversation's or a
 * message's id, a hit's conversation_id, content and score, a summary's text, the list
 * itself) or when any field has the wrong type. Any other field the server left out or
 * sent as null reads NULL (texts) or -1 (numbers and flags). Ids are opaque strings: the
 * controller sends UUIDs, but other servers and test mocks ("123") are read as sent. Every result has `_json()` (or, for
 * metrics, sekha_metrics_text()): the body as received, for fields without an accessor.
 * Timestamps are returned as the controller sends them: naive UTC without a zone
 * ("2026-01-16T10:20:30.123456"); sekha_timestamp_to_epoch() converts them.
 *
 * Messages read back from the controller are ::sekha_stored_messages of
 * ::sekha_stored_message, with ids, timestamps and metadata; the messages you send are a
 * ::sekha_messages (messages.h).
 */
#ifndef SEKHA_CONTROLLER_RESULTS_H
#define SEKHA_CONTROLLER_RESULTS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A conversation as created or fetched (the controller's ConversationResponse). */
typedef struct sekha_conversation sekha_conversation;
/** A page of results of sekha_controller_list_conversations() or sekha_controller_query()
 * (the controller's QueryResponse). */
typedef struct sekha_search_results sekha_search_results;
/** One item of a ::sekha_search_results (SearchResultDto); lent by its list. */
typedef struct sekha_search_result sekha_search_result;
/** Messages read back by full-text search or context assembly. */
typedef struct sekha_stored_messages sekha_stored_messages;
/** One stored message; lent by its ::sekha_stored_messages. */
typedef struct sekha_stored_message sekha_stored_message;
/** The answer of sekha_controller_count_conversations(). */
typedef struct sekha_count_result sekha_count_result;
/** A generated summary (sekha_controller_summarize()). */
typedef struct sekha_summary sekha_summary;
/** The answer of sekha_controller_prune_dry_run(). */
typedef struct sekha_prune_suggestions sekha_prune_suggestions;
/** One pruning suggestion; lent by its ::sekha_prune_suggestions. */
typedef struct sekha_prune_suggestion sekha_prune_suggestion;
/** The answer of sekha_controller_suggest_labels(). */
typedef struct sekha_label_suggestions sekha_label_suggestions;
/** One label suggestion; lent by its ::sekha_label_suggestions. */
typedef struct sekha_label_suggestion sekha_label_suggestion;
/** The controller's /metrics answer (sekha_controller_metrics()). */
typedef struct sekha_metrics sekha_metrics;

/* ---- sekha_conversation ---- */

/** The conversation's id.
 * @param conv the conversation.
 * @return its id (a UUID from the controller), NULL for NULL. */
SEKHA_API const char *sekha_conversation_id(const sekha_conversation *conv);

/** The conversation's label.
 * @param conv the conversation.
 * @return the label, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_conversation_label(const sekha_conversation *conv);

/** The conversation's folder.
 * @param conv the conversation.
 * @return the folder, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_conversation_folder(const sekha_conversation *conv);

/** The conversation's status.
 * @param conv the conversation.
 * @return "active" or "archived" (as sent), NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_conversation_status(const sekha_conversation *conv);

/** The number of messages in the conversation (the real controller may report 0: a known
 * bug of its own).
 * @param conv the conversation.
 * @return the count, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_conversation_message_count(const sekha_conversation *conv);

/** When the conversation was created.
 * @param conv the conversation.
 * @return naive UTC as sent, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_conversation_created_at(const sekha_conversation *conv);

/** The body as received.
 * @param conv the conversation.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_conversation_json(const sekha_conversation *conv);

/** Gives you a conversation of your own (for one lent to a callback); any thread.
 * @param conv the conversation.
 * @return the same conversation, now also yours to free with sekha_conversation_free();
 *         NULL for NULL. */
SEKHA_API sekha_conversation *sekha_conversation_copy(const sekha_conversation *conv);

/** Releases a conversation you own (a copy or a sync result); any thread.
 * @param conv the conversation (NULL is a no-op). */
SEKHA_API void sekha_conversation_free(sekha_conversation *conv);

/* ---- sekha_search_results / sekha_search_result ---- */

/** The number of results in this page.
 * @param r the results.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_search_results_count(const sekha_search_results *r);

/** Result i of this page.
 * @param r the results.
 * @param i the position, from 0.
 * @return the item (lent by the list: valid while r is), NULL when out of range. */
SEKHA_API const sekha_search_result *sekha_search_results_at(const sekha_search_results *r,
                                                             size_t i);

/** The "total" the controller reports: for a listing every match, for a query the number
 * returned (a quirk of the controller).
 * @param r the results.
 * @return the total, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_search_results_total(const sekha_search_results *r);

/** The "page" the controller reports (a query reports ceil(offset / limit), so 0 for the
 * first page).
 * @param r the results.
 * @return the page, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_search_results_page(const sekha_search_results *r);

/** The "page_size" the controller reports.
 * @param r the results.
 * @return the page size, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_search_results_page_size(const sekha_search_results *r);

/** The body as received.
 * @param r the results.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_search_results_json(const sekha_search_results *r);

/** Gives you results of your own (for results lent to a callback); any thread.
 * @param r the results.
 * @return the same results, now also yours to free with sekha_search_results_free();
 *         NULL for NULL. */
SEKHA_API sekha_search_results *sekha_search_results_copy(const sekha_search_results *r);

/** Releases results you own (a copy or a sync result); any thread.
 * @param r the results (NULL is a no-op). */
SEKHA_API void sekha_search_results_free(sekha_search_results *r);

/** The conversation the result belongs to.
 * @param r the result.
 * @return its UUID, NULL for NULL. */
SEKHA_API const char *sekha_search_result_conversation_id(const sekha_search_result *r);

/** The message the result is.
 * @param r the result.
 * @return its id (the nil UUID for the items of a listing), NULL when not sent (or for
 *         NULL). */
SEKHA_API const char *sekha_search_result_message_id(const sekha_search_result *r);

/** The similarity score.
 * @param r the result.
 * @return the score (1.0 for the items of a listing), 0 for NULL. */
SEKHA_API double sekha_search_result_score(const sekha_search_result *r);

/** The message text.
 * @param r the result.
 * @return the text (the label for the items of a listing), NULL for NULL. */
SEKHA_API const char *sekha_search_result_content(const sekha_search_result *r);

/** The label of the result's conversation.
 * @param r the result.
 * @return the label, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_search_result_label(const sekha_search_result *r);

/** The folder of the result's conversation.
 * @param r the result.
 * @return the folder, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_search_result_folder(const sekha_search_result *r);

/** The message's time (for the items of a listing, the conversation's last update).
 * @param r the result.
 * @return naive UTC as sent, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_search_result_timestamp(const sekha_search_result *r);

/** The result's "metadata" (built when the result was decoded, so safe from any thread).
 * @param r the result.
 * @return compact JSON text, "null" when absent; NULL for NULL. */
SEKHA_API const char *sekha_search_result_metadata_json(const sekha_search_result *r);

/* ---- sekha_stored_messages / sekha_stored_message ---- */

/** The number of messages.
 * @param l the messages.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_stored_messages_count(const sekha_stored_messages *l);

/** Message i.
 * @param l the messages.
 * @param i the position, from 0.
 * @return the message (lent by the list: valid while l is), NULL when out of range. */
SEKHA_API const sekha_stored_message *sekha_stored_messages_at(const sekha_stored_messages *l,
                                                               size_t i);

/** The total: full-text search's "total" (the number returned); for context assembly, the
 * number of messages.
 * @param l the messages.
 * @return the total, -1 when full-text search's answer has none, 0 for NULL. */
SEKHA_API long long sekha_stored_messages_total(const sekha_stored_messages *l);

/** The controller's own token estimate of the messages: the sum over messages of
 * strlen(content) / 4. Computed on each call, nothing is cached.
 * @param l the messages.
 * @return the estimate, 0 for NULL. */
SEKHA_API size_t sekha_stored_messages_token_estimate(const sekha_stored_messages *l);

/** The body as received.
 * @param l the messages.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_stored_messages_json(const sekha_stored_messages *l);

/** Gives you messages of your own (for messages lent to a callback); any thread.
 * @param l the messages.
 * @return the same messages, now also yours to free with sekha_stored_messages_free();
 *         NULL for NULL. */
SEKHA_API sekha_stored_messages *sekha_stored_messages_copy(const sekha_stored_messages *l);

/** Releases messages you own (a copy or a sync result); any thread.
 * @param l the messages (NULL is a no-op). */
SEKHA_API void sekha_stored_messages_free(sekha_stored_messages *l);

/** The message's id.
 * @param m the message.
 * @return its UUID, NULL for NULL. */
SEKHA_API const char *sekha_stored_message_id(const sekha_stored_message *m);

/** The conversation the message belongs to.
 * @param m the message.
 * @return its id, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_stored_message_conversation_id(const sekha_stored_message *m);

/** The message's role.
 * @param m the message.
 * @return "user", "assistant", "system" or "tool" (as stored), NULL when not sent (or
 *         for NULL). */
SEKHA_API const char *sekha_stored_message_role(const sekha_stored_message *m);

/** The message's text. Content parts, when a server sends them, are flattened as
 * sekha_content_text() does (the text parts joined with one space).
 * @param m the message.
 * @return the text, NULL for NULL. */
SEKHA_API const char *sekha_stored_message_content(const sekha_stored_message *m);

/** The message's time.
 * @param m the message.
 * @return naive UTC as sent, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_stored_message_timestamp(const sekha_stored_message *m);

/** The id of the message's embedding.
 * @param m the message.
 * @return the embedding_id, NULL when null or absent (or for NULL). */
SEKHA_API const char *sekha_stored_message_embedding_id(const sekha_stored_message *m);

/** The message's "metadata" (built when the result was decoded, so safe from any thread).
 * Context assembly adds {"citation":{"label","folder","timestamp"}}.
 * @param m the message.
 * @return compact JSON text, "null" when absent; NULL for NULL. */
SEKHA_API const char *sekha_stored_message_metadata_json(const sekha_stored_message *m);

/* ---- sekha_count_result ---- */

/** The count.
 * @param r the answer.
 * @return the count, 0 for NULL. */
SEKHA_API long long sekha_count_result_value(const sekha_count_result *r);

/** The label filter the controller echoes back.
 * @param r the answer.
 * @return the label, NULL when none. */
SEKHA_API const char *sekha_count_result_label(const sekha_count_result *r);

/** The folder filter the controller echoes back.
 * @param r the answer.
 * @return the folder, NULL when none. */
SEKHA_API const char *sekha_count_result_folder(const sekha_count_result *r);

/** The body as received.
 * @param r the answer.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_count_result_json(const sekha_count_result *r);

/** Gives you an answer of your own (for one lent to a callback); any thread.
 * @param r the answer.
 * @return the same answer, now also yours to free with sekha_count_result_free(); NULL
 *         for NULL. */
SEKHA_API sekha_count_result *sekha_count_result_copy(const sekha_count_result *r);

/** Releases an answer you own (a copy or a sync result); any thread.
 * @param r the answer (NULL is a no-op). */
SEKHA_API void sekha_count_result_free(sekha_count_result *r);

/* ---- sekha_summary ---- */

/** The summarised conversation.
 * @param s the summary.
 * @return its id, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_summary_conversation_id(const sekha_summary *s);

/** The summary's level.
 * @param s the summary.
 * @return "daily", "weekly" or "monthly" (as sent), NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_summary_level(const sekha_summary *s);

/** The summary text.
 * @param s the summary.
 * @return the text, NULL for NULL. */
SEKHA_API const char *sekha_summary_text(const sekha_summary *s);

/** When the summary was generated.
 * @param s the summary.
 * @return naive UTC as sent, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_summary_generated_at(const sekha_summary *s);

/** The model that wrote the summary.
 * @param s the summary.
 * @return the model, NULL when the server does not say. */
SEKHA_API const char *sekha_summary_model(const sekha_summary *s);

/** The body as received.
 * @param s the summary.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_summary_json(const sekha_summary *s);

/** Gives you a summary of your own (for one lent to a callback); any thread.
 * @param s the summary.
 * @return the same summary, now also yours to free with sekha_summary_free(); NULL for
 *         NULL. */
SEKHA_API sekha_summary *sekha_summary_copy(const sekha_summary *s);

/** Releases a summary you own (a copy or a sync result); any thread.
 * @param s the summary (NULL is a no-op). */
SEKHA_API void sekha_summary_free(sekha_summary *s);

/* ---- sekha_prune_suggestions / sekha_prune_suggestion ---- */

/** The number of suggestions.
 * @param p the suggestions.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_prune_suggestions_count(const sekha_prune_suggestions *p);

/** Suggestion i.
 * @param p the suggestions.
 * @param i the position, from 0.
 * @return the suggestion (lent by the list: valid while p is), NULL when out of range. */
SEKHA_API const sekha_prune_suggestion *sekha_prune_suggestions_at(
    const sekha_prune_suggestions *p, size_t i);

/** The "total" the controller reports.
 * @param p the suggestions.
 * @return the total, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_prune_suggestions_total(const sekha_prune_suggestions *p);

/** The body as received.
 * @param p the suggestions.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_prune_suggestions_json(const sekha_prune_suggestions *p);

/** Gives you suggestions of your own (for suggestions lent to a callback); any thread.
 * @param p the suggestions.
 * @return the same suggestions, now also yours to free with
 *         sekha_prune_suggestions_free(); NULL for NULL. */
SEKHA_API sekha_prune_suggestions *sekha_prune_suggestions_copy(
    const sekha_prune_suggestions *p);

/** Releases suggestions you own (a copy or a sync result); any thread.
 * @param p the suggestions (NULL is a no-op). */
SEKHA_API void sekha_prune_suggestions_free(sekha_prune_suggestions *p);

/** The conversation a suggestion is about.
 * @param s the suggestion.
 * @return its UUID, NULL for NULL. */
SEKHA_API const char *sekha_prune_suggestion_conversation_id(const sekha_prune_suggestion *s);

/** The label of the conversation.
 * @param s the suggestion.
 * @return the label, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_prune_suggestion_label(const sekha_prune_suggestion *s);

/** The conversation's last update.
 * @param s the suggestion.
 * @return naive UTC as sent, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_prune_suggestion_last_accessed(const sekha_prune_suggestion *s);

/** The conversation's message count.
 * @param s the suggestion.
 * @return the count, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_prune_suggestion_message_count(const sekha_prune_suggestion *s);

/** The tokens the conversation is estimated to hold.
 * @param s the suggestion.
 * @return the estimate, -1 when not sent, 0 for NULL. */
SEKHA_API long long sekha_prune_suggestion_token_estimate(const sekha_prune_suggestion *s);

/** The conversation's importance score.
 * @param s the suggestion.
 * @return the score, -1 when not sent, 0 for NULL. */
SEKHA_API double sekha_prune_suggestion_importance(const sekha_prune_suggestion *s);

/** A short preview of the conversation's content.
 * @param s the suggestion.
 * @return the preview ("" when none), NULL for NULL. */
SEKHA_API const char *sekha_prune_suggestion_preview(const sekha_prune_suggestion *s);

/** What the controller recommends.
 * @param s the suggestion.
 * @return "archive" or "keep" (or "review", from other versions), NULL when not sent
 *         (or for NULL). */
SEKHA_API const char *sekha_prune_suggestion_recommendation(const sekha_prune_suggestion *s);

/* ---- sekha_label_suggestions / sekha_label_suggestion ---- */

/** The conversation the labels are suggested for.
 * @param l the suggestions.
 * @return its id, NULL when not sent (or for NULL). */
SEKHA_API const char *sekha_label_suggestions_conversation_id(const sekha_label_suggestions *l);

/** The number of suggestions.
 * @param l the suggestions.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_label_suggestions_count(const sekha_label_suggestions *l);

/** Suggestion i.
 * @param l the suggestions.
 * @param i the position, from 0.
 * @return the suggestion (lent by the list: valid while l is), NULL when out of range. */
SEKHA_API const sekha_label_suggestion *sekha_label_suggestions_at(
    const sekha_label_suggestions *l, size_t i);

/** The body as received.
 * @param l the suggestions.
 * @return the JSON text, NULL for NULL. */
SEKHA_API const char *sekha_label_suggestions_json(const sekha_label_suggestions *l);

/** Gives you suggestions of your own (for suggestions lent to a callback); any thread.
 * @param l the suggestions.
 * @return the same suggestions, now also yours to free with
 *         sekha_label_suggestions_free(); NULL for NULL. */
SEKHA_API sekha_label_suggestions *sekha_label_suggestions_copy(
    const sekha_label_suggestions *l);

/** Releases suggestions you own (a copy or a sync result); any thread.
 * @param l the suggestions (NULL is a no-op). */
SEKHA_API void sekha_label_suggestions_free(sekha_label_suggestions *l);

/** The suggested label.
 * @param s the suggestion.
 * @return the label, NULL for NULL. */
SEKHA_API const char *sekha_label_suggestion_label(const sekha_label_suggestion *s);

/** How confident the controller is (it gives 0.9 for labels already in use, 0.6 for new
 * ones).
 * @param s the suggestion.
 * @return the confidence, 0..1; -1 when not sent, 0 for NULL. */
SEKHA_API double sekha_label_suggestion_confidence(const sekha_label_suggestion *s);

/** Whether the label is already in use.
 * @param s the suggestion.
 * @return 1 when it is, 0 when not (or for NULL), -1 when the server does not say. */
SEKHA_API int sekha_label_suggestion_is_existing(const sekha_label_suggestion *s);

/** Why the label was suggested.
 * @param s the suggestion.
 * @return the reason ("" when the server gives none), NULL for NULL. */
SEKHA_API const char *sekha_label_suggestion_reason(const sekha_label_suggestion *s);

/* ---- sekha_metrics ---- */

/** The body as received: Prometheus text exposition, or JSON from some versions.
 * @param m the metrics.
 * @return the text, NULL for NULL. */
SEKHA_API const char *sekha_metrics_text(const sekha_metrics *m);

/** Finds the first sample of a metric (any labels) in Prometheus text. Numbers are read
 * with '.' whatever the locale.
 * @param m the metrics.
 * @param name the metric's name.
 * @param value receives the sample's value when found (may be NULL).
 * @return 1 when found, else 0. */
SEKHA_API int sekha_metrics_value(const sekha_metrics *m, const char *name, double *value);

/** Gives you metrics of your own (for metrics lent to a callback); any thread.
 * @param m the metrics.
 * @return the same metrics, now also yours to free with sekha_metrics_free(); NULL for
 *         NULL. */
SEKHA_API sekha_metrics *sekha_metrics_copy(const sekha_metrics *m);

/** Releases metrics you own (a copy or a sync result); any thread.
 * @param m the metrics (NULL is a no-op). */
SEKHA_API void sekha_metrics_free(sekha_metrics *m);

#ifdef __cplusplus
}
#endif

#endif
