/** @file common.h
 * @brief Declarations every libsekha header shares: the export macro, the opaque handles,
 * the services and their status, and process-wide setup.
 */
#ifndef SEKHA_COMMON_H
#define SEKHA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(SEKHA_BUILDING) && defined(__GNUC__)
#define SEKHA_API __attribute__((visibility("default")))
#else
/** Marks a function exported by the library (default visibility while building it). */
#define SEKHA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Client configuration (opaque): see options.h. Made with sekha_options_new(), freed with
 * sekha_options_free(). */
typedef struct sekha_options sekha_options;
/** A client: the connection pool, rate limits and event loop of one deployment (opaque):
 * see client.h. */
typedef struct sekha_client sekha_client;
/** A request handle (opaque), valid until the request's final callback returns. */
typedef struct sekha_request sekha_request;
/** An error in three layers (opaque): see error.h. */
typedef struct sekha_error sekha_error;
/** An HTTP response of a raw request (opaque): see http.h. */
typedef struct sekha_response sekha_response;
/** One Server-Sent Event of a streamed raw request (opaque): see http.h. */
typedef struct sekha_sse_event sekha_sse_event;

/** The three services of a Sekha deployment. Each has its own base URL, key and rate
 * limit. */
typedef enum sekha_service {
    SEKHA_SERVICE_CONTROLLER = 0, /**< the controller: REST memory */
    SEKHA_SERVICE_BRIDGE = 1,     /**< the bridge: OpenAI-compatible chat and embeddings */
    SEKHA_SERVICE_MCP = 2         /**< MCP: the controller's tool routes and JSON-RPC */
} sekha_service;

/** The number of ::sekha_service values. */
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

/** The static name of a status. Any thread.
 * @param s the status.
 * @return "healthy", "degraded", "unhealthy" or "unreachable" ("unknown" otherwise). */
SEKHA_API const char *sekha_service_status_name(sekha_service_status s);

/** The static name of a service. Any thread.
 * @param svc the service.
 * @return "controller", "bridge" or "mcp" ("unknown" otherwise). */
SEKHA_API const char *sekha_service_name(sekha_service svc);

/** The library version. Any thread.
 * @return a static string, e.g. "1.0.0". */
SEKHA_API const char *sekha_version(void);

/** Initialises libcurl and libsodium process-wide.
 *
 * Optional: sekha_client_new() calls it once (thread-safe). Call it yourself from main()
 * before other threads start when they use libcurl too.
 * @return 0 on success, -1 when libcurl or libsodium failed to initialise. */
SEKHA_API int sekha_global_init(void);

/** Releases what sekha_global_init() took. Call once at exit, after every client is
 * freed. */
SEKHA_API void sekha_global_cleanup(void);

#ifdef __cplusplus
}
#endif

#endif
