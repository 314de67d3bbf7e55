/* sekha subcommands of the controller area: storing, reading, changing and searching
 * conversations and context assembly (summaries, pruning, label suggestions, metrics and
 * the embedding rebuild are in cli_controller_maint.c). Each command checks its arguments
 * before making a client, then makes one or two sync calls; --json prints exactly one JSON
 * value: the controller's answer as received, or a small object saying what was done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_controller.h"

sekha_client *cctl_client(cli *c, parsed *p, int *rc)
{
    sekha_client *client = cli_client(c);
    if (!client) {
        cli_parsed_free(p);
        *rc = CLI_FAILED;
    } else {
        cli_spinner_start(c, "waiting"); /* stopped by cctl_finish() or the first output */
    }
    return client;
}

int cctl_refuse(parsed *p, int rc)
{
    cli_parsed_free(p);
    return rc;
}

int cctl_finish(cli *c, parsed *p, sekha_code code, sekha_error *err, const char *json,
                void (*human)(cli *c, const void *r), const void *r)
{
    cli_spinner_stop();
    cli_parsed_free(p);
    if (code != SEKHA_OK) {
        int rc = cli_fail(c, err);
        sekha_error_free(err);
        return rc;
    }
    if (c->json && json)
        cli_print_json(json);
    else if (human)
        human(c, r);
    return CLI_OK;
}

int cctl_nomem(cli *c, parsed *p, sekha_params *prm)
{
    sekha_params_free(prm);
    cli_parsed_free(p);
    fprintf(stderr, "%s: out of memory\n", c->prog);
    return CLI_FAILED;
}

void cctl_print_object(cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    cli_print_json(text ? text : "null");
    cJSON_free(text);
}

/* A count flag of the controller (a u32): 0 stands for the server's default when zero_means
 * says which, else the value must be 1..CTL_COUNT_MAX. Returns 0 or the usage status. */
static int check_count(cli *c, const parsed *p, const char *flag, long v, const char *zero_means)
{
    if (v > CTL_COUNT_MAX || (v == 0 && !zero_means)) {
        if (zero_means)
            return cli_usage(c, p->cmd, "%s must be 0 (%s) or 1..%ld, got %ld", flag,
                             zero_means, CTL_COUNT_MAX, v);
        return cli_usage(c, p->cmd, "%s must be 1..%ld, got %ld", flag, CTL_COUNT_MAX, v);
    }
    return 0;
}

/* Prints s on one line, at most max bytes (cut on a UTF-8 boundary), newlines as spaces. */
static void print_line(const char *s, size_t max)
{
    size_t len = strlen(s);
    size_t cut = len > max ? max : len;
    while (cut < len && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    for (size_t i = 0; i < cut; i++)
        putchar(s[i] == '\n' || s[i] == '\r' ? ' ' : s[i]);
    if (cut < len)
        fputs("...", stdout);
}

/* A warning on stderr: a JSON object with --json, so stderr stays machine-readable. */
static void warn(cli *c, const char *message)
{
    if (!c->json) {
        fprintf(stderr, "%s: warning: %s\n", c->prog, message);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "warning"), "message", message);
    cli_print_stderr_json(o);
}

/* ---- store / get ---- */

/* The content of one --message value after ROLE: "@FILE" and "@-" read a file or stdin
 * into *buf, "@@..." is the literal text from its second "@", anything else is itself. */
static int message_content(cli *c, const parsed *p, const char *v, int *stdin_used,
                           const char **content, char **buf)
{
    *buf = NULL;
    *content = v;
    if (v[0] != '@')
        return 0;
    if (v[1] == '@') {
        *content = v + 1;
        return 0;
    }
    const char *path = v + 1;
    if (!*path)
        return cli_usage(c, p->cmd, "--message ROLE:@ needs a file name (ROLE:@- for stdin, "
                         "ROLE:@@TEXT for text starting with @)");
    if (strcmp(path, "-") == 0 && (*stdin_used)++)
        return cli_usage(c, p->cmd, "only one --message can read stdin (ROLE:@-)");
    size_t len;
    int rc = cli_read_file(c, path, buf, &len);
    if (rc)
        return rc;
    if (memchr(*buf, '\0', len)) {
        free(*buf);
        *buf = NULL;
        return cli_usage(c, p->cmd, "%s holds a NUL byte: message text cannot contain one",
                         strcmp(path, "-") == 0 ? "stdin" : path);
    }
    *content = *buf;
    return 0;
}

