/* The fast chunk decoder: one validating pass, no tree (see chunk.h for the contract).
 *
 * Speed comes from three things: strings are skipped eight bytes at a time while no byte
 * needs attention (quote, backslash, control, non-ASCII); content without escapes is
 * copied with one memcpy straight into the caller's text buffer; and nothing is allocated.
 * Correctness comes from validating every byte of the input, including the parts that
 * are skipped, so OK always means "valid JSON, and these fields are exactly what a full
 * parser would report". */
#include "bridge/chunk.h"
#include "core/jdoc.h"
#include "core/swar.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting is left to cJSON, which enforces its own limit. */
#define MAX_DEPTH 256

enum { R_OK = 0, R_FALLBACK = SEKHA__CHUNK_FALLBACK, R_INVALID = SEKHA__CHUNK_INVALID };

#define TRY(x)                   \
    do {                         \
        int rc_ = (x);           \
        if (rc_ != R_OK)         \
            return rc_;          \
    } while (0)

typedef struct scan {
    const unsigned char *p, *end, *base;
    sekha_buf *text;
    sekha__chunk_fields *f;
    const unsigned char *fail_at;
} scan;

/* Byte classes inside a string: 0 plain, 1 quote, 2 backslash, 3 control, 4 non-ASCII. */
static const unsigned char str_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

static int invalid(scan *s, const unsigned char *at)
{
    s->fail_at = at;
    return R_INVALID;
}

static inline void skip_ws(scan *s)
{
    const unsigned char *p = s->p;
    while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

/* Skips a string whose opening quote s->p points at, validating it. The body (between the
 * quotes) goes to *body and *n; *escaped says whether it holds backslashes. */
static int scan_string(scan *s, const unsigned char **body, size_t *n, int *escaped)
{
    const unsigned char *p = s->p + 1, *end = s->end;
    *body = p;
    *escaped = 0;
    for (;;) {
        /* Jump to the next byte that needs attention a block at a time (the core's scan,
         * shared with the JSON reader), then byte by byte near the end. */
        while (end - p >= SEKHA_SCAN_BLOCK) {
            int k = sekha__scan_block((const char *)p, 1);
            if (k > 0)
                p += k;
            if (k != SEKHA_SCAN_BLOCK)
                break;
        }
        while (p < end && str_class[*p] == 0)
            p++;
        if (p >= end)
            return invalid(s, p);
        switch (str_class[*p]) {
        case 1:
            *n = (size_t)(p - *body);
            s->p = p + 1;
            return R_OK;
        case 2: {
            unsigned cp;
            size_t k = sekha__json_escape_len(p + 1, end, &cp);
            if (!k)
                return invalid(s, p);
            *escaped = 1;
            p += 1 + k;
            break;
        }
        case 3:
            return invalid(s, p);
        default: {
            size_t k = sekha__utf8_seq(p, end);
            if (!k)
                return invalid(s, p);
            p += k;
            break;
        }
        }
    }
}

/* Appends an already validated string body to the text buffer, unescaping it. The
 * decoded form is never longer than the escaped one, so one reservation suffices. */
static int append_text(scan *s, const unsigned char *b, size_t n, int escaped)
{
    sekha_buf *t = s->text;
    if (sekha__buf_reserve(t, n) != 0)
        return R_FALLBACK; /* out of memory: the full path reports it */
    s->f->content_off = t->len;
    unsigned char *o = (unsigned char *)t->data + t->len, *o0 = o;
    if (!escaped) {
        memcpy(o, b, n);
        o += n;
    } else {
        int nul; /* U+0000 is kept: the text has a length */
        o += sekha__json_unescape(b, n, o, &nul);
    }
    s->f->content_len = (size_t)(o - o0);
    s->f->has_content = 1;
    t->len += s->f->content_len;
    t->data[t->len] = '\0';
    return R_OK;
}

static int skip_value(scan *s, int depth);

static int scan_number(scan *s, long *ival, int *is_int)
{
    const unsigned char *p = s->p, *end = s->end;
    int neg = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return invalid(s, p);
    const unsigned char *digits = p;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t nd = (size_t)(p - digits);
    int integral = 1;
    if (p < end && *p == '.') {
        integral = 0;
        if (++p >= end || *p < '0' || *p > '9')
            return invalid(s, p);
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return invalid(s, p);
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    if (is_int) {
        /* Only plain integers of up to 15 digits are certain to be exact in both parsers;
         * they are summed in 64 bits and must also fit a long, which may be 32 bits
         * (ILP32, LLP64): the full parser reports the others. */
        *is_int = integral && nd <= 15;
        if (*is_int) {
            int64_t v = 0;
            for (const unsigned char *d = digits; d < digits + nd; d++)
                v = v * 10 + (*d - '0');
            if (neg)
                v = -v;
            *is_int = v >= LONG_MIN && v <= LONG_MAX;
            if (*is_int)
                *ival = (long)v;
        }
    }
    return R_OK;
}

static int scan_literal(scan *s)
{
    static const struct { const char *w; size_t n; } lits[] = {
        {"true", 4}, {"false", 5}, {"null", 4}};
    for (size_t i = 0; i < 3; i++)
        if (*s->p == (unsigned char)lits[i].w[0]) {
            if ((size_t)(s->end - s->p) < lits[i].n || memcmp(s->p, lits[i].w, lits[i].n) != 0)
                return invalid(s, s->p);
            s->p += lits[i].n;
            return R_OK;
        }
    return invalid(s, s->p);
}

static inline int is_null(const scan *s)
{
    return s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0;
}

/* Steps into the object or array at s->p; 1 when it is empty (and already left). */
static int enter(scan *s, unsigned char close)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 1;
    }
    return 0;
}

