/* Runs the `sekha` CLI (or another program) as a child with stdout and stderr captured as
 * they come, optionally sending it a signal once some output arrived; synchronised by the
 * child's output and exit, never by sleeping. */
#ifndef SEKHA_TEST_CLI_RUNNER_H
#define SEKHA_TEST_CLI_RUNNER_H

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct cli_out {
    char out[32768], err[16384];
    size_t out_len, err_len;
    int out_reads;     /* read() calls that returned stdout bytes */
    int status;        /* exit status, or 128 + signal */
    int signaled;      /* the child died from a signal */
    double seconds;    /* from start to exit */
} cli_out;

static inline double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void cli_drain(int fd, char *buf, size_t cap, size_t *len, int *reads, int *open)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n <= 0) {
        *open = 0;
        return;
    }
    size_t k = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;
    memcpy(buf + *len, tmp, k);
    *len += k;
    buf[*len] = '\0';
    if (reads)
        (*reads)++;
}

/* Runs bin (NULL = $SEKHA_CLI) with args (NULL-terminated, program name excluded). When
 * sig is non-zero it is sent once stdout holds at least sig_after bytes and ready (when not
 * NULL) returns non-zero for ud; ready is asked after each output and every 20 ms of quiet,
 * a condition polled (say, a request reaching the devserver), never a sleep. */
static inline void cli_exec_when(const char *bin, const char *const *args, int sig,
                                 size_t sig_after, int (*ready)(void *), void *ud, cli_out *o)
{
    if (!bin)
        bin = getenv("SEKHA_CLI");
    cr_assert_not_null(bin, "SEKHA_CLI is not set");
    const char *argv[48] = {bin};
    size_t n = 1;
    for (; *args && n < 47; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    int out[2], err[2];
    cr_assert_eq(pipe(out), 0);
    cr_assert_eq(pipe(err), 0);
    memset(o, 0, sizeof *o);
    double t0 = cli_now();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        signal(SIGINT, SIG_DFL);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    int out_open = 1, err_open = 1, sent = 0;
    double quiet_since = cli_now();
    while (out_open || err_open) {
        struct pollfd p[2] = {{out_open ? out[0] : -1, POLLIN, 0},
                              {err_open ? err[0] : -1, POLLIN, 0}};
        int asking = sig && !sent && ready;
        int n = poll(p, 2, asking ? 20 : 20000);
        cr_assert(n > 0 || (asking && cli_now() - quiet_since < 20),
                  "the program hangs; stdout so far: %s", o->out);
        if (n > 0)
            quiet_since = cli_now();
        if (p[0].revents)
            cli_drain(out[0], o->out, sizeof o->out, &o->out_len, &o->out_reads, &out_open);
        if (p[1].revents)
            cli_drain(err[0], o->err, sizeof o->err, &o->err_len, NULL, &err_open);
        if (sig && !sent && o->out_len >= sig_after && (!ready || ready(ud))) {
            kill(pid, sig);
            sent = 1;
        }
    }
    close(out[0]);
    close(err[0]);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    o->seconds = cli_now() - t0;
    o->signaled = WIFSIGNALED(st);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* cli_exec_when without a condition: sig goes once stdout holds sig_after bytes. */
static inline void cli_exec(const char *bin, const char *const *args, int sig, size_t sig_after,
                            cli_out *o)
{
    cli_exec_when(bin, args, sig, sig_after, NULL, NULL, o);
}

/* 1 when text[0..len) (one trailing newline trimmed) is exactly one JSON value. */
static inline int cli_one_json_value(const char *text, size_t len)
{
    char *copy = strndup(text, len);
    cr_assert_not_null(copy);
    if (len && copy[len - 1] == '\n')
        copy[len - 1] = '\0';
    cJSON *v = cJSON_ParseWithOpts(copy, NULL, 1);
    free(copy);
    cJSON_Delete(v);
    return v != NULL;
}

/* Checks `sekha NAME --help` into *o: exit 0, stdout only, its own text (not the global
 * help, `all`), the same as `sekha help NAME`, every one of words[0..n) mentioned, no line
 * but the usage line wider than 89 columns. */
static inline void cli_check_help(const char *name, const char *all, const char *const *words,
                                  size_t n, cli_out *o)
{
    static cli_out h;
    const char *const a[] = {name, "--help", NULL};
    cli_exec(NULL, a, 0, 0, o);
    cr_assert_eq(o->status, 0, "%s --help: %s", name, o->err);
    cr_assert_gt(o->out_len, 0, "%s --help prints to stdout", name);
    cr_assert_eq(o->err_len, 0, "%s", o->err);
    cr_assert_str_neq(o->out, all, "%s --help is its own text", name);
    const char *const b[] = {"help", name, NULL};
    cli_exec(NULL, b, 0, 0, &h);
    cr_assert_eq(h.status, 0);
    cr_assert_str_eq(h.out, o->out, "sekha help %s equals sekha %s --help", name, name);
    for (size_t w = 0; w < n; w++)
        cr_assert_not_null(strstr(o->out, words[w]), "%s --help explains %s:\n%s", name,
                           words[w], o->out);
    for (const char *line = o->out; *line;) {
        size_t k = strcspn(line, "\n");
        if (strncmp(line, "usage:", 6) != 0)
            cr_assert_lt(k, 90, "a line of %s --help is too wide: %.*s", name, (int)k, line);
        line += k + (line[k] == '\n');
    }
}

#endif
