/* The flat JSON reader (core/jdoc): what is accepted and refused (with the byte offset of
 * the fault), what lookups, decoding, numbers and compaction return. Every document is
 * freed: the suite also runs under ASan/LSan. (The writer: test_jwrite.c.) */
#include <criterion/criterion.h>

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jdoc.h"
#include "core/jwrite.h"

/* One letter per value in document order, to compare shapes in a single assertion. */
static char type_letter(uint8_t t)
{
    switch (t) {
    case SEKHA_J_NULL: return 'n';
    case SEKHA_J_FALSE: return 'f';
    case SEKHA_J_TRUE: return 't';
    case SEKHA_J_NUMBER: return '0';
    case SEKHA_J_STRING: return 's';
    case SEKHA_J_ARRAY: return 'a';
    case SEKHA_J_OBJECT: return 'o';
    default: return '?';
    }
}

static void shape(const sekha_jdoc *d, char *out, size_t cap)
{
    size_t k = 0;
    for (uint32_t i = 0; i < d->n && k + 1 < cap; i++)
        out[k++] = type_letter(d->v[i].type);
    out[k] = '\0';
}

static void parse_n(sekha_jdoc *d, const char *text, size_t len)
{
    size_t at = (size_t)-1;
    int rc = sekha__jdoc_parse(d, text, len, &at);
    cr_assert_eq(rc, 0, "refused %.*s (at %zu)", (int)len, text, at);
    cr_assert_not_null(sekha__jroot(d));
}

static void parse(sekha_jdoc *d, const char *text)
{
    parse_n(d, text, strlen(text));
}

static void refused_n(const char *text, size_t len, size_t want_at)
{
    sekha_jdoc d = {0};
    size_t at = (size_t)-1;
    int rc = sekha__jdoc_parse(&d, text, len, &at);
    cr_expect_eq(rc, -1, "accepted %.*s", (int)len, text);
    cr_expect_eq(at, want_at, "%.*s: err_at %zu, expected %zu", (int)len, text, at, want_at);
    cr_expect_null(sekha__jroot(&d), "%.*s: a root after a refusal", (int)len, text);
    sekha__jdoc_free(&d);
}

static void refused(const char *text, size_t want_at)
{
    refused_n(text, strlen(text), want_at);
}

/* Parses text and checks its shape string. */
static void accepts(const char *text, const char *want_shape)
{
    sekha_jdoc d = {0};
    parse(&d, text);
    char got[256];
    shape(&d, got, sizeof got);
    cr_expect_str_eq(got, want_shape, "%s", text);
    sekha__jdoc_free(&d);
}

/* Counts the members of c by walking them, and checks the walk against every container
 * below it too. Returns the number of values in c's subtree, c included. */
static uint32_t walk_check(const sekha_jdoc *d, const sekha_jv *c)
{
    uint32_t total = 1, members = 0;
    const sekha_jv *expect = c + 1; /* children come in document order */
    for (const sekha_jv *m = sekha__jfirst(d, c); m; m = sekha__jnext(d, m)) {
        cr_assert_eq(m, expect, "member %u out of document order", members);
        if (c->type == SEKHA_J_OBJECT)
            cr_assert_not_null(m->key);
        else
            cr_assert_null(m->key);
        uint32_t sub = walk_check(d, m);
        expect = m + sub;
        total += sub;
        members++;
    }
    if (c->type == SEKHA_J_ARRAY || c->type == SEKHA_J_OBJECT)
        cr_assert_eq(members, c->count);
    else
        cr_assert_eq(members, 0);
    return total;
}

/* ---------------------------------------------------------------------------------- */

Test(jdoc, accepts_scalars_and_literals)
{
    accepts("null", "n");
    accepts("true", "t");
    accepts("false", "f");
    accepts("0", "0");
    accepts("-0", "0");
    accepts("0.5", "0");
    accepts("-0.0", "0");
    accepts("1e10", "0");
    accepts("1E-5", "0");
    accepts("1e+5", "0");
    accepts("-1.25e-3", "0");
    accepts("0e0", "0");
    accepts("123456789012345678901234567890", "0");
    accepts("\"\"", "s");
    accepts("\"abc\"", "s");
    accepts(" \t\r\n 7 \n\t\r ", "0");
}

Test(jdoc, accepts_containers_with_whitespace_everywhere)
{
    accepts("{}", "o");
    accepts("[]", "a");
    accepts("{ }", "o");
    accepts("[\n]", "a");
    accepts("[[]]", "aa");
    accepts("[{}]", "ao");
    accepts("{\"a\":{}}", "oo");
    accepts("[ 1 ,\n2\t,\r3 ]", "a000");
    accepts("\n{ \"a\" :\t[ 1 , { \"b\" : null } , [ ] ] , \"c\" : { \"d\" : [ true , false ] } }\r\n",
            "oa0onaoatf");
    accepts("[null,true,false,0,\"s\",[],{}]", "antf0sao");
}

