/* Many concurrent streams on one thread (workload 4).
 *
 *   bench_many raw|sekha OPENAI_BASE STREAMS
 *
 * Starts STREAMS streamed chat completions (POST OPENAI_BASE/v1/chat/completions) at once
 * on one thread, each on its own connection, and reads them all to the end:
 *   raw    one libcurl multi on an epoll + curl_multi_socket_action loop, bytes counted
 *          per stream, no parsing (prints events=-1 text_bytes=-1 and bytes=B per stream);
 *   sekha  one client, sekha_bridge_stream_complete per stream with its text assembled,
 *          the bridge rate limit off.
 * Prints "streams=N events=E wall=S cpu=S rss_base_kb=K rss_peak_kb=K peak_open=P
 * text_bytes=T errors=E":
 *   rss_base_kb  VmRSS after the client exists, just before the first stream starts;
 *   rss_peak_kb  VmHWM (the process's peak resident set) when all streams have ended, so
 *                (peak - base) / streams is the memory one open stream costs;
 *   peak_open    the most streams open at once (had their first data, not yet ended),
 *                counted when each stream gets its first data: STREAMS when the server
 *                paces the streams slowly enough (scripts/bench throttles /many);
 *   text_bytes   the text (raw: body bytes) of one stream; every stream must have the same,
 *                else each differing stream counts as an error.
 * The open-file limit is raised to fit every connection.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekha/sekha.h>

#include "bench.h"

typedef struct many {
    long streams, started, finished, ended, peak_open, events, errors;
    long size;  /* text bytes (raw: body bytes) of the first stream to end, -1 before */
} many;

typedef struct stream {
    many *g;
    CURL *easy;  /* raw only */
    long bytes;
    int started;
} stream;

static void first_data(stream *s)
{
    s->started = 1;
    many *g = s->g;
    g->started++;
    if (g->started - g->finished > g->peak_open)
        g->peak_open = g->started - g->finished;
}

/* A stream ended with `size` bytes of text or body; ok = 0 when it failed. */
static void stream_end(stream *s, long size, int ok)
{
    many *g = s->g;
    g->ended++;
    if (s->started)
        g->finished++;
    if (!ok) {
        g->errors++;
        return;
    }
    if (g->size < 0)
        g->size = size;
    else if (size != g->size) {
        if (g->errors++ == 0)
            bench_warn("streams differ: one had %ld bytes, another %ld", g->size, size);
    }
}

/* ------------------------------------------------------------------ raw libcurl */

static size_t raw_write(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    stream *s = ud;
    if (!s->started)
        first_data(s);
    s->bytes += (long)(size * n);
    return size * n;
}

static void raw_setup(bench_multi *m, long streams)
{
    if (bench_multi_init(m) != 0)
        exit(1);
    /* One connection per stream, all open together: no per-host or total cap, and a
     * connection cache that holds them all. */
    curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, streams);
}

static void run_raw(bench_multi *m, const char *base, many *g, stream *st)
{
    char url[1024];
    if (snprintf(url, sizeof url, "%s/v1/chat/completions", base) >= (int)sizeof url)
        bench_die("OPENAI_BASE is too long");
    struct curl_slist *hdrs = bench_stream_headers();
    for (long i = 0; i < g->streams; i++) {
        if (!(st[i].easy = curl_easy_init()))
            bench_die("curl_easy_init failed");
        bench_easy_post(st[i].easy, url, hdrs, raw_write, &st[i]);
        curl_easy_setopt(st[i].easy, CURLOPT_PRIVATE, &st[i]);
        bench_multi_add(m, st[i].easy);
    }
    while (g->ended < g->streams) {
        bench_multi_step(m, 1000);
        CURLMsg *msg;
        int queued;
        while ((msg = curl_multi_info_read(m->multi, &queued))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            stream *s;
            long status = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            int ok = msg->data.result == CURLE_OK && status == 200;
            if (!ok && g->errors == 0)
                bench_warn("%s: %s", url, msg->data.result != CURLE_OK
                                              ? curl_easy_strerror(msg->data.result)
                                              : "HTTP status not 200");
            stream_end(s, s->bytes, ok);
        }
    }
    g->events = -1;
    /* VmHWM keeps the peak, so everything can go before it is read. */
    for (long i = 0; i < g->streams; i++) {
        curl_multi_remove_handle(m->multi, st[i].easy);
        curl_easy_cleanup(st[i].easy);
    }
    curl_slist_free_all(hdrs);
}

