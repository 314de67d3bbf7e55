/* sekha mcp ...: the Sekha memory tools (stats, search) over the controller's tool
 * endpoints, and a generic MCP client (tools, call) for any server over Streamable HTTP,
 * legacy SSE or stdio, with OAuth tokens from `sekha mcp login` (cli_mcp_auth.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_mcp_auth.h"

#define CMD (&cli_mcp_commands[0])

static int run_mcp(cli *c, int argc, char **argv);

const cli_command cli_mcp_commands[] = {
    {"mcp", run_mcp,
     "mcp tools | call NAME [--args JSON] [--url URL | --sse URL | --stdio CMD] | "
     "login URL [--open] [--wait S] | logout URL | "
     "stats [--folder F | --label L] | search QUERY [--limit N] [--filters JSON]",
     "MCP: any server's tools (list, call); Sekha memory stats and search",
     "Subcommands:\n"
     "  tools                list the tools of an MCP server (every page), one per line:\n"
     "                       name and the first line of its description\n"
     "  call NAME            call the tool NAME and print its content (text items as they\n"
     "                       are, others as JSON); progress notifications go to stderr.\n"
     "                       memory_update without --url/--sse/--stdio goes to the Sekha\n"
     "                       route (POST <MCP URL>/mcp/tools/memory_update) and reads the\n"
     "                       conversation back: updated_fields lists what was stored,\n"
     "                       not_stored what the controller did not keep\n"
     "  stats                Sekha memory statistics (POST <MCP URL>/mcp/tools/memory_stats)\n"
     "  search QUERY         Sekha memory search (POST <MCP URL>/mcp/tools/memory_search);\n"
     "                       QUERY \"-\" reads the query from stdin (up to 64 MiB)\n"
     "  login URL            sign in to the MCP server at URL with OAuth: prints the\n"
     "                       authorization URL, waits for the browser's redirect on\n"
     "                       http://127.0.0.1:PORT/callback, stores the tokens\n"
     "  logout URL           forget the tokens stored for URL\n"
     "Flags of login:\n"
     "  --open               also open the URL in a browser (xdg-open)\n"
     "  --wait S             wait at most S seconds for the redirect (default 300)\n"
     "Flags of tools and call (which server; at most one of them):\n"
     "  --url URL            an MCP server over Streamable HTTP, or the legacy HTTP+SSE\n"
     "                       transport when it answers so (default: <MCP URL>/mcp); tokens\n"
     "                       stored by login for URL are used and refreshed\n"
     "  --sse URL            an MCP server over the legacy HTTP+SSE transport\n"
     "  --stdio CMD          start CMD (split into words as a shell would, quotes and\n"
     "                       backslashes only, no expansions) and talk over its stdin/stdout\n"
     "  --args JSON          the tool's arguments, a JSON object (default: none, {})\n"
     "Flags of stats (at most one; default: every folder):\n"
     "  --folder F           statistics of folder F only\n"
     "  --label L            statistics of label L only\n"
     "Flags of search:\n"
     "  --limit N            at most N results, N >= 1 (default: the server's, 10)\n"
     "  --filters JSON       a metadata filter, a JSON object (a Chroma where clause;\n"
     "                       default: none)\n"
     "Output: tools and call as above; stats as name: value lines; search as one line per\n"
     "  result: [score] label (folder): content, or \"no results\".\n"
     "--json: one JSON value: tools {\"tools\":[...]} (all pages merged), call the tool\n"
     "  result ({\"content\":[...], \"isError\":...}), stats and search the tool's data.\n"
     "A tool that reports an error (isError) fails the command: its content goes to stderr\n"
     "  (with --json, as {\"error\":{...,\"tool_result\":...}} on stderr), stdout stays empty.\n"
     "Environment: SEKHA_MCP_URL (the base of the Sekha /mcp/tools/* routes and of the\n"
     "  default /mcp endpoint; the controller URL by default), SEKHA_MCP_API_KEY (falls back\n"
     "  to SEKHA_API_KEY), SEKHA_MCP_AUTH_FILE (the token file; default\n"
     "  $XDG_CONFIG_HOME/sekha/mcp-auth.json or ~/.config/sekha/mcp-auth.json, mode 0600).\n"
     "Exit status: 0 done, 1 the server or the tool refused, 2 bad usage or input (e.g.\n"
     "  --args that is not a JSON object; nothing sent), 3 server unreachable or timed out.\n"},
    {0, 0, 0, 0, 0},
};

/* Where a generic MCP command connects: --url, --sse or --stdio (default: <MCP URL>/mcp). */
typedef struct target {
    const char *url, *sse, *stdio;
    cli_mcp_auth *auth; /* stored OAuth state for url or sse, attached to the session */
} target;

