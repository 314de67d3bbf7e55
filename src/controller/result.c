/* Controller sub-client plumbing: the shared result header, the defensive JSON readers,
 * and the helpers that turn an endpoint's arguments into a typed core call. */
#include "controller/ctl.h"
#include "core/jwrite.h"

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
    /* RFC 8259 requires UTF-8 (callers print these strings); the JSON reader checks it
     * as it goes, so only unparsed bodies are checked here. */
    if (!parse && !sekha__utf8_valid(body, len)) {
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: the body is not valid UTF-8", what);
        return NULL;
    }
    /* One block for the typed struct and the body it points into; what decoding keeps
     * goes to the document's arena (its values to a table the thread reuses). */
    ctl_result *r = malloc(size + len + 1);
    if (!r) {
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    memset(r, 0, size);
    r->raw = (char *)r + size;
    memcpy(r->raw, body, len);
    r->raw[len] = '\0';
    sekha__ref_init(&r->ref);
    if (!parse)
        return r;
    size_t at = 0;
    int rc = len ? sekha__jdoc_parse(&r->doc, r->raw, len, &at) : -1;
    if (rc == 0)
        return r;
    if (rc == -2)
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
    else if (rc == -3)
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: the body is not valid UTF-8 (at byte %zu of %zu)", what,
                                at, len);
    else if (!len)
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: expected a JSON body, got an empty one", what);
    else
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: the body is not valid JSON (broken at byte %zu of %zu)",
                                what, at, len);
    ctl_result_release(r);
    return NULL;
}

void ctl_result_release(void *p)
{
    ctl_result *r = p;
    if (!r || !sekha__ref_put(&r->ref))
        return;
    sekha__jdoc_free(&r->doc);
    free(r);
}

void *ctl_result_copy(const void *p)
{
    const ctl_result *r = p;
    if (!r)
        return NULL;
    sekha__ref_get(&r->ref);
    return (void *)r; /* the count is not part of the lent, const view */
}

/* ---- defensive readers ---- */

void ctl_dec_fail(ctl_dec *d, const char *key, const char *expected)
{
    if (d->err)
        return;
    char field[160];
    if (d->item && *d->item)
        snprintf(field, sizeof field, "%s[%zu].%s", d->item, d->index, key);
    else if (d->item) /* a bare top-level array */
        snprintf(field, sizeof field, "[%zu].%s", d->index, key);
    else
        snprintf(field, sizeof field, "%s", key);
    d->err = sekha__json_bad(d->what, field, expected);
}

static void dec_nomem(ctl_dec *d)
{
    if (!d->err)
        d->err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
}

void ctl_dec_item(ctl_dec *d, const char *name, size_t i)
{
    d->item = name;
    d->index = i;
}

/* A string member decoded into the arena; NULL (recorded) when it cannot be. */
static const char *str_of(ctl_dec *d, const sekha_jv *v, const char *key)
{
    const char *s = sekha__jstr(d->doc, v);
    if (!s && v && v->type == SEKHA_J_STRING) {
        /* Either no memory or U+0000, which a C string cannot carry. */
        if (memchr(v->p, '\\', v->len))
            ctl_dec_fail(d, key, "a string without U+0000");
        else
            dec_nomem(d);
    }
    return s;
}

const char *ctl_req_str(ctl_dec *d, const sekha_jv *o, const char *key)
{
    const sekha_jv *v = sekha__jget(d->doc, o, key);
    const char *s = str_of(d, v, key);
    if (s)
        return s;
    ctl_dec_fail(d, key, "a string");
    return "";
}

const char *ctl_opt_str(ctl_dec *d, const sekha_jv *o, const char *key)
{
    const sekha_jv *v = sekha__jget(d->doc, o, key);
    if (!v || v->type == SEKHA_J_NULL)
        return NULL;
    const char *s = str_of(d, v, key);
    if (!s)
        ctl_dec_fail(d, key, "a string or null");
    return s;
}

/* The readers of one value v (NULL when absent); they record an error and return 0. */
static double num_of(ctl_dec *d, const sekha_jv *v, const char *key)
{
    double x;
    if (sekha__jnum(v, &x) && isfinite(x))
        return x;
    ctl_dec_fail(d, key, "a number");
    return 0;
}

static long long count_of(ctl_dec *d, const sekha_jv *v, const char *key)
{
    double x;
    /* 2^63 is exactly representable, so the comparison keeps the cast defined. */
    if (sekha__jnum(v, &x) && x >= 0 && x < 9223372036854775808.0 && floor(x) == x)
        return (long long)x;
    ctl_dec_fail(d, key, "a whole number >= 0");
    return 0;
}

