/* SSE parser: every rule is checked on the whole input and again with the input split at
 * every byte offset, fed one byte at a time, and with the windows stashed and destroyed
 * while events are still unread: all must yield exactly the same events. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sse.h"
#include "sekha/error.h"

#define BIG ((size_t)1 << 20)

struct want {
    const char *type;
    const char *data;
    size_t data_len;
    const char *id;
    long retry;
};

/* sizeof keeps embedded NULs in the expected data. */
#define EV(t, d, i, r) { t, d, sizeof(d) - 1, i, r }

struct got_ev {
    char *type, *data, *id;
    size_t data_len;
    long retry;
};

struct got {
    struct got_ev *v;
    size_t n, cap;
    int rc;         /* 0, or the negative code that ended the run */
    int pending;
};

enum stash_mode { NO_STASH, STASH_AFTER_EVENT, STASH_AFTER_FEED };

static char *dup_mem(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    cr_assert(d);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void got_add(struct got *g, const struct sekha_sse_event *e)
{
    cr_assert(e->type && e->data && e->id);
    cr_assert_eq(e->data[e->data_len], '\0', "data is not NUL-terminated");
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->v = realloc(g->v, g->cap * sizeof *g->v);
        cr_assert(g->v);
    }
    struct got_ev *x = &g->v[g->n++];
    x->type = dup_mem(e->type, strlen(e->type));
    x->data = dup_mem(e->data, e->data_len);
    x->data_len = e->data_len;
    x->id = dup_mem(e->id, strlen(e->id));
    x->retry = e->retry_ms;
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->v[i].type);
        free(g->v[i].data);
        free(g->v[i].id);
    }
    free(g->v);
    memset(g, 0, sizeof *g);
}

/* Destroys a window so that any pointer the parser kept into it reads garbage (and ASan
 * or valgrind reports the use after free). */
static void drop_window(char **w, size_t n)
{
    if (*w) {
        memset(*w, 0xA5, n);
        free(*w);
        *w = NULL;
    }
}

/* Feeds in[0..len) cut at the given offsets, each piece in its own short-lived copy. */
static void run(const char *in, size_t len, const size_t *cuts, size_t ncuts,
                enum stash_mode mode, size_t max_line, size_t max_event, struct got *g)
{
    sekha_sse_parser p;
    sekha__sse_init(&p, max_line, max_event);
    memset(g, 0, sizeof *g);
    size_t start = 0;
    for (size_t c = 0; c <= ncuts && !g->rc; c++) {
        size_t end = c < ncuts ? cuts[c] : len;
        size_t n = end - start;
        char *w = malloc(n ? n : 1);
        cr_assert(w);
        if (n)
            memcpy(w, in + start, n);
        sekha__sse_feed(&p, w, n);
        if (mode == STASH_AFTER_FEED) {
            cr_assert_eq(sekha__sse_stash(&p), 0);
            drop_window(&w, n);
        }
        for (;;) {
            struct sekha_sse_event *e = NULL;
            int rc = sekha__sse_next(&p, &e);
            if (rc < 0) {
                g->rc = rc;
                break;
            }
            if (rc == 0)
                break;
            got_add(g, e);
            if (mode == STASH_AFTER_EVENT) {
                cr_assert_eq(sekha__sse_stash(&p), 0);
                drop_window(&w, n);
            }
        }
        drop_window(&w, n);
        start = end;
    }
    g->pending = sekha__sse_pending(&p);
    sekha__sse_free(&p);
}

