/** @file workflows.h
 * @brief Workflows: the client's compositions of controller, bridge and MCP calls.
 *
 * Store then query, completions grounded in memory (whole or streamed), and a concurrent
 * health check of a whole deployment.
 *
 * One client holds the configuration of all three services (one options object, one event
 * loop), so a workflow is just another request on it: async forms take (callback, userdata)
 * last and return a handle; exactly one final callback follows, from the loop, on success,
 * failure, cancel or client free. Each stage is a child request of the workflow's handle:
 * sekha_request_cancel() on the handle (or sekha_client_cancel() with its id, from any
 * thread) cancels whichever stage is running and ends the workflow with
 * ::SEKHA_E_CANCELLED. Sync forms run the same code on the client's private loop.
 *
 * Optional parameters are a ::sekha_params (params.h); each call lists the keys it reads
 * and their defaults, and refuses any other key (::SEKHA_E_INVALID_ARG naming it, nothing
 * sent). A workflow passes each of its keys only to the stage that uses it (the model to
 * the bridge, the labels to the recall stage), so a key never reaches a call it was not
 * meant for.
 *
 * Errors of a stage are passed on unchanged: their layer, code, HTTP status and message
 * (which names the route, e.g. "controller POST /api/v1/context/assemble") say which stage
 * failed and how.
 *
 * Ownership: a result given to a callback is lent until the callback returns;
 * sekha_stored_query_copy(), sekha_answer_copy() and sekha_deployment_health_copy() give one
 * the caller owns; the matching _free releases it. Results are immutable once handed out,
 * so a copy may be read and freed on any thread.
 *
 * How memories become part of the prompt (complete/stream with context or memory):
 *
 *  - Text: a stored message's text is its string content, or the text of its content parts
 *    joined with one space (image parts carry no text and are left out). Memories without
 *    text are skipped.
 *  - Budget: tokens are estimated as ceil(bytes / 4), the controller's own measure. Memories
 *    are taken in the service's ranking order (most relevant first) while they fit whole in
 *    the budget; the first one that does not fit is cut at a UTF-8 character boundary to the
 *    space left, ending in " [...]", when at least 32 tokens are left, and nothing more is
 *    taken. So a huge search result can never blow up the prompt. The budget covers the
 *    memories (with their "[n] label" headers in the memory layout), not the instruction or
 *    the prompt.
 *  - With context (context assembly, POST /api/v1/context/assemble): the messages sent to
 *    the bridge are
 *      1. one "system" message: ::SEKHA_CONTEXT_INSTRUCTION, then the labels the memories
 *         come from ("Recalled from: Lisbon trip, Work.");
 *      2. the memories as separate chat turns, oldest first (ordered by their timestamps,
 *         which the ranking does not do), each with its original role when that is "user" or
 *         "assistant"; other roles (system, tool) are sent as "system", because a "tool"
 *         turn without its call id is rejected by OpenAI-style servers;
 *      3. one "user" message: the prompt.
 *  - With memory (semantic search, POST /api/v1/query): the messages are
 *      1. one "system" message: per result "[<n>] <label> (score <0.00>):", a newline, its
 *         text and a blank line; then ::SEKHA_MEMORY_INSTRUCTION. The results come before the
 *         instruction (models follow instructions better when the material precedes them),
 *         and there is one system message (some servers accept only one);
 *      2. one "user" message: the prompt.
 *  - When nothing was recalled (or nothing fits), only the prompt is sent.
 *  sekha_answer_prompt() returns exactly what was sent.
 *
 * Differences from the Python SDK's unified client, on purpose: context assembly's bare
 * JSON array is handled (the SDK expects an object and fails); importance is sent by
 * store_and_query (the SDK drops it); stream_with_context passes excluded folders and
 * max_tokens (the SDK drops both); label filters of complete_with_memory filter by label
 * (the SDK's {"labels":[...]} filter matches nothing in the vector store); the health check
 * is concurrent, covers MCP, never retries, and never fails because a service is down.
 */
#ifndef SEKHA_WORKFLOWS_H
#define SEKHA_WORKFLOWS_H

