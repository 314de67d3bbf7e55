#include "core/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int sekha__log_on(const sekha_client *c, sekha_log_level level)
{
    return c->opts->log_fn && level <= c->opts->log_level;
}

void sekha__log(const sekha_client *c, sekha_log_level level, const char *fmt, ...)
{
    if (!sekha__log_on(c, level))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->opts->log_fn(level, line, c->opts->log_ud);
}

/* Emits header text line by line, replacing credentials with "[redacted]". Any header
 * whose name suggests a secret is redacted, not only Authorization. */
static void log_header_block(const sekha_client *c, const char *prefix, const char *data,
                             size_t size)
{
    static const char *const secret_names[] = {"authorization", "proxy-authorization",
                                               "cookie", "set-cookie", "x-api-key",
                                               "mcp-session-id"};
    while (size > 0) {
        const char *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t)(nl - data) + 1 : size;
        size_t text = n;
        while (text > 0 && (data[text - 1] == '\n' || data[text - 1] == '\r'))
            text--;
        if (text > 0) {
            const char *colon = memchr(data, ':', text);
            int secret = 0;
            if (colon) {
                size_t name_len = (size_t)(colon - data);
                for (size_t i = 0; i < sizeof secret_names / sizeof *secret_names; i++)
                    if (strlen(secret_names[i]) == name_len &&
                        strncasecmp(data, secret_names[i], name_len) == 0)
                        secret = 1;
            }
            if (secret)
                sekha__log(c, SEKHA_LOG_DEBUG, "%s%.*s: [redacted]", prefix,
                           (int)(colon - data), data);
            else
                sekha__log(c, SEKHA_LOG_DEBUG, "%s%.*s", prefix, (int)(text > 900 ? 900 : text),
                           data);
        }
        data += n;
        size -= n;
    }
}

int sekha__log_curl_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)h;
    const sekha_request *r = ud;
    const sekha_client *c = r->client;
    switch (type) {
    case CURLINFO_TEXT:
        /* curl's own notes can echo request lines; they never carry header values. */
        log_header_block(c, "* ", data, size);
        break;
    case CURLINFO_HEADER_OUT:
        log_header_block(c, "> ", data, size);
        break;
    case CURLINFO_HEADER_IN:
        log_header_block(c, "< ", data, size);
        break;
    default:
        break; /* bodies are not logged: they may hold user data */
    }
    return 0;
}
