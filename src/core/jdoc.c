#include "core/jdoc.h"
#include "core/cnum.h"
#include "core/internal.h"
#include "core/swar.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sekha_jblock {
    sekha_jblock *next;
    size_t used, cap;
    max_align_t data[];
};

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++;
    return s;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

size_t sekha__json_escape_len(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
    if (p >= end)
        return 0;
    switch (*p) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return 1;
    case 'u':
        break;
    default:
        return 0;
    }
    unsigned u, lo;
    if (end - p < 5 || hex4(p + 1, &u) != 0)
        return 0;
    if (u >= 0xDC00 && u <= 0xDFFF)
        return 0;
    if (u < 0xD800 || u > 0xDBFF) {
        *cp = u;
        return 5;
    }
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u' || hex4(p + 7, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    return 11;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t sekha__json_unescape(const unsigned char *p, size_t n, unsigned char *out, int *nul)
{
    const unsigned char *end = p + n;
    unsigned char *o = out;
    *nul = 0;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs ? bs : end) - p);
        memcpy(o, p, run);
        o += run;
        if (!bs)
            break;
        unsigned cp = 0;
        size_t k = sekha__json_escape_len(bs + 1, end, &cp);
        switch (bs[1]) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            *nul |= cp == 0;
            o += put_utf8(o, cp);
            break;
        default: *o++ = bs[1]; break; /* " \ / */
        }
        p = bs + 1 + k;
    }
    return (size_t)(o - out);
}

/* A string's body from p (after the opening quote): returns its closing quote, or NULL
 * with *bad at the offending byte (and *utf8 set when that is a bad UTF-8 sequence).
 * Escapes are checked completely here (surrogates must pair) so that decoding later cannot
 * fail on them; UTF-8 is checked here too, as only strings may hold bytes >= 0x80. */
static const char *scan_string(const char *p, const char *end, uint8_t *esc, const char **bad,
                               int *utf8)
{
    for (;;) {
        while (end - p >= SEKHA_SCAN_BLOCK) {
            int k = sekha__scan_block(p, 1);
            if (k > 0)
                p += k;
            if (k != SEKHA_SCAN_BLOCK)
                break;
        }
        while (p < end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 && *p != '"' &&
               *p != '\\')
            p++;
        if (p < end && *p == '"')
            return p;
        if (p < end && (unsigned char)*p >= 0x80) {
            size_t k = sekha__utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!k) {
                *utf8 = 1;
                *bad = p;
                return NULL;
            }
            p += k;
            continue;
        }
        if (p >= end || *p != '\\') {
            *bad = p;
            return NULL;
        }
        *esc = 1;
        unsigned cp;
        size_t k = sekha__json_escape_len((const unsigned char *)p + 1,
                                          (const unsigned char *)end, &cp);
        if (!k) {
            *bad = p;
            return NULL;
        }
        p += 1 + k;
    }
}

static int is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* RFC 8259 number grammar; returns the byte after it, or NULL with *bad set. */
static const char *scan_number(const char *p, const char *end, const char **bad)
{
    if (*p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (is_digit(p, end))
        while (is_digit(p, end))
            p++;
    else
        goto fail;
    if (p < end && *p == '.') {
        if (!is_digit(++p, end))
            goto fail;
        while (is_digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end))
            goto fail;
        while (is_digit(p, end))
            p++;
    }
    return p;
fail:
    *bad = p;
    return NULL;
}

static void *arena_take(sekha_jdoc *d, size_t n);

/* ---- the value table: the thread's own for small documents, else the arena ---- */

/* A document of up to this many values borrows its thread's table (grown as needed and
 * kept: no allocation per parse); a larger one has its values in its arena. */
#define CACHE_MAX_VALUES ((64 * 1024) / sizeof(sekha_jv))

struct sekha_jcache {
    sekha_jv *v;
    uint32_t cap;
    int busy;
};

static _Thread_local sekha_jcache *thread_cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void cache_destroy(void *p)
{
    sekha_jcache *c = p;
    free(c->v);
    free(c);
}

static void cache_key_make(void)
{
    /* The key frees a thread's table when the thread ends. */
    cache_key_ok = pthread_key_create(&cache_key, cache_destroy) == 0;
}

