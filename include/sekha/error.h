/** @file error.h
 * @brief Errors in three layers (transport, HTTP, service) plus local ones.
 *
 * Every failed request carries one ::sekha_error. Its layer says where the failure was
 * seen:
 *  - ::SEKHA_LAYER_LOCAL: rejected or ended before or without the network (a bad
 *    argument, cancelled, client freed);
 *  - ::SEKHA_LAYER_TRANSPORT: no complete HTTP response (connect, timeout, TLS, reset,
 *    size limit); libcurl's CURLcode and error text are kept;
 *  - ::SEKHA_LAYER_HTTP: a complete response with status >= 400; the status, Retry-After
 *    and the parsed error body are kept. Never reported as transport;
 *  - ::SEKHA_LAYER_SERVICE: a 2xx response whose content reports a failure or cannot be
 *    decoded (MCP success:false, an in-band stream error, bad JSON).
 *
 * sekha_error_message() is the whole story in one line. sekha_error_service_message() and
 * sekha_error_service_code() are only what a server said: a local or transport failure has
 * none, its details are in the message.
 *
 * Ownership: an error given to a callback is lent until the callback returns;
 * sekha_error_copy() gives one the caller owns, and errors returned through a sync call's
 * `err` are owned too; sekha_error_free() releases them. Strings returned by the accessors
 * live as long as the error. An owned error may be read and freed on any thread.
 */
#ifndef SEKHA_ERROR_H
#define SEKHA_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a failure was seen. */
typedef enum sekha_layer {
    SEKHA_LAYER_NONE = 0,      /**< no error */
    SEKHA_LAYER_LOCAL = 1,     /**< before or without the network */
    SEKHA_LAYER_TRANSPORT = 2, /**< no complete HTTP response */
    SEKHA_LAYER_HTTP = 3,      /**< a complete response with status >= 400 */
    SEKHA_LAYER_SERVICE = 4    /**< a 2xx response that reports a failure or cannot be decoded */
} sekha_layer;

/** Result codes: ::SEKHA_OK, or what went wrong (grouped by the layer that usually reports
 * them). */
typedef enum sekha_code {
    SEKHA_OK = 0,                 /**< success */
    /* local */
    SEKHA_E_INVALID_ARG = 1,      /**< a parameter or option was rejected before sending */
    SEKHA_E_NOMEM = 2,            /**< out of memory */
    SEKHA_E_IN_CALLBACK = 3,      /**< a sync call was made from inside a callback */
    SEKHA_E_CANCELLED = 4,        /**< sekha_request_cancel() or sekha_client_cancel() */
    SEKHA_E_CLOSED = 5,           /**< the client was freed while the request was pending */
    SEKHA_E_INTERNAL = 6,         /**< the poller or another internal part failed */
    /* transport */
    SEKHA_E_RESOLVE = 20,         /**< the host name could not be resolved */
    SEKHA_E_CONNECT = 21,         /**< the connection was refused or the host unreachable */
    SEKHA_E_TIMEOUT = 22,         /**< the call, attempt, connect or stream idle timeout ran
                                       out; a write that was sent may have been applied
                                       (the message says so) and is never re-sent */
    SEKHA_E_TLS = 23,             /**< TLS handshake, certificate or host-name verification */
    SEKHA_E_CONNECTION_LOST = 24, /**< closed or reset before the response was complete */
    SEKHA_E_OUTCOME_UNKNOWN = 25, /**< a non-idempotent request was sent and the connection
                                       was lost: it may or may not have been applied, so it
                                       was not re-sent */
    SEKHA_E_TOO_LARGE = 26,       /**< response body, SSE line or SSE event over its limit
                                       (also an HTTP 413) */
    SEKHA_E_REDIRECT = 27,        /**< a 3xx answer: redirects are never followed */
    SEKHA_E_STREAM_CUT = 28,      /**< a stream ended before its end marker */
    SEKHA_E_TRANSPORT = 29,       /**< any other libcurl failure (see sekha_error_curl_code()) */
    /* HTTP */
    SEKHA_E_HTTP = 40,            /**< a status >= 400 without a more specific code */
    SEKHA_E_BAD_REQUEST = 41,     /**< 400, 415 */
    SEKHA_E_AUTH = 42,            /**< 401, 403 (and the controller's 400 for a malformed key) */
    SEKHA_E_NOT_FOUND = 43,       /**< 404 */
    SEKHA_E_VALIDATION = 44,      /**< 422: the server rejected the body's shape */
    SEKHA_E_RATE_LIMITED = 45,    /**< 429 */
    SEKHA_E_SERVER = 46,          /**< 5xx */
    /* service */
    SEKHA_E_SERVICE = 60,         /**< the service answered 2xx but reported a failure */
    SEKHA_E_BAD_RESPONSE = 61,    /**< the body could not be decoded or lacks required fields */
    SEKHA_E_PROTOCOL = 62         /**< SSE or JSON-RPC rules were broken by the peer */
} sekha_code;

