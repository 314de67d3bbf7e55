/* Responses and SSE events: accessors and ownership. The raw-request calls that read
 * their parameters are in src/shared/http_params.c. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sekha__response_clear(sekha_response *r)
{
    r->status = 0;
    r->indexed = 0;
    sekha__buf_clear(&r->body);
    sekha__buf_clear(&r->headers);
}

void sekha__response_free_fields(sekha_response *r)
{
    sekha__buf_free(&r->body);
    sekha__buf_free(&r->headers);
}

int sekha_response_status(const sekha_response *resp)
{
    return resp ? resp->status : 0;
}

const char *sekha_response_body(const sekha_response *resp, size_t *len)
{
    if (len)
        *len = resp ? resp->body.len : 0;
    return resp ? sekha__buf_str(&resp->body) : "";
}

const char *sekha_response_header(const sekha_response *resp, const char *name)
{
    if (!resp || !name)
        return NULL;
    /* headers hold "name\0value\0" pairs once the response is complete */
    const char *p = resp->headers.data, *end = p + resp->headers.len;
    while (p && p < end) {
        const char *value = p + strlen(p) + 1;
        if (value >= end)
            break;
        if (strcasecmp(p, name) == 0)
            return value;
        p = value + strlen(value) + 1;
    }
    return NULL;
}

sekha_response *sekha__response_take(sekha_response *lent)
{
    sekha_response *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->status = lent->status;
    r->body = lent->body;
    r->headers = lent->headers;
    r->owned = 1;
    sekha__ref_init(&r->ref);
    lent->body = (sekha_buf){0};
    lent->headers = (sekha_buf){0};
    return r;
}

/* An exact-size copy (a grown buffer may be twice its contents). */
static int dup_buf(sekha_buf *dst, const sekha_buf *src)
{
    if (!src->len)
        return 0;
    if (!(dst->data = malloc(src->len + 1)))
        return -1;
    memcpy(dst->data, src->data, src->len);
    dst->data[src->len] = '\0';
    dst->len = src->len;
    dst->cap = src->len + 1;
    return 0;
}

sekha_response *sekha_response_copy(const sekha_response *resp)
{
    if (!resp)
        return NULL;
    if (resp->owned) {
        sekha__ref_get(&resp->ref);
        return (sekha_response *)resp;
    }
    /* a request's own response: its memory goes back to the request, so copy it */
    sekha_response *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->status = resp->status;
    r->owned = 1;
    sekha__ref_init(&r->ref);
    if (dup_buf(&r->body, &resp->body) != 0 || dup_buf(&r->headers, &resp->headers) != 0) {
        sekha__response_free_fields(r);
        free(r);
        return NULL;
    }
    return r;
}

void sekha_response_free(sekha_response *resp)
{
    /* a lent response is not the caller's to free: ignoring it beats a double free */
    if (!resp || !resp->owned || !sekha__ref_put(&resp->ref))
        return;
    sekha__response_free_fields(resp);
    free(resp);
}

const char *sekha_sse_event_type(const sekha_sse_event *ev)
{
    return ev && ev->type ? ev->type : "message";
}

const char *sekha_sse_event_data(const sekha_sse_event *ev, size_t *len)
{
    if (len)
        *len = ev ? ev->data_len : 0;
    return ev && ev->data ? ev->data : "";
}

const char *sekha_sse_event_id(const sekha_sse_event *ev)
{
    return ev && ev->id ? ev->id : "";
}

long sekha_sse_event_retry_ms(const sekha_sse_event *ev)
{
    return ev ? ev->retry_ms : -1;
}
