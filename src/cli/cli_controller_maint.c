/* sekha subcommands of the controller area, the maintenance half: summaries, pruning,
 * label suggestions, metrics (Prometheus text, turned into one JSON object for --json) and
 * the embedding rebuild. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_controller.h"
#include "core/cnum.h"

/* ---- summarize ---- */

static void show_summary(cli *c, const void *r)
{
    (void)c;
    printf("%s\n", sekha_summary_text(r));
}

int cctl_summarize(cli *c, int argc, char **argv)
{
    const char *level = NULL;
    const flag_spec flags[] = {{"--level", F_STR, &level}};
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, 1, 1, 1, &p);
    if (rc)
        return rc;
    if (level && strcmp(level, "daily") && strcmp(level, "weekly") && strcmp(level, "monthly"))
        return cctl_refuse(&p, cli_usage(c, p.cmd, "--level must be daily, weekly or "
                                         "monthly, got \"%.40s\"", level));
    sekha_params *prm = sekha_params_new();
    if (!prm || cctl_lost(sekha_params_set_text(prm, SEKHA_PARAM_LEVEL, level)))
        return cctl_nomem(c, &p, prm);
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_params_free(prm);
        return rc;
    }
    sekha_summary *s = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_summarize_sync(client, p.pos[0], prm, &s, &err);
    sekha_params_free(prm);
    rc = cctl_finish(c, &p, code, err, sekha_summary_json(s), show_summary, s);
    sekha_summary_free(s);
    return rc;
}

/* ---- prune ---- */

static void show_prune(const sekha_prune_suggestions *r)
{
    for (size_t i = 0; i < sekha_prune_suggestions_count(r); i++) {
        const sekha_prune_suggestion *it = sekha_prune_suggestions_at(r, i);
        printf("%s  %-7s  %s  messages=%lld  tokens=%lld  importance=%g  last=%s\n",
               sekha_prune_suggestion_conversation_id(it),
               cctl_shown(sekha_prune_suggestion_recommendation(it)),
               cctl_shown(sekha_prune_suggestion_label(it)),
               sekha_prune_suggestion_message_count(it),
               sekha_prune_suggestion_token_estimate(it), sekha_prune_suggestion_importance(it),
               cctl_shown(sekha_prune_suggestion_last_accessed(it)));
    }
    if (sekha_prune_suggestions_count(r) == 0)
        printf("no idle conversations\n");
}

/* The ids to archive: those recommended for it (every one with all), NULL-terminated in
 * *ids (free it; the strings belong to s). Returns how many, or -1 out of memory. */
static long prune_ids(const sekha_prune_suggestions *s, int all, const char ***ids)
{
    size_t n = sekha_prune_suggestions_count(s), k = 0;
    *ids = calloc(n + 1, sizeof **ids);
    if (!*ids)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const sekha_prune_suggestion *it = sekha_prune_suggestions_at(s, i);
        const char *rec = sekha_prune_suggestion_recommendation(it);
        if (all || (rec && !strcmp(rec, "archive")))
            (*ids)[k++] = sekha_prune_suggestion_conversation_id(it);
    }
    return (long)k;
}

/* What prune prints once everything is done (so a failure leaves stdout empty): the
 * dry run as received, or with --execute {"suggestions": <dry run>, "archived": [ids]}. */
