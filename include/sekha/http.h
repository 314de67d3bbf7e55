/** @file http.h
 * @brief Raw HTTP requests to a service, and the responses and Server-Sent Events they give.
 *
 * A raw request gets the same retries, rate limiting, timeouts and error layers as the
 * typed calls. Use it for endpoints the typed API does not cover. The request is written
 * as one line, "METHOD /path" (as octokit's `request("GET /repos/...")`), and everything
 * optional is a parameter (::SEKHA_PARAM_HEADERS, ::SEKHA_PARAM_CONTENT_TYPE,
 * ::SEKHA_PARAM_BODY, ::SEKHA_PARAM_HTTP_FLAGS and the event callback set with
 * sekha_params_set_on_event()). Server-Sent Events are parsed incrementally when
 * ::SEKHA_HTTP_STREAM is set.
 *
 * Ownership follows the one rule of client.h: a response or event given to a callback is
 * lent until the callback returns; sekha_response_copy() gives one the caller owns.
 */
#ifndef SEKHA_HTTP_H
#define SEKHA_HTTP_H

#include "client.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Flag for ::SEKHA_PARAM_HTTP_FLAGS: the request may be re-sent even if the server may
 * already have processed it (GET, PUT and DELETE are idempotent anyway). */
#define SEKHA_HTTP_IDEMPOTENT 0x1u
/** Flag for ::SEKHA_PARAM_HTTP_FLAGS: ask for a text/event-stream answer and deliver it
 * event by event to the event callback (sekha_params_set_on_event()). The stream is timed
 * by the idle timeout instead of the attempt timeout; the call timeout still bounds it as
 * a whole. Any other answer is buffered and handed to the final callback as a body. */
#define SEKHA_HTTP_STREAM 0x2u
/** Flag for ::SEKHA_PARAM_HTTP_FLAGS: never retry this request. */
#define SEKHA_HTTP_NO_RETRY 0x4u
/** Flag for ::SEKHA_PARAM_HTTP_FLAGS: send no Authorization header even when the service
 * has a key. */
#define SEKHA_HTTP_NO_AUTH 0x8u
/** Flag for ::SEKHA_PARAM_HTTP_FLAGS: the call timeout (sekha_options_set_call_timeout_ms())
 * does not apply, for a stream meant to stay open (a relay, a notification channel). The
 * idle timeout still does. */
#define SEKHA_HTTP_NO_DEADLINE 0x10u

/** Return value of a ::sekha_event_cb: go on with the stream. */
#define SEKHA_EVENT_CONTINUE 0
/** Return value of a ::sekha_event_cb: stop reading until sekha_request_resume() (the same
 * as calling sekha_request_pause()). */
#define SEKHA_EVENT_PAUSE 1
/** Return value of a ::sekha_event_cb: end the stream now; the request succeeds. */
#define SEKHA_EVENT_STOP 2

/** The final callback of a raw request.
 *
 * On success err is NULL and resp is the response. On an HTTP error (status >= 400) both
 * are set; after a cut stream (::SEKHA_E_STREAM_CUT) resp holds what arrived. On other
 * failures resp is NULL. Called once per request, from the loop.
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param resp the response or NULL (lent until the callback returns; keep it with
 *        sekha_response_copy()).
 * @param userdata the pointer given to the call. */
typedef void (*sekha_response_cb)(sekha_request *req, const sekha_error *err,
                                  const sekha_response *resp, void *userdata);

/** The event callback of a streamed raw request: called once per SSE event, from the
 * loop, before the final callback.
 * @param req the request.
 * @param ev the event (lent until the callback returns).
 * @param userdata the pointer given to sekha_params_set_on_event() (not the call's).
 * @return ::SEKHA_EVENT_CONTINUE, ::SEKHA_EVENT_PAUSE or ::SEKHA_EVENT_STOP. */
typedef int (*sekha_event_cb)(sekha_request *req, const sekha_sse_event *ev, void *userdata);

/** Sets the event callback of a raw request (::SEKHA_PARAM_ON_EVENT).
 * @param p the parameters.
 * @param fn the callback, called with userdata for each event; NULL unsets the key.
 * @param userdata handed to fn (its own, independent of the call's userdata).
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG when p is NULL. */
SEKHA_API sekha_code sekha_params_set_on_event(sekha_params *p, sekha_event_cb fn,
                                               void *userdata);

