/* libsekha: workflows, the unified client's compositions of controller, bridge and MCP
 * calls: store then query, completions grounded in memory (whole or streamed), and a
 * concurrent health check of a whole deployment.
 *
 * One client holds the configuration of all three services (one options object, one event
 * loop), so a workflow is just another request on it: async forms take (callback, userdata)
 * last and return a handle; exactly one final callback follows, from the loop, on success,
 * failure, cancel or client free. Each stage is a child request of the workflow's handle:
 * sekha_request_cancel() on the handle (or sekha_client_cancel() with its id, from any
 * thread) cancels whichever stage is running and ends the workflow with SEKHA_E_CANCELLED.
 * Sync forms run the same code on the client's private loop.
 *
 * Errors of a stage are passed on unchanged: their layer, code, HTTP status and message
 * (which names the route, e.g. "controller POST /api/v1/context/assemble") say which stage
 * failed and how. Results are lent to callbacks (valid until the callback returns); sync
 * forms hand them over to the caller, who frees them.
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
 *      1. one "system" message: SEKHA_CONTEXT_INSTRUCTION, then the labels the memories
 *         come from ("Recalled from: Lisbon trip, Work.");
 *      2. the memories as separate chat turns, oldest first (ordered by their timestamps,
 *         which the ranking does not do), each with its original role when that is "user" or
 *         "assistant"; other roles (system, tool) are sent as "system", because a "tool"
 *         turn without its call id is rejected by OpenAI-style servers;
 *      3. one "user" message: the prompt.
 *  - With memory (semantic search, POST /api/v1/query): the messages are
 *      1. one "system" message: per result "[<n>] <label> (score <0.00>):", a newline, its
 *         text and a blank line; then SEKHA_MEMORY_INSTRUCTION. The results come before the
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

#include <math.h>

#include "bridge.h"
#include "client.h"
#include "controller.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pass as a workflow's `temperature` to leave it out (the server's default applies). */
#define SEKHA_TEMPERATURE_UNSET NAN
/* Pass as a workflow's `max_tokens` to leave it out. */
#define SEKHA_MAX_TOKENS_UNSET 0L

/* The instruction that opens the system message of the context workflows. */
#define SEKHA_CONTEXT_INSTRUCTION                                                          \
    "The messages before the last one are recalled from earlier conversations, oldest "  \
    "first. Use them as context to answer the last message; they are not part of this "   \
    "conversation."

/* The instruction that ends the system message of the memory workflows. */
#define SEKHA_MEMORY_INSTRUCTION                                                           \
    "These are search results from memory, best match first. Use them to answer the "     \
    "user's question when they are relevant."

/* ------------------------------------------------------------------ store and query */

/* The outcome of sekha_workflow_store_and_query(). */
typedef struct sekha_stored_query sekha_stored_query;

/* Final callback of sekha_workflow_store_and_query(). result is NULL only when the store
 * itself failed (or on no memory); when the query fails after the store succeeded, result
 * is given with err so the caller learns what was stored. */
typedef void (*sekha_stored_query_cb)(sekha_request *req, const sekha_error *err,
                                      const sekha_stored_query *result, void *userdata);

/* Stores a conversation, then runs a semantic query (default limit). label NULL =
 * "Conversation", folder NULL = "/"; importance 0 = not sent, else 1..10 (sent as
 * importance_score). messages is copied before this returns. The store is never re-sent
 * once the server may have processed it (see controller.h). */
SEKHA_API sekha_request *sekha_workflow_store_and_query(
    sekha_client *client, const sekha_messages *messages, const char *query,
    const char *label, const char *folder, int importance, sekha_stored_query_cb cb,
    void *userdata);

/* Sync form: *out (when out is not NULL) receives the result on success, and on failure
 * when the store succeeded; free it with sekha_stored_query_free. */
SEKHA_API sekha_code sekha_workflow_store_and_query_sync(
    sekha_client *client, const sekha_messages *messages, const char *query,
    const char *label, const char *folder, int importance, sekha_stored_query **out,
    sekha_error **err);

/* The stored conversation (NULL when the store did not succeed). */
SEKHA_API const sekha_conversation *sekha_stored_query_conversation(const sekha_stored_query *r);

/* The query's results (NULL when the query did not succeed). */
SEKHA_API const sekha_search_results *sekha_stored_query_results(const sekha_stored_query *r);

