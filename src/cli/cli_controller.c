/* sekha subcommands of the controller area: storing, reading, changing and searching
 * conversations, context assembly, summaries, pruning and label suggestions. Each command
 * makes one or two sync calls; --json prints the controller's answer as received. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* cli_parse(), then the client; NULL with *rc set (and p freed) when either fails. */
static sekha_client *begin(cli *c, int argc, char **argv, const flag_spec *flags, size_t nflags,
                           size_t min, size_t max, parsed *p, int *rc)
{
    if ((*rc = cli_parse(c, argc, argv, flags, nflags, min, max, p)) != 0)
        return NULL;
    sekha_client *client = cli_client(c);
    if (!client) {
        cli_parsed_free(p);
        *rc = CLI_FAILED;
    } else {
        cli_spinner_start(c, "waiting"); /* stopped by finish() or the first output */
    }
    return client;
}

/* Ends a command: frees p, then prints the cause of a failure, or the answer: as received
 * with --json when it is JSON, else through human (either may be NULL). */
static int finish(cli *c, parsed *p, sekha_code code, sekha_error *err, const char *json,
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

/* ---- store / get ---- */

/* Builds the messages of `store` from ROLE:TEXT values; NULL after printing a usage error. */
static sekha_message_builder *messages_from(cli *c, const parsed *p, const str_list *msgs,
                                            int *rc)
{
    sekha_message_builder *b = sekha_message_builder_new();
    *rc = b ? 0 : CLI_FAILED;
    for (size_t i = 0; b && i < msgs->n; i++) {
        const char *colon = strchr(msgs->v[i], ':');
        size_t rl = colon ? (size_t)(colon - msgs->v[i]) : 0;
        char role[16] = "";
        if (rl < sizeof role)
            memcpy(role, msgs->v[i], rl);
        role[rl < sizeof role ? rl : 0] = '\0';
        if (!sekha_is_valid_role(role)) {
            *rc = cli_usage(c, p->cmd, "--message must be ROLE:TEXT with ROLE user, assistant, "
                            "system or tool, got \"%s\"", msgs->v[i]);
            sekha_message_builder_free(b);
            return NULL;
        }
        sekha_message_builder_add(b, role, colon + 1);
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
    long importance = 0;
    str_list msgs;
    const flag_spec flags[] = {{"--label", F_STR, &label}, {"--folder", F_STR, &folder},
                               {"--message", F_LIST, &msgs},
                               {"--importance", F_LONG, &importance}};
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 4, 0, 0, &p, &rc);
    if (!client)
        return rc;
    if (!label || !folder || msgs.n == 0 || importance > 10) {
        rc = cli_usage(c, p.cmd, importance > 10 ? "--importance must be 1..10"
                       : "--label, --folder and at least one --message are required");
        cli_parsed_free(&p);
        return rc;
    }
    sekha_message_builder *b = messages_from(c, &p, &msgs, &rc);
    if (!b) {
        cli_parsed_free(&p);
        return rc;
    }
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_create_conversation_sync(client, label, folder, b,
                                                                (int)importance, &conv, &err);
    sekha_message_builder_free(b);
    rc = finish(c, &p, code, err, sekha_conversation_json(conv), show_id, conv);
    sekha_conversation_free(conv);
    return rc;
}

static void show_conversation(cli *c, const void *r)
{
    (void)c;
    printf("id:       %s\nlabel:    %s\nfolder:   %s\nstatus:   %s\nmessages: %lld\n"
           "created:  %s\n",
           sekha_conversation_id(r), sekha_conversation_label(r), sekha_conversation_folder(r),
           sekha_conversation_status(r), sekha_conversation_message_count(r),
           sekha_conversation_created_at(r));
}

static int cmd_get(cli *c, int argc, char **argv)
{
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, NULL, 0, 1, 1, &p, &rc);
    if (!client)
        return rc;
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_get_conversation_sync(client, p.pos[0], &conv, &err);
    rc = finish(c, &p, code, err, sekha_conversation_json(conv), show_conversation, conv);
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
               sekha_search_result_label(it), sekha_search_result_folder(it),
               status ? status : "?");
        if (cJSON_IsNumber(imp))
            printf("  importance=%g", imp->valuedouble);
        printf("  updated=%s\n", sekha_search_result_timestamp(it));
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
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 6, 0, 0, &p, &rc);
    if (!client)
        return rc;
    if (page == 0 || page_size == 0) {
        rc = cli_usage(c, p.cmd, "--page and --page-size must be >= 1");
        cli_parsed_free(&p);
        return rc;
    }
    sekha_search_results *r = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_list_conversations_sync(
        client, label, folder, pinned ? 1 : SEKHA_FILTER_ANY, archived ? 1 : SEKHA_FILTER_ANY,
        page < 0 ? 0 : page, page_size < 0 ? 0 : page_size, &r, &err);
    rc = finish(c, &p, code, err, sekha_search_results_json(r), show_list, r);
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
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 2, 0, 0, &p, &rc);
    if (!client)
        return rc;
    if (label && folder) {
        rc = cli_usage(c, p.cmd, "give --label or --folder, not both");
        cli_parsed_free(&p);
        return rc;
    }
    sekha_count_result *r = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_count_conversations_sync(client, label, folder, &r, &err);
    rc = finish(c, &p, code, err, sekha_count_result_json(r), show_count, r);
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
    int rc;
    sekha_client *client = begin(c, argc, argv, NULL, 0, kinds[k].args, kinds[k].args, &p, &rc);
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
    if (code == SEKHA_OK && !c->json)
        printf("%s %s\n", kinds[k].done, id);
    return finish(c, &p, code, err, NULL, NULL, NULL);
}

