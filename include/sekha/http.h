/* libsekha: raw HTTP requests to a service, with the same retries, rate limiting,
 * timeouts and error layers as the typed calls. Use it for endpoints the typed API does
 * not cover. Server-Sent Events are parsed incrementally when SEKHA_HTTP_STREAM is set.
 */
#ifndef SEKHA_HTTP_H
#define SEKHA_HTTP_H

#include "client.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The request may be re-sent even if the server may already have processed it
 * (GET, PUT and DELETE are idempotent anyway). */
#define SEKHA_HTTP_IDEMPOTENT 0x1u
/* Deliver a text/event-stream answer event by event to the event callback; the stream is
 * timed by the idle timeout instead of the attempt timeout (the call timeout still
 * bounds it as a whole). */
#define SEKHA_HTTP_STREAM 0x2u
/* Never retry this request. */
#define SEKHA_HTTP_NO_RETRY 0x4u
/* Send no Authorization header even when the service has a key. */
#define SEKHA_HTTP_NO_AUTH 0x8u
/* The call timeout (sekha_options_set_call_timeout_ms) does not apply: for a stream meant
 * to stay open (a relay, a notification channel). The idle timeout still does. */
#define SEKHA_HTTP_NO_DEADLINE 0x10u

/* Return values of a sekha_event_cb. */
#define SEKHA_EVENT_CONTINUE 0
#define SEKHA_EVENT_PAUSE 1   /* same as sekha_request_pause() */
#define SEKHA_EVENT_STOP 2    /* end the stream now; the request succeeds */

/* Final callback of a raw request. On success err is NULL. On an HTTP error (status >= 400)
 * both err and resp are set. On other failures resp is NULL. Both are lent. */
typedef void (*sekha_response_cb)(sekha_request *req, const sekha_error *err,
                                  const sekha_response *resp, void *userdata);

/* Called once per SSE event of a streamed answer, before the final callback. */
typedef int (*sekha_event_cb)(sekha_request *req, const sekha_sse_event *ev, void *userdata);

/* Starts a request: `method` is GET, POST, PUT, PATCH or DELETE; `path` (starting with '/')
 * is appended to the service's base URL and must already be percent-encoded; `headers` is
 * NULL or a NULL-terminated list of extra "Name: value" lines (CR/LF rejected). The body is
 * copied. Invalid arguments end the request with SEKHA_E_INVALID_ARG through the callback.
 * Returns NULL only when out of memory, in which case the callback is never called. */
SEKHA_API sekha_request *sekha_http_request(sekha_client *client, sekha_service svc,
                                            const char *method, const char *path,
                                            const char *const *headers,
                                            const char *content_type,
                                            const void *body, size_t body_len,
                                            unsigned flags,
                                            sekha_event_cb on_event,
                                            sekha_response_cb cb, void *userdata);

/* The sync form: runs until the request ends. On success returns SEKHA_OK and *out holds
 * the response (free it with sekha_response_free). On failure returns the error code and
 * stores the error in *err when err is not NULL (and the response of an HTTP error in
 * *out when out is not NULL). */
SEKHA_API sekha_code sekha_http_request_sync(sekha_client *client, sekha_service svc,
                                             const char *method, const char *path,
                                             const char *const *headers,
                                             const char *content_type,
                                             const void *body, size_t body_len,
                                             unsigned flags,
                                             sekha_event_cb on_event, void *userdata,
                                             sekha_response **out, sekha_error **err);

/* The HTTP status code. */
SEKHA_API int sekha_response_status(const sekha_response *resp);

/* The body (NUL-terminated; *len, when given, excludes the NUL). Empty for streams that
 * were delivered as events. */
SEKHA_API const char *sekha_response_body(const sekha_response *resp, size_t *len);

/* The value of a response header (case-insensitive name, first occurrence, trimmed),
 * NULL if absent. Valid while the response is. */
SEKHA_API const char *sekha_response_header(const sekha_response *resp, const char *name);

/* Frees a response returned by a sync call. NULL is a no-op. */
SEKHA_API void sekha_response_free(sekha_response *resp);

/* The event type ("message" when the stream gave none). */
SEKHA_API const char *sekha_sse_event_type(const sekha_sse_event *ev);

/* The event data: data lines joined by '\n', NUL-terminated. *len (optional) excludes it. */
SEKHA_API const char *sekha_sse_event_data(const sekha_sse_event *ev, size_t *len);

/* The last event id seen on the stream ("" when none). */
SEKHA_API const char *sekha_sse_event_id(const sekha_sse_event *ev);

/* The longest reconnection delay a stream can ask for (60 s): larger "retry:" values are
 * clamped to it. */
#define SEKHA_SSE_MAX_RETRY_MS 60000L

/* The reconnection delay the stream asked for with "retry:" (ms), -1 when none so far;
 * otherwise 0 to SEKHA_SSE_MAX_RETRY_MS. A value that is not all ASCII digits is ignored. */
SEKHA_API long sekha_sse_event_retry_ms(const sekha_sse_event *ev);

#ifdef __cplusplus
}
#endif

#endif
