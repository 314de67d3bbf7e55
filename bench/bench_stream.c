/* Streaming bench (workload 2): one streamed chat completion of OpenAI-style
 * chunks, read by one client per process so that getrusage(RUSAGE_SELF) measures exactly
 * that client. The server (nginx in scripts/bench) serves a file this program generates.
 *
 *   bench_stream gen FILE EVENTS
 *       writes a stream of EVENTS chunks (a role chunk, EVENTS-2 content chunks, a finish
 *       chunk with usage) and "data: [DONE]"; prints "events=N bytes=B text_bytes=T", T
 *       being the length of the text the content deltas assemble to.
 *   bench_stream raw|cjson|sse|stream OPENAI_BASE
 *       POSTs OPENAI_BASE/v1/chat/completions once and reads the whole stream:
 *         raw     libcurl, bytes counted, no parsing at all (the floor); prints events=-1
 *                 and text_bytes=-1 (it does not know them) and bytes=B, the body size;
 *         cjson   a plain C client: libcurl, SSE events split, a cJSON DOM per chunk, the
 *                 delta text assembled;
 *         sse     libsekha's raw SSE path (sekha_http_request + event callback), events
 *                 counted, no JSON decoded (text_bytes=-1);
 *         stream  sekha_bridge_stream_complete with the text assembled.
 *       Prints "events=N wall=S cpu=S text_bytes=T errors=E" (events exclude [DONE]);
 *       wall and cpu cover the transfer, not process or client set-up.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekha/sekha.h>

#include "bench.h"

typedef struct result {
    long events, text_bytes, bytes;
    int errors;
} result;

/* ------------------------------------------------------------------ gen */

static int gen(const char *path, long n_chunks)
{
    /* Tokens as they sit in JSON and as they decode: escapes and a non-ASCII character
     * keep the decoders honest. */
    static const char *const tok[][2] = {
        {" the", " the"}, {" quick", " quick"}, {" brown", " brown"}, {" fox", " fox"},
        {"ing", "ing"}, {",", ","}, {" model", " model"}, {" memory", " memory"},
        {"\\n", "\n"}, {" \\\"quoted\\\"", " \"quoted\""}, {" caf\\u00e9", " caf\xc3\xa9"},
        {" a", " a"}, {" of", " of"}, {" context", " context"}, {".", "."}, {" is", " is"}};
    static const char head[] =
        "data: {\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":"
        "\"chat.completion.chunk\",\"created\":1741569952,\"model\":"
        "\"gpt-4o-2024-08-06\",\"service_tier\":\"default\","
        "\"system_fingerprint\":\"fp_eb9dce56a8\",\"choices\":[{\"index\":0,";
    FILE *f = fopen(path, "w");
    if (!f)
        bench_die("cannot write %s", path);
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    long bytes = 0, text = 0;
    bytes += fprintf(f, "%s\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                        "\"logprobs\":null,\"finish_reason\":null}]}\n\n", head);
    for (long i = 1; i + 1 < n_chunks; i++) {
        size_t t = (size_t)(i * 7 + i / 13) % (sizeof tok / sizeof *tok);
        bytes += fprintf(f, "%s\"delta\":{\"content\":\"%s\"},\"logprobs\":null,"
                            "\"finish_reason\":null}]}\n\n", head, tok[t][0]);
        text += (long)strlen(tok[t][1]);
    }
    bytes += fprintf(f, "%s\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                        "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":%ld,"
                        "\"total_tokens\":%ld}}\n\ndata: [DONE]\n\n",
                     head, n_chunks - 2, n_chunks + 7);
    if (ferror(f) | fclose(f))
        bench_die("writing %s failed", path);
    printf("events=%ld bytes=%ld text_bytes=%ld\n", n_chunks, bytes, text);
    return 0;
}

/* ------------------------------------------------------------------ libcurl clients */

static void curl_run(const char *base, curl_write_callback cb, void *ud, result *r)
{
    char url[1024];
    if (snprintf(url, sizeof url, "%s/v1/chat/completions", base) >= (int)sizeof url)
        bench_die("OPENAI_BASE is too long");
    struct curl_slist *hdrs = bench_stream_headers();
    CURL *e = curl_easy_init();
    if (!e)
        bench_die("curl_easy_init failed");
    bench_easy_post(e, url, hdrs, cb, ud);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        bench_warn("%s: %s", url, curl_easy_strerror(rc));
        r->errors++;
    } else if (status != 200) {
        bench_warn("%s: HTTP status %ld", url, status);
        r->errors++;
    }
    curl_easy_cleanup(e);
    curl_slist_free_all(hdrs);
}

static size_t count_bytes(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    ((result *)ud)->bytes += (long)(size * n);
    return size * n;
}

static void run_raw(const char *base, result *r)
{
    r->events = r->text_bytes = -1;
    curl_run(base, count_bytes, r, r);
}

typedef struct dom_state {
    result *r;
    char *buf;
    size_t len, cap;
    char *text;
    size_t text_len, text_cap;
    int done; /* [DONE] seen */
} dom_state;

static void dom_event(dom_state *s, const char *data, size_t n)
{
    if (n == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->done = 1;
        return;
    }
    cJSON *root = cJSON_ParseWithLength(data, n);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(c0, "delta");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");
    if (cJSON_IsString(content)) {
        size_t k = strlen(content->valuestring);
        if (s->text_len + k + 1 > s->text_cap) {
            s->text_cap = (s->text_len + k + 1) * 2;
            if (!(s->text = realloc(s->text, s->text_cap)))
                bench_die("out of memory");
        }
        memcpy(s->text + s->text_len, content->valuestring, k);
        s->text_len += k;
    } else if (!cJSON_IsObject(delta)) {
        if (s->r->errors++ == 0)
            bench_warn("a chunk without choices[0].delta: %.*s", (int)(n > 200 ? 200 : n), data);
    }
    cJSON_Delete(root);
    s->r->events++;
}

