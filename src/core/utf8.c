/* UTF-8 validation (RFC 3629): JSON text must be UTF-8 (RFC 8259) and cJSON does not check
 * it, so decoders and request builders call this before trusting strings. */
#include "core/internal.h"
#include "core/jwrite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t sekha__utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t sekha__utf8_invalid_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        /* ASCII runs, eight bytes at a time */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (x & UINT64_C(0x8080808080808080))
                break;
            p += 8;
        }
        if (p == end)
            break;
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t k = sekha__utf8_seq(p, end);
        if (!k)
            break;
        p += k;
    }
    return (size_t)(p - (const unsigned char *)s);
}

int sekha__utf8_valid(const char *s, size_t n)
{
    return sekha__utf8_invalid_at(s, n) == n;
}

char *sekha__utf8_repair(const char *s)
{
    size_t n = strlen(s), bad = 0;
    for (size_t at = sekha__utf8_invalid_at(s, n); at < n;
         at += 1 + sekha__utf8_invalid_at(s + at + 1, n - at - 1))
        bad++;
    char *out = malloc(n + 2 * bad + 1); /* each bad byte becomes three */
    if (!out)
        return NULL;
    char *o = out;
    for (size_t at = 0; at < n;) {
        size_t ok = sekha__utf8_invalid_at(s + at, n - at);
        memcpy(o, s + at, ok);
        o += ok;
        at += ok;
        if (at < n) {
            memcpy(o, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
            o += 3;
            at++;
        }
    }
    *o = '\0';
    return out;
}