static void same(const struct got *a, const struct got *b, const char *how, size_t at)
{
    cr_assert_eq(a->n, b->n, "%s %zu: %zu events, whole input gave %zu", how, at, b->n, a->n);
    cr_assert_eq(a->rc, b->rc, "%s %zu: rc %d, whole input gave %d", how, at, b->rc, a->rc);
    cr_assert_eq(a->pending, b->pending, "%s %zu: pending differs", how, at);
    for (size_t i = 0; i < a->n; i++) {
        const struct got_ev *x = &a->v[i], *y = &b->v[i];
        cr_assert_str_eq(x->type, y->type, "%s %zu: event %zu type", how, at, i);
        cr_assert_eq(x->data_len, y->data_len, "%s %zu: event %zu data_len", how, at, i);
        cr_assert(memcmp(x->data, y->data, x->data_len) == 0, "%s %zu: event %zu data", how,
                  at, i);
        cr_assert_str_eq(x->id, y->id, "%s %zu: event %zu id", how, at, i);
        cr_assert_eq(x->retry, y->retry, "%s %zu: event %zu retry", how, at, i);
    }
}

/* Checks the whole input against the expected events, then every other way of feeding it
 * against the whole input. */
static void check_lim(const char *in, size_t len, const struct want *w, size_t nw, int rc,
                      int pending, size_t max_line, size_t max_event)
{
    struct got whole, g;
    run(in, len, NULL, 0, NO_STASH, max_line, max_event, &whole);
    cr_assert_eq(whole.n, nw, "got %zu events, want %zu", whole.n, nw);
    cr_assert_eq(whole.rc, rc, "rc %d, want %d", whole.rc, rc);
    cr_assert_eq(whole.pending, pending, "pending %d, want %d", whole.pending, pending);
    for (size_t i = 0; i < nw; i++) {
        cr_assert_str_eq(whole.v[i].type, w[i].type, "event %zu type", i);
        cr_assert_eq(whole.v[i].data_len, w[i].data_len, "event %zu data_len", i);
        cr_assert(memcmp(whole.v[i].data, w[i].data, w[i].data_len) == 0, "event %zu data", i);
        cr_assert_str_eq(whole.v[i].id, w[i].id, "event %zu id", i);
        cr_assert_eq(whole.v[i].retry, w[i].retry, "event %zu retry", i);
    }
    static const char *names[] = { "split", "split+stash-after-event", "split+stash-at-feed" };
    for (int m = NO_STASH; m <= STASH_AFTER_FEED; m++) {
        for (size_t k = 0; k <= len; k++) {
            run(in, len, &k, 1, (enum stash_mode)m, max_line, max_event, &g);
            same(&whole, &g, names[m], k);
            got_free(&g);
        }
        size_t *cuts = malloc((len ? len : 1) * sizeof *cuts);
        cr_assert(cuts);
        for (size_t k = 0; k < len; k++)
            cuts[k] = k + 1;
        run(in, len, cuts, len ? len - 1 : 0, (enum stash_mode)m, max_line, max_event, &g);
        same(&whole, &g, "bytewise", (size_t)m);
        got_free(&g);
        free(cuts);
    }
    got_free(&whole);
}

#define NW(a) (sizeof(a) / sizeof((a)[0]))
#define CHECK(lit, wants, pending) \
    check_lim(lit, sizeof(lit) - 1, wants, NW(wants), 0, pending, BIG, BIG)
#define CHECK_NONE(lit, pending) check_lim(lit, sizeof(lit) - 1, NULL, 0, 0, pending, BIG, BIG)

Test(sse, empty_input)
{
    CHECK_NONE("", 0);
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e;
    sekha__sse_feed(&p, NULL, 0);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert_eq(sekha__sse_stash(&p), 0);
    cr_assert_not(sekha__sse_pending(&p));
    sekha__sse_free(&p);
    sekha__sse_free(NULL);
}

Test(sse, blank_lines_and_comments_only)
{
    CHECK_NONE("\n\n\r\n\r\r\n", 0);
    CHECK_NONE(": keepalive\n\n:\n\n: x\r\n\r\n", 0);
}

Test(sse, single_event)
{
    static const struct want w[] = { EV("message", "hello", "", -1) };
    CHECK("data: hello\n\n", w, 0);
}

