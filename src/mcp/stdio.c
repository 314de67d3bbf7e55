/* The stdio transport: the server is a child process speaking newline-delimited JSON-RPC
 * on its stdin and stdout, driven by the client's loop through fd watches (no threads, no
 * blocking reads). The child's stdin and stdout are socketpairs rather than pipes so that
 * writes can use MSG_NOSIGNAL: a library must not die of SIGPIPE, nor change the
 * process's signal handling to avoid it. Exit is watched through a pidfd; closing sends
 * end-of-input, then SIGTERM and SIGKILL if the child lingers, and always reaps it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcp/mcp_internal.h"

#define CLOSE_GRACE_MS 2000
#define REAP_POLL_MS 50     /* only without pidfd support */
#define READ_CHUNK 65536

extern char **environ;

typedef struct stdio_t {
    mcp_session *s;
    pid_t pid;              /* 0 once reaped */
    int pidfd;              /* -1 without kernel support */
    int wfd, rfd;           /* our ends of the child's stdin and stdout */
    sekha__watch ww, rw, pw;
    int ww_on, rw_on, pw_on;
    sekha_buf out;
    size_t out_off;
    sekha_buf in;           /* bytes of an unfinished line */
    int eof;                /* the child's stdout ended */
    int shut;               /* end-of-input requested by close */
    mcp_call *closer;
    mcp_timer kill_timer;
    int kill_stage;         /* signals sent so far while closing */
    int64_t next_signal_ms;
} stdio_t;

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static void watch(mcp_session *s, sekha__watch *w, int *on, int events)
{
    if (!s->loop)
        return;
    if (events) {
        w->events = events;
        if (sekha__loop_watch(s->loop, w) == 0)
            *on = 1;
    } else if (*on) {
        sekha__loop_unwatch(s->loop, w);
        *on = 0;
    }
}

/* The transport cannot work again: the session keeps the reason and its calls fail. */
static void broken(mcp_session *s, sekha_error *e)
{
    stdio_t *t = s->t;
    watch(s, &t->rw, &t->rw_on, 0);
    watch(s, &t->ww, &t->ww_on, 0);
    if (!s->broken)
        s->broken = sekha_error_copy(e);
    if (s->state >= MCP_CLOSING || s->freed) {
        sekha_error_free(e);
        return;
    }
    mcp_transport_lost(s, e);
}

static void end_closer(mcp_session *s)
{
    stdio_t *t = s->t;
    mcp_call *closer = t->closer;
    if (!closer)
        return;
    t->closer = NULL;
    mcp_call_end(closer, NULL);
    mcp_call_unref(closer);
}

static void reaped(mcp_session *s, int status)
{
    stdio_t *t = s->t;
    t->pid = 0;
    mcp_timer_disarm(s, &t->kill_timer);
    watch(s, &t->pw, &t->pw_on, 0);
    if (t->pidfd >= 0) {
        close(t->pidfd);
        t->pidfd = -1;
    }
    if (t->closer) {
        end_closer(s);
        return;
    }
    if (WIFSIGNALED(status))
        broken(s, sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                                   "the MCP server process was killed by signal %d",
                                   WTERMSIG(status)));
    else
        broken(s, sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                                   "the MCP server process exited with status %d",
                                   WEXITSTATUS(status)));
}

static void try_reap(mcp_session *s)
{
    stdio_t *t = s->t;
    int status = 0;
    if (t->pid > 0 && waitpid(t->pid, &status, WNOHANG) == t->pid)
        reaped(s, status);
}

static void on_pidfd(void *ud, int fd, int events)
{
    (void)fd;
    (void)events;
    mcp_session *s = ud;
    mcp_session_ref(s);
    try_reap(s);
    mcp_session_unref(s);
}

/* ---- writing ---- */

static void flush_out(mcp_session *s)
{
    stdio_t *t = s->t;
    while (t->out_off < t->out.len) {
        ssize_t n = send(t->wfd, t->out.data + t->out_off, t->out.len - t->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            t->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(s, &t->ww, &t->ww_on, SEKHA_WATCH_WRITE);
            return;
        }
        int e = errno;
        sekha__buf_clear(&t->out);
        t->out_off = 0;
        broken(s, sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                                   "cannot write to the MCP server process: %s", strerror(e)));
        return;
    }
    sekha__buf_clear(&t->out);
    t->out_off = 0;
    watch(s, &t->ww, &t->ww_on, 0);
    if (t->shut)
        shutdown(t->wfd, SHUT_WR);
}

static void on_writable(void *ud, int fd, int events)
{
    (void)fd;
    (void)events;
    mcp_session *s = ud;
    mcp_session_ref(s);
    flush_out(s);
    mcp_session_unref(s);
}

