/* The raw-request calls: "METHOD /path" plus parameters, turned into one core request.
 *
 * They live here rather than in the core because they read a sekha_params, and the core
 * sits below the parameters (core <- shared <- services). The core's own entry point is
 * sekha__start with a request description, so nothing is repacked on the way: the method
 * becomes the core's static spelling and the path points into the caller's request line,
 * which the core copies before this call returns. NULL parameters read nothing. */
#include "shared/shared.h"

#include <string.h>

#define KNOWN_FLAGS                                                                  \
    (SEKHA_HTTP_IDEMPOTENT | SEKHA_HTTP_STREAM | SEKHA_HTTP_NO_RETRY | SEKHA_HTTP_NO_AUTH | \
     SEKHA_HTTP_NO_DEADLINE)

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

/* The method of "METHOD /path" (static spelling) with *path set to the path, or NULL. */
static const char *split_line(const char *line, const char **path)
{
    for (size_t i = 0; line && i < sizeof methods / sizeof *methods; i++) {
        size_t n = strlen(methods[i]);
        if (strncmp(line, methods[i], n) == 0 && line[n] == ' ' && line[n + 1] == '/') {
            *path = line + n + 1;
            return methods[i];
        }
    }
    return NULL;
}

sekha_code sekha_params_set_on_event(sekha_params *p, sekha_event_cb fn, void *userdata)
{
    return sekha__params_set_fn(p, SEKHA_PARAM_ON_EVENT, (sekha__fn)fn, userdata);
}

sekha_request *sekha_http_request(sekha_client *c, sekha_service svc, const char *request_line,
                                  const sekha_params *params, sekha_response_cb cb, void *ud)
{
    if (!c)
        return NULL;
    static const char call[] = "sekha_http_request";
    sekha_error *err = sekha__params_check(
        params, call,
        (const sekha_param[]){SEKHA_PARAM_HEADERS, SEKHA_PARAM_CONTENT_TYPE, SEKHA_PARAM_BODY,
                              SEKHA_PARAM_HTTP_FLAGS, SEKHA_PARAM_ON_EVENT, 0});
    const char *path = NULL;
    const char *method = err ? NULL : split_line(request_line, &path);
    if (!err && !method)
        err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                               "%s: the request line must be \"METHOD /path\" with METHOD one "
                               "of GET, POST, PUT, PATCH, DELETE and one space (got \"%.80s\")",
                               call, request_line ? request_line : "(null)");
    int64_t flags = 0;
    sekha__params_int(params, SEKHA_PARAM_HTTP_FLAGS, &flags);
    if (!err && (flags & ~(int64_t)KNOWN_FLAGS))
        err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                               "%s: http_flags has bits that are no SEKHA_HTTP_* flag (0x%llx)",
                               call, (unsigned long long)(flags & ~(int64_t)KNOWN_FLAGS));
    if (err)
        return sekha__start_failed(c, NULL, err, cb, ud);
    size_t body_len = 0;
    const void *body = sekha__params_bytes(params, SEKHA_PARAM_BODY, &body_len);
    void *event_ud = NULL;
    sekha_event_cb on_event =
        (sekha_event_cb)sekha__params_fn(params, SEKHA_PARAM_ON_EVENT, &event_ud);
    sekha__spec spec = {
        .service = svc,
        .method = method,
        .path = path,
        .content_type = sekha__params_text(params, SEKHA_PARAM_CONTENT_TYPE),
        .accept = (flags & SEKHA_HTTP_STREAM) ? "text/event-stream" : NULL,
        .body = body,
        .body_len = body_len,
        .headers = sekha__params_list(params, SEKHA_PARAM_HEADERS),
        .flags = (unsigned)flags,
    };
    return sekha__start_ev(c, &spec, on_event, event_ud, cb, ud);
}

/* The sync caller is the response's last reader, so its buffers are moved, not copied. */
static sekha_response *keep_response(const sekha_response *lent)
{
    return sekha__response_take((sekha_response *)lent);
}

SEKHA__SYNC_CB(raw_sync_cb, sekha_response, keep_response)

sekha_code sekha_http_request_sync(sekha_client *c, sekha_service svc, const char *request_line,
                                   const sekha_params *params, sekha_response **out,
                                   sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_http_request(c, svc, request_line, params, raw_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_response_free, err);
}
