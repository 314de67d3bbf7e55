/** @file trace.h
 * @brief Trace events: one for every HTTP attempt and one for every request's end, with
 * libcurl's timings, byte counts, retry decisions and W3C trace context.
 *
 * Install a callback with sekha_options_set_trace(). The event given to it is lent until
 * the callback returns; read it with the accessors below or take it whole as one JSON
 * object with sekha_trace_event_json(). Events never hold a secret: no header is
 * included, and an API key configured in the client is replaced by "[REDACTED]" wherever
 * it would appear.
 *
 * Every request has a trace id (32 lowercase hex digits) and a span id (16): a request
 * made inside a workflow (or any composed call) shares its parent's trace id and names the
 * parent in sekha_trace_event_parent_id(); a top-level request gets a new random trace id,
 * or the one given to sekha_client_set_trace_parent(). The span id is made once per
 * request and kept by its retries. Both travel in the `traceparent` header
 * (`00-<trace id>-<span id>-<flags>`) unless sekha_options_set_traceparent() turned it
 * off.
 *
 * With no callback installed, tracing costs nothing: libcurl is not asked for timings and
 * no clock is read for it.
 */
#ifndef SEKHA_TRACE_H
#define SEKHA_TRACE_H

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One trace event (opaque), lent to the trace callback until it returns. */
typedef struct sekha_trace_event sekha_trace_event;

/** What a trace event reports. */
typedef enum sekha_trace_kind {
    SEKHA_TRACE_ATTEMPT = 1, /**< one HTTP attempt ended (success, HTTP error, transport
                                  error), with the retry decision */
    SEKHA_TRACE_END = 2      /**< a request ended: its final callback is about to run */
} sekha_trace_kind;

/** Receives trace events, on the client's thread, from inside libsekha calls (a callback
 * must not free the client).
 * @param ev the event, lent until the callback returns.
 * @param userdata the pointer given to sekha_options_set_trace(). */
typedef void (*sekha_trace_fn)(const sekha_trace_event *ev, void *userdata);

/** The kind of an event.
 * @param ev the event.
 * @return ::SEKHA_TRACE_ATTEMPT or ::SEKHA_TRACE_END. */
SEKHA_API sekha_trace_kind sekha_trace_event_kind(const sekha_trace_event *ev);

/** The service the request went to.
 * @param ev the event.
 * @return the service (a workflow's own request reports the controller). */
SEKHA_API sekha_service sekha_trace_event_service(const sekha_trace_event *ev);

/** The HTTP method.
 * @param ev the event.
 * @return "GET", "POST"..., or "" for a request that sends nothing itself (a workflow). */
SEKHA_API const char *sekha_trace_event_method(const sekha_trace_event *ev);

/** The path and query as sent, without scheme and host; for a request that sends nothing
 * itself, its label (e.g. "workflow complete_with_context").
 * @param ev the event.
 * @return the path, lent with the event. */
SEKHA_API const char *sekha_trace_event_path(const sekha_trace_event *ev);

/** The request's id, the one sekha_request_id() reports.
 * @param ev the event.
 * @return the id. */
SEKHA_API uint64_t sekha_trace_event_request_id(const sekha_trace_event *ev);

/** The id of the request this one was made for (a workflow's, an MCP call's).
 * @param ev the event.
 * @return the parent's request id, 0 for a top-level request. */
SEKHA_API uint64_t sekha_trace_event_parent_id(const sekha_trace_event *ev);

/** The W3C trace id, shared by a request and everything made for it.
 * @param ev the event.
 * @return 32 lowercase hex digits, lent with the event. */
SEKHA_API const char *sekha_trace_event_trace_id(const sekha_trace_event *ev);

/** The request's W3C span id (the parent id its `traceparent` header carries).
 * @param ev the event.
 * @return 16 lowercase hex digits, lent with the event. */
SEKHA_API const char *sekha_trace_event_span_id(const sekha_trace_event *ev);

/** The attempt number.
 * @param ev the event.
 * @return for an attempt, its number (1 for the first); for an end, how many attempts
 *         were made (0 when nothing was sent). */
SEKHA_API int sekha_trace_event_attempt(const sekha_trace_event *ev);

/** The HTTP status.
 * @param ev the event.
 * @return the attempt's (for an end, the last attempt's) status, 0 when no response
 *         arrived. */
SEKHA_API int sekha_trace_event_status(const sekha_trace_event *ev);

/** Bytes sent (request line, headers and body).
 * @param ev the event.
 * @return the attempt's count; for an end, the sum over its attempts. */