static sekha_jcache *cache_take(void)
{
    sekha_jcache *c = thread_cache;
    if (!c) {
        pthread_once(&cache_once, cache_key_make);
        if (!cache_key_ok || !(c = calloc(1, sizeof *c)))
            return NULL;
        if (pthread_setspecific(cache_key, c) != 0) {
            free(c);
            return NULL;
        }
        thread_cache = c;
    }
    if (c->busy) /* another document of this thread holds it: use the arena */
        return NULL;
    c->busy = 1;
    return c;
}

void sekha__jdoc_drop_values(sekha_jdoc *d)
{
    if (d->cache)
        d->cache->busy = 0;
    d->cache = NULL;
    d->v = NULL;
    d->n = d->cap = 0;
}

/* Makes room for cap values, keeping the d->n there are. 0, or -1 when out of memory. */
static int grow_values(sekha_jdoc *d, uint32_t cap)
{
    if (!d->v && !d->cache)
        d->cache = cache_take();
    sekha_jcache *c = d->cache;
    if (c && cap <= CACHE_MAX_VALUES) {
        if (c->cap < cap) {
            sekha_jv *nv = realloc(c->v, (size_t)cap * sizeof *nv);
            if (!nv)
                return -1;
            c->v = nv;
            c->cap = cap;
        }
        d->v = c->v;
        d->cap = c->cap;
        return 0;
    }
    sekha_jv *nv = arena_take(d, (size_t)cap * sizeof *nv);
    if (!nv)
        return -1;
    if (d->n)
        memcpy(nv, d->v, (size_t)d->n * sizeof *nv);
    if (c) { /* outgrew the thread's table: hand it back */
        c->busy = 0;
        d->cache = NULL;
    }
    d->v = nv;
    d->cap = cap;
    return 0;
}

typedef struct frame {
    uint32_t node, last;
} frame;

int sekha__jdoc_parse(sekha_jdoc *d, const char *text, size_t len, size_t *err_at)
{
    const char *s = text, *end = text + len, *bad = text;
    frame stack[SEKHA_JDOC_MAX_DEPTH];
    int depth = 0;
    const char *key = NULL;
    uint32_t klen = 0;
    uint8_t kesc = 0;
    int utf8 = 0;
    d->n = 0;
    if (len >= UINT32_MAX)
        goto fail;
    s = skip_ws(s, end);

value:
    if (s >= end) {
        bad = s;
        goto fail;
    }
    if (d->n == d->cap && grow_values(d, d->cap ? d->cap * 2 : (uint32_t)(len / 16 + 16)) != 0)
        return -2;
    uint32_t i = d->n++;
    sekha_jv *v = &d->v[i];
    *v = (sekha_jv){.p = s, .key = key, .klen = klen, .kesc = kesc};
    key = NULL;
    klen = 0;
    kesc = 0;
    if (depth) {
        frame *f = &stack[depth - 1];
        if (f->last) /* index 0 is the root, never a member: 0 means "none yet" */
            d->v[f->last].next = i;
        f->last = i;
        d->v[f->node].count++;
    }
    switch (*s) {
    case '{':
    case '[':
        if (depth == SEKHA_JDOC_MAX_DEPTH) {
            bad = s;
            goto fail;
        }
        v->type = *s == '{' ? SEKHA_J_OBJECT : SEKHA_J_ARRAY;
        stack[depth++] = (frame){i, 0};
        s = skip_ws(s + 1, end);
        if (s < end && *s == (v->type == SEKHA_J_OBJECT ? '}' : ']')) {
            v->len = (uint32_t)(s + 1 - v->p);
            depth--;
            s++;
            goto after;
        }
        if (v->type == SEKHA_J_OBJECT)
            goto member;
        goto value;
    case '"': {
        const char *e = scan_string(s + 1, end, &v->esc, &bad, &utf8);
        if (!e)
            goto fail;
        v->type = SEKHA_J_STRING;
        v->p = s + 1;
        v->len = (uint32_t)(e - v->p);
        s = e + 1;
        goto after;
    }
    case 't':
    case 'f':
    case 'n': {
        static const char *const lit[] = {"true", "false", "null"};
        static const uint8_t types[] = {SEKHA_J_TRUE, SEKHA_J_FALSE, SEKHA_J_NULL};
        int k = *s == 't' ? 0 : *s == 'f' ? 1 : 2;
        size_t n = strlen(lit[k]);
        if ((size_t)(end - s) < n || memcmp(s, lit[k], n) != 0) {
            bad = s;
            goto fail;
        }
        v->type = types[k];
        v->len = (uint32_t)n;
        s += n;
        goto after;
    }
    default: {
        const char *e = (*s == '-' || (*s >= '0' && *s <= '9')) ? scan_number(s, end, &bad) : NULL;
        if (!e) {
            if (bad == text)
                bad = s;
            goto fail;
        }
        v->type = SEKHA_J_NUMBER;
        v->len = (uint32_t)(e - s);
        s = e;
        goto after;
    }
    }

member:
    if (s >= end || *s != '"') {
        bad = s;
        goto fail;
    }
    {
        const char *e = scan_string(s + 1, end, &kesc, &bad, &utf8);
        if (!e)
            goto fail;
        key = s + 1;
        klen = (uint32_t)(e - key);
        s = skip_ws(e + 1, end);
    }
    if (s >= end || *s != ':') {
        bad = s;
        goto fail;
    }
    s = skip_ws(s + 1, end);
    goto value;

after:
    s = skip_ws(s, end);
    if (!depth) {
        if (s == end)
            return 0;
        bad = s;
        goto fail;
    }
    {
        sekha_jv *c = &d->v[stack[depth - 1].node];
        if (s < end && *s == ',') {
            s = skip_ws(s + 1, end);
            if (c->type == SEKHA_J_OBJECT)
                goto member;
            goto value;
        }
        if (s < end && *s == (c->type == SEKHA_J_OBJECT ? '}' : ']')) {
            c->len = (uint32_t)(s + 1 - c->p);
            depth--;
            s++;
            goto after;
        }
    }
    bad = s;

fail:
    d->n = 0;
    if (err_at)
        *err_at = (size_t)(bad - text);
    /* Outside strings any byte >= 0x80 is a syntax error; it is a UTF-8 one as well when
     * no well-formed sequence starts there. */
    if (!utf8 && bad < end && (unsigned char)*bad >= 0x80)
        utf8 = !sekha__utf8_seq((const unsigned char *)bad, (const unsigned char *)end);
    return utf8 ? -3 : -1;
}

