/* Small-request bench (workload 1): POST /api/v1/query answered by a server the
 * caller starts (scripts/bench uses nginx serving a fixed QueryResponse), with N requests
 * kept in flight on one thread for a fixed time. One mode per process so that
 * getrusage(RUSAGE_SELF) measures exactly one client:
 *   raw     libcurl multi, curl_multi_poll loop, ~200-byte JSON body, reply discarded
 *           (the floor: what any C client on libcurl must pay);
 *   sekha   sekha_controller_query, the reply decoded into sekha_search_results.
 * Prints one line: "requests=R wall=S cpu=S errors=E".
 * Usage: bench_requests raw|sekha URL IN_FLIGHT SECONDS  (URL: the server root, e.g.
 * http://127.0.0.1:8080). SECONDS = "once" (with IN_FLIGHT 1) makes exactly one request
 * and exits: the one-shot command whose whole process bench_coldstart times. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekha/sekha.h>

#include "bench.h"

/* The query text: long enough that the body is ~200 bytes, as a typical memory query. */
static const char query_text[] =
    "what did we decide about the retry budget for the controller client last week, and "
    "which pull request changed the backoff cap for streaming completions in the bridge";

static void fail(const char *what)
{
    fprintf(stderr, "bench_requests: %s\n", what);
    exit(1);
}

typedef struct run {
    double deadline;
    size_t done, errors;
    int in_flight;
    sekha_client *client; /* sekha mode: callbacks start the next query on it */
    sekha_params *params; /* sekha mode: limit 10, as the raw body asks, read per query */
} run;

/* ------------------------------------------------------------------ raw libcurl */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void run_raw(const char *base, int n, run *r)
{
    char url[512], body[512];
    snprintf(url, sizeof url, "%s/api/v1/query", base);
    snprintf(body, sizeof body, "{\"query\":\"%s\",\"limit\":10}", query_text);

    CURLM *multi = curl_multi_init();
    /* Same connection pool bound as the work needs: one connection per request in flight. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)n);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json");
    CURL **easy = calloc((size_t)n, sizeof *easy);
    if (!multi || !hdr || !easy)
        fail("out of memory");
    for (int i = 0; i < n; i++) {
        CURL *e = easy[i] = curl_easy_init();
        if (!e)
            fail("curl_easy_init");
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L); /* no hang without a server */
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
        curl_multi_add_handle(multi, e);
    }
    r->in_flight = n;
    while (r->in_flight > 0) {
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (m->data.result == CURLE_OK && status == 200)
                r->done++;
            else if (r->errors++ == 0)
                fprintf(stderr, "bench_requests: %s\n", m->data.result != CURLE_OK
                        ? curl_easy_strerror(m->data.result) : "HTTP status not 200");
            curl_multi_remove_handle(multi, e);
            /* Re-adding the same easy handle reuses its cached connection from the pool. */
            if (bench_now() < r->deadline)
                curl_multi_add_handle(multi, e);
            else
                r->in_flight--;
        }
        if (r->in_flight > 0)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < n; i++)
        curl_easy_cleanup(easy[i]);
    free(easy);
    curl_slist_free_all(hdr);
    curl_multi_cleanup(multi);
}

/* ------------------------------------------------------------------ libsekha typed */

static void start_query(sekha_client *c, run *r);

static void on_results(sekha_request *req, const sekha_error *err,
                       const sekha_search_results *res, void *ud)
{
    (void)req;
    run *r = ud;
    /* Touch the decoded result so the typed path is really exercised, not just the body. */
    if (!err && res && sekha_search_results_count(res) > 0 &&
        sekha_search_result_content(sekha_search_results_at(res, 0)))
        r->done++;
    else if (r->errors++ == 0)
        fprintf(stderr, "bench_requests: %s\n",
                err ? sekha_error_message(err) : "an empty or unreadable result");
    r->in_flight--;
    if (bench_now() < r->deadline)
        start_query(r->client, r);
}

static void start_query(sekha_client *c, run *r)
{
    if (!sekha_controller_query(c, query_text, r->params, on_results, r))
        fail("sekha_controller_query returned NULL");
    r->in_flight++;
}

static void run_sekha(const char *base, int n, run *r)
{
    sekha_options *o = sekha_options_new();
    if (!o || sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, base) != SEKHA_OK ||
        /* A failed request is an error, as for raw libcurl, not retried out of sight. */
        sekha_options_set_max_retries(o, 0) != SEKHA_OK ||
        /* The default token bucket would measure the limiter, not the client. */
        sekha_options_set_rate_limit(o, SEKHA_SERVICE_CONTROLLER, 0, 1000) != SEKHA_OK)
        fail("options");
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    sekha_options_free(o);
    if (!c)
        fail(err ? sekha_error_message(err) : "sekha_client_new");
    r->client = c;
    r->params = sekha_params_new();
    if (!r->params || sekha_params_set_int(r->params, SEKHA_PARAM_LIMIT, 10) != SEKHA_OK)
        fail("params");
    for (int i = 0; i < n; i++)
        start_query(c, r);
    if (sekha_client_run(c) != SEKHA_OK)
        fail("sekha_client_run");
    sekha_client_free(c);
    sekha_params_free(r->params);
}

int main(int argc, char **argv)
{
    if (argc != 5)
        fail("usage: bench_requests raw|sekha URL IN_FLIGHT SECONDS|once");
    int n = atoi(argv[3]);
    /* once: a deadline already passed, so no request is started after the first ones */
    int once = strcmp(argv[4], "once") == 0;
    double secs = once ? 0 : atof(argv[4]);
    if (n < 1 || n > 4096 || (!once && secs <= 0) || (once && n != 1))
        fail("bad IN_FLIGHT or SECONDS (once needs IN_FLIGHT 1)");
    curl_global_init(CURL_GLOBAL_DEFAULT);

    run r = {0};
    double c0 = bench_cpu(), t0 = bench_now();
    r.deadline = t0 + secs;
    if (strcmp(argv[1], "raw") == 0)
        run_raw(argv[2], n, &r);
    else if (strcmp(argv[1], "sekha") == 0)
        run_sekha(argv[2], n, &r);
    else
        fail("mode must be raw or sekha");
    double wall = bench_now() - t0, cpu = bench_cpu() - c0;
    printf("requests=%zu wall=%.6f cpu=%.6f errors=%zu\n", r.done, wall, cpu, r.errors);
    curl_global_cleanup();
    return r.errors ? 2 : 0;
}