/* Frees a result handed over by the sync form. NULL is a no-op. */
SEKHA_API void sekha_stored_query_free(sekha_stored_query *r);

/* ----------------------------------------------------- completions grounded in memory */

/* The outcome of the complete_* and stream_* workflows: the memories recalled, those
 * placed in the prompt, the prompt itself, and the completion. */
typedef struct sekha_answer sekha_answer;

/* Final callback of the complete_* and stream_* workflows. answer is NULL only on no
 * memory. On failure it holds what was done: the recall result when it succeeded, the
 * prompt when it was built, and for streams the partial completion. */
typedef void (*sekha_answer_cb)(sekha_request *req, const sekha_error *err,
                                const sekha_answer *answer, void *userdata);

/* Assembles context for context_query (NULL = the prompt) within context_budget tokens
 * (0 = 4000; the controller packs to 85 % of it), preferring preferred_labels and leaving
 * out excluded_folders (NULL-terminated lists or NULL), then asks the bridge for one
 * completion (see the header comment for the prompt's layout). model NULL = the bridge's
 * default; temperature SEKHA_TEMPERATURE_UNSET or >= 0; max_tokens SEKHA_MAX_TOKENS_UNSET
 * or >= 1. Returns NULL only when out of memory (no callback then). */
SEKHA_API sekha_request *sekha_workflow_complete_with_context(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_answer_cb cb,
    void *userdata);

/* Sync form: *out (when out is not NULL) receives the answer on success and on failure
 * (NULL only on no memory); free it with sekha_answer_free. */
SEKHA_API sekha_code sekha_workflow_complete_with_context_sync(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_answer **out,
    sekha_error **err);

/* Like sekha_workflow_complete_with_context(), but the completion is streamed: on_chunk
 * (may be NULL) gets each chunk as it arrives (see sekha_bridge_stream_complete; a bridge
 * that ignores "stream", like today's sekha-llm-bridge, gives one chunk). The req given to
 * on_chunk is the stream's own request: returning SEKHA_EVENT_PAUSE or calling
 * sekha_request_pause/resume on it applies backpressure, SEKHA_EVENT_STOP ends the stream
 * with success and the text so far, and sekha_request_cancel() on it or on the workflow's
 * handle cancels the workflow (the answer keeps the text so far). */
SEKHA_API sekha_request *sekha_workflow_stream_with_context(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_chunk_cb on_chunk,
    sekha_answer_cb cb, void *userdata);

/* Sync form: on_chunk is called from inside this call; *out as for the complete form. */
SEKHA_API sekha_code sekha_workflow_stream_with_context_sync(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_chunk_cb on_chunk,
    void *userdata, sekha_answer **out, sekha_error **err);

/* Searches memory for search_query (NULL = the prompt), keeps at most limit results (0 =
 * 5) whose label is one of labels (NULL-terminated, NULL = any label; the vector store
 * cannot filter by label, so up to 4 times as many results are fetched and filtered
 * here), places them in a system message within budget tokens (0 = 4000), then asks the
 * bridge for one completion. Other arguments as for complete_with_context. */
SEKHA_API sekha_request *sekha_workflow_complete_with_memory(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_answer_cb cb, void *userdata);

/* Sync form of sekha_workflow_complete_with_memory(); *out as for complete_with_context. */
SEKHA_API sekha_code sekha_workflow_complete_with_memory_sync(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_answer **out, sekha_error **err);

/* sekha_workflow_complete_with_memory() with the completion streamed through on_chunk, as
 * in sekha_workflow_stream_with_context(). */
SEKHA_API sekha_request *sekha_workflow_stream_with_memory(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_chunk_cb on_chunk, sekha_answer_cb cb, void *userdata);

/* Sync form of sekha_workflow_stream_with_memory(). */
SEKHA_API sekha_code sekha_workflow_stream_with_memory_sync(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_chunk_cb on_chunk, void *userdata, sekha_answer **out,
    sekha_error **err);

/* The completion (whole, or for streams the text so far); NULL when that stage was not
 * reached. */
SEKHA_API const sekha_completion *sekha_answer_completion(const sekha_answer *a);

/* The messages sent to the bridge; NULL when the prompt was not built. */
SEKHA_API const sekha_messages *sekha_answer_prompt(const sekha_answer *a);

/* Context assembly's answer as received (context workflows; NULL otherwise or when that
 * stage failed). */
SEKHA_API const sekha_stored_messages *sekha_answer_context(const sekha_answer *a);

