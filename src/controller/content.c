/* Message content as the controller stores it: the SDKs' content helpers (text, image
 * URLs, roles), and the controller's naive timestamps. What is sent is a sekha_messages
 * (src/shared/messages.c). */
#include "controller/ctl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sekha_content {
    cJSON *json;
    char *text;
    const cJSON **images; /* the image_url objects that have a url */
    size_t n_images;
};

int sekha_is_valid_role(const char *role)
{
    static const char *const roles[] = {"user", "assistant", "system", "tool"};
    for (size_t i = 0; role && i < sizeof roles / sizeof *roles; i++)
        if (strcmp(role, roles[i]) == 0)
            return 1;
    return 0;
}

/* ---- content helpers ---- */

static int is_type(const cJSON *part, const char *type)
{
    const char *t = sekha__json_str(part, "type");
    return t && strcmp(t, type) == 0;
}

char *ctl_flatten_content(const cJSON *content)
{
    if (cJSON_IsString(content))
        return strdup(content->valuestring);
    sekha_buf b = {0};
    int first = 1, ok = 1;
    const cJSON *part;
    if (cJSON_IsArray(content)) {
        cJSON_ArrayForEach(part, content) {
            const char *text = sekha__json_str(part, "text");
            if (!is_type(part, "text") || !text)
                continue;
            if ((!first && sekha__buf_puts(&b, " ") != 0) || sekha__buf_puts(&b, text) != 0)
                ok = 0;
            first = 0;
        }
    }
    char *s = ok ? sekha__buf_steal(&b, NULL) : NULL;
    sekha__buf_free(&b);
    return s;
}

sekha_content *sekha_content_parse(const char *json)
{
    if (!json)
        return NULL;
    sekha_content *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->json = cJSON_Parse(json);
    c->text = c->json ? ctl_flatten_content(c->json) : NULL;
    int n = cJSON_IsArray(c->json) ? cJSON_GetArraySize(c->json) : 0;
    c->images = calloc(n > 0 ? (size_t)n : 1, sizeof *c->images);
    if (!c->text || !c->images) {
        sekha_content_free(c);
        return NULL;
    }
    const cJSON *part;
    if (n > 0) {
        cJSON_ArrayForEach(part, c->json) {
            const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
            if (is_type(part, "image_url") && sekha__json_str(iu, "url"))
                c->images[c->n_images++] = iu;
        }
    }
    return c;
}

const char *sekha_content_text(const sekha_content *content)
{
    return content ? content->text : "";
}

size_t sekha_content_image_count(const sekha_content *content)
{
    return content ? content->n_images : 0;
}

const char *sekha_content_image_url(const sekha_content *content, size_t i)
{
    return content && i < content->n_images ? sekha__json_str(content->images[i], "url") : NULL;
}

const char *sekha_content_image_detail(const sekha_content *content, size_t i)
{
    return content && i < content->n_images ? sekha__json_str(content->images[i], "detail")
                                            : NULL;
}

void sekha_content_free(sekha_content *content)
{
    if (!content)
        return;
    cJSON_Delete(content->json);
    free(content->text);
    free(content->images);
    free(content);
}

/* ---- timestamps ---- */

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return len[m - 1] + (m == 2 && leap);
}

sekha_code sekha_timestamp_to_epoch(const char *ts, double *epoch_seconds)
{
    int y, mo, d, h, mi, s;
    const char *p = ts;
    if (!p || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return SEKHA_E_INVALID_ARG;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &s))
        return SEKHA_E_INVALID_ARG;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return SEKHA_E_INVALID_ARG;
    double frac = 0, scale = 0.1;
    if (*p == '.') {
        int n = 0;
        for (p++; isdigit((unsigned char)*p); p++, n++, scale /= 10)
            frac += (*p - '0') * scale;
        if (n < 1 || n > 9)
            return SEKHA_E_INVALID_ARG;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh))
            return SEKHA_E_INVALID_ARG;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om) || oh > 23 || om > 59)
            return SEKHA_E_INVALID_ARG;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*p)
        return SEKHA_E_INVALID_ARG;
    long long secs = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + s - offset;
    if (epoch_seconds)
        *epoch_seconds = (double)secs + frac;
    return SEKHA_OK;
}
