/* Starting and steering a sekha-devserver child process from a test. */
#ifndef SEKHA_TEST_DEVSERVER_H
#define SEKHA_TEST_DEVSERVER_H

#include <stddef.h>

typedef struct ds_proc {
    int pid;
    char controller_url[128];
    char bridge_url[128];
    char mcp_url[128];         /* SEKHA_MCP_URL: base of /mcp/tools/<tool> (the controller) */
    char mcp_jsonrpc_url[160]; /* the MCP JSON-RPC endpoint (mcp_url + "/mcp") */
    char mcp_api_key[128];     /* SEKHA_MCP_API_KEY the devserver accepts */
} ds_proc;

/* The stack the devservers imitate in this run: $SEKHA_TEST_UPSTREAM ("2026-01",
 * "2026-02"), or NULL for the devserver's own mode. Tests whose outcome depends on an
 * upstream quirk branch on it. */
const char *ds_test_upstream(void);

/* 1 when this run's devservers imitate that stack ("2026-01", "2026-02"), else 0. */
int ds_test_upstream_is(const char *version);

/* Forks and execs $SEKHA_DEVSERVER_BIN --port 0 --bridge-port 0 --faults [--upstream V]
 * [extra_args...] (extra_args is NULL-terminated, or NULL; --upstream V when
 * $SEKHA_TEST_UPSTREAM is set and extra_args name no --upstream of their own), waits up to
 * 10 s for its ready line and fills in the URLs. Returns 0 on success; on failure the child
 * (if any) is gone and p->pid is 0. */
int ds_proc_start(ds_proc *p, const char *const *extra_args);

/* Like ds_proc_start, but runs $SEKHA_DEVSERVER_BIN --port 0 --bridge-port 0 --replay
 * cassette (no --faults: replay answers from the cassette only). */
int ds_proc_start_replay(ds_proc *p, const char *cassette);

/* Runs the devserver with --replay cassette expecting it to refuse the file: waits up to
 * 10 s for it to exit and returns its exit status (-1 when it could not run; 128 + 15 when
 * it served instead and was stopped). out receives what it wrote (stdout and stderr). */
int ds_proc_replay_fails(const char *cassette, char *out, size_t outlen);

/* SIGTERM, then wait up to 10 s (SIGKILL after that). Returns the exit status, 128 + signal
 * number when it died from a signal, -1 when there was nothing to stop. */
int ds_proc_stop(ds_proc *p);

/* ds_proc_stop for a suite's .fini: a non-zero exit is how a sanitizer in the server (a
 * leak, undefined behaviour) reaches the tests, and Criterion ignores failed expectations
 * in .fini but not a crash, so that exit aborts. */
void ds_proc_stop_or_abort(ds_proc *p);

/* POSTs rule_json to <url_base>/_devserver/faults. url_base is p->controller_url or
 * p->bridge_url (NULL = controller). Returns 0 when the server accepted the rule. */
int ds_proc_fault(const ds_proc *p, const char *url_base, const char *rule_json);

/* Removes every fault rule of both listeners. Returns 0 on success. */
int ds_proc_clear_faults(const ds_proc *p);

/* How many requests reached path on that listener (GET /_devserver/requests), -1 on error. */
long ds_proc_count(const ds_proc *p, const char *url_base, const char *path);

#endif
