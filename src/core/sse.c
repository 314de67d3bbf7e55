#include "core/sse.h"

#include "sekha/error.h"
#include "sekha/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* lf_at value meaning "not searched yet in this window". */
#define LF_UNKNOWN SIZE_MAX

static const unsigned char bom[3] = { 0xEF, 0xBB, 0xBF };

/* Grows geometrically but never past what the limit can use, so memory stays bounded by
 * the limits (a caller passing SIZE_MAX as "no limit" still gets doubling). */
static int grow(char **buf, size_t *cap, size_t need, size_t limit)
{
    if (need <= *cap)
        return 0;
    size_t lim = limit < SIZE_MAX ? limit + 1 : SIZE_MAX;
    size_t n = *cap ? (*cap > SIZE_MAX / 2 ? SIZE_MAX : *cap * 2) : 256;
    if (n > lim)
        n = lim;
    if (n < need)
        n = need;
    char *b = realloc(*buf, n);
    if (!b)
        return -SEKHA_E_NOMEM;
    *buf = b;
    *cap = n;
    return 0;
}

/* Held and unread bytes are dropped, as they will never be parsed; pending() then reports
 * the same state wherever the input happened to be split or stashed. */
static int fail(sekha_sse_parser *p, int rc)
{
    p->error = -rc;
    p->line_len = 0;
    p->in_pos = p->in_len;
    return rc;
}

/* Stores a NUL-terminated copy (event type, last event id). */
static int set_str(char **buf, size_t *cap, size_t *len, const char *v, size_t n, size_t lim)
{
    int rc = grow(buf, cap, n + 1, lim);
    if (rc)
        return rc;
    memcpy(*buf, v, n);
    (*buf)[n] = '\0';
    *len = n;
    return 0;
}

/* Keeps the unfinished tail of the window so the caller may reuse its buffer. After a
 * stash the window lives in p->line itself (with line_len == 0), so the tail is moved
 * within the buffer; it is never longer than the window, so no realloc can move it. */
static int carry(sekha_sse_parser *p, const char *s, size_t n)
{
    if (n > p->max_line - p->line_len)
        return -SEKHA_E_TOO_LARGE;
    if (p->in != p->line) {
        int rc = grow(&p->line, &p->line_cap, p->line_len + n + 1, p->max_line);
        if (rc)
            return rc;
    }
    if (n)
        memmove(p->line + p->line_len, s, n);
    p->line_len += n;
    return 0;
}

/* Skips one leading BOM, which may arrive a byte at a time: its prefix waits in p->line.
 * Returns 1 when decided, 0 when more input is needed, or an error. */
static int check_bom(sekha_sse_parser *p)
{
    size_t k = p->line_len, i = 0, avail = p->in_len - p->in_pos;
    for (; k < 3 && i < avail; k++, i++) {
        if ((unsigned char)p->in[p->in_pos + i] != bom[k]) {
            p->bom_checked = 1;
            return 1;
        }
    }
    if (k < 3) {
        int rc = carry(p, p->in + p->in_pos, avail);
        p->in_pos = p->in_len;
        return rc;
    }
    p->bom_checked = 1;
    p->line_len = 0;
    p->in_pos += i;
    return 1;
}

/* Finds the next complete line. Returns 1 with the line (in the window when it lies inside
 * it, else in p->line), 0 when the window is used up, or an error. */
static int take_line(sekha_sse_parser *p, const char **out, size_t *out_len)
{
    if (p->skip_lf && p->in_pos < p->in_len) {
        if (p->in[p->in_pos] == '\n')
            p->in_pos++;
        p->skip_lf = 0;
    }
    if (p->in_pos == p->in_len)
        return 0;
    if (!p->bom_checked) {
        int rc = check_bom(p);
        if (rc <= 0)
            return rc;
    }
    size_t pos = p->in_pos, end = p->in_len;
    if (pos == end)
        return 0;
    /* The LF position is remembered: with CR-only line ends, searching for LF from every
     * line to the window's end would be quadratic. */
    if (p->lf_at == LF_UNKNOWN || p->lf_at < pos) {
        const char *nl = memchr(p->in + pos, '\n', end - pos);
        p->lf_at = nl ? (size_t)(nl - p->in) : end;
    }
    size_t eol = p->lf_at, next;
    const char *cr = memchr(p->in + pos, '\r', eol - pos);
    if (cr) {
        eol = (size_t)(cr - p->in);
        next = eol + 1;
        if (next < end) {
            if (p->in[next] == '\n')
                next++;
        } else {
            p->skip_lf = 1;     /* the LF of a CRLF may open the next window */
        }
    } else if (eol < end) {
        next = eol + 1;
    } else {
        int rc = carry(p, p->in + pos, end - pos);
        p->in_pos = end;
        return rc;
    }
    p->in_pos = next;
    size_t n = eol - pos;
    if (p->line_len) {
        int rc = carry(p, p->in + pos, n);
        if (rc)
            return rc;
        *out = p->line;
        *out_len = p->line_len;
        p->line_len = 0;
    } else {
        if (n > p->max_line)
            return -SEKHA_E_TOO_LARGE;
        *out = p->in + pos;
        *out_len = n;
    }
    return 1;
}