Test(jdoc, value_fields_describe_the_text)
{
    const char *text = "  {\"k\" : [1, \"two\", {\"x\":null}] , \"e\\n\":\"\\t\"}  ";
    sekha_jdoc d = {0};
    parse(&d, text);
    cr_assert_eq(d.n, 7);
    const sekha_jv *root = sekha__jroot(&d);
    cr_assert_eq(root->p, text + 2);
    cr_assert_eq(root->len, strlen(text) - 4); /* from '{' through '}' */
    cr_assert_eq(root->count, 2);
    cr_assert_null(root->key);
    const sekha_jv *k = &d.v[1];
    cr_assert_eq(k->type, SEKHA_J_ARRAY);
    cr_assert_eq(k->klen, 1);
    cr_assert_eq(memcmp(k->key, "k\"", 2), 0);
    cr_assert_eq(k->kesc, 0);
    cr_assert_eq(k->count, 3);
    cr_assert_eq(k->len, strlen("[1, \"two\", {\"x\":null}]"));
    cr_assert_eq(k->next, 6);
    const sekha_jv *two = &d.v[3];
    cr_assert_eq(two->type, SEKHA_J_STRING);
    cr_assert_eq(two->len, 3);
    cr_assert_eq(memcmp(two->p, "two\"", 4), 0); /* p is after the opening quote */
    cr_assert_eq(two->esc, 0);
    cr_assert_eq(d.v[2].len, 1);
    cr_assert_eq(d.v[5].len, 4);
    const sekha_jv *e = &d.v[6];
    cr_assert_eq(e->kesc, 1);
    cr_assert_eq(e->esc, 1);
    cr_assert_eq(e->klen, 3);
    cr_assert_eq(e->len, 2);
    cr_assert_eq(e->next, 0);
    cr_assert_eq(walk_check(&d, root), d.n);
    sekha__jdoc_free(&d);
}

Test(jdoc, all_escapes_decode_exactly)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t"},
        {"\"\\u00e9\"", "\xc3\xa9"},
        {"\"\\u00E9t\\u00e9\"", "\xc3\xa9t\xc3\xa9"},
        {"\"\\ud83e\\udd8a\"", "\xf0\x9f\xa6\x8a"},       /* U+1F98A */
        {"\"\\uD83E\\uDD8A!\"", "\xf0\x9f\xa6\x8a!"},
        {"\"\\ud800\\udc00\"", "\xf0\x90\x80\x80"},       /* U+10000 */
        {"\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf"},       /* U+10FFFF */
        {"\"\\u0041\\u007f\"", "A\x7f"},
        {"\"\\u0080\\u07ff\"", "\xc2\x80\xdf\xbf"},
        {"\"\\u0800\\u20ac\\uffff\"", "\xe0\xa0\x80\xe2\x82\xac\xef\xbf\xbf"},
        {"\"\\ue000\\ud7ff\"", "\xee\x80\x80\xed\x9f\xbf"}, /* just outside the surrogates */
        {"\"\\u0001\\u001f\"", "\x01\x1f"},
        {"\"a\\\\u0000b\"", "a\\u0000b"}, /* an escaped backslash, not U+0000 */
        {"\"caf\xc3\xa9 \xf0\x9f\xa6\x8a\"", "caf\xc3\xa9 \xf0\x9f\xa6\x8a"}, /* raw UTF-8 */
        {"\"\x7f\"", "\x7f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sekha_jdoc d = {0};
        parse(&d, cases[i].json);
        const char *s = sekha__jstr(&d, sekha__jroot(&d));
        cr_assert_not_null(s, "%s", cases[i].json);
        size_t want_len = strlen(cases[i].want);
        cr_expect_eq(strlen(s), want_len, "%s: length %zu", cases[i].json, strlen(s));
        cr_expect_eq(memcmp(s, cases[i].want, want_len + 1), 0, "%s decoded to %s", cases[i].json, s);
        sekha__jdoc_free(&d);
    }
}

Test(jdoc, unescaped_strings_decode_verbatim_and_terminated)
{
    sekha_jdoc d = {0};
    parse(&d, "[\"abc\",\"de\",\"\",\"0123456789abcdefghij\"]");
    const sekha_jv *a = sekha__jfirst(&d, sekha__jroot(&d));
    const char *want[] = {"abc", "de", "", "0123456789abcdefghij"};
    for (int i = 0; i < 4; i++, a = sekha__jnext(&d, a)) {
        cr_assert_not_null(a);
        const char *s = sekha__jstr(&d, a);
        cr_assert_not_null(s);
        cr_expect_str_eq(s, want[i]);
    }
    cr_assert_null(a);
    sekha__jdoc_free(&d);
}

/* The scanner skips eight bytes at a time: a special byte at every position in and around
 * a word, and bytes with the high bit set that look like '"' or '\\' in their low bits,
 * must all be seen (or not) exactly. */
