#include "core/internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returned when an error cannot even be allocated; sekha_error_free ignores it. */
sekha_error sekha__nomem_error = {
    .code = SEKHA_E_NOMEM,
    .layer = SEKHA_LAYER_LOCAL,
    .message = "local error: out of memory",
    .retry_after_ms = -1,
};

#define SERVICE_MESSAGE_MAX 512
#define ERROR_BODY_MAX (64 * 1024)

const char *sekha_strerror(sekha_code code)
{
    switch (code) {
    case SEKHA_OK: return "success";
    case SEKHA_E_INVALID_ARG: return "invalid argument";
    case SEKHA_E_NOMEM: return "out of memory";
    case SEKHA_E_IN_CALLBACK: return "sync call made from inside a callback";
    case SEKHA_E_CANCELLED: return "request cancelled";
    case SEKHA_E_CLOSED: return "client freed while the request was pending";
    case SEKHA_E_INTERNAL: return "internal error";
    case SEKHA_E_RESOLVE: return "host name could not be resolved";
    case SEKHA_E_CONNECT: return "connection refused or unreachable";
    case SEKHA_E_TIMEOUT: return "timed out";
    case SEKHA_E_TLS: return "TLS handshake or certificate verification failed";
    case SEKHA_E_CONNECTION_LOST: return "connection lost before the response was complete";
    case SEKHA_E_OUTCOME_UNKNOWN:
        return "connection lost after a non-idempotent request was sent: it may or may not "
               "have been applied, so it was not re-sent";
    case SEKHA_E_TOO_LARGE: return "response or event larger than the configured limit";
    case SEKHA_E_REDIRECT: return "redirected (redirects are not followed)";
    case SEKHA_E_STREAM_CUT: return "stream ended before it was complete";
    case SEKHA_E_TRANSPORT: return "transport failure";
    case SEKHA_E_HTTP: return "HTTP error status";
    case SEKHA_E_BAD_REQUEST: return "bad request";
    case SEKHA_E_AUTH: return "authentication failed";
    case SEKHA_E_NOT_FOUND: return "not found";
    case SEKHA_E_VALIDATION: return "request rejected by server validation";
    case SEKHA_E_RATE_LIMITED: return "rate limited";
    case SEKHA_E_SERVER: return "server error";
    case SEKHA_E_SERVICE: return "the service reported a failure";
    case SEKHA_E_BAD_RESPONSE: return "response could not be decoded";
    case SEKHA_E_PROTOCOL: return "protocol violation by the peer";
    }
    return "unknown error code";
}

const char *sekha_layer_name(sekha_layer layer)
{
    switch (layer) {
    case SEKHA_LAYER_NONE: return "none";
    case SEKHA_LAYER_LOCAL: return "local";
    case SEKHA_LAYER_TRANSPORT: return "transport";
    case SEKHA_LAYER_HTTP: return "http";
    case SEKHA_LAYER_SERVICE: return "service";
    }
    return "unknown";
}

sekha_code sekha__code_for_status(int status)
{
    switch (status) {
    case 400: case 415: return SEKHA_E_BAD_REQUEST;
    case 401: case 403: return SEKHA_E_AUTH;
    case 404: return SEKHA_E_NOT_FOUND;
    case 413: return SEKHA_E_TOO_LARGE;
    case 422: return SEKHA_E_VALIDATION;
    case 429: return SEKHA_E_RATE_LIMITED;
    default: return status >= 500 ? SEKHA_E_SERVER : SEKHA_E_HTTP;
    }
}

static sekha_error *error_alloc(sekha_code code, sekha_layer layer)
{
    sekha_error *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->code = code;
    e->layer = layer;
    e->retry_after_ms = -1;
    return e;
}

/* Copies at most max bytes, keeping printable text and turning controls into spaces, so
 * a hostile body cannot inject terminal escapes or fake log lines into messages. */
static char *sanitized_copy(const char *s, size_t len, size_t max)
{
    if (len > max)
        len = max;
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    out[len] = '\0';
    return out;
}

