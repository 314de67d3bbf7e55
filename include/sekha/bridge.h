/** @file bridge.h
 * @brief The LLM-bridge sub-client: OpenAI-compatible chat completions (whole, or streamed
 * token by token over Server-Sent Events), embeddings and health.
 *
 * Every call comes in an async form (final callback and userdata last, returns the
 * request handle; see client.h for the one-final-callback rule) and a `_sync` form that
 * runs the same request on the client's private loop and hands the result over to the
 * caller. Optional arguments are keys of a ::sekha_params (NULL = all defaults); each
 * call lists the keys it reads, and any other key set makes it fail with
 * ::SEKHA_E_INVALID_ARG naming the key, before anything is sent.
 *
 * A key that is not set is left out of the request, so 0 stays a real value: a
 * ::SEKHA_PARAM_TEMPERATURE of 0 is sent as 0 (greedy decoding), an unset one is not sent
 * (the server's default applies). Note that sekha-llm-bridge itself replaces a
 * temperature of 0 with its default, 0.7 (it reads "temperature or 0.7"), so 0 means
 * greedy decoding only on bridges that keep it.
 *
 * Ownership: a result given to a callback is lent until the callback returns;
 * sekha_completion_copy() and sekha_embeddings_copy() return one the caller owns;
 * sekha_completion_free() and sekha_embeddings_free() release it. Results are immutable
 * and shared with an atomic count, so a copy is cheap and may be read and freed on any
 * thread. A ::sekha_chunk is an event, not a result: it is lent to the chunk callback
 * until that returns, and has no copy.
 *
 * Retries: a chat completion or an embedding has no side effect on the server, so both are
 * sent as idempotent requests: a lost connection or a 5xx/408/429 before any part of the
 * answer arrived is retried (as the OpenAI SDKs do) within the client's retry settings. A
 * stream is never retried once its first event has been delivered. Health probes are never
 * retried: a probe reports the state at the time of asking, and a 503 is an answer.
 */
#ifndef SEKHA_BRIDGE_H
#define SEKHA_BRIDGE_H

#include "client.h"
#include "health.h"
#include "http.h"
#include "messages.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------- chat completions */

/** A chat completion: the reply of sekha_bridge_complete(), or the text a stream
 * assembled (opaque). Strings it returns are NUL-terminated and valid while the
 * completion is. Immutable once handed to the final callback, so its accessors are safe
 * from several threads at once. */
typedef struct sekha_completion sekha_completion;

/** One streamed chunk (opaque): an event, not a result. It is lent to the chunk callback
 * until that returns and has no copy; keep what you need from it (sekha_chunk_content())
 * or read the assembled text from the completion in the final callback. */
typedef struct sekha_chunk sekha_chunk;

/** The final callback of a completion or a stream, called once per request from the
 * loop.
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param result for sekha_bridge_complete(): the completion, NULL when err is set. For
 *        streams: never NULL (except when out of memory); on an error it holds what
 *        arrived before the failure (text so far, role, model...). Lent until the
 *        callback returns: keep it with sekha_completion_copy().
 * @param userdata the pointer given to the call. */
typedef void (*sekha_completion_cb)(sekha_request *req, const sekha_error *err,
                                    const sekha_completion *result, void *userdata);

/** Called once per streamed chunk, in order, before the final callback (set with
 * sekha_params_set_on_chunk()).
 * sekha_request_cancel(req) from here ends the stream with ::SEKHA_E_CANCELLED (the text
 * so far is kept). For a synthetic chunk (see sekha_chunk_synthetic()) the answer is
 * already complete and the return value is ignored.
 * @param req the stream's request.
 * @param chunk the chunk, lent until the callback returns.
 * @param userdata the pointer given to sekha_params_set_on_chunk() (not the call's).
 * @return ::SEKHA_EVENT_CONTINUE; ::SEKHA_EVENT_PAUSE to stop reading the socket until
 *         sekha_request_resume(req) (backpressure; sekha_request_pause() does the same);
 *         or ::SEKHA_EVENT_STOP to end the stream now with success and the text so far. */