Test(sse, one_optional_space_removed)
{
    static const struct want w[] = {
        EV("message", "x", "", -1), EV("message", "x", "", -1), EV("message", " x", "", -1),
        EV("message", "x ", "", -1), EV("message", "a: b:c", "", -1),
    };
    CHECK("data:x\n\ndata: x\n\ndata:  x\n\ndata: x \n\ndata: a: b:c\n\n", w, 0);
}

Test(sse, empty_data_dispatches)
{
    static const struct want w[] = {
        EV("message", "", "", -1), EV("message", "", "", -1), EV("message", "", "", -1),
    };
    CHECK("data\n\ndata:\n\ndata: \n\n", w, 0);
}

Test(sse, multi_line_data_joined)
{
    static const struct want w[] = {
        EV("message", "a\n\nb", "", -1), EV("message", "\n", "", -1),
    };
    CHECK("data: a\ndata:\ndata: b\n\ndata\ndata\n\n", w, 0);
}

Test(sse, nul_inside_data_kept)
{
    static const struct want w[] = { EV("message", "a\0b", "", -1) };
    CHECK("data: a\0b\n\n", w, 0);
}

Test(sse, cr_lf_crlf_line_ends)
{
    static const struct want w[] = {
        EV("message", "a\nb", "", -1), EV("message", "c\nd", "", -1),
        EV("message", "e\nf\ng", "", -1), EV("message", "h", "", -1),
        EV("message", "i", "", -1),
    };
    /* CR CR is two line ends; LF CR is two; CR LF is one. */
    CHECK("data: a\rdata: b\r\r"
          "data: c\r\ndata: d\r\n\r\n"
          "data: e\r\ndata: f\rdata: g\n\r\n"
          "data: h\n\r"
          "data: i\r\n\n",
          w, 0);
}