/* Splits a command line the way a shell would for plain words and quotes ('...', "...",
 * backslash escapes); no expansions. Returns a NULL-terminated vector, NULL on bad quoting. */
static char **split_command(const char *cmd)
{
    size_t cap = 8, n = 0;
    char **argv = calloc(cap, sizeof *argv);
    char *buf = malloc(strlen(cmd) + 1);
    const char *p = cmd;
    if (!argv || !buf)
        goto fail;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t len = 0;
        char quote = 0;
        for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
            if (quote && *p == quote)
                quote = 0;
            else if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            else if (*p == '\\' && quote != '\'' && p[1])
                buf[len++] = *++p;
            else
                buf[len++] = *p;
        }
        if (quote)
            goto fail;
        if (n + 2 > cap) {
            char **more = realloc(argv, (cap *= 2) * sizeof *argv);
            if (!more)
                goto fail;
            argv = more;
        }
        if (!(argv[n] = strndup(buf, len)))
            goto fail;
        argv[++n] = NULL;
    }
    free(buf);
    if (n == 0)
        goto fail_nobuf;
    return argv;
fail:
    free(buf);
fail_nobuf:
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
    return NULL;
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* Opens the session the flags ask for; NULL after printing why. */
static sekha_mcp_session *open_session(cli *c, target *t, int *status)
{
    sekha_client *client = cli_client(c);
    *status = CLI_FAILED;
    if (!client)
        return NULL;
    sekha_error *err = NULL;
    sekha_mcp_session *s = NULL;
    if (t->stdio) {
        char **argv = split_command(t->stdio);
        if (!argv) {
            *status = cli_usage(c, CMD, "--stdio needs a command (check its quoting)");
            return NULL;
        }
        s = sekha_mcp_session_new_stdio(client, (const char *const *)argv, &err);
        free_argv(argv);
    } else if (t->sse) {
        s = sekha_mcp_session_new_sse(client, t->sse, &err);
    } else {
        s = sekha_mcp_session_new_http(client, t->url, &err);
    }
    if (!s) {
        *status = cli_fail(c, err);
        sekha_error_free(err);
        return NULL;
    }
    sekha_mcp_session_set_client_info(s, "sekha-cli", sekha_version());
    if (!t->stdio) {
        int why = 0;
        t->auth = cli_mcp_auth_attach(c, s, t->url ? t->url : t->sse, &why);
        if (why) {
            *status = why;
            sekha_mcp_session_free(s);
            return NULL;
        }
    }
    return s;
}

/* A refused authorization: say how to sign in. */
static void login_hint(cli *c, const target *t, const sekha_error *err)
{
    const char *url = t->url ? t->url : t->sse;
    if (url && !c->json && sekha_error_code(err) == SEKHA_E_AUTH)
        fprintf(stderr, "  hint: %s %s: sign in with: %s mcp login %s\n",
                t->auth ? "the stored authorization failed for" : "no stored authorization for",
                url, c->prog, url);
}

/* Closes and frees the session; a failed close only matters when all else went well. */
static int close_session(cli *c, target *t, sekha_mcp_session *s, int status)
{
    sekha_error *err = NULL;
    if (sekha_mcp_session_close_sync(s, &err) != SEKHA_OK && status == CLI_OK)
        status = cli_fail(c, err);
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    cli_mcp_auth_free(t->auth); /* after the session: it must outlive it */
    t->auth = NULL;
    return status;
}

