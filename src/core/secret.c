#include "core/internal.h"

#include <sodium.h>
#include <string.h>

char *sekha__secret_alloc(size_t len)
{
    if (sekha_global_init() != 0) /* sodium_malloc needs sodium_init first */
        return NULL;
    /* sodium_malloc puts the key between guard pages, mlock()s it so it is not swapped
     * out, and sodium_free wipes it. */
    char *p = sodium_malloc(len + 1);
    if (p)
        memset(p, 0, len + 1);
    return p;
}

char *sekha__secret_dup(const char *s, size_t len)
{
    char *p = sekha__secret_alloc(len);
    if (p)
        memcpy(p, s, len);
    return p;
}

void sekha__secret_free(char *s)
{
    if (s)
        sodium_free(s);
}
