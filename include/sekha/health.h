/** @file health.h
 * @brief One service's health report, as the controller and the bridge give it.
 *
 * sekha_controller_health() and sekha_bridge_health() both answer with a ::sekha_health:
 * the service's verdict as a ::sekha_service_status, the status text as sent, and what
 * else the service reports (dependency checks, version, a reason). The report of a whole
 * deployment (all three services at once) is the health-check workflow's
 * ::sekha_deployment_health (workflows.h).
 *
 * Ownership: a report given to a callback is lent until the callback returns;
 * sekha_health_copy() gives one you own, sekha_health_free() releases it. Reports are
 * immutable, so a copy may be read and freed on any thread.
 */
#ifndef SEKHA_HEALTH_H
#define SEKHA_HEALTH_H

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A service's health report (opaque). */
typedef struct sekha_health sekha_health;

/** The final callback of a health probe.
 * @param req the request.
 * @param err NULL when the service answered with a report; else the error (a 503 is an
 *        HTTP-layer error, not a report). Lent until the callback returns.
 * @param health the report when err is NULL, else NULL; lent until the callback returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_health_cb)(sekha_request *req, const sekha_error *err,
                                const sekha_health *health, void *userdata);

/** The verdict. Controller: its "status" ("healthy", "degraded", anything else is
 * unhealthy), made degraded when a dependency check is neither "ok" nor "healthy".
 * Bridge: the worse of its "status" and of its provider check (ollama_status.status),
 * made degraded when a provider's circuit breaker is not "closed" (the bridge then
 * routes around a failing provider, and calls it "healthy" all the same).
 * Never ::SEKHA_STATUS_UNREACHABLE: a report means the service answered.
 * @param h the report.
 * @return the verdict; ::SEKHA_STATUS_UNHEALTHY for NULL. */
SEKHA_API sekha_service_status sekha_health_status(const sekha_health *h);

/** The top-level "status" text as sent.
 * @param h the report.
 * @return the text (valid while h is), NULL when absent. */
SEKHA_API const char *sekha_health_status_text(const sekha_health *h);

/** The number of dependency checks reported ("checks": {"database": {...}, ...}).
 * @param h the report.
 * @return the count, 0 when none. */
SEKHA_API size_t sekha_health_check_count(const sekha_health *h);

/** The name of dependency check i ("database", "chroma").
 * @param h the report.
 * @param i the check's position.
 * @return the name (valid while h is), NULL when out of range. */
SEKHA_API const char *sekha_health_check_name(const sekha_health *h, size_t i);

/** The status of a dependency check by name.
 * @param h the report.
 * @param name the check's name.
 * @return its status text ("ok", ...; valid while h is), NULL when not reported. */
SEKHA_API const char *sekha_health_check(const sekha_health *h, const char *name);

/** The service's version, when it reports one.
 * @param h the report.
 * @return the version (valid while h is), NULL when not sent. */
SEKHA_API const char *sekha_health_version(const sekha_health *h);

/** The time of the check as sent (RFC 3339), when the service reports one.
 * @param h the report.
 * @return the timestamp (valid while h is), NULL when not sent. */
SEKHA_API const char *sekha_health_timestamp(const sekha_health *h);

/** Why the service is not healthy, when it says (the bridge's ollama_status.reason).
 * @param h the report.
 * @return the reason (valid while h is), NULL when none was given. */
SEKHA_API const char *sekha_health_reason(const sekha_health *h);

/** The number of LLM providers the bridge reports (ollama_status.providers); 0 for the
 * controller, and for a bridge that names none.
 * @param h the report.
 * @return the count. */
SEKHA_API size_t sekha_health_provider_count(const sekha_health *h);

/** The id of provider i ("ollama_local").
 * @param h the report.
 * @param i the provider's position, in the order sent.
 * @return the id (valid while h is), NULL when out of range. */
SEKHA_API const char *sekha_health_provider_name(const sekha_health *h, size_t i);

/** The state of provider i's circuit breaker: "closed" (working), "open" (failing, not
 * used) or "half_open" (being tried again).
 * @param h the report.
 * @param i the provider's position.
 * @return the state (valid while h is), NULL when not sent or out of range. */
SEKHA_API const char *sekha_health_provider_state(const sekha_health *h, size_t i);

/** The report as received.
 * @param h the report.
 * @return the body (JSON text, valid while h is). */
SEKHA_API const char *sekha_health_json(const sekha_health *h);

/** Gives you a report you own, to keep past a callback or pass to another thread.
 * @param h the report.
 * @return the same report, now also yours: release it with sekha_health_free(); NULL when
 *         h is NULL. */
SEKHA_API sekha_health *sekha_health_copy(const sekha_health *h);

/** Releases a report you own (a sync result or a copy). NULL is a no-op.
 * @param h the report. */
SEKHA_API void sekha_health_free(sekha_health *h);

#ifdef __cplusplus
}
#endif

#endif
