/* Shared by the bench programs: the local SSE server and the pre-generated stream. */
#ifndef SEKHA_BENCH_H
#define SEKHA_BENCH_H

#include <stddef.h>

/* A listening socket on 127.0.0.1 with a free port (stored in *port), -1 on failure. */
int bench_listen(int *port);

/* Serves body as a text/event-stream answer to every request, forever (run in a child). */
void bench_serve(int listen_fd, const char *body, size_t len);

#endif