Test(sse, crlf_split_across_feeds_counts_once)
{
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e = NULL;
    static const char *pieces[] = { "data: a\r", "\n", "data: b\r", "\n" };
    for (size_t i = 0; i < NW(pieces); i++) {
        sekha__sse_feed(&p, pieces[i], strlen(pieces[i]));
        cr_assert_eq(sekha__sse_next(&p, &e), 0, "no event after piece %zu", i);
    }
    sekha__sse_feed(&p, "\r", 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "a\nb");
    /* The final LF belongs to the CR before it: no extra blank line, nothing left. */
    sekha__sse_feed(&p, "\n", 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert_not(sekha__sse_pending(&p));
    sekha__sse_free(&p);

    sekha__sse_init(&p, 64, 64);
    sekha__sse_feed(&p, "data: a\r", 8);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    sekha__sse_feed(&p, "\n", 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    sekha__sse_feed(&p, "data: b\r\n\r\n", 11);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "a\nb");
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    /* A CR at a window's end followed by a window opening with CR is a blank line. */
    sekha__sse_feed(&p, "data: c\r", 8);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    sekha__sse_feed(&p, "\r", 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "c");
    sekha__sse_free(&p);
}

Test(sse, comments_ignored_inside_events)
{
    static const struct want w[] = { EV("message", "a\nb", "", -1) };
    CHECK(": hi\ndata: a\n: data: no\ndata: b\n:\n\n", w, 0);
}

Test(sse, event_type_and_reset)
{
    static const struct want w[] = {
        EV("ping", "1", "", -1), EV("message", "2", "", -1), EV("message", "3", "", -1),
        EV("message", "4", "", -1), EV("b", "5", "", -1), EV("message", "6", "", -1),
    };
    /* A type without data is dropped at the blank line and does not leak into the next. */
    CHECK("event: ping\ndata: 1\n\n"
          "data: 2\n\n"
          "event: lost\n\ndata: 3\n\n"
          "event:\ndata: 4\n\n"
          "event: a\nevent: b\ndata: 5\n\n"
          "event\ndata: 6\n\n",
          w, 0);
}

Test(sse, id_persists)
{
    static const struct want w[] = {
        EV("message", "a", "7", -1), EV("message", "b", "7", -1), EV("message", "c", "", -1),
        EV("message", "d", "9", -1), EV("message", "e", "x y", -1),
    };
    /* "id" alone clears; an id without data still sets the last id. */
    CHECK("id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 9\n\ndata: d\n\n"
          "data: e\nid: x y\n\n",
          w, 0);
}

Test(sse, id_with_nul_ignored)
{
    static const struct want w[] = { EV("message", "a", "1", -1), EV("message", "b", "1", -1) };
    CHECK("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n", w, 0);
}

/* Values past 60 s are clamped to it (SEKHA_SSE_MAX_RETRY_MS), so a caller can add the
 * delay to a clock without overflow. */
Test(sse, retry_digits_only_persists)
{
    static const struct want w[] = {
        EV("message", "a", "", 1500), EV("message", "b", "", 1500), EV("message", "c", "", 1500),
        EV("message", "d", "", 1500), EV("message", "e", "", 1500), EV("message", "f", "", 0),
        EV("message", "g", "", 0), EV("message", "h", "", 60000), EV("message", "i", "", 60000),
        EV("message", "j", "", 59999), EV("message", "k", "", 60000),
    };
    CHECK("retry: 1500\ndata: a\n\n"
          "retry: 15x\ndata: b\n\n"
          "retry:\ndata: c\n\n"
          "retry: -3\ndata: d\n\n"
          "retry:  5\ndata: e\n\n"
          "retry:0\ndata: f\n\n"
          "data: g\n\n"
          "retry: 99999999999999999999999999\ndata: h\n\n"
          "retry: 60001\ndata: i\n\n"
          "retry: 0059999\ndata: j\n\n"
          "retry: 9223372036854775808\ndata: k\n\n",
          w, 0);
}

Test(sse, unknown_fields_ignored)
{
    static const struct want w[] = { EV("message", "z", "", -1) };
    CHECK("foo: bar\nData: x\ndata : y\nEvent: e\nID: 3\nRETRY: 4\ndat: q\ndatas: q\n"
          "data: z\n\n",
          w, 0);
}

Test(sse, unterminated_event_not_dispatched)
{
    static const struct want w[] = { EV("message", "x", "", -1) };
    CHECK_NONE("data: x\n", 1);
    CHECK_NONE("data: x", 1);
    CHECK_NONE("data: x\r", 1);
    CHECK_NONE("event: e\n", 1);
    CHECK_NONE("id: 1\n", 1);
    CHECK("data: x\n\ndata: y\n", w, 1);
    CHECK("data: x\n\n: trailing comment\n", w, 0);
    CHECK("data: x\n\n: cut comm", w, 1);
}

Test(sse, bom_skipped_once_at_start)
{
    static const struct want a[] = { EV("message", "a", "", -1) };
    CHECK("\xEF\xBB\xBF" "data: a\n\n", a, 0);
    CHECK("\xEF\xBB\xBF" ": c\r\ndata: a\r\n\r\n", a, 0);
    CHECK("\xEF\xBB\xBF" "\ndata: a\n\n", a, 0);
    /* A second BOM, a BOM later on, or a BOM prefix is part of a (unknown) field name. */
    CHECK_NONE("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n", 0);
    CHECK_NONE("\xEF\xBB" "data: a\n\n", 0);
    CHECK_NONE("\xEF" "data: a\n\n", 0);
    CHECK_NONE("\xEF\xBB\xBE" "data: a\n\n", 0);
    CHECK("data: a\n\n\xEF\xBB\xBF" "data: b\n\n", a, 0);
    CHECK_NONE("\xEF\xBB\xBF", 0);
    CHECK_NONE("\xEF\xBB", 1);
}

Test(sse, bom_split_across_feeds)
{
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e = NULL;
    static const char *pieces[] = { "\xEF", "", "\xBB", ("\xBF" "da"), "ta: x\n", "\n" };
    for (size_t i = 0; i < NW(pieces); i++) {
        char buf[16];
        size_t n = strlen(pieces[i]);
        memcpy(buf, pieces[i], n);
        sekha__sse_feed(&p, buf, n);
        int rc = sekha__sse_next(&p, &e);
        memset(buf, 0, sizeof buf);
        if (i + 1 < NW(pieces)) {
            cr_assert_eq(rc, 0, "piece %zu", i);
        } else {
            cr_assert_eq(rc, 1);
            cr_assert_str_eq(e->type, "message");
            cr_assert_str_eq(e->data, "x");
        }
    }
    sekha__sse_free(&p);

    /* BOM prefix then something else: the held bytes are part of the first line. */
    sekha__sse_init(&p, 64, 64);
    sekha__sse_feed(&p, "\xEF\xBB", 2);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert(sekha__sse_pending(&p));
    sekha__sse_feed(&p, "data: y\n\ndata: z\n\n", 18);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "z", "the first line's field name starts with EF BB");
    sekha__sse_free(&p);
}

