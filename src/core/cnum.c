#include "core/cnum.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static locale_t cached_c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    cached_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Made once per process and never freed (it lives as long as the program). glibc and
 * musl hand out a static object for "C", so this does not fail in practice; if it ever
 * did, the calls below fall back to the program's locale. */
static locale_t c_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return cached_c_locale;
}

double sekha__strtod_c(const char *s, char **end)
{
    locale_t c = c_locale();
    return c ? strtod_l(s, end, c) : strtod(s, end);
}

int sekha__vsnprintf_c(char *buf, size_t n, const char *fmt, va_list ap)
{
    locale_t c = c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    int len = vsnprintf(buf, n, fmt, ap);
    if (old)
        uselocale(old);
    return len;
}

int sekha__snprintf_c(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = sekha__vsnprintf_c(buf, n, fmt, ap);
    va_end(ap);
    return len;
}

int sekha__dtoa_c(char *buf, size_t n, double d)
{
    if (!isfinite(d) || n < 2)
        return -1;
    if (d == 0) {
        buf[0] = '0';
        buf[1] = '\0';
        return 1;
    }
    int len = -1;
    for (int prec = 15; prec <= 17; prec++) {
        len = sekha__snprintf_c(buf, n, "%.*g", prec, d);
        if (len < 0 || (size_t)len >= n)
            return -1;
        if (sekha__strtod_c(buf, NULL) == d)
            break;
    }
    return len;
}