/* Builds the messages of `store` from ROLE:TEXT values; NULL after printing why. */
static sekha_messages *messages_from(cli *c, const parsed *p, const str_list *msgs, int *rc)
{
    sekha_messages *b = sekha_messages_new();
    *rc = b ? 0 : CLI_FAILED;
    int stdin_used = 0;
    for (size_t i = 0; b && i < msgs->n; i++) {
        const char *colon = strchr(msgs->v[i], ':');
        size_t rl = colon ? (size_t)(colon - msgs->v[i]) : 0;
        char role[16] = "";
        if (rl < sizeof role)
            memcpy(role, msgs->v[i], rl);
        role[rl < sizeof role ? rl : 0] = '\0';
        const char *content = NULL;
        char *buf = NULL;
        if (!sekha_is_valid_role(role))
            *rc = cli_usage(c, p->cmd, "--message must be ROLE:TEXT with ROLE user, assistant, "
                            "system or tool, got \"%.60s\"", msgs->v[i]);
        else
            *rc = message_content(c, p, colon + 1, &stdin_used, &content, &buf);
        /* Text that is not UTF-8 is remembered by the list and refused by the call, as a
         * local error like any other argument the library checks. */
        if (!*rc && sekha_messages_add(b, role, content) == SEKHA_E_NOMEM) {
            fprintf(stderr, "%s: out of memory\n", c->prog);
            *rc = CLI_FAILED;
        }
        free(buf);
        if (*rc) {
            sekha_messages_free(b);
            return NULL;
        }
    }
    return b;
}

static void show_id(cli *c, const void *r)
{
    (void)c;
    printf("%s\n", sekha_conversation_id(r));
}

static int cmd_store(cli *c, int argc, char **argv)
{
    const char *label = NULL, *folder = NULL;
    long importance = -1; /* not given */
    str_list msgs;
    const flag_spec flags[] = {{"--label", F_STR, &label}, {"--folder", F_STR, &folder},
                               {"--message", F_LIST, &msgs},
                               {"--importance", F_LONG, &importance}};
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, 4, 0, 0, &p);
    if (rc)
        return rc;
    if (!label || !folder || msgs.n == 0)
        return cctl_refuse(&p, cli_usage(c, p.cmd, "--label, --folder and at least one "
                                         "--message are required"));
    if (importance == 0 || importance > 10)
        return cctl_refuse(&p, cli_usage(c, p.cmd, "--importance must be 1..10, got %ld",
                                         importance));
    sekha_messages *b = messages_from(c, &p, &msgs, &rc);
    if (!b)
        return cctl_refuse(&p, rc);
    if (importance > 0)
        warn(c, "--importance is ignored by the controller when storing (it keeps 5); "
                "`sekha pin ID` sets 10");
    sekha_params *prm = sekha_params_new();
    int lost = !prm || cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_LABEL, label)) ||
               cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_FOLDER, folder)) ||
               (importance > 0 &&
                cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_IMPORTANCE, importance)));
    if (lost) {
        sekha_messages_free(b);
        return cctl_nomem(c, &p, prm);
    }
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_messages_free(b);
        sekha_params_free(prm);
        return rc;
    }
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_create_conversation_sync(client, b, prm, &conv, &err);
    sekha_messages_free(b);
    sekha_params_free(prm);
    rc = cctl_finish(c, &p, code, err, sekha_conversation_json(conv), show_id, conv);
    sekha_conversation_free(conv);
    return rc;
}

static void show_conversation(cli *c, const void *r)
{
    (void)c;
    printf("id:       %s\nlabel:    %s\nfolder:   %s\nstatus:   %s\nmessages: %lld\n"
           "created:  %s\n",
           sekha_conversation_id(r), cctl_shown(sekha_conversation_label(r)),
           cctl_shown(sekha_conversation_folder(r)), cctl_shown(sekha_conversation_status(r)),
           sekha_conversation_message_count(r), cctl_shown(sekha_conversation_created_at(r)));
}

static int cmd_get(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 1, 1, &p);
    sekha_client *client = rc ? NULL : cctl_client(c, &p, &rc);
    if (!client)
        return rc;
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_get_conversation_sync(client, p.pos[0], &conv, &err);
    rc = cctl_finish(c, &p, code, err, sekha_conversation_json(conv), show_conversation, conv);
    sekha_conversation_free(conv);
    return rc;
}

/* ---- list / count ---- */