#include "bridge.h"
#include "client.h"
#include "controller.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The instruction that opens the system message of the context workflows. */
#define SEKHA_CONTEXT_INSTRUCTION                                                          \
    "The messages before the last one are recalled from earlier conversations, oldest "  \
    "first. Use them as context to answer the last message; they are not part of this "   \
    "conversation."

/** The instruction that ends the system message of the memory workflows. */
#define SEKHA_MEMORY_INSTRUCTION                                                           \
    "These are search results from memory, best match first. Use them to answer the "     \
    "user's question when they are relevant."

/* ------------------------------------------------------------------ store and query */

/** The outcome of sekha_workflow_store_and_query() (opaque): the stored conversation and
 * the query's results. */
typedef struct sekha_stored_query sekha_stored_query;

/** The final callback of sekha_workflow_store_and_query().
 * @param req the workflow's request.
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param result the outcome, lent until the callback returns (sekha_stored_query_copy()
 *        keeps it). NULL only when the store itself failed (or on no memory); when the
 *        query fails after the store succeeded, it is given with err so the caller learns
 *        what was stored.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_stored_query_cb)(sekha_request *req, const sekha_error *err,
                                      const sekha_stored_query *result, void *userdata);

/** Stores a conversation, then runs a semantic query.
 *
 * Keys read from params:
 *  - ::SEKHA_PARAM_LABEL: the conversation's label (default "Conversation");
 *  - ::SEKHA_PARAM_FOLDER: its folder (default "/");
 *  - ::SEKHA_PARAM_IMPORTANCE: 1..10, sent as importance_score (default: not sent);
 *  - ::SEKHA_PARAM_LIMIT: the most query results (default: the controller query's, 10).
 *
 * The store is never re-sent once the server may have processed it (see controller.h).
 * The query is checked before the store is sent, so a query that could not be sent
 * stores nothing.
 * @param client the client.
 * @param messages the conversation to store; copied before this returns.
 * @param query what to search for after storing (non-blank UTF-8).
 * @param params optional parameters (NULL = all defaults); read before this returns.
 * @param cb the final callback (may be NULL); it comes later from the loop, never from
 *        inside this call.
 * @param userdata passed to cb.
 * @return the workflow's request; NULL when client is NULL or out of memory (no callback
 *         then). */
SEKHA_API sekha_request *sekha_workflow_store_and_query(sekha_client *client,
                                                        const sekha_messages *messages,
                                                        const char *query,
                                                        const sekha_params *params,
                                                        sekha_stored_query_cb cb,
                                                        void *userdata);

/** Sync form of sekha_workflow_store_and_query().
 * @param client the client.
 * @param messages the conversation to store.
 * @param query what to search for after storing.
 * @param params optional parameters, as for the async form (NULL = all defaults).
 * @param out when not NULL, receives the outcome on success, and on failure when the store
 *        succeeded (else NULL); free it with sekha_stored_query_free().
 * @param err when not NULL, receives the error (free it with sekha_error_free()), NULL on
 *        success.
 * @return ::SEKHA_OK or the error's code (::SEKHA_E_IN_CALLBACK inside a callback,
 *         ::SEKHA_E_INVALID_ARG for a NULL client). */
SEKHA_API sekha_code sekha_workflow_store_and_query_sync(sekha_client *client,
                                                         const sekha_messages *messages,
                                                         const char *query,
                                                         const sekha_params *params,
                                                         sekha_stored_query **out,
                                                         sekha_error **err);

/** The stored conversation.
 * @param r the outcome.
 * @return the conversation (lent by r), NULL when the store did not succeed. */
SEKHA_API const sekha_conversation *sekha_stored_query_conversation(const sekha_stored_query *r);

/** The query's results.
 * @param r the outcome.
 * @return the results (lent by r), NULL when the query did not succeed. */
SEKHA_API const sekha_search_results *sekha_stored_query_results(const sekha_stored_query *r);

/** Returns an outcome the caller owns (the same immutable object, shared with an atomic
 * count). May be called from any thread.
 * @param r the outcome (may be NULL).
 * @return r, to release with sekha_stored_query_free(); NULL when r is NULL. */
SEKHA_API sekha_stored_query *sekha_stored_query_copy(const sekha_stored_query *r);

/** Releases an outcome the caller owns (from the sync form or sekha_stored_query_copy()).
 * May be called from any thread.
 * @param r the outcome; NULL is a no-op. */
