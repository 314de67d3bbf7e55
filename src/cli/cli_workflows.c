/* sekha subcommands of the workflows area: `chat` (a completion grounded in memory, streamed
 * to stdout as tokens arrive, Ctrl-C cancels) and `health` (the three services checked at
 * once; the exit status makes it a container probe or a CI gate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* `sekha health` exit statuses. */
#define HEALTH_ALL_HEALTHY 0
#define HEALTH_DEGRADED 1      /* every service answered, not all of them healthy */
#define HEALTH_UNREACHABLE 2   /* at least one service did not answer */

static int cmd_chat(cli *c, int argc, char **argv);
static int cmd_health(cli *c, int argc, char **argv);

const cli_command cli_workflow_commands[] = {
    {"chat", cmd_chat,
     "chat PROMPT [--context-query Q | --memory-query Q] [--budget N] [--label L]... "
     "[--limit N] [--model M] [--show-context]",
     "answer PROMPT with memories as context, streamed as it arrives (Ctrl-C cancels)",
     "Arguments:\n"
     "  PROMPT...              the question; several words are joined with spaces, a lone\n"
     "                         \"-\" reads it from stdin (up to 64 MiB)\n"
     "Flags (context mode, the default: the controller assembles context):\n"
     "  --context-query Q      what to assemble context for (default: PROMPT; \"-\": stdin)\n"
     "  --budget N             context budget in tokens (default 0: 4000; the controller\n"
     "                         packs to 85 % of it); in memory mode, the memories' budget\n"
     "  --label L              prefer memories with label L (repeatable; in memory mode,\n"
     "                         keep only results with one of these labels; default: any)\n"
     "Flags (memory mode: a memory search picks the context):\n"
     "  --memory-query Q       search memory for Q instead (not with --context-query;\n"
     "                         \"-\" reads Q from stdin)\n"
     "  --limit N              at most N memories (default 0: 5); memory mode only\n"
     "Both modes:\n"
     "  --model M              the model to ask the bridge for (default: its default)\n"
     "  --show-context         list the memories used on stderr after the reply\n"
     "                         (default: off)\n"
     "Output: the reply's text on stdout as the tokens arrive, then a newline; with\n"
     "  --show-context the memories used go to stderr, never stdout.\n"
     "--json: no tokens; only the final completion object as one JSON value.\n"
     "Ctrl-C: stops the stream; the text so far is ended by a newline, exit status 130.\n"
     "Environment: SEKHA_CONTROLLER_URL and SEKHA_API_KEY (memory), SEKHA_BRIDGE_URL and\n"
     "  SEKHA_BRIDGE_API_KEY (the completion).\n"
     "Exit status: 0 done, 1 a service refused, 2 bad usage or input (nothing sent),\n"
     "  3 a service unreachable or timed out, 130 Ctrl-C.\n"},
    {"health", cmd_health, "health [--json] [--timeout S]",
     "check controller, bridge and MCP at once; exit 0 healthy, 1 degraded, 2 unreachable",
     "Checks the three services at the same time: the controller (GET /health), the bridge\n"
     "  (GET /health) and MCP (POST <MCP URL>/mcp/tools/memory_stats, which needs the MCP\n"
     "  key). No probe is retried.\n"
     "Flags:\n"
     "  --timeout S     how long each probe may wait, in seconds: more than 0 and at most\n"
     "                  86400, fractions allowed (default 5). 0 is refused: a probe without\n"
     "                  a bound could hang a container probe or a CI gate forever. It also\n"
     "                  bounds the whole call, as for every command.\n"
     "  --json          print the report as one JSON value: {\"status\":..., \"services\":\n"
     "                  [{\"service\", \"status\", \"url\", \"latency_ms\", \"detail\"...}]}\n"
     "Output: a table (service, status, latency, URL and detail), then the overall status.\n"
     "  The bridge's detail names each LLM provider and its circuit breaker's state (with\n"
     "  --json, its \"providers\" array); a breaker not closed makes the bridge degraded.\n"
     "Environment: SEKHA_CONTROLLER_URL, SEKHA_API_KEY, SEKHA_BRIDGE_URL,\n"
     "  SEKHA_BRIDGE_API_KEY, SEKHA_MCP_URL (the base of the /mcp/tools/* routes; the\n"
     "  controller URL by default), SEKHA_MCP_API_KEY (falls back to SEKHA_API_KEY).\n"
     "Exit status (a probe's, not the table of the other commands):\n"
     "  0  healthy: every service answered healthy\n"
     "  1  degraded: every service answered, not all healthy (e.g. a rejected MCP key)\n"
     "  2  unreachable: at least one service did not answer (or bad usage)\n"},
    {0, 0, 0, 0, 0},
};