/* Every page of tools/list, merged into one {"tools":[...]}; NULL after printing why. */
static cJSON *all_tools(cli *c, const target *tg, sekha_mcp_session *s, int *status)
{
    *status = -1; /* out of memory, unless a request failed */
    cJSON *tools = cJSON_CreateArray();
    char *cursor = NULL;
    sekha_params *p = sekha_params_new();
    for (int page = 0; tools && p && page < 1000; page++) {
        sekha_mcp_tools *t = NULL;
        sekha_error *err = NULL;
        sekha_params_set_text(p, SEKHA_PARAM_CURSOR, cursor); /* NULL: the first page */
        if (sekha_mcp_session_list_tools_sync(s, p, &t, &err) != SEKHA_OK) {
            *status = cli_fail(c, err);
            login_hint(c, tg, err);
            sekha_error_free(err);
            cJSON_Delete(tools);
            free(cursor);
            sekha_params_free(p);
            return NULL;
        }
        cJSON *page_json = cJSON_Parse(sekha_mcp_tools_json(t));
        cJSON *list = cJSON_DetachItemFromObject(page_json, "tools");
        cJSON *tool;
        while (list && (tool = cJSON_DetachItemFromArray(list, 0)))
            cJSON_AddItemToArray(tools, tool);
        cJSON_Delete(list);
        cJSON_Delete(page_json);
        free(cursor);
        cursor = sekha_mcp_tools_next_cursor(t) ? strdup(sekha_mcp_tools_next_cursor(t)) : NULL;
        sekha_mcp_tools_free(t);
        if (!cursor)
            break;
    }
    free(cursor);
    if (!p) {
        cJSON_Delete(tools);
        return NULL;
    }
    sekha_params_free(p);
    cJSON *out = cJSON_CreateObject();
    if (out && tools)
        cJSON_AddItemToObject(out, "tools", tools);
    else
        cJSON_Delete(tools);
    return out;
}

static int cmd_tools(cli *c, target *t)
{
    int status;
    sekha_mcp_session *s = open_session(c, t, &status);
    if (!s)
        return status;
    cJSON *all = all_tools(c, t, s, &status);
    if (all && c->json) {
        char *text = cJSON_PrintUnformatted(all);
        cli_print_json(text ? text : "{}");
        cJSON_free(text);
    } else if (all) {
        const cJSON *tool;
        cJSON_ArrayForEach(tool, cJSON_GetObjectItem(all, "tools")) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(tool, "name"));
            const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(tool, "description"));
            int width = desc ? (int)strcspn(desc, "\n") : 0;
            printf("%-32s %.*s\n", name ? name : "?", width, desc ? desc : "");
        }
    }
    if (all) {
        status = CLI_OK;
    } else if (status < 0) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        status = CLI_FAILED;
    }
    cJSON_Delete(all);
    return close_session(c, t, s, status);
}

static void show_progress(sekha_request *req, double progress, double total, const char *message,
                          void *ud)
{
    (void)req;
    (void)ud;
    if (total >= 0)
        fprintf(stderr, "progress: %g/%g", progress, total);
    else
        fprintf(stderr, "progress: %g", progress);
    fprintf(stderr, "%s%s\n", message ? " " : "", message ? message : "");
}

/* A tool result's content: text items as they are, others (and structured content when
 * there is nothing else) as JSON, one per line. */
static void print_content(FILE *out, const sekha_mcp_tool_result *r)
{
    size_t n = sekha_mcp_tool_result_content_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *text = sekha_mcp_tool_result_content_text(r, i);
        fprintf(out, "%s\n", text ? text : sekha_mcp_tool_result_content_json(r, i));
    }
    if (n == 0 && sekha_mcp_tool_result_structured(r))
        fprintf(out, "%s\n", sekha_mcp_tool_result_structured(r));
}

/* A result with isError set: the tool's own words on stderr, stdout left empty. */
static void tool_error(cli *c, const char *name, const sekha_mcp_tool_result *r)
{
    cli_spinner_stop();
    if (!c->json) {
        fprintf(stderr, "%s: the tool %s reported an error\n", c->prog, name);
        fputs("  tool says: ", stderr);
        print_content(stderr, r);
        if (sekha_mcp_tool_result_content_count(r) == 0 && !sekha_mcp_tool_result_structured(r))
            fputc('\n', stderr);
        return;
    }
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "layer", "service");
    char message[256];
    snprintf(message, sizeof message, "the tool %s reported an error", name);
    cJSON_AddStringToObject(e, "message", message);
    cJSON *result = cJSON_Parse(sekha_mcp_tool_result_json(r));
    if (result)
        cJSON_AddItemToObject(e, "tool_result", result);
    cJSON_AddNumberToObject(e, "exit_status", CLI_FAILED);
    cli_print_stderr_json(o);
}