SEKHA_API void sekha_stored_query_free(sekha_stored_query *r);

/* ----------------------------------------------------- completions grounded in memory */

/** The outcome of the complete_* and stream_* workflows (opaque): the memories recalled,
 * those placed in the prompt, the prompt itself, and the completion. */
typedef struct sekha_answer sekha_answer;

/** The final callback of the complete_* and stream_* workflows.
 * @param req the workflow's request.
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param answer lent until the callback returns (sekha_answer_copy() keeps it); NULL only
 *        on no memory. On failure it holds what was done: the recall result when it
 *        succeeded, the prompt when it was built, and for streams the partial completion.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_answer_cb)(sekha_request *req, const sekha_error *err,
                                const sekha_answer *answer, void *userdata);

/** Assembles context for the prompt, then asks the bridge for one completion (see the
 * file's comment for the prompt's layout).
 *
 * Keys read from params:
 *  - ::SEKHA_PARAM_CONTEXT_QUERY: what to recall context for (default: the prompt);
 *  - ::SEKHA_PARAM_BUDGET: the context budget in tokens (default 4000); the controller
 *    packs its answer into 85 % of it and the workflow places what fits the whole budget;
 *  - ::SEKHA_PARAM_PREFERRED_LABELS: labels to prefer (default: none);
 *  - ::SEKHA_PARAM_EXCLUDED_FOLDERS: folder prefixes to leave out (default: none);
 *  - ::SEKHA_PARAM_MODEL: the model (default: the bridge's);
 *  - ::SEKHA_PARAM_TEMPERATURE: the sampling temperature (default: the bridge's);
 *  - ::SEKHA_PARAM_MAX_TOKENS: the longest reply (default: the bridge's).
 * The first four go to context assembly (the budget is the workflow's too), the last
 * three to the bridge only.
 * Everything is checked before the first stage, so a bad argument sends nothing.
 * @param client the client.
 * @param prompt the user's question (non-empty UTF-8); copied.
 * @param params optional parameters (NULL = all defaults); read before this returns.
 * @param cb the final callback (may be NULL); it comes later from the loop, never from
 *        inside this call.
 * @param userdata passed to cb.
 * @return the workflow's request; NULL when client is NULL or out of memory (no callback
 *         then). */
SEKHA_API sekha_request *sekha_workflow_complete_with_context(sekha_client *client,
                                                              const char *prompt,
                                                              const sekha_params *params,
                                                              sekha_answer_cb cb,
                                                              void *userdata);

/** Sync form of sekha_workflow_complete_with_context().
 * @param client the client.
 * @param prompt the user's question.
 * @param params optional parameters, as for the async form (NULL = all defaults).
 * @param out when not NULL, receives the answer on success and on failure (NULL only on no
 *        memory); free it with sekha_answer_free().
 * @param err when not NULL, receives the error (free it with sekha_error_free()), NULL on
 *        success.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_workflow_complete_with_context_sync(sekha_client *client,
                                                               const char *prompt,
                                                               const sekha_params *params,
                                                               sekha_answer **out,
                                                               sekha_error **err);

/** Like sekha_workflow_complete_with_context(), with the completion streamed.
 *
 * Reads the same keys, and ::SEKHA_PARAM_ON_CHUNK (sekha_params_set_on_chunk(), default:
 * none), which gets each chunk as it arrives, with the userdata given to that setter (see
 * sekha_bridge_stream_complete(); a bridge that ignores "stream", like today's
 * sekha-llm-bridge, gives one chunk). The request given to the chunk callback is the
 * stream's own: returning ::SEKHA_EVENT_PAUSE or calling sekha_request_pause() /
 * sekha_request_resume() on it applies backpressure, ::SEKHA_EVENT_STOP ends the stream
 * with success and the text so far, and sekha_request_cancel() on it or on the workflow's
 * handle cancels the workflow (the answer keeps the text so far).
 * @param client the client.
 * @param prompt the user's question (non-empty UTF-8); copied.
 * @param params optional parameters (NULL = all defaults); read before this returns.
 * @param cb the final callback (may be NULL); it comes later from the loop, after the last
 *        chunk, never from inside this call.
 * @param userdata passed to cb.
 * @return the workflow's request; NULL when client is NULL or out of memory (no callback
 *         then). */
