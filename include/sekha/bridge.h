/* libsekha: the LLM-bridge sub-client. OpenAI-compatible chat completions (whole, or
 * streamed token by token over Server-Sent Events), embeddings and health.
 *
 * Every call comes in an async form (callback and userdata last, returns the request
 * handle; see client.h for the one-final-callback rule) and a `_sync` form that runs the
 * same request on the client's private loop and hands the result over to the caller.
 *
 * Optional numbers have an explicit "unset" value so that 0 stays a real value:
 * SEKHA_TEMPERATURE_UNSET leaves temperature out of the request, while 0.0 is sent as 0
 * (greedy decoding). SEKHA_MAX_TOKENS_UNSET (0) leaves max_tokens out; max_tokens is at
 * least 1 on every OpenAI-style server, so 0 cannot be a wanted value.
 *
 * Retries: a chat completion or an embedding has no side effect on the server, so both are
 * sent as idempotent requests: a lost connection or a 5xx/408/429 before any part of the
 * answer arrived is retried (as the OpenAI SDKs do) within the client's retry settings. A
 * stream is never retried once its first event has been delivered. Health probes are never
 * retried: a probe reports the state at the time of asking, and a 503 is an answer.
 */
#ifndef SEKHA_BRIDGE_H
#define SEKHA_BRIDGE_H

#include <math.h>

#include "client.h"
#include "http.h"
#include "messages.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------- chat completions */

/* Pass as `temperature` to leave it out (the server's default applies). */
#define SEKHA_TEMPERATURE_UNSET NAN
/* Pass as `max_tokens` to leave it out. */
#define SEKHA_MAX_TOKENS_UNSET 0L

/* A chat completion: the reply of sekha_bridge_complete(), or the text a stream
 * assembled. Strings are NUL-terminated and valid while the completion is. */
typedef struct sekha_completion sekha_completion;

/* One streamed chunk, lent to the chunk callback until it returns. */
typedef struct sekha_chunk sekha_chunk;

/* Final callback of a completion or a stream. For sekha_bridge_complete(), result is
 * NULL when err is set. For streams, result is never NULL (except when out of memory):
 * on an error it holds what arrived before the failure (text so far, role, model...). */
typedef void (*sekha_completion_cb)(sekha_request *req, const sekha_error *err,
                                    const sekha_completion *result, void *userdata);

/* Called once per streamed chunk, in order, before the final callback. Return
 * SEKHA_EVENT_CONTINUE; SEKHA_EVENT_PAUSE to stop reading the socket until
 * sekha_request_resume(req) (backpressure; sekha_request_pause() does the same); or
 * SEKHA_EVENT_STOP to end the stream now with success and the text so far.
 * sekha_request_cancel(req) from here ends it with SEKHA_E_CANCELLED (text so far kept).
 * For a synthetic chunk (see sekha_chunk_synthetic) the answer is already complete and
 * the return value is ignored. */
typedef int (*sekha_chunk_cb)(sekha_request *req, const sekha_chunk *chunk, void *userdata);

/* Asks for one chat completion (POST /v1/chat/completions, "stream": false).
 *   msgs        the conversation (at least one message); copied into the request
 *   model       NULL or "" for the server's default
 *   temperature SEKHA_TEMPERATURE_UNSET, or a finite value >= 0 (0 is sent as 0)
 *   max_tokens  SEKHA_MAX_TOKENS_UNSET, or >= 1
 *   extra_json  NULL, or a JSON object whose members are added to the request body
 *               (e.g. "{\"top_p\":0.9,\"stop\":[\"\\n\"]}"); a member named model,
 *               temperature or max_tokens replaces the argument; "messages" and "stream"
 *               are rejected.
 * Invalid arguments end the request with SEKHA_E_INVALID_ARG through the callback. A 2xx
 * answer with an "error" member is a service-layer SEKHA_E_SERVICE carrying the server's
 * message. Returns NULL only when out of memory (the callback is then never called). */
SEKHA_API sekha_request *sekha_bridge_complete(sekha_client *client, const sekha_messages *msgs,
                                               const char *model, double temperature,
                                               long max_tokens, const char *extra_json,
                                               sekha_completion_cb cb, void *userdata);

/* Sync form of sekha_bridge_complete(). On success *out receives the completion (free it
 * with sekha_completion_free). On failure returns the code and stores the error in *err
 * when err is not NULL. */
SEKHA_API sekha_code sekha_bridge_complete_sync(sekha_client *client, const sekha_messages *msgs,
                                                const char *model, double temperature,
                                                long max_tokens, const char *extra_json,
                                                sekha_completion **out, sekha_error **err);