typedef int (*sekha_chunk_cb)(sekha_request *req, const sekha_chunk *chunk, void *userdata);

/** Sets the chunk callback of a stream (::SEKHA_PARAM_ON_CHUNK), read by
 * sekha_bridge_stream_complete() and its sync form.
 * @param p the parameters.
 * @param fn the callback; NULL unsets the key.
 * @param userdata handed to fn with every chunk (the call's own userdata goes to the
 *        final callback only).
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG when p is NULL. */
SEKHA_API sekha_code sekha_params_set_on_chunk(sekha_params *p, sekha_chunk_cb fn,
                                               void *userdata);

/** Asks for one chat completion (POST /v1/chat/completions, "stream": false).
 *
 * Keys read from params (any other key set fails the call):
 * - ::SEKHA_PARAM_MODEL: the model; default (unset or "") the server's default.
 * - ::SEKHA_PARAM_TEMPERATURE: 0 to 2, the bridge's own limit (above 2 the call fails
 *   with ::SEKHA_E_INVALID_ARG naming the limit, nothing sent); 0 is sent as 0, though a
 *   bridge may replace it with 0.7 (see above); default: not sent.
 * - ::SEKHA_PARAM_MAX_TOKENS: >= 1; default: not sent.
 * - ::SEKHA_PARAM_EXTRA_JSON: a JSON object whose members are added to the request body
 *   (e.g. "{\"top_p\":0.9,\"stop\":[\"\\n\"]}"); a member named model, temperature or
 *   max_tokens replaces the parameter; "messages" and "stream" are rejected, and so is a
 *   member named twice. Default: nothing added.
 *
 * Invalid arguments end the request with ::SEKHA_E_INVALID_ARG through the callback,
 * nothing sent. A 2xx answer with an "error" member is a service-layer ::SEKHA_E_SERVICE
 * carrying the server's message. The final callback comes later from the loop, never from
 * inside this call.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param msgs the conversation (at least one message, no failed add); read before the
 *        call returns.
 * @param params the optional parameters above, or NULL for all defaults; read before the
 *        call returns.
 * @param cb the final callback (may be NULL).
 * @param userdata handed to cb.
 * @return the request handle; NULL only when out of memory or client is NULL (the
 *         callback is then never called). */
SEKHA_API sekha_request *sekha_bridge_complete(sekha_client *client, const sekha_messages *msgs,
                                               const sekha_params *params,
                                               sekha_completion_cb cb, void *userdata);

/** The sync form of sekha_bridge_complete(): the same request run on the client's
 * private loop.
 * @param client the client.
 * @param msgs the conversation, as for sekha_bridge_complete().
 * @param params as for sekha_bridge_complete().
 * @param out receives the completion on success (NULL on failure), yours to free with
 *        sekha_completion_free(); may be NULL.
 * @param err receives the error on failure, yours to free with sekha_error_free(); may be
 *        NULL.
 * @return ::SEKHA_OK or the error's code (::SEKHA_E_INVALID_ARG for a NULL client,
 *         ::SEKHA_E_IN_CALLBACK inside a callback). */
SEKHA_API sekha_code sekha_bridge_complete_sync(sekha_client *client, const sekha_messages *msgs,
                                                const sekha_params *params,
                                                sekha_completion **out, sekha_error **err);