SEKHA_API sekha_request *sekha_workflow_stream_with_context(sekha_client *client,
                                                            const char *prompt,
                                                            const sekha_params *params,
                                                            sekha_answer_cb cb,
                                                            void *userdata);

/** Sync form of sekha_workflow_stream_with_context(): the chunk callback is called from
 * inside this call.
 * @param client the client.
 * @param prompt the user's question.
 * @param params optional parameters, as for the async form (NULL = all defaults).
 * @param out when not NULL, receives the answer on success and on failure (with the text
 *        so far); free it with sekha_answer_free().
 * @param err when not NULL, receives the error, NULL on success.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_workflow_stream_with_context_sync(sekha_client *client,
                                                             const char *prompt,
                                                             const sekha_params *params,
                                                             sekha_answer **out,
                                                             sekha_error **err);

/** Searches memory, places the results in a system message, then asks the bridge for one
 * completion (see the file's comment for the prompt's layout).
 *
 * Keys read from params:
 *  - ::SEKHA_PARAM_SEARCH_QUERY: what to search for (default: the prompt);
 *  - ::SEKHA_PARAM_LIMIT: the most results to place (default 5);
 *  - ::SEKHA_PARAM_LABELS: only results with one of these labels (default: any label; the
 *    vector store cannot filter by label, so up to 4 times as many results are fetched and
 *    filtered here);
 *  - ::SEKHA_PARAM_BUDGET: the budget for the results, in tokens (default 4000);
 *  - ::SEKHA_PARAM_MODEL, ::SEKHA_PARAM_TEMPERATURE, ::SEKHA_PARAM_MAX_TOKENS: as for
 *    sekha_workflow_complete_with_context(), sent to the bridge only.
 * @param client the client.
 * @param prompt the user's question (non-empty UTF-8); copied.
 * @param params optional parameters (NULL = all defaults); read before this returns.
 * @param cb the final callback (may be NULL); it comes later from the loop, never from
 *        inside this call.
 * @param userdata passed to cb.
 * @return the workflow's request; NULL when client is NULL or out of memory (no callback
 *         then). */
SEKHA_API sekha_request *sekha_workflow_complete_with_memory(sekha_client *client,
                                                             const char *prompt,
                                                             const sekha_params *params,
                                                             sekha_answer_cb cb,
                                                             void *userdata);

/** Sync form of sekha_workflow_complete_with_memory().
 * @param client the client.
 * @param prompt the user's question.
 * @param params optional parameters, as for the async form (NULL = all defaults).
 * @param out when not NULL, receives the answer on success and on failure (NULL only on no
 *        memory); free it with sekha_answer_free().
 * @param err when not NULL, receives the error, NULL on success.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_workflow_complete_with_memory_sync(sekha_client *client,
                                                              const char *prompt,
                                                              const sekha_params *params,
                                                              sekha_answer **out,
                                                              sekha_error **err);

/** sekha_workflow_complete_with_memory() with the completion streamed: reads the same keys
 * and ::SEKHA_PARAM_ON_CHUNK, as sekha_workflow_stream_with_context() does.
 * @param client the client.
 * @param prompt the user's question (non-empty UTF-8); copied.
 * @param params optional parameters (NULL = all defaults); read before this returns.
 * @param cb the final callback (may be NULL); it comes later from the loop, after the last
 *        chunk, never from inside this call.
 * @param userdata passed to cb.
 * @return the workflow's request; NULL when client is NULL or out of memory (no callback
 *         then). */
SEKHA_API sekha_request *sekha_workflow_stream_with_memory(sekha_client *client,
                                                           const char *prompt,
                                                           const sekha_params *params,
                                                           sekha_answer_cb cb,
                                                           void *userdata);

/** Sync form of sekha_workflow_stream_with_memory(): the chunk callback is called from
 * inside this call.
 * @param client the client.
 * @param prompt the user's question.
 * @param params optional parameters, as for the async form (NULL = all defaults).
 * @param out when not NULL, receives the answer on success and on failure (with the text
 *        so far); free it with sekha_answer_free().
 * @param err when not NULL, receives the error, NULL on success.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_workflow_stream_with_memory_sync(sekha_client *client,
                                                            const char *prompt,
                                                            const sekha_params *params,
                                                            sekha_answer **out,
                                                            sekha_error **err);

/** The completion.
 * @param a the answer.
 * @return the completion (whole, or for streams the text so far; lent by a), NULL when
 *         that stage was not reached. */
