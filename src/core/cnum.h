/* Numbers as JSON, HTTP headers and the environment spell them, read and written in the
 * "C" locale whatever LC_NUMERIC the application chose with setlocale: under a
 * decimal-comma locale strtod stops at "1.5" and printf writes "0,83", which is not JSON
 * and not what SEKHA_TIMEOUT means. One strategy for the whole library: a "C" locale
 * object made once, used through strtod_l and uselocale (both per thread, so another
 * thread's locale is never touched). Self-contained on purpose: the CLI compiles this
 * file too. */
#ifndef SEKHA_CORE_CNUM_H
#define SEKHA_CORE_CNUM_H

#include <stdarg.h>
#include <stddef.h>

/* strtod in the "C" locale, with strtod's contract (*end, errno = ERANGE). */
double sekha__strtod_c(const char *s, char **end);

/* snprintf in the "C" locale (the calling thread's locale is restored before it returns). */
int sekha__snprintf_c(char *buf, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int sekha__vsnprintf_c(char *buf, size_t n, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;

/* The shortest of %.15g, %.16g, %.17g that reads back as exactly d ("0" for zero), with a
 * '.' for the point. Returns its length; -1 when d is not finite or buf (at least 32
 * bytes is always enough) is too small. */
int sekha__dtoa_c(char *buf, size_t n, double d);

#endif