Test(jdoc, string_scan_at_every_alignment)
{
    char text[64], want[64];
    for (int pos = 0; pos < 24; pos++) {
        /* An escape at pos decodes. */
        int k = 0, w = 0;
        text[k++] = '"';
        /* UTF-8 whose bytes are 0x80|'"' (0xa2 in U+00A2) and 0x80|'\\' (0xdc leading
         * U+0700): a scan that drops the high bit would see a quote or a backslash. */
        for (int i = 0; i < pos; i++) {
            if (pos - i >= 2) {
                const char *pair = i % 4 ? "\xdc\x80" : "\xc2\xa2";
                text[k++] = want[w++] = pair[0];
                text[k++] = want[w++] = pair[1];
                i++;
            } else {
                text[k++] = want[w++] = 'x';
            }
        }
        text[k++] = '\\';
        text[k++] = 'n';
        want[w++] = '\n';
        for (int i = 0; i < 9; i++)
            text[k++] = want[w++] = 'z';
        text[k++] = '"';
        text[k] = '\0';
        want[w] = '\0';
        sekha_jdoc d = {0};
        parse(&d, text);
        cr_assert_eq(sekha__jroot(&d)->len, (uint32_t)(k - 2));
        const char *s = sekha__jstr(&d, sekha__jroot(&d));
        cr_assert_not_null(s);
        cr_expect_str_eq(s, want, "escape at %d", pos);
        sekha__jdoc_free(&d);

        /* A quote at pos ends the string there: what follows is trailing garbage. */
        k = 0;
        text[k++] = '"';
        for (int i = 0; i < pos; i++)
            text[k++] = 'a';
        text[k++] = '"';
        for (int i = 0; i < 9; i++)
            text[k++] = 'b';
        text[k++] = '"';
        text[k] = '\0';
        refused(text, (size_t)pos + 2);

        /* A control character at pos is refused at its offset, whatever its value. */
        for (int c = 1; c < 0x20; c += 7) {
            memset(text, 'a', sizeof text);
            text[0] = '"';
            text[1 + pos] = (char)c;
            text[40] = '"';
            text[41] = '\0';
            refused(text, (size_t)pos + 1);
        }
    }
    /* Every ASCII byte from 0x20 up except '"' and '\\' is taken as it is, and so is
     * UTF-8 (a lead byte of each length, and the highest code point). */
    char all[256];
    int k = 0;
    all[k++] = '"';
    for (int c = 0x20; c < 0x7f + 1; c++)
        if (c != '"' && c != '\\')
            all[k++] = (char)c;
    static const char utf8[] = "\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf";
    memcpy(all + k, utf8, sizeof utf8 - 1);
    k += (int)sizeof utf8 - 1;
    all[k++] = '"';
    all[k] = '\0';
    sekha_jdoc d = {0};
    parse(&d, all);
    const char *s = sekha__jstr(&d, sekha__jroot(&d));
    cr_assert_not_null(s);
    cr_assert_eq(strlen(s), (size_t)k - 2);
    cr_assert_eq(memcmp(s, all + 1, (size_t)k - 2), 0);
    sekha__jdoc_free(&d);
}

Test(jdoc, refuses_with_the_offset_of_the_fault)
{
    /* Empty and whitespace-only input. */
    refused("", 0);
    refused("   ", 3);
    /* Trailing garbage. */
    refused("{} x", 3);
    refused("1 2", 2);
    refused("[] []", 3);
    refused("truex", 4);
    refused("\"a\"\"b\"", 3);
    /* Numbers. */
    refused("01", 1);
    refused("-01", 2);
    refused("00", 1);
    refused("1.", 2);
    refused("1.e5", 2);
    refused(".5", 0);
    refused("+1", 0);
    refused("-", 1);
    refused("-a", 1);
    refused("--1", 1);
    refused("1e", 2);
    refused("1e+", 3);
    refused("1E-x", 3);
    refused("0x10", 1);
    refused("1.5.", 3);
    refused("[1,-]", 4);
    refused("[.5]", 1);
    refused("NaN", 0);
    refused("Infinity", 0);
    refused("-Infinity", 1);
    /* Literals. */
    refused("tru", 0);
    refused("nul", 0);
    refused("nulL", 0);
    refused("True", 0);
    refused("[fals]", 1);
    /* Surrogates that do not pair. */
    refused("\"\\ud800\"", 1);
    refused("\"\\ud800x\"", 1);
    refused("\"ab\\ud800\\u0041\"", 3);
    refused("\"\\ud800\\ud800\"", 1);
    refused("\"\\udbff\\\\udc00\"", 1);
    refused("\"\\udc00\"", 1);
    refused("\"x\\udfff\\ud800\"", 2);
    refused("\"\\ud83e", 1);
    /* Bad escapes. */
    refused("\"\\x\"", 1);
    refused("\"ab\\u12G4\"", 3);
    refused("\"\\u12\"", 1);
    refused("\"\\U0041\"", 1);
    refused("\"\\a\"", 1);
    refused("\"\\'\"", 1);
    refused("\"\\", 1);
    /* Raw control characters inside strings (DEL is not one). */
    refused("\"a\nb\"", 2);
    refused("\"\t\"", 1);
    refused("\"a\x01\"", 2);
    refused("\"a\x1f\"", 2);
    refused("{\"k\x0a\":1}", 3);
    /* Unterminated strings and containers. */
    refused("\"abc", 4);
    refused("[\"abc", 5);
    refused("[", 1);
    refused("[1", 2);
    refused("[1,", 3);
    refused("[[]", 3);
    refused("{", 1);
    refused("{\"a\"", 4);
    refused("{\"a\":", 5);
    refused("{\"a\":1", 6);
    refused("{\"a\":1 ", 7);
    /* Missing colon or comma, wrong keys, wrong closers. */
    refused("{\"a\" 1}", 5);
    refused("{\"a\",1}", 4);
    refused("{\"a\"::1}", 5);
    refused("[1 2]", 3);
    refused("{\"a\":1 \"b\":2}", 7);
    refused("{a:1}", 1);
    refused("{1:1}", 1);
    refused("{null:1}", 1);
    refused("[}", 1);
    refused("{]", 1);
    refused("[1}", 2);
    refused("{\"a\":1]", 6);
    refused("]", 0);
    refused("}", 0);
    refused(":", 0);
    refused(",", 0);
    /* Trailing and leading commas. */
    refused("[1,]", 3);
    refused("{\"a\":1,}", 7);
    refused("[,1]", 1);
    refused("{,\"a\":1}", 1);
    refused("[1,,2]", 3);
    /* Whitespace JSON does not know. */
    refused("[1,\f2]", 3);
    refused("\v1", 0);
}

Test(jdoc, refuses_nul_bytes_in_the_text)
{
    refused_n("1\0", 2, 1);
    refused_n("\"a\0b\"", 5, 2);
    refused_n("[1,\0]", 5, 3);
    refused_n("\0", 1, 0);
    refused_n("\"\\\0\"", 4, 1);
}

