/* Writes on kept-alive connections without giving up at-most-once.
 *
 * libcurl re-sends a request by itself when a reused connection dies before any answer
 * byte arrives; for a write the server may already have applied, that stores it twice.
 * Two rules make reuse safe anyway (docs/keepalive.md says why they suffice):
 *  - a write only takes a pooled connection that has been idle for clearly less than the
 *    server's keep-alive timeout, so the server is not closing it as the write goes out;
 *  - a guard on libcurl's pre-request callback sees every re-send libcurl attempts on its
 *    own and lets it happen only when not one byte of the request reached a socket; else
 *    the attempt ends and the write is reported as SEKHA_E_OUTCOME_UNKNOWN. */
#include "core/keepalive.h"

#include <strings.h>

/* What libcurl itself allows by default (CURLOPT_MAXAGE_CONN). */
#define MAXAGE_DEFAULT 118L

/* The CURLOPT_MAXAGE_CONN value for a write to a service, -1 for a fresh connection.
 * libcurl reuses a connection while its idle time in whole seconds is at most that value,
 * i.e. while it has been idle for less than value + 1 seconds. */
static long write_maxage(int announced)
{
    if (announced <= 0)
        return 0; /* nothing heard: idle under 1 s, well below common timeouts (2 s and up) */
    /* The server starts counting before we do (the answer's travel time, our processing)
     * and the write needs time to arrive: keep a quarter of the timeout, at least 1 s. */
    int margin = (announced + 3) / 4 > 1 ? (announced + 3) / 4 : 1;
    long usable = (long)announced - margin;
    if (usable < 1)
        return -1;
    return usable - 1 < MAXAGE_DEFAULT ? usable - 1 : MAXAGE_DEFAULT;
}

/* Called by libcurl right before a request goes out on a connection, new or reused: once
 * per attempt, and again for each re-send libcurl decides on by itself. */
static int prereq(void *ud, char *primary_ip, char *local_ip, int primary_port,
                  int local_port)
{
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    sekha_request *r = ud;
    if (r->ka_sends++ == 0)
        return CURL_PREREQFUNC_OK;
    /* A re-send. The bytes libcurl handed the socket so far in this transfer (reset only
     * when we start an attempt) say whether any of the request can have left: with none,
     * the server cannot have seen it and the re-send is the retry we would make. */
    long sent = 0;
    if (curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0)
        return CURL_PREREQFUNC_OK;
    r->ka_blocked = 1;
    return CURL_PREREQFUNC_ABORT;
}

void sekha__ka_configure(CURL *e, sekha_request *r)
{
    r->ka_sends = 0;
    r->ka_blocked = 0;
    r->ka_announced = 0;
    if (r->idempotent) {
        /* libcurl may re-send these at will: any pooled connection will do */
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 0L);
        curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, MAXAGE_DEFAULT);
        curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, (curl_prereq_callback)NULL);
        return;
    }
    long maxage = write_maxage(r->client->ka_timeout_s[r->service]);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, maxage < 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, maxage < 0 ? MAXAGE_DEFAULT : maxage);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
}

void sekha__ka_header(sekha_request *r, const char *line, size_t n)
{
    static const char name[] = "keep-alive:";
    if (n < sizeof name || strncasecmp(line, name, sizeof name - 1) != 0)
        return;
    /* "Keep-Alive: timeout=5, max=100": parameters separated by commas */
    const char *p = line + sizeof name - 1, *end = line + n;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        if (end - p > 8 && strncasecmp(p, "timeout=", 8) == 0) {
            p += 8;
            long v = 0;
            int digits = 0;
            for (; p < end && *p >= '0' && *p <= '9'; p++, digits++)
                if (v < 100000)
                    v = v * 10 + (*p - '0');
            if (digits) /* 0 (close at once) counts as the shortest timeout there is */
                r->ka_announced = v < 1 ? 1 : (v > 100000 ? 100000 : (int)v);
            return;
        }
        while (p < end && *p != ',')
            p++;
    }
}

void sekha__ka_learn(sekha_request *r)
{
    if (r->ka_announced)
        r->client->ka_timeout_s[r->service] = r->ka_announced;
}

sekha_error *sekha__ka_unknown_error(void)
{
    /* the code's own text says what this means for the write; this says what happened */
    return sekha__error_new(SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT,
                            "the reused connection closed before any answer arrived");
}
