/* libFuzzer target: the flat JSON reader (core/jdoc) on arbitrary text. A refusal must say
 * where; an accepted document is walked completely (every string and key decoded, every
 * number read, every lookup by a decoded key finding the first member of that name), its
 * compact form must read back to the same values, every decoded string must survive a
 * trip through the writer (core/jwrite), and cJSON, which is laxer than RFC 8259 in
 * several places, must accept it too and see the same values. Any disagreement aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/jdoc.h"
#include "core/jwrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond))                                                                         \
            abort();                                                                         \
    } while (0)

/* cJSON reads at most 63 bytes of a number and then stops, so it refuses longer numbers
 * that RFC 8259 allows; such documents are left out of the comparison. */
#define CJSON_NUMBER_MAX 63

/* Lookups by key are quadratic in an object's size; past this many members only the
 * decoding is checked. */
#define GET_CHECK_MAX 64

static int is_container(const sekha_jv *v)
{
    return v->type == SEKHA_J_ARRAY || v->type == SEKHA_J_OBJECT;
}

/* Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* A string body of len bytes that decoded to NULL must hold an escaped U+0000: a "\u0000"
 * preceded by an even run of backslashes. */
static int has_nul_escape(const char *p, uint32_t len)
{
    for (uint32_t i = 0; i + 6 <= len; i++) {
        if (p[i] != '\\')
            continue;
        if (memcmp(p + i, "\\u0000", 6) == 0)
            return 1;
        i++; /* skip the escaped character so "\\\\u0000" is not taken for one */
    }
    return 0;
}

/* Checks a decoded string or key against its raw body. */
static void check_decoded(const char *dec, const char *raw, uint32_t len, uint8_t esc)
{
    if (!dec) {
        CHECK(esc && has_nul_escape(raw, len));
        return;
    }
    size_t n = strlen(dec);
    CHECK(n <= len); /* escapes never expand */
    if (!esc)
        CHECK(n == len && memcmp(dec, raw, len) == 0);
    else
        CHECK(!has_nul_escape(raw, len));
}

/* The writer's encoding of s must read back as exactly s. */
static void check_round_trip(const char *s)
{
    sekha_buf b = {0};
    if (sekha__jw_string(&b, s) != 0)
        return;
    sekha_jdoc d = {0};
    size_t at = 0;
    int rc = sekha__jdoc_parse(&d, b.data, b.len, &at);
    if (rc != -2) {
        CHECK(rc == 0);
        const sekha_jv *r = sekha__jroot(&d);
        CHECK(r && r->type == SEKHA_J_STRING && d.n == 1);
        const char *back = sekha__jstr(&d, r);
        CHECK(back && strcmp(back, s) == 0);
    }
    sekha__jdoc_free(&d);
    sekha__buf_free(&b);
}

static void check_number(const sekha_jv *v)
{
    double x = 0;
    CHECK(sekha__jnum(v, &x) == -1);
    char *copy = malloc((size_t)v->len + 1);
    if (!copy)
        return;
    memcpy(copy, v->p, v->len);
    copy[v->len] = '\0';
    char *e;
    double want = strtod(copy, &e); /* the fuzzer runs in the "C" locale */
    CHECK(e == copy + v->len);
    CHECK(memcmp(&x, &want, sizeof x) == 0); /* bit for bit: -0 stays -0 */
    free(copy);
}

/* Walks the subtree at v (member number pos of parent), checking everything about it;
 * returns its number of values. *long_number is set when a number is too long for cJSON. */