/* Checks --args before anything is sent: a JSON object, or the reason and the offset where
 * parsing broke. Returns 0 or CLI_USAGE. */
static int check_args(cli *c, const char *args)
{
    if (!args)
        return 0;
    cJSON *v = cJSON_ParseWithOpts(args, NULL, 1);
    int parsed = v != NULL, is_object = cJSON_IsObject(v);
    cJSON_Delete(v);
    if (!parsed) {
        size_t len = strlen(args);
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= args && at <= args + len ? (size_t)(at - args) : len;
        if (off >= len)
            return cli_usage(c, CMD, "--args is not valid JSON: it ends too early (%zu bytes)",
                             len);
        return cli_usage(c, CMD,
                         "--args is not valid JSON: it breaks at byte %zu of %zu (near \"%.20s\")",
                         off, len, args + off);
    }
    if (!is_object)
        return cli_usage(c, CMD, "--args must be a JSON object, like {\"query\":\"...\"}");
    return 0;
}

/* memory_update with no server flag goes to the controller's tool route through
 * sekha_mcp_memory_update, which reads the conversation back: a controller may claim
 * fields it did not save, so what this prints is what it stored. Output as for a call:
 * the data as text, or with --json a tool result carrying it. */
static int call_update(cli *c, const char *args)
{
    cJSON *a = cJSON_Parse(args ? args : "{}"); /* checked: a JSON object */
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "conversation_id"));
    sekha_params *p = sekha_params_new();
    int rc = 0;
    if (!a || !p) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        rc = CLI_FAILED;
    } else if (!id) {
        rc = cli_usage(c, CMD, "memory_update needs \"conversation_id\" (a string) in --args");
    }
    const cJSON *m, *members = rc ? NULL : a;
    cJSON_ArrayForEach(m, members) {
        static const sekha_param keys[] = {SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
                                           SEKHA_PARAM_STATUS};
        static const char *const names[] = {"label", "folder", "status"};
        size_t k = 0;
        while (k < 3 && strcmp(m->string, names[k]) != 0)
            k++;
        if (!strcmp(m->string, "conversation_id"))
            continue;
        if (k < 3 && cJSON_IsString(m)) {
            sekha_params_set_text(p, keys[k], m->valuestring); /* a refusal is reported */
        } else if (!strcmp(m->string, "importance_score") && cJSON_IsNumber(m) &&
                   m->valuedouble >= -1e15 && m->valuedouble <= 1e15 &&
                   m->valuedouble == (double)(long long)m->valuedouble) {
            sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, (int64_t)m->valuedouble);
        } else {
            rc = cli_usage(c, CMD, "memory_update takes conversation_id, label, folder and "
                           "status (strings) and importance_score (a whole number); not \"%s\" "
                           "as given", m->string);
            break;
        }
    }
    sekha_client *client = rc ? NULL : cli_client(c);
    if (!rc && !client)
        rc = CLI_FAILED;
    if (!rc) {
        sekha_mcp_data *d = NULL;
        sekha_error *err = NULL;
        if (sekha_mcp_memory_update_sync(client, id, p, &d, &err) != SEKHA_OK) {
            rc = cli_fail(c, err);
        } else if (c->json) {
            cJSON *r = cJSON_CreateObject(), *content = cJSON_AddArrayToObject(r, "content");
            cJSON *text = cJSON_CreateObject();
            cJSON_AddStringToObject(text, "type", "text");
            cJSON_AddStringToObject(text, "text", sekha_mcp_data_json(d));
            cJSON_AddItemToArray(content, text);
            cJSON_AddItemToObject(r, "structuredContent", cJSON_Parse(sekha_mcp_data_json(d)));
            cJSON_AddBoolToObject(r, "isError", 0);
            char *out = cJSON_PrintUnformatted(r);
            cli_print_json(out ? out : "{}");
            cJSON_free(out);
            cJSON_Delete(r);
        } else {
            printf("%s\n", sekha_mcp_data_json(d));
        }
        sekha_error_free(err);
        sekha_mcp_data_free(d);
    }
    sekha_params_free(p);
    cJSON_Delete(a);
    return rc;
}

