/* Token bucket with reservations, in integer arithmetic.
 *
 * One token is worth `window_ms` units and the bucket refills `requests` units per ms, so
 * `requests` tokens arrive per window and the bucket holds at most `requests` tokens (the
 * burst). A reservation always takes a token, letting the level go negative: the wait
 * until that token exists is returned, which queues callers in arrival order without a
 * separate queue. "now" is a parameter so tests can fake time. */
#ifndef SEKHA_CORE_RATELIMIT_H
#define SEKHA_CORE_RATELIMIT_H

#include <stdint.h>

typedef struct sekha_bucket {
    int64_t requests;   /* 0 = unlimited */
    int64_t window_ms;
    int64_t level;      /* in units; one token = window_ms units */
    int64_t capacity;   /* requests * window_ms */
    int64_t last_ms;
} sekha_bucket;

/* Starts full. requests <= 0 makes an unlimited bucket. */
void sekha__bucket_init(sekha_bucket *b, int64_t requests, int64_t window_ms, int64_t now_ms);
/* Takes one token; returns how many ms until it may be used (0 = now). */
int64_t sekha__bucket_reserve(sekha_bucket *b, int64_t now_ms);
/* Gives back a reservation that will not be used (a waiter was cancelled). */
void sekha__bucket_refund(sekha_bucket *b, int64_t now_ms);

#endif