/** Streams a chat completion: the request of sekha_bridge_complete() with
 * "stream": true. The chunk callback (::SEKHA_PARAM_ON_CHUNK, optional) gets every chunk
 * as it arrives, then cb gets the assembled completion once.
 *
 * Keys read from params: those of sekha_bridge_complete() and ::SEKHA_PARAM_ON_CHUNK
 * (sekha_params_set_on_chunk(); default: no chunk callback). They are read once, when the
 * call is made.
 *
 * Accepted answers:
 * - OpenAI-style SSE: "data: {chunk}" events ended by "data: [DONE]". Events with empty
 *   data and events whose type is neither "message" nor "error" are skipped. After
 *   [DONE] the reply is whole: later events, and a connection lost then, are ignored.
 * - one application/json completion (servers that ignore "stream", like today's
 *   sekha-llm-bridge): delivered as one chunk (sekha_chunk_synthetic() is 1).
 *
 * Failures, each with the partial completion in the final callback:
 * - an in-band error event (data {"error":{...}} or event type "error" inside a 200
 *   stream): ::SEKHA_E_SERVICE, service layer, with the server's message and code;
 * - a chunk that is not valid JSON, or whose content is not a string:
 *   ::SEKHA_E_BAD_RESPONSE, service layer;
 * - the stream ended before "data: [DONE]" (cut connection or early close):
 *   ::SEKHA_E_STREAM_CUT, transport layer; sekha_completion_complete() is then 0;
 * - the assembled text (content and tool calls) would grow past the client's response
 *   limit (sekha_options_set_max_response_bytes()): ::SEKHA_E_TOO_LARGE, transport layer;
 *   the completion holds the chunks that fitted;
 * - the stream went silent for longer than the stream idle timeout: ::SEKHA_E_TIMEOUT;
 * - an HTTP error status (no retry once a chunk was delivered): the HTTP layer;
 * - invalid arguments: ::SEKHA_E_INVALID_ARG, nothing sent (with an empty completion).
 *
 * Chunks are decoded by a validating scanner of the usual OpenAI chunk shape, with a
 * full JSON parser for anything else (tool calls, errors, unusual layouts); see the
 * ::sekha_chunk accessors for what is extracted and sekha_chunk_data() for the rest.
 * Tool-call fragments (choices[0].delta.tool_calls) are assembled into the completion
 * (sekha_completion_tool_call_count()); one whose shape is wrong (index not an integer
 * from 0 to 1023, a name or arguments that is not a string) is ::SEKHA_E_BAD_RESPONSE.
 * Chunk callbacks and the final callback come from the loop, never from inside this call.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param msgs the conversation, as for sekha_bridge_complete().
 * @param params the optional parameters above, or NULL for all defaults.
 * @param cb the final callback (may be NULL).
 * @param userdata handed to cb.
 * @return the request handle; NULL only when out of memory or client is NULL (no callback
 *         is called then). */
SEKHA_API sekha_request *sekha_bridge_stream_complete(sekha_client *client,
                                                      const sekha_messages *msgs,
                                                      const sekha_params *params,
                                                      sekha_completion_cb cb, void *userdata);

/** The sync form of sekha_bridge_stream_complete(): the chunk callback
 * (::SEKHA_PARAM_ON_CHUNK) is called from inside this call.
 * @param client the client.
 * @param msgs the conversation, as for sekha_bridge_complete().
 * @param params as for sekha_bridge_stream_complete().
 * @param out receives the completion on success AND on failure (the partial text; NULL
 *        only when nothing could be allocated), yours to free with
 *        sekha_completion_free(); may be NULL.
 * @param err receives the error on failure, yours to free with sekha_error_free(); may be
 *        NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_stream_complete_sync(sekha_client *client,
                                                       const sekha_messages *msgs,
                                                       const sekha_params *params,
                                                       sekha_completion **out,
                                                       sekha_error **err);

/** The reply text (the assembled text for streams).
 * @param c the completion.
 * @param len receives the length in bytes, which counts any NUL bytes the server sent as
 *        \\u0000 (may be NULL).
 * @return the text, "" when none (or c is NULL). */
SEKHA_API const char *sekha_completion_content(const sekha_completion *c, size_t *len);

/** The role of the reply.
 * @param c the completion.
 * @return the role ("assistant"), NULL when the server sent none. */
SEKHA_API const char *sekha_completion_role(const sekha_completion *c);

/** The finish reason.
 * @param c the completion.
 * @return "stop", "length", "tool_calls", ...; NULL when none was received (e.g. a stream
 *         cut before its last chunk). */
SEKHA_API const char *sekha_completion_finish_reason(const sekha_completion *c);

/** The model that answered.
 * @param c the completion.
 * @return the model, NULL when not sent. */