static int cmd_call(cli *c, target *t, const char *name, const char *args)
{
    int rc = check_args(c, args);
    if (rc)
        return rc;
    if (!t->url && !t->sse && !t->stdio && !strcmp(name, "memory_update"))
        return call_update(c, args);
    int status;
    sekha_mcp_session *s = open_session(c, t, &status);
    if (!s)
        return status;
    sekha_mcp_tool_result *r = NULL;
    sekha_error *err = NULL;
    sekha_params *p = sekha_params_new();
    sekha_params_set_on_progress(p, show_progress, NULL);
    sekha_code code = p ? sekha_mcp_session_call_tool_sync(s, name, args, p, &r, &err)
                        : SEKHA_E_NOMEM;
    sekha_params_free(p);
    if (code != SEKHA_OK) {
        status = cli_fail(c, err);
        login_hint(c, t, err);
        sekha_error_free(err);
        return close_session(c, t, s, status);
    }
    if (sekha_mcp_tool_result_is_error(r)) {
        tool_error(c, name, r);
        status = CLI_FAILED;
    } else if (c->json) {
        cli_print_json(sekha_mcp_tool_result_json(r));
        status = CLI_OK;
    } else {
        print_content(stdout, r);
        status = CLI_OK;
    }
    sekha_mcp_tool_result_free(r);
    return close_session(c, t, s, status);
}

/* ---- the Sekha memory tools ---- */

static void print_list(const sekha_mcp_data *d, const char *key)
{
    size_t n = sekha_mcp_data_count(d, key);
    if (!n)
        return;
    printf("%s:", key);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s.%zu", key, i);
        const char *v = sekha_mcp_data_str(d, path);
        printf("%s %s", i ? "," : "", v ? v : "?");
    }
    putchar('\n');
}

typedef struct memory_args {
    const char *a, *b;
    unsigned limit;
} memory_args;

static sekha_code stats_call(sekha_client *c, const memory_args *a, sekha_mcp_data **d,
                             sekha_error **err)
{
    sekha_params *p = sekha_params_new();
    if (!p)
        return SEKHA_E_NOMEM;
    sekha_params_set_text(p, SEKHA_PARAM_FOLDER, a->a);
    sekha_params_set_text(p, SEKHA_PARAM_LABEL, a->b);
    sekha_code rc = sekha_mcp_memory_stats_sync(c, p, d, err);
    sekha_params_free(p);
    return rc;
}

static sekha_code search_call(sekha_client *c, const memory_args *a, sekha_mcp_data **d,
                              sekha_error **err)
{
    sekha_params *p = sekha_params_new();
    if (!p)
        return SEKHA_E_NOMEM;
    sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, a->b);
    if (a->limit)
        sekha_params_set_int(p, SEKHA_PARAM_LIMIT, a->limit);
    sekha_code rc = sekha_mcp_memory_search_sync(c, a->a, p, d, err);
    sekha_params_free(p);
    return rc;
}

static void print_stats(const sekha_mcp_data *d)
{
    printf("total_conversations: %.0f\n", sekha_mcp_data_num(d, "total_conversations", 0));
    printf("average_importance: %.2f\n", sekha_mcp_data_num(d, "average_importance", 0));
    print_list(d, "folders");
    print_list(d, "labels");
}

static void print_results(const sekha_mcp_data *d)
{
    size_t n = sekha_mcp_data_count(d, "results");
    for (size_t i = 0; i < n; i++) {
        char p[4][48];
        snprintf(p[0], sizeof p[0], "results.%zu.score", i);
        snprintf(p[1], sizeof p[1], "results.%zu.label", i);
        snprintf(p[2], sizeof p[2], "results.%zu.folder", i);
        snprintf(p[3], sizeof p[3], "results.%zu.content", i);
        const char *label = sekha_mcp_data_str(d, p[1]);
        const char *folder = sekha_mcp_data_str(d, p[2]);
        const char *content = sekha_mcp_data_str(d, p[3]);
        printf("[%.3f] %s (%s): %s\n", sekha_mcp_data_num(d, p[0], 0), label ? label : "",
               folder ? folder : "", content ? content : "");
    }
    if (n == 0)
        printf("no results\n");
}