static void print_prune(cli *c, const sekha_prune_suggestions *s, const char *const *ids,
                        long archived)
{
    if (!c->json) {
        show_prune(s);
        if (ids)
            printf("archived %ld conversation%s\n", archived, archived == 1 ? "" : "s");
        return;
    }
    if (!ids) {
        cli_print_json(sekha_prune_suggestions_json(s));
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *dry = cJSON_Parse(sekha_prune_suggestions_json(s));
    cJSON_AddItemToObject(o, "suggestions", dry ? dry : cJSON_CreateNull());
    cJSON *list = cJSON_AddArrayToObject(o, "archived");
    for (long i = 0; i < archived; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(ids[i]));
    cctl_print_object(o);
}

int cctl_prune(cli *c, int argc, char **argv)
{
    long days = -1;
    int execute = 0, all = 0;
    const flag_spec flags[] = {{"--days", F_LONG, &days}, {"--execute", F_BOOL, &execute},
                               {"--all", F_BOOL, &all}};
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, 3, 0, 0, &p);
    if (rc)
        return rc;
    if (days < 0 || (all && !execute))
        return cctl_refuse(&p, cli_usage(c, p.cmd, days < 0 ? "--days N is required"
                                                            : "--all only goes with --execute"));
    /* The controller reads a 64-bit count of days; more than a million years is a typo. */
    if (days > 365L * 1000000)
        return cctl_refuse(&p, cli_usage(c, p.cmd, "--days must be 0..%ld, got %ld",
                                         365L * 1000000, days));
    sekha_params *prm = sekha_params_new();
    if (!prm || cctl_lost(sekha_params_set_int(prm, SEKHA_PARAM_THRESHOLD_DAYS, days)))
        return cctl_nomem(c, &p, prm);
    sekha_client *client = cctl_client(c, &p, &rc);
    if (!client) {
        sekha_params_free(prm);
        return rc;
    }
    sekha_prune_suggestions *s = NULL;
    sekha_error *err = NULL;
    const char **ids = NULL;
    long k = 0;
    sekha_code code = sekha_controller_prune_dry_run_sync(client, prm, &s, &err);
    sekha_params_free(prm);
    if (code == SEKHA_OK && execute) {
        k = prune_ids(s, all, &ids);
        if (k < 0)
            code = SEKHA_E_NOMEM;
        else if (k > 0)
            code = sekha_controller_prune_execute_sync(client, ids, &err);
    }
    cli_spinner_stop();
    if (code == SEKHA_OK)
        print_prune(c, s, execute ? ids : NULL, k);
    if (code == SEKHA_E_NOMEM && !err) {
        fprintf(stderr, "%s: out of memory\n", c->prog);
        rc = CLI_FAILED;
        cli_parsed_free(&p);
    } else {
        rc = cctl_finish(c, &p, code, err, NULL, NULL, NULL);
    }
    free(ids);
    sekha_prune_suggestions_free(s);
    return rc;
}

/* ---- suggest-labels ---- */

static void show_labels(cli *c, const void *r)
{
    (void)c;
    for (size_t i = 0; i < sekha_label_suggestions_count(r); i++) {
        const sekha_label_suggestion *s = sekha_label_suggestions_at(r, i);
        printf("%s  %.2f  %s  %s\n", sekha_label_suggestion_label(s),
               sekha_label_suggestion_confidence(s),
               sekha_label_suggestion_is_existing(s) == 1   ? "existing"
               : sekha_label_suggestion_is_existing(s) == 0 ? "new"
                                                            : "-",
               sekha_label_suggestion_reason(s));
    }
    if (sekha_label_suggestions_count(r) == 0)
        printf("no suggestions\n");
}

int cctl_suggest_labels(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 1, 1, &p);
    sekha_client *client = rc ? NULL : cctl_client(c, &p, &rc);
    if (!client)
        return rc;
    sekha_label_suggestions *l = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_suggest_labels_sync(client, p.pos[0], &l, &err);
    rc = cctl_finish(c, &p, code, err, sekha_label_suggestions_json(l), show_labels, l);
    sekha_label_suggestions_free(l);
    return rc;
}

/* ---- metrics ---- */

/* Skips a Prometheus label set "{...}" starting at s (quoted values may hold "}" and
 * escapes); returns the character after it, or NULL when it never closes. */
static const char *skip_labels(const char *s)
{
    int quoted = 0;
    for (s++; *s && *s != '\n'; s++) {
        if (quoted && *s == '\\' && s[1])
            s++;
        else if (*s == '"')
            quoted = !quoted;
        else if (!quoted && *s == '}')
            return s + 1;
    }
    return NULL;
}

/* Adds one sample line ("name{labels} value [timestamp]") to o under "name{labels}";
 * returns 0, or -1 when the line is not a sample. NaN and infinities, which JSON has no
 * numbers for, are kept as the strings "NaN", "+Inf", "-Inf". */
