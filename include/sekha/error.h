/* libsekha: errors in three layers (transport, HTTP, service) plus local ones.
 *
 * Every failed request carries one sekha_error. Its layer says where the failure was seen:
 *   SEKHA_LAYER_LOCAL      rejected or ended before/without the network (bad argument,
 *                          cancelled, client freed);
 *   SEKHA_LAYER_TRANSPORT  no complete HTTP response (connect, timeout, TLS, reset, size
 *                          limit); curl's CURLcode and error text are kept;
 *   SEKHA_LAYER_HTTP       a complete response with status >= 400; the status, Retry-After
 *                          and the parsed error body are kept. Never reported as transport;
 *   SEKHA_LAYER_SERVICE    a 2xx response whose content reports a failure or cannot be
 *                          decoded (MCP success:false, an in-band stream error, bad JSON).
 */
#ifndef SEKHA_ERROR_H
#define SEKHA_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sekha_layer {
    SEKHA_LAYER_NONE = 0,
    SEKHA_LAYER_LOCAL = 1,
    SEKHA_LAYER_TRANSPORT = 2,
    SEKHA_LAYER_HTTP = 3,
    SEKHA_LAYER_SERVICE = 4
} sekha_layer;

typedef enum sekha_code {
    SEKHA_OK = 0,
    /* local */
    SEKHA_E_INVALID_ARG = 1,    /* a parameter or option was rejected before sending */
    SEKHA_E_NOMEM = 2,
    SEKHA_E_IN_CALLBACK = 3,    /* a sync call was made from inside a callback */
    SEKHA_E_CANCELLED = 4,      /* sekha_request_cancel() or sekha_client_cancel() */
    SEKHA_E_CLOSED = 5,         /* the client was freed while the request was pending */
    SEKHA_E_INTERNAL = 6,
    /* transport */
    SEKHA_E_RESOLVE = 20,
    SEKHA_E_CONNECT = 21,       /* refused or unreachable */
    SEKHA_E_TIMEOUT = 22,       /* the call, attempt, connect or stream idle timeout ran out;
                                   a write that was sent may have been applied (the
                                   message says so) and is never re-sent */
    SEKHA_E_TLS = 23,           /* handshake, certificate or host-name verification */
    SEKHA_E_CONNECTION_LOST = 24, /* closed or reset before the response was complete */
    SEKHA_E_OUTCOME_UNKNOWN = 25, /* a non-idempotent request was sent and the connection
                                     was lost: it may or may not have been applied, so it
                                     was not re-sent */
    SEKHA_E_TOO_LARGE = 26,     /* response body, SSE line or SSE event over its limit */
    SEKHA_E_REDIRECT = 27,      /* a 3xx answer: redirects are never followed */
    SEKHA_E_STREAM_CUT = 28,    /* a stream ended before its end marker */
    SEKHA_E_TRANSPORT = 29,     /* any other libcurl failure (see sekha_error_curl_code) */
    /* HTTP */
    SEKHA_E_HTTP = 40,          /* a status >= 400 without a more specific code */
    SEKHA_E_BAD_REQUEST = 41,   /* 400, 415 */
    SEKHA_E_AUTH = 42,          /* 401, 403 (and the controller's 400 for a malformed key) */
    SEKHA_E_NOT_FOUND = 43,     /* 404 */
    SEKHA_E_VALIDATION = 44,    /* 422: the server rejected the body's shape */
    SEKHA_E_RATE_LIMITED = 45,  /* 429 */
    SEKHA_E_SERVER = 46,        /* 5xx */
    /* service */
    SEKHA_E_SERVICE = 60,       /* the service answered 2xx but reported a failure */
    SEKHA_E_BAD_RESPONSE = 61,  /* the body could not be decoded or lacks required fields */
    SEKHA_E_PROTOCOL = 62       /* SSE or JSON-RPC rules were broken by the peer */
} sekha_code;

/* Returns a static, never-NULL description of a code ("connection refused or unreachable"). */
SEKHA_API const char *sekha_strerror(sekha_code code);

/* Returns the static name of a layer: "none", "local", "transport", "http" or "service". */
SEKHA_API const char *sekha_layer_name(sekha_layer layer);

/* The code of an error (SEKHA_OK for NULL). */
SEKHA_API sekha_code sekha_error_code(const sekha_error *err);

/* The layer of an error (SEKHA_LAYER_NONE for NULL). */
SEKHA_API sekha_layer sekha_error_layer(const sekha_error *err);

/* A complete human-readable message naming the layer and the cause, never NULL.
 * API keys never appear in it. */
SEKHA_API const char *sekha_error_message(const sekha_error *err);

/* The libcurl CURLcode for transport errors, 0 otherwise. */
SEKHA_API int sekha_error_curl_code(const sekha_error *err);

/* The HTTP status of the last response received, 0 when none was. */
SEKHA_API int sekha_error_http_status(const sekha_error *err);

/* The server's Retry-After in milliseconds (seconds and HTTP-date forms), -1 when absent. */
SEKHA_API long sekha_error_retry_after_ms(const sekha_error *err);

/* The service's own message parsed from the body ({"error"}, {"detail"},
 * {"error":{"message"}}, JSON-RPC error.message, or plain text), NULL when none. */
SEKHA_API const char *sekha_error_service_message(const sekha_error *err);

/* The service's numeric code ({"code"} or JSON-RPC error.code), 0 when none. */
SEKHA_API long sekha_error_service_code(const sekha_error *err);

/* The raw error body as received (may be empty, not NUL-terminated beyond *len). */
SEKHA_API const char *sekha_error_body(const sekha_error *err, size_t *len);

/* How many HTTP attempts were made before the request ended (0 if none was sent). */
SEKHA_API int sekha_error_attempts(const sekha_error *err);

/* Returns a deep copy the caller frees with sekha_error_free(), NULL on no memory. */
SEKHA_API sekha_error *sekha_error_copy(const sekha_error *err);

/* Frees an error returned by a sync call or sekha_error_copy(). NULL is a no-op. */
SEKHA_API void sekha_error_free(sekha_error *err);

#ifdef __cplusplus
}
#endif

#endif