static int add_data(sekha_sse_parser *p, const char *v, size_t n)
{
    size_t sep = p->have_data ? 1 : 0;
    if (n > p->max_event || sep + n > p->max_event - p->data_len)
        return -SEKHA_E_TOO_LARGE;
    int rc = grow(&p->data, &p->data_cap, p->data_len + sep + n + 1, p->max_event);
    if (rc)
        return rc;
    if (sep)
        p->data[p->data_len] = '\n';
    memcpy(p->data + p->data_len + sep, v, n);
    p->data_len += sep + n;
    p->have_data = 1;
    return 0;
}

/* Clamped, so that callers can add the delay to a clock (a server asking for longer than
 * the cap gets the cap, not an overflow or a stall). */
static void set_retry(sekha_sse_parser *p, const char *v, size_t n)
{
    if (n == 0)
        return;
    long ms = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return;
        if (ms <= SEKHA_SSE_MAX_RETRY_MS)
            ms = ms * 10 + (v[i] - '0');
    }
    p->retry_ms = ms > SEKHA_SSE_MAX_RETRY_MS ? SEKHA_SSE_MAX_RETRY_MS : ms;
}

/* Returns 1 when a blank line completed an event, 0 otherwise, or an error. */
static int dispatch(sekha_sse_parser *p)
{
    p->in_event = 0;
    if (!p->have_data) {
        p->type_len = 0;
        return 0;
    }
    p->data[p->data_len] = '\0';
    p->ev.type = p->type_len ? p->type : "message";
    p->ev.data = p->data;
    p->ev.data_len = p->data_len;
    p->ev.id = p->id ? p->id : "";
    p->ev.retry_ms = p->retry_ms;
    /* Only the lengths are reset: the bytes stay readable until the next call. */
    p->data_len = 0;
    p->have_data = 0;
    p->type_len = 0;
    return 1;
}

static int field(sekha_sse_parser *p, const char *s, size_t n)
{
    if (n == 0)
        return dispatch(p);
    if (s[0] == ':')
        return 0;
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vn = (size_t)(s + n - v);
    if (vn && *v == ' ') {
        v++;
        vn--;
    }
    p->in_event = 1;
    switch (name_len) {
    case 4:
        if (memcmp(s, "data", 4) == 0)
            return add_data(p, v, vn);
        break;
    case 5:
        if (memcmp(s, "event", 5) == 0)
            return set_str(&p->type, &p->type_cap, &p->type_len, v, vn, p->max_line);
        if (memcmp(s, "retry", 5) == 0)
            set_retry(p, v, vn);
        break;
    case 2:
        if (s[0] == 'i' && s[1] == 'd' && !memchr(v, '\0', vn))
            return set_str(&p->id, &p->id_cap, &p->id_len, v, vn, p->max_line);
        break;
    default:
        break;
    }
    return 0;
}

void sekha__sse_init(sekha_sse_parser *p, size_t max_line, size_t max_event)
{
    memset(p, 0, sizeof *p);
    p->max_line = max_line;
    p->max_event = max_event;
    p->retry_ms = -1;
    p->lf_at = LF_UNKNOWN;
}

void sekha__sse_free(sekha_sse_parser *p)
{
    if (!p)
        return;
    free(p->line);
    free(p->data);
    free(p->type);
    free(p->id);
    sekha__sse_init(p, p->max_line, p->max_event);
}

void sekha__sse_reset(sekha_sse_parser *p)
{
    p->in = NULL;
    p->in_len = p->in_pos = 0;
    p->lf_at = LF_UNKNOWN;
    p->line_len = p->data_len = p->type_len = p->id_len = 0;
    p->have_data = 0;
    if (p->id)
        p->id[0] = '\0';
    p->retry_ms = -1;
    p->bom_checked = p->skip_lf = p->in_event = p->error = 0;
    memset(&p->ev, 0, sizeof p->ev);
}

void sekha__sse_feed(sekha_sse_parser *p, const char *buf, size_t len)
{
    p->in = buf;
    p->in_len = len;
    p->in_pos = 0;
    p->lf_at = LF_UNKNOWN;
}

int sekha__sse_next(sekha_sse_parser *p, struct sekha_sse_event **ev)
{
    if (p->error)
        return -p->error;
    for (;;) {
        const char *s = NULL;
        size_t n = 0;
        int rc = take_line(p, &s, &n);
        if (rc <= 0)
            return rc < 0 ? fail(p, rc) : 0;
        rc = field(p, s, n);
        if (rc < 0)
            return fail(p, rc);
        if (rc) {
            *ev = &p->ev;
            return 1;
        }
    }
}

int sekha__sse_stash(sekha_sse_parser *p)
{
    if (p->error)
        return -p->error;
    size_t rest = p->in_len - p->in_pos;
    if (p->in == p->line || rest == 0)
        return 0;
    /* The carried partial line and the rest become one window held in p->line. */
    if (rest > SIZE_MAX - 1 - p->line_len)
        return fail(p, -SEKHA_E_NOMEM);
    size_t total = p->line_len + rest;
    int rc = grow(&p->line, &p->line_cap, total + 1, total);
    if (rc)
        return fail(p, rc);
    memcpy(p->line + p->line_len, p->in + p->in_pos, rest);
    p->in = p->line;
    p->in_len = total;
    p->in_pos = 0;
    p->line_len = 0;
    p->lf_at = LF_UNKNOWN;
    return 0;
}

int sekha__sse_pending(const sekha_sse_parser *p)
{
    return p->line_len > 0 || p->in_event || (p->in == p->line && p->in_pos < p->in_len);
}
