/* HTTP and JSON helpers for the devserver_controller tests: one libcurl easy request per
 * call and Criterion checks for the controller's answer forms (ErrorResponse, plain-text
 * rejections, bare statuses). Static inline, so a file that uses only some of them builds
 * warning-free. */
#ifndef SEKHA_TEST_DEVSERVER_CONTROLLER_HTTP_H
#define SEKHA_TEST_DEVSERVER_CONTROLLER_HTTP_H

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct res {
    long status;
    char *body;
    size_t len;
    char ctype[128];
} res;

static inline size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    res *r = ud;
    char *nb = realloc(r->body, r->len + sz * n + 1);
    cr_assert_not_null(nb);
    memcpy(nb + r->len, p, sz * n);
    r->len += sz * n;
    nb[r->len] = '\0';
    r->body = nb;
    return sz * n;
}

/* One request against base (a controller URL). ctype NULL sends no Content-Type; auth is
 * the full Authorization value or NULL. */
static inline res http_to(const char *base, const char *method, const char *path,
                          const char *body, const char *ctype, const char *auth)
{
    res r = {0, NULL, 0, ""};
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    struct curl_slist *h = NULL;
    char line[256];
    /* curl adds a form Content-Type to any body unless told otherwise; an empty
     * "Content-Type:" header removes it. */
    snprintf(line, sizeof line, "Content-Type:%s%s", ctype ? " " : "", ctype ? ctype : "");
    h = curl_slist_append(h, line);
    if (auth) {
        snprintf(line, sizeof line, "Authorization: %s", auth);
        h = curl_slist_append(h, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r.ctype, sizeof r.ctype, "%s", ct ? ct : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!r.body) {
        r.body = calloc(1, 1);
        cr_assert_not_null(r.body);
    }
    return r;
}

static inline void res_free(res *r)
{
    free(r->body);
    r->body = NULL;
}

static inline cJSON *parse(const res *r)
{
    cJSON *j = cJSON_Parse(r->body);
    cr_assert_not_null(j, "not JSON (status %ld): %s", r->status, r->body);
    return j;
}

static inline const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsString(v), "field %s is not a string", k);
    return v->valuestring;
}

static inline double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsNumber(v), "field %s is not a number", k);
    return v->valuedouble;
}

static inline const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert_not_null(v, "field %s missing", k);
    return v;
}

/* Status, empty body and no Content-Type: the controller's bare answers. */
static inline void expect_empty(res r, long status)
{
    cr_expect_eq(r.status, status, "status %ld, wanted %ld (body %s)", r.status, status, r.body);
    cr_expect_eq(r.len, 0, "body should be empty: %s", r.body);
    cr_expect_str_empty(r.ctype, "no Content-Type expected, got %s", r.ctype);
    res_free(&r);
}

/* ErrorResponse {"error": msg, "code": status}. */
static inline void expect_error(res r, long status, const char *msg)
{
    cr_expect_eq(r.status, status, "status %ld, wanted %ld (body %s)", r.status, status, r.body);
    cJSON *j = parse(&r);
    cr_expect_str_eq(str(j, "error"), msg);
    cr_expect_eq(num(j, "code"), (double)status);
    cJSON_Delete(j);
    res_free(&r);
}

/* axum's plain-text extractor rejections. */
static inline void expect_text(res r, long status, const char *needle)
{
    cr_expect_eq(r.status, status, "status %ld, wanted %ld (body %s)", r.status, status, r.body);
    cr_expect(strncmp(r.ctype, "text/plain", 10) == 0, "Content-Type %s", r.ctype);
    if (needle)
        cr_expect_not_null(strstr(r.body, needle), "'%s' not in '%s'", needle, r.body);
    res_free(&r);
}

/* NaiveDateTime form: YYYY-MM-DD?HH:MM:SS.ffffff with sep 'T' (REST) or ' ' (MCP). */
static inline void expect_naive(const char *ts, char sep)
{
    cr_expect(strlen(ts) >= 19 && ts[4] == '-' && ts[7] == '-' && ts[10] == sep &&
                  ts[13] == ':' && ts[16] == ':' && !strchr(ts, 'Z') && !strchr(ts, '+'),
              "bad timestamp '%s'", ts);
}

#endif
