#define _POSIX_C_SOURCE 200809L /* clock_gettime and CLOCK_MONOTONIC under -std=c11 */
/* Driving libsekha from your own event loop (mode B), here a plain poll() loop.
 *
 * libsekha tells the loop which sockets to watch (watch hook) and when to call back
 * (timer hook); the loop reports readiness with sekha_client_socket_ready() and expired
 * timers with sekha_client_timer_expired(). The same glue works for epoll, libuv, libev or
 * a GUI toolkit's main loop.
 *
 * Usage: event_loop_poll [N [PATH]]   (controller URL from SEKHA_CONTROLLER_URL)
 * Sends N concurrent GET PATH requests (default 20 x /health) and prints a summary. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sekha/sekha.h>

#define MAX_FDS 1024

typedef struct app {
    struct pollfd fds[MAX_FDS];
    int nfds;
    long long deadline_ms; /* -1: no timer */
    int ok, failed;
} app;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_watch(sekha_client *c, int fd, int events, void *ud)
{
    (void)c;
    app *a = ud;
    short want = (short)(((events & SEKHA_WATCH_READ) ? POLLIN : 0) |
                         ((events & SEKHA_WATCH_WRITE) ? POLLOUT : 0));
    for (int i = 0; i < a->nfds; i++) {
        if (a->fds[i].fd != fd)
            continue;
        if (events == 0)
            a->fds[i] = a->fds[--a->nfds]; /* stop watching */
        else
            a->fds[i].events = want;
        return;
    }
    if (events != 0 && a->nfds < MAX_FDS)
        a->fds[a->nfds++] = (struct pollfd){.fd = fd, .events = want};
}

static void on_timer(sekha_client *c, long timeout_ms, void *ud)
{
    (void)c;
    app *a = ud;
    a->deadline_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static void on_done(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    (void)req;
    app *a = ud;
    if (err) {
        a->failed++;
        fprintf(stderr, "request failed: %s\n", sekha_error_message(err));
    } else {
        a->ok++;
        (void)resp;
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    const char *path = argc > 2 ? argv[2] : "/health";
    sekha_options *opts = sekha_options_new();
    if (!opts || sekha_options_from_env(opts) != SEKHA_OK) {
        fprintf(stderr, "bad environment: %s\n", sekha_options_last_error(opts));
        return 2;
    }
    sekha_error *err = NULL;
    sekha_client *client = sekha_client_new(opts, &err);
    sekha_options_free(opts);
    if (!client) {
        fprintf(stderr, "%s\n", sekha_error_message(err));
        sekha_error_free(err);
        return 2;
    }
    app a = {.deadline_ms = -1};
    sekha_client_set_loop_hooks(client, on_watch, on_timer, &a);
    char line[1024];
    snprintf(line, sizeof line, "GET %s", path);
    for (int i = 0; i < n; i++)
        sekha_http_request(client, SEKHA_SERVICE_CONTROLLER, line, NULL, on_done, &a);

    while (sekha_client_pending(client) > 0) {
        int timeout = -1;
        if (a.deadline_ms >= 0) {
            long long left = a.deadline_ms - now_ms();
            timeout = left < 0 ? 0 : (int)left;
        }
        int ready = poll(a.fds, (nfds_t)a.nfds, timeout);
        if (ready < 0)
            break;
        /* Readiness is handed over after the scan: the hooks may edit the fd array. */
        struct pollfd seen[MAX_FDS];
        int nseen = 0;
        for (int i = 0; i < a.nfds && ready > 0; i++)
            if (a.fds[i].revents)
                seen[nseen++] = a.fds[i];
        for (int i = 0; i < nseen; i++) {
            int ev = ((seen[i].revents & (POLLIN | POLLHUP | POLLERR)) ? SEKHA_WATCH_READ : 0) |
                     ((seen[i].revents & (POLLOUT | POLLHUP | POLLERR)) ? SEKHA_WATCH_WRITE : 0);
            sekha_client_socket_ready(client, seen[i].fd, ev);
        }
        if (a.deadline_ms >= 0 && now_ms() >= a.deadline_ms) {
            a.deadline_ms = -1;
            sekha_client_timer_expired(client);
        }
    }
    printf("%d ok, %d failed\n", a.ok, a.failed);
    sekha_client_free(client);
    return a.failed == 0 && a.ok == n ? 0 : 1;
}
