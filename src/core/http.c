/* The public raw-request API and the accessors of responses and SSE events. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sekha__response_clear(sekha_response *r)
{
    r->status = 0;
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

void sekha_response_free(sekha_response *resp)
{
    if (!resp)
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

sekha_request *sekha_http_request(sekha_client *c, sekha_service svc, const char *method,
                                  const char *path, const char *const *headers,
                                  const char *content_type, const void *body, size_t body_len,
                                  unsigned flags, sekha_event_cb on_event, sekha_response_cb cb,
                                  void *ud)
{
    if (!c)
        return NULL;
    sekha__spec spec = {
        .service = svc,
        .method = method,
        .path = path,
        .content_type = content_type,
        .accept = (flags & SEKHA_HTTP_STREAM) ? "text/event-stream" : NULL,
        .body = body,
        .body_len = body ? body_len : 0,
        .headers = headers,
        .flags = flags,
    };
    return sekha__start(c, &spec, on_event, cb, ud);
}

struct raw_sync {
    int done;
    sekha_code code;
    sekha_response *resp;
    sekha_error *err;
    /* the call's arguments, for the start function */
    sekha_service svc;
    const char *method, *path, *content_type;
    const char *const *headers;
    const void *body;
    size_t body_len;
    unsigned flags;
    sekha_event_cb on_event;
    void *ud;
};

static void raw_sync_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                          void *ud)
{
    struct raw_sync *s = ud;
    s->done = 1;
    s->code = sekha_error_code(err);
    if (err) { /* take the error rather than copy it */
        s->err = sekha__req(req)->err;
        sekha__req(req)->err = NULL;
    }
    if (resp && (s->resp = malloc(sizeof *s->resp))) {
        sekha_response *src = (sekha_response *)resp; /* lent, but ours to move out of */
        *s->resp = *src;
        memset(src, 0, sizeof *src);
    }
}

static int raw_sync_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    struct raw_sync *s = ud;
    return s->on_event(req, ev, s->ud);
}

static sekha_request *raw_sync_start(sekha_client *c, void *arg)
{
    struct raw_sync *s = arg;
    return sekha_http_request(c, s->svc, s->method, s->path, s->headers, s->content_type, s->body,
                              s->body_len, s->flags, s->on_event ? raw_sync_event : NULL,
                              raw_sync_done, s);
}

sekha_code sekha_http_request_sync(sekha_client *c, sekha_service svc, const char *method,
                                   const char *path, const char *const *headers,
                                   const char *content_type, const void *body, size_t body_len,
                                   unsigned flags, sekha_event_cb on_event, void *userdata,
                                   sekha_response **out, sekha_error **err)
{
    struct raw_sync s = {
        .svc = svc, .method = method, .path = path, .content_type = content_type,
        .headers = headers, .body = body, .body_len = body_len, .flags = flags,
        .on_event = on_event, .ud = userdata,
    };
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    sekha_code rc = sekha__sync_call(c, raw_sync_start, &s, &s.done);
    if (rc != SEKHA_OK) {
        if (err)
            *err = sekha__error_new(rc, SEKHA_LAYER_LOCAL, NULL);
        return rc;
    }
    if (out)
        *out = s.resp;
    else
        sekha_response_free(s.resp);
    if (err)
        *err = s.err;
    else
        sekha_error_free(s.err);
    return s.code;
}
