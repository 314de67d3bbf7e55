/* sekha: command-line access to a Sekha deployment (or a local sekha-devserver).
 * Configuration comes from the SEKHA_* environment variables, then from common flags. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/cnum.h"

static const cli_command *const tables[] = {
    cli_controller_commands, cli_bridge_commands, cli_bridge_routes_commands, cli_mcp_commands,
    cli_workflow_commands};

const cli_command *cli_find_command(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const cli_command *cmd = tables[t]; cmd->name; cmd++)
            if (strcmp(cmd->name, name) == 0)
                return cmd;
    return NULL;
}

static const char common_help[] =
    "Common flags (before or after the command):\n"
    "  --controller-url URL   --bridge-url URL   --mcp-url URL\n"
    "  --api-key KEY          --bridge-api-key KEY   --mcp-api-key KEY\n"
    "  --timeout SECONDS      --retries N            --json   --verbose\n"
    "  --rate-limit N[/SECONDS]   --trace FILE   --trace-summary   --record FILE\n"
    "  --no-traceparent\n"
    "Environment: SEKHA_CONTROLLER_URL, SEKHA_API_KEY, SEKHA_BRIDGE_URL, SEKHA_BRIDGE_API_KEY,\n"
    "  SEKHA_MCP_URL, SEKHA_MCP_API_KEY, SEKHA_TIMEOUT, SEKHA_MAX_RETRIES, SEKHA_RATE_LIMIT\n"
    "  (flags win).\n"
    "--rate-limit / SEKHA_RATE_LIMIT: controller requests allowed, N per minute or N per\n"
    "  SECONDS, 0 for no limit (default 1000/60); a request over it waits (--verbose says so).\n"
    "--timeout / SEKHA_TIMEOUT: the most a whole call may take, in seconds (retries and\n"
    "  streaming included; default 300).\n"
    "--trace FILE: every request attempt and end as JSON lines with timings (- = stderr);\n"
    "  --trace-summary: a table of the requests on stderr afterwards; --record FILE: every\n"
    "  exchange into a cassette that `sekha-devserver --replay FILE` serves back offline.\n"
    "  Every request carries a W3C traceparent header unless --no-traceparent.\n"
    "Exit status: 0 success; 1 the service or HTTP layer said no; 2 usage or invalid input\n"
    "  (nothing was sent); 3 could not reach or hear from a service; 130 interrupted.\n"
    "  `sekha health` exits 0 healthy, 1 degraded, 2 unreachable.\n";

void cli_command_help(FILE *out, const cli_command *cmd)
{
    fprintf(out, "usage: sekha %s\n\n%s.\n", cmd->usage, cmd->summary);
    if (cmd->help)
        fprintf(out, "\n%s", cmd->help);
    fprintf(out, "\n%s", common_help);
}

/* 1 when argv (after the command, before "--") asks for help. */
static int asks_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* One command line of the global help: the name in a column, the summary wrapped under
 * 88 columns beside it. */
