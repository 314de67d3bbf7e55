/* Block scans for the byte loops on hot paths (JSON strings in and out): 16 bytes at a
 * time with SSE2 (every x86-64 has it), else 8 at a time in a 64-bit word. */
#ifndef SEKHA_CORE_SWAR_H
#define SEKHA_CORE_SWAR_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define SEKHA_SCAN_BLOCK 16
#else
#define SEKHA_SCAN_BLOCK 8
#endif

#define SEKHA_SWAR_ONES 0x0101010101010101ULL
#define SEKHA_SWAR_HIGHS 0x8080808080808080ULL

/* How many bytes of p[0..SEKHA_SCAN_BLOCK) come before the first one that is a quote, a
 * backslash or a control character (with high set, also any byte >= 0x80):
 * SEKHA_SCAN_BLOCK when there is none, -1 when it cannot tell where (the caller then goes
 * byte by byte). */
static inline int sekha__scan_block(const char *p, int high)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                   _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
    /* A signed "less than 0x20" is true for 0x00-0x1f and for every byte >= 0x80. */
    __m128i low = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
    if (!high)
        low = _mm_andnot_si128(_mm_cmplt_epi8(x, _mm_setzero_si128()), low);
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(special, low));
    return m ? __builtin_ctz(m) : 16;
#else
    uint64_t x, q, b, m;
    memcpy(&x, p, 8);
    q = x ^ (SEKHA_SWAR_ONES * '"');
    b = x ^ (SEKHA_SWAR_ONES * '\\');
    /* A byte above a flagged one may be flagged too (borrows run upwards), never one
     * below, so the lowest flag is exact. */
    m = (((q - SEKHA_SWAR_ONES) & ~q) | ((b - SEKHA_SWAR_ONES) & ~b) |
         ((x - SEKHA_SWAR_ONES * 0x20) & ~x) | (high ? x : 0)) & SEKHA_SWAR_HIGHS;
    if (!m)
        return 8;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_ctzll(m) >> 3;
#else
    return -1;
#endif
#endif
}

#endif
