/* MCP test fixtures: a Streamable HTTP session on the client's MCP base, and scripted
 * stdio servers (`sh -c SCRIPT sh TMPDIR`, where the script can write its pid to
 * TMPDIR/pid so a test can check that the child was reaped). */
#ifndef SEKHA_TEST_MCP_FIXTURE_H
#define SEKHA_TEST_MCP_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "sekha/sekha.h"

/* A Streamable HTTP session at <MCP base URL>/mcp. */
static inline sekha_mcp_session *http_session(sekha_client *c)
{
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, NULL, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    return s;
}

static char tmpdir[64];

static inline void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sekha-mcp-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static inline void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static inline long read_pid(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/pid", tmpdir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    long pid = 0;
    cr_assert_eq(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    return pid;
}

static inline int reaped(long pid)
{
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH; /* a zombie would still be there */
}

static inline sekha_mcp_session *stdio_session(sekha_client *c, const char *script)
{
    const char *argv[] = {"sh", "-c", script, "sh", tmpdir, NULL};
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_stdio(c, argv, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    return s;
}

/* A script line that prints one JSON line. */
#define LINE(json) "printf '%s\\n' '" json "'\n"

#endif
