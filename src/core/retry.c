#include "core/retry.h"

#include <curl/curl.h>
#include <sodium.h>

static int status_retryable(int status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 ||
           status == 503 || status == 504;
}

/* Statuses that promise the request was not processed. */
static int status_unprocessed(int status)
{
    return status == 408 || status == 429 || status == 503;
}

sekha_retry_verdict sekha__retry_verdict(const sekha_outcome *o)
{
    if (o->events_delivered)
        return SEKHA_RETRY_NO; /* part of the stream is already with the caller */
    if (o->curl_code == CURLE_OK) {
        if (!status_retryable(o->http_status))
            return SEKHA_RETRY_NO;
        return o->idempotent || status_unprocessed(o->http_status) ? SEKHA_RETRY_YES
                                                                   : SEKHA_RETRY_NO;
    }
    switch (o->curl_code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return SEKHA_RETRY_YES;
    case CURLE_OPERATION_TIMEDOUT:
        if (o->idempotent || !o->connected)
            return SEKHA_RETRY_YES;
        return SEKHA_RETRY_UNSAFE;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        if (o->idempotent)
            return SEKHA_RETRY_YES;
        return o->connected ? SEKHA_RETRY_UNSAFE : SEKHA_RETRY_YES;
    default:
        return SEKHA_RETRY_NO;
    }
}

int64_t sekha__backoff_ceiling(int64_t base_ms, int64_t cap_ms, int retry_no)
{
    if (retry_no < 1)
        retry_no = 1;
    int64_t v = base_ms;
    for (int i = 1; i < retry_no && v < cap_ms; i++)
        v *= 2;
    return v < cap_ms ? v : cap_ms;
}

int64_t sekha__backoff_delay(int64_t base_ms, int64_t cap_ms, int retry_no)
{
    int64_t ceiling = sekha__backoff_ceiling(base_ms, cap_ms, retry_no);
    if (ceiling <= 0)
        return 0;
    if (ceiling >= (int64_t)UINT32_MAX)
        ceiling = (int64_t)UINT32_MAX - 1;
    return (int64_t)randombytes_uniform((uint32_t)ceiling + 1);
}