static void show_list(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_search_results_count(r); i++) {
        const sekha_search_result *it = sekha_search_results_at(r, i);
        cJSON *meta = cJSON_Parse(sekha_search_result_metadata_json(it));
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "status"));
        const cJSON *imp = cJSON_GetObjectItemCaseSensitive(meta, "importance_score");
        printf("%s  %s  folder=%s  status=%s", sekha_search_result_conversation_id(it),
               cctl_shown(sekha_search_result_label(it)),
               cctl_shown(sekha_search_result_folder(it)), status ? status : "?");
        if (cJSON_IsNumber(imp))
            printf("  importance=%g", imp->valuedouble);
        printf("  updated=%s\n", cctl_shown(sekha_search_result_timestamp(it)));
        cJSON_Delete(meta);
    }
    printf("page %lld (page size %lld): %zu shown, %lld in total\n",
           sekha_search_results_page(r), sekha_search_results_page_size(r),
           sekha_search_results_count(r), sekha_search_results_total(r));
}

static int cmd_list(cli *c, int argc, char **argv)
{
    const char *label = NULL, *folder = NULL;
    int pinned = 0, archived = 0;
    long page = -1, page_size = -1; /* -1: not given */
    const flag_spec flags[] = {{"--label", F_STR, &label},    {"--folder", F_STR, &folder},
                               {"--pinned", F_BOOL, &pinned}, {"--archived", F_BOOL, &archived},
                               {"--page", F_LONG, &page},     {"--page-size", F_LONG, &page_size}};
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, 6, 0, 0, &p);
    if (rc)
        return rc;
    if ((page >= 0 && (rc = check_count(c, &p, "--page", page, NULL))) ||
        (page_size >= 0 && (rc = check_count(c, &p, "--page-size", page_size, NULL))))
        return cctl_refuse(&p, rc);
    sekha_params *prm = sekha_params_new();
    int lost = !prm || cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_LABEL, label)) ||
               cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_FOLDER, folder)) ||
               (pinned && cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_PINNED, 1))) ||
               (archived && cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_ARCHIVED, 1))) ||
               (page >= 0 && cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_PAGE, page))) ||
               (page_size >= 0 &&
                cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_PAGE_SIZE, page_size)));
    if (lost)
        return cctl_nomem(c, &p, prm);
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_params_free(prm);
        return rc;
    }
    sekha_search_results *r = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_list_conversations_sync(client, prm, &r, &err);
    sekha_params_free(prm);
    rc = cctl_finish(c, &p, code, err, sekha_search_results_json(r), show_list, r);
    sekha_search_results_free(r);
    return rc;
}

static void show_count(cli *c, const void *r)
{
    (void)c;
    printf("%lld\n", sekha_count_result_value(r));
}

static int cmd_count(cli *c, int argc, char **argv)
{
    const char *label = NULL, *folder = NULL;
    const flag_spec flags[] = {{"--label", F_STR, &label}, {"--folder", F_STR, &folder}};
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, 2, 0, 0, &p);
    if (rc)
        return rc;
    if (label && folder)
        return cctl_refuse(&p, cli_usage(c, p.cmd, "give --label or --folder, not both"));
    sekha_params *prm = sekha_params_new();
    if (!prm || cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_LABEL, label)) ||
        cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_FOLDER, folder)))
        return cctl_nomem(c, &p, prm);
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_params_free(prm);
        return rc;
    }
    sekha_count_result *r = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_count_conversations_sync(client, prm, &r, &err);
    sekha_params_free(prm);
    rc = cctl_finish(c, &p, code, err, sekha_count_result_json(r), show_count, r);
    sekha_count_result_free(r);
    return rc;
}

/* ---- label / folder / pin / archive / delete ---- */

static int cmd_change(cli *c, int argc, char **argv)
{
    static const struct {
        const char *name, *done;
        size_t args;
    } kinds[] = {{"label", "relabelled", 3}, {"folder", "moved", 2}, {"pin", "pinned", 1},
                 {"archive", "archived", 1}, {"delete", "deleted", 1}};
    size_t k = 0;
    while (strcmp(kinds[k].name, argv[0]) != 0)
        k++;
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, kinds[k].args, kinds[k].args, &p);
    sekha_client *client = rc ? NULL : cctl_client(c, &p, &rc);
    if (!client)
        return rc;
    sekha_error *err = NULL;
    sekha_code code;
    const char *id = p.pos[0];
    if (k == 0)
        code = sekha_controller_update_label_sync(client, id, p.pos[1], p.pos[2], &err);
    else if (k == 1)
        code = sekha_controller_update_folder_sync(client, id, p.pos[1], &err);
    else if (k == 2)
        code = sekha_controller_pin_conversation_sync(client, id, &err);
    else if (k == 3)
        code = sekha_controller_archive_conversation_sync(client, id, &err);
    else
        code = sekha_controller_delete_conversation_sync(client, id, &err);
    cli_spinner_stop();
    if (code == SEKHA_OK && c->json) {
        /* The controller answers these with no body worth passing on: say what was done. */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "action", kinds[k].name);
        if (k == 0)
            cJSON_AddStringToObject(o, "label", p.pos[1]);
        if (k <= 1)
            cJSON_AddStringToObject(o, "folder", p.pos[k == 0 ? 2 : 1]);
        if (k == 2)
            cJSON_AddNumberToObject(o, "importance", 10);
        if (k == 3)
            cJSON_AddStringToObject(o, "status", "archived");
        cJSON_AddBoolToObject(o, "ok", 1);
        cctl_print_object(o);
    } else if (code == SEKHA_OK) {
        printf("%s %s\n", kinds[k].done, id);
    }
    return cctl_finish(c, &p, code, err, NULL, NULL, NULL);
}