static uint32_t walk(sekha_jdoc *d, const sekha_jv *parent, uint32_t pos, const sekha_jv *v,
                     int *long_number)
{
    double x = 0;
    if (v->key) {
        CHECK(parent && parent->type == SEKHA_J_OBJECT);
        const char *k = sekha__jkey(d, v);
        check_decoded(k, v->key, v->klen, v->kesc);
        if (k) {
            check_round_trip(k);
            if (pos < GET_CHECK_MAX) {
                /* jget gives the first member of that name, which is v or one before it. */
                const sekha_jv *g = sekha__jget(d, parent, k);
                CHECK(g && g <= v && g->key);
                const char *gk = sekha__jkey(d, g);
                CHECK(gk && strcmp(gk, k) == 0);
                for (const sekha_jv *m = sekha__jfirst(d, parent); m != g; m = sekha__jnext(d, m)) {
                    const char *mk = sekha__jkey(d, m);
                    CHECK(!mk || strcmp(mk, k) != 0);
                }
            }
        }
    } else {
        CHECK(!parent || parent->type == SEKHA_J_ARRAY);
        CHECK(sekha__jkey(d, v) == NULL);
    }
    switch (v->type) {
    case SEKHA_J_NULL:
        CHECK(v->len == 4 && memcmp(v->p, "null", 4) == 0);
        break;
    case SEKHA_J_TRUE:
        CHECK(v->len == 4 && memcmp(v->p, "true", 4) == 0);
        break;
    case SEKHA_J_FALSE:
        CHECK(v->len == 5 && memcmp(v->p, "false", 5) == 0);
        break;
    case SEKHA_J_NUMBER:
        check_number(v);
        if (v->len > CJSON_NUMBER_MAX)
            *long_number = 1;
        break;
    case SEKHA_J_STRING: {
        CHECK(v->p[-1] == '"' && v->p[v->len] == '"');
        const char *s = sekha__jstr(d, v);
        check_decoded(s, v->p, v->len, v->esc);
        if (s)
            check_round_trip(s);
        break;
    }
    case SEKHA_J_ARRAY:
    case SEKHA_J_OBJECT:
        CHECK(v->p[0] == (v->type == SEKHA_J_OBJECT ? '{' : '['));
        CHECK(v->p[v->len - 1] == (v->type == SEKHA_J_OBJECT ? '}' : ']'));
        break;
    default:
        abort();
    }
    if (v->type != SEKHA_J_NUMBER)
        CHECK(sekha__jnum(v, &x) == 0);
    if (v->type != SEKHA_J_STRING)
        CHECK(sekha__jstr(d, v) == NULL);
    if (v->type != SEKHA_J_OBJECT)
        CHECK(sekha__jget(d, v, "") == NULL);

    uint32_t total = 1, members = 0;
    const sekha_jv *expect = v + 1; /* members follow in document order */
    for (const sekha_jv *m = sekha__jfirst(d, v); m; m = sekha__jnext(d, m)) {
        CHECK(m == expect);
        uint32_t sub = walk(d, v, members, m, long_number);
        expect = m + sub;
        total += sub;
        members++;
    }
    CHECK(members == (is_container(v) ? v->count : 0));
    return total;
}

/* The compact text of v must read back to the same values with the same text. */
static void check_compact(sekha_jdoc *d, const sekha_jv *v, uint32_t values)
{
    char *c = sekha__jcompact(d, v);
    if (!c)
        return;
    size_t n = strlen(c);
    CHECK(n <= (v->type == SEKHA_J_STRING ? v->len + 2u : v->len));
    sekha_jdoc e = {0};
    size_t at = 0;
    int rc = sekha__jdoc_parse(&e, c, n, &at);
    if (rc != -2) {
        CHECK(rc == 0 && e.n == values);
        for (uint32_t i = 0; i < values; i++) {
            const sekha_jv *a = v + i, *b = &e.v[i];
            CHECK(a->type == b->type && a->count == b->count && a->esc == b->esc);
            if (i) { /* the root of e has no key even when v had one */
                CHECK(!a->key == !b->key && a->kesc == b->kesc);
                CHECK(!a->key || (a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0));
                CHECK((a->next ? a->next - (uint32_t)(v - d->v) : 0) == b->next);
            }
            if (!is_container(a))
                CHECK(a->len == b->len && memcmp(a->p, b->p, a->len) == 0);
        }
        /* Compact text is a fixed point. */
        char *again = sekha__jcompact(&e, sekha__jroot(&e));
        CHECK(!again || strcmp(again, c) == 0);
    }
    sekha__jdoc_free(&e);
}