/* A Sekha memory tool: the data as JSON with --json, else in a few readable lines. */
static int memory_cmd(cli *c,
                      sekha_code (*call)(sekha_client *, const memory_args *, sekha_mcp_data **,
                                         sekha_error **),
                      const memory_args *args, void (*print)(const sekha_mcp_data *))
{
    sekha_client *client = cli_client(c);
    if (!client)
        return CLI_FAILED;
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    if (call(client, args, &d, &err) != SEKHA_OK) {
        int status = cli_fail(c, err);
        /* A controller without the tool routes: the same answers over REST. */
        if (!c->json && sekha_error_http_status(err) == 404)
            fprintf(stderr, "%s: hint: sekha count, sekha list and sekha query ask the "
                            "controller's REST API\n", c->prog);
        sekha_error_free(err);
        return status;
    }
    if (c->json)
        cli_print_json(sekha_mcp_data_json(d));
    else
        print(d);
    sekha_mcp_data_free(d);
    return CLI_OK;
}

/* ---- argument parsing ---- */

static int run_mcp(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(c, CMD, "which mcp command?");
    const char *sub = argv[1];
    target t = {0};
    const char *args = NULL, *folder = NULL, *label = NULL, *filters = NULL;
    const char *positional = NULL;
    long limit = 0, wait_s = -1;
    int open_browser = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--url") ? &t.url : !strcmp(a, "--sse") ? &t.sse
                          : !strcmp(a, "--stdio") ? &t.stdio : !strcmp(a, "--args") ? &args
                          : !strcmp(a, "--folder") ? &folder : !strcmp(a, "--label") ? &label
                          : !strcmp(a, "--filters") ? &filters : NULL;
        if (!strcmp(a, "--open")) {
            open_browser = 1;
        } else if (slot || !strcmp(a, "--limit") || !strcmp(a, "--wait")) {
            if (i + 1 >= argc)
                return cli_usage(c, CMD, "%s needs a value", a);
            if (slot)
                *slot = argv[++i];
            else if (a[2] == 'w' && ((wait_s = cli_parse_long(argv[++i])) <= 0 || wait_s > 86400))
                return cli_usage(c, CMD, "--wait needs seconds, 1 to 86400");
            else if (a[2] == 'l' && (limit = cli_parse_long(argv[++i])) <= 0)
                return cli_usage(c, CMD, "--limit needs a positive number");
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage(c, CMD, "unknown option %s", a);
        } else if (!positional) {
            positional = a;
        } else {
            return cli_usage(c, CMD, "unexpected argument %s", a);
        }
    }
    if ((t.url != NULL) + (t.sse != NULL) + (t.stdio != NULL) > 1)
        return cli_usage(c, CMD, "use one of --url, --sse and --stdio");
    int is_login = !strcmp(sub, "login"), is_logout = !strcmp(sub, "logout");
    if ((open_browser || wait_s > 0) && !is_login)
        return cli_usage(c, CMD, "--open and --wait belong to mcp login");
    if ((is_login || is_logout) && positional && !t.url && !t.sse && !t.stdio)
        return is_login ? cli_mcp_login(c, positional, open_browser,
                                        wait_s > 0 ? wait_s : CLI_LOGIN_WAIT_S)
                        : cli_mcp_logout(c, positional);
    if (!strcmp(sub, "tools") && !positional)
        return cmd_tools(c, &t);
    if (!strcmp(sub, "call") && positional)
        return cmd_call(c, &t, positional, args);
    if (!strcmp(sub, "stats") && !positional) {
        if (folder && label)
            return cli_usage(c, CMD, "give --folder or --label, not both");
        memory_args m = {folder, label, 0};
        return memory_cmd(c, stats_call, &m, print_stats);
    }
    if (!strcmp(sub, "search") && positional) {
        char *query;
        size_t len;
        int rc = cli_read_text(c, positional, &query, &len);
        if (rc)
            return rc;
        memory_args m = {query, filters, (unsigned)limit};
        rc = memory_cmd(c, search_call, &m, print_results);
        free(query);
        return rc;
    }
    return cli_usage(c, CMD, "bad mcp command line");
}