Test(sse, openai_chunk_stream)
{
    static const struct want w[] = {
        EV("message", "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}", "",
           -1),
        EV("message", "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}", "", -1),
        EV("message", "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo\\n\"}}]}", "",
           -1),
        EV("message", "[DONE]", "", -1),
    };
    CHECK("data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
          ": OPENROUTER PROCESSING\n\n"
          "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
          "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo\\n\"}}]}\n\n"
          "data: [DONE]\n\n",
          w, 0);
}

Test(sse, mcp_priming_event)
{
    static const struct want w[] = {
        EV("message", "", "1", -1),
        EV("message", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", "2", 3000),
    };
    CHECK("id: 1\ndata:\n\n"
          "event: message\nid: 2\nretry: 3000\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n",
          w, 0);
}

static char *make_stream(size_t count, size_t *len)
{
    size_t cap = count * 64 + 1, n = 0;
    char *s = malloc(cap);
    cr_assert(s);
    for (size_t i = 0; i < count; i++) {
        const char *eol = (i % 3 == 0) ? "\n" : (i % 3 == 1) ? "\r\n" : "\r";
        n += (size_t)snprintf(s + n, cap - n, "id: %zu%sevent: e%zu%sdata: payload %zu%s%s",
                              i, eol, i % 2, eol, i, eol, eol);
    }
    *len = n;
    return s;
}

Test(sse, thousand_events)
{
    size_t len;
    char *s = make_stream(1000, &len);
    static const size_t windows[] = { 1, 2, 3, 7, 64, 4096, 0 };
    for (size_t wi = 0; wi < NW(windows); wi++) {
        for (int m = NO_STASH; m <= STASH_AFTER_FEED; m++) {
            size_t step = windows[wi] ? windows[wi] : len, ncuts = 0;
            size_t *cuts = malloc((len / step + 1) * sizeof *cuts);
            cr_assert(cuts);
            for (size_t at = step; at < len; at += step)
                cuts[ncuts++] = at;
            struct got g;
            run(s, len, cuts, ncuts, (enum stash_mode)m, 256, 256, &g);
            free(cuts);
            cr_assert_eq(g.n, 1000, "window %zu mode %d: %zu events", step, m, g.n);
            cr_assert_eq(g.rc, 0);
            cr_assert_not(g.pending);
            for (size_t i = 0; i < g.n; i++) {
                char data[32], id[32], type[8];
                snprintf(data, sizeof data, "payload %zu", i);
                snprintf(id, sizeof id, "%zu", i);
                snprintf(type, sizeof type, "e%zu", i % 2);
                cr_assert_str_eq(g.v[i].data, data, "window %zu mode %d event %zu", step, m, i);
                cr_assert_str_eq(g.v[i].id, id);
                cr_assert_str_eq(g.v[i].type, type);
            }
            got_free(&g);
        }
    }
    free(s);
}

Test(sse, event_outlives_window)
{
    char buf[] = "event: t\nid: 5\ndata: keep me\n\n";
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e = NULL;
    sekha__sse_feed(&p, buf, sizeof buf - 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    memset(buf, 'X', sizeof buf - 1);
    cr_assert_str_eq(e->type, "t");
    cr_assert_str_eq(e->id, "5");
    cr_assert_str_eq(e->data, "keep me");
    cr_assert_eq(e->data_len, 7);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    sekha__sse_free(&p);
}

Test(sse, stash_mid_window)
{
    static const char src[] = "data: one\n\nevent: two\ndata: 2\n\nid: 3\ndata: three\n\ndata: fo";
    size_t n = sizeof src - 1;
    char *w = malloc(n);
    cr_assert(w);
    memcpy(w, src, n);
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e = NULL;
    sekha__sse_feed(&p, w, n);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "one");
    /* Pause: keep the rest, then destroy the caller's buffer. */
    cr_assert_eq(sekha__sse_stash(&p), 0);
    cr_assert(sekha__sse_pending(&p), "stashed unread bytes are held");
    memset(w, '\n', n);
    free(w);
    cr_assert_eq(sekha__sse_stash(&p), 0, "stashing twice is harmless");
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->type, "two");
    cr_assert_str_eq(e->data, "2");
    cr_assert_eq(sekha__sse_stash(&p), 0);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "three");
    cr_assert_str_eq(e->id, "3");
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert(sekha__sse_pending(&p), "the cut line \"data: fo\" is held");
    char w2[] = "ur\n\n";
    sekha__sse_feed(&p, w2, 4);
    cr_assert_eq(sekha__sse_stash(&p), 0, "stash straight after feed joins the held line");
    memset(w2, 0, sizeof w2);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_str_eq(e->data, "four");
    cr_assert_str_eq(e->id, "3");
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert_not(sekha__sse_pending(&p));
    sekha__sse_free(&p);
}

