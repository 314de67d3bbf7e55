#include "core/timers.h"

#include <stdlib.h>
#include <time.h>

int64_t sekha__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sekha__timer_init(sekha_timer *t)
{
    t->deadline = 0;
    t->index = SEKHA_TIMER_IDLE;
    t->fire = NULL;
}

static void place(sekha_timer_heap *h, size_t i, sekha_timer *t)
{
    h->items[i] = t;
    t->index = i;
}

static void sift_up(sekha_timer_heap *h, size_t i)
{
    sekha_timer *t = h->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->items[parent]->deadline <= t->deadline)
            break;
        place(h, i, h->items[parent]);
        i = parent;
    }
    place(h, i, t);
}

static void sift_down(sekha_timer_heap *h, size_t i)
{
    sekha_timer *t = h->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && h->items[child + 1]->deadline < h->items[child]->deadline)
            child++;
        if (t->deadline <= h->items[child]->deadline)
            break;
        place(h, i, h->items[child]);
        i = child;
    }
    place(h, i, t);
}

int sekha__heap_arm(sekha_timer_heap *h, sekha_timer *t, int64_t deadline)
{
    if (sekha__timer_armed(t)) {
        int64_t old = t->deadline;
        t->deadline = deadline;
        if (deadline < old)
            sift_up(h, t->index);
        else
            sift_down(h, t->index);
        return 0;
    }
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        sekha_timer **items = realloc(h->items, cap * sizeof *items);
        if (!items)
            return -1;
        h->items = items;
        h->cap = cap;
    }
    t->deadline = deadline;
    place(h, h->len++, t);
    sift_up(h, t->index);
    return 0;
}

void sekha__heap_disarm(sekha_timer_heap *h, sekha_timer *t)
{
    if (!sekha__timer_armed(t))
        return;
    size_t i = t->index;
    sekha_timer *last = h->items[--h->len];
    t->index = SEKHA_TIMER_IDLE;
    if (last == t)
        return;
    place(h, i, last);
    if (i > 0 && h->items[(i - 1) / 2]->deadline > last->deadline)
        sift_up(h, i);
    else
        sift_down(h, i);
}

sekha_timer *sekha__heap_top(const sekha_timer_heap *h)
{
    return h->len ? h->items[0] : NULL;
}

void sekha__heap_free(sekha_timer_heap *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->items[i]->index = SEKHA_TIMER_IDLE;
    free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}