/* ---- query / search / context ---- */

static void show_hits(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_search_results_count(r); i++) {
        const sekha_search_result *it = sekha_search_results_at(r, i);
        printf("%zu. %.4f  %s  [%s / %s]\n   ", i + 1, sekha_search_result_score(it),
               sekha_search_result_conversation_id(it), sekha_search_result_label(it),
               sekha_search_result_folder(it));
        print_line(sekha_search_result_content(it), 200);
        putchar('\n');
    }
    if (sekha_search_results_count(r) == 0)
        printf("no matches\n");
}

static int cmd_query(cli *c, int argc, char **argv)
{
    long limit = 0;
    const flag_spec flags[] = {{"--limit", F_LONG, &limit}};
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 1, 1, (size_t)argc, &p, &rc);
    if (!client)
        return rc;
    sekha_search_results *r = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_query_sync(client, p.text, limit, 0, NULL, &r, &err);
    rc = finish(c, &p, code, err, sekha_search_results_json(r), show_hits, r);
    sekha_search_results_free(r);
    return rc;
}

/* Full-text hits: "conversation  role: text" on one line each. */
static void show_messages(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_message_list_count(r); i++) {
        const sekha_message *m = sekha_message_list_at(r, i);
        printf("%s  %s: ", sekha_message_conversation_id(m), sekha_message_role(m));
        print_line(sekha_message_content(m), 200);
        putchar('\n');
    }
    if (sekha_message_list_count(r) == 0)
        printf("no matches\n");
}

static int cmd_search(cli *c, int argc, char **argv)
{
    long limit = 0;
    const flag_spec flags[] = {{"--limit", F_LONG, &limit}};
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 1, 1, (size_t)argc, &p, &rc);
    if (!client)
        return rc;
    sekha_message_list *l = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_full_text_search_sync(client, p.text, limit, &l, &err);
    rc = finish(c, &p, code, err, sekha_message_list_json(l), show_messages, l);
    sekha_message_list_free(l);
    return rc;
}

/* Context: "[label] role: text" per message (whole text), then the token estimate. */
static void show_context(cli *c, const void *r)
{
    (void)c;
    size_t n = sekha_message_list_count(r);
    for (size_t i = 0; i < n; i++) {
        const sekha_message *m = sekha_message_list_at(r, i);
        cJSON *meta = cJSON_Parse(sekha_message_metadata_json(m));
        const cJSON *cite = cJSON_GetObjectItemCaseSensitive(meta, "citation");
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cite, "label"));
        printf("[%s] %s: ", label ? label : sekha_message_conversation_id(m),
               sekha_message_role(m));
        print_line(sekha_message_content(m), (size_t)-1);
        putchar('\n');
        cJSON_Delete(meta);
    }
    printf("%zu message%s, about %zu tokens\n", n, n == 1 ? "" : "s",
           sekha_message_list_token_estimate(r));
}

