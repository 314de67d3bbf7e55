/* The JSON writer (src/core/jwrite.c): escaping, integers, and round trips through the
 * reader. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/jdoc.h"
#include "core/jwrite.h"

static void parse_n(sekha_jdoc *d, const char *text, size_t len)
{
    size_t at = (size_t)-1;
    int rc = sekha__jdoc_parse(d, text, len, &at);
    cr_assert_eq(rc, 0, "refused %.*s (at %zu)", (int)len, text, at);
}

static void expect_jw(const char *in, const char *want)
{
    sekha_buf b = {0};
    cr_assert_eq(sekha__jw_string(&b, in), 0);
    cr_expect_str_eq(b.data, want);
    cr_expect_eq(b.len, strlen(want));
    sekha__buf_free(&b);
}

Test(jwrite, string_escaping)
{
    expect_jw("", "\"\"");
    expect_jw("plain text", "\"plain text\"");
    expect_jw("a\"b", "\"a\\\"b\"");
    expect_jw("back\\slash", "\"back\\\\slash\"");
    expect_jw("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
    expect_jw("\x01\x02\x0b\x0e\x1b\x1f", "\"\\u0001\\u0002\\u000b\\u000e\\u001b\\u001f\"");
    expect_jw("/ \x7f", "\"/ \x7f\"");
    expect_jw("caf\xc3\xa9 \xf0\x9f\xa6\x8a", "\"caf\xc3\xa9 \xf0\x9f\xa6\x8a\"");
    expect_jw("\"\\\"", "\"\\\"\\\\\\\"\"");
}

Test(jwrite, appends_after_existing_content)
{
    sekha_buf b = {0};
    cr_assert_eq(sekha__buf_puts(&b, "{\"k\":"), 0);
    cr_assert_eq(sekha__jw_string(&b, "v\n"), 0);
    cr_assert_eq(sekha__buf_puts(&b, ",\"n\":"), 0);
    cr_assert_eq(sekha__jw_long(&b, -12), 0);
    cr_assert_eq(sekha__buf_puts(&b, "}"), 0);
    cr_assert_str_eq(b.data, "{\"k\":\"v\\n\",\"n\":-12}");
    cr_assert_eq(b.len, strlen(b.data));
    sekha__buf_free(&b);
}

Test(jwrite, longs)
{
    const long vals[] = {0, 1, -1, 9, 10, -10, 42, -42, 1000000, 2147483647L, -2147483647L - 1,
                         LONG_MAX, LONG_MIN, LONG_MAX - 1, LONG_MIN + 1};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        sekha_buf b = {0};
        char want[32];
        snprintf(want, sizeof want, "%ld", vals[i]);
        cr_assert_eq(sekha__jw_long(&b, vals[i]), 0);
        cr_expect_str_eq(b.data, want);
        /* And it reads back as a JSON number (exactly when a double holds it). */
        sekha_jdoc d = {0};
        parse_n(&d, b.data, b.len);
        double x = 0;
        cr_assert_eq(sekha__jnum(sekha__jroot(&d), &x), -1);
        cr_expect_eq(x, (double)vals[i]);
        sekha__jdoc_free(&d);
        sekha__buf_free(&b);
    }
}

/* jw_string's output must parse, decode to the very bytes written, and compact to itself. */
static void round_trip(const char *s)
{
    sekha_buf b = {0};
    cr_assert_eq(sekha__jw_string(&b, s), 0);
    sekha_jdoc d = {0};
    size_t at = 0;
    int rc = sekha__jdoc_parse(&d, b.data, b.len, &at);
    cr_assert_eq(rc, 0, "jw_string output refused at %zu: %s", at, b.data);
    const sekha_jv *root = sekha__jroot(&d);
    cr_assert_eq(root->type, SEKHA_J_STRING);
    const char *back = sekha__jstr(&d, root);
    cr_assert_not_null(back);
    cr_assert_eq(strlen(back), strlen(s));
    cr_assert_eq(memcmp(back, s, strlen(s)), 0, "round trip changed %s", b.data);
    char *c = sekha__jcompact(&d, root);
    cr_assert_str_eq(c, b.data);
    sekha__jdoc_free(&d);
    sekha__buf_free(&b);
}

Test(jwrite, round_trips_through_jdoc)
{
    char s[300];
    /* Every byte 0x01..0x7f alone, then all of them in one string. */
    for (int c = 1; c <= 0x7f; c++) {
        s[0] = (char)c;
        s[1] = '\0';
        round_trip(s);
    }
    for (int c = 1; c <= 0x7f; c++)
        s[c - 1] = (char)c;
    s[0x7f] = '\0';
    round_trip(s);
    /* Generated strings: a fixed-seed generator so failures reproduce. Bytes are weighted
     * towards the ones that need escaping; non-ASCII comes as whole UTF-8 sequences. */
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (int iter = 0; iter < 5000; iter++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len = (size_t)(state >> 33) % (sizeof s - 1);
        for (size_t i = 0; i < len; i++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(state >> 40);
            unsigned char c;
            switch (r % 4) {
            case 0: c = (unsigned char)(1 + r / 4 % 0x1f); break; /* controls */
            case 1: c = "\"\\/u"[r / 4 % 4]; break;
            case 2: c = (unsigned char)(0x20 + r / 4 % 0x60); break;
            default: { /* a whole UTF-8 sequence: the reader refuses broken ones */
                unsigned cp = 0x80 + r / 4 % 0x10ff80;
                if (cp >= 0xd800 && cp <= 0xdfff)
                    cp = 0xe000;
                if (i + 4 >= len) {
                    c = 'u';
                    break;
                }
                if (cp < 0x800) {
                    s[i++] = (char)(0xc0 | cp >> 6);
                } else if (cp < 0x10000) {
                    s[i++] = (char)(0xe0 | cp >> 12);
                    s[i++] = (char)(0x80 | (cp >> 6 & 0x3f));
                } else {
                    s[i++] = (char)(0xf0 | cp >> 18);
                    s[i++] = (char)(0x80 | (cp >> 12 & 0x3f));
                    s[i++] = (char)(0x80 | (cp >> 6 & 0x3f));
                }
                c = (unsigned char)(0x80 | (cp & 0x3f));
                break;
            }
            }
            s[i] = (char)c;
        }
        s[len] = '\0';
        round_trip(s);
    }
}
