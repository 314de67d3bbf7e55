#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

sekha_client *cli_client(cli *c)
{
    if (c->client)
        return c->client;
    sekha_error *err = NULL;
    c->client = sekha_client_new(c->opts, &err);
    if (!c->client) {
        cli_fail(c, err);
        sekha_error_free(err);
    }
    return c->client;
}

int cli_fail(cli *c, const sekha_error *err)
{
    fprintf(stderr, "%s: %s\n", c->prog, sekha_error_message(err));
    fprintf(stderr, "  layer: %s, code: %d (%s)\n", sekha_layer_name(sekha_error_layer(err)),
            (int)sekha_error_code(err), sekha_strerror(sekha_error_code(err)));
    if (sekha_error_http_status(err))
        fprintf(stderr, "  http status: %d\n", sekha_error_http_status(err));
    if (sekha_error_retry_after_ms(err) >= 0)
        fprintf(stderr, "  retry after: %ld ms\n", sekha_error_retry_after_ms(err));
    if (sekha_error_curl_code(err))
        fprintf(stderr, "  curl code: %d\n", sekha_error_curl_code(err));
    if (sekha_error_service_message(err))
        fprintf(stderr, "  service says: %s\n", sekha_error_service_message(err));
    if (sekha_error_attempts(err) > 1)
        fprintf(stderr, "  attempts: %d\n", sekha_error_attempts(err));
    return CLI_FAILED;
}

int cli_usage(cli *c, const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", c->prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\nusage: %s %s\n", c->prog, cmd->usage);
    else
        fputc('\n', stderr);
    return CLI_USAGE;
}

long cli_parse_long(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0)
        return -1;
    return v;
}

void cli_print_json(const char *json)
{
    if (isatty(STDOUT_FILENO)) {
        cJSON *v = cJSON_Parse(json);
        char *pretty = v ? cJSON_Print(v) : NULL;
        cJSON_Delete(v);
        if (pretty) {
            puts(pretty);
            cJSON_free(pretty);
            return;
        }
    }
    puts(json);
}
