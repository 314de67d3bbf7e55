/* Many semantic queries at once on one thread: one client, one event loop, no threads.
 * Every query is started before any answer is read; libcurl's multi interface keeps them
 * all in flight (connections are reused, the client's rate limit paces them) and each ends
 * with its own callback.
 *
 * Usage: concurrent_queries [N]     (default 100; configuration from SEKHA_* variables)
 * Prints "N queries: X ok, Y failed, Z results; P were pending at once". */
#include <stdio.h>
#include <stdlib.h>

#include <sekha/sekha.h>

typedef struct tally {
    int ok, failed;
    size_t results;
} tally;

static void on_results(sekha_request *req, const sekha_error *err,
                       const sekha_search_results *results, void *userdata)
{
    (void)req;
    tally *t = userdata;
    if (err) {
        t->failed++;
        fprintf(stderr, "query failed: %s\n", sekha_error_message(err));
        return;
    }
    t->ok++;
    t->results += sekha_search_results_count(results);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    sekha_options *opts = sekha_options_new();
    if (n < 1 || !opts || sekha_options_from_env(opts) != SEKHA_OK) {
        fprintf(stderr, "usage: %s [N >= 1]; environment: %s\n", argv[0],
                sekha_options_last_error(opts));
        return 2;
    }
    sekha_error *err = NULL;
    sekha_client *client = sekha_client_new(opts, &err);
    sekha_options_free(opts);
    if (!client) {
        fprintf(stderr, "%s\n", sekha_error_message(err));
        sekha_error_free(err);
        return 2;
    }
    /* One parameters object for every query: each call reads it before returning. */
    sekha_params *params = sekha_params_new();
    if (!params || sekha_params_set_int(params, SEKHA_PARAM_LIMIT, 5) != SEKHA_OK) {
        fprintf(stderr, "out of memory\n");
        sekha_params_free(params);
        sekha_client_free(client);
        return 2;
    }
    tally t = {0, 0, 0};
    for (int i = 0; i < n; i++) {
        char query[64];
        snprintf(query, sizeof query, "notes about topic %d", i % 10);
        sekha_controller_query(client, query, params, on_results, &t); /* copied */
    }
    sekha_params_free(params);
    size_t in_flight = sekha_client_pending(client);
    sekha_client_run(client);
    printf("%d queries: %d ok, %d failed, %zu results; %zu were pending at once\n", n, t.ok,
           t.failed, t.results, in_flight);
    sekha_client_free(client);
    return t.ok == n ? 0 : 1;
}
