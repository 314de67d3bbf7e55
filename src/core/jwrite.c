#include "core/jwrite.h"
#include "core/cnum.h"
#include "core/internal.h"
#include "core/jdoc.h"
#include "core/swar.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x

/* What a byte needs in a JSON string: 0 copied as it is, 1 escaped, 2 checked as the start
 * of a UTF-8 sequence. One load decides a byte of the short tails the block scan leaves. */
static const unsigned char byte_class[256] = {
    R16(1), R16(1),                                 /* 0x00-0x1f: control characters */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20-0x2f: '"' */
    R16(0), R16(0),                                 /* 0x30-0x4f */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50-0x5f: '\\' */
    R16(0), R16(0),                                 /* 0x60-0x7f */
    R16(2), R16(2), R16(2), R16(2), R16(2), R16(2), R16(2), R16(2), /* 0x80-0xff */
};

/* Inlined into both entry points: this is the hot path of the query body. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int write_string(sekha_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX; reserving it once keeps the loop branch-light. */
    if (n > ((size_t)-1 - 2) / 6 || sekha__buf_reserve(b, n * 6 + 2) != 0)
        return SEKHA_JW_NOMEM;
    char *o = b->data + b->len;
    *o++ = '"';
    const char *end = s + n, *p = s;
    for (;;) {
        /* Copy runs of plain ASCII a block at a time; the scan also stops at bytes >= 0x80,
         * which are checked below, so ASCII pays nothing for the check. */
        while (end - p >= SEKHA_SCAN_BLOCK) {
            int k = sekha__scan_block(p, 1);
            if (k < 0)
                break;
            memcpy(o, p, (size_t)k);
            o += k;
            p += k;
            if (k < SEKHA_SCAN_BLOCK)
                break;
        }
        /* Then plain bytes one at a time: the tail shorter than a block (or all of it
         * where the scan cannot tell). */
        while (p < end && !byte_class[(unsigned char)*p])
            *o++ = *p++;
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (byte_class[c] == 2) {
            size_t k = sekha__utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!k) {
                b->data[b->len] = '\0'; /* nothing written counts */
                return SEKHA_JW_NOT_UTF8;
            }
            memcpy(o, p, k);
            o += k;
            p += k;
            continue;
        }
        p++;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return 0;
}

int sekha__jw_string_n(sekha_buf *b, const char *s, size_t n)
{
    return write_string(b, s, n);
}

int sekha__jw_string(sekha_buf *b, const char *s)
{
    return write_string(b, s, strlen(s));
}

static int put_ll(sekha_buf *b, long long v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    return sekha__buf_append(b, p, (size_t)(e - p)) == 0 ? 0 : SEKHA_JW_NOMEM;
}

int sekha__jw_long(sekha_buf *b, long v)
{
    return put_ll(b, v);
}

int sekha__jw_double(sekha_buf *b, double v)
{
    if (!isfinite(v))
        return sekha__buf_puts(b, "null") == 0 ? 0 : SEKHA_JW_NOMEM;
    if (v == floor(v) && fabs(v) < 1e15)
        return put_ll(b, (long long)v);
    char tmp[40];
    int n = sekha__dtoa_c(tmp, sizeof tmp, v);
    if (n < 0)
        return sekha__buf_puts(b, "null") == 0 ? 0 : SEKHA_JW_NOMEM;
    return sekha__buf_append(b, tmp, (size_t)n) == 0 ? 0 : SEKHA_JW_NOMEM;
}

void sekha__jw_why_utf8(char *why, size_t why_len, const char *name, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    snprintf(why, why_len, "%s is not valid UTF-8 (at byte %zu)", name,
             s ? sekha__utf8_invalid_at(s, n) : (size_t)0);
}

/* ---- trees ---- */

typedef struct tree_out {
    sekha_buf *b;
    char path[256]; /* where the writer is, "messages[0].content"; cut short when deep */
    size_t plen;
    char *why;
    size_t why_len;
} tree_out;

/* Appends a path segment; returns the length to go back to. */
static size_t path_push(tree_out *t, const char *key, size_t index)
{
    size_t at = t->plen, room = sizeof t->path - at;
    int n = key ? snprintf(t->path + at, room, "%s%s", at ? "." : "", key)
                : snprintf(t->path + at, room, "[%zu]", index);
    t->plen = n < 0 ? at : (size_t)n >= room ? sizeof t->path - 1 : at + (size_t)n;
    return at;
}

static void path_pop(tree_out *t, size_t at)
{
    t->plen = at;
    t->path[at] = '\0';
}