SEKHA_API const sekha_completion *sekha_answer_completion(const sekha_answer *a);

/** The messages sent to the bridge, exactly.
 * @param a the answer.
 * @return the messages (lent by a), NULL when the prompt was not built. */
SEKHA_API const sekha_messages *sekha_answer_prompt(const sekha_answer *a);

/** Context assembly's answer as received (context workflows).
 * @param a the answer.
 * @return the messages (lent by a), NULL for the memory workflows or when that stage
 *         failed. */
SEKHA_API const sekha_stored_messages *sekha_answer_context(const sekha_answer *a);

/** The search results as received, before label filtering (memory workflows).
 * @param a the answer.
 * @return the results (lent by a), NULL for the context workflows or when that stage
 *         failed. */
SEKHA_API const sekha_search_results *sekha_answer_search_results(const sekha_answer *a);

/** The number of memories placed in the prompt.
 * @param a the answer.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_answer_memory_count(const sekha_answer *a);

/** The number of memories recalled (and matching the labels) but left out by the budget.
 * @param a the answer.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_answer_memory_dropped(const sekha_answer *a);

/** Where memory i came from. Memories are numbered in ranking order, whatever their order
 * in the prompt.
 * @param a the answer.
 * @param i the memory's number, below sekha_answer_memory_count().
 * @return its position in sekha_answer_context() or sekha_answer_search_results() (for
 *         every other detail), (size_t)-1 when i is out of range. */
SEKHA_API size_t sekha_answer_memory_source(const sekha_answer *a, size_t i);

/** The label of the conversation memory i comes from.
 * @param a the answer.
 * @param i the memory's number.
 * @return the label ("" when unknown; lent by a), NULL when out of range. */
SEKHA_API const char *sekha_answer_memory_label(const sekha_answer *a, size_t i);

/** The text of memory i as placed in the prompt (cut when the budget made it so).
 * @param a the answer.
 * @param i the memory's number.
 * @return the text (lent by a), NULL when out of range. */
SEKHA_API const char *sekha_answer_memory_text(const sekha_answer *a, size_t i);

/** The estimated tokens of all memories placed in the prompt (at most the budget).
 * @param a the answer.
 * @return the estimate, 0 for NULL. */
SEKHA_API size_t sekha_answer_memory_tokens(const sekha_answer *a);

/** Returns an answer the caller owns (the same immutable object, shared with an atomic
 * count). May be called from any thread.
 * @param a the answer (may be NULL).
 * @return a, to release with sekha_answer_free(); NULL when a is NULL. */
SEKHA_API sekha_answer *sekha_answer_copy(const sekha_answer *a);

/** Releases an answer the caller owns (from a sync form or sekha_answer_copy()). May be
 * called from any thread.
 * @param a the answer; NULL is a no-op. */
SEKHA_API void sekha_answer_free(sekha_answer *a);

/* ------------------------------------------------------------------- health check */

/** The health of a deployment (opaque): one report per service and an overall verdict. */
typedef struct sekha_deployment_health sekha_deployment_health;

/** The final callback of sekha_workflow_health_check(). A service being down is reported
 * in the health report, never as err.
 * @param req the workflow's request.
 * @param err NULL unless the check itself could not be made: cancel, client free, a bad
 *        parameter or no memory (lent until the callback returns).
 * @param health the report when err is NULL, else NULL; lent until the callback returns
 *        (sekha_deployment_health_copy() keeps it).
 * @param userdata the pointer given to the call. */
typedef void (*sekha_deployment_health_cb)(sekha_request *req, const sekha_error *err,
                                           const sekha_deployment_health *health,
                                           void *userdata);

