/* Parsed URLs for libcurl (CURLOPT_CURLU). Given a URL string, libcurl parses it afresh for
 * every transfer, which costs a small request more than all of libsekha's own work; given
 * a parsed handle it only copies it. A client keeps the URLs it used most recently (a
 * memory service calls a handful of routes over and over); a request holds its entry
 * while it runs, so an entry in use is never evicted. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t url_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static CURLU *parse(const char *url)
{
    CURLU *h = curl_url();
    /* the flags libcurl itself uses for CURLOPT_URL, so both routes read a URL alike */
    if (h && curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        curl_url_cleanup(h);
        h = NULL;
    }
    return h;
}

CURLU *sekha__url_acquire(sekha_client *c, const char *url, int *slot)
{
    uint64_t hash = url_hash(url);
    int victim = -1;
    *slot = -1;
    for (int i = 0; i < SEKHA__URL_SLOTS; i++) {
        sekha__url_slot *s = &c->urls[i];
        if (s->url && s->hash == hash && strcmp(s->url, url) == 0) {
            s->refs++;
            s->stamp = ++c->url_clock;
            *slot = i;
            return s->h;
        }
        if (s->refs == 0 && (victim < 0 || !s->url ||
                             (c->urls[victim].url && s->stamp < c->urls[victim].stamp)))
            victim = i;
    }
    CURLU *h = parse(url);
    char *copy = h && victim >= 0 ? strdup(url) : NULL;
    if (!copy)
        return h; /* no room (every entry in use) or no memory: a private handle */
    sekha__url_slot *s = &c->urls[victim];
    free(s->url);
    if (s->h)
        curl_url_cleanup(s->h);
    *s = (sekha__url_slot){.hash = hash, .url = copy, .h = h, .refs = 1, .stamp = ++c->url_clock};
    *slot = victim;
    return h;
}

void sekha__url_release(sekha_client *c, CURLU *h, int slot)
{
    if (slot >= 0)
        c->urls[slot].refs--;
    else if (h)
        curl_url_cleanup(h);
}

void sekha__url_cache_free(sekha_client *c)
{
    for (int i = 0; i < SEKHA__URL_SLOTS; i++) {
        free(c->urls[i].url);
        if (c->urls[i].h)
            curl_url_cleanup(c->urls[i].h);
        c->urls[i] = (sekha__url_slot){0};
    }
}
