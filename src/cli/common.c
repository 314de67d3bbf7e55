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
    cli_spinner_stop();
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
    cli_spinner_stop();
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

void cli_print_token(cli *c, sekha_request *req, const sekha_chunk *ch, int *printed)
{
    size_t len;
    const char *s = sekha_chunk_content(ch, &len);
    if (len == 0 || c->json)
        return;
    cli_spinner_stop(); /* the reply takes over the terminal */
    /* One write per token, flushed now: the reader sees tokens as they arrive. */
    if (fwrite(s, 1, len, stdout) != len || fflush(stdout) != 0) {
        sekha_request_cancel(req); /* stdout is gone: no point reading further */
        return;
    }
    *printed = 1;
}

void cli_print_json(const char *json)
{
    cli_spinner_stop();
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

/* ---- the option parser ---- */


void cli_parsed_free(parsed *p)
{
    free(p->pos);
    free(p->text);
    for (size_t i = 0; i < p->nlists; i++)
        free(p->lists[i].v);
}

static char *join(const char *const *words, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *s = malloc(len);
    if (s)
        s[0] = '\0';
    for (size_t i = 0; s && i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, words[i]);
    }
    return s;
}

int cli_parse(cli *c, int argc, char **argv, const flag_spec *flags, size_t nflags,
                 size_t min, size_t max, parsed *p)
{
    memset(p, 0, sizeof *p);
    p->cmd = cli_find_command(argv[0]);
    p->pos = calloc((size_t)argc + 1, sizeof *p->pos);
    int oom = !p->pos;
    for (size_t f = 0; f < nflags; f++) {
        if (flags[f].kind != F_LIST)
            continue;
        str_list *l = flags[f].dst;
        l->n = 0;
        l->v = calloc((size_t)argc + 1, sizeof *l->v);
        p->lists[p->nlists++] = *l; /* so parsed_free releases it */
        oom |= !l->v;
    }
    int only_pos = 0, rc = 0;
    for (int i = 1; !oom && !rc && i < argc; i++) {
        const char *a = argv[i];
        size_t f = 0;
        if (only_pos || strncmp(a, "--", 2) != 0) {
            p->pos[p->npos++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_pos = 1;
        } else {
            while (f < nflags && strcmp(a, flags[f].name) != 0)
                f++;
            if (f == nflags)
                rc = cli_usage(c, p->cmd, "unknown option %s", a);
            else if (flags[f].kind == F_BOOL)
                *(int *)flags[f].dst = 1;
            else if (i + 1 >= argc)
                rc = cli_usage(c, p->cmd, "%s needs a value", a);
            else if (flags[f].kind == F_STR)
                *(const char **)flags[f].dst = argv[++i];
            else if (flags[f].kind == F_LIST)
                ((str_list *)flags[f].dst)->v[((str_list *)flags[f].dst)->n++] = argv[++i];
            else if ((*(long *)flags[f].dst = cli_parse_long(argv[++i])) < 0)
                rc = cli_usage(c, p->cmd, "%s needs a whole number >= 0", a);
        }
    }
    size_t want = p->npos < min ? min : max;
    if (!oom && !rc && (p->npos < min || p->npos > max))
        rc = cli_usage(c, p->cmd, "expected %s%zu argument%s",
                       min == max ? "" : p->npos < min ? "at least " : "at most ", want,
                       want == 1 ? "" : "s");
    if (!oom && !rc && !(p->text = join(p->pos, p->npos)))
        oom = 1;
    if (oom) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        rc = CLI_FAILED;
    }
    if (rc)
        cli_parsed_free(p);
    return rc;
}