static size_t dom_write(char *p, size_t size, size_t n, void *ud)
{
    dom_state *s = ud;
    size_t k = size * n;
    if (s->len + k > s->cap) {
        s->cap = (s->len + k) * 2;
        if (!(s->buf = realloc(s->buf, s->cap)))
            bench_die("out of memory");
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

static void run_cjson(const char *base, result *r)
{
    dom_state s = {.r = r};
    curl_run(base, dom_write, &s, r);
    if (!r->errors && !s.done) {
        bench_warn("the stream ended without data: [DONE]");
        r->errors++;
    }
    r->text_bytes = (long)s.text_len;
    free(s.buf);
    free(s.text);
}

/* ------------------------------------------------------------------ libsekha clients */

typedef struct sse_state {
    result *r;
    int done;
} sse_state;

static int sse_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    sse_state *s = ud;
    size_t n;
    const char *d = sekha_sse_event_data(ev, &n);
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0)
        s->done = 1;
    else
        s->r->events++;
    return SEKHA_EVENT_CONTINUE;
}

static void sse_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                     void *ud)
{
    (void)req;
    (void)resp;
    sse_state *s = ud;
    if (err) {
        bench_warn("%s", sekha_error_message(err));
        s->r->errors++;
    } else if (!s->done) {
        bench_warn("the stream ended without data: [DONE]");
        s->r->errors++;
    }
}

static void run_sse(sekha_client *c, result *r)
{
    static const char *const h[] = {"Accept: text/event-stream", NULL};
    sse_state s = {.r = r};
    r->text_bytes = -1;
    sekha_params *p = sekha_params_new();
    if (!p || sekha_params_set_list(p, SEKHA_PARAM_HEADERS, h) != SEKHA_OK ||
        sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json") != SEKHA_OK ||
        sekha_params_set_bytes(p, SEKHA_PARAM_BODY, BENCH_CHAT_BODY,
                               sizeof BENCH_CHAT_BODY - 1) != SEKHA_OK ||
        sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS,
                             SEKHA_HTTP_STREAM | SEKHA_HTTP_IDEMPOTENT) != SEKHA_OK ||
        sekha_params_set_on_event(p, sse_event, &s) != SEKHA_OK ||
        !sekha_http_request(c, SEKHA_SERVICE_BRIDGE, "POST /v1/chat/completions", p, sse_done, &s))
        bench_die("out of memory");
    sekha_params_free(p);
    if (sekha_client_run(c) != SEKHA_OK)
        bench_die("sekha_client_run failed");
}

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    (void)ch;
    ((result *)ud)->events++;
    return SEKHA_EVENT_CONTINUE;
}

static void stream_done(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                        void *ud)
{
    (void)req;
    result *r = ud;
    size_t len = 0;
    if (c)
        sekha_completion_content(c, &len);
    r->text_bytes = (long)len;
    if (err) {
        bench_warn("%s", sekha_error_message(err));
        r->errors++;
    } else if (!c || !sekha_completion_complete(c)) {
        bench_warn("the completion is not whole");
        r->errors++;
    }
}

static void run_stream(sekha_client *c, sekha_messages *msgs, result *r)
{
    sekha_params *p = sekha_params_new();
    if (!p || sekha_params_set_on_chunk(p, on_chunk, r) != SEKHA_OK ||
        !sekha_bridge_stream_complete(c, msgs, p, stream_done, r))
        bench_die("out of memory");
    sekha_params_free(p);
    if (sekha_client_run(c) != SEKHA_OK)
        bench_die("sekha_client_run failed");
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
    bench_die("usage: bench_stream gen FILE EVENTS   (EVENTS >= 3)\n"
              "       bench_stream raw|cjson|sse|stream OPENAI_BASE");
}

int main(int argc, char **argv)
{
    bench_prog = "bench_stream";
    if (argc == 4 && strcmp(argv[1], "gen") == 0) {
        char *end;
        long n = strtol(argv[3], &end, 10);
        if (*end || n < 3 || n > 100000000)
            usage();
        return gen(argv[2], n);
    }
    if (argc != 3)
        usage();
    const char *mode = argv[1], *base = argv[2];
    int sekha = strcmp(mode, "sse") == 0 || strcmp(mode, "stream") == 0;
    if (!sekha && strcmp(mode, "raw") != 0 && strcmp(mode, "cjson") != 0)
        usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sekha_client *c = sekha ? bench_sekha_client(base) : NULL;
    sekha_messages *msgs = sekha_messages_new();
    if (!msgs || sekha_messages_add(msgs, "user", "bench") != SEKHA_OK)
        bench_die("out of memory");

    result r = {0};
    double w0 = bench_now(), c0 = bench_cpu();
    if (strcmp(mode, "raw") == 0)
        run_raw(base, &r);
    else if (strcmp(mode, "cjson") == 0)
        run_cjson(base, &r);
    else if (strcmp(mode, "sse") == 0)
        run_sse(c, &r);
    else
        run_stream(c, msgs, &r);
    double wall = bench_now() - w0, cpu = bench_cpu() - c0;

    printf("events=%ld wall=%.6f cpu=%.6f text_bytes=%ld", r.events, wall, cpu, r.text_bytes);
    if (strcmp(mode, "raw") == 0)
        printf(" bytes=%ld", r.bytes);
    printf(" errors=%d\n", r.errors);
    sekha_messages_free(msgs);
    sekha_client_free(c);
    curl_global_cleanup();
    return r.errors ? 2 : 0;
}