/* cJSON's tree for the same text must hold the same values. */
static void compare_cjson(sekha_jdoc *d, const sekha_jv *v, const cJSON *c)
{
    switch (v->type) {
    case SEKHA_J_NULL: CHECK(cJSON_IsNull(c)); return;
    case SEKHA_J_TRUE: CHECK(cJSON_IsTrue(c)); return;
    case SEKHA_J_FALSE: CHECK(cJSON_IsFalse(c)); return;
    case SEKHA_J_NUMBER: {
        double x = 0;
        CHECK(cJSON_IsNumber(c) && sekha__jnum(v, &x) == -1);
        CHECK(memcmp(&x, &c->valuedouble, sizeof x) == 0);
        return;
    }
    case SEKHA_J_STRING: {
        CHECK(cJSON_IsString(c) && c->valuestring);
        const char *s = sekha__jstr(d, v);
        CHECK(!s || strcmp(s, c->valuestring) == 0); /* cJSON cuts a string at U+0000 */
        return;
    }
    default:
        break;
    }
    CHECK(v->type == SEKHA_J_OBJECT ? cJSON_IsObject(c) : cJSON_IsArray(c));
    const cJSON *cm = c->child;
    for (const sekha_jv *m = sekha__jfirst(d, v); m; m = sekha__jnext(d, m), cm = cm->next) {
        CHECK(cm != NULL);
        if (m->key) {
            const char *k = sekha__jkey(d, m);
            CHECK(cm->string && (!k || strcmp(k, cm->string) == 0));
        }
        compare_cjson(d, m, cm);
    }
    CHECK(cm == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that reading past the terminating NUL is caught. */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';

    sekha_jdoc d = {0};
    size_t at = (size_t)-1;
    int rc = sekha__jdoc_parse(&d, text, size, &at);
    if (rc == -1 || rc == -3) {
        CHECK(at <= size);
        CHECK(sekha__jroot(&d) == NULL);
        /* -3 names a byte that is not UTF-8: the text cannot be valid UTF-8 then */
        CHECK(rc == -1 || (at < size && !valid_utf8(data, size)));
    } else if (rc == 0) {
        CHECK(valid_utf8(data, size)); /* accepted text is UTF-8 (RFC 8259) */
        const sekha_jv *root = sekha__jroot(&d);
        CHECK(root && !root->key && root->next == 0);
        int long_number = 0;
        CHECK(walk(&d, NULL, 0, root, &long_number) == d.n);
        check_compact(&d, root, d.n);
        /* Members' subtrees compact on their own too (the first few, to stay fast). */
        for (uint32_t i = 1; i < d.n && i < 16; i++) {
            uint32_t values = 1;
            if (is_container(&d.v[i])) {
                uint32_t end = d.n;
                /* The subtree ends where the next value outside it starts: find it as the
                 * first later sibling of i or of one of its ancestors. */
                for (uint32_t j = i + 1; j < d.n; j++)
                    if (d.v[j].p >= d.v[i].p + d.v[i].len) {
                        end = j;
                        break;
                    }
                values = end - i;
            }
            check_compact(&d, &d.v[i], values);
        }
        char *null_text = sekha__jcompact(&d, NULL);
        CHECK(!null_text || strcmp(null_text, "null") == 0);

        if (!long_number && valid_utf8(data, size)) {
            /* cJSON needs to see the terminating NUL to accept the end of the text. */
            cJSON *c = cJSON_ParseWithLengthOpts(text, size + 1, NULL, 1);
            CHECK(c != NULL); /* jdoc accepted what cJSON refuses */
            compare_cjson(&d, root, c);
            cJSON_Delete(c);
        }
    } else {
        CHECK(rc == -2);
    }
    sekha__jdoc_free(&d);
    free(text);
    return 0;
}