/* Streams a chat completion: the same request with "stream": true. on_chunk (may be
 * NULL) gets every chunk as it arrives, then cb gets the assembled completion once.
 * Accepted answers:
 *  - OpenAI-style SSE: "data: {chunk}" events ended by "data: [DONE]". Events with empty
 *    data and events whose type is neither "message" nor "error" are skipped. After
 *    [DONE] the reply is whole: later events, and a connection lost then, are ignored.
 *  - one application/json completion (servers that ignore "stream", like today's
 *    sekha-llm-bridge): delivered as one chunk (sekha_chunk_synthetic() is 1).
 * Failures, each with the partial completion in the final callback:
 *  - an in-band error event (data {"error":{...}} or event type "error" inside a 200
 *    stream): SEKHA_E_SERVICE, service layer, with the server's message and code;
 *  - a chunk that is not valid JSON, or whose content is not a string:
 *    SEKHA_E_BAD_RESPONSE, service layer;
 *  - the stream ended before "data: [DONE]" (cut connection or early close):
 *    SEKHA_E_STREAM_CUT, transport layer; sekha_completion_complete() is then 0;
 *  - the assembled text (content and tool calls) would grow past the client's response
 *    limit (sekha_options_set_max_response_bytes): SEKHA_E_TOO_LARGE, transport layer; the
 *    completion holds the chunks that fitted;
 *  - the stream went silent for longer than the stream idle timeout: SEKHA_E_TIMEOUT;
 *  - an HTTP error status (no retry once a chunk was delivered): the HTTP layer.
 * Chunks are decoded by a validating scanner of the usual OpenAI chunk shape, with a
 * full JSON parser for anything else (tool calls, errors, unusual layouts); see the
 * sekha_chunk accessors for what is extracted and sekha_chunk_data() for the rest.
 * Tool-call fragments (choices[0].delta.tool_calls) are assembled into the completion
 * (sekha_completion_tool_call_count); one whose shape is wrong (index not an integer from
 * 0 to 1023, a name or arguments that is not a string) is SEKHA_E_BAD_RESPONSE.
 * Returns NULL only when out of memory (no callback is called then). */
SEKHA_API sekha_request *sekha_bridge_stream_complete(sekha_client *client,
                                                      const sekha_messages *msgs,
                                                      const char *model, double temperature,
                                                      long max_tokens, const char *extra_json,
                                                      sekha_chunk_cb on_chunk,
                                                      sekha_completion_cb cb, void *userdata);

/* Sync form of sekha_bridge_stream_complete(): on_chunk is called from inside this call.
 * *out (when out is not NULL) receives the completion on success AND on failure (the
 * partial text; NULL only when nothing could be allocated): free it with
 * sekha_completion_free. Returns SEKHA_OK or the error code (error in *err). */
SEKHA_API sekha_code sekha_bridge_stream_complete_sync(sekha_client *client,
                                                       const sekha_messages *msgs,
                                                       const char *model, double temperature,
                                                       long max_tokens, const char *extra_json,
                                                       sekha_chunk_cb on_chunk, void *userdata,
                                                       sekha_completion **out,
                                                       sekha_error **err);

/* The reply text (the assembled text for streams; "" when none). *len (optional) gets its
 * length in bytes, which counts any NUL bytes the server sent as \u0000. */
SEKHA_API const char *sekha_completion_content(const sekha_completion *c, size_t *len);

/* The role of the reply ("assistant"), NULL when the server sent none. */
SEKHA_API const char *sekha_completion_role(const sekha_completion *c);

/* The finish reason ("stop", "length", "tool_calls", ...), NULL when none was received
 * (e.g. a stream cut before its last chunk). */
SEKHA_API const char *sekha_completion_finish_reason(const sekha_completion *c);

/* The model that answered, NULL when not sent. */
SEKHA_API const char *sekha_completion_model(const sekha_completion *c);

/* The completion id ("chatcmpl-..."), NULL when not sent. */
SEKHA_API const char *sekha_completion_id(const sekha_completion *c);

/* Token usage: returns 1 and fills the non-NULL pointers when the server sent a usage
 * object, 0 otherwise (then the pointers are set to -1). */
SEKHA_API int sekha_completion_usage(const sekha_completion *c, long *prompt_tokens,
                                     long *completion_tokens, long *total_tokens);

/* 1 when the reply arrived as SSE chunks, 0 when as one JSON completion. */
SEKHA_API int sekha_completion_streamed(const sekha_completion *c);

