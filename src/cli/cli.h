/* The `sekha` command-line tool: shared state and helpers for the subcommand files. */
#ifndef SEKHA_CLI_H
#define SEKHA_CLI_H

#include <stdio.h>

#include <sekha/sekha.h>

/* Exit statuses of every subcommand, one table for all (`sekha health` has its own probe
 * codes instead: 0 healthy, 1 degraded, 2 unreachable; see cli_workflows.c). */
#define CLI_OK 0
#define CLI_FAILED 1       /* the service or the HTTP layer said no (cause on stderr) */
#define CLI_USAGE 2        /* usage or invalid input (unknown command or flag, bad value,
                              bad JSON, not UTF-8): nothing was sent */
#define CLI_UNREACHABLE 3  /* could not reach or hear from a service (transport, timeout) */
#define CLI_INTERRUPTED 130 /* Ctrl-C: 128 + SIGINT, as shells report it */

typedef struct cli {
    const char *prog;
    sekha_options *opts;   /* from SEKHA_* variables, then the common flags */
    sekha_client *client;  /* created on first use by cli_client() */
    int json;              /* --json: print raw JSON results */
    int verbose;           /* --verbose: libsekha's debug log on stderr (keys redacted) */
    long timeout_ms;       /* --timeout as given, 0 when not given */
    int stdin_taken;       /* an argument was already read from stdin ("-") */
    FILE *trace_out;       /* --trace FILE: trace events as JSON lines (stderr for "-") */
    int trace_summary;     /* --trace-summary: a table of the requests on stderr at the end */
} cli;

typedef struct cli_command {
    const char *name;
    int (*run)(cli *c, int argc, char **argv); /* argv[0] is the command name */
    const char *usage;                         /* e.g. "get ID" */
    const char *summary;                       /* one line for `sekha help` */
    const char *help;                          /* `sekha CMD --help`: arguments, every flag
                                                  with its default, notes; NULL = none yet */
} cli_command;

/* Each area file defines one table, ended by an entry whose name is NULL. */
extern const cli_command cli_controller_commands[];
extern const cli_command cli_bridge_commands[];
extern const cli_command cli_bridge_routes_commands[];
extern const cli_command cli_mcp_commands[];
extern const cli_command cli_workflow_commands[];

/* The client for this run (created once from c->opts); NULL after printing why. */
sekha_client *cli_client(cli *c);

/* Prints a failed request's cause on stderr, saying which layer spoke (a JSON object with
 * --json), and returns the exit status for it: CLI_USAGE for input refused locally,
 * CLI_UNREACHABLE for transport failures and timeouts, CLI_INTERRUPTED for a cancel,
 * CLI_FAILED for what a service or the HTTP layer refused. */
int cli_fail(cli *c, const sekha_error *err);

/* Prints o (taken) on stderr as one line of JSON: errors and warnings with --json. */
struct cJSON;
void cli_print_stderr_json(struct cJSON *o);

/* The exit status cli_fail would return for err. */
int cli_exit_status(const sekha_error *err);

/* --trace FILE and --record FILE (trace.c); returns 0 or CLI_USAGE. */
int cli_trace_flag(cli *c, const char *flag, const char *value);
/* Installs the trace callback when --trace or --trace-summary asked for it. */
int cli_trace_setup(cli *c);
/* After the client is freed (every request has ended): prints the summary, closes the
 * trace file. */
void cli_trace_finish(cli *c);

/* Prints a command's help (usage, summary, its flags and the common ones) on out. */
void cli_command_help(FILE *out, const cli_command *cmd);

/* Reads a TEXT argument: "-" means all of stdin, anything else is the text itself.
 * *out is the text (malloc'd, NUL-terminated; free it), *len its length. Returns 0, or
 * CLI_USAGE after saying why (stdin unreadable or over the limit). */
int cli_read_text(cli *c, const char *arg, char **out, size_t *len);

/* Reads a whole file ("-" = stdin) into *out (malloc'd, NUL-terminated), up to
 * CLI_INPUT_MAX bytes. Returns 0, or CLI_USAGE after saying why (stdin feeds one argument
 * at most). */
int cli_read_file(cli *c, const char *path, char **out, size_t *len);

/* A flag's TEXT value: "-" is replaced by all of stdin, held in *owned (free it; NULL
 * when nothing was read). Returns 0 or CLI_USAGE after saying why. */
int cli_flag_text(cli *c, const char **value, char **owned);

/* The most input read from stdin or a file: the library's response limit, far beyond
 * what argv could carry. */
#define CLI_INPUT_MAX ((size_t)64 << 20)

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

/* Drives client until *done, cancelling req when Ctrl-C (SIGINT) arrives; a second Ctrl-C
 * ends the process. For the streaming commands. */
void cli_run_interruptible(sekha_client *client, sekha_request *req, const int *done);

/* 1 once Ctrl-C was caught by cli_run_interruptible: a cancel error then means exit 130. */
int cli_interrupted(void);

/* Writes a streamed chunk's text to stdout at once (nothing with --json) and sets
 * *printed; cancels req when stdout is gone. For chunk callbacks. */
void cli_print_token(cli *c, sekha_request *req, const sekha_chunk *ch, int *printed);

/* Prints a JSON text on stdout, indented when stdout is a terminal, then a newline. */
void cli_print_json(const char *json);

#endif
