#include "core/ratelimit.h"

void sekha__bucket_init(sekha_bucket *b, int64_t requests, int64_t window_ms, int64_t now_ms)
{
    b->requests = requests > 0 && window_ms > 0 ? requests : 0;
    b->window_ms = window_ms > 0 ? window_ms : 1;
    b->capacity = b->requests * b->window_ms;
    b->level = b->capacity;
    b->last_ms = now_ms;
}

static void refill(sekha_bucket *b, int64_t now_ms)
{
    int64_t dt = now_ms - b->last_ms;
    if (dt <= 0)
        return; /* a clock that went backwards adds nothing */
    b->last_ms = now_ms;
    /* A debt can be at most a few windows deep in practice, but clamp the product anyway
     * so a long idle period cannot overflow. */
    int64_t missing = b->capacity - b->level;
    int64_t need_ms = missing / b->requests + 1;
    if (dt >= need_ms) {
        b->level = b->capacity;
        return;
    }
    b->level += dt * b->requests;
    if (b->level > b->capacity)
        b->level = b->capacity;
}

int64_t sekha__bucket_reserve(sekha_bucket *b, int64_t now_ms)
{
    if (b->requests == 0)
        return 0;
    refill(b, now_ms);
    b->level -= b->window_ms;
    if (b->level >= 0)
        return 0;
    int64_t debt = -b->level;
    return (debt + b->requests - 1) / b->requests; /* ceil: never early */
}

void sekha__bucket_refund(sekha_bucket *b, int64_t now_ms)
{
    if (b->requests == 0)
        return;
    refill(b, now_ms);
    b->level += b->window_ms;
    if (b->level > b->capacity)
        b->level = b->capacity;
}
