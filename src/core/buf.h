/* Growable byte buffer, always NUL-terminated when non-empty. */
#ifndef SEKHA_CORE_BUF_H
#define SEKHA_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sekha_buf {
    char *data;
    size_t len;
    size_t cap;
} sekha_buf;

/* Appends n bytes; returns 0, or -1 when out of memory (the buffer is unchanged). */
int sekha__buf_append(sekha_buf *b, const void *p, size_t n);
int sekha__buf_puts(sekha_buf *b, const char *s);
int sekha__buf_printf(sekha_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Makes room for n more bytes without changing len. */
int sekha__buf_reserve(sekha_buf *b, size_t n);
/* Empties the buffer, keeping its memory. */
void sekha__buf_clear(sekha_buf *b);
void sekha__buf_free(sekha_buf *b);
/* The contents as a C string ("" for an empty buffer that never grew). */
const char *sekha__buf_str(const sekha_buf *b);
/* Hands the memory to the caller (NUL-terminated, never NULL unless out of memory). */
char *sekha__buf_steal(sekha_buf *b, size_t *len);

#endif