void sekha__error_compose(sekha_error *e, const char *what)
{
    if (e == &sekha__nomem_error)
        return;
    sekha_buf b = {0};
    sekha__buf_printf(&b, "%s error", sekha_layer_name(e->layer));
    if (what && *what)
        sekha__buf_printf(&b, " (%s)", what);
    sekha__buf_printf(&b, ": %s", sekha_strerror(e->code));
    if (e->layer == SEKHA_LAYER_HTTP && e->http_status)
        sekha__buf_printf(&b, " [HTTP %d]", e->http_status);
    if (e->curl_code)
        sekha__buf_printf(&b, " [curl %d]", e->curl_code);
    if (e->detail && *e->detail)
        sekha__buf_printf(&b, ": %s", e->detail);
    if (e->service_message && *e->service_message)
        sekha__buf_printf(&b, ": %s", e->service_message);
    if (e->retry_after_ms >= 0)
        sekha__buf_printf(&b, " (Retry-After %ld ms)", e->retry_after_ms);
    if (e->attempts > 1)
        sekha__buf_printf(&b, " after %d attempts", e->attempts);
    char *old = e->message;
    char *fresh = sekha__buf_steal(&b, NULL);
    if (fresh) {
        e->message = fresh;
        free(old);
    }
}

sekha_error *sekha__error_new(sekha_code code, sekha_layer layer, const char *fmt, ...)
{
    sekha_error *e = error_alloc(code, layer);
    if (!e)
        return &sekha__nomem_error;
    if (fmt) {
        char detail[SERVICE_MESSAGE_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        e->detail = sanitized_copy(detail, strlen(detail), sizeof detail);
    }
    sekha__error_compose(e, NULL);
    if (!e->message) {
        free(e->detail);
        free(e);
        return &sekha__nomem_error;
    }
    return e;
}

static void set_message(sekha_error *e, const char *s, size_t len)
{
    free(e->service_message);
    e->service_message = sanitized_copy(s, len, SERVICE_MESSAGE_MAX);
}

void sekha__error_set_service_message(sekha_error *e, const char *text, size_t len)
{
    if (e == &sekha__nomem_error || !text)
        return;
    set_message(e, text, len);
    sekha__error_compose(e, NULL);
}

/* FastAPI's validation detail: [{"loc":[...],"msg":...}, ...] -> "body.x: msg; ..." */
static void detail_list_message(sekha_error *e, const cJSON *detail)
{
    sekha_buf b = {0};
    const cJSON *item;
    cJSON_ArrayForEach(item, detail) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(item, "msg");
        const cJSON *loc = cJSON_GetObjectItemCaseSensitive(item, "loc");
        if (!cJSON_IsString(msg))
            continue;
        if (b.len)
            sekha__buf_puts(&b, "; ");
        const cJSON *part;
        int first = 1;
        cJSON_ArrayForEach(part, loc) {
            if (!first)
                sekha__buf_puts(&b, ".");
            if (cJSON_IsString(part))
                sekha__buf_puts(&b, part->valuestring);
            else if (cJSON_IsNumber(part))
                sekha__buf_printf(&b, "%d", part->valueint);
            first = 0;
        }
        if (!first)
            sekha__buf_puts(&b, ": ");
        sekha__buf_puts(&b, msg->valuestring);
    }
    if (b.len)
        set_message(e, b.data, b.len);
    sekha__buf_free(&b);
}

static void json_body_message(sekha_error *e, const cJSON *root)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (cJSON_IsString(error)) { /* controller {"error","code"}, MCP {success,error} */
        set_message(e, error->valuestring, strlen(error->valuestring));
        if (cJSON_IsNumber(code))
            e->service_code = sekha__to_long(code->valuedouble, 0);
    } else if (cJSON_IsObject(error)) { /* OpenAI and JSON-RPC {"error":{message,code}} */
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(error, "message");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(error, "code");
        if (cJSON_IsString(m))
            set_message(e, m->valuestring, strlen(m->valuestring));
        if (cJSON_IsNumber(c))
            e->service_code = sekha__to_long(c->valuedouble, 0);
    } else if (cJSON_IsString(detail)) { /* FastAPI HTTPException */
        set_message(e, detail->valuestring, strlen(detail->valuestring));
    } else if (cJSON_IsArray(detail)) { /* FastAPI validation */
        detail_list_message(e, detail);
    } else if (cJSON_IsString(message)) {
        set_message(e, message->valuestring, strlen(message->valuestring));
    }
}

void sekha__error_parse_body(sekha_error *e, const char *body, size_t len)
{
    if (e == &sekha__nomem_error || !body || len == 0)
        return;
    size_t keep = len > ERROR_BODY_MAX ? ERROR_BODY_MAX : len;
    free(e->body);
    e->body = malloc(keep + 1);
    if (e->body) {
        memcpy(e->body, body, keep);
        e->body[keep] = '\0';
        e->body_len = keep;
    }
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i < len && (body[i] == '{' || body[i] == '[')) {
        cJSON *root = cJSON_ParseWithLength(body, len);
        if (root) {
            if (cJSON_IsObject(root))
                json_body_message(e, root);
            cJSON_Delete(root);
            if (e->service_message)
                return;
        }
    }
    set_message(e, body, len); /* plain text (axum rejections, 429 text) */
}