/* Number of chunks delivered to the chunk callback (0 for sekha_bridge_complete). */
SEKHA_API size_t sekha_completion_chunks(const sekha_completion *c);

/* 1 when the reply is whole (a JSON completion, or a stream that reached [DONE]), 0 when
 * it is the partial text of a failed, stopped or cancelled stream. */
SEKHA_API int sekha_completion_complete(const sekha_completion *c);

/* Number of tool calls the reply makes (finish_reason "tool_calls"): the assembled
 * choices[0].delta.tool_calls fragments of a stream, or choices[0].message.tool_calls of
 * a JSON answer, in index order. 0 when none. A stream cut short keeps the fragments that
 * arrived (arguments may then be incomplete JSON). */
SEKHA_API size_t sekha_completion_tool_call_count(const sekha_completion *c);

/* The id of tool call i ("call_..."), to answer it with sekha_messages_add_tool_result;
 * NULL when i is out of range or the server sent none. */
SEKHA_API const char *sekha_completion_tool_call_id(const sekha_completion *c, size_t i);

/* The type of tool call i: as sent, "function" when the server sent none; NULL when i is
 * out of range. */
SEKHA_API const char *sekha_completion_tool_call_type(const sekha_completion *c, size_t i);

/* The name of the function tool call i calls, NULL when i is out of range or none was
 * sent. */
SEKHA_API const char *sekha_completion_tool_call_name(const sekha_completion *c, size_t i);

/* The arguments of tool call i as the model wrote them (normally a JSON object as text;
 * not checked), "" when none were sent, NULL when i is out of range. *len (optional) gets
 * the length in bytes. */
SEKHA_API const char *sekha_completion_tool_call_arguments(const sekha_completion *c, size_t i,
                                                           size_t *len);

/* The completion as JSON text: the body as received for a JSON answer; for a stream, a
 * chat.completion object built from what was assembled (id, model, choices[0] with
 * message {role, content, tool_calls when any} and finish_reason, usage when sent; content
 * is null when the reply only calls tools, as OpenAI sends it). NULL on no memory. Valid
 * while c is; not safe to call on one completion from two threads at once. */
SEKHA_API const char *sekha_completion_json(const sekha_completion *c);

/* A deep copy of a completion (e.g. to keep one lent to a callback), NULL on no memory.
 * Free it with sekha_completion_free. */
SEKHA_API sekha_completion *sekha_completion_copy(const sekha_completion *c);

/* Frees a completion returned by a sync call or sekha_completion_copy. NULL is a no-op. */
SEKHA_API void sekha_completion_free(sekha_completion *c);

/* The text this chunk adds ("" when none). *len (optional) gets its length in bytes.
 * NUL-terminated. */
SEKHA_API const char *sekha_chunk_content(const sekha_chunk *ch, size_t *len);

/* The role announced by this chunk (usually only the first), NULL when none. */
SEKHA_API const char *sekha_chunk_role(const sekha_chunk *ch);

/* The finish reason carried by this chunk (usually only the last), NULL when none. */
SEKHA_API const char *sekha_chunk_finish_reason(const sekha_chunk *ch);

/* The raw JSON of the chunk as received (the event data; the whole body for a synthetic
 * chunk), for fields without an accessor such as the tool-call fragments (assembled in
 * the completion: sekha_completion_tool_call_count). */
SEKHA_API const char *sekha_chunk_data(const sekha_chunk *ch, size_t *len);

/* The 0-based position of the chunk in the stream. */
SEKHA_API size_t sekha_chunk_index(const sekha_chunk *ch);

/* 1 when the server answered one JSON completion and this chunk stands for all of it. */
SEKHA_API int sekha_chunk_synthetic(const sekha_chunk *ch);

/* --------------------------------------------------------------------- embeddings */

/* Which embedding endpoint and wire shape to use. */
typedef enum sekha_embed_api {
    /* POST /embed {text, model?} -> {embedding, model, dimension, tokens_used}: the
     * sekha-llm-bridge route the Python SDK uses. One text per request. */
    SEKHA_EMBED_SEKHA = 0,
    /* POST /api/v1/embed: the same shape under the versioned path the JS SDK uses. */
    SEKHA_EMBED_SEKHA_V1 = 1,
    /* POST /v1/embeddings {input: [texts], model?, encoding_format: "float"} ->
     * {data: [{index, embedding}], model, usage}: OpenAI-compatible servers. */
    SEKHA_EMBED_OPENAI = 2
} sekha_embed_api;

/* Embedding vectors, one per input text, in input order. */
typedef struct sekha_embeddings sekha_embeddings;

