#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sekha__buf_reserve(sekha_buf *b, size_t n)
{
    if (n > (size_t)-1 / 2 - b->len)
        return -1;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int sekha__buf_append(sekha_buf *b, const void *p, size_t n)
{
    if (sekha__buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int sekha__buf_puts(sekha_buf *b, const char *s)
{
    return sekha__buf_append(b, s, strlen(s));
}

int sekha__buf_printf(sekha_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return sekha__buf_append(b, small, (size_t)n);
    if (sekha__buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void sekha__buf_clear(sekha_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void sekha__buf_free(sekha_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *sekha__buf_str(const sekha_buf *b)
{
    return b->data ? b->data : "";
}

char *sekha__buf_steal(sekha_buf *b, size_t *len)
{
    if (!b->data && sekha__buf_reserve(b, 0) != 0)
        return NULL;
    b->data[b->len] = '\0';
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