SEKHA_API const char *sekha_completion_model(const sekha_completion *c);

/** The completion id.
 * @param c the completion.
 * @return the id ("chatcmpl-..."), NULL when not sent. */
SEKHA_API const char *sekha_completion_id(const sekha_completion *c);

/** Token usage.
 * @param c the completion.
 * @param prompt_tokens receives the prompt's tokens, -1 when not sent (may be NULL).
 * @param completion_tokens receives the reply's tokens, -1 when not sent (may be NULL).
 * @param total_tokens receives the total, -1 when not sent (may be NULL).
 * @return 1 when the server sent a usage object, else 0. */
SEKHA_API int sekha_completion_usage(const sekha_completion *c, long *prompt_tokens,
                                     long *completion_tokens, long *total_tokens);

/** How the reply arrived.
 * @param c the completion.
 * @return 1 when as SSE chunks, 0 when as one JSON completion. */
SEKHA_API int sekha_completion_streamed(const sekha_completion *c);

/** The number of chunks delivered to the chunk callback.
 * @param c the completion.
 * @return the count (0 for sekha_bridge_complete()). */
SEKHA_API size_t sekha_completion_chunks(const sekha_completion *c);

/** Whether the reply is whole.
 * @param c the completion.
 * @return 1 for a JSON completion or a stream that reached [DONE], 0 for the partial text
 *         of a failed, stopped or cancelled stream. */
SEKHA_API int sekha_completion_complete(const sekha_completion *c);

/** The number of tool calls the reply makes (finish_reason "tool_calls"): the assembled
 * choices[0].delta.tool_calls fragments of a stream, or choices[0].message.tool_calls of
 * a JSON answer, in index order. A stream cut short keeps the fragments that arrived
 * (arguments may then be incomplete JSON).
 * @param c the completion.
 * @return the count, 0 when none. */
SEKHA_API size_t sekha_completion_tool_call_count(const sekha_completion *c);

/** The id of a tool call, to answer it with sekha_messages_add_tool_result().
 * @param c the completion.
 * @param i the call's position.
 * @return the id ("call_..."), NULL when i is out of range or the server sent none. */
SEKHA_API const char *sekha_completion_tool_call_id(const sekha_completion *c, size_t i);

/** The type of a tool call.
 * @param c the completion.
 * @param i the call's position.
 * @return the type as sent, "function" when the server sent none; NULL when i is out of
 *         range. */
SEKHA_API const char *sekha_completion_tool_call_type(const sekha_completion *c, size_t i);

/** The name of the function a tool call calls.
 * @param c the completion.
 * @param i the call's position.
 * @return the name, NULL when i is out of range or none was sent. */
SEKHA_API const char *sekha_completion_tool_call_name(const sekha_completion *c, size_t i);

/** The arguments of a tool call as the model wrote them (normally a JSON object as text;
 * not checked).
 * @param c the completion.
 * @param i the call's position.
 * @param len receives the length in bytes (may be NULL).
 * @return the arguments, "" when none were sent, NULL when i is out of range. */
SEKHA_API const char *sekha_completion_tool_call_arguments(const sekha_completion *c, size_t i,
                                                           size_t *len);

/** The completion as JSON text: the body as received for a JSON answer; for a stream, a
 * chat.completion object built from what was assembled (id, model, choices[0] with
 * message {role, content, tool_calls when any} and finish_reason, usage when sent;
 * content is null when the reply only calls tools, as OpenAI sends it). The text of a
 * stream is built on first use, once: this is safe from several threads at once.
 * @param c the completion.
 * @return the JSON text, valid while c is; NULL on no memory. */
SEKHA_API const char *sekha_completion_json(const sekha_completion *c);

/** Gives you a completion you own, to keep past a callback or pass to another thread.
 * Cheap: the completion is shared, not duplicated.
 * @param c the completion.
 * @return the same completion, now also yours: release it with sekha_completion_free();
 *         NULL when c is NULL. */
SEKHA_API sekha_completion *sekha_completion_copy(const sekha_completion *c);

