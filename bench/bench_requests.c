/* Small-request bench (workloads requests, creates, tls, latency): small JSON POSTs to a
 * server the caller starts (scripts/bench uses nginx answering with fixed bodies), with N
 * requests kept in flight on one thread for a fixed time. One mode per process so that
 * getrusage(RUSAGE_SELF) measures exactly one client:
 *   raw           POST /api/v1/query with libcurl multi on a curl_multi_poll loop, a
 *                 ~200-byte JSON body, the reply discarded (the floor: what any C client
 *                 on libcurl must pay), connections kept alive;
 *   sekha         sekha_controller_query, the reply decoded into sekha_search_results;
 *   raw-create    POST /api/v1/conversations as raw does (the body libsekha sends for the
 *                 same two messages), 201 expected, connections kept alive;
 *   sekha-create  sekha_controller_create_conversation, the reply decoded into the stored
 *                 sekha_conversation.
 * Each request's latency (start to its final callback) is sampled too.
 * Prints one line: "requests=R wall=S cpu=S median_us=X p10_us=X p90_us=X errors=E".
 * Usage: bench_requests MODE URL IN_FLIGHT SECONDS  (URL: the server root, e.g.
 * http://127.0.0.1:8080, or https:// with BENCH_CA_FILE naming the CA to trust).
 * SECONDS = "once" (with IN_FLIGHT 1) makes exactly one request and exits: the one-shot
 * command whose whole process bench_coldstart times. */
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

/* The stored turn: a question and its answer, as a chat app stores after each reply. */
static const char turn_user[] = "what is the retry budget for controller reads?";
static const char turn_assistant[] =
    "We agreed to cap the retry budget at 30 seconds for controller reads, with a 250 ms "
    "base backoff and an 8 s cap.";

static void fail(const char *what)
{
    fprintf(stderr, "bench_requests: %s\n", what);
    exit(1);
}

typedef struct run {
    double deadline;
    size_t done, errors;
    int in_flight;
    int create;           /* conversations, not queries */
    sekha_client *client; /* sekha mode: callbacks start the next request on it */
    sekha_params *params; /* sekha query: limit 10, as the raw body asks, read per query */
    sekha_messages *msgs; /* sekha create: the stored turn */
    double *lat;          /* latency samples, seconds */
    size_t n_lat, cap_lat;
} run;

/* One request slot: N of them stay in flight, each restarted when it ends. */
typedef struct slot {
    run *r;
    double t0;
} slot;

static void sample(run *r, double t0)
{
    if (r->n_lat == r->cap_lat) {
        size_t cap = r->cap_lat ? r->cap_lat * 2 : 4096;
        double *v = realloc(r->lat, cap * sizeof *v);
        if (!v)
            fail("out of memory");
        r->lat = v;
        r->cap_lat = cap;
    }
    r->lat[r->n_lat++] = bench_now() - t0;
}

/* ------------------------------------------------------------------ raw libcurl */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static void run_raw(const char *base, int n, run *r)
{
    char url[512], body[1024];
    snprintf(url, sizeof url, "%s/api/v1/%s", base, r->create ? "conversations" : "query");
    if (r->create)
        snprintf(body, sizeof body,
                 "{\"label\":\"Conversation\",\"folder\":\"/\",\"messages\":["
                 "{\"role\":\"user\",\"content\":\"%s\"},"
                 "{\"role\":\"assistant\",\"content\":\"%s\"}]}",
                 turn_user, turn_assistant);
    else
        snprintf(body, sizeof body, "{\"query\":\"%s\",\"limit\":10}", query_text);
    long want = r->create ? 201 : 200;

    CURLM *multi = curl_multi_init();
    /* Same connection pool bound as the work needs: one connection per request in flight. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)n);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json");
    CURL **easy = calloc((size_t)n, sizeof *easy);
    slot *slots = calloc((size_t)n, sizeof *slots);
    if (!multi || !hdr || !easy || !slots)
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
        curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)&slots[i]);
        bench_easy_tls(e);
        slots[i].r = r;
        slots[i].t0 = bench_now();
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
            slot *s = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (m->data.result == CURLE_OK && status == want) {
                r->done++;
                sample(r, s->t0);
            } else if (r->errors++ == 0) {
                fprintf(stderr, "bench_requests: %s: %s (HTTP %ld)\n", url,
                        m->data.result != CURLE_OK ? curl_easy_strerror(m->data.result)
                                                   : "unexpected HTTP status", status);
            }
            curl_multi_remove_handle(multi, e);
            /* Re-adding the same easy handle reuses its cached connection from the pool. */
            if (bench_now() < r->deadline) {
                s->t0 = bench_now();
                curl_multi_add_handle(multi, e);
            } else {
                r->in_flight--;
            }
        }
        if (r->in_flight > 0)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < n; i++)
        curl_easy_cleanup(easy[i]);
    free(easy);
    free(slots);
    curl_slist_free_all(hdr);
    curl_multi_cleanup(multi);
}

/* ------------------------------------------------------------------ libsekha typed */