/* Queues one message line; returns 0, or -1 when the child can no longer be written to. */
static int write_line(mcp_session *s, const char *json)
{
    stdio_t *t = s->t;
    if (s->broken || t->shut)
        return -1;
    if (sekha__buf_puts(&t->out, json) != 0 || sekha__buf_append(&t->out, "\n", 1) != 0)
        return -1;
    flush_out(s);
    return s->broken ? -1 : 0;
}

/* ---- reading ---- */

static void take_lines(mcp_session *s)
{
    stdio_t *t = s->t;
    size_t start = 0;
    for (;;) {
        char *nl = memchr(t->in.data + start, '\n', t->in.len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - t->in.data), len = end - start;
        if (len > 0 && t->in.data[end - 1] == '\r')
            len--;
        if (len > 0)
            mcp_receive(s, t->in.data + start, len);
        start = end + 1;
        if (s->freed || t->rfd < 0)
            break;
    }
    if (start > 0) {
        memmove(t->in.data, t->in.data + start, t->in.len - start);
        t->in.len -= start;
    }
}

static void on_readable(void *ud, int fd, int events)
{
    (void)events;
    mcp_session *s = ud;
    stdio_t *t = s->t;
    char buf[READ_CHUNK];
    mcp_session_ref(s);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            if (sekha__buf_append(&t->in, buf, (size_t)n) != 0 ||
                t->in.len > s->c->opts->max_event_bytes) {
                broken(s, sekha__error_new(SEKHA_E_TOO_LARGE, SEKHA_LAYER_TRANSPORT,
                                           "a line from the MCP server exceeded %zu bytes",
                                           s->c->opts->max_event_bytes));
                break;
            }
            take_lines(s);
            if (s->broken || s->freed)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        t->eof = 1;
        watch(s, &t->rw, &t->rw_on, 0);
        if (!t->closer)
            broken(s, sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                                       "the MCP server process closed its output"));
        try_reap(s);
        break;
    }
    mcp_session_unref(s);
}

/* ---- the transport ---- */

static int stdio_bind(mcp_session *s)
{
    stdio_t *t = s->t;
    t->rw = (sekha__watch){.fd = t->rfd, .fn = on_readable, .ud = s};
    t->ww = (sekha__watch){.fd = t->wfd, .fn = on_writable, .ud = s};
    t->pw = (sekha__watch){.fd = t->pidfd, .fn = on_pidfd, .ud = s};
    if (!t->eof)
        watch(s, &t->rw, &t->rw_on, SEKHA_WATCH_READ);
    if (t->pidfd >= 0)
        watch(s, &t->pw, &t->pw_on, SEKHA_WATCH_READ);
    return t->eof || t->rw_on ? 0 : -1;
}

static void stdio_send_call(mcp_session *s, mcp_call *call)
{
    if (write_line(s, call->wire) != 0 && call->state == MCP_SENT) {
        sekha_error *e = s->broken ? sekha_error_copy(s->broken) : NULL;
        mcp_call_end(call, e ? e : sekha__error_new(SEKHA_E_CONNECTION_LOST, SEKHA_LAYER_TRANSPORT,
                                                    "the MCP server process is gone"));
    }
}

static void stdio_send_oneway(mcp_session *s, char *json, mcp_sent_fn done, void *ctx)
{
    int rc = write_line(s, json);
    free(json);
    if (!done)
        return;
    sekha_error *e = rc == 0 ? NULL : sekha__error_new(SEKHA_E_CONNECTION_LOST,
                                                       SEKHA_LAYER_TRANSPORT,
                                                       "the MCP server process is gone");
    done(s, ctx, e); /* written in order: nothing sent later can overtake it */
    sekha_error_free(e);
}

static void stdio_forget_call(mcp_session *s, mcp_call *call)
{
    stdio_t *t = s->t;
    if (t->closer == call) {
        t->closer = NULL;
        mcp_call_unref(call);
    }
}

/* Escalates a close the child ignores: end-of-input, then SIGTERM, then SIGKILL, each
 * after a grace period; without a pidfd it also polls for the exit. */
static void kill_fire(mcp_timer *timer)
{
    stdio_t *t = CONTAINER(timer, stdio_t, kill_timer);
    mcp_session *s = t->s;
    try_reap(s);
    if (t->pid <= 0)
        return;
    int64_t now = sekha__now_ms();
    if (now >= t->next_signal_ms && t->kill_stage < 2) {
        kill(t->pid, t->kill_stage == 0 ? SIGTERM : SIGKILL);
        t->kill_stage++;
        t->next_signal_ms = now + CLOSE_GRACE_MS;
    }
    int64_t next = t->pidfd >= 0 ? t->next_signal_ms : now + REAP_POLL_MS;
    if (t->pidfd < 0 || t->kill_stage < 2)
        mcp_timer_arm(s, &t->kill_timer, next);
}

