#include "core/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int unreserved(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

int sekha__url_encode(sekha_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            if (sekha__buf_append(out, p, 1) != 0)
                return -1;
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (sekha__buf_append(out, esc, 3) != 0)
                return -1;
        }
    }
    return 0;
}

int sekha__url_query_add(sekha_buf *url, const char *name, const char *value)
{
    if (!name || !value)
        return -1;
    const char *sep = memchr(sekha__buf_str(url), '?', url->len) ? "&" : "?";
    if (sekha__buf_puts(url, sep) != 0 || sekha__url_encode(url, name) != 0 ||
        sekha__buf_puts(url, "=") != 0 || sekha__url_encode(url, value) != 0)
        return -1;
    return 0;
}

int sekha__header_value_ok(const char *s)
{
    return s && strpbrk(s, "\r\n") == NULL;
}

int sekha__is_uuid(const char *s)
{
    static const unsigned char hex[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
        ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
        ['e'] = 1, ['f'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
        ['F'] = 1};
    if (!s)
        return 0;
    /* Stops at the first mismatch: a shorter string fails at its terminator. */
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !hex[(unsigned char)s[i]])
            return 0;
    }
    return s[36] == '\0';
}

int sekha__url_check_base(const char *url, char *why, size_t why_len)
{
    if (!url || !*url) {
        snprintf(why, why_len, "URL is empty");
        return -1;
    }
    size_t n = strlen(url);
    if (n > 2048) {
        snprintf(why, why_len, "URL is longer than 2048 bytes");
        return -1;
    }
    const char *rest;
    if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    else {
        snprintf(why, why_len, "URL must start with http:// or https://");
        return -1;
    }
    for (const char *p = url; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f) {
            snprintf(why, why_len, "URL contains a space, control or non-ASCII character");
            return -1;
        }
    }
    if (strpbrk(url, "?#")) {
        snprintf(why, why_len, "URL must not contain a query or fragment");
        return -1;
    }
    size_t host_len = strcspn(rest, "/");
    if (host_len == 0) {
        snprintf(why, why_len, "URL has no host");
        return -1;
    }
    if (memchr(rest, '@', host_len)) {
        snprintf(why, why_len, "URL must not contain credentials (use the API key options)");
        return -1;
    }
    if (rest[0] == '[' && !memchr(rest, ']', host_len)) {
        snprintf(why, why_len, "URL has a malformed IPv6 address");
        return -1;
    }
    const char *colon = NULL;
    const char *host_end = rest + host_len;
    const char *scan = rest[0] == '[' ? memchr(rest, ']', host_len) : rest;
    if (scan)
        colon = memchr(scan, ':', (size_t)(host_end - scan));
    if (colon) {
        const char *d = colon + 1;
        long port = 0;
        if (d == host_end) {
            snprintf(why, why_len, "URL has an empty port");
            return -1;
        }
        for (; d < host_end; d++) {
            if (!isdigit((unsigned char)*d) || (port = port * 10 + (*d - '0')) > 65535) {
                snprintf(why, why_len, "URL has an invalid port");
                return -1;
            }
        }
        if (port == 0) {
            snprintf(why, why_len, "URL has an invalid port");
            return -1;
        }
    }
    return 0;
}