void sekha__jdoc_free(sekha_jdoc *d)
{
    if (!d)
        return;
    sekha__jdoc_drop_values(d);
    for (sekha_jblock *b = d->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    *d = (sekha_jdoc){0};
}

const sekha_jv *sekha__jroot(const sekha_jdoc *d)
{
    return d && d->n ? &d->v[0] : NULL;
}

const sekha_jv *sekha__jfirst(const sekha_jdoc *d, const sekha_jv *c)
{
    if (!c || (c->type != SEKHA_J_ARRAY && c->type != SEKHA_J_OBJECT) || !c->count)
        return NULL;
    (void)d;
    return c + 1; /* the first member directly follows its container */
}

const sekha_jv *sekha__jnext(const sekha_jdoc *d, const sekha_jv *v)
{
    return v && v->next ? &d->v[v->next] : NULL;
}

static void *arena_take(sekha_jdoc *d, size_t n)
{
    const size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    sekha_jblock *b = d->arena;
    if (!b || b->cap - b->used < n) {
        /* The first block fits malloc's per-thread cache (allocations up to about 1 KiB
         * are recycled without locking or searching bins), which is all a small answer
         * needs; later ones double. */
        size_t cap = b ? 2 * b->cap : 1024 - 16 - sizeof *b;
        if (cap < n)
            cap = n;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = d->arena;
        b->used = 0;
        b->cap = cap;
        d->arena = b;
    }
    char *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void *sekha__jalloc(sekha_jdoc *d, size_t n)
{
    void *p = arena_take(d, n);
    if (p)
        memset(p, 0, n);
    return p;
}

static int key_is(sekha_jdoc *d, const sekha_jv *v, const char *key, size_t kl)
{
    if (!v->kesc)
        return v->klen == kl && memcmp(v->key, key, kl) == 0;
    if (v->klen < kl)
        return 0;
    char buf[256];
    char *out = v->klen <= sizeof buf ? buf : malloc(v->klen);
    if (!out)
        return 0;
    int nul;
    size_t n = sekha__json_unescape((const unsigned char *)v->key, v->klen,
                                    (unsigned char *)out, &nul);
    int same = !nul && n == kl && memcmp(out, key, kl) == 0;
    if (out != buf)
        free(out);
    (void)d;
    return same;
}

const sekha_jv *sekha__jget(const sekha_jdoc *d, const sekha_jv *obj, const char *key)
{
    if (!obj || obj->type != SEKHA_J_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (const sekha_jv *v = sekha__jfirst(d, obj); v; v = sekha__jnext(d, v))
        if (key_is((sekha_jdoc *)d, v, key, kl))
            return v;
    return NULL;
}

static const char *decode_text(sekha_jdoc *d, const char *p, uint32_t len, int esc)
{
    char *out = sekha__jalloc(d, (size_t)len + 1);
    if (!out)
        return NULL;
    if (!esc) {
        memcpy(out, p, len);
        return out;
    }
    int nul;
    size_t n = sekha__json_unescape((const unsigned char *)p, len, (unsigned char *)out, &nul);
    if (nul)
        return NULL;
    out[n] = '\0';
    return out;
}

const char *sekha__jstr(sekha_jdoc *d, const sekha_jv *v)
{
    return v && v->type == SEKHA_J_STRING ? decode_text(d, v->p, v->len, v->esc) : NULL;
}

const char *sekha__jkey(sekha_jdoc *d, const sekha_jv *v)
{
    return v && v->key ? decode_text(d, v->key, v->klen, v->kesc) : NULL;
}

/* Clinger's fast path: a decimal with at most 15 significant digits and a power of ten
 * up to 22 is exactly m * 10^e or m / 10^-e in doubles, correctly rounded. Returns 0 when
 * the number is outside it. */
static int fast_decimal(const char *p, uint32_t n, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *end = p + n;
    int neg = *p == '-';
    p += neg;
    uint64_t m = 0;
    int digits = 0, exp10 = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits += m != 0)
        m = m * 10 + (uint64_t)(*p - '0');
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, exp10--, digits += m != 0)
            m = m * 10 + (uint64_t)(*p - '0');
    if (digits > 15)
        return 0;
    if (p < end) { /* an exponent (the grammar was checked when parsing) */
        p++;
        int eneg = *p == '-';
        p += *p == '-' || *p == '+';
        int e = 0;
        for (; p < end; p++)
            if ((e = e * 10 + (*p - '0')) > 1000)
                return 0;
        exp10 += eneg ? -e : e;
    }
    if (exp10 < -22 || exp10 > 22)
        return 0;
    double x = exp10 >= 0 ? (double)m * pow10[exp10] : (double)m / pow10[-exp10];
    *out = neg ? -x : x;
    return 1;
}

int sekha__jnum(const sekha_jv *v, double *out)
{
    if (!v || v->type != SEKHA_J_NUMBER)
        return 0;
    if (fast_decimal(v->p, v->len, out))
        return -1;
    /* In the "C" locale (a decimal comma, or a two-byte point, would break a JSON
     * number), in place: the grammar was checked, and what follows a number (a delimiter
     * or the terminating NUL) cannot continue it. */
    char *e;
    double x = sekha__strtod_c(v->p, &e);
    int ok = e == v->p + v->len;
    if (ok)
        *out = x;
    return ok ? -1 : 0;
}

/* Writes v without whitespace from its parsed pieces (strings and numbers as sent), so
 * the cost is per value, not per byte. Returns the end of what was written. */
static char *emit(const sekha_jdoc *d, const sekha_jv *v, char *o)
{
    switch (v->type) {
    case SEKHA_J_STRING:
        *o++ = '"';
        memcpy(o, v->p, v->len);
        o += v->len;
        *o++ = '"';
        return o;
    case SEKHA_J_ARRAY:
    case SEKHA_J_OBJECT: {
        int obj = v->type == SEKHA_J_OBJECT;
        *o++ = obj ? '{' : '[';
        for (const sekha_jv *m = sekha__jfirst(d, v); m; m = sekha__jnext(d, m)) {
            if (m != v + 1)
                *o++ = ',';
            if (obj) {
                *o++ = '"';
                memcpy(o, m->key, m->klen);
                o += m->klen;
                *o++ = '"';
                *o++ = ':';
            }
            o = emit(d, m, o);
        }
        *o++ = obj ? '}' : ']';
        return o;
    }
    default:
        memcpy(o, v->p, v->len);
        return o + v->len;
    }
}

char *sekha__jcompact(sekha_jdoc *d, const sekha_jv *v)
{
    if (!v) {
        char *s = sekha__jalloc(d, 5);
        if (s)
            memcpy(s, "null", 4);
        return s;
    }
    /* Whitespace only goes away, so the text as sent bounds the result. */
    size_t n = v->type == SEKHA_J_STRING ? (size_t)v->len + 2 : v->len;
    char *out = sekha__jalloc(d, n + 1);
    if (out)
        *emit(d, v, out) = '\0';
    return out;
}
