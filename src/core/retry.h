/* The retry policy, as pure functions: which outcomes may be retried, and how long to
 * wait. The request state machine (request.c) applies them. */
#ifndef SEKHA_CORE_RETRY_H
#define SEKHA_CORE_RETRY_H

#include <stdint.h>

/* What one attempt produced. */
typedef struct sekha_outcome {
    int curl_code;        /* CURLE_OK when a complete response arrived */
    int http_status;      /* final status, 0 when none */
    int idempotent;       /* safe to re-send even if the server may have processed it */
    int connected;        /* a connection was established (the request may have been sent) */
    int events_delivered; /* stream events already reached the caller */
} sekha_outcome;

typedef enum sekha_retry_verdict {
    SEKHA_RETRY_NO = 0,
    SEKHA_RETRY_YES = 1,
    /* Not retried because the server may have applied a non-idempotent request: the
     * caller must be told the outcome is unknown. */
    SEKHA_RETRY_UNSAFE = 2
} sekha_retry_verdict;

/* Default retry set (the curl tool's): timeouts, resolve and connect failures, and HTTP
 * 408/429/500/502/503/504; for idempotent requests also connections lost mid-exchange.
 * A non-idempotent request is re-sent only when the server cannot have processed it:
 * no connection was made, or it answered 408, 429 or 503. */
sekha_retry_verdict sekha__retry_verdict(const sekha_outcome *o);

/* The ceiling of the full-jitter window for the n-th retry (n >= 1):
 * min(cap, base * 2^(n-1)). */
int64_t sekha__backoff_ceiling(int64_t base_ms, int64_t cap_ms, int retry_no);

/* A uniformly random delay in [0, ceiling], drawn from libsodium's CSPRNG. */
int64_t sekha__backoff_delay(int64_t base_ms, int64_t cap_ms, int retry_no);

#endif
