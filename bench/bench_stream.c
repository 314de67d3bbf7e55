/* Streaming bench: one streamed chat completion of N OpenAI-style chunks (default 200,000),
 * served by a minimal local server (bench/sse_server.c, its own process and core), read
 * by four clients in interleaved rounds:
 *   raw libcurl        libcurl reading the stream, no parsing at all (the floor);
 *   libcurl + cJSON    a plain C client: split events, cJSON DOM per chunk, assemble text;
 *   libsekha SSE only  the core's raw SSE path (sekha_http_request + event callback);
 *   libsekha stream    sekha_bridge_stream_complete with the text assembled.
 * Prints medians: events per second and client CPU time per 1,000 and 10,000 events.
 * Usage: bench_stream [--events N] [--rounds R] [--only K]  (K: run only client K, 0-3,
 * for profiling) */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sekha/sekha.h>

#include "bench.h"

typedef struct sample {
    double wall, cpu; /* seconds */
    size_t events;
} sample;

static size_t n_chunks = 200000;
static size_t expected_len;  /* bytes of assembled text */
static char url[64];
static const char request_body[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"bench\"}],\"stream\":true}";

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_stream: %s\n", what);
    exit(1);
}

/* ------------------------------------------------------------------ the stream */

static char *make_stream(size_t *len)
{
    /* tokens as they sit in JSON, and as they decode */
    static const char *const tok[][2] = {
        {" the", " the"}, {" quick", " quick"}, {" brown", " brown"}, {" fox", " fox"},
        {"ing", "ing"}, {",", ","}, {" model", " model"}, {" memory", " memory"},
        {"\\n", "\n"}, {" \\\"quoted\\\"", " \"quoted\""}, {" caf\\u00e9", " caf\xc3\xa9"},
        {" a", " a"}, {" of", " of"}, {" context", " context"}, {".", "."}, {" is", " is"}};
    const char *head = "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":"
                       "\"chat.completion.chunk\",\"created\":1741569952,\"model\":"
                       "\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
                       "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,";
    size_t cap = (n_chunks + 3) * 320 + 4096, n = 0;
    char *s = malloc(cap);
    if (!s)
        fail("out of memory");
    expected_len = 0;
    n += (size_t)sprintf(s + n, "%s\"delta\":{\"role\":\"assistant\",\"content\":\"\","
                                "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n",
                         head);
    for (size_t i = 1; i + 1 < n_chunks; i++) {
        size_t t = (i * 7 + i / 13) % (sizeof tok / sizeof *tok);
        n += (size_t)sprintf(s + n, "%s\"delta\":{\"content\":\"%s\"},\"logprobs\":null,"
                                    "\"finish_reason\":null}]}\n\n", head, tok[t][0]);
        expected_len += strlen(tok[t][1]);
    }
    n += (size_t)sprintf(s + n, "%s\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                                "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":%zu,"
                                "\"total_tokens\":%zu}}\n\ndata: [DONE]\n\n",
                         head, n_chunks - 2, n_chunks + 7);
    *len = n;
    return s;
}

/* ------------------------------------------------------------------ raw libcurl */

static CURL *easy;
static struct curl_slist *hdrs;

static size_t count_bytes(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    *(size_t *)ud += size * n;
    return size * n;
}

/* libcurl with the given write callback, on one kept-alive connection. */
static void curl_post(curl_write_callback cb, void *ud)
{
    if (!easy) {
        easy = curl_easy_init();
        hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request_body);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, cb);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, ud);
    if (curl_easy_perform(easy) != CURLE_OK)
        fail("libcurl transfer failed");
}

static size_t run_raw_curl(void)
{
    size_t bytes = 0;
    curl_post(count_bytes, &bytes);
    return n_chunks; /* not parsed: the count is known */
}

/* ------------------------------------------------------------------ libcurl + cJSON */

typedef struct dom_state {
    char *buf;
    size_t len, cap;
    char *text;
    size_t text_len, text_cap;
    size_t events;
} dom_state;

static void dom_event(dom_state *s, const char *data, size_t n)
{
    if (n == 6 && memcmp(data, "[DONE]", 6) == 0)
        return;
    cJSON *root = cJSON_ParseWithLength(data, n);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c0, "delta"), "content");
    if (cJSON_IsString(content)) {
        size_t k = strlen(content->valuestring);
        if (s->text_len + k + 1 > s->text_cap) {
            s->text_cap = (s->text_len + k + 1) * 2;
            s->text = realloc(s->text, s->text_cap);
        }
        memcpy(s->text + s->text_len, content->valuestring, k);
        s->text_len += k;
    }
    cJSON_Delete(root);
    s->events++;
}

static size_t dom_write(char *p, size_t size, size_t n, void *ud)
{
    dom_state *s = ud;
    size_t k = size * n;
    if (s->len + k > s->cap) {
        s->cap = (s->len + k) * 2;
        s->buf = realloc(s->buf, s->cap);
    }
    memcpy(s->buf + s->len, p, k);
    s->len += k;
    size_t pos = 0;
    for (;;) { /* events end with a blank line; this stream has one data line each */
        char *end = memmem(s->buf + pos, s->len - pos, "\n\n", 2);
        if (!end)
            break;
        const char *line = s->buf + pos;
        if (end - line > 6 && memcmp(line, "data: ", 6) == 0)
            dom_event(s, line + 6, (size_t)(end - line - 6));
        pos = (size_t)(end - s->buf) + 2;
    }
    memmove(s->buf, s->buf + pos, s->len - pos);
    s->len -= pos;
    return k;
}

