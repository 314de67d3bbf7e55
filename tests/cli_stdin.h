/* Runs the `sekha` CLI as a child with stdin taken from a file (or /dev/null) and its whole
 * stdout kept, however large: for tests that feed input on stdin and read big answers back.
 * Synchronised by the child's output and exit, never by sleeping. */
#ifndef SEKHA_TEST_CLI_STDIN_H
#define SEKHA_TEST_CLI_STDIN_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct cli_run {
    int status;      /* exit status, 128 + signal when killed */
    char *out;       /* all of stdout, NUL-terminated */
    size_t out_len, out_cap;
    char err[16384]; /* the start of stderr */
    size_t err_len;
} cli_run;

static inline void cli_run_free(cli_run *r)
{
    if (r)
        free(r->out);
    free(r);
}

/* One read from fd into the run's buffers; clears *open at end of file. */
static inline void cli_run_drain(cli_run *r, int fd, int is_out, int *open)
{
    char tmp[65536];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        *open = 0;
        return;
    }
    if (!is_out) {
        size_t k = (size_t)n < sizeof r->err - 1 - r->err_len ? (size_t)n
                                                                : sizeof r->err - 1 - r->err_len;
        memcpy(r->err + r->err_len, tmp, k);
        r->err_len += k;
        r->err[r->err_len] = '\0';
        return;
    }
    if (r->out_len + (size_t)n + 1 > r->out_cap) {
        while (r->out_len + (size_t)n + 1 > r->out_cap)
            r->out_cap *= 2;
        r->out = realloc(r->out, r->out_cap);
        cr_assert_not_null(r->out);
    }
    memcpy(r->out + r->out_len, tmp, (size_t)n);
    r->out_len += (size_t)n;
    r->out[r->out_len] = '\0';
}

/* Runs $SEKHA_CLI [--controller-url url] args... (NULL-terminated) with stdin from in_path
 * (NULL = /dev/null); returns what it printed and its exit status (free with cli_run_free). */
static inline cli_run *cli_run_in(const char *url, const char *in_path, const char *const *args)
{
    const char *bin = getenv("SEKHA_CLI");
    cr_assert_not_null(bin, "SEKHA_CLI is not set");
    const char *argv[64];
    size_t a = 0;
    argv[a++] = bin;
    if (url) {
        argv[a++] = "--controller-url";
        argv[a++] = url;
    }
    for (size_t i = 0; args[i] && a < 63; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    int in = open(in_path ? in_path : "/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(in, 0, "cannot open %s", in_path ? in_path : "/dev/null");
    int po[2], pe[2];
    cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(in, STDIN_FILENO);
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(in);
    close(po[1]);
    close(pe[1]);
    cli_run *r = calloc(1, sizeof *r);
    cr_assert_not_null(r);
    r->out_cap = 4096;
    r->out = calloc(1, r->out_cap);
    cr_assert_not_null(r->out);
    int oo = 1, eo = 1;
    while (oo || eo) {
        struct pollfd p[2] = {{oo ? po[0] : -1, POLLIN, 0}, {eo ? pe[0] : -1, POLLIN, 0}};
        int n = poll(p, 2, 30000);
        if (n < 0 && errno == EINTR)
            continue;
        cr_assert_gt(n, 0, "the CLI hangs; stderr so far: %s", r->err);
        if (oo && p[0].revents)
            cli_run_drain(r, po[0], 1, &oo);
        if (eo && p[1].revents)
            cli_run_drain(r, pe[0], 0, &eo);
    }
    close(po[0]);
    close(pe[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

#endif