/* After a member or an element: steps over the comma, or out of the container at its
 * closing byte (*done = 1). */
static int after_item(scan *s, unsigned char close, int *done)
{
    skip_ws(s);
    if (s->p >= s->end)
        return invalid(s, s->p);
    if (*s->p == close) {
        s->p++;
        *done = 1;
        return R_OK;
    }
    if (*s->p != ',')
        return invalid(s, s->p);
    s->p++;
    skip_ws(s);
    return R_OK;
}

/* Iterates the members of the object at s->p. `member` (NULL: skip every value) must
 * consume the value. Objects whose keys matter go to the full parser when a key holds an
 * escape, since "\u0063ontent" spells a known name. */
typedef int (*member_fn)(scan *s, const unsigned char *key, size_t klen, void *ctx, int depth);

static int scan_object(scan *s, int depth, member_fn member, void *ctx)
{
    if (depth > MAX_DEPTH)
        return R_FALLBACK;
    if (enter(s, '}'))
        return R_OK;
    for (int done = 0; !done;) {
        if (s->p >= s->end || *s->p != '"')
            return invalid(s, s->p);
        const unsigned char *key;
        size_t klen;
        int esc;
        TRY(scan_string(s, &key, &klen, &esc));
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return invalid(s, s->p);
        s->p++;
        skip_ws(s);
        if (s->p >= s->end)
            return invalid(s, s->p);
        if (member && esc)
            return R_FALLBACK;
        TRY(member ? member(s, key, klen, ctx, depth + 1) : skip_value(s, depth + 1));
        TRY(after_item(s, '}', &done));
    }
    return R_OK;
}

/* Iterates an array; `first` (may be NULL) consumes element 0, the rest are skipped. */
static int scan_array(scan *s, int depth, int (*first)(scan *, int))
{
    if (depth > MAX_DEPTH)
        return R_FALLBACK;
    if (enter(s, ']'))
        return R_OK;
    for (int i = 0, done = 0; !done; i++) {
        if (s->p >= s->end)
            return invalid(s, s->p);
        TRY(i == 0 && first ? first(s, depth + 1) : skip_value(s, depth + 1));
        TRY(after_item(s, ']', &done));
    }
    return R_OK;
}

static int skip_value(scan *s, int depth)
{
    const unsigned char *b;
    size_t n;
    int esc;
    switch (*s->p) {
    case '"': return scan_string(s, &b, &n, &esc);
    case '{': return scan_object(s, depth, NULL, NULL);
    case '[': return scan_array(s, depth, NULL);
    case 't': case 'f': case 'n': return scan_literal(s);
    default: return scan_number(s, NULL, NULL);
    }
}

/* JSON null is consumed (nothing to report); any other type is left to the full parser,
 * which decides what it means. */
static int null_else_fallback(scan *s)
{
    if (!is_null(s))
        return R_FALLBACK;
    s->p += 4;
    return R_OK;
}

/* A plain integer of up to 15 digits into *v; other numbers and types: the full parser. */
static int scan_int(scan *s, long *v)
{
    int is_int = 0;
    if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
        return R_FALLBACK;
    TRY(scan_number(s, v, &is_int));
    return is_int ? R_OK : R_FALLBACK;
}

/* A string (taken as a span, escapes left to the full parser) or null. */
static int string_or_null(scan *s, sekha__span *out)
{
    if (*s->p == '"') {
        const unsigned char *b;
        size_t n;
        int esc;
        TRY(scan_string(s, &b, &n, &esc));
        if (esc)
            return R_FALLBACK;
        out->p = (const char *)b;
        out->n = n;
        return R_OK;
    }
    out->p = NULL;
    return null_else_fallback(s);
}