static size_t run_curl_cjson(void)
{
    dom_state s = {0};
    curl_post(dom_write, &s);
    if (s.text_len != expected_len)
        fail("libcurl + cJSON assembled the wrong text");
    free(s.buf);
    free(s.text);
    return s.events;
}

/* ------------------------------------------------------------------ libsekha */

static sekha_client *client;

static int count_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    (void)ev;
    (*(size_t *)ud)++;
    return SEKHA_EVENT_CONTINUE;
}

static void raw_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                     void *ud)
{
    (void)req;
    (void)resp;
    (void)ud;
    if (err)
        fail(sekha_error_message(err));
}

static size_t run_sekha_sse(void)
{
    size_t events = 0;
    static const char *const h[] = {"Accept: text/event-stream", NULL};
    sekha_http_request(client, SEKHA_SERVICE_BRIDGE, "POST", "/v1/chat/completions", h,
                       "application/json", request_body, strlen(request_body),
                       SEKHA_HTTP_STREAM, count_event, raw_done, &events);
    sekha_client_run(client);
    return events - 1; /* [DONE] */
}

static int count_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    (void)ch;
    (*(size_t *)ud)++;
    return SEKHA_EVENT_CONTINUE;
}

static void stream_done(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                        void *ud)
{
    (void)req;
    (void)ud;
    size_t len;
    sekha_completion_content(c, &len);
    if (err)
        fail(sekha_error_message(err));
    if (len != expected_len || !sekha_completion_complete(c))
        fail("libsekha assembled the wrong text");
}

static size_t run_sekha_stream(void)
{
    static sekha_messages *msgs;
    if (!msgs) {
        msgs = sekha_messages_new();
        sekha_messages_add(msgs, "user", "bench");
    }
    size_t chunks = 0;
    sekha_bridge_stream_complete(client, msgs, NULL, SEKHA_TEMPERATURE_UNSET,
                                 SEKHA_MAX_TOKENS_UNSET, NULL, count_chunk, stream_done,
                                 &chunks);
    sekha_client_run(client);
    return chunks;
}

/* ------------------------------------------------------------------ harness */

static const struct {
    const char *name;
    size_t (*run)(void);
} clients[] = {
    {"raw libcurl (no parsing)", run_raw_curl},
    {"libcurl + cJSON DOM per chunk", run_curl_cjson},
    {"libsekha SSE events only", run_sekha_sse},
    {"libsekha stream_complete", run_sekha_stream},
};
#define NCLIENTS (sizeof clients / sizeof *clients)

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

int main(int argc, char **argv)
{
    int rounds = 5, only = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--events") == 0)
            n_chunks = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--only") == 0)
            only = atoi(argv[i + 1]);
    }
    if (n_chunks < 3 || rounds < 1 || rounds > 100)
        fail("usage: bench_stream [--events N>=3] [--rounds 1-100]");
    size_t len;
    char *stream = make_stream(&len);
    int port, lfd = bench_listen(&port);
    if (lfd < 0)
        fail("cannot listen on 127.0.0.1");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pid_t server = fork();
    if (server == 0) {
        setpgid(0, 0); /* the server and its connection processes stop together */
        if (cpus > 1)
            pin(0);
        bench_serve(lfd, stream, len);
        _exit(0);
    }
    close(lfd);
    if (cpus > 1)
        pin(1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/chat/completions", port);
    sekha_options *o = sekha_options_new();
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, base);
    client = sekha_client_new(o, NULL);
    sekha_options_free(o);
    if (!client)
        fail("sekha_client_new");

    double *wall = calloc(NCLIENTS * (size_t)rounds, sizeof *wall);
    double *cpu = calloc(NCLIENTS * (size_t)rounds, sizeof *cpu);
    size_t events[NCLIENTS] = {0};
    printf("stream: %zu chunks, %.1f MB, %.0f bytes per event; %d rounds (+1 warm-up), "
           "server and client on %s\n", n_chunks, (double)len / 1e6, (double)len / (double)(n_chunks + 1),
           rounds, cpus > 1 ? "cores 0 and 1" : "one core");
    for (int r = -1; r < rounds; r++) {
        for (size_t k = 0; k < NCLIENTS; k++) {
            if (only >= 0 && (size_t)only != k)
                continue;
            double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
            events[k] = clients[k].run();
            double w = now(CLOCK_MONOTONIC) - w0, c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (events[k] != n_chunks)
                fail("a client saw the wrong number of events");
            if (r >= 0) {
                wall[k * (size_t)rounds + (size_t)r] = w;
                cpu[k * (size_t)rounds + (size_t)r] = c;
            }
        }
    }
    printf("\n| client | events/s | CPU ms per 1k events | CPU ms per 10k events | "
           "events/s vs raw libcurl |\n|---|---:|---:|---:|---:|\n");
    double base_rate = 0;
    for (size_t k = 0; k < NCLIENTS; k++) {
        if (only >= 0 && (size_t)only != k)
            continue;
        double w = median(wall + k * (size_t)rounds, rounds);
        double c = median(cpu + k * (size_t)rounds, rounds);
        double rate = (double)n_chunks / w;
        if (base_rate == 0)
            base_rate = rate;
        printf("| %s | %.2fM | %.3f | %.2f | %.2fx |\n", clients[k].name, rate / 1e6,
               c * 1e3 / ((double)n_chunks / 1e3), c * 1e3 / ((double)n_chunks / 1e4),
               rate / base_rate);
    }
    printf("\nTargets (issue 8): libsekha stream_complete >= 3M events/s, <= 4 CPU-ms per 10k "
           "events.\n");
    kill(-server, SIGTERM);
    waitpid(server, NULL, 0);
    sekha_client_free(client);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(easy);
    free(wall);
    free(cpu);
    free(stream);
    return 0;
}
