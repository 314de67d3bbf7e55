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
    long timeout_ms;       /* --timeout as given, 0 when not given */
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

/* ---- a small option parser: flags anywhere after the command, "--" ends them ---- */

typedef enum { F_BOOL, F_STR, F_LONG, F_LIST } flag_kind;

typedef struct flag_spec {
    const char *name;
    flag_kind kind;
    void *dst; /* int *, const char **, long * (left as is when absent), or str_list * */
} flag_spec;

typedef struct str_list {
    const char **v; /* NULL-terminated */
    size_t n;
} str_list;

typedef struct parsed {
    const cli_command *cmd;
    const char **pos;
    size_t npos;
    char *text; /* the positional arguments joined with spaces */
    str_list lists[4];
    size_t nlists;
} parsed;

/* Parses argv[1..] against flags; positional arguments must number min..max. Returns 0,
 * or the exit status after printing why (p is then already freed). */
int cli_parse(cli *c, int argc, char **argv, const flag_spec *flags, size_t nflags,
              size_t min, size_t max, parsed *p);

/* Frees what cli_parse allocated. */
void cli_parsed_free(parsed *p);

/* The command of any area's table with this name, NULL when none. */
const cli_command *cli_find_command(const char *name);

/* While a call runs: after about half a second, a spinner with the elapsed time on stderr,
 * redrawn from a thread of its own (sync calls block the main one). Only when stderr is a
 * terminal and --verbose is off, never on pipes. Stop it before writing anything. */
void cli_spinner_start(cli *c, const char *what);

/* Stops the spinner and erases it; a no-op when none runs. */
void cli_spinner_stop(void);

/* Writes a streamed chunk's text to stdout at once (nothing with --json) and sets
 * *printed; cancels req when stdout is gone. For chunk callbacks. */
void cli_print_token(cli *c, sekha_request *req, const sekha_chunk *ch, int *printed);

/* Prints a JSON text on stdout, indented when stdout is a terminal, then a newline. */
void cli_print_json(const char *json);

#endif