/* depth nested containers: all arrays, or arrays and objects in turn (an object holds
 * the next level as member "a"; the innermost one is empty). */
/* Only strings may hold bytes >= 0x80, and only as well-formed UTF-8 (RFC 8259, 3629):
 * refused with -3 at the first byte of the bad sequence. */
Test(jdoc, refuses_bad_utf8_at_its_offset)
{
    static const struct {
        const char *text;
        size_t at;
    } bad[] = {
        {"\"ab\x80\"", 3},             /* a lone continuation byte */
        {"\"\xc3\"", 1},               /* a sequence cut by the quote */
        {"\"\xc0\xaf\"", 1},           /* overlong '/' */
        {"\"\xed\xa0\x80\"", 1},       /* a UTF-16 surrogate */
        {"\"\xf4\x90\x80\x80\"", 1},   /* above U+10FFFF */
        {"\"\xff\"", 1},
        {"[1,\"ok\",\"\xe2\x82\"]", 9}, /* a short three-byte sequence */
        {"{\"k\xfe\":1}", 3},           /* in a key */
        {"[\xff]", 1},                   /* outside a string */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sekha_jdoc d = {0};
        size_t at = (size_t)-1;
        cr_expect_eq(sekha__jdoc_parse(&d, bad[i].text, strlen(bad[i].text), &at), -3,
                     "case %zu", i);
        cr_expect_eq(at, bad[i].at, "case %zu: at %zu", i, at);
        sekha__jdoc_free(&d);
    }
    /* Well-formed UTF-8 outside a string is a plain syntax error. */
    sekha_jdoc e = {0};
    size_t at = 0;
    cr_expect_eq(sekha__jdoc_parse(&e, "[\xc3\xa9]", 4, &at), -1);
    cr_expect_eq(at, 1);
    sekha__jdoc_free(&e);
    /* Every length of sequence, also straddling the 8-byte scan. */
    sekha_jdoc d = {0};
    parse(&d, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\xa6\x8a" "0123456\xc3\xa9\"");
    cr_expect_str_eq(sekha__jstr(&d, sekha__jroot(&d)),
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\xa6\x8a" "0123456\xc3\xa9");
    sekha__jdoc_free(&d);
}

static char *nested(int depth, int objects)
{
    char *s = malloc((size_t)depth * 6 + 1);
    cr_assert_not_null(s);
    size_t k = 0;
    for (int i = 0; i < depth; i++) {
        if (objects && i % 2) {
            const char *o = i == depth - 1 ? "{" : "{\"a\":";
            memcpy(s + k, o, strlen(o));
            k += strlen(o);
        } else {
            s[k++] = '[';
        }
    }
    for (int i = depth - 1; i >= 0; i--)
        s[k++] = objects && i % 2 ? '}' : ']';
    s[k] = '\0';
    return s;
}

Test(jdoc, nesting_limit)
{
    for (int objects = 0; objects <= 1; objects++) {
        int depth = SEKHA_JDOC_MAX_DEPTH;
        char *ok = nested(depth, objects);
        sekha_jdoc d = {0};
        parse(&d, ok);
        cr_assert_eq(d.n, (uint32_t)depth);
        cr_assert_eq(walk_check(&d, sekha__jroot(&d)), d.n);
        sekha__jdoc_free(&d);
        free(ok);
    }
    /* Exactly at the limit: SEKHA_JDOC_MAX_DEPTH arrays. */
    char *at = nested(SEKHA_JDOC_MAX_DEPTH, 0);
    sekha_jdoc d = {0};
    parse(&d, at);
    cr_assert_eq(d.n, SEKHA_JDOC_MAX_DEPTH);
    sekha__jdoc_free(&d);
    free(at);
    /* One more is refused at the opener that goes too deep. */
    char *deep = nested(SEKHA_JDOC_MAX_DEPTH + 1, 0);
    refused(deep, SEKHA_JDOC_MAX_DEPTH);
    free(deep);
    /* Also when the limit is reached through objects: 513 levels alternating. */
    char *mixed = nested(SEKHA_JDOC_MAX_DEPTH + 1, 1);
    /* the 512 openers before the one refused: 256 "[" and 256 "{\"a\":" */
    refused(mixed, (SEKHA_JDOC_MAX_DEPTH / 2) * 1 + (SEKHA_JDOC_MAX_DEPTH / 2) * 5);
    free(mixed);
    /* Depth is nesting, not the number of containers. */
    size_t many = 4 * SEKHA_JDOC_MAX_DEPTH;
    char *flat = malloc(many * 3 + 3);
    cr_assert_not_null(flat);
    size_t k = 0;
    flat[k++] = '[';
    for (size_t i = 0; i < many; i++) {
        memcpy(flat + k, i ? ",[]" : "[]", i ? 3 : 2);
        k += i ? 3 : 2;
    }
    flat[k++] = ']';
    flat[k] = '\0';
    sekha_jdoc f = {0};
    parse(&f, flat);
    cr_assert_eq(sekha__jroot(&f)->count, many);
    sekha__jdoc_free(&f);
    free(flat);
}

Test(jdoc, large_arrays_grow_the_value_table)
{
    const size_t n = 20000;
    sekha_buf b = {0};
    cr_assert_eq(sekha__buf_puts(&b, "["), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sekha__buf_printf(&b, "%s%zu", i ? "," : "", i), 0);
    cr_assert_eq(sekha__buf_puts(&b, "]"), 0);
    sekha_jdoc d = {0};
    parse_n(&d, b.data, b.len);
    cr_assert_eq(d.n, n + 1);
    const sekha_jv *root = sekha__jroot(&d);
    cr_assert_eq(root->count, n);
    size_t i = 0;
    for (const sekha_jv *v = sekha__jfirst(&d, root); v; v = sekha__jnext(&d, v), i++) {
        double x = -1;
        cr_assert_eq(sekha__jnum(v, &x), -1);
        cr_assert_eq(x, (double)i);
    }
    cr_assert_eq(i, n);
    sekha__jdoc_free(&d);
    sekha__buf_free(&b);
}

Test(jdoc, a_document_can_be_parsed_again_after_a_refusal)
{
    sekha_jdoc d = {0};
    size_t at = 0;
    cr_assert_eq(sekha__jdoc_parse(&d, "[1,2,", 5, &at), -1);
    cr_assert_null(sekha__jroot(&d));
    cr_assert_eq(sekha__jdoc_parse(&d, "[3]", 3, &at), 0);
    cr_assert_eq(d.n, 2);
    double x = 0;
    cr_assert(sekha__jnum(sekha__jfirst(&d, sekha__jroot(&d)), &x));
    cr_assert_eq(x, 3);
    /* err_at may be NULL. */
    cr_assert_eq(sekha__jdoc_parse(&d, "x", 1, NULL), -1);
    sekha__jdoc_free(&d);
    sekha__jdoc_free(&d); /* freeing twice, and freeing NULL, are harmless */
    sekha__jdoc_free(NULL);
}

/* ---------------------------------------------------------------------------------- */

Test(jdoc, get_finds_members)
{
    sekha_jdoc d = {0};
    parse(&d, "{\"a\":1,\"\\u0062\":2,\"a\":3,\"ab\":4,\"\":5,\"c\\\"d\":6,\"\\u00e9\":7,"
              "\"n\":{\"a\":8},\"x\\u0000y\":9,\"\\ud83e\\udd8a\":10}");
    const sekha_jv *root = sekha__jroot(&d);
    static const struct {
        const char *key;
        double want;
    } cases[] = {
        {"a", 1},              /* the first of a repeated key */
        {"b", 2},              /* written as an escape */
        {"ab", 4},
        {"", 5},
        {"c\"d", 6},
        {"\xc3\xa9", 7},
        {"\xf0\x9f\xa6\x8a", 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double x = 0;
        const sekha_jv *v = sekha__jget(&d, root, cases[i].key);
        cr_assert_not_null(v, "key %s", cases[i].key);
        cr_assert(sekha__jnum(v, &x));
        cr_expect_eq(x, cases[i].want, "key %s gave %g", cases[i].key, x);
    }
    /* Absent keys, prefixes and extensions of present keys, and a key holding U+0000
     * (which no C string can name). */
    const char *absent[] = {"A", "abc", "c", "x", "xy", "x\\u0000y", "\\u0062", "\xc3", "nn"};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        cr_expect_null(sekha__jget(&d, root, absent[i]), "key %s", absent[i]);
    /* Nested lookups, and non-objects. */
    const sekha_jv *n = sekha__jget(&d, root, "n");
    cr_assert_not_null(n);
    double x = 0;
    cr_assert(sekha__jnum(sekha__jget(&d, n, "a"), &x));
    cr_assert_eq(x, 8);
    cr_assert_null(sekha__jget(&d, NULL, "a"));
    cr_assert_null(sekha__jget(&d, sekha__jget(&d, root, "a"), "a"));
    sekha__jdoc_free(&d);

    parse(&d, "[{\"a\":1}]");
    cr_assert_null(sekha__jget(&d, sekha__jroot(&d), "a"));
    cr_assert_not_null(sekha__jget(&d, sekha__jfirst(&d, sekha__jroot(&d)), "a"));
    sekha__jdoc_free(&d);
    parse(&d, "\"a\"");
    cr_assert_null(sekha__jget(&d, sekha__jroot(&d), "a"));
    sekha__jdoc_free(&d);
    parse(&d, "{}");
    cr_assert_null(sekha__jget(&d, sekha__jroot(&d), ""));
    sekha__jdoc_free(&d);
}

Test(jdoc, get_with_long_escaped_keys)
{
    /* Escaped keys longer than a small stack buffer still compare. */
    sekha_buf b = {0}, key = {0};
    cr_assert_eq(sekha__buf_puts(&b, "{\"short\":0,\""), 0);
    for (int i = 0; i < 600; i++) {
        cr_assert_eq(sekha__buf_puts(&b, i % 3 ? "k" : "\\u006b"), 0);
        cr_assert_eq(sekha__buf_puts(&key, "k"), 0);
    }
    cr_assert_eq(sekha__buf_puts(&b, "\":1,\"\\u00e9\":2}"), 0);
    sekha_jdoc d = {0};
    parse_n(&d, b.data, b.len);
    double x = 0;
    cr_assert(sekha__jnum(sekha__jget(&d, sekha__jroot(&d), key.data), &x));
    cr_assert_eq(x, 1);
    key.data[key.len - 1] = '\0';
    cr_assert_null(sekha__jget(&d, sekha__jroot(&d), key.data));
    cr_assert_eq(sekha__buf_puts(&key, "kk"), 0);
    cr_assert_null(sekha__jget(&d, sekha__jroot(&d), key.data));
    const char *k = sekha__jkey(&d, sekha__jget(&d, sekha__jroot(&d), "\xc3\xa9"));
    cr_assert_not_null(k);
    cr_assert_str_eq(k, "\xc3\xa9");
    sekha__jdoc_free(&d);
    sekha__buf_free(&b);
    sekha__buf_free(&key);
}

Test(jdoc, iteration_matches_counts)
{
    const char *docs[] = {
        "[]", "{}", "[1]", "[[],[[]],{}]", "{\"a\":[1,2,{\"b\":[3,{}]}],\"c\":{},\"d\":\"x\"}",
        "[{\"a\":{\"b\":{\"c\":[null,true,false]}}},[\"x\",[\"y\"]],0]", "7", "\"s\"",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        sekha_jdoc d = {0};
        parse(&d, docs[i]);
        cr_assert_eq(walk_check(&d, sekha__jroot(&d)), d.n, "%s", docs[i]);
        cr_assert_null(sekha__jnext(&d, sekha__jroot(&d)));
        sekha__jdoc_free(&d);
    }
    sekha_jdoc d = {0};
    parse(&d, "[[],{},1]");
    const sekha_jv *root = sekha__jroot(&d);
    cr_assert_null(sekha__jfirst(&d, &d.v[1]));
    cr_assert_null(sekha__jfirst(&d, &d.v[2]));
    cr_assert_null(sekha__jfirst(&d, &d.v[3]));
    cr_assert_null(sekha__jfirst(&d, NULL));
    cr_assert_null(sekha__jnext(&d, NULL));
    cr_assert_eq(sekha__jnext(&d, &d.v[1]), &d.v[2]);
    cr_assert_eq(sekha__jnext(&d, &d.v[2]), &d.v[3]);
    cr_assert_null(sekha__jnext(&d, &d.v[3]));
    cr_assert_eq(sekha__jfirst(&d, root), &d.v[1]);
    sekha__jdoc_free(&d);
}

Test(jdoc, keys_decode_and_are_null_outside_objects)
{
    sekha_jdoc d = {0};
    parse(&d, "{\"plain\":[\"elem\"],\"t\\u00e9\\n\":1,\"z\\u0000\":2}");
    const sekha_jv *root = sekha__jroot(&d);
    cr_assert_null(sekha__jkey(&d, root));
    cr_assert_null(sekha__jkey(&d, NULL));
    const sekha_jv *m = sekha__jfirst(&d, root);
    cr_assert_str_eq(sekha__jkey(&d, m), "plain");
    cr_assert_null(sekha__jkey(&d, sekha__jfirst(&d, m))); /* an array element */
    m = sekha__jnext(&d, m);
    cr_assert_str_eq(sekha__jkey(&d, m), "t\xc3\xa9\n");
    m = sekha__jnext(&d, m);
    cr_assert_null(sekha__jkey(&d, m)); /* U+0000 */
    sekha__jdoc_free(&d);
}

Test(jdoc, str_refuses_nul_and_non_strings)
{
    sekha_jdoc d = {0};
    parse(&d, "[\"a\\u0000b\",\"\\u0000\",\"\\ud83e\\udd8a\\u0000\",1,null,[],{}]");
    const sekha_jv *v = sekha__jfirst(&d, sekha__jroot(&d));
    for (int i = 0; i < 3; i++, v = sekha__jnext(&d, v))
        cr_expect_null(sekha__jstr(&d, v), "element %d", i);
    for (int i = 3; i < 7; i++, v = sekha__jnext(&d, v))
        cr_expect_null(sekha__jstr(&d, v), "element %d", i);
    cr_assert_null(v);
    cr_assert_null(sekha__jstr(&d, NULL));
    sekha__jdoc_free(&d);
}

/* ---------------------------------------------------------------------------------- */

static double num_of(const char *text)
{
    sekha_jdoc d = {0};
    parse(&d, text);
    double x = 12345.0;
    int rc = sekha__jnum(sekha__jroot(&d), &x);
    cr_assert_eq(rc, -1, "%s: jnum returned %d", text, rc);
    sekha__jdoc_free(&d);
    return x;
}

Test(jdoc, numbers)
{
    cr_expect_eq(num_of("0"), 0.0);
    double z = num_of("-0");
    cr_expect(z == 0.0 && signbit(z), "-0 keeps its sign");
    z = num_of("-0.0");
    cr_expect(z == 0.0 && signbit(z));
    cr_expect_eq(num_of("42"), 42.0);
    cr_expect_eq(num_of("-17"), -17.0);
    cr_expect_eq(num_of("999999999999999"), 999999999999999.0);     /* 15 digits */
    cr_expect_eq(num_of("-999999999999999"), -999999999999999.0);
    cr_expect_eq(num_of("9007199254740993"), 9007199254740992.0);   /* 2^53+1 rounds */
    cr_expect_eq(num_of("18446744073709551616"), 18446744073709551616.0);
    cr_expect_eq(num_of("0.5"), 0.5);
    cr_expect_eq(num_of("-1.25e-3"), -1.25e-3);
    cr_expect_eq(num_of("1e10"), 1e10);
    cr_expect_eq(num_of("1E-5"), 1e-5);
    cr_expect_eq(num_of("1e+2"), 100.0);
    cr_expect_eq(num_of("0e0"), 0.0);
    cr_expect_eq(num_of("0.1"), 0.1);
    cr_expect_eq(num_of("123456789012345678901234567890"), 123456789012345678901234567890.0);
    cr_expect_eq(num_of("2.2250738585072014e-308"), 2.2250738585072014e-308);
    cr_expect_eq(num_of("1.7976931348623157e308"), 1.7976931348623157e308);
    /* Out of range: what strtod gives (the controller refuses non-finite values itself). */
    cr_expect(isinf(num_of("1e999")) && num_of("1e999") > 0);
    cr_expect(isinf(num_of("-1e999")) && num_of("-1e999") < 0);
    cr_expect_eq(num_of("1e-999"), 0.0);
    /* Longer than any small buffer. */
    char big[200];
    memcpy(big, "0.", 2);
    memset(big + 2, '0', 150);
    memcpy(big + 152, "125e150", 8);
    cr_expect_eq(num_of(big), 0.125);
    memset(big, '9', 120);
    big[120] = '\0';
    cr_expect_eq(num_of(big), strtod(big, NULL));
    /* Inside containers, numbers end where the text goes on. */
    sekha_jdoc d = {0};
    parse(&d, "[1.5,-2e1,3]");
    const sekha_jv *v = sekha__jfirst(&d, sekha__jroot(&d));
    double want[] = {1.5, -20, 3};
    for (int i = 0; i < 3; i++, v = sekha__jnext(&d, v)) {
        double x = 0;
        cr_assert_eq(sekha__jnum(v, &x), -1);
        cr_expect_eq(x, want[i]);
    }
    sekha__jdoc_free(&d);
}

Test(jdoc, jnum_refuses_non_numbers_and_leaves_out_alone)
{
    const char *docs[] = {"\"1\"", "null", "true", "false", "[1]", "{\"a\":1}"};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        sekha_jdoc d = {0};
        parse(&d, docs[i]);
        double x = 77;
        cr_expect_eq(sekha__jnum(sekha__jroot(&d), &x), 0, "%s", docs[i]);
        cr_expect_eq(x, 77);
        sekha__jdoc_free(&d);
    }
    double x = 77;
    cr_expect_eq(sekha__jnum(NULL, &x), 0);
    cr_expect_eq(x, 77);
}

/* The first of names that setlocale takes and whose decimal point is not "." (and is more
 * than one byte when multibyte is set); NULL, back in the "C" locale, when none is. */
static const char *foreign_point_locale(const char *const *names, size_t n, int multibyte)
{
    for (size_t i = 0; i < n; i++) {
        if (!setlocale(LC_NUMERIC, names[i]))
            continue;
        const char *point = localeconv()->decimal_point;
        if (strcmp(point, ".") != 0 && (!multibyte || strlen(point) > 1))
            return names[i];
    }
    setlocale(LC_NUMERIC, "C");
    return NULL;
}

static void numbers_under(const char *name)
{
    cr_log_info("numbers under %s", name);
    cr_expect_eq(num_of("0.5"), 0.5, "under %s", name);
    cr_expect_eq(num_of("-1.25e-3"), -1.25e-3, "under %s", name);
    cr_expect_eq(num_of("12345678901234567.5"), 12345678901234567.5, "under %s", name);
    cr_expect_eq(num_of("1e3"), 1000.0, "under %s", name);
    cr_expect_eq(num_of("42"), 42.0, "under %s", name);
    setlocale(LC_NUMERIC, "C");
}

/* A program may set LC_NUMERIC for its own output; numbers must still read as JSON's. Most
 * machines only have C/POSIX locales, so these skip unless one is installed (or generated
 * with localedef and LOCPATH). */
Test(jdoc, numbers_under_a_comma_decimal_locale)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8",
                                        "fr_FR.utf8", "ru_RU.UTF-8", "nl_NL.UTF-8"};
    const char *got = foreign_point_locale(names, sizeof names / sizeof *names, 0);
    if (!got)
        cr_skip_test("no locale with a ',' decimal point installed");
    numbers_under(got);
}