/** Releases a completion you own (a sync result or a copy), on any thread.
 * @param c the completion; NULL is a no-op. */
SEKHA_API void sekha_completion_free(sekha_completion *c);

/** The text this chunk adds.
 * @param ch the chunk.
 * @param len receives its length in bytes (may be NULL).
 * @return the text, NUL-terminated; "" when none. */
SEKHA_API const char *sekha_chunk_content(const sekha_chunk *ch, size_t *len);

/** The role this chunk announces (usually only the first chunk does).
 * @param ch the chunk.
 * @return the role, NULL when none. */
SEKHA_API const char *sekha_chunk_role(const sekha_chunk *ch);

/** The finish reason this chunk carries (usually only the last chunk does).
 * @param ch the chunk.
 * @return the finish reason, NULL when none. */
SEKHA_API const char *sekha_chunk_finish_reason(const sekha_chunk *ch);

/** The raw JSON of the chunk as received (the event data; the whole body for a synthetic
 * chunk), for fields without an accessor such as the tool-call fragments (assembled in
 * the completion: sekha_completion_tool_call_count()).
 * @param ch the chunk.
 * @param len receives its length in bytes (may be NULL).
 * @return the JSON text, lent with the chunk. */
SEKHA_API const char *sekha_chunk_data(const sekha_chunk *ch, size_t *len);

/** The position of the chunk in the stream.
 * @param ch the chunk.
 * @return the 0-based index. */
SEKHA_API size_t sekha_chunk_index(const sekha_chunk *ch);

/** Whether the chunk stands for a whole answer.
 * @param ch the chunk.
 * @return 1 when the server answered one JSON completion and this chunk stands for all of
 *         it, else 0. */
SEKHA_API int sekha_chunk_synthetic(const sekha_chunk *ch);

/* --------------------------------------------------------------------- embeddings */

/** Which embedding endpoint and wire shape to use (::SEKHA_PARAM_EMBED_API). */
typedef enum sekha_embed_api {
    /** POST /embed {text, model?} -> {embedding, model, dimension, tokens_used}: the
     * sekha-llm-bridge route the Python SDK uses. One text per request. */
    SEKHA_EMBED_SEKHA = 0,
    /** POST /api/v1/embed: the same shape under the versioned path the JS SDK uses. */
    SEKHA_EMBED_SEKHA_V1 = 1,
    /** POST /v1/embeddings {input: [texts], model?, encoding_format: "float"} ->
     * {data: [{index, embedding}], model, usage}: OpenAI-compatible servers. */
    SEKHA_EMBED_OPENAI = 2
} sekha_embed_api;

/** Embedding vectors, one per input text, in input order (opaque). Immutable: its
 * accessors are safe from several threads at once. */
typedef struct sekha_embeddings sekha_embeddings;

/** The final callback of sekha_bridge_embed(), called once per request from the loop.
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param result the vectors, NULL when err is set; lent until the callback returns (keep
 *        them with sekha_embeddings_copy()).
 * @param userdata the pointer given to the call. */
typedef void (*sekha_embeddings_cb)(sekha_request *req, const sekha_error *err,
                                    const sekha_embeddings *result, void *userdata);

/** Embeds texts. A reply whose vectors are missing, not numbers, of differing lengths,
 * not matching "dimension", or fewer/more than the inputs is ::SEKHA_E_BAD_RESPONSE.
 *
 * Keys read from params (any other key set fails the call):
 * - ::SEKHA_PARAM_MODEL: the embedding model; default (unset or "") the server's default.
 * - ::SEKHA_PARAM_EMBED_API: a ::sekha_embed_api value; default ::SEKHA_EMBED_SEKHA.
 *
 * Invalid arguments end the request with ::SEKHA_E_INVALID_ARG through the callback,
 * nothing sent. The final callback comes later from the loop, never from inside this
 * call.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param texts the texts, UTF-8; read before the call returns.
 * @param n how many: the Sekha shapes take exactly one text per request (n must be 1);
 *        ::SEKHA_EMBED_OPENAI takes 1 to 2048.
 * @param params the optional parameters above, or NULL for all defaults.
 * @param cb the final callback (may be NULL).
 * @param userdata handed to cb.
 * @return the request handle; NULL only when out of memory or client is NULL (no callback
 *         is called then). */
