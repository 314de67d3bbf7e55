/* A binary min-heap of deadlines (monotonic milliseconds). Nodes are embedded in their
 * owners and know their heap index, so removal is O(log n). */
#ifndef SEKHA_CORE_TIMERS_H
#define SEKHA_CORE_TIMERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sekha_timer {
    int64_t deadline;
    size_t index; /* position in the heap, SIZE_MAX when not armed */
    /* NULL for a request's own timer (the loop hands it to its request); else the
     * function the loop calls when the timer is due (sekha__timer_start) */
    void (*fire)(struct sekha_timer *t);
} sekha_timer;

typedef struct sekha_timer_heap {
    sekha_timer **items;
    size_t len, cap;
} sekha_timer_heap;

#define SEKHA_TIMER_IDLE ((size_t)-1)

void sekha__timer_init(sekha_timer *t);
static inline int sekha__timer_armed(const sekha_timer *t) { return t->index != SEKHA_TIMER_IDLE; }
/* Arms (or re-arms) t at deadline. Returns 0, or -1 when out of memory. */
int sekha__heap_arm(sekha_timer_heap *h, sekha_timer *t, int64_t deadline);
/* Disarms t if armed. */
void sekha__heap_disarm(sekha_timer_heap *h, sekha_timer *t);
/* The earliest timer, NULL when empty. */
sekha_timer *sekha__heap_top(const sekha_timer_heap *h);
void sekha__heap_free(sekha_timer_heap *h);

/* Monotonic clock in milliseconds. */
int64_t sekha__now_ms(void);

#endif