static void start(slot *s);

static void finish(slot *s, int ok, const sekha_error *err)
{
    run *r = s->r;
    if (ok) {
        r->done++;
        sample(r, s->t0);
    } else if (r->errors++ == 0) {
        fprintf(stderr, "bench_requests: %s\n",
                err ? sekha_error_message(err) : "an empty or unreadable result");
    }
    r->in_flight--;
    if (bench_now() < r->deadline)
        start(s);
}

static void on_results(sekha_request *req, const sekha_error *err,
                       const sekha_search_results *res, void *ud)
{
    (void)req;
    /* Touch the decoded result so the typed path is really exercised, not just the body. */
    finish(ud, !err && res && sekha_search_results_count(res) > 0 &&
                   sekha_search_result_content(sekha_search_results_at(res, 0)), err);
}

static void on_created(sekha_request *req, const sekha_error *err, const sekha_conversation *c,
                       void *ud)
{
    (void)req;
    finish(ud, !err && c && sekha_conversation_id(c), err);
}

static void start(slot *s)
{
    run *r = s->r;
    s->t0 = bench_now();
    sekha_request *req =
        r->create ? sekha_controller_create_conversation(r->client, r->msgs, NULL, on_created, s)
                  : sekha_controller_query(r->client, query_text, r->params, on_results, s);
    if (!req)
        fail("the libsekha call returned NULL");
    r->in_flight++;
}

static void run_sekha(const char *base, int n, run *r)
{
    sekha_options *o = sekha_options_new();
    if (!o || sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, base) != SEKHA_OK ||
        /* A failed request is an error, as for raw libcurl, not retried out of sight. */
        sekha_options_set_max_retries(o, 0) != SEKHA_OK ||
        /* The default token bucket would measure the limiter, not the client. */
        sekha_options_set_rate_limit(o, SEKHA_SERVICE_CONTROLLER, 0, 1000) != SEKHA_OK ||
        (bench_ca_file() && sekha_options_set_ca_file(o, bench_ca_file()) != SEKHA_OK))
        fail("options");
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    sekha_options_free(o);
    if (!c)
        fail(err ? sekha_error_message(err) : "sekha_client_new");
    r->client = c;
    r->params = sekha_params_new();
    r->msgs = sekha_messages_new();
    slot *slots = calloc((size_t)n, sizeof *slots);
    if (!r->params || sekha_params_set_int(r->params, SEKHA_PARAM_LIMIT, 10) != SEKHA_OK ||
        !r->msgs || sekha_messages_add(r->msgs, "user", turn_user) != SEKHA_OK ||
        sekha_messages_add(r->msgs, "assistant", turn_assistant) != SEKHA_OK || !slots)
        fail("out of memory");
    for (int i = 0; i < n; i++) {
        slots[i].r = r;
        start(&slots[i]);
    }
    if (sekha_client_run(c) != SEKHA_OK)
        fail("sekha_client_run");
    sekha_client_free(c);
    sekha_params_free(r->params);
    sekha_messages_free(r->msgs);
    free(slots);
}

int main(int argc, char **argv)
{
    if (argc != 5)
        fail("usage: bench_requests raw|sekha|raw-create|sekha-create URL IN_FLIGHT "
             "SECONDS|once");
    int n = atoi(argv[3]);
    /* once: a deadline already passed, so no request is started after the first ones */
    int once = strcmp(argv[4], "once") == 0;
    double secs = once ? 0 : atof(argv[4]);
    if (n < 1 || n > 4096 || (!once && secs <= 0) || (once && n != 1))
        fail("bad IN_FLIGHT or SECONDS (once needs IN_FLIGHT 1)");
    curl_global_init(CURL_GLOBAL_DEFAULT);

    run r = {0};
    const char *mode = argv[1];
    r.create = strcmp(mode, "raw-create") == 0 || strcmp(mode, "sekha-create") == 0;
    double c0 = bench_cpu(), t0 = bench_now();
    r.deadline = t0 + secs;
    if (strcmp(mode, "raw") == 0 || strcmp(mode, "raw-create") == 0)
        run_raw(argv[2], n, &r);
    else if (strcmp(mode, "sekha") == 0 || strcmp(mode, "sekha-create") == 0)
        run_sekha(argv[2], n, &r);
    else
        fail("mode must be raw, sekha, raw-create or sekha-create");
    double wall = bench_now() - t0, cpu = bench_cpu() - c0;
    double p10 = bench_quantile(r.lat, r.n_lat, 0.1) * 1e6;
    double p50 = bench_quantile(r.lat, r.n_lat, 0.5) * 1e6;
    double p90 = bench_quantile(r.lat, r.n_lat, 0.9) * 1e6;
    printf("requests=%zu wall=%.6f cpu=%.6f median_us=%.1f p10_us=%.1f p90_us=%.1f errors=%zu\n",
           r.done, wall, cpu, p50, p10, p90, r.errors);
    free(r.lat);
    curl_global_cleanup();
    return r.errors ? 2 : 0;
}