static const char *path_name(const tree_out *t)
{
    return t->plen ? t->path : "the value";
}

static int put_tree(tree_out *t, const cJSON *v);

static int put_members(tree_out *t, const cJSON *v, int object)
{
    size_t i = 0;
    for (const cJSON *m = v->child; m; m = m->next, i++) {
        if (m != v->child && sekha__buf_puts(t->b, ",") != 0)
            return SEKHA_JW_NOMEM;
        if (object) {
            const char *key = m->string ? m->string : "";
            int rc = sekha__jw_string(t->b, key);
            if (rc == SEKHA_JW_NOT_UTF8)
                snprintf(t->why, t->why_len, "a key in %s is not valid UTF-8 (at byte %zu)",
                         t->plen ? t->path : "the object",
                         sekha__utf8_invalid_at(key, strlen(key)));
            if (rc == 0 && sekha__buf_puts(t->b, ":") != 0)
                rc = SEKHA_JW_NOMEM;
            if (rc)
                return rc;
        }
        size_t at = path_push(t, object ? (m->string ? m->string : "") : NULL, i);
        int rc = put_tree(t, m);
        if (rc)
            return rc;
        path_pop(t, at);
    }
    return 0;
}

static int put_tree(tree_out *t, const cJSON *v)
{
    const char *s;
    int rc;
    switch (v->type & 0xFF) {
    case cJSON_NULL:
        return sekha__buf_puts(t->b, "null") == 0 ? 0 : SEKHA_JW_NOMEM;
    case cJSON_False:
        return sekha__buf_puts(t->b, "false") == 0 ? 0 : SEKHA_JW_NOMEM;
    case cJSON_True:
        return sekha__buf_puts(t->b, "true") == 0 ? 0 : SEKHA_JW_NOMEM;
    case cJSON_Number:
        return sekha__jw_double(t->b, v->valuedouble);
    case cJSON_String:
        s = v->valuestring ? v->valuestring : "";
        rc = sekha__jw_string(t->b, s);
        if (rc == SEKHA_JW_NOT_UTF8)
            sekha__jw_why_utf8(t->why, t->why_len, path_name(t), s);
        return rc;
    case cJSON_Raw: /* sent as it is, so it must be JSON already */
        s = v->valuestring ? v->valuestring : "";
        rc = sekha__jw_check_text(s, path_name(t), t->why, t->why_len);
        if (rc == 0 && sekha__buf_puts(t->b, s) != 0)
            rc = SEKHA_JW_NOMEM;
        return rc;
    case cJSON_Array:
    case cJSON_Object: {
        int object = (v->type & 0xFF) == cJSON_Object;
        if (sekha__buf_puts(t->b, object ? "{" : "[") != 0)
            return SEKHA_JW_NOMEM;
        rc = put_members(t, v, object);
        if (rc == 0 && sekha__buf_puts(t->b, object ? "}" : "]") != 0)
            rc = SEKHA_JW_NOMEM;
        return rc;
    }
    default:
        snprintf(t->why, t->why_len, "%s is not a JSON value", path_name(t));
        return SEKHA_JW_NOT_JSON;
    }
}

int sekha__jw_tree(sekha_buf *b, const cJSON *v, char *why, size_t why_len)
{
    char scratch[8];
    tree_out t = {.b = b, .why = why ? why : scratch, .why_len = why ? why_len : sizeof scratch};
    size_t start = b->len;
    if (t.why_len)
        t.why[0] = '\0';
    int rc = v ? put_tree(&t, v) : SEKHA_JW_NOT_JSON;
    if (!v)
        snprintf(t.why, t.why_len, "no JSON value");
    if (rc != 0 && b->data) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

int sekha__jw_check_text(const char *text, const char *name, char *why, size_t why_len)
{
    sekha_jdoc d = {0};
    size_t at = 0;
    int rc = text ? sekha__jdoc_parse(&d, text, strlen(text), &at) : -1;
    sekha__jdoc_free(&d);
    switch (rc) {
    case 0:
        return 0;
    case -2:
        snprintf(why, why_len, "out of memory checking %s", name);
        return SEKHA_JW_NOMEM;
    case -3:
        snprintf(why, why_len, "%s is not valid UTF-8 (at byte %zu)", name, at);
        return SEKHA_JW_NOT_UTF8;
    default:
        if (text)
            snprintf(why, why_len, "%s is not valid JSON (broken at byte %zu)", name, at);
        else
            snprintf(why, why_len, "%s is missing", name);
        return SEKHA_JW_NOT_JSON;
    }
}