/* The search results as received, before label filtering (memory workflows; NULL
 * otherwise or when that stage failed). */
SEKHA_API const sekha_search_results *sekha_answer_search_results(const sekha_answer *a);

/* Number of memories placed in the prompt. */
SEKHA_API size_t sekha_answer_memory_count(const sekha_answer *a);

/* Number of memories recalled (and matching the labels) but left out by the budget. */
SEKHA_API size_t sekha_answer_memory_dropped(const sekha_answer *a);

/* The position of memory i in sekha_answer_context() or sekha_answer_search_results()
 * (for every other detail), (size_t)-1 when i is out of range. Memories are numbered in
 * ranking order, whatever their order in the prompt. */
SEKHA_API size_t sekha_answer_memory_source(const sekha_answer *a, size_t i);

/* The label of the conversation memory i comes from ("" when unknown), NULL when out of
 * range. */
SEKHA_API const char *sekha_answer_memory_label(const sekha_answer *a, size_t i);

/* The text of memory i as placed in the prompt (cut when the budget made it so), NULL
 * when out of range. */
SEKHA_API const char *sekha_answer_memory_text(const sekha_answer *a, size_t i);

/* Estimated tokens of all memories placed in the prompt (at most the budget). */
SEKHA_API size_t sekha_answer_memory_tokens(const sekha_answer *a);

/* Frees an answer handed over by a sync form. NULL is a no-op. */
SEKHA_API void sekha_answer_free(sekha_answer *a);

/* ------------------------------------------------------------------- health check */

/* The health of a deployment: one report per service and an overall verdict. */
typedef struct sekha_deployment_health sekha_deployment_health;

/* Final callback of sekha_workflow_health_check(). A service being down is reported in
 * health, never as err: err is set (and health NULL) only on cancel, client free, a bad
 * argument or no memory. */
typedef void (*sekha_deployment_health_cb)(sekha_request *req, const sekha_error *err,
                                           const sekha_deployment_health *health,
                                           void *userdata);

/* Checks the three services at the same time, so the whole check takes about as long as
 * the slowest one: the controller (GET /health), the bridge (GET /health, as
 * sekha_bridge_health) and MCP (POST /mcp/tools/memory_stats with "{}", which needs the
 * MCP key; it falls back to the controller's). No probe is retried. timeout_ms bounds
 * each probe (0 = 5000; the client's own request and connect timeouts apply as well); a
 * probe without an answer by then is unreachable with SEKHA_E_TIMEOUT. Returns NULL only
 * when out of memory. */
SEKHA_API sekha_request *sekha_workflow_health_check(sekha_client *client, long timeout_ms,
                                                     sekha_deployment_health_cb cb,
                                                     void *userdata);

/* Sync form: *out receives the report (free it with sekha_deployment_health_free). */
SEKHA_API sekha_code sekha_workflow_health_check_sync(sekha_client *client, long timeout_ms,
                                                      sekha_deployment_health **out,
                                                      sekha_error **err);

/* The worst status of the three services. */
SEKHA_API sekha_service_status sekha_deployment_health_overall(const sekha_deployment_health *h);

/* The status of one service. */
SEKHA_API sekha_service_status sekha_deployment_health_status(const sekha_deployment_health *h,
                                                              sekha_service svc);

/* Milliseconds from sending the probe to its outcome (to the deadline for a timeout). */
SEKHA_API double sekha_deployment_health_latency_ms(const sekha_deployment_health *h,
                                                    sekha_service svc);

/* A short human-readable detail ("database ok, chroma ok", "connection refused or
 * unreachable", "the MCP key was rejected ..."), never NULL. */
SEKHA_API const char *sekha_deployment_health_detail(const sekha_deployment_health *h,
                                                     sekha_service svc);

/* The probe's error (NULL when the service answered 2xx), lent by the report. */
SEKHA_API const sekha_error *sekha_deployment_health_error(const sekha_deployment_health *h,
                                                           sekha_service svc);

/* The report as JSON: {"status":..., "services":[{"service","url","status","latency_ms",
 * "detail","error"},...]}, in the order controller, bridge, mcp. */
SEKHA_API const char *sekha_deployment_health_json(const sekha_deployment_health *h);

/* Frees a report handed over by the sync form. NULL is a no-op. */
SEKHA_API void sekha_deployment_health_free(sekha_deployment_health *h);

#ifdef __cplusplus
}
#endif

#endif