/** Checks the three services at the same time, so the whole check takes about as long as
 * the slowest one: the controller (GET /health), the bridge (GET /health) and MCP (POST
 * /mcp/tools/memory_stats with "{}", which needs the MCP key; it falls back to the
 * controller's). No probe is retried.
 *
 * Keys read from params:
 *  - ::SEKHA_PARAM_TIMEOUT_MS: the time limit of each probe (default 5000; the client's own
 *    request and connect timeouts apply as well). A probe without an answer by then is
 *    unreachable with ::SEKHA_E_TIMEOUT.
 * @param client the client.
 * @param params optional parameters (NULL = all defaults); read before this returns.
 * @param cb the final callback (may be NULL); it comes later from the loop, never from
 *        inside this call.
 * @param userdata passed to cb.
 * @return the workflow's request; NULL when client is NULL or out of memory (no callback
 *         then). */
SEKHA_API sekha_request *sekha_workflow_health_check(sekha_client *client,
                                                     const sekha_params *params,
                                                     sekha_deployment_health_cb cb,
                                                     void *userdata);

/** Sync form of sekha_workflow_health_check().
 * @param client the client.
 * @param params optional parameters, as for the async form (NULL = all defaults).
 * @param out when not NULL, receives the report (free it with
 *        sekha_deployment_health_free()); NULL on failure.
 * @param err when not NULL, receives the error, NULL on success.
 * @return ::SEKHA_OK (whatever the services' states) or the error's code. */
SEKHA_API sekha_code sekha_workflow_health_check_sync(sekha_client *client,
                                                      const sekha_params *params,
                                                      sekha_deployment_health **out,
                                                      sekha_error **err);

/** The worst status of the three services.
 * @param h the report.
 * @return the verdict; ::SEKHA_STATUS_UNREACHABLE for NULL. */
SEKHA_API sekha_service_status sekha_deployment_health_overall(const sekha_deployment_health *h);

/** The status of one service.
 * @param h the report.
 * @param svc the service.
 * @return its status; ::SEKHA_STATUS_UNREACHABLE for NULL or an unknown service. */
SEKHA_API sekha_service_status sekha_deployment_health_status(const sekha_deployment_health *h,
                                                              sekha_service svc);

/** The probe's latency.
 * @param h the report.
 * @param svc the service.
 * @return milliseconds from sending the probe to its outcome (to the deadline for a
 *         timeout); 0 for NULL or an unknown service. */
SEKHA_API double sekha_deployment_health_latency_ms(const sekha_deployment_health *h,
                                                    sekha_service svc);

/** A short human-readable detail of one service's state ("database ok, chroma ok",
 * "status healthy, provider ollama closed", "connection refused or unreachable", "the MCP
 * key was rejected ...").
 * @param h the report.
 * @param svc the service.
 * @return the detail (lent by h), never NULL ("" when none). */
SEKHA_API const char *sekha_deployment_health_detail(const sekha_deployment_health *h,
                                                     sekha_service svc);

/** The probe's error.
 * @param h the report.
 * @param svc the service.
 * @return the error (lent by h), NULL when the service answered 2xx. */
SEKHA_API const sekha_error *sekha_deployment_health_error(const sekha_deployment_health *h,
                                                           sekha_service svc);

/** The report as JSON: {"status":..., "services":[{"service","url","status","latency_ms",
 * "detail","error"},...]}, in the order controller, bridge, mcp; the bridge's entry adds
 * "providers":[{"provider","state"}] when its report names LLM providers (their circuit
 * breakers; one not "closed" makes the bridge degraded). Built before the report
 * is handed out, so reading it from several threads at once is safe.
 * @param h the report.
 * @return the JSON text (lent by h), NULL for NULL. */
SEKHA_API const char *sekha_deployment_health_json(const sekha_deployment_health *h);

/** Returns a report the caller owns (the same immutable object, shared with an atomic
 * count). May be called from any thread.
 * @param h the report (may be NULL).
 * @return h, to release with sekha_deployment_health_free(); NULL when h is NULL. */
SEKHA_API sekha_deployment_health *sekha_deployment_health_copy(const sekha_deployment_health *h);

/** Releases a report the caller owns (from the sync form or
 * sekha_deployment_health_copy()). May be called from any thread.
 * @param h the report; NULL is a no-op. */
SEKHA_API void sekha_deployment_health_free(sekha_deployment_health *h);

#ifdef __cplusplus
}
#endif

#endif
