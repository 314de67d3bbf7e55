/* Controller sub-client plumbing: the shared result header, the defensive JSON readers,
 * and the helpers that turn an endpoint's arguments into a typed core call. */
#include "controller/ctl.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- results ---- */

void *ctl_result_new(size_t size, const sekha_response *resp, int parse, const char *what,
                     sekha_error **err)
{
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    /* RFC 8259 requires UTF-8; cJSON does not check it, and callers print these strings. */
    if (!sekha__utf8_valid(body, len)) {
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: the body is not valid UTF-8", what);
        return NULL;
    }
    ctl_result *r = calloc(1, size);
    if (r)
        r->raw = malloc(len + 1);
    if (!r || !r->raw) {
        free(r);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    memcpy(r->raw, body, len);
    r->raw[len] = '\0';
    r->refs = 1;
    if (parse && !(r->json = sekha__json_parse(resp, what, err))) {
        free(r->raw);
        free(r);
        return NULL;
    }
    return r;
}

void ctl_result_release(void *p)
{
    ctl_result *r = p;
    if (!r || --r->refs > 0)
        return;
    if (r->fini)
        r->fini(r);
    cJSON_Delete(r->json);
    free(r->raw);
    free(r);
}

void *ctl_result_retain(const void *p)
{
    ctl_result *r = (ctl_result *)p; /* the count is not part of the lent, const view */
    if (r)
        r->refs++;
    return r;
}

/* ---- defensive readers ---- */

static void dec_fail(ctl_dec *d, const char *key, const char *expected)
{
    if (d->err)
        return;
    char field[160];
    snprintf(field, sizeof field, "%s%s", d->at, key);
    d->err = sekha__json_bad(d->what, field, expected);
}

void ctl_dec_item(ctl_dec *d, const char *name, size_t i)
{
    if (name)
        snprintf(d->at, sizeof d->at, "%s[%zu].", name, i);
    else
        d->at[0] = '\0';
}

static const cJSON *field(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

const char *ctl_req_str(ctl_dec *d, const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    if (cJSON_IsString(v) && v->valuestring)
        return v->valuestring;
    dec_fail(d, key, "a string");
    return "";
}

const char *ctl_opt_str(ctl_dec *d, const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsString(v) && v->valuestring)
        return v->valuestring;
    dec_fail(d, key, "a string or null");
    return NULL;
}

double ctl_req_num(ctl_dec *d, const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
        return v->valuedouble;
    dec_fail(d, key, "a number");
    return 0;
}

long long ctl_req_count(ctl_dec *d, const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    /* 2^63 is exactly representable, so the comparison keeps the cast defined. */
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9223372036854775808.0 &&
        floor(v->valuedouble) == v->valuedouble)
        return (long long)v->valuedouble;
    dec_fail(d, key, "a whole number >= 0");
    return 0;
}

int ctl_req_bool(ctl_dec *d, const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    dec_fail(d, key, "a boolean");
    return 0;
}

const cJSON *ctl_req_array(ctl_dec *d, const cJSON *o, const char *key)
{
    const cJSON *v = field(o, key);
    if (cJSON_IsArray(v))
        return v;
    dec_fail(d, key, "an array");
    return NULL;
}

char *ctl_compact(ctl_dec *d, const cJSON *v)
{
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    if (!s && !v) {
        s = malloc(5);
        if (s)
            memcpy(s, "null", 5);
    }
    if (!s && !d->err)
        d->err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
    return s;
}

int ctl_need_object(ctl_dec *d, const cJSON *root)
{
    if (cJSON_IsObject(root))
        return 1;
    if (!d->err)
        d->err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                  "%s: expected a JSON object", d->what);
    return 0;
}

/* ---- requests ---- */

sekha_request *ctl_send(sekha_client *c, const ctl_send_args *a, const sekha__call_spec *cs,
                        sekha__fn cb, void *ud)
{
    char *body = NULL;
    size_t len = 0;
    if (!c) { /* nobody to call back: like sekha_http_request, report nothing */
        cJSON_Delete(a->body);
        return NULL;
    }
    if (a->body && sekha__json_body(a->body, &body, &len) != 0)
        return ctl_nomem(c, cs, cb, ud);
    sekha__spec spec = {
        .service = SEKHA_SERVICE_CONTROLLER,
        .method = a->method,
        .path = a->path,
        .content_type = body ? "application/json" : NULL,
        .accept = a->accept ? a->accept : "application/json",
        .body = body,
        .body_len = len,
        .flags = a->flags,
        .what = a->what,
    };
    sekha_request *req = sekha__call(c, &spec, cs, NULL, NULL, cb, ud);
    cJSON_free(body);
    return req;
}

sekha_request *ctl_reject(sekha_client *c, const sekha__call_spec *cs, sekha__fn cb, void *ud,
                          const char *fmt, ...)
{
    if (!c)
        return NULL;
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return sekha__call_fail(c, NULL, cs,
                            sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "%s", why),
                            cb, ud);
}

sekha_request *ctl_nomem(sekha_client *c, const sekha__call_spec *cs, sekha__fn cb, void *ud)
{
    if (!c)
        return NULL;
    return sekha__call_fail(c, NULL, cs, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL),
                            cb, ud);
}

sekha_code ctl_sync(sekha_client *c, sekha__sync_start_fn start, void *args, void *out,
                    sekha_error **err)
{
    void *res = NULL;
    sekha_code rc = sekha__call_sync(c, start, args, out ? &res : NULL, err);
    /* out is the address of a typed result pointer; memcpy avoids writing it as void *. */
    if (out)
        memcpy(out, &res, sizeof res);
    return rc;
}

int ctl_check_u32(long v)
{
    return v >= 0 && (unsigned long)v <= 4294967295UL;
}

int ctl_not_blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return 1;
    return 0;
}

char *ctl_conversation_path(const char *id, const char *suffix)
{
    sekha_buf b = {0};
    if (sekha__buf_puts(&b, "/api/v1/conversations/") != 0 || sekha__url_encode(&b, id) != 0 ||
        sekha__buf_puts(&b, suffix ? suffix : "") != 0) {
        sekha__buf_free(&b);
        return NULL;
    }
    return sekha__buf_steal(&b, NULL);
}

cJSON *ctl_string_array(const char *const *list)
{
    cJSON *arr = cJSON_CreateArray();
    for (; arr && list && *list; list++) {
        cJSON *s = cJSON_CreateString(*list);
        if (!s) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, s);
    }
    return arr;
}