/* ---- chat ---- */

typedef struct chat_run {
    cli *c;
    int show_context;
    int printed;      /* reply text went to stdout */
    int done;
    int status;
} chat_run;

static int print_token(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    chat_run *r = ud;
    cli_print_token(r->c, req, ch, &r->printed);
    return SEKHA_EVENT_CONTINUE;
}

/* Which memories the answer used, on stderr so stdout stays the reply alone. */
static void show_memories(const sekha_answer *a)
{
    size_t n = sekha_answer_memory_count(a);
    fprintf(stderr, "memories used: %zu (about %zu tokens)", n, sekha_answer_memory_tokens(a));
    if (sekha_answer_memory_dropped(a))
        fprintf(stderr, ", %zu left out by the budget", sekha_answer_memory_dropped(a));
    fputc('\n', stderr);
    for (size_t i = 0; i < n; i++) {
        const char *text = sekha_answer_memory_text(a, i);
        const char *label = sekha_answer_memory_label(a, i);
        fprintf(stderr, "  [%zu] %s: ", i + 1, *label ? label : "(no label)");
        size_t len = strlen(text), max = 100;
        while (max < len && max > 0 && ((unsigned char)text[max] & 0xC0) == 0x80)
            max--; /* cut on a character boundary */
        for (size_t k = 0; k < len && k < max; k++)
            fputc(text[k] == '\n' || text[k] == '\r' ? ' ' : text[k], stderr);
        fputs(len > max ? "...\n" : "\n", stderr);
    }
}