Test(sse, line_limit)
{
    /* max_line 16: "data: 0123456789" is exactly 16 bytes, one more is too long. */
    static const struct want ok[] = { EV("message", "0123456789", "", -1) };
    static const char fits[] = "data: 0123456789\n\n";
    check_lim(fits, sizeof fits - 1, ok, 1, 0, 0, 16, BIG);
    static const struct want first[] = { EV("message", "a", "", -1) };
    static const char over[] = "data: a\n\ndata: 0123456789A\n\ndata: b\n\n";
    check_lim(over, sizeof over - 1, first, 1, -SEKHA_E_TOO_LARGE, 0, 16, BIG);
    static const char comment[] = ": comment longer than sixteen\n\n";
    check_lim(comment, sizeof comment - 1, NULL, 0, -SEKHA_E_TOO_LARGE, 0, 16, BIG);
    static const char cut[] = "data: a\n\ndata: 0123456789ABCDEF";
    check_lim(cut, sizeof cut - 1, first, 1, -SEKHA_E_TOO_LARGE, 0, 16, BIG);
}

Test(sse, line_limit_bounds_buffering_and_is_sticky)
{
    sekha_sse_parser p;
    sekha__sse_init(&p, 32, BIG);
    struct sekha_sse_event *e = NULL;
    int rc = 0;
    size_t fed = 0;
    /* A line that never ends, one byte at a time: refused once it passes the limit. */
    while (rc == 0 && fed < 1000) {
        sekha__sse_feed(&p, "x", 1);
        fed++;
        rc = sekha__sse_next(&p, &e);
    }
    cr_assert_eq(rc, -SEKHA_E_TOO_LARGE);
    cr_assert_eq(fed, 33);
    cr_assert_leq(p.line_cap, 33, "line buffer grew past the limit: %zu", p.line_cap);
    sekha__sse_feed(&p, "\n\ndata: ok\n\n", 12);
    cr_assert_eq(sekha__sse_next(&p, &e), -SEKHA_E_TOO_LARGE, "the error is sticky");
    cr_assert_eq(sekha__sse_stash(&p), -SEKHA_E_TOO_LARGE);
    sekha__sse_reset(&p);
    sekha__sse_feed(&p, "data: ok\n\n", 10);
    cr_assert_eq(sekha__sse_next(&p, &e), 1, "reset clears the error");
    cr_assert_str_eq(e->data, "ok");
    sekha__sse_free(&p);
}

