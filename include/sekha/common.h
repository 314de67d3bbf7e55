/* libsekha: shared declarations (export macro, handles, services). */
#ifndef SEKHA_COMMON_H
#define SEKHA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(SEKHA_BUILDING) && defined(__GNUC__)
#define SEKHA_API __attribute__((visibility("default")))
#else
#define SEKHA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles. Every object has a _new/_free pair (or is lent to a callback). */
typedef struct sekha_options sekha_options;
typedef struct sekha_client sekha_client;
typedef struct sekha_request sekha_request;
typedef struct sekha_error sekha_error;
typedef struct sekha_response sekha_response;
typedef struct sekha_sse_event sekha_sse_event;

/* The three services of a Sekha deployment. Each has its own base URL, key and rate limit. */
typedef enum sekha_service {
    SEKHA_SERVICE_CONTROLLER = 0,
    SEKHA_SERVICE_BRIDGE = 1,
    SEKHA_SERVICE_MCP = 2
} sekha_service;

#define SEKHA_SERVICE_COUNT 3

/** A service's state as a health probe saw it, from best to worst. */
typedef enum sekha_service_status {
    SEKHA_STATUS_HEALTHY = 0,     /**< answered and reports itself healthy */
    SEKHA_STATUS_DEGRADED = 1,    /**< answered, but reports a degraded state or a failing
                                       dependency, or answered without a health report */
    SEKHA_STATUS_UNHEALTHY = 2,   /**< answered with an error: 5xx, rejected key, unknown
                                       route, service failure */
    SEKHA_STATUS_UNREACHABLE = 3  /**< no answer: refused, unresolvable, TLS failure,
                                       timeout */
} sekha_service_status;

/** The final callback of a call whose success has no result (an empty answer).
 * @param req the request (its handle is stale once this returns).
 * @param err NULL on success, else the error (lent until the callback returns).
 * @param userdata the pointer given to the call. */
typedef void (*sekha_done_cb)(sekha_request *req, const sekha_error *err, void *userdata);

/** The static name of a status.
 * @param s the status.
 * @return "healthy", "degraded", "unhealthy" or "unreachable" ("unknown" otherwise). */
SEKHA_API const char *sekha_service_status_name(sekha_service_status s);

/** The static name of a service.
 * @param svc the service.
 * @return "controller", "bridge" or "mcp" ("unknown" otherwise). */
SEKHA_API const char *sekha_service_name(sekha_service svc);

/* Returns the library version string, e.g. "0.1.0". */
SEKHA_API const char *sekha_version(void);

/* Initialises libcurl and libsodium process-wide. Optional: sekha_client_new() calls it
 * once (thread-safe). Call it yourself from main() if other threads use libcurl. */
SEKHA_API int sekha_global_init(void);

/* Releases what sekha_global_init() took. Call once at exit, after every client is freed. */
SEKHA_API void sekha_global_cleanup(void);

#ifdef __cplusplus
}
#endif

#endif
