/* The `sekha` command-line tool: shared state and helpers for the subcommand files. */
#ifndef SEKHA_CLI_H
#define SEKHA_CLI_H

#include <sekha/sekha.h>

/* Exit statuses of every subcommand (`sekha health` adds its own: see cli_workflows.c). */
#define CLI_OK 0
#define CLI_FAILED 1   /* the request failed: the cause is on stderr */
#define CLI_USAGE 2    /* bad command line */

typedef struct cli {
    const char *prog;
    sekha_options *opts;   /* from SEKHA_* variables, then the common flags */
    sekha_client *client;  /* created on first use by cli_client() */
    int json;              /* --json: print raw JSON results */
    int verbose;           /* --verbose: libsekha's debug log on stderr (keys redacted) */
} cli;

typedef struct cli_command {
    const char *name;
    int (*run)(cli *c, int argc, char **argv); /* argv[0] is the command name */
    const char *usage;                         /* e.g. "get ID" */
    const char *summary;                       /* one line for `sekha help` */
} cli_command;

/* Each area file defines one table, ended by an entry whose name is NULL. */
extern const cli_command cli_controller_commands[];
extern const cli_command cli_bridge_commands[];
extern const cli_command cli_mcp_commands[];
extern const cli_command cli_workflow_commands[];

/* The client for this run (created once from c->opts); NULL after printing why. */
sekha_client *cli_client(cli *c);

/* Prints a failed request's cause on stderr, layer by layer, and returns CLI_FAILED. */
int cli_fail(cli *c, const sekha_error *err);

/* Prints "sekha <usage>" plus a message on stderr and returns CLI_USAGE. */
int cli_usage(cli *c, const cli_command *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Parses a whole non-negative integer (or returns -1). */
long cli_parse_long(const char *s);

/* Prints a JSON text on stdout, indented when stdout is a terminal, then a newline. */
void cli_print_json(const char *json);

#endif
