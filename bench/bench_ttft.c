/* Time-to-first-token bench (workload 3).
 *
 *   bench_ttft raw|sekha OPENAI_BASE REPEATS warm|new
 *
 * Each sample POSTs OPENAI_BASE/v1/chat/completions (a short stream: scripts/bench serves
 * 3 chunks) and times from the start of the request to the first non-empty delta text
 * reaching the caller; the stream is then read to its end before the next sample.
 *   raw    libcurl multi on an epoll + curl_multi_socket_action loop, timed from
 *          curl_multi_add_handle to the write callback whose bytes hold the first chunk
 *          with non-empty "content" (found by a plain substring search, no JSON parsing);
 *   sekha  sekha_bridge_stream_complete, timed from the call to the chunk callback with
 *          the first non-empty sekha_chunk_content.
 * warm: all samples on one kept-alive connection, primed by one request not counted.
 * new:  every sample on a new TCP connection (raw: CURLOPT_FRESH_CONNECT; sekha: a new
 *       client per sample, created before the clock starts); one uncounted warm-up too, so
 *       that the first sample does not pay for page faults in code run once. Over HTTPS
 *       (BENCH_CA_FILE names the CA to trust) each new connection is a full TLS handshake.
 * Prints "samples=N median_us=X p10_us=X p90_us=X errors=E". Sampling stops at the
 * first error (a missing server must not cost REPEATS timeouts).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekha/sekha.h>

#include "bench.h"

typedef struct sample_state {
    double t0, t1;
    int got;      /* first token seen */
    int failed;
    char buf[65536]; /* raw: the body up to the first token */
    size_t len;
} sample_state;

/* ------------------------------------------------------------------ raw libcurl */

/* The first content delta with text: `"content":"` followed by anything but the closing
 * quote (the role chunk before it carries "content":""). */
static int has_token(const char *p, size_t n)
{
    static const char pat[] = "\"content\":\"";
    const size_t k = sizeof pat - 1;
    for (const char *q = p; (q = memmem(q, n - (size_t)(q - p), pat, k)) != NULL; q += k)
        if ((size_t)(q - p) + k < n && q[k] != '"')
            return 1;
    return 0;
}

static size_t raw_write(char *p, size_t size, size_t n, void *ud)
{
    sample_state *s = ud;
    size_t k = size * n;
    if (!s->got && s->len < sizeof s->buf) {
        size_t take = k < sizeof s->buf - s->len ? k : sizeof s->buf - s->len;
        memcpy(s->buf + s->len, p, take);
        s->len += take;
        if (has_token(s->buf, s->len)) {
            s->t1 = bench_now();
            s->got = 1;
        }
    }
    return k;
}

static int run_raw(const char *base, int fresh, double *samples, int repeats)
{
    char url[1024];
    if (snprintf(url, sizeof url, "%s/v1/chat/completions", base) >= (int)sizeof url)
        bench_die("OPENAI_BASE is too long");
    bench_multi m;
    if (bench_multi_init(&m) != 0)
        exit(1);
    struct curl_slist *hdrs = bench_stream_headers();
    CURL *e = curl_easy_init();
    sample_state *s = malloc(sizeof *s);
    if (!e || !s)
        bench_die("out of memory");
    bench_easy_post(e, url, hdrs, raw_write, s);
    if (fresh) {
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        /* closed when done, so that new connections do not pile up in the pool */
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        /* over HTTPS a full handshake each time, as libsekha's new client per sample makes
         * (no TLS session to resume) */
        curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    }
    int n = 0;
    for (int i = -1; i < repeats; i++) {
        s->got = s->failed = 0;
        s->len = 0;
        s->t0 = bench_now();
        bench_multi_add(&m, e);
        CURLcode rc = CURLE_OK;
        for (int done = 0; !done;) {
            bench_multi_step(&m, 1000);
            CURLMsg *msg;
            int left;
            while ((msg = curl_multi_info_read(m.multi, &left)))
                if (msg->msg == CURLMSG_DONE) {
                    rc = msg->data.result;
                    done = 1;
                }
        }
        curl_multi_remove_handle(m.multi, e);
        long status = 0, connects = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
        if (rc == CURLE_OK && i >= 0 && connects != fresh) {
            bench_warn("sample %d made %ld new connections, expected %d", i, connects, fresh);
            break;
        }
        if (rc != CURLE_OK || status != 200 || !s->got) {
            bench_warn("%s: %s", url, rc != CURLE_OK ? curl_easy_strerror(rc)
                                      : status != 200 ? "HTTP status not 200"
                                                      : "no delta text in the stream");
            break;
        }
        if (i >= 0)
            samples[n++] = s->t1 - s->t0;
    }
    curl_easy_cleanup(e);
    curl_slist_free_all(hdrs);
    bench_multi_cleanup(&m);
    free(s);
    return n;
}