Test(jdoc, numbers_under_a_multibyte_decimal_point_locale)
{
    /* ps_AF's decimal point is U+066B ARABIC DECIMAL SEPARATOR, two bytes in UTF-8. */
    static const char *const names[] = {"ps_AF.UTF-8", "ps_AF.utf8"};
    const char *got = foreign_point_locale(names, sizeof names / sizeof *names, 1);
    if (!got)
        cr_skip_test("no locale with a multibyte decimal point installed");
    numbers_under(got);
}

/* ---------------------------------------------------------------------------------- */

static void expect_compact(const char *text, const char *want)
{
    sekha_jdoc d = {0};
    parse(&d, text);
    char *c = sekha__jcompact(&d, sekha__jroot(&d));
    cr_assert_not_null(c);
    cr_expect_str_eq(c, want, "%s", text);
    /* The compact text reads back to the same values, strings and keys as sent. */
    sekha_jdoc e = {0};
    parse(&e, c);
    cr_assert_eq(e.n, d.n, "%s", text);
    for (uint32_t i = 0; i < d.n; i++) {
        const sekha_jv *a = &d.v[i], *b = &e.v[i];
        cr_assert_eq(a->type, b->type);
        cr_assert_eq(a->count, b->count);
        cr_assert_eq(a->next, b->next);
        cr_assert_eq(!a->key, !b->key);
        if (a->key) {
            cr_assert_eq(a->klen, b->klen);
            cr_assert_eq(memcmp(a->key, b->key, a->klen), 0);
        }
        if (a->type != SEKHA_J_ARRAY && a->type != SEKHA_J_OBJECT) {
            cr_assert_eq(a->len, b->len);
            cr_assert_eq(memcmp(a->p, b->p, a->len), 0);
        }
    }
    /* And compacting it again changes nothing. */
    char *again = sekha__jcompact(&e, sekha__jroot(&e));
    cr_assert_not_null(again);
    cr_expect_str_eq(again, c);
    sekha__jdoc_free(&e);
    sekha__jdoc_free(&d);
}