static void help_line(FILE *out, const char *name, const char *summary)
{
    enum { NAME_COL = 22, WIDTH = 88 };
    fprintf(out, "  %-*s", NAME_COL - 2, name);
    int col = NAME_COL;
    const char *p = summary;
    while (*p) {
        size_t word = strcspn(p, " ");
        if (col > NAME_COL && col + 1 + (int)word > WIDTH) {
            fprintf(out, "\n%*s", NAME_COL, "");
            col = NAME_COL;
        } else if (col > NAME_COL) {
            fputc(' ', out);
            col++;
        }
        fprintf(out, "%.*s", (int)word, p);
        col += (int)word;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

static void help(FILE *out)
{
    fprintf(out, "usage: sekha COMMAND [ARGS] [FLAGS]\n\n"
                 "Commands (sekha COMMAND --help, or sekha help COMMAND, for each one's "
                 "arguments,\nflags and defaults):\n");
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const cli_command *cmd = tables[t]; cmd->name; cmd++)
            help_line(out, cmd->name, cmd->summary);
    help_line(out, "version", "print the libsekha version");
    fprintf(out, "\n%s", common_help);
}

static void log_to_stderr(sekha_log_level level, const char *line, void *ud)
{
    (void)level;
    (void)ud;
    fprintf(stderr, "[sekha] %s\n", line);
}

/* Consumes the common flags wherever they are; returns 0 or CLI_USAGE. */
static int common_flags(cli *c, int *argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            c->json = 1;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            c->verbose = 1;
            continue;
        }
        if (strcmp(a, "--no-traceparent") == 0) {
            sekha_options_set_traceparent(c->opts, SEKHA_TRACEPARENT_NEVER);
            continue;
        }
        if (strcmp(a, "--trace-summary") == 0) {
            c->trace_summary = 1;
            continue;
        }
        if (strcmp(a, "--trace") == 0 || strcmp(a, "--record") == 0) {
            if (i + 1 >= *argc)
                return cli_usage(c, NULL, "%s needs a value", a);
            int rc = cli_trace_flag(c, a, argv[++i]);
            if (rc)
                return rc;
            continue;
        }
        static const char *const valued[] = {"--controller-url", "--bridge-url", "--mcp-url",
                                             "--api-key", "--bridge-api-key", "--mcp-api-key",
                                             "--timeout", "--retries", "--rate-limit"};
        size_t k = 0;
        while (k < sizeof valued / sizeof *valued && strcmp(a, valued[k]) != 0)
            k++;
        if (k == sizeof valued / sizeof *valued) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc)
            return cli_usage(c, NULL, "%s needs a value", a);
        const char *v = argv[++i];
        sekha_code rc = SEKHA_OK;
        static const sekha_service svc[] = {SEKHA_SERVICE_CONTROLLER, SEKHA_SERVICE_BRIDGE,
                                            SEKHA_SERVICE_MCP};
        if (k < 3) {
            rc = sekha_options_set_url(c->opts, svc[k], v);
        } else if (k < 6) {
            rc = sekha_options_set_api_key(c->opts, svc[k - 3], v);
        } else if (k == 6) {
            char *end;
            double s = sekha__strtod_c(v, &end);
            rc = (*end || s <= 0 || s > 86400)
                     ? SEKHA_E_INVALID_ARG
                     : sekha_options_set_call_timeout_ms(c->opts, (long)(s * 1000 + 0.5));
            if (rc == SEKHA_OK)
                c->timeout_ms = (long)(s * 1000 + 0.5);
        } else if (k == 8) {
            rc = sekha_options_set_rate_limit_text(c->opts, SEKHA_SERVICE_CONTROLLER, v);
        } else {
            long n = cli_parse_long(v);
            rc = n < 0 ? SEKHA_E_INVALID_ARG : sekha_options_set_max_retries(c->opts, (int)n);
        }
        if (rc != SEKHA_OK) {
            const char *why = sekha_options_last_error(c->opts);
            return cli_usage(c, NULL, "%s: %s", a,
                             *why ? why
                                  : k == 6 ? "expected seconds, more than 0 and at most 86400"
                                           : "expected a whole number from 0 to 100");
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

/* No setlocale: every number the CLI reads or prints (the human form and --json alike) is
 * in the C locale, as scripts that parse it and pass it flags expect. */
int main(int argc, char **argv)
{
    cli c = {.prog = "sekha"};
    c.opts = sekha_options_new();
    if (!c.opts) {
        fprintf(stderr, "sekha: out of memory\n");
        return CLI_FAILED;
    }
    int status = CLI_USAGE;
    if (sekha_options_from_env(c.opts) != SEKHA_OK) {
        fprintf(stderr, "sekha: %s\n", sekha_options_last_error(c.opts));
        goto out;
    }
    /* The CLI joins the caller's distributed trace on every request: one header line is
     * nothing beside a process start (the library leaves it to the application, where it
     * would cost a small request about 9 %). */
    sekha_options_set_traceparent(c.opts, SEKHA_TRACEPARENT_ALWAYS);
    argc--;
    argv++;
    if ((status = common_flags(&c, &argc, argv)) != 0 || (status = cli_trace_setup(&c)) != 0)
        goto out;
    if (c.verbose)
        sekha_options_set_log(c.opts, SEKHA_LOG_DEBUG, log_to_stderr, NULL);
    if (argc >= 2 && strcmp(argv[0], "help") == 0) {
        const cli_command *cmd = cli_find_command(argv[1]);
        if (cmd) {
            cli_command_help(stdout, cmd);
            status = CLI_OK;
        } else if (strcmp(argv[1], "version") == 0) {
            printf("usage: sekha version [--json]\n\nprint the libsekha version.\n");
            status = CLI_OK;
        } else {
            status = cli_usage(&c, NULL, "unknown command \"%s\" (try: sekha help)", argv[1]);
        }
        goto out;
    }
    if (argc == 0 || strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "-h") == 0) {
        help(argc == 0 ? stderr : stdout);
        status = argc == 0 ? CLI_USAGE : CLI_OK;
        goto out;
    }
    if (strcmp(argv[0], "version") == 0 || strcmp(argv[0], "--version") == 0) {
        if (asks_help(argc, argv)) {
            printf("usage: sekha version [--json]\n\nprint the libsekha version.\n");
        } else if (argc > 1) {
            status = cli_usage(&c, NULL, "version takes no arguments (got %s)", argv[1]);
            goto out;
        } else if (c.json) {
            printf("{\"version\":\"%s\"}\n", sekha_version());
        } else {
            printf("sekha %s\n", sekha_version());
        }
        status = CLI_OK;
        goto out;
    }
    const cli_command *cmd = cli_find_command(argv[0]);
    if (cmd && asks_help(argc, argv)) {
        cli_command_help(stdout, cmd);
        status = CLI_OK;
        goto out;
    }
    if (cmd) {
        status = cmd->run(&c, argc, argv);
        cli_spinner_stop(); /* whatever path the command took */
        goto out;
    }
    status = cli_usage(&c, NULL, argv[0][0] == '-' ? "unknown option %s (try: sekha help)"
                                                   : "unknown command \"%s\" (try: sekha help)",
                       argv[0]);
out:
    sekha_client_free(c.client);
    cli_trace_finish(&c);
    sekha_options_free(c.opts);
    return status;
}
