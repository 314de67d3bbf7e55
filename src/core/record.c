/* The cassette: one JSON line per ended HTTP attempt (docs/cassette.md), written with one
 * write(2) so lines of several clients or threads never interleave. Runs only when
 * sekha_options_set_record() named a file. */
#include "core/internal.h"
#include "core/jwrite.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char redacted[] = "[REDACTED]";

static char *find(char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0 || n < m)
        return NULL;
    for (char *p = hay, *end = hay + n - m + 1; p < end;) {
        char *q = memchr(p, needle[0], (size_t)(end - p));
        if (!q)
            return NULL;
        if (memcmp(q, needle, m) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

int sekha__redact(const sekha_client *c, sekha_buf *b)
{
    const size_t rlen = sizeof redacted - 1;
    for (int s = 0; s < SEKHA_SERVICE_COUNT; s++) {
        const char *key = sekha__options_key(c->opts, (sekha_service)s);
        size_t klen = key ? strlen(key) : 0, from = 0;
        char *hit;
        while (klen && (hit = find(b->data + from, b->len - from, key, klen))) {
            size_t at = (size_t)(hit - b->data), rest = b->len - at - klen;
            if (rlen > klen && sekha__buf_reserve(b, rlen - klen) != 0)
                return -1;
            memmove(b->data + at + rlen, b->data + at + klen, rest);
            memcpy(b->data + at, redacted, rlen);
            b->len = at + rlen + rest;
            b->data[b->len] = '\0';
            from = at + rlen;
        }
    }
    return 0;
}

/* "name": the bytes as a JSON string, or "name_b64": base64 when they are not UTF-8. */
static int put_bytes(sekha_buf *b, const char *name, const char *p, size_t n)
{
    if (sekha__utf8_valid(p ? p : "", n)) {
        return sekha__buf_printf(b, ",\"%s\":", name) | sekha__jw_string_n(b, p ? p : "", n);
    }
    size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    if (sekha__buf_printf(b, ",\"%s_b64\":\"", name) != 0 || sekha__buf_reserve(b, len) != 0)
        return -1;
    sodium_bin2base64(b->data + b->len, len, (const unsigned char *)p, n,
                      sodium_base64_VARIANT_ORIGINAL);
    b->len += len - 1;
    return sekha__buf_puts(b, "\"");
}

/* The response headers a client reads (names as the cassette spells them). */
static const char *const kept_headers[] = {"content-type",   "retry-after",      "location",
                                           "mcp-session-id", "www-authenticate", "keep-alive"};

static int put_headers(sekha_buf *b, const sekha_response *resp)
{
    int rc = sekha__buf_puts(b, ",\"headers\":{");
    int first = 1;
    for (size_t i = 0; i < sizeof kept_headers / sizeof *kept_headers; i++) {
        const char *v = sekha_response_header(resp, kept_headers[i]);
        if (!v)
            continue;
        rc |= sekha__buf_puts(b, first ? "\"" : ",\"");
        rc |= sekha__buf_puts(b, kept_headers[i]);
        rc |= sekha__buf_puts(b, "\":");
        if (sekha__jw_string(b, v) != 0)
            rc |= sekha__buf_puts(b, "\"\"");
        first = 0;
    }
    return rc | sekha__buf_puts(b, "}");
}

/* "stream":[[t_ms,"raw bytes"],...] from the chunks kept by sekha__trace_chunk. A chunk
 * that is not UTF-8 on its own (a character split between reads) goes as
 * [t_ms,null,"base64"]. */
static int put_stream(sekha_buf *b, const sekha_buf *chunks)
{
    int rc = sekha__buf_puts(b, ",\"stream\":[");
    size_t off = 0;
    int first = 1;
    while (off + sizeof(double) + sizeof(size_t) <= chunks->len) {
        double t;
        size_t n;
        memcpy(&t, chunks->data + off, sizeof t);
        memcpy(&n, chunks->data + off + sizeof t, sizeof n);
        const char *p = chunks->data + off + sizeof t + sizeof n;
        off += sizeof t + sizeof n + n;
        rc |= sekha__buf_puts(b, first ? "[" : ",[");
        rc |= sekha__jw_double(b, t);
        if (sekha__utf8_valid(p, n)) {
            rc |= sekha__buf_puts(b, ",");
            rc |= sekha__jw_string_n(b, p, n);
        } else {
            size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
            rc |= sekha__buf_puts(b, ",null,\"");
            if (rc || sekha__buf_reserve(b, len) != 0)
                return -1;
            sodium_bin2base64(b->data + b->len, len, (const unsigned char *)p, n,
                              sodium_base64_VARIANT_ORIGINAL);
            b->len += len - 1;
            rc |= sekha__buf_puts(b, "\"");
        }
        rc |= sekha__buf_puts(b, "]");
        first = 0;
    }
    return rc | sekha__buf_puts(b, "]");
}

void sekha__trace_headers_done(sekha_request *r)
{
    if (r->tr && r->client->record_fd >= 0)
        r->tr->headers_us = sekha__trace_now_us();
}

void sekha__trace_chunk(sekha_request *r, const char *p, size_t n)
{
    sekha__trace_req *tr = r->tr;
    if (!tr || r->client->record_fd < 0)
        return;
    int64_t now = sekha__trace_now_us();
    double t = tr->headers_us ? (double)(now - tr->headers_us) / 1000.0 : 0.0;
    if (sekha__buf_reserve(&tr->stream, sizeof t + sizeof n + n) != 0)
        return; /* out of memory: the cassette misses this chunk, the call goes on */
    sekha__buf_append(&tr->stream, &t, sizeof t);
    sekha__buf_append(&tr->stream, &n, sizeof n);
    sekha__buf_append(&tr->stream, p, n);
}

void sekha__record_attempt(sekha_request *r, const char *error)
{
    sekha_client *c = r->client;
    sekha__trace_req *tr = r->tr;
    sekha_buf *b = &c->trace_buf;
    sekha__buf_clear(b);
    int rc = sekha__buf_puts(b, "{\"v\":1,\"service\":");
    rc |= sekha__jw_string(b, sekha_service_name(r->service));
    rc |= sekha__buf_puts(b, ",\"method\":");
    rc |= sekha__jw_string(b, r->method ? r->method : "");
    const char *path = strstr(r->url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    rc |= sekha__buf_puts(b, ",\"path\":");
    rc |= sekha__jw_string(b, path ? path : "/");
    int secret = (r->flags & SEKHA__HTTP_SECRET_BODIES) != 0;
    if (secret)
        rc |= sekha__buf_printf(b, ",\"request_body\":\"%s\"", redacted);
    else
        rc |= put_bytes(b, "request_body", r->body.data, r->body.len);
    if (error) {
        rc |= sekha__buf_puts(b, ",\"status\":0,\"error\":");
        char *fixed = sekha__utf8_repair(error);
        rc |= fixed ? sekha__jw_string(b, fixed) : -1;
        free(fixed);
    } else {
        const char *ct = sekha_response_header(&r->resp, "content-type");
        rc |= sekha__buf_printf(b, ",\"status\":%d,\"content_type\":", tr->status);
        rc |= sekha__jw_string(b, ct && sekha__utf8_valid(ct, strlen(ct)) ? ct : "");
        rc |= put_headers(b, &r->resp);
        if (secret)
            rc |= sekha__buf_printf(b, ",\"body\":\"%s\"", redacted);
        else if (r->is_sse)
            rc |= put_stream(b, &tr->stream);
        else
            rc |= put_bytes(b, "body", r->resp.body.data, r->resp.body.len);
    }
    rc |= sekha__buf_puts(b, "}\n");
    if (rc != 0 || sekha__redact(c, b) != 0) {
        sekha__log(c, SEKHA_LOG_WARN, "cassette: out of memory, an exchange was not recorded");
        return;
    }
    ssize_t w;
    do
        w = write(c->record_fd, b->data, b->len);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)b->len)
        sekha__log(c, SEKHA_LOG_WARN, "cassette: write failed: %s",
                   w < 0 ? strerror(errno) : "short write");
}