static int bool_of(ctl_dec *d, const sekha_jv *v, const char *key)
{
    if (v && (v->type == SEKHA_J_TRUE || v->type == SEKHA_J_FALSE))
        return v->type == SEKHA_J_TRUE;
    ctl_dec_fail(d, key, "a boolean");
    return 0;
}

static int absent(const sekha_jv *v)
{
    return !v || v->type == SEKHA_J_NULL;
}

double ctl_req_num(ctl_dec *d, const sekha_jv *o, const char *key)
{
    return num_of(d, sekha__jget(d->doc, o, key), key);
}

long long ctl_req_count(ctl_dec *d, const sekha_jv *o, const char *key)
{
    return count_of(d, sekha__jget(d->doc, o, key), key);
}

int ctl_req_bool(ctl_dec *d, const sekha_jv *o, const char *key)
{
    return bool_of(d, sekha__jget(d->doc, o, key), key);
}

/* Absent optional numbers read -1, which none of these fields can really be. */
long long ctl_opt_count(ctl_dec *d, const sekha_jv *o, const char *key)
{
    const sekha_jv *v = sekha__jget(d->doc, o, key);
    return absent(v) ? -1 : count_of(d, v, key);
}

double ctl_opt_num(ctl_dec *d, const sekha_jv *o, const char *key)
{
    const sekha_jv *v = sekha__jget(d->doc, o, key);
    return absent(v) ? -1 : num_of(d, v, key);
}

int ctl_opt_bool(ctl_dec *d, const sekha_jv *o, const char *key)
{
    const sekha_jv *v = sekha__jget(d->doc, o, key);
    return absent(v) ? -1 : bool_of(d, v, key);
}

const sekha_jv *ctl_req_array(ctl_dec *d, const sekha_jv *o, const char *key)
{
    const sekha_jv *v = sekha__jget(d->doc, o, key);
    if (v && v->type == SEKHA_J_ARRAY)
        return v;
    ctl_dec_fail(d, key, "an array");
    return NULL;
}

char *ctl_compact(ctl_dec *d, const sekha_jv *v)
{
    char *s = sekha__jcompact(d->doc, v);
    if (!s)
        dec_nomem(d);
    return s;
}

int ctl_need_object(ctl_dec *d, const sekha_jv *root)
{
    if (root && root->type == SEKHA_J_OBJECT)
        return 1;
    if (!d->err)
        d->err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                  "%s: expected a JSON object", d->what);
    return 0;
}

/* ---- requests ---- */

/* The controller's repository answers a missing conversation with a 500 "Entity not found"
 * on some routes (pin, archive, summaries): that is a not-found, and retrying it only
 * delays the same answer. */
static sekha_code refine_controller_error(int status, const char *body, size_t len)
{
    static const char needle[] = "Entity not found";
    if (status != 500 || len < sizeof needle - 1)
        return SEKHA_OK;
    return memmem(body, len, needle, sizeof needle - 1) ? SEKHA_E_NOT_FOUND : SEKHA_OK;
}

sekha_request *ctl_send(sekha_client *c, const ctl_send_args *a, const sekha__call_spec *cs,
                        sekha__fn cb, void *ud)
{
    if (!c) { /* nobody to call back: like sekha_http_request, report nothing */
        cJSON_Delete(a->body);
        return NULL;
    }
    const sekha_buf *text = a->text;
    if (a->body) {
        /* The core copies the body, so the client's scratch buffer can hold it meanwhile. */
        sekha_buf *b = sekha__client_scratch(c);
        char why[320];
        int rc = sekha__jw_tree(b, a->body, why, sizeof why);
        cJSON_Delete(a->body);
        if (rc == SEKHA_JW_NOMEM)
            return ctl_nomem(c, cs, cb, ud);
        if (rc != 0)
            return ctl_reject(c, cs, cb, ud, "%s: %s", a->fn ? a->fn : a->what, why);
        text = b;
    }
    char *body = text ? text->data : NULL;
    size_t len = text ? text->len : 0;
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
        .refine = refine_controller_error,
    };
    return sekha__call(c, &spec, cs, NULL, NULL, cb, ud);
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

sekha_request *ctl_fail(sekha_client *c, const sekha__call_spec *cs, sekha__fn cb, void *ud,
                        sekha_error *err)
{
    if (!c) {
        sekha_error_free(err);
        return NULL;
    }
    return sekha__call_fail(c, NULL, cs, err, cb, ud);
}

void ctl_done_sync_cb(sekha_request *req, const sekha_error *err, void *s)
{
    (void)req;
    sekha__sync_finish(s, err, NULL);
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