static int cmd_context(cli *c, int argc, char **argv)
{
    long budget = 0;
    str_list labels, excluded;
    const flag_spec flags[] = {{"--budget", F_LONG, &budget},
                               {"--label", F_LIST, &labels},
                               {"--exclude-folder", F_LIST, &excluded}};
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 3, 1, (size_t)argc, &p, &rc);
    if (!client)
        return rc;
    sekha_message_list *l = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_assemble_context_sync(client, p.text, labels.v, budget,
                                                             excluded.v, &l, &err);
    cli_spinner_stop();
    if (code == SEKHA_OK && !c->json)
        printf("budget %ld tokens\n", budget ? budget : 4000);
    rc = finish(c, &p, code, err, sekha_message_list_json(l), show_context, l);
    sekha_message_list_free(l);
    return rc;
}

/* ---- summarize / prune / suggest-labels / metrics / rebuild ---- */

static void show_summary(cli *c, const void *r)
{
    (void)c;
    printf("%s\n", sekha_summary_text(r));
}

static int cmd_summarize(cli *c, int argc, char **argv)
{
    const char *level = NULL;
    const flag_spec flags[] = {{"--level", F_STR, &level}};
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 1, 1, 1, &p, &rc);
    if (!client)
        return rc;
    sekha_summary *s = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_summarize_sync(client, p.pos[0], level, &s, &err);
    rc = finish(c, &p, code, err, sekha_summary_json(s), show_summary, s);
    sekha_summary_free(s);
    return rc;
}

static void show_prune(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_prune_suggestions_count(r); i++) {
        const sekha_prune_suggestion *it = sekha_prune_suggestions_at(r, i);
        printf("%s  %-7s  %s  messages=%lld  tokens=%lld  importance=%g  last=%s\n",
               sekha_prune_suggestion_conversation_id(it),
               sekha_prune_suggestion_recommendation(it), sekha_prune_suggestion_label(it),
               sekha_prune_suggestion_message_count(it),
               sekha_prune_suggestion_token_estimate(it), sekha_prune_suggestion_importance(it),
               sekha_prune_suggestion_last_accessed(it));
    }
    if (sekha_prune_suggestions_count(r) == 0)
        printf("no idle conversations\n");
}

/* Archives the suggestions recommended for it (all of them with --all). */
static sekha_code execute_prune(cli *c, sekha_client *client, const sekha_prune_suggestions *s,
                                int all, sekha_error **err)
{
    size_t n = sekha_prune_suggestions_count(s), k = 0;
    const char **ids = calloc(n + 1, sizeof *ids);
    if (!ids)
        return SEKHA_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const sekha_prune_suggestion *it = sekha_prune_suggestions_at(s, i);
        if (all || !strcmp(sekha_prune_suggestion_recommendation(it), "archive"))
            ids[k++] = sekha_prune_suggestion_conversation_id(it);
    }
    sekha_code code = k ? sekha_controller_prune_execute_sync(client, ids, err) : SEKHA_OK;
    if (code == SEKHA_OK && !c->json)
        printf("archived %zu conversation%s\n", k, k == 1 ? "" : "s");
    free(ids);
    return code;
}

static int cmd_prune(cli *c, int argc, char **argv)
{
    long days = -1;
    int execute = 0, all = 0;
    const flag_spec flags[] = {{"--days", F_LONG, &days}, {"--execute", F_BOOL, &execute},
                               {"--all", F_BOOL, &all}};
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, flags, 3, 0, 0, &p, &rc);
    if (!client)
        return rc;
    if (days < 0 || (all && !execute)) {
        rc = cli_usage(c, p.cmd, days < 0 ? "--days N is required"
                                          : "--all only goes with --execute");
        cli_parsed_free(&p);
        return rc;
    }
    sekha_prune_suggestions *s = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_prune_dry_run_sync(client, days, &s, &err);
    cli_spinner_stop();
    if (code == SEKHA_OK) {
        /* The suggestions are shown before anything is archived. */
        if (c->json)
            cli_print_json(sekha_prune_suggestions_json(s));
        else
            show_prune(c, s);
        if (execute)
            code = execute_prune(c, client, s, all, &err);
    }
    rc = finish(c, &p, code, err, NULL, NULL, NULL);
    sekha_prune_suggestions_free(s);
    return rc;
}

