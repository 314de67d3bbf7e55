/* The waiting spinner of the `sekha` tool, and Ctrl-C handling for its streams. It runs on a thread of the tool (libsekha starts
 * none): sync calls hold the main thread until they return, and the spinner must move
 * meanwhile. It only ever writes to stderr, and only when that is a terminal. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define FIRST_DRAW_MS 500
#define FRAME_MS 100

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, stop;
    char what[64];
    struct timespec started;
} spin = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void add_ms(struct timespec *t, long ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static double since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void *spin_main(void *arg)
{
    (void)arg;
    static const char frames[] = "|/-\\";
    struct timespec next = spin.started;
    add_ms(&next, FIRST_DRAW_MS);
    int drawn = 0;
    pthread_mutex_lock(&spin.lock);
    for (unsigned k = 0; !spin.stop; k++) {
        if (pthread_cond_timedwait(&spin.wake, &spin.lock, &next) != ETIMEDOUT)
            continue; /* stop asked, or a spurious wakeup: the loop condition decides */
        fprintf(stderr, "\r%c %s %.1fs ", frames[k % 4], spin.what, since(&spin.started));
        fflush(stderr);
        drawn = 1;
        add_ms(&next, FRAME_MS);
    }
    if (drawn) {
        fputs("\r\033[K", stderr); /* leave the line as it was */
        fflush(stderr);
    }
    pthread_mutex_unlock(&spin.lock);
    return NULL;
}

void cli_spinner_start(cli *c, const char *what)
{
    if (spin.running || c->verbose || !isatty(STDERR_FILENO))
        return;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&spin.wake, &attr);
    pthread_condattr_destroy(&attr);
    snprintf(spin.what, sizeof spin.what, "%s", what);
    clock_gettime(CLOCK_MONOTONIC, &spin.started);
    spin.stop = 0;
    if (pthread_create(&spin.thread, NULL, spin_main, NULL) != 0) {
        pthread_cond_destroy(&spin.wake);
        return; /* no spinner is no failure */
    }
    spin.running = 1;
}

void cli_spinner_stop(void)
{
    if (!spin.running)
        return;
    pthread_mutex_lock(&spin.lock);
    spin.stop = 1;
    pthread_cond_signal(&spin.wake);
    pthread_mutex_unlock(&spin.lock);
    pthread_join(spin.thread, NULL);
    pthread_cond_destroy(&spin.wake);
    spin.running = 0;
}

/* ---- Ctrl-C during a stream ---- */

/* Set by the SIGINT handler, which does nothing else but wake the loop: both are
 * async-signal-safe (sekha_client_wakeup is one write(2) to an eventfd). The loop then
 * cancels the request from the client's own thread. */
static volatile sig_atomic_t interrupted;
static sekha_client *signal_client;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
    sekha_client_wakeup(signal_client);
}

int cli_interrupted(void)
{
    return interrupted != 0;
}

void cli_run_interruptible(sekha_client *client, sekha_request *req, const int *done)
{
    /* SA_RESETHAND: a second Ctrl-C, should cancelling ever hang, ends the process. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    signal_client = client;
    sigaction(SIGINT, &sa, &old);
    int cancelled = 0;
    while (!*done) {
        sekha_client_poll(client, -1);
        if (interrupted && !cancelled && !*done) {
            cancelled = 1;
            sekha_request_cancel(req);
        }
    }
    sigaction(SIGINT, &old, NULL);
}
