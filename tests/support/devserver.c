/* Test-side control of a sekha-devserver child. Synchronisation is by the ready line (read
 * with poll and a deadline) and by the child's exit (a pidfd), never by sleeping. */
#include "devserver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* Copies the string value of "key" in a flat JSON line into out. */
static int json_field(const char *line, const char *key, char *out, size_t outlen)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *s = strstr(line, pat);
    if (!s)
        return -1;
    s += strlen(pat);
    const char *e = strchr(s, '"');
    if (!e || (size_t)(e - s) >= outlen)
        return -1;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return 0;
}

/* Waits for the child to exit, up to ms; returns 1 and fills *status when it did. */
static int wait_exit(pid_t pid, int ms, int *status)
{
    long long deadline = now_ms() + ms;
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            if (pfd >= 0)
                close(pfd);
            return r == pid;
        }
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        if (pfd >= 0) {
            struct pollfd p = { .fd = pfd, .events = POLLIN, .revents = 0 };
            (void)poll(&p, 1, (int)left);
        } else {
            /* Kernels without pidfd: a bounded re-check, not a synchronisation sleep. */
            struct timespec ts = { 0, 10 * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    if (pfd >= 0)
        close(pfd);
    return 0;
}

static int reap(pid_t pid)
{
    int status = 0;
    if (!wait_exit(pid, STOP_TIMEOUT_MS, &status)) {
        kill(pid, SIGKILL);
        if (!wait_exit(pid, STOP_TIMEOUT_MS, &status))
            return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* Reads fd into out (NUL-terminated, cut at outlen - 1) until a newline when at_line, else
 * until end of file, for at most START_TIMEOUT_MS. Returns 1 when a line ended the wait,
 * 0 otherwise (end of file, the deadline, an error). */
static int read_until(int fd, char *out, size_t outlen, int at_line)
{
    size_t len = 0;
    out[0] = '\0';
    long long deadline = now_ms() + START_TIMEOUT_MS;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pf = { .fd = fd, .events = POLLIN, .revents = 0 };
        int r = poll(&pf, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        char buf[512];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        size_t keep = (size_t)n < outlen - 1 - len ? (size_t)n : outlen - 1 - len;
        memcpy(out + len, buf, keep);
        len += keep;
        out[len] = '\0';
        if (at_line && strchr(out, '\n'))
            return 1;
        if (at_line && len == outlen - 1)
            return 0;
    }
}

const char *ds_test_upstream(void)
{
    const char *v = getenv("SEKHA_TEST_UPSTREAM");
    return v && *v ? v : NULL;
}

int ds_test_upstream_is(const char *version)
{
    const char *v = ds_test_upstream();
    return v && version && strcmp(v, version) == 0;
}

static int start_with(ds_proc *p, int faults, const char *const *extra_args)
{
    memset(p, 0, sizeof *p);
    const char *bin = getenv("SEKHA_DEVSERVER_BIN");
    if (!bin || !*bin) {
        fprintf(stderr, "ds_proc_start: SEKHA_DEVSERVER_BIN is not set\n");
        return -1;
    }
    size_t nextra = 0;
    int own_upstream = 0;
    while (extra_args && extra_args[nextra])
        own_upstream |= !strcmp(extra_args[nextra++], "--upstream");
    /* A test that names its own stack keeps it; replay has no stack to imitate. */
    const char *upstream = faults && !own_upstream ? ds_test_upstream() : NULL;
    const char **argv = calloc(nextra + 9, sizeof *argv);
    if (!argv)
        return -1;
    size_t a = 0;
    argv[a++] = bin;
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--bridge-port";
    argv[a++] = "0";
    if (faults)
        argv[a++] = "--faults";
    if (upstream) {
        argv[a++] = "--upstream";
        argv[a++] = upstream;
    }
    for (size_t i = 0; i < nextra; i++)
        argv[a++] = extra_args[i];
    argv[a] = NULL;

    /* CLOEXEC so devservers started by other tests in this process never hold our pipe. */
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(argv);
        return -1;
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(argv);
        return -1;
    }
    if (pid == 0) {
        /* A test worker that crashes never runs its teardown; the orphaned devserver would
         * then hold the test's output pipe open and the runner would wait for it until the
         * timeout. Dying with the parent avoids that. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(fds[1], STDOUT_FILENO);
        /* Whatever else this test process has open (client sockets, other pipes) is none of
         * the devserver's business. */
        close_range(3, ~0U, 0);
        execv(bin, (char *const *)argv);
        static const char msg[] = "ds_proc_start: cannot exec $SEKHA_DEVSERVER_BIN\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);   /* stdio is not fork-safe */
        _exit(127);
    }
    free(argv);
    close(fds[1]);

    char line[8192]; /* room for a long --mcp-api-key */
    int ok = read_until(fds[0], line, sizeof line, 1) == 1;
    /* The devserver writes nothing after the ready line; closing our end means a later write
     * fails with EPIPE (it ignores SIGPIPE) instead of ever blocking on a full pipe. */
    close(fds[0]);
    if (ok)
        ok = json_field(line, "controller_url", p->controller_url, sizeof p->controller_url) == 0
             && json_field(line, "bridge_url", p->bridge_url, sizeof p->bridge_url) == 0
             && json_field(line, "mcp_url", p->mcp_url, sizeof p->mcp_url) == 0
             && json_field(line, "mcp_jsonrpc_url", p->mcp_jsonrpc_url,
                           sizeof p->mcp_jsonrpc_url) == 0;
    /* A key too long for the field (or one that needs escaping) is left empty: only the
     * tests of the default key read it. */
    if (ok && json_field(line, "mcp_api_key", p->mcp_api_key, sizeof p->mcp_api_key) != 0)
        p->mcp_api_key[0] = '\0';
    if (!ok) {
        fprintf(stderr, "ds_proc_start: no ready line from %s\n", bin);
        kill(pid, SIGKILL);
        (void)reap(pid);
        memset(p, 0, sizeof *p);
        return -1;
    }
    p->pid = (int)pid;
    return 0;
}

int ds_proc_start(ds_proc *p, const char *const *extra_args)
{
    return start_with(p, 1, extra_args);
}

int ds_proc_start_replay(ds_proc *p, const char *cassette)
{
    const char *extra[] = { "--replay", cassette, NULL };
    return start_with(p, 0, extra);
}

int ds_proc_replay_fails(const char *cassette, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *bin = getenv("SEKHA_DEVSERVER_BIN");
    if (!bin || !*bin)
        return -1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close_range(3, ~0U, 0);
        execl(bin, bin, "--port", "0", "--bridge-port", "0", "--replay", cassette,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* Its output ends (EOF) when it exits; a server that started instead never closes it,
     * and the deadline ends the wait. */
    read_until(fds[0], out, outlen, 0);
    close(fds[0]);
    kill(pid, SIGTERM);   /* harmless when it has exited already: it is not reaped yet */
    return reap(pid);
}

int ds_proc_stop(ds_proc *p)
{
    if (!p || p->pid <= 0)
        return -1;
    pid_t pid = (pid_t)p->pid;
    p->pid = 0;
    kill(pid, SIGTERM);
    return reap(pid);
}

void ds_proc_stop_or_abort(ds_proc *p)
{
    int rc = ds_proc_stop(p);
    if (rc != 0 && rc != -1) {
        fprintf(stderr, "devserver exited with status %d\n", rc);
        abort();
    }
}

typedef struct body_buf {
    char data[512];
    size_t len;
} body_buf;

static size_t keep_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    body_buf *b = userdata;
    size_t n = size * nmemb, room = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, ptr, n < room ? n : room);
    b->len += n < room ? n : room;
    b->data[b->len] = '\0';
    return size * nmemb;
}

/* One request with a private easy handle; returns the HTTP status or -1. */
static long call_method(const char *method, const char *url, const char *post_body, body_buf *out)
{
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    struct curl_slist *hdr = NULL;
    if (post_body) {
        hdr = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body);
    }
    if (method)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    long status = -1;
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "devserver control %s: %s\n", url, curl_easy_strerror(rc));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return status;
}