static void show_labels(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_label_suggestions_count(r); i++) {
        const sekha_label_suggestion *s = sekha_label_suggestions_at(r, i);
        printf("%s  %.2f  %s  %s\n", sekha_label_suggestion_label(s),
               sekha_label_suggestion_confidence(s),
               sekha_label_suggestion_is_existing(s) ? "existing" : "new",
               sekha_label_suggestion_reason(s));
    }
    if (sekha_label_suggestions_count(r) == 0)
        printf("no suggestions\n");
}

static int cmd_suggest_labels(cli *c, int argc, char **argv)
{
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, NULL, 0, 1, 1, &p, &rc);
    if (!client)
        return rc;
    sekha_label_suggestions *l = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_suggest_labels_sync(client, p.pos[0], &l, &err);
    rc = finish(c, &p, code, err, sekha_label_suggestions_json(l), show_labels, l);
    sekha_label_suggestions_free(l);
    return rc;
}

static void show_metrics(cli *c, const void *r)
{
    (void)c;
    fputs(sekha_metrics_text(r), stdout);
}

static int cmd_metrics(cli *c, int argc, char **argv)
{
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, NULL, 0, 0, 0, &p, &rc);
    if (!client)
        return rc;
    sekha_metrics *m = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_metrics_sync(client, &m, &err);
    /* The body is text (Prometheus), not JSON: printed as it came in both modes. */
    rc = finish(c, &p, code, err, NULL, show_metrics, m);
    sekha_metrics_free(m);
    return rc;
}

static int cmd_rebuild(cli *c, int argc, char **argv)
{
    parsed p;
    int rc;
    sekha_client *client = begin(c, argc, argv, NULL, 0, 0, 0, &p, &rc);
    if (!client)
        return rc;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_rebuild_embeddings_sync(client, &err);
    cli_spinner_stop();
    if (code == SEKHA_OK && !c->json)
        printf("embedding rebuild accepted\n");
    return finish(c, &p, code, err, NULL, NULL, NULL);
}

const cli_command cli_controller_commands[] = {
    {"store", cmd_store,
     "store --label L --folder F --message ROLE:TEXT [--message ...] [--importance N]",
     "store a conversation, print its id", NULL},
    {"get", cmd_get, "get ID", "show a conversation", NULL},
    {"list", cmd_list,
     "list [--label L] [--folder F] [--pinned] [--archived] [--page N] [--page-size N]",
     "list conversations, newest first", NULL},
    {"count", cmd_count, "count [--label L | --folder F]", "count conversations", NULL},
    {"label", cmd_change, "label ID LABEL FOLDER", "set a conversation's label and folder", NULL},
    {"folder", cmd_change, "folder ID FOLDER", "move a conversation to a folder", NULL},
    {"pin", cmd_change, "pin ID", "pin a conversation (importance 10)", NULL},
    {"archive", cmd_change, "archive ID", "archive a conversation", NULL},
    {"delete", cmd_change, "delete ID", "delete a conversation", NULL},
    {"query", cmd_query, "query TEXT [--limit N]", "semantic search, best match first", NULL},
    {"search", cmd_search, "search TEXT [--limit N]", "full-text search (FTS5 syntax)", NULL},
    {"context", cmd_context,
     "context QUERY [--budget N] [--label L]... [--exclude-folder F]...",
     "assemble context messages within a token budget", NULL},
    {"summarize", cmd_summarize, "summarize ID [--level daily|weekly|monthly]",
     "summarize a conversation", NULL},
    {"prune", cmd_prune, "prune --days N [--execute [--all]]",
     "list idle conversations; --execute archives those recommended (--all: every one)", NULL},
    {"suggest-labels", cmd_suggest_labels, "suggest-labels ID", "suggest labels", NULL},
    {"metrics", cmd_metrics, "metrics", "print the controller's metrics", NULL},
    {"rebuild-embeddings", cmd_rebuild, "rebuild-embeddings", "ask for an embedding rebuild", NULL},
    {0, 0, 0, 0, 0},
};
