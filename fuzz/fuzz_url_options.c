/* libFuzzer target: option setters and URL building with hostile strings. Whatever is
 * accepted must be safe to put in a request line: no spaces, controls or CR/LF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    sekha_options *o = sekha_options_new();
    if (sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, s) == SEKHA_OK) {
        const char *u = sekha_options_get_url(o, SEKHA_SERVICE_BRIDGE);
        for (const char *p = u; *p; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                abort();
    }
    if (sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, s) == SEKHA_OK &&
        sekha_options_has_api_key(o, SEKHA_SERVICE_CONTROLLER) && !sekha__header_value_ok(s))
        abort();
    if (sekha_options_set_user_agent(o, s) == SEKHA_OK && !sekha__header_value_ok(s))
        abort();
    sekha_buf b = {0};
    if (sekha__url_query_add(&b, "q", s) == 0) {
        /* "?q=" then only unreserved characters and %XX escapes */
        for (size_t i = 3; i < b.len; i++)
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%",
                        b.data[i]))
                abort();
    }
    sekha__buf_free(&b);
    (void)sekha__is_uuid(s);
    sekha_options_free(o);
    free(s);
    return 0;
}
