/* Server-Sent Events parser: pure, I/O-free, WHATWG rules, bounded memory.
 *
 * Pull model: sekha__sse_feed() lends a window of input bytes (not copied); each
 * sekha__sse_next() returns the next complete event from what was fed. When the window is
 * exhausted inside a line, the partial line is copied into the parser so the caller may
 * reuse its buffer. A caller that stops pulling before the window is exhausted (to pause)
 * calls sekha__sse_stash() to copy the unread rest in before the window goes away.
 *
 * Rules (html.spec.whatwg.org, "event stream interpretation"): one leading UTF-8 BOM is
 * skipped; lines end with CRLF, LF or CR (a CRLF split across two feeds counts once);
 * lines starting with ':' are comments; "field:value" with one optional space after the
 * colon removed; a line without a colon is a field with an empty value; fields data,
 * event, id (ignored when the value contains NUL), retry (only ASCII digits, clamped to
 * SEKHA_SSE_MAX_RETRY_MS); others are
 * ignored. A blank line dispatches: when no data line was seen the event is dropped
 * (type reset); otherwise the data lines joined with '\n' form the data (so "data:" alone
 * gives an event with empty data). The last event id and retry persist across events.
 */
#ifndef SEKHA_CORE_SSE_H
#define SEKHA_CORE_SSE_H

#include <stddef.h>

/* The event handed out by sekha__sse_next(). Pointers stay valid until the next call to
 * sekha__sse_next(), sekha__sse_feed(), sekha__sse_reset() or sekha__sse_free(). */
struct sekha_sse_event {
    const char *type;      /* NUL-terminated; "message" when no event: field was given */
    const char *data;      /* NUL-terminated; data_len excludes the NUL */
    size_t data_len;
    const char *id;        /* last event id, NUL-terminated, "" when none */
    long retry_ms;         /* last retry: value (0 to SEKHA_SSE_MAX_RETRY_MS), -1 when none */
};

typedef struct sekha_sse_parser {
    /* input window lent by feed */
    const char *in;
    size_t in_len;
    size_t in_pos;
    size_t lf_at;        /* index of the next LF in the window (in_len: none), or SIZE_MAX */
    /* partial line carried between windows */
    char *line;
    size_t line_len, line_cap;
    /* event being built */
    char *data;
    size_t data_len, data_cap;
    int have_data;
    char *type;
    size_t type_len, type_cap;
    char *id;
    size_t id_len, id_cap;
    long retry_ms;
    /* limits and state */
    size_t max_line;
    size_t max_event;
    int bom_checked;     /* the first bytes were checked for a BOM */
    int skip_lf;         /* previous line ended with CR: a leading LF belongs to it */
    int in_event;        /* some field line of an undispatched event was seen */
    int error;           /* sticky error (SEKHA_E_TOO_LARGE) once a limit was crossed */
    struct sekha_sse_event ev;
} sekha_sse_parser;

/* Prepares a parser. max_line bounds one line, max_event the data of one event (bytes). */
void sekha__sse_init(sekha_sse_parser *p, size_t max_line, size_t max_event);

/* Releases the parser's buffers. */
void sekha__sse_free(sekha_sse_parser *p);

/* Forgets all state (for a new stream on the same parser), keeping the limits. */
void sekha__sse_reset(sekha_sse_parser *p);

/* Lends the next window of input. Any earlier window must have been fully pulled (next()
 * returned 0) or stashed. */
void sekha__sse_feed(sekha_sse_parser *p, const char *buf, size_t len);

/* Returns 1 and fills *ev with the next event, 0 when the fed input holds no further
 * complete event (a partial line is copied in), or a negative sekha_code
 * (-SEKHA_E_TOO_LARGE) when a line or an event exceeds its limit; the error is sticky. */
int sekha__sse_next(sekha_sse_parser *p, struct sekha_sse_event **ev);

/* Copies the unread rest of the current window into the parser (bounded by the window's
 * size); the window may then be dropped. Returns 0 or -SEKHA_E_TOO_LARGE / -SEKHA_E_NOMEM. */
int sekha__sse_stash(sekha_sse_parser *p);

/* Whether bytes of an unfinished event or line are held (at end of stream this means the
 * stream was cut inside an event). */
int sekha__sse_pending(const sekha_sse_parser *p);

#endif