/* ------------------------------------------------------------------ libsekha */

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    (void)ch;
    stream *s = ud;
    if (!s->started)
        first_data(s);
    s->g->events++;
    return SEKHA_EVENT_CONTINUE;
}

static void on_done(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                    void *ud)
{
    (void)req;
    stream *s = ud;
    size_t len = 0;
    if (c)
        sekha_completion_content(c, &len);
    int ok = !err && c && sekha_completion_complete(c);
    if (!ok && s->g->errors == 0)
        bench_warn("%s", err ? sekha_error_message(err) : "a completion is not whole");
    stream_end(s, (long)len, ok);
}

static void run_sekha(sekha_client *c, sekha_messages *msgs, many *g, stream *st)
{
    sekha_params *p = sekha_params_new();
    if (!p)
        bench_die("out of memory");
    for (long i = 0; i < g->streams; i++)
        if (sekha_params_set_on_chunk(p, on_chunk, &st[i]) != SEKHA_OK ||
            !sekha_bridge_stream_complete(c, msgs, p, on_done, &st[i]))
            bench_die("out of memory");
    sekha_params_free(p);
    if (sekha_client_run(c) != SEKHA_OK)
        bench_die("sekha_client_run failed");
}

int main(int argc, char **argv)
{
    bench_prog = "bench_many";
    char *end = NULL;
    long n = argc == 4 ? strtol(argv[3], &end, 10) : 0;
    int raw = argc == 4 && strcmp(argv[1], "raw") == 0;
    if (argc != 4 || (!raw && strcmp(argv[1], "sekha") != 0) || *end || n < 1 || n > 100000)
        bench_die("usage: bench_many raw|sekha OPENAI_BASE STREAMS   (e.g. 1000)");
    /* a socket per stream, plus libcurl's and libsekha's own descriptors */
    if (bench_raise_nofile(n + 64) != 0)
        bench_die("cannot open %ld connections at once", n);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    many g = {.streams = n, .size = -1};
    stream *st = calloc((size_t)n, sizeof *st);
    if (!st)
        bench_die("out of memory");
    for (long i = 0; i < n; i++)
        st[i].g = &g;
    sekha_client *c = NULL;
    sekha_messages *msgs = NULL;
    bench_multi m = {.ep = -1};
    if (raw) {
        raw_setup(&m, n);
    } else {
        c = bench_sekha_client(argv[2]);
        msgs = sekha_messages_new();
        if (!msgs || sekha_messages_add(msgs, "user", "bench") != SEKHA_OK)
            bench_die("out of memory");
    }

    long rss_base = bench_status_kb("VmRSS");
    double w0 = bench_now(), c0 = bench_cpu();
    if (raw)
        run_raw(&m, argv[2], &g, st);
    else
        run_sekha(c, msgs, &g, st);
    double wall = bench_now() - w0, cpu = bench_cpu() - c0;
    long rss_peak = bench_status_kb("VmHWM");
    if (g.ended != n && g.errors++ == 0) /* every stream must have had its final callback */
        bench_warn("%ld of %ld streams never ended", n - g.ended, n);

    printf("streams=%ld events=%ld wall=%.6f cpu=%.6f rss_base_kb=%ld rss_peak_kb=%ld "
           "peak_open=%ld text_bytes=%ld", n, g.events, wall, cpu, rss_base, rss_peak,
           g.peak_open, raw ? -1L : g.size);
    if (raw)
        printf(" bytes=%ld", g.size);
    printf(" errors=%ld\n", g.errors);
    bench_multi_cleanup(&m);
    sekha_client_free(c);
    sekha_messages_free(msgs);
    free(st);
    curl_global_cleanup();
    return g.errors ? 2 : 0;
}