/** Starts a raw request.
 *
 * The request line is "METHOD /path": METHOD is GET, POST, PUT, PATCH or DELETE, then one
 * space, then a path starting with '/' that is appended to the service's base URL and must
 * already be percent-encoded (no spaces or control characters). Parameters read:
 *  - ::SEKHA_PARAM_HEADERS: extra "Name: value" lines (no CR/LF; no Authorization, which
 *    comes from sekha_options_set_api_key());
 *  - ::SEKHA_PARAM_CONTENT_TYPE: the body's Content-Type (default: none);
 *  - ::SEKHA_PARAM_BODY: the body (default: empty);
 *  - ::SEKHA_PARAM_HTTP_FLAGS: SEKHA_HTTP_* bits (default: 0);
 *  - ::SEKHA_PARAM_ON_EVENT: the event callback for ::SEKHA_HTTP_STREAM.
 * Everything is copied before the call returns. A bad request line, an unknown flag bit,
 * a parameter the call does not read or any other invalid argument ends the request with
 * ::SEKHA_E_INVALID_ARG through the callback, nothing sent.
 * @param client the client (NULL: returns NULL and calls nothing).
 * @param svc the service whose base URL, key and rate limit apply.
 * @param request_line "METHOD /path".
 * @param params the optional parameters above, NULL for all defaults.
 * @param cb the final callback; comes later from the loop, never from inside this call.
 * @param userdata handed to cb.
 * @return the request handle; NULL only when client is NULL or out of memory (cb is then
 *         never called). */
SEKHA_API sekha_request *sekha_http_request(sekha_client *client, sekha_service svc,
                                            const char *request_line,
                                            const sekha_params *params, sekha_response_cb cb,
                                            void *userdata);

/** The sync form of sekha_http_request(): runs the request on the client's private loop
 * until it ends. An event callback set in params is called from inside this call.
 * @param client the client.
 * @param svc the service.
 * @param request_line "METHOD /path".
 * @param params the optional parameters (see sekha_http_request()), NULL for defaults.
 * @param out receives the response whenever there is one (on success, and with an HTTP
 *        error or a cut stream), owned by the caller: free it with sekha_response_free().
 *        May be NULL.
 * @param err receives the error on failure, owned by the caller (sekha_error_free()).
 *        May be NULL.
 * @return ::SEKHA_OK or the error's code; ::SEKHA_E_INVALID_ARG for a NULL client and
 *         ::SEKHA_E_IN_CALLBACK inside a callback. */
SEKHA_API sekha_code sekha_http_request_sync(sekha_client *client, sekha_service svc,
                                             const char *request_line,
                                             const sekha_params *params,
                                             sekha_response **out, sekha_error **err);

/** The HTTP status code of a response.
 * @param resp the response (NULL reads 0).
 * @return the status, 0 for NULL. */
SEKHA_API int sekha_response_status(const sekha_response *resp);

/** The body of a response.
 * @param resp the response (NULL reads as empty).
 * @param len receives the length without the terminating NUL (may be NULL).
 * @return the body, NUL-terminated, valid as long as the response; empty for a stream
 *         that was delivered as events. */
SEKHA_API const char *sekha_response_body(const sekha_response *resp, size_t *len);

/** The value of a response header: case-insensitive name, first occurrence, trimmed.
 * @param resp the response.
 * @param name the header name.
 * @return the value, valid as long as the response; NULL when absent. */
SEKHA_API const char *sekha_response_header(const sekha_response *resp, const char *name);

/** A response the caller owns.
 *
 * Copying a response lent to a callback copies its body and headers once (the lent one
 * goes back to its request); copying an owned one only takes a reference. The copy
 * outlives the request and the client, and may be read and freed on any thread.
 * @param resp the response.
 * @return the copy, to free with sekha_response_free(); NULL when resp is NULL or out of
 *         memory. */
SEKHA_API sekha_response *sekha_response_copy(const sekha_response *resp);

/** Releases a response the caller owns (from a sync call or sekha_response_copy()).
 * NULL and a response lent to a callback are ignored. Any thread.
 * @param resp the response. */
SEKHA_API void sekha_response_free(sekha_response *resp);

/** The event type.
 * @param ev the event.
 * @return the type, "message" when the stream gave none; valid as long as the event. */
SEKHA_API const char *sekha_sse_event_type(const sekha_sse_event *ev);

/** The event data: its data lines joined by '\\n'.
 * @param ev the event.
 * @param len receives the length without the terminating NUL (may be NULL).
 * @return the data, NUL-terminated, valid as long as the event. */
SEKHA_API const char *sekha_sse_event_data(const sekha_sse_event *ev, size_t *len);

/** The last event id seen on the stream.
 * @param ev the event.
 * @return the id, "" when none; valid as long as the event. */
SEKHA_API const char *sekha_sse_event_id(const sekha_sse_event *ev);

/** The longest reconnection delay a stream can ask for (60 s): larger "retry:" values are
 * clamped to it. */
#define SEKHA_SSE_MAX_RETRY_MS 60000L

/** The reconnection delay the stream asked for with "retry:", in ms.
 * A value that is not all ASCII digits is ignored.
 * @param ev the event.
 * @return -1 when none so far, otherwise 0 to ::SEKHA_SSE_MAX_RETRY_MS. */
SEKHA_API long sekha_sse_event_retry_ms(const sekha_sse_event *ev);

#ifdef __cplusplus
}
#endif

#endif