static int add_sample(cJSON *o, const char *line, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, line, len);
    copy[len] = '\0';
    const char *s = copy;
    while (isalnum((unsigned char)*s) || *s == '_' || *s == ':')
        s++;
    int rc = -1;
    if (s > copy && *s == '{')
        s = skip_labels(s);
    if (s && s > copy && (*s == ' ' || *s == '\t')) {
        size_t key_len = (size_t)(s - copy);
        while (*s == ' ' || *s == '\t')
            s++;
        char *end;
        double v = sekha__strtod_c(s, &end);
        if (end != s && (*end == '\0' || *end == ' ' || *end == '\t')) {
            copy[key_len] = '\0';
            cJSON *item = isnan(v) ? cJSON_CreateString("NaN")
                          : isinf(v) ? cJSON_CreateString(v > 0 ? "+Inf" : "-Inf")
                                     : cJSON_CreateNumber(v);
            cJSON_DeleteItemFromObjectCaseSensitive(o, copy); /* the last sample wins */
            if (item)
                cJSON_AddItemToObject(o, copy, item);
            rc = item ? 0 : -1;
        }
    }
    free(copy);
    return rc;
}

/* The metrics body as one JSON object: a JSON body (some controller versions send a JSON
 * placeholder) as it is, Prometheus text as {"name{labels}": value, ...}. NULL with *bad_line
 * set when a line is neither a comment nor a sample. */
static cJSON *metrics_json(const char *text, long *bad_line)
{
    cJSON *o = cJSON_ParseWithOpts(text, NULL, 1);
    if (o)
        return o;
    o = cJSON_CreateObject();
    long n = 0;
    for (const char *line = text; o && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        n++;
        size_t lead = 0;
        while (lead < len && (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '\r'))
            lead++;
        size_t trail = len;
        while (trail > lead && (line[trail - 1] == '\r' || line[trail - 1] == ' '))
            trail--;
        if (trail > lead && line[lead] != '#' &&
            add_sample(o, line + lead, trail - lead) != 0) {
            cJSON_Delete(o);
            o = NULL;
            *bad_line = n;
        }
        line += len + (nl ? 1 : 0);
    }
    return o;
}

static void show_metrics(cli *c, const void *r)
{
    (void)c;
    fputs(sekha_metrics_text(r), stdout);
}

int cctl_metrics(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 0, 0, &p);
    sekha_client *client = rc ? NULL : cctl_client(c, &p, &rc);
    if (!client)
        return rc;
    sekha_metrics *m = NULL;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_metrics_sync(client, &m, &err);
    if (code != SEKHA_OK || !c->json) {
        rc = cctl_finish(c, &p, code, err, NULL, show_metrics, m);
        sekha_metrics_free(m);
        return rc;
    }
    cli_spinner_stop();
    cli_parsed_free(&p);
    long bad = 0;
    cJSON *o = metrics_json(sekha_metrics_text(m), &bad);
    sekha_metrics_free(m);
    if (!o) {
        /* --json is on here: the error is a JSON object on stderr, as cli_fail's are */
        char message[160];
        snprintf(message, sizeof message, "the controller's metrics are not Prometheus text "
                 "(line %ld); `sekha metrics` without --json shows them as received", bad);
        cJSON *e = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(e, "error");
        cJSON_AddStringToObject(in, "layer", "service");
        cJSON_AddStringToObject(in, "message", message);
        cJSON_AddNumberToObject(in, "exit_status", CLI_FAILED);
        char *t = cJSON_PrintUnformatted(e);
        cJSON_Delete(e);
        fprintf(stderr, "%s\n", t ? t : message);
        cJSON_free(t);
        return CLI_FAILED;
    }
    cctl_print_object(o);
    return CLI_OK;
}

/* ---- rebuild-embeddings ---- */

int cctl_rebuild(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 0, 0, &p);
    sekha_client *client = rc ? NULL : cctl_client(c, &p, &rc);
    if (!client)
        return rc;
    sekha_error *err = NULL;
    sekha_code code = sekha_controller_rebuild_embeddings_sync(client, &err);
    cli_spinner_stop();
    if (code == SEKHA_OK && c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "action", "rebuild-embeddings");
        cJSON_AddBoolToObject(o, "accepted", 1);
        cJSON_AddBoolToObject(o, "ok", 1);
        cctl_print_object(o);
    } else if (code == SEKHA_OK) {
        printf("embedding rebuild accepted\n");
    }
    return cctl_finish(c, &p, code, err, NULL, NULL, NULL);
}