#define KEY(k, lit) (klen == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

/* Bits of keys seen, so duplicates (where parsers may disagree) go to the full parser. */
enum {
    SEEN_CONTENT = 1, SEEN_ROLE = 2, SEEN_DELTA = 4, SEEN_INDEX = 8, SEEN_FINISH = 16,
    SEEN_CHOICES = 32, SEEN_USAGE = 64, SEEN_MODEL = 128, SEEN_ID = 256,
    SEEN_PROMPT = 512, SEEN_COMPLETION = 1024, SEEN_TOTAL = 2048
};

static int once(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return R_FALLBACK;
    *seen |= bit;
    return R_OK;
}

static int delta_member(scan *s, const unsigned char *key, size_t klen, void *ctx, int depth)
{
    unsigned *seen = ctx;
    if (KEY(key, "content")) {
        TRY(once(seen, SEEN_CONTENT));
        if (*s->p == '"') {
            const unsigned char *b;
            size_t n;
            int esc;
            TRY(scan_string(s, &b, &n, &esc));
            s->f->content_at = (size_t)(b - s->base);
            s->f->content_raw = n;
            return append_text(s, b, n, esc);
        }
        return null_else_fallback(s);
    }
    if (KEY(key, "role")) {
        TRY(once(seen, SEEN_ROLE));
        return string_or_null(s, &s->f->role);
    }
    if (KEY(key, "tool_calls") || KEY(key, "function_call"))
        return R_FALLBACK;
    return skip_value(s, depth);
}

static int choice_member(scan *s, const unsigned char *key, size_t klen, void *ctx, int depth)
{
    unsigned *seen = ctx;
    if (KEY(key, "delta")) {
        TRY(once(seen, SEEN_DELTA));
        if (*s->p == '{') {
            unsigned dseen = 0;
            return scan_object(s, depth, delta_member, &dseen);
        }
        return null_else_fallback(s);
    }
    if (KEY(key, "index")) {
        TRY(once(seen, SEEN_INDEX));
        long v = -1;
        TRY(scan_int(s, &v));
        return v == 0 ? R_OK : R_FALLBACK;
    }
    if (KEY(key, "finish_reason")) {
        TRY(once(seen, SEEN_FINISH));
        return string_or_null(s, &s->f->finish);
    }
    if (KEY(key, "message"))
        return R_FALLBACK;
    return skip_value(s, depth);
}

static int first_choice(scan *s, int depth)
{
    if (*s->p != '{')
        return R_FALLBACK;
    unsigned seen = 0;
    return scan_object(s, depth, choice_member, &seen);
}

static int usage_member(scan *s, const unsigned char *key, size_t klen, void *ctx, int depth)
{
    unsigned *seen = ctx;
    int slot = KEY(key, "prompt_tokens") ? 0 : KEY(key, "completion_tokens") ? 1
             : KEY(key, "total_tokens") ? 2 : -1;
    if (slot < 0)
        return skip_value(s, depth);
    TRY(once(seen, (unsigned)SEEN_PROMPT << slot));
    return scan_int(s, &s->f->usage[slot]);
}

static int top_member(scan *s, const unsigned char *key, size_t klen, void *ctx, int depth)
{
    unsigned *seen = ctx;
    if (KEY(key, "choices")) {
        TRY(once(seen, SEEN_CHOICES));
        if (*s->p == '[')
            return scan_array(s, depth, first_choice);
        return R_FALLBACK;
    }
    if (KEY(key, "usage")) {
        TRY(once(seen, SEEN_USAGE));
        if (*s->p != '{')
            return null_else_fallback(s);
        unsigned useen = 0;
        s->f->has_usage = 1;
        return scan_object(s, depth, usage_member, &useen);
    }
    if (KEY(key, "model")) {
        TRY(once(seen, SEEN_MODEL));
        return string_or_null(s, &s->f->model);
    }
    if (KEY(key, "id")) {
        TRY(once(seen, SEEN_ID));
        return string_or_null(s, &s->f->id);
    }
    if (KEY(key, "error"))
        return R_FALLBACK;
    return skip_value(s, depth);
}

sekha__chunk_rc sekha__chunk_scan(const char *data, size_t len, sekha_buf *text,
                                  sekha__chunk_fields *f)
{
    memset(f, 0, sizeof *f);
    f->usage[0] = f->usage[1] = f->usage[2] = -1;
    scan s = {(const unsigned char *)data, (const unsigned char *)data + len,
              (const unsigned char *)data, text, f, NULL};
    skip_ws(&s);
    if (s.p >= s.end)
        return SEKHA__CHUNK_INVALID;
    int rc;
    if (*s.p != '{') {
        /* Valid JSON that is not an object is not a chunk: the full parser says which. */
        rc = skip_value(&s, 0);
        if (rc == R_OK)
            rc = R_FALLBACK;
    } else {
        unsigned seen = 0;
        rc = scan_object(&s, 0, top_member, &seen);
    }
    if (rc == R_OK) {
        skip_ws(&s);
        if (s.p != s.end)
            rc = invalid(&s, s.p);
    }
    if (rc == R_INVALID)
        f->error_at = (size_t)((s.fail_at ? s.fail_at : s.p) - s.base);
    return (sekha__chunk_rc)rc;
}

