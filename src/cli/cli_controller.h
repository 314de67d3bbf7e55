/* What the two files of the controller subcommands share (private to the CLI). */
#ifndef SEKHA_CLI_CONTROLLER_H
#define SEKHA_CLI_CONTROLLER_H

#include <cjson/cJSON.h>

#include "cli.h"

/* The largest count the controller takes (its u32 fields). */
#define CTL_COUNT_MAX 4294967295L

/* The client, once the arguments are checked; starts the spinner. NULL with *rc set (and p
 * freed) when it cannot be made. */
sekha_client *cctl_client(cli *c, parsed *p, int *rc);

/* Frees p and returns rc: for refusing arguments after cli_parse. */
int cctl_refuse(parsed *p, int rc);

/* Ends a command: frees p, then prints the cause of a failure, or the answer: as received
 * with --json when it is JSON, else through human (either may be NULL). */
int cctl_finish(cli *c, parsed *p, sekha_code code, sekha_error *err, const char *json,
                void (*human)(cli *c, const void *r), const void *r);

/* 1 when a parameter setter ran out of memory: the one failure a setter can lose (a value
 * it refuses is remembered by the parameters, and the call reports it). */
static inline int cctl_lost(sekha_code rc)
{
    return rc == SEKHA_E_NOMEM;
}

/* A text field for people: what the server sent, "-" when it sent none (results read
 * optional fields as NULL). */
static inline const char *cctl_shown(const char *s)
{
    return s ? s : "-";
}

/* Frees p and prm after saying that memory ran out; returns the failure status. */
int cctl_nomem(cli *c, parsed *p, sekha_params *prm);

/* Prints o (consumed) on stdout as the one JSON value of a command. */
void cctl_print_object(cJSON *o);

/* Commands of cli_controller_maint.c. */
int cctl_summarize(cli *c, int argc, char **argv);
int cctl_prune(cli *c, int argc, char **argv);
int cctl_suggest_labels(cli *c, int argc, char **argv);
int cctl_metrics(cli *c, int argc, char **argv);
int cctl_rebuild(cli *c, int argc, char **argv);

/* Help texts (cli_controller_help.c). */
extern const char cctl_help_store[], cctl_help_get[], cctl_help_list[], cctl_help_count[],
    cctl_help_label[], cctl_help_folder[], cctl_help_pin[], cctl_help_archive[],
    cctl_help_delete[], cctl_help_query[], cctl_help_search[], cctl_help_context[],
    cctl_help_summarize[], cctl_help_prune[], cctl_help_suggest_labels[],
    cctl_help_metrics[], cctl_help_rebuild[];

#endif