/** A description of a code. Any thread.
 * @param code the code.
 * @return a static string, never NULL ("connection refused or unreachable"; "unknown error
 *         code" for a value that is no code). */
SEKHA_API const char *sekha_strerror(sekha_code code);

/** The name of a layer. Any thread.
 * @param layer the layer.
 * @return a static string: "none", "local", "transport", "http" or "service" ("unknown"
 *         otherwise). */
SEKHA_API const char *sekha_layer_name(sekha_layer layer);

/** The code of an error.
 * @param err the error (may be NULL).
 * @return its code, ::SEKHA_OK for NULL. */
SEKHA_API sekha_code sekha_error_code(const sekha_error *err);

/** The layer of an error.
 * @param err the error (may be NULL).
 * @return its layer, ::SEKHA_LAYER_NONE for NULL. */
SEKHA_API sekha_layer sekha_error_layer(const sekha_error *err);

/** The whole story in one line: the layer, what was asked, the cause, the HTTP status or
 * curl code, the local detail, what the server said, Retry-After and the attempts. API
 * keys never appear in it.
 * @param err the error (may be NULL).
 * @return the message, never NULL ("success" for NULL); lives as long as the error. */
SEKHA_API const char *sekha_error_message(const sekha_error *err);

/** The libcurl CURLcode of a transport error.
 * @param err the error (may be NULL).
 * @return the CURLcode, 0 for other layers. */
SEKHA_API int sekha_error_curl_code(const sekha_error *err);

/** The HTTP status of the last response received.
 * @param err the error (may be NULL).
 * @return the status, 0 when no response was received. */
SEKHA_API int sekha_error_http_status(const sekha_error *err);

/** The server's Retry-After (seconds and HTTP-date forms), in milliseconds.
 * @param err the error (may be NULL).
 * @return the delay, -1 when the server sent none. */
SEKHA_API long sekha_error_retry_after_ms(const sekha_error *err);

/** The service's own message: parsed from the error body ({"error"}, {"detail"},
 * {"error":{"message"}}, FastAPI's validation list, or plain text), or the message of an
 * in-band failure (JSON-RPC error.message, MCP's "error"). Only ever what a server said:
 * local and transport failures have none.
 * @param err the error (may be NULL).
 * @return the message (sanitised: control characters become spaces, at most 512 bytes),
 *         NULL when the server said nothing; lives as long as the error. */
SEKHA_API const char *sekha_error_service_message(const sekha_error *err);

/** The service's numeric code ({"code"} or JSON-RPC error.code). Only ever what a server
 * said.
 * @param err the error (may be NULL).
 * @return the code, 0 when none. */
SEKHA_API long sekha_error_service_code(const sekha_error *err);

/** The raw error body as received (at most 64 KiB of it).
 * @param err the error (may be NULL).
 * @param len receives its length (may be NULL).
 * @return the body, NUL-terminated, "" when there was none; lives as long as the error. */
SEKHA_API const char *sekha_error_body(const sekha_error *err, size_t *len);

/** How many HTTP attempts were made before the request ended.
 * @param err the error (may be NULL).
 * @return the attempts, 0 when nothing was sent. */
SEKHA_API int sekha_error_attempts(const sekha_error *err);

/** An error the caller owns: a deep copy. Any thread.
 * @param err the error (lent or owned).
 * @return the copy, to free with sekha_error_free(); NULL when err is NULL or out of
 *         memory. */
SEKHA_API sekha_error *sekha_error_copy(const sekha_error *err);

/** Releases an error the caller owns (from a sync call, sekha_client_new() or
 * sekha_error_copy()). NULL is a no-op. Any thread.
 * @param err the error. */
SEKHA_API void sekha_error_free(sekha_error *err);

#ifdef __cplusplus
}
#endif

#endif