/* ---- query / search / context ---- */

/* The TEXT of query, search and context: the words joined by spaces, or all of stdin for a
 * lone "-" (without its final line break). 0 or the usage status. */
static int read_text(cli *c, const parsed *p, char **text)
{
    size_t len;
    int from_stdin = p->npos == 1 && strcmp(p->pos[0], "-") == 0;
    int rc = cli_read_text(c, from_stdin ? "-" : p->text, text, &len);
    if (rc)
        return rc;
    if (from_stdin && memchr(*text, '\0', len)) {
        free(*text);
        return cli_usage(c, p->cmd, "stdin holds a NUL byte: the text cannot contain one");
    }
    if (from_stdin && len && (*text)[len - 1] == '\n')
        (*text)[--len] = '\0';
    if (from_stdin && len && (*text)[len - 1] == '\r')
        (*text)[--len] = '\0';
    return 0;
}

static void show_hits(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_search_results_count(r); i++) {
        const sekha_search_result *it = sekha_search_results_at(r, i);
        printf("%zu. %.4f  %s  [%s / %s]\n   ", i + 1, sekha_search_result_score(it),
               sekha_search_result_conversation_id(it), cctl_shown(sekha_search_result_label(it)),
               cctl_shown(sekha_search_result_folder(it)));
        print_line(sekha_search_result_content(it), 200);
        putchar('\n');
    }
    if (sekha_search_results_count(r) == 0)
        printf("no matches\n");
}

/* Full-text hits: "conversation  role: text" on one line each. */
static void show_messages(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_stored_messages_count(r); i++) {
        const sekha_stored_message *m = sekha_stored_messages_at(r, i);
        printf("%s  %s: ", cctl_shown(sekha_stored_message_conversation_id(m)),
               cctl_shown(sekha_stored_message_role(m)));
        print_line(sekha_stored_message_content(m), 200);
        putchar('\n');
    }
    if (sekha_stored_messages_count(r) == 0)
        printf("no matches\n");
}

/* query (semantic) and search (full text): the same arguments, different calls. */
static int cmd_find(cli *c, int argc, char **argv)
{
    int semantic = strcmp(argv[0], "query") == 0;
    long limit = 0;
    const flag_spec flags[] = {{"--limit", F_LONG, &limit}};
    parsed p;
    char *text = NULL;
    int rc = cli_parse(c, argc, argv, flags, 1, 1, (size_t)argc, &p);
    if (rc)
        return rc;
    if ((rc = check_count(c, &p, "--limit", limit, "the server's default, 10")) ||
        (rc = read_text(c, &p, &text)))
        return cctl_refuse(&p, rc);
    sekha_params *prm = sekha_params_new(); /* --limit 0: the server's default */
    if (!prm || (limit > 0 && cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_LIMIT, limit)))) {
        free(text);
        return cctl_nomem(c, &p, prm);
    }
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_params_free(prm);
        free(text);
        return rc;
    }
    sekha_error *err = NULL;
    if (semantic) {
        sekha_search_results *r = NULL;
        sekha_code code = sekha_controller_query_sync(client, text, prm, &r, &err);
        rc = cctl_finish(c, &p, code, err, sekha_search_results_json(r), show_hits, r);
        sekha_search_results_free(r);
    } else {
        sekha_stored_messages *l = NULL;
        sekha_code code = sekha_controller_full_text_search_sync(client, text, prm, &l, &err);
        rc = cctl_finish(c, &p, code, err, sekha_stored_messages_json(l), show_messages, l);
        sekha_stored_messages_free(l);
    }
    sekha_params_free(prm);
    free(text);
    return rc;
}

