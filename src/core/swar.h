/* Eight bytes at a time, for the byte scans on hot paths (JSON strings in and out). */
#ifndef SEKHA_CORE_SWAR_H
#define SEKHA_CORE_SWAR_H

#include <stdint.h>
#include <string.h>

#define SEKHA_SWAR_ONES 0x0101010101010101ULL
#define SEKHA_SWAR_HIGHS 0x8080808080808080ULL

/* The high bit of each byte of p[0..8) that is a quote, a backslash or a control character
 * is set. A byte above a flagged one may be flagged too (borrows run upwards), never one
 * below, so the lowest flag is always exact. */
static inline uint64_t sekha__swar_json_special(const char *p)
{
    uint64_t x, q, b;
    memcpy(&x, p, 8);
    q = x ^ (SEKHA_SWAR_ONES * '"');
    b = x ^ (SEKHA_SWAR_ONES * '\\');
    return (((q - SEKHA_SWAR_ONES) & ~q) | ((b - SEKHA_SWAR_ONES) & ~b) |
            ((x - SEKHA_SWAR_ONES * 0x20) & ~x)) & SEKHA_SWAR_HIGHS;
}

/* The same, also flagging every byte >= 0x80 (exactly: no borrow is involved). */
static inline uint64_t sekha__swar_json_special_or_8bit(const char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return sekha__swar_json_special(p) | (x & SEKHA_SWAR_HIGHS);
}

/* How many bytes from p come before the first special one (0..7), given a non-zero mask
 * from sekha__swar_json_special; -1 where the byte order makes that unknown. */
static inline int sekha__swar_first(uint64_t mask)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_ctzll(mask) >> 3;
#else
    (void)mask;
    return -1;
#endif
}

#endif
