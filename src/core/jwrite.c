#include "core/jwrite.h"
#include "core/swar.h"

#include <stdio.h>
#include <string.h>

int sekha__jw_string(sekha_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    /* Worst case every byte becomes \u00XX; reserving it once keeps the loop branch-light. */
    if (n > ((size_t)-1 - 2) / 6 || sekha__buf_reserve(b, n * 6 + 2) != 0)
        return -1;
    char *o = b->data + b->len;
    *o++ = '"';
    const char *end = s + n;
    for (const char *p = s; p < end; p++) {
        /* Copy runs of plain bytes a block at a time. */
        while (end - p >= SEKHA_SCAN_BLOCK) {
            int k = sekha__scan_block(p, 0);
            if (k < 0)
                break;
            memcpy(o, p, (size_t)k);
            o += k;
            p += k;
            if (k < SEKHA_SCAN_BLOCK)
                break;
        }
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
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

int sekha__jw_long(sekha_buf *b, long v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    return sekha__buf_append(b, p, (size_t)(e - p));
}
