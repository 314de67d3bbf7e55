/* Starting third-party peer servers (npm packages, node) for tests, on loopback only. */
#ifndef SEKHA_TEST_PEER_H
#define SEKHA_TEST_PEER_H

typedef struct peer_proc {
    int pid;
    int port;
} peer_proc;

/* A free TCP port on 127.0.0.1 (bound and released; good enough for a test's lifetime). */
int peer_free_port(void);

/* Forks and execs argv (argv[0] searched in PATH) with extra environment entries
 * ("NAME=value", NULL-terminated, may be NULL) added, in directory cwd (NULL = current).
 * The child dies with its parent. Then waits up to timeout_ms until 127.0.0.1:port accepts
 * connections. Returns 0 on success; on failure the child is stopped and -1 returned. */
int peer_start(peer_proc *p, const char *const *argv, const char *const *env, const char *cwd,
               int port, int timeout_ms);

/* SIGTERM (SIGKILL after 5 s) and reap. Returns the exit status or 128 + signal. */
int peer_stop(peer_proc *p);

/* The node_modules folder of tests/peers (from $SEKHA_PEERS_DIR), or NULL when the peers
 * are not installed. */
const char *peer_modules_dir(void);

#endif