static const char *status_text(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return NULL;
    }
}

sekha_error *sekha__error_http(int status, long retry_after_ms, const char *body, size_t len,
                               const char *what)
{
    sekha_error *e = error_alloc(sekha__code_for_status(status), SEKHA_LAYER_HTTP);
    if (!e)
        return &sekha__nomem_error;
    e->http_status = status;
    e->retry_after_ms = retry_after_ms;
    sekha__error_parse_body(e, body, len);
    if (!e->service_message && status_text(status)) /* empty-bodied 404/500/503: our words */
        e->detail = strdup(status_text(status));
    sekha__error_compose(e, what);
    return e->message ? e : (sekha_error_free(e), &sekha__nomem_error);
}

static sekha_code code_for_curl(int rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return SEKHA_E_RESOLVE;
    case CURLE_COULDNT_CONNECT: return SEKHA_E_CONNECT;
    case CURLE_OPERATION_TIMEDOUT: return SEKHA_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED: return SEKHA_E_TLS;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return SEKHA_E_CONNECTION_LOST;
    case CURLE_TOO_MANY_REDIRECTS: return SEKHA_E_REDIRECT;
    case CURLE_FILESIZE_EXCEEDED: return SEKHA_E_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY: return SEKHA_E_NOMEM;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return SEKHA_E_INVALID_ARG;
    default: return SEKHA_E_TRANSPORT;
    }
}

sekha_code sekha__code_for_curl(int curl_code)
{
    return code_for_curl(curl_code);
}

sekha_error *sekha__error_curl(int curl_code, const char *errbuf, const char *what)
{
    sekha_error *e = error_alloc(code_for_curl(curl_code), SEKHA_LAYER_TRANSPORT);
    if (!e)
        return &sekha__nomem_error;
    e->curl_code = curl_code;
    const char *text = errbuf && *errbuf ? errbuf : curl_easy_strerror((CURLcode)curl_code);
    e->detail = sanitized_copy(text, strlen(text), SERVICE_MESSAGE_MAX);
    sekha__error_compose(e, what);
    return e->message ? e : (sekha_error_free(e), &sekha__nomem_error);
}

sekha_code sekha_error_code(const sekha_error *err) { return err ? err->code : SEKHA_OK; }
sekha_layer sekha_error_layer(const sekha_error *err) { return err ? err->layer : SEKHA_LAYER_NONE; }
const char *sekha_error_message(const sekha_error *err)
{
    return err && err->message ? err->message : "success";
}
int sekha_error_curl_code(const sekha_error *err) { return err ? err->curl_code : 0; }
int sekha_error_http_status(const sekha_error *err) { return err ? err->http_status : 0; }
long sekha_error_retry_after_ms(const sekha_error *err) { return err ? err->retry_after_ms : -1; }
const char *sekha_error_service_message(const sekha_error *err)
{
    return err ? err->service_message : NULL;
}
long sekha_error_service_code(const sekha_error *err) { return err ? err->service_code : 0; }
int sekha_error_attempts(const sekha_error *err) { return err ? err->attempts : 0; }

const char *sekha_error_body(const sekha_error *err, size_t *len)
{
    if (len)
        *len = err && err->body ? err->body_len : 0;
    return err && err->body ? err->body : "";
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

sekha_error *sekha_error_copy(const sekha_error *err)
{
    if (!err)
        return NULL;
    sekha_error *e = error_alloc(err->code, err->layer);
    if (!e)
        return NULL;
    int failed = 0;
    *e = *err;
    e->message = dup_or_null(err->message, &failed);
    e->detail = dup_or_null(err->detail, &failed);
    e->service_message = dup_or_null(err->service_message, &failed);
    e->body = NULL;
    if (err->body) {
        e->body = malloc(err->body_len + 1);
        if (e->body) {
            memcpy(e->body, err->body, err->body_len + 1);
        } else {
            failed = 1;
        }
    }
    if (failed) {
        sekha_error_free(e);
        return NULL;
    }
    return e;
}

void sekha_error_free(sekha_error *err)
{
    if (!err || err == &sekha__nomem_error)
        return;
    free(err->message);
    free(err->detail);
    free(err->service_message);
    free(err->body);
    free(err);
}