/* ---- templates ---- */

void sekha__chunk_tpl_free(sekha__chunk_tpl *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

#define TPL_MAX 4096 /* longer chunks are rare and not worth keeping a copy of */

/* Spans are kept as offsets from the chunk's start, remapped onto each matching chunk. */
static void spans_to_offsets(sekha__chunk_fields *f, const char *data)
{
    sekha__span *sp[4] = {&f->role, &f->finish, &f->model, &f->id};
    for (int i = 0; i < 4; i++)
        if (sp[i]->p)
            sp[i]->p = (const char *)(uintptr_t)(sp[i]->p - data + 1); /* 0 stays "absent" */
}

static void learn(sekha__chunk_tpl *t, const char *data, size_t len, const sekha__chunk_fields *f)
{
    if (!f->has_content || len > TPL_MAX)
        return; /* the previous template may still fit the next chunk */
    size_t plen = f->content_at, slen = len - f->content_at - f->content_raw - 1;
    if (plen + slen > t->cap) {
        size_t cap = (plen + slen + 64) & ~(size_t)63; /* a little room for longer ids */
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->valid = 0;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf, data, plen);
    memcpy(t->buf + plen, data + len - slen, slen);
    t->plen = plen;
    t->slen = slen;
    t->f = *f;
    spans_to_offsets(&t->f, data);
    t->valid = 1;
}

/* 1 on a match (f filled, content appended), 0 when the chunk is not the template's,
 * -1 when the content string is broken (the chunk is certainly invalid). */
static int try_template(const sekha__chunk_tpl *t, const char *data, size_t len, sekha_buf *text,
                        sekha__chunk_fields *f)
{
    if (!t || !t->valid || len <= t->plen + t->slen || memcmp(data, t->buf, t->plen) != 0)
        return 0;
    scan s = {(const unsigned char *)data + t->plen - 1, (const unsigned char *)data + len,
              (const unsigned char *)data, text, f, NULL};
    const unsigned char *b;
    size_t n;
    int esc;
    if (scan_string(&s, &b, &n, &esc) != R_OK) {
        f->error_at = (size_t)(s.fail_at - s.base);
        return -1;
    }
    if ((size_t)(s.end - s.p) != t->slen || memcmp(s.p, t->buf + t->plen, t->slen) != 0)
        return 0;
    *f = t->f;
    /* offsets after the content move by the difference in content length */
    sekha__span *sp[4] = {&f->role, &f->finish, &f->model, &f->id};
    for (int i = 0; i < 4; i++) {
        if (!sp[i]->p)
            continue;
        size_t off = (size_t)(uintptr_t)sp[i]->p - 1;
        if (off > t->plen)
            off = off - t->f.content_raw + n;
        sp[i]->p = data + off;
    }
    f->content_raw = n;
    return append_text(&s, b, n, esc) == R_OK ? 1 : 0;
}

sekha__chunk_rc sekha__chunk_decode_tpl(sekha__chunk_tpl *t, const char *data, size_t len,
                                        sekha_buf *text, sekha__chunk_fields *f, cJSON **root)
{
    *root = NULL;
    int hit = try_template(t, data, len, text, f);
    if (hit > 0) {
        t->hits++;
        return SEKHA__CHUNK_OK;
    }
    if (hit < 0)
        return SEKHA__CHUNK_INVALID;
    size_t mark = text->len;
    sekha__chunk_rc rc = sekha__chunk_scan(data, len, text, f);
    if (rc == SEKHA__CHUNK_OK) {
        if (t)
            learn(t, data, len, f);
        return rc;
    }
    text->len = mark; /* the scan may have appended before it gave up */
    if (rc == SEKHA__CHUNK_FALLBACK)
        rc = sekha__chunk_parse_full(data, len, text, f, root);
    if (rc != SEKHA__CHUNK_OK) {
        text->len = mark;
        if (text->data)
            text->data[mark] = '\0';
    }
    return rc;
}

sekha__chunk_rc sekha__chunk_decode(const char *data, size_t len, sekha_buf *text,
                                    sekha__chunk_fields *f, cJSON **root)
{
    return sekha__chunk_decode_tpl(NULL, data, len, text, f, root);
}