static long call(const char *url, const char *post_body, body_buf *out)
{
    return call_method(NULL, url, post_body, out);
}

static const char *base_of(const ds_proc *p, const char *url_base)
{
    return url_base ? url_base : p->controller_url;
}

int ds_proc_fault(const ds_proc *p, const char *url_base, const char *rule_json)
{
    char url[256];
    snprintf(url, sizeof url, "%s/_devserver/faults", base_of(p, url_base));
    body_buf b = { .len = 0 };
    long status = call(url, rule_json, &b);
    if (status != 200) {
        fprintf(stderr, "ds_proc_fault: HTTP %ld %s\n", status, b.data);
        return -1;
    }
    return 0;
}

long ds_proc_count(const ds_proc *p, const char *url_base, const char *path)
{
    CURL *h = curl_easy_init();
    char *esc = h ? curl_easy_escape(h, path, 0) : NULL;
    if (h)
        curl_easy_cleanup(h);
    if (!esc)
        return -1;
    char url[1024];
    snprintf(url, sizeof url, "%s/_devserver/requests?path=%s", base_of(p, url_base), esc);
    curl_free(esc);
    body_buf b = { .len = 0 };
    if (call(url, NULL, &b) != 200)
        return -1;
    const char *c = strstr(b.data, "\"count\":");
    return c ? strtol(c + 8, NULL, 10) : -1;
}

int ds_proc_clear_faults(const ds_proc *p)
{
    char url[256];
    snprintf(url, sizeof url, "%s/_devserver/faults", p->controller_url);
    body_buf b = { .len = 0 };
    return call_method("DELETE", url, NULL, &b) == 200 ? 0 : -1;
}