/* Context: "[label] role: text" per message (whole text), then the token estimate. */
static void show_context(cli *c, const void *r)
{
    (void)c;
    size_t n = sekha_stored_messages_count(r);
    for (size_t i = 0; i < n; i++) {
        const sekha_stored_message *m = sekha_stored_messages_at(r, i);
        cJSON *meta = cJSON_Parse(sekha_stored_message_metadata_json(m));
        const cJSON *cite = cJSON_GetObjectItemCaseSensitive(meta, "citation");
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cite, "label"));
        printf("[%s] %s: ", label ? label : cctl_shown(sekha_stored_message_conversation_id(m)),
               cctl_shown(sekha_stored_message_role(m)));
        print_line(sekha_stored_message_content(m), (size_t)-1);
        putchar('\n');
        cJSON_Delete(meta);
    }
    printf("%zu message%s, about %zu tokens\n", n, n == 1 ? "" : "s",
           sekha_stored_messages_token_estimate(r));
}

static int cmd_context(cli *c, int argc, char **argv)
{
    long budget = 0;
    str_list labels, excluded;
    const flag_spec flags[] = {{"--budget", F_LONG, &budget},
                               {"--label", F_LIST, &labels},
                               {"--exclude-folder", F_LIST, &excluded}};
    parsed p;
    char *text = NULL;
    int rc = cli_parse(c, argc, argv, flags, 3, 1, (size_t)argc, &p);
    if (rc)
        return rc;
    if ((rc = check_count(c, &p, "--budget", budget, "the server's default, 4000")) ||
        (rc = read_text(c, &p, &text)))
        return cctl_refuse(&p, rc);
    sekha_params *prm = sekha_params_new(); /* --budget 0: the default, 4000 */
    if (!prm || cctl_lost(sekha_params_set_list(prm, SEKHA_PARAM_PREFERRED_LABELS, labels.v)) ||
        (budget > 0 && cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_BUDGET, budget))) ||
        cctl_lost(sekha_params_set_list(prm, SEKHA_PARAM_EXCLUDED_FOLDERS, excluded.v))) {
        free(text);
        return cctl_nomem(c, &p, prm);
    }
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_params_free(prm);
        free(text);
        return rc;
    }
    sekha_stored_messages *l = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_assemble_context_sync(client, text, prm, &l, &err);
    sekha_params_free(prm);
    free(text);
    cli_spinner_stop();
    if (code == SEKHA_OK && !c->json)
        printf("budget %ld tokens\n", budget ? budget : 4000);
    rc = cctl_finish(c, &p, code, err, sekha_stored_messages_json(l), show_context, l);
    sekha_stored_messages_free(l);
    return rc;
}

const cli_command cli_controller_commands[] = {
    {"store", cmd_store,
     "store --label L --folder F --message ROLE:TEXT [--message ...] [--importance N]",
     "store a conversation, print its id", cctl_help_store},
    {"get", cmd_get, "get ID", "show a conversation", cctl_help_get},
    {"list", cmd_list,
     "list [--label L] [--folder F] [--pinned] [--archived] [--page N] [--page-size N]",
     "list conversations, newest first", cctl_help_list},
    {"count", cmd_count, "count [--label L | --folder F]", "count conversations",
     cctl_help_count},
    {"label", cmd_change, "label ID LABEL FOLDER", "set a conversation's label and folder",
     cctl_help_label},
    {"folder", cmd_change, "folder ID FOLDER", "move a conversation to a folder",
     cctl_help_folder},
    {"pin", cmd_change, "pin ID", "pin a conversation (importance 10)", cctl_help_pin},
    {"archive", cmd_change, "archive ID", "archive a conversation", cctl_help_archive},
    {"delete", cmd_change, "delete ID", "delete a conversation", cctl_help_delete},
    {"query", cmd_find, "query TEXT [--limit N]", "semantic search, best match first",
     cctl_help_query},
    {"search", cmd_find, "search TEXT [--limit N]", "full-text search (FTS5 syntax)",
     cctl_help_search},
    {"context", cmd_context,
     "context QUERY [--budget N] [--label L]... [--exclude-folder F]...",
     "assemble context messages within a token budget", cctl_help_context},
    {"summarize", cctl_summarize, "summarize ID [--level daily|weekly|monthly]",
     "summarize a conversation", cctl_help_summarize},
    {"prune", cctl_prune, "prune --days N [--execute [--all]]",
     "list idle conversations; --execute archives those recommended (--all: every one)",
     cctl_help_prune},
    {"suggest-labels", cctl_suggest_labels, "suggest-labels ID", "suggest labels",
     cctl_help_suggest_labels},
    {"metrics", cctl_metrics, "metrics", "print the controller's metrics", cctl_help_metrics},
    {"rebuild-embeddings", cctl_rebuild, "rebuild-embeddings", "ask for an embedding rebuild",
     cctl_help_rebuild},
    {0, 0, 0, 0, 0},
};
