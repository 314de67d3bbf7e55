/* Cold-start bench (workload 5): how long one whole process takes, from fork to
 * its exit, for a one-shot command such as `sekha --controller-url BASE query TEXT`.
 *
 *   bench_coldstart RUNS -- CMD ARGS...
 *
 * Runs CMD once as a warm-up (not counted: the page cache then holds its binaries and
 * libraries, as on a machine that uses the tool), then RUNS times, each timed from just
 * before fork to waitpid. stdin, stdout and stderr go to /dev/null. A non-zero exit, a
 * signal, a failed exec or a run longer than 60 s counts as an error.
 * Prints "runs=N median_us=X p10_us=X p90_us=X errors=E" (N = runs without error).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define RUN_TIMEOUT_S 60

/* One run: its wall time in seconds, or -1 on error. SIGCHLD is blocked by the caller so
 * that the wait can have a timeout without polling. */
static double run_once(char **cmd, const sigset_t *chld)
{
    /* a SIGCHLD left pending by the previous run would only cost a wasted wake-up later */
    struct timespec zero = {0, 0};
    while (sigtimedwait(chld, NULL, &zero) > 0)
        ;
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid < 0) {
        bench_warn("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* the child must not inherit the blocked SIGCHLD across exec */
        sigprocmask(SIG_UNBLOCK, chld, NULL);
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
            _exit(126);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    int status;
    struct timespec timeout = {RUN_TIMEOUT_S, 0};
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0) {
            bench_warn("waitpid: %s", strerror(errno));
            return -1;
        }
        /* SIGCHLD also arrives for a stopped child, hence the loop; a timeout is final. */
        if (sigtimedwait(chld, NULL, &timeout) < 0 && errno == EAGAIN) {
            bench_warn("%s ran longer than %d s: killed", cmd[0], RUN_TIMEOUT_S);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
    }
    double t = bench_now() - t0;
    if (WIFSIGNALED(status)) {
        bench_warn("%s died of signal %d", cmd[0], WTERMSIG(status));
        return -1;
    }
    if (WEXITSTATUS(status) != 0) {
        int code = WEXITSTATUS(status);
        bench_warn("%s exited with %d%s", cmd[0], code,
                   code == 127 ? " (not found or not executable?)" : "");
        return -1;
    }
    return t;
}

int main(int argc, char **argv)
{
    bench_prog = "bench_coldstart";
    char *end = NULL;
    long runs = argc >= 4 ? strtol(argv[1], &end, 10) : 0;
    if (argc < 4 || *end || runs < 1 || runs > 100000 || strcmp(argv[2], "--") != 0)
        bench_die("usage: bench_coldstart RUNS -- CMD ARGS...");
    char **cmd = argv + 3;

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    double *t = malloc((size_t)runs * sizeof *t);
    if (!t)
        bench_die("out of memory");
    size_t n = 0;
    long errors = 0;
    if (run_once(cmd, &chld) < 0) {
        /* the command fails as given: timing it more would only repeat the failure */
        printf("runs=0 median_us=nan p10_us=nan p90_us=nan errors=1\n");
        return 2;
    }
    for (long i = 0; i < runs; i++) {
        double s = run_once(cmd, &chld);
        if (s < 0)
            errors++;
        else
            t[n++] = s * 1e6;
    }
    double p10 = bench_quantile(t, n, 0.1), p50 = bench_quantile(t, n, 0.5),
           p90 = bench_quantile(t, n, 0.9);
    printf("runs=%zu median_us=%.1f p10_us=%.1f p90_us=%.1f errors=%ld\n", n, p50, p10, p90,
           errors);
    free(t);
    return errors ? 2 : 0;
}