/* ------------------------------------------------------------------ libsekha */

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    sample_state *s = ud;
    size_t len;
    if (!s->got) {
        sekha_chunk_content(ch, &len);
        if (len > 0) {
            s->t1 = bench_now();
            s->got = 1;
        }
    }
    return SEKHA_EVENT_CONTINUE;
}

static void on_done(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                    void *ud)
{
    (void)req;
    (void)c;
    sample_state *s = ud;
    if (err) {
        bench_warn("%s", sekha_error_message(err));
        s->failed = 1;
    } else if (!s->got) {
        bench_warn("no delta text in the stream");
        s->failed = 1;
    }
}

static int run_sekha(const char *base, int fresh, double *samples, int repeats)
{
    sekha_messages *msgs = sekha_messages_new();
    sample_state *s = malloc(sizeof *s);
    if (!msgs || !s || sekha_messages_add(msgs, "user", "bench") != SEKHA_OK)
        bench_die("out of memory");
    sekha_client *c = fresh ? NULL : bench_sekha_client(base);
    sekha_params *p = sekha_params_new();
    if (!p || sekha_params_set_on_chunk(p, on_chunk, s) != SEKHA_OK)
        bench_die("out of memory");
    int n = 0;
    for (int i = -1; i < repeats; i++) {
        if (fresh)
            c = bench_sekha_client(base);
        s->got = s->failed = 0;
        s->t0 = bench_now();
        if (!sekha_bridge_stream_complete(c, msgs, p, on_done, s))
            bench_die("out of memory");
        if (sekha_client_run(c) != SEKHA_OK)
            bench_die("sekha_client_run failed");
        if (fresh) {
            sekha_client_free(c);
            c = NULL;
        }
        if (s->failed)
            break;
        if (i >= 0)
            samples[n++] = s->t1 - s->t0;
    }
    sekha_client_free(c);
    sekha_params_free(p);
    sekha_messages_free(msgs);
    free(s);
    return n;
}

int main(int argc, char **argv)
{
    bench_prog = "bench_ttft";
    char *end = NULL;
    long repeats = argc == 5 ? strtol(argv[3], &end, 10) : 0;
    int raw = argc == 5 && strcmp(argv[1], "raw") == 0;
    int fresh = argc == 5 && strcmp(argv[4], "new") == 0;
    if (argc != 5 || (!raw && strcmp(argv[1], "sekha") != 0) || *end || repeats < 1 ||
        repeats > 1000000 || (!fresh && strcmp(argv[4], "warm") != 0))
        bench_die("usage: bench_ttft raw|sekha OPENAI_BASE REPEATS warm|new");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double *samples = malloc((size_t)repeats * sizeof *samples);
    if (!samples)
        bench_die("out of memory");
    int n = raw ? run_raw(argv[2], fresh, samples, (int)repeats)
                : run_sekha(argv[2], fresh, samples, (int)repeats);
    int errors = n < repeats;
    for (int i = 0; i < n; i++)
        samples[i] *= 1e6;
    double p10 = bench_quantile(samples, (size_t)n, 0.1);
    double p50 = bench_quantile(samples, (size_t)n, 0.5);
    double p90 = bench_quantile(samples, (size_t)n, 0.9);
    printf("samples=%d median_us=%.1f p10_us=%.1f p90_us=%.1f errors=%d\n", n, p50, p10, p90,
           errors);
    free(samples);
    curl_global_cleanup();
    return errors ? 2 : 0;
}
