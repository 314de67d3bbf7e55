/* Deterministic local embedding for the devserver: the feature-hashing trick over word
 * unigrams and character trigrams, so texts that share words or word pieces land close in
 * cosine space without any model. Stable across runs and machines (no seeds, no floats from
 * the environment), which keeps search results reproducible in tests. */
#include "ds.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define WORD_WEIGHT 2.0f
#define TRIGRAM_WEIGHT 1.0f
#define MAX_WORD 256

/* 64-bit FNV-1a, seeded with a feature-kind tag so a word and a trigram that happen to be
 * the same bytes still hash to different buckets. */
static uint64_t fnv1a(char tag, const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h ^= (unsigned char)tag;
    h *= 0x100000001b3ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void add_feature(float *out, char tag, const unsigned char *p, size_t n, float w)
{
    uint64_t h = fnv1a(tag, p, n);
    size_t bucket = (size_t)(h % DS_EMBED_DIM);
    /* The sign bit keeps collisions from only ever adding up (unbiased inner products). */
    out[bucket] += (h >> 63) ? -w : w;
}

/* Trigrams over code points of " word " so that prefixes and suffixes count too. */
static void add_trigrams(float *out, const unsigned char *word, size_t len)
{
    unsigned char padded[MAX_WORD + 2];
    size_t starts[MAX_WORD + 3];
    size_t n = 0, cps = 0;
    padded[n++] = ' ';
    memcpy(padded + n, word, len);
    n += len;
    padded[n++] = ' ';
    for (size_t i = 0; i < n; i++)
        if ((padded[i] & 0xC0) != 0x80)
            starts[cps++] = i;
    starts[cps] = n;
    for (size_t i = 0; i + 3 <= cps; i++)
        add_feature(out, 'c', padded + starts[i], starts[i + 3] - starts[i], TRIGRAM_WEIGHT);
}

void ds_embed(const char *text, size_t len, float out[DS_EMBED_DIM])
{
    memset(out, 0, sizeof(float) * DS_EMBED_DIM);
    if (!text)
        return;
    unsigned char word[MAX_WORD];
    size_t wl = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)text[i] : ' ';
        int in_word = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z');
        if (in_word) {
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            if (wl < MAX_WORD)
                word[wl++] = c;
            continue;
        }
        if (wl > 0) {
            add_feature(out, 'w', word, wl, WORD_WEIGHT);
            add_trigrams(out, word, wl);
            wl = 0;
        }
    }
    double norm = 0;
    for (size_t i = 0; i < DS_EMBED_DIM; i++)
        norm += (double)out[i] * out[i];
    if (norm <= 0)
        return;
    float inv = (float)(1.0 / sqrt(norm));
    for (size_t i = 0; i < DS_EMBED_DIM; i++)
        out[i] *= inv;
}