Test(sse, event_limit)
{
    /* max_event 8 counts the joining LFs: "abc\nde\nfg" is 9 bytes. */
    static const struct want ok[] = {
        EV("message", "12345678", "", -1), EV("message", "abc\nde\nf", "", -1),
    };
    static const char fits[] = "data: 12345678\n\ndata: abc\ndata: de\ndata: f\n\n";
    check_lim(fits, sizeof fits - 1, ok, 2, 0, 0, BIG, 8);
    static const char over[] = "data: 12345678\n\ndata: abc\ndata: de\ndata: fg\n\ndata: x\n\n";
    check_lim(over, sizeof over - 1, ok, 1, -SEKHA_E_TOO_LARGE, 1, BIG, 8);
    static const char one[] = "data: 123456789\n\n";
    check_lim(one, sizeof one - 1, NULL, 0, -SEKHA_E_TOO_LARGE, 1, BIG, 8);

    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 100);
    struct sekha_sse_event *e = NULL;
    int rc = 0;
    size_t lines = 0;
    while (rc == 0 && lines < 1000) {
        sekha__sse_feed(&p, "data: 123456789\n", 16);
        lines++;
        rc = sekha__sse_next(&p, &e);
    }
    cr_assert_eq(rc, -SEKHA_E_TOO_LARGE);
    cr_assert_eq(lines, 11, "10 lines make 99 bytes of data, the 11th would make 109");
    cr_assert_leq(p.data_cap, 101, "data buffer grew past the limit: %zu", p.data_cap);
    sekha__sse_free(&p);
}

Test(sse, reset_forgets_stream_state)
{
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e = NULL;
    static const char in[] = "id: 4\nretry: 10\ndata: a\n\nevent: t\ndata: part";
    sekha__sse_feed(&p, in, sizeof in - 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 1);
    cr_assert_eq(sekha__sse_next(&p, &e), 0);
    cr_assert(sekha__sse_pending(&p));
    sekha__sse_reset(&p);
    cr_assert_not(sekha__sse_pending(&p));
    sekha__sse_feed(&p, "\xEF\xBB\xBF" "data: b\n\n", 12);
    cr_assert_eq(sekha__sse_next(&p, &e), 1, "a BOM is skipped again after reset");
    cr_assert_str_eq(e->type, "message");
    cr_assert_str_eq(e->data, "b");
    cr_assert_str_eq(e->id, "");
    cr_assert_eq(e->retry_ms, -1);
    sekha__sse_free(&p);
}

Test(sse, cr_only_long_window)
{
    /* Many CR-terminated events in one window (the LF search must not rescan it). */
    size_t count = 20000, len = count * 11;
    char *s = malloc(len);
    cr_assert(s);
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * 11, "data: abc\r\r", 11);
    sekha_sse_parser p;
    sekha__sse_init(&p, 64, 64);
    struct sekha_sse_event *e = NULL;
    sekha__sse_feed(&p, s, len);
    size_t n = 0;
    while (sekha__sse_next(&p, &e) == 1) {
        cr_assert_eq(e->data_len, 3);
        n++;
    }
    cr_assert_eq(n, count);
    cr_assert_not(sekha__sse_pending(&p));
    sekha__sse_free(&p);
    free(s);
}
