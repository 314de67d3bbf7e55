/* Shared by the bench programs (bench/bench_util.c): clocks, process counters, quantiles,
 * and a libcurl multi driven by epoll and curl_multi_socket_action, the event-driven loop
 * a C program serving many transfers would write. */
#ifndef SEKHA_BENCH_H
#define SEKHA_BENCH_H

#include <curl/curl.h>
#include <stddef.h>

/* The chat request every streaming client sends (the same as libsekha builds). */
#define BENCH_CHAT_BODY "{\"messages\":[{\"role\":\"user\",\"content\":\"bench\"}],\"stream\":true}"

/* Prefix of every diagnostic, set by main (e.g. "bench_ttft"). */
extern const char *bench_prog;

/* Prints "<prog>: <message>" to stderr and exits with status 1. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Prints "<prog>: <message>" to stderr. */
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic wall clock and the process's own CPU time (user + sys, getrusage SELF), in
 * seconds. */
double bench_now(void);
double bench_cpu(void);

/* A "Name: <n> kB" field of /proc/self/status (e.g. "VmRSS", "VmHWM"), -1 if unreadable. */
long bench_status_kb(const char *name);

/* Raises the soft open-file limit to at least `need` (up to the hard limit); 0 on success,
 * -1 with a diagnostic when the hard limit is too low. */
int bench_raise_nofile(long need);

/* Sorts v and returns the q-quantile (0..1), linear between the closest ranks (the same
 * definition as numpy's default and Python's statistics.quantiles(method="inclusive")). */
double bench_quantile(double *v, size_t n, double q);

/* A libcurl multi handle driven by epoll and curl_multi_socket_action. */
typedef struct bench_multi {
    CURLM *multi;
    int ep;          /* epoll instance watching libcurl's sockets */
    double deadline; /* when libcurl wants its timeout action, < 0 for none */
    int running;     /* transfers libcurl still runs */
} bench_multi;

/* 0 on success, -1 with a diagnostic. */
int bench_multi_init(bench_multi *m);

/* Waits up to max_ms for socket activity or libcurl's timer and lets libcurl act on what
 * happened. Finished transfers are then read with curl_multi_info_read. */
void bench_multi_step(bench_multi *m, int max_ms);

/* Adds a transfer and runs libcurl's first action at once, so that the request is on its
 * way when this returns (as curl_multi_perform after adding would). */
void bench_multi_add(bench_multi *m, CURL *easy);

void bench_multi_cleanup(bench_multi *m);

/* The CA file that HTTPS runs trust: the environment variable BENCH_CA_FILE (the harness
 * sets it for its https:// bases), or NULL. Raw libcurl and libsekha trust it the same way,
 * as their CA file with verification on. */
const char *bench_ca_file(void);

/* Sets CURLOPT_CAINFO to bench_ca_file() when there is one, and the upload buffer size
 * libsekha's handles use (bench_util.c says why). */
void bench_easy_tls(CURL *e);

/* Applies what every raw libcurl bench transfer shares: URL, JSON POST body, headers,
 * timeouts, the write callback. */
void bench_easy_post(CURL *e, const char *url, struct curl_slist *headers,
                     curl_write_callback write, void *userdata);

/* Content-Type: application/json and Accept: text/event-stream (exits on no memory). */
struct curl_slist *bench_stream_headers(void);

/* A libsekha client whose bridge is OPENAI_BASE, set up as the raw libcurl clients are:
 * no retries (a failure is an error, not hidden), a 10 s connect and 10 s stream idle
 * timeout, no bridge rate limit, and bench_ca_file() as its CA file. Exits with a
 * diagnostic on failure. */
struct sekha_client *bench_sekha_client(const char *openai_base);

#endif
