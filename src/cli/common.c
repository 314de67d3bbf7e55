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

void cli_print_stderr_json(cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text)
        fprintf(stderr, "%s\n", text);
    cJSON_free(text);
}

int cli_exit_status(const sekha_error *err)
{
    sekha_code code = sekha_error_code(err);
    switch (sekha_error_layer(err)) {
    case SEKHA_LAYER_LOCAL:
        if (code == SEKHA_E_CANCELLED)
            return CLI_INTERRUPTED;
        return code == SEKHA_E_INVALID_ARG ? CLI_USAGE : CLI_FAILED;
    case SEKHA_LAYER_TRANSPORT:
        return code == SEKHA_E_TOO_LARGE ? CLI_FAILED : CLI_UNREACHABLE;
    default:
        return CLI_FAILED;
    }
}

/* Which layer spoke, in words a reader of stderr can act on. */
static const char *layer_says(sekha_layer layer)
{
    switch (layer) {
    case SEKHA_LAYER_LOCAL: return "refused locally: nothing was sent";
    case SEKHA_LAYER_TRANSPORT: return "transport: no complete answer came back";
    case SEKHA_LAYER_HTTP: return "HTTP: the server answered with an error status";
    case SEKHA_LAYER_SERVICE: return "service: the answer reported a failure";
    default: return "unknown";
    }
}

static void fail_json(const sekha_error *err, int status)
{
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "layer", sekha_layer_name(sekha_error_layer(err)));
    cJSON_AddNumberToObject(e, "code", (double)sekha_error_code(err));
    cJSON_AddStringToObject(e, "reason", sekha_strerror(sekha_error_code(err)));
    cJSON_AddStringToObject(e, "message", sekha_error_message(err));
    if (sekha_error_http_status(err))
        cJSON_AddNumberToObject(e, "http_status", sekha_error_http_status(err));
    sekha_layer layer = sekha_error_layer(err);
    if ((layer == SEKHA_LAYER_HTTP || layer == SEKHA_LAYER_SERVICE) &&
        sekha_error_service_message(err))
        cJSON_AddStringToObject(e, "service_message", sekha_error_service_message(err));
    if (sekha_error_retry_after_ms(err) >= 0)
        cJSON_AddNumberToObject(e, "retry_after_ms", (double)sekha_error_retry_after_ms(err));
    cJSON_AddNumberToObject(e, "attempts", sekha_error_attempts(err));
    cJSON_AddNumberToObject(e, "exit_status", status);
    cli_print_stderr_json(o);
}

int cli_fail(cli *c, const sekha_error *err)
{
    cli_spinner_stop();
    int status = cli_exit_status(err);
    if (c->json) {
        fail_json(err, status);
        return status;
    }
    sekha_layer layer = sekha_error_layer(err);
    fprintf(stderr, "%s: %s\n", c->prog, sekha_error_message(err));
    fprintf(stderr, "  layer: %s (%s), code: %d (%s)\n", sekha_layer_name(layer),
            layer_says(layer), (int)sekha_error_code(err), sekha_strerror(sekha_error_code(err)));
    if (sekha_error_http_status(err))
        fprintf(stderr, "  http status: %d\n", sekha_error_http_status(err));
    if (sekha_error_retry_after_ms(err) >= 0)
        fprintf(stderr, "  retry after: %ld ms\n", sekha_error_retry_after_ms(err));
    if (sekha_error_curl_code(err))
        fprintf(stderr, "  curl code: %d\n", sekha_error_curl_code(err));
    /* only a service's own words: local and transport details are in the message above */
    if ((layer == SEKHA_LAYER_HTTP || layer == SEKHA_LAYER_SERVICE) &&
        sekha_error_service_message(err))
        fprintf(stderr, "  service says: %s\n", sekha_error_service_message(err));
    if (sekha_error_attempts(err) > 1)
        fprintf(stderr, "  attempts: %d\n", sekha_error_attempts(err));
    return status;
}

static void usage_json(const char *message, const cli_command *cmd)
{
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "layer", "usage");
    cJSON_AddStringToObject(e, "message", message);
    if (cmd)
        cJSON_AddStringToObject(e, "usage", cmd->usage);
    cJSON_AddNumberToObject(e, "exit_status", CLI_USAGE);
    cli_print_stderr_json(o);
}

int cli_usage(cli *c, const cli_command *cmd, const char *fmt, ...)
{
    cli_spinner_stop();
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (c->json) {
        usage_json(message, cmd);
        return CLI_USAGE;
    }
    fprintf(stderr, "%s: %s\n", c->prog, message);
    if (cmd)
        fprintf(stderr, "usage: %s %s\n(see: %s %s --help)\n", c->prog, cmd->usage, c->prog,
                cmd->name);
    return CLI_USAGE;
}

int cli_read_file(cli *c, const char *path, char **out, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    if (is_stdin && c->stdin_taken)
        return cli_usage(c, NULL, "stdin (\"-\") can feed only one argument");
    c->stdin_taken |= is_stdin;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return cli_usage(c, NULL, "cannot read %s: %s", path, strerror(errno));
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    int too_big = 0;
    while (buf) {
        if (n == cap) {
            if (cap >= CLI_INPUT_MAX) {
                too_big = 1;
                break;
            }
            cap *= 2;
            char *grown = realloc(buf, cap + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    int failed = ferror(f);
    if (!is_stdin)
        fclose(f);
    if (!buf || failed || too_big) {
        free(buf);
        return cli_usage(c, NULL, "%s %s", is_stdin ? "stdin" : path,
                         !buf ? "does not fit in memory" : failed ? "could not be read"
                                                                  : "is over 64 MiB");
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int cli_flag_text(cli *c, const char **value, char **owned)
{
    *owned = NULL;
    if (!*value || strcmp(*value, "-") != 0)
        return 0;
    size_t len;
    int rc = cli_read_file(c, "-", owned, &len);
    if (rc == 0)
        *value = *owned;
    return rc;
}

int cli_read_text(cli *c, const char *arg, char **out, size_t *len)
{
    if (strcmp(arg, "-") == 0)
        return cli_read_file(c, "-", out, len);
    *len = strlen(arg);
    *out = strdup(arg);
    if (!*out)
        return cli_usage(c, NULL, "out of memory");
    return 0;
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