Test(jdoc, compact)
{
    expect_compact(" { \"a\" : [ 1 , 2 ] , \"b c\" : \"x  y\\n\" } ",
                   "{\"a\":[1,2],\"b c\":\"x  y\\n\"}");
    expect_compact("{ \"\\u0061\" :\t\"\\u00e9 \\ud83e\\udd8a\\/\" }",
                   "{\"\\u0061\":\"\\u00e9 \\ud83e\\udd8a\\/\"}");
    expect_compact("[ ]", "[]");
    expect_compact("{\n}", "{}");
    expect_compact(" [ { } , [ [ ] ] , { \"\" : { } } ] ", "[{},[[]],{\"\":{}}]");
    expect_compact(" \"  spaced  \" ", "\"  spaced  \"");
    expect_compact("\t1E+10\n", "1E+10");
    expect_compact(" -0.50 ", "-0.50");
    expect_compact(" null ", "null");
    expect_compact("[ true , false , null ]", "[true,false,null]");
    expect_compact("{\"a\":\"[ 1, 2 ]\",\"b\":\"{ \\\"c\\\" : 1 }\"}",
                   "{\"a\":\"[ 1, 2 ]\",\"b\":\"{ \\\"c\\\" : 1 }\"}");
    expect_compact("{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}");
    expect_compact("\"\\u0000\"", "\"\\u0000\"");
}

