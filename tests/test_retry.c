/* Retry policy and backoff bounds. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <sodium.h>

#include "core/retry.h"

static void init(void) { cr_assert(sodium_init() >= 0); }

Test(retry, backoff_ceiling_doubles_to_cap)
{
    cr_assert_eq(sekha__backoff_ceiling(100, 5000, 1), 100);
    cr_assert_eq(sekha__backoff_ceiling(100, 5000, 2), 200);
    cr_assert_eq(sekha__backoff_ceiling(100, 5000, 3), 400);
    cr_assert_eq(sekha__backoff_ceiling(100, 5000, 6), 3200);
    cr_assert_eq(sekha__backoff_ceiling(100, 5000, 7), 5000);
    cr_assert_eq(sekha__backoff_ceiling(100, 5000, 1000), 5000, "no overflow at large n");
}

Test(retry, full_jitter_stays_in_bounds_and_spreads, .init = init)
{
    int64_t lo = 1 << 30, hi = -1;
    for (int i = 0; i < 20000; i++) {
        int64_t d = sekha__backoff_delay(100, 5000, 4); /* ceiling 800 */
        cr_assert(d >= 0 && d <= 800, "delay %lld out of [0,800]", (long long)d);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
    }
    /* full jitter covers the whole window, not just near the ceiling */
    cr_assert_lt(lo, 80);
    cr_assert_gt(hi, 720);
}

static sekha_retry_verdict v(int curl, int status, int idem, int connected, int events)
{
    sekha_outcome o = {curl, status, idem, connected, events};
    return sekha__retry_verdict(&o);
}

Test(retry, default_status_set)
{
    int yes[] = {408, 429, 500, 502, 503, 504};
    int no[] = {200, 201, 301, 400, 401, 403, 404, 409, 415, 422, 501, 505};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        cr_assert_eq(v(CURLE_OK, yes[i], 1, 1, 0), SEKHA_RETRY_YES, "status %d", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        cr_assert_eq(v(CURLE_OK, no[i], 1, 1, 0), SEKHA_RETRY_NO, "status %d", no[i]);
}

Test(retry, non_idempotent_post_only_when_unprocessed)
{
    cr_assert_eq(v(CURLE_OK, 429, 0, 1, 0), SEKHA_RETRY_YES);
    cr_assert_eq(v(CURLE_OK, 503, 0, 1, 0), SEKHA_RETRY_YES);
    cr_assert_eq(v(CURLE_OK, 408, 0, 1, 0), SEKHA_RETRY_YES);
    cr_assert_eq(v(CURLE_OK, 500, 0, 1, 0), SEKHA_RETRY_NO);
    cr_assert_eq(v(CURLE_OK, 502, 0, 1, 0), SEKHA_RETRY_NO);
    cr_assert_eq(v(CURLE_COULDNT_CONNECT, 0, 0, 0, 0), SEKHA_RETRY_YES);
    cr_assert_eq(v(CURLE_COULDNT_RESOLVE_HOST, 0, 0, 0, 0), SEKHA_RETRY_YES);
    /* sent, then the connection died: the server may have stored it */
    cr_assert_eq(v(CURLE_GOT_NOTHING, 0, 0, 1, 0), SEKHA_RETRY_UNSAFE);
    cr_assert_eq(v(CURLE_RECV_ERROR, 0, 0, 1, 0), SEKHA_RETRY_UNSAFE);
    cr_assert_eq(v(CURLE_OPERATION_TIMEDOUT, 0, 0, 1, 0), SEKHA_RETRY_UNSAFE);
    cr_assert_eq(v(CURLE_OPERATION_TIMEDOUT, 0, 0, 0, 0), SEKHA_RETRY_YES, "never connected");
}

Test(retry, idempotent_retries_lost_connections)
{
    cr_assert_eq(v(CURLE_GOT_NOTHING, 0, 1, 1, 0), SEKHA_RETRY_YES);
    cr_assert_eq(v(CURLE_PARTIAL_FILE, 0, 1, 1, 0), SEKHA_RETRY_YES);
    cr_assert_eq(v(CURLE_OPERATION_TIMEDOUT, 0, 1, 1, 0), SEKHA_RETRY_YES);
}

Test(retry, never_after_stream_events_or_for_local_errors)
{
    cr_assert_eq(v(CURLE_OK, 503, 1, 1, 1), SEKHA_RETRY_NO);
    cr_assert_eq(v(CURLE_RECV_ERROR, 0, 1, 1, 1), SEKHA_RETRY_NO);
    cr_assert_eq(v(CURLE_WRITE_ERROR, 0, 1, 1, 0), SEKHA_RETRY_NO);
    cr_assert_eq(v(CURLE_TOO_MANY_REDIRECTS, 0, 1, 1, 0), SEKHA_RETRY_NO);
    cr_assert_eq(v(CURLE_PEER_FAILED_VERIFICATION, 0, 1, 1, 0), SEKHA_RETRY_NO);
}