static void chat_done(sekha_request *req, const sekha_error *err, const sekha_answer *a,
                      void *ud)
{
    (void)req;
    chat_run *r = ud;
    cli_spinner_stop();
    r->done = 1;
    const sekha_completion *comp = sekha_answer_completion(a);
    if (r->printed || (!err && !r->c->json)) {
        if (!r->printed) /* an empty reply, or one that arrived whole */
            fputs(sekha_completion_content(comp, NULL), stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    if (r->show_context && a && (sekha_answer_context(a) || sekha_answer_search_results(a)))
        show_memories(a);
    if (sekha_error_code(err) == SEKHA_E_CANCELLED && cli_interrupted()) {
        fprintf(stderr, "%s: interrupted\n", r->c->prog);
        r->status = CLI_INTERRUPTED;
    } else if (err) {
        r->status = cli_fail(r->c, err);
    } else {
        if (r->c->json)
            cli_print_json(sekha_completion_json(comp));
        r->status = CLI_OK;
    }
}

static int cmd_chat(cli *c, int argc, char **argv)
{
    const char *context_q = NULL, *memory_q = NULL, *model = NULL;
    long budget = 0, limit = 0;
    int show = 0;
    str_list labels;
    const flag_spec flags[] = {
        {"--context-query", F_STR, &context_q}, {"--memory-query", F_STR, &memory_q},
        {"--budget", F_LONG, &budget},          {"--label", F_LIST, &labels},
        {"--limit", F_LONG, &limit},            {"--model", F_STR, &model},
        {"--show-context", F_BOOL, &show}};
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, sizeof flags / sizeof *flags, 1, (size_t)argc, &p);
    if (rc)
        return rc;
    sekha_client *client = NULL;
    char *prompt = NULL, *query_in = NULL;
    size_t len;
    if (context_q && memory_q)
        rc = cli_usage(c, p.cmd, "give --context-query or --memory-query, not both");
    else if (!memory_q && limit)
        rc = cli_usage(c, p.cmd, "--limit applies to --memory-query only");
    else if ((rc = cli_read_text(c, p.npos == 1 ? p.pos[0] : p.text, &prompt, &len)) != 0)
        ;
    else if ((rc = cli_flag_text(c, memory_q ? &memory_q : &context_q, &query_in)) != 0)
        ;
    else if (!(client = cli_client(c)))
        rc = CLI_FAILED;
    if (rc) {
        free(prompt);
        free(query_in);
        cli_parsed_free(&p);
        return rc;
    }
    /* Flags not given stay unset (the workflows' defaults); 0 means "not given" too. */
    sekha_params *wp = sekha_params_new();
    if (wp) {
        if (memory_q)
            sekha_params_set_text(wp, SEKHA_PARAM_SEARCH_QUERY, memory_q);
        if (context_q)
            sekha_params_set_text(wp, SEKHA_PARAM_CONTEXT_QUERY, context_q);
        if (budget)
            sekha_params_set_int(wp, SEKHA_PARAM_BUDGET, budget);
        if (limit)
            sekha_params_set_int(wp, SEKHA_PARAM_LIMIT, limit);
        if (labels.n)
            sekha_params_set_list(wp, memory_q ? SEKHA_PARAM_LABELS
                                               : SEKHA_PARAM_PREFERRED_LABELS,
                                  (const char *const *)labels.v);
        if (model)
            sekha_params_set_text(wp, SEKHA_PARAM_MODEL, model);
    }
    chat_run r = {c, show, 0, 0, CLI_FAILED};
    sekha_params_set_on_chunk(wp, print_token, &r);
    /* A value a setter refused is reported by the call, through chat_done. */
    sekha_request *req = !wp       ? NULL
                         : memory_q ? sekha_workflow_stream_with_memory(client, prompt, wp,
                                                                        chat_done, &r)
                                    : sekha_workflow_stream_with_context(client, prompt, wp,
                                                                         chat_done, &r);
    sekha_params_free(wp); /* read by the call */
    if (!req) {
        free(prompt);
        free(query_in);
        cli_parsed_free(&p);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return CLI_FAILED;
    }
    cli_spinner_start(c, "thinking");
    cli_run_interruptible(client, req, &r.done);
    free(prompt);
    free(query_in);
    cli_parsed_free(&p);
    return r.status;
}

/* ---- health ---- */

static int cmd_health(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 0, 0, &p);
    if (rc)
        return rc;
    cli_parsed_free(&p);
    sekha_client *client = cli_client(c);
    if (!client)
        return CLI_FAILED;
    sekha_deployment_health *h = NULL;
    sekha_error *err = NULL;
    cli_spinner_start(c, "checking");
    /* Not given: the default 5 s. (--timeout bounds the client's calls too, so a probe
     * stays bounded even if the parameters could not be allocated.) */
    sekha_params *hp = c->timeout_ms ? sekha_params_new() : NULL;
    sekha_params_set_int(hp, SEKHA_PARAM_TIMEOUT_MS, c->timeout_ms);
    sekha_code code = sekha_workflow_health_check_sync(client, hp, &h, &err);
    sekha_params_free(hp);
    cli_spinner_stop();
    if (code != SEKHA_OK) {
        rc = cli_fail(c, err);
        sekha_error_free(err);
        return rc;
    }
    sekha_service_status overall = sekha_deployment_health_overall(h);
    if (c->json) {
        cli_print_json(sekha_deployment_health_json(h));
    } else {
        const sekha_options *o = sekha_client_options(client);
        printf("%-11s %-12s %10s  %s\n", "SERVICE", "STATUS", "LATENCY", "URL / DETAIL");
        for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
            sekha_service s = (sekha_service)i;
            const char *detail = sekha_deployment_health_detail(h, s);
            printf("%-11s %-12s %7.1f ms  %s%s%s\n", sekha_service_name(s),
                   sekha_service_status_name(sekha_deployment_health_status(h, s)),
                   sekha_deployment_health_latency_ms(h, s), sekha_options_get_url(o, s),
                   *detail ? "  " : "", detail);
        }
        printf("overall: %s\n", sekha_service_status_name(overall));
    }
    sekha_deployment_health_free(h);
    if (overall == SEKHA_STATUS_HEALTHY)
        return HEALTH_ALL_HEALTHY;
    return overall == SEKHA_STATUS_UNREACHABLE ? HEALTH_UNREACHABLE : HEALTH_DEGRADED;
}