Test(jdoc, compact_of_members_and_null)
{
    sekha_jdoc d = {0};
    parse(&d, "{ \"a\" : [ 1 , { \"b\" : \"x y\" } ] , \"c\" : 2 }");
    const sekha_jv *root = sekha__jroot(&d);
    char *a = sekha__jcompact(&d, sekha__jget(&d, root, "a"));
    cr_assert_not_null(a);
    cr_expect_str_eq(a, "[1,{\"b\":\"x y\"}]");
    char *b = sekha__jcompact(&d, sekha__jget(&d, &d.v[3], "b"));
    cr_expect_str_eq(b, "\"x y\"");
    char *c = sekha__jcompact(&d, sekha__jget(&d, root, "c"));
    cr_expect_str_eq(c, "2");
    char *n = sekha__jcompact(&d, NULL);
    cr_assert_not_null(n);
    cr_expect_str_eq(n, "null");
    char *none = sekha__jcompact(&d, sekha__jget(&d, root, "missing"));
    cr_expect_str_eq(none, "null");
    /* Earlier results stay intact while the arena grows. */
    for (int i = 0; i < 1000; i++)
        cr_assert_not_null(sekha__jcompact(&d, root));
    cr_expect_str_eq(a, "[1,{\"b\":\"x y\"}]");
    cr_expect_str_eq(n, "null");
    sekha__jdoc_free(&d);
}