SEKHA_API sekha_request *sekha_bridge_embed(sekha_client *client, const char *const *texts,
                                            size_t n, const sekha_params *params,
                                            sekha_embeddings_cb cb, void *userdata);

/** The sync form of sekha_bridge_embed().
 * @param client the client.
 * @param texts the texts, as for sekha_bridge_embed().
 * @param n how many, as for sekha_bridge_embed().
 * @param params as for sekha_bridge_embed().
 * @param out receives the vectors on success, yours to free with sekha_embeddings_free();
 *        may be NULL.
 * @param err receives the error on failure, yours to free with sekha_error_free(); may be
 *        NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_embed_sync(sekha_client *client, const char *const *texts,
                                             size_t n, const sekha_params *params,
                                             sekha_embeddings **out, sekha_error **err);

/** The number of vectors.
 * @param e the embeddings.
 * @return the count (one per input). */
SEKHA_API size_t sekha_embeddings_count(const sekha_embeddings *e);

/** One vector.
 * @param e the embeddings.
 * @param i the input's position.
 * @param dim receives the vector's length (may be NULL).
 * @return the vector (valid while e is), NULL when i is out of range. */
SEKHA_API const float *sekha_embeddings_vector(const sekha_embeddings *e, size_t i, size_t *dim);

/** The model that answered.
 * @param e the embeddings.
 * @return the model, NULL when not sent. */
SEKHA_API const char *sekha_embeddings_model(const sekha_embeddings *e);

/** The tokens the server counted (tokens_used, or usage.prompt_tokens).
 * @param e the embeddings.
 * @return the count, -1 when not sent. */
SEKHA_API long sekha_embeddings_tokens(const sekha_embeddings *e);

/** The reply as received.
 * @param e the embeddings.
 * @return the body (JSON text, valid while e is). */
SEKHA_API const char *sekha_embeddings_json(const sekha_embeddings *e);

/** Gives you embeddings you own, to keep past a callback or pass to another thread.
 * Cheap: they are shared, not duplicated.
 * @param e the embeddings.
 * @return the same embeddings, now also yours: release them with sekha_embeddings_free();
 *         NULL when e is NULL. */
SEKHA_API sekha_embeddings *sekha_embeddings_copy(const sekha_embeddings *e);

/** Releases embeddings you own (a sync result or a copy), on any thread.
 * @param e the embeddings; NULL is a no-op. */
SEKHA_API void sekha_embeddings_free(sekha_embeddings *e);

/* ------------------------------------------------------------------------- health */

/** Probes the bridge: GET /health, answered with a ::sekha_health whose verdict
 * (sekha_health_status()) is the worse of the bridge's "status" and of its provider check
 * (ollama_status.status), and whose reason (sekha_health_reason()) is
 * ollama_status.reason. Never retried (a probe reports the state at the time of asking;
 * a 503 is an answer): an HTTP error (the bridge answers 503 when its check itself fails)
 * is reported as the error, not as a report. The final callback comes later from the
 * loop, never from inside this call.
 * @param client the client; NULL returns NULL and calls nothing.
 * @param cb the final callback (may be NULL).
 * @param userdata handed to cb.
 * @return the request handle; NULL only when out of memory or client is NULL (no callback
 *         is called then). */
SEKHA_API sekha_request *sekha_bridge_health(sekha_client *client, sekha_health_cb cb,
                                             void *userdata);

/** The sync form of sekha_bridge_health().
 * @param client the client.
 * @param out receives the report on success, yours to free with sekha_health_free(); may
 *        be NULL.
 * @param err receives the error on failure, yours to free with sekha_error_free(); may be
 *        NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_health_sync(sekha_client *client, sekha_health **out,
                                              sekha_error **err);

#ifdef __cplusplus
}
#endif

#endif