/* Final callback of sekha_bridge_embed(); result is NULL when err is set. */
typedef void (*sekha_embeddings_cb)(sekha_request *req, const sekha_error *err,
                                    const sekha_embeddings *result, void *userdata);

/* Embeds n texts (UTF-8, copied). The Sekha shapes take exactly one text per request
 * (n must be 1); SEKHA_EMBED_OPENAI takes 1 to 2048. model NULL or "" = the server's
 * default. A reply whose vectors are missing, not numbers, of differing lengths, not
 * matching "dimension", or fewer/more than the inputs is SEKHA_E_BAD_RESPONSE. Returns
 * NULL only when out of memory. */
SEKHA_API sekha_request *sekha_bridge_embed(sekha_client *client, const char *const *texts,
                                            size_t n, const char *model, sekha_embed_api api,
                                            sekha_embeddings_cb cb, void *userdata);

/* Sync form of sekha_bridge_embed(); *out receives the result (free it with
 * sekha_embeddings_free). */
SEKHA_API sekha_code sekha_bridge_embed_sync(sekha_client *client, const char *const *texts,
                                             size_t n, const char *model, sekha_embed_api api,
                                             sekha_embeddings **out, sekha_error **err);

/* Number of vectors. */
SEKHA_API size_t sekha_embeddings_count(const sekha_embeddings *e);

/* Vector i (NULL when out of range); *dim (optional) gets its length. */
SEKHA_API const float *sekha_embeddings_vector(const sekha_embeddings *e, size_t i, size_t *dim);

/* The model that answered, NULL when not sent. */
SEKHA_API const char *sekha_embeddings_model(const sekha_embeddings *e);

/* Tokens the server counted (tokens_used, or usage.prompt_tokens), -1 when not sent. */
SEKHA_API long sekha_embeddings_tokens(const sekha_embeddings *e);

/* The reply body as received. */
SEKHA_API const char *sekha_embeddings_json(const sekha_embeddings *e);

/* Frees embeddings returned by a sync call. NULL is a no-op. */
SEKHA_API void sekha_embeddings_free(sekha_embeddings *e);

/* ------------------------------------------------------------------------- health */

/* The verdict drawn from GET /health. */
typedef enum sekha_bridge_verdict {
    SEKHA_BRIDGE_HEALTHY = 0,   /* status "healthy" (and ollama_status, when sent, too) */
    SEKHA_BRIDGE_DEGRADED = 1,  /* status or ollama_status.status "degraded" */
    SEKHA_BRIDGE_UNHEALTHY = 2  /* anything else ("unhealthy", missing, unknown) */
} sekha_bridge_verdict;

/* The bridge's health report. */
typedef struct sekha_bridge_health_report sekha_bridge_health_report;

/* Final callback of sekha_bridge_health(); result is NULL when err is set. */
typedef void (*sekha_bridge_health_cb)(sekha_request *req, const sekha_error *err,
                                       const sekha_bridge_health_report *result, void *userdata);

/* GET /health, never retried (a probe reports the state at the time of asking; a 503 is
 * an answer). An HTTP error (the bridge answers 503 when its check itself fails) is
 * reported as the error, not as a verdict. Returns NULL only when out of memory. */
SEKHA_API sekha_request *sekha_bridge_health(sekha_client *client, sekha_bridge_health_cb cb,
                                             void *userdata);

/* Sync form of sekha_bridge_health(); *out receives the report (free it with
 * sekha_bridge_health_free). */
SEKHA_API sekha_code sekha_bridge_health_sync(sekha_client *client, sekha_bridge_health_report **out,
                                              sekha_error **err);

/* The verdict. */
SEKHA_API sekha_bridge_verdict sekha_bridge_health_verdict(const sekha_bridge_health_report *h);

/* Static name of a verdict: "healthy", "degraded" or "unhealthy". */
SEKHA_API const char *sekha_bridge_verdict_name(sekha_bridge_verdict v);

/* The top-level "status" string as sent, NULL when absent. */
SEKHA_API const char *sekha_bridge_health_status(const sekha_bridge_health_report *h);

/* The reason the bridge gave for being unhealthy (ollama_status.reason), NULL if none. */
SEKHA_API const char *sekha_bridge_health_reason(const sekha_bridge_health_report *h);

/* The report as received (JSON text). */
SEKHA_API const char *sekha_bridge_health_json(const sekha_bridge_health_report *h);

/* Frees a report returned by a sync call. NULL is a no-op. */
SEKHA_API void sekha_bridge_health_free(sekha_bridge_health_report *h);

#ifdef __cplusplus
}
#endif

#endif