Test(jdoc, arena_allocations)
{
    sekha_jdoc d = {0};
    /* Before any parse too. */
    unsigned char *first = sekha__jalloc(&d, 3);
    cr_assert_not_null(first);
    memset(first, 0xaa, 3);
    parse(&d, "[1]");
    for (size_t n = 0; n < 3000; n += 7) {
        unsigned char *p = sekha__jalloc(&d, n);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0, "size %zu misaligned", n);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(p[i], 0, "size %zu byte %zu not zeroed", n, i);
        memset(p, 0x55, n);
    }
    unsigned char *big = sekha__jalloc(&d, (size_t)1 << 20);
    cr_assert_not_null(big);
    cr_assert_eq(big[0] | big[(1 << 20) - 1], 0);
    memset(big, 1, (size_t)1 << 20);
    cr_assert_eq(first[0], 0xaa); /* earlier blocks are kept until the document goes */
    sekha__jdoc_free(&d);
}

/* Small documents borrow the thread's value table: a second document parsed while the
 * first holds it still works (its values in its arena), dropping the values hands the
 * table back, and what was decoded stays readable after the drop. */
Test(jdoc, value_table_is_shared_per_thread)
{
    sekha_jdoc a = {0}, b = {0};
    parse(&a, "{\"k\":\"first\",\"n\":[1,2,3]}");
    parse(&b, "{\"k\":\"second\"}");
    cr_assert_not_null(a.cache);
    cr_assert_null(b.cache, "two documents share one table");
    const char *ka = sekha__jstr(&a, sekha__jget(&a, sekha__jroot(&a), "k"));
    const char *kb = sekha__jstr(&b, sekha__jget(&b, sekha__jroot(&b), "k"));
    cr_assert_str_eq(ka, "first");
    cr_assert_str_eq(kb, "second");
    sekha__jdoc_drop_values(&a);
    cr_assert_null(sekha__jroot(&a));
    cr_assert_str_eq(ka, "first", "decoded text must outlive the values");
    sekha_jdoc c = {0};
    parse(&c, "[true]");
    cr_assert_not_null(c.cache, "the table was not handed back");
    /* A document too large for the table moves its values to its arena mid-parse. */
    size_t n = 20000;
    char *big = malloc(n * 2 + 3);
    cr_assert_not_null(big);
    big[0] = '[';
    for (size_t i = 0; i < n; i++) {
        big[1 + 2 * i] = '0';
        big[2 + 2 * i] = ',';
    }
    big[2 * n] = ']';
    big[2 * n + 1] = '\0';
    sekha__jdoc_drop_values(&c);
    sekha_jdoc e = {0};
    parse(&e, big);
    cr_assert_eq(sekha__jroot(&e)->count, n);
    cr_assert_null(e.cache);
    sekha__jdoc_free(&e);
    free(big);
    sekha__jdoc_free(&a);
    sekha__jdoc_free(&b);
    sekha__jdoc_free(&c);
}