SEKHA_API int64_t sekha_trace_event_bytes_sent(const sekha_trace_event *ev);

/** Bytes received (headers and body).
 * @param ev the event.
 * @return the attempt's count; for an end, the sum over its attempts. */
SEKHA_API int64_t sekha_trace_event_bytes_received(const sekha_trace_event *ev);

/** Time from the attempt's start until the host name was resolved, as libcurl measured it
 * (for an end: of the last attempt).
 * @param ev the event.
 * @return milliseconds (0 on a reused connection), -1 when unknown. */
SEKHA_API double sekha_trace_event_dns_ms(const sekha_trace_event *ev);

/** Time from the attempt's start until the TCP connection was made (for an end: of the
 * last attempt).
 * @param ev the event.
 * @return milliseconds (0 on a reused connection), -1 when unknown. */
SEKHA_API double sekha_trace_event_connect_ms(const sekha_trace_event *ev);

/** Time from the attempt's start until the TLS handshake was done (for an end: of the
 * last attempt).
 * @param ev the event.
 * @return milliseconds, -1 without TLS, on a reused connection or when unknown. */
SEKHA_API double sekha_trace_event_tls_ms(const sekha_trace_event *ev);

/** Time from the attempt's start until the first response byte (for an end: of the last
 * attempt).
 * @param ev the event.
 * @return milliseconds, -1 when no response byte arrived. */
SEKHA_API double sekha_trace_event_ttfb_ms(const sekha_trace_event *ev);

/** The duration: for an attempt, libcurl's total time of the transfer; for an end, the
 * time from the call to the end, retries and waits included.
 * @param ev the event.
 * @return milliseconds, -1 when unknown. */
SEKHA_API double sekha_trace_event_total_ms(const sekha_trace_event *ev);

/** Why the attempt is retried.
 * @param ev the event.
 * @return "HTTP 503", "connection lost", "timed out", "connection refused", "could not
 *         resolve host"...; NULL when the attempt is not retried and for an end. */
SEKHA_API const char *sekha_trace_event_retry_reason(const sekha_trace_event *ev);

/** How long the request waits before its next attempt.
 * @param ev the event.
 * @return milliseconds, -1 when the attempt is not retried. */
SEKHA_API int64_t sekha_trace_event_retry_delay_ms(const sekha_trace_event *ev);

/** How long the attempt waited for the client's own rate limit before it was sent (for an
 * end: the sum over its attempts).
 * @param ev the event.
 * @return milliseconds, 0 when it did not wait. */
SEKHA_API int64_t sekha_trace_event_rate_wait_ms(const sekha_trace_event *ev);

/** The layer of the attempt's failure (for an end: of the request's error).
 * @param ev the event.
 * @return ::SEKHA_LAYER_NONE on success. */
SEKHA_API sekha_layer sekha_trace_event_error_layer(const sekha_trace_event *ev);

/** The code of the attempt's failure (for an end: of the request's error).
 * @param ev the event.
 * @return ::SEKHA_OK on success. */
SEKHA_API sekha_code sekha_trace_event_error_code(const sekha_trace_event *ev);

/** For a stream: the time from the call until its first event was delivered.
 * @param ev the event.
 * @return milliseconds, -1 when no event was delivered. */
SEKHA_API double sekha_trace_event_first_event_ms(const sekha_trace_event *ev);

/** For a stream: the events delivered so far.
 * @param ev the event.
 * @return the count, 0 for a request that is not a stream. */
SEKHA_API int64_t sekha_trace_event_event_count(const sekha_trace_event *ev);

/** The whole event as one JSON object on one line (no newline at the end), with the keys
 * "kind" ("attempt" or "end"), "service", "method", "path", "request_id", "parent_id",
 * "trace_id", "span_id", "attempt", "status", "bytes_sent", "bytes_received", "dns_ms",
 * "connect_ms", "tls_ms", "ttfb_ms", "total_ms", "retry_reason" (null when none),
 * "retry_delay_ms", "rate_wait_ms", "error_layer" (as sekha_layer_name() gives it),
 * "error_code" (the ::sekha_code number), "error" (the message, on an end that failed;
 * absent otherwise), "first_event_ms" and "event_count".
 * @param ev the event.
 * @return the text, lent until the callback returns; NULL when out of memory. */
SEKHA_API const char *sekha_trace_event_json(const sekha_trace_event *ev);

#ifdef __cplusplus
}
#endif

#endif