static void stdio_close(mcp_session *s, mcp_call *closer)
{
    stdio_t *t = s->t;
    mcp_call_ref(closer);
    t->closer = closer;
    if (t->pid <= 0) {
        end_closer(s);
        return;
    }
    t->shut = 1;
    if (t->out_off >= t->out.len)
        shutdown(t->wfd, SHUT_WR); /* otherwise once the queued lines are out */
    t->kill_stage = 0;
    t->next_signal_ms = sekha__now_ms() + CLOSE_GRACE_MS;
    t->kill_timer.fn = kill_fire;
    mcp_timer_arm(s, &t->kill_timer, t->pidfd >= 0 ? t->next_signal_ms
                                                   : sekha__now_ms() + REAP_POLL_MS);
}

static void stop_child(mcp_session *s)
{
    stdio_t *t = s->t;
    if (t->pid > 0) {
        kill(t->pid, SIGKILL);
        int status;
        while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR) {
        }
        t->pid = 0;
    }
    watch(s, &t->rw, &t->rw_on, 0);
    watch(s, &t->ww, &t->ww_on, 0);
    watch(s, &t->pw, &t->pw_on, 0);
    mcp_timer_disarm(s, &t->kill_timer);
}

static void stdio_abort(mcp_session *s)
{
    stdio_t *t = s->t;
    stop_child(s);
    if (t->closer) {
        mcp_call_unref(t->closer);
        t->closer = NULL;
    }
}

static void stdio_destroy(mcp_session *s)
{
    stdio_t *t = s->t;
    if (!t)
        return;
    stop_child(s);
    if (t->pidfd >= 0)
        close(t->pidfd);
    if (t->wfd >= 0)
        close(t->wfd);
    if (t->rfd >= 0)
        close(t->rfd);
    sekha__buf_free(&t->out);
    sekha__buf_free(&t->in);
    free(t);
}

const mcp_transport_ops mcp_stdio_ops = {
    .name = "stdio",
    .send_call = stdio_send_call,
    .send_oneway = stdio_send_oneway,
    .forget_call = stdio_forget_call,
    .close = stdio_close,
    .abort = stdio_abort,
    .bind = stdio_bind,
    .destroy = stdio_destroy,
};

/* Starts the child; 0, or -1 with *err. */
static int spawn(mcp_session *s, const char *const *argv, sekha_error **err)
{
    int in_pair[2] = {-1, -1}, out_pair[2] = {-1, -1};
    stdio_t *t = calloc(1, sizeof *t);
    if (!t || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out_pair) != 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (in_pair[i] >= 0)
                close(in_pair[i]);
            if (out_pair[i] >= 0)
                close(out_pair[i]);
        }
        free(t);
        *err = sekha__error_new(SEKHA_E_INTERNAL, SEKHA_LAYER_LOCAL, "socketpair: %s", strerror(e));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, in_pair[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out_pair[1], STDOUT_FILENO);
    /* Sockets and pipes of this process (libcurl's connections, other children) are none
     * of the server's business, and holding them would keep them alive. */
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in_pair[1]);
    close(out_pair[1]);
    if (rc != 0) {
        close(in_pair[0]);
        close(out_pair[0]);
        free(t);
        *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                "cannot start the MCP server \"%s\": %s", argv[0], strerror(rc));
        return -1;
    }
    t->s = s;
    t->pid = pid;
    t->wfd = in_pair[0];
    t->rfd = out_pair[0];
    fcntl(t->wfd, F_SETFL, fcntl(t->wfd, F_GETFL) | O_NONBLOCK);
    fcntl(t->rfd, F_SETFL, fcntl(t->rfd, F_GETFL) | O_NONBLOCK);
#ifdef SYS_pidfd_open
    t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
    t->pidfd = -1;
#endif
    s->t = t;
    return 0;
}

sekha_mcp_session *sekha_mcp_session_new_stdio(sekha_client *c, const char *const *argv,
                                               sekha_error **err)
{
    sekha_error *local = NULL;
    if (!argv || !argv[0] || !*argv[0]) {
        if (err)
            *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "argv must name the server program");
        return NULL;
    }
    mcp_session *s = mcp_session_alloc(c, &mcp_stdio_ops, NULL, err);
    if (!s)
        return NULL;
    if (spawn(s, argv, &local) != 0) {
        mcp_session_unref(s);
        if (err)
            *err = local;
        else
            sekha_error_free(local);
        return NULL;
    }
    return s;
}
