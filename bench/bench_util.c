/* Helpers shared by the bench programs; see bench.h. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sekha/sekha.h>

#include "bench.h"

const char *bench_prog = "bench";

static void vwarn(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", bench_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    exit(1);
}

void bench_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

long bench_status_kb(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    size_t n = strlen(name);
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

int bench_raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        bench_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= (rlim_t)need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
        bench_warn("needs %ld open files but the hard limit is %llu (raise it with "
                   "`ulimit -Hn %ld` as root, or run fewer streams)",
                   need, (unsigned long long)rl.rlim_max, need);
        return -1;
    }
    rl.rlim_cur = (rlim_t)need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        bench_warn("cannot raise the open-file limit to %ld: %s", need, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (v[lo + 1] - v[lo]) * (pos - (double)lo);
}

/* ------------------------------------------------------------------ epoll-driven multi */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *ud, void *sockp)
{
    (void)easy;
    (void)sockp;
    bench_multi *m = ud;
    if (what == CURL_POLL_REMOVE) {
        /* libcurl may already have closed it, which removed it from the epoll set. */
        epoll_ctl(m->ep, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = s;
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    if (epoll_ctl(m->ep, EPOLL_CTL_MOD, s, &ev) != 0 &&
        (errno != ENOENT || epoll_ctl(m->ep, EPOLL_CTL_ADD, s, &ev) != 0))
        bench_warn("epoll_ctl on a libcurl socket: %s", strerror(errno));
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
    (void)multi;
    bench_multi *m = ud;
    /* libcurl forbids acting from inside this callback: remember when, act in the loop. */
    m->deadline = timeout_ms < 0 ? -1.0 : bench_now() + (double)timeout_ms / 1e3;
    return 0;
}

int bench_multi_init(bench_multi *m)
{
    m->deadline = -1;
    m->running = 0;
    m->ep = epoll_create1(EPOLL_CLOEXEC);
    m->multi = curl_multi_init();
    if (m->ep < 0 || !m->multi) {
        bench_warn("cannot create the libcurl multi or its epoll set");
        return -1;
    }
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    return 0;
}

void bench_multi_add(bench_multi *m, CURL *easy)
{
    CURLMcode rc = curl_multi_add_handle(m->multi, easy);
    if (rc != CURLM_OK)
        bench_die("curl_multi_add_handle: %s", curl_multi_strerror(rc));
    if (m->deadline >= 0 && m->deadline <= bench_now()) {
        m->deadline = -1;
        curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &m->running);
    }
}

void bench_multi_step(bench_multi *m, int max_ms)
{
    int wait = max_ms;
    if (m->deadline >= 0) {
        double left = ceil((m->deadline - bench_now()) * 1e3);
        wait = left <= 0 ? 0 : left < max_ms ? (int)left : max_ms;
    }
    struct epoll_event evs[256];
    int n = epoll_wait(m->ep, evs, 256, wait);
    if (n < 0 && errno != EINTR)
        bench_die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
        int mask = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                   ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                   /* an error or hang-up: let libcurl find out by reading and writing */
                   ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_IN | CURL_CSELECT_OUT : 0);
        curl_multi_socket_action(m->multi, evs[i].data.fd, mask, &m->running);
    }
    if (m->deadline >= 0 && m->deadline <= bench_now()) {
        m->deadline = -1;
        curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &m->running);
    }
}

void bench_multi_cleanup(bench_multi *m)
{
    if (m->multi)
        curl_multi_cleanup(m->multi);
    if (m->ep >= 0)
        close(m->ep);
    m->multi = NULL;
    m->ep = -1;
}

const char *bench_ca_file(void)
{
    const char *ca = getenv("BENCH_CA_FILE");
    return ca && *ca ? ca : NULL;
}

void bench_easy_tls(CURL *e)
{
    const char *ca = bench_ca_file();
    if (ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    /* libsekha's 16 KiB, not libcurl's default 64 KiB: over HTTPS libcurl copies every
     * request into this buffer, allocated and freed per request, and at 64 KiB with many
     * transfers in flight it can set glibc's heap trimming off (brk up and down thousands
     * of times a second), which moved a raw run by up to 40% at random. With the same
     * size on both sides a pair differs only in the client's own work. */
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
}

void bench_easy_post(CURL *e, const char *url, struct curl_slist *headers,
                     curl_write_callback write, void *userdata)
{
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, BENCH_CHAT_BODY);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(sizeof BENCH_CHAT_BODY - 1));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, userdata);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Nothing may hang when the server is missing or stalls. */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
    /* ...and a stalled stream fails as libsekha's 10 s idle timeout makes it fail */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 10L);
    bench_easy_tls(e);
}

struct curl_slist *bench_stream_headers(void)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Accept: text/event-stream") : NULL;
    if (!h2)
        bench_die("out of memory");
    return h2;
}

sekha_client *bench_sekha_client(const char *openai_base)
{
    sekha_options *o = sekha_options_new();
    if (!o)
        bench_die("out of memory");
    if (sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, openai_base) != SEKHA_OK)
        bench_die("bad OPENAI_BASE: %s", sekha_options_last_error(o));
    if (sekha_options_set_max_retries(o, 0) != SEKHA_OK ||
        sekha_options_set_connect_timeout_ms(o, 10000) != SEKHA_OK ||
        sekha_options_set_stream_idle_timeout_ms(o, 10000) != SEKHA_OK ||
        /* every stream starts at once: no token bucket in the way (0 = unlimited) */
        sekha_options_set_rate_limit(o, SEKHA_SERVICE_BRIDGE, 0, 1000) != SEKHA_OK)
        bench_die("options: %s", sekha_options_last_error(o));
    if (bench_ca_file() && sekha_options_set_ca_file(o, bench_ca_file()) != SEKHA_OK)
        bench_die("BENCH_CA_FILE: %s", sekha_options_last_error(o));
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    sekha_options_free(o);
    if (!c)
        bench_die("sekha_client_new: %s", err ? sekha_error_message(err) : "out of memory");
    return c;
}
