#include "core/cnum.h"
#include "core/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24L * 3600L * 1000L)
#define MAX_KEY_BYTES 4096
#define MAX_UA_BYTES 256

static const char *const default_url[SEKHA_SERVICE_COUNT] = {
    "http://localhost:8080", "http://localhost:5001", NULL};

static sekha_code reject(sekha_options *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static sekha_code reject(sekha_options *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->last_error, sizeof o->last_error, fmt, ap);
    va_end(ap);
    return SEKHA_E_INVALID_ARG;
}

static sekha_code ok(sekha_options *o)
{
    o->last_error[0] = '\0';
    return SEKHA_OK;
}

static int svc_ok(sekha_service svc)
{
    return (int)svc >= 0 && (int)svc < SEKHA_SERVICE_COUNT;
}

static const char *svc_name(sekha_service svc)
{
    static const char *const names[] = {"controller", "bridge", "MCP"};
    return svc_ok(svc) ? names[svc] : "unknown";
}

sekha_options *sekha_options_new(void)
{
    sekha_options *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->call_timeout_ms = 300000;
    o->attempt_timeout_ms = 30000;
    o->connect_timeout_ms = 10000;
    o->stream_idle_timeout_ms = 30000;
    o->max_retries = 3;
    o->backoff_base_ms = 250;
    o->backoff_cap_ms = 8000;
    o->retry_budget_ms = 60000;
    o->max_retry_after_ms = 60000;
    o->rate_requests[SEKHA_SERVICE_CONTROLLER] = 1000;
    o->rate_window_ms[SEKHA_SERVICE_CONTROLLER] = 60000;
    o->rate_window_ms[SEKHA_SERVICE_BRIDGE] = 60000;
    o->rate_window_ms[SEKHA_SERVICE_MCP] = 60000;
    o->tls_insecure = 0;
    o->max_response_bytes = (size_t)64 << 20;
    o->max_event_bytes = (size_t)1 << 20;
    o->log_level = SEKHA_LOG_INFO;
    return o;
}

void sekha_options_free(sekha_options *o)
{
    if (!o)
        return;
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        free(o->url[i]);
        sekha__secret_free(o->key[i]);
    }
    free(o->user_agent);
    free(o->ca_file);
    free(o->record_path);
    free(o);
}

sekha_options *sekha_options_copy(const sekha_options *src)
{
    if (!src)
        return sekha_options_new();
    sekha_options *o = malloc(sizeof *o);
    if (!o)
        return NULL;
    *o = *src;
    int failed = 0;
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        o->url[i] = src->url[i] ? strdup(src->url[i]) : NULL;
        o->key[i] = src->key[i] ? sekha__secret_dup(src->key[i], strlen(src->key[i])) : NULL;
        failed |= (src->url[i] && !o->url[i]) || (src->key[i] && !o->key[i]);
    }
    o->user_agent = src->user_agent ? strdup(src->user_agent) : NULL;
    o->ca_file = src->ca_file ? strdup(src->ca_file) : NULL;
    o->record_path = src->record_path ? strdup(src->record_path) : NULL;
    failed |= (src->user_agent && !o->user_agent) || (src->ca_file && !o->ca_file) ||
              (src->record_path && !o->record_path);
    if (failed) {
        sekha_options_free(o);
        return NULL;
    }
    return o;
}

const char *sekha_options_last_error(const sekha_options *o)
{
    return o ? o->last_error : "options are NULL";
}

sekha_code sekha_options_set_url(sekha_options *o, sekha_service svc, const char *url)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (!svc_ok(svc))
        return reject(o, "unknown service %d", (int)svc);
    char why[160];
    if (sekha__url_check_base(url, why, sizeof why) != 0)
        return reject(o, "%s URL rejected: %s", svc_name(svc), why);
    char *copy = strdup(url);
    if (!copy)
        return reject(o, "out of memory");
    size_t n = strlen(copy);
    while (n > 0 && copy[n - 1] == '/')
        copy[--n] = '\0';
    free(o->url[svc]);
    o->url[svc] = copy;
    return ok(o);
}

const char *sekha_options_get_url(const sekha_options *o, sekha_service svc)
{
    if (!o || !svc_ok(svc))
        return NULL;
    if (o->url[svc])
        return o->url[svc];
    if (svc == SEKHA_SERVICE_MCP)
        return sekha_options_get_url(o, SEKHA_SERVICE_CONTROLLER);
    return default_url[svc];
}

sekha_code sekha_options_set_api_key(sekha_options *o, sekha_service svc, const char *key)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (!svc_ok(svc))
        return reject(o, "unknown service %d", (int)svc);
    char *copy = NULL;
    if (key && *key) {
        size_t n = strlen(key);
        if (n > MAX_KEY_BYTES)
            return reject(o, "%s API key is longer than %d bytes", svc_name(svc), MAX_KEY_BYTES);
        for (size_t i = 0; i < n; i++)
            if (key[i] <= 0x20 || key[i] >= 0x7f)
                return reject(o, "%s API key must be printable ASCII without spaces "
                                 "(character %zu is not)", svc_name(svc), i + 1);
        copy = sekha__secret_dup(key, n);
        if (!copy)
            return reject(o, "out of memory (guarded memory for the key)");
    }
    sekha__secret_free(o->key[svc]);
    o->key[svc] = copy;
    return ok(o);
}

const char *sekha__options_key(const sekha_options *o, sekha_service svc)
{
    if (o->key[svc])
        return o->key[svc];
    return svc == SEKHA_SERVICE_MCP ? o->key[SEKHA_SERVICE_CONTROLLER] : NULL;
}

int sekha_options_has_api_key(const sekha_options *o, sekha_service svc)
{
    return o && svc_ok(svc) && sekha__options_key(o, svc) != NULL;
}

static sekha_code set_ms(sekha_options *o, long *field, long ms, long min, long max,
                         const char *what)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (ms < min || ms > max)
        return reject(o, "%s must be between %ld and %ld ms (got %ld)", what, min, max, ms);
    *field = ms;
    return ok(o);
}

sekha_code sekha_options_set_call_timeout_ms(sekha_options *o, long ms)
{
    if (o && ms == 0) {
        o->call_timeout_ms = 0;
        return ok(o);
    }
    return set_ms(o, o ? &o->call_timeout_ms : NULL, ms, 1, DAY_MS, "call timeout");
}

sekha_code sekha_options_set_attempt_timeout_ms(sekha_options *o, long ms)
{
    return set_ms(o, o ? &o->attempt_timeout_ms : NULL, ms, 1, DAY_MS, "attempt timeout");
}

sekha_code sekha_options_set_connect_timeout_ms(sekha_options *o, long ms)
{
    return set_ms(o, o ? &o->connect_timeout_ms : NULL, ms, 1, DAY_MS, "connect timeout");
}

sekha_code sekha_options_set_stream_idle_timeout_ms(sekha_options *o, long ms)
{
    return set_ms(o, o ? &o->stream_idle_timeout_ms : NULL, ms, 1, DAY_MS,
                  "stream idle timeout");
}

sekha_code sekha_options_set_max_retries(sekha_options *o, int retries)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (retries < 0 || retries > 100)
        return reject(o, "max retries must be between 0 and 100 (got %d)", retries);
    o->max_retries = retries;
    return ok(o);
}

sekha_code sekha_options_set_backoff(sekha_options *o, long base_ms, long cap_ms)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (cap_ms < 1 || cap_ms > 3600L * 1000L)
        return reject(o, "backoff cap must be between 1 ms and 1 hour (got %ld)", cap_ms);
    if (base_ms < 1 || base_ms > cap_ms)
        return reject(o, "backoff base must be between 1 ms and the cap (got %ld)", base_ms);
    o->backoff_base_ms = base_ms;
    o->backoff_cap_ms = cap_ms;
    return ok(o);
}

sekha_code sekha_options_set_retry_budget_ms(sekha_options *o, long ms)
{
    return set_ms(o, o ? &o->retry_budget_ms : NULL, ms, 1, DAY_MS, "retry budget");
}

sekha_code sekha_options_set_max_retry_after_ms(sekha_options *o, long ms)
{
    return set_ms(o, o ? &o->max_retry_after_ms : NULL, ms, 0, DAY_MS, "Retry-After cap");
}

sekha_code sekha_options_set_rate_limit(sekha_options *o, sekha_service svc, long requests,
                                        long window_ms)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (!svc_ok(svc))
        return reject(o, "unknown service %d", (int)svc);
    if (requests < 0 || requests > 1000000000L)
        return reject(o, "rate limit requests must be between 0 and 1e9 (got %ld)", requests);
    if (window_ms < 1 || window_ms > DAY_MS)
        return reject(o, "rate limit window must be between 1 ms and 1 day (got %ld)", window_ms);
    o->rate_requests[svc] = requests;
    o->rate_window_ms[svc] = window_ms;
    return ok(o);
}

/* "N" (per minute), "N/SECONDS" (seconds may be fractional), "0" = no limit. */
sekha_code sekha_options_set_rate_limit_text(sekha_options *o, sekha_service svc,
                                             const char *text)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    const char *why = "expected N (requests per minute), N/SECONDS or 0 for no limit";
    if (!text)
        return reject(o, "%s, got nothing", why);
    char *end;
    errno = 0;
    long n = isdigit((unsigned char)*text) ? strtol(text, &end, 10) : -1;
    long window_ms = 60000;
    if (n < 0 || errno || (*end && *end != '/'))
        return reject(o, "%s, got \"%.40s\"", why, text);
    if (*end == '/') {
        const char *s = end + 1;
        double v = isdigit((unsigned char)*s) || *s == '.' ? sekha__strtod_c(s, &end) : -1;
        if (errno || *end || !isfinite(v) || v <= 0 || v > DAY_MS / 1000.0)
            return reject(o, "%s (SECONDS > 0 and <= 86400), got \"%.40s\"", why, text);
        window_ms = (long)ceil(v * 1000.0);
    }
    return sekha_options_set_rate_limit(o, svc, n, window_ms);
}

static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

sekha_code sekha_options_set_user_agent(sekha_options *o, const char *ua)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (!ua) {
        free(o->user_agent);
        o->user_agent = NULL;
        o->no_user_agent = 1;
        return ok(o);
    }
    if (!*ua || strlen(ua) > MAX_UA_BYTES || !printable(ua))
        return reject(o, "user agent must be 1 to %d printable ASCII characters", MAX_UA_BYTES);
    char *copy = strdup(ua);
    if (!copy)
        return reject(o, "out of memory");
    free(o->user_agent);
    o->user_agent = copy;
    o->no_user_agent = 0;
    return ok(o);
}

sekha_code sekha_options_set_tls_insecure_skip_verify(sekha_options *o, int insecure)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    o->tls_insecure = insecure ? 1 : 0;
    return ok(o);
}

sekha_code sekha_options_set_ca_file(sekha_options *o, const char *path)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    char *copy = NULL;
    if (path) {
        if (!*path || strlen(path) > 4096)
            return reject(o, "CA file path must be 1 to 4096 bytes");
        if (!(copy = strdup(path)))
            return reject(o, "out of memory");
    }
    free(o->ca_file);
    o->ca_file = copy;
    return ok(o);
}

sekha_code sekha_options_set_max_response_bytes(sekha_options *o, size_t bytes)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    /* Compared as 64-bit: 4 GiB does not fit a 32-bit size_t (where every size passes). */
    if (bytes < 1024 || (uint64_t)bytes > (UINT64_C(4) << 30))
        return reject(o, "max response bytes must be between 1 KiB and 4 GiB (got %zu)", bytes);
    o->max_response_bytes = bytes;
    return ok(o);
}

sekha_code sekha_options_set_max_event_bytes(sekha_options *o, size_t bytes)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (bytes < 64 || bytes > ((size_t)256 << 20))
        return reject(o, "max event bytes must be between 64 and 256 MiB (got %zu)", bytes);
    o->max_event_bytes = bytes;
    return ok(o);
}

sekha_code sekha_options_set_log(sekha_options *o, sekha_log_level max_level, sekha_log_fn fn,
                                 void *userdata)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if ((int)max_level < SEKHA_LOG_ERROR || (int)max_level > SEKHA_LOG_DEBUG)
        return reject(o, "unknown log level %d", (int)max_level);
    o->log_level = max_level;
    o->log_fn = fn;
    o->log_ud = userdata;
    return ok(o);
}

sekha_code sekha_options_set_trace(sekha_options *o, sekha_trace_fn fn, void *userdata)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    o->trace_fn = fn;
    o->trace_ud = userdata;
    return ok(o);
}

sekha_code sekha_options_set_traceparent(sekha_options *o, sekha_traceparent_mode mode)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    if (mode != SEKHA_TRACEPARENT_AUTO && mode != SEKHA_TRACEPARENT_ALWAYS &&
        mode != SEKHA_TRACEPARENT_NEVER)
        return reject(o, "traceparent mode must be AUTO, ALWAYS or NEVER");
    o->traceparent_mode = mode;
    return ok(o);
}

sekha_code sekha_options_set_record(sekha_options *o, const char *path)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    char *copy = NULL;
    if (path) {
        if (!*path || strlen(path) > 4096)
            return reject(o, "cassette path must be 1 to 4096 bytes");
        if (!(copy = strdup(path)))
            return reject(o, "out of memory");
    }
    free(o->record_path);
    o->record_path = copy;
    return ok(o);
}

/* ---- environment ---- */

static int parse_seconds(const char *s, long *ms)
{
    char *end;
    errno = 0;
    double v = sekha__strtod_c(s, &end); /* "1.5" whatever the program's locale */
    while (isspace((unsigned char)*end))
        end++;
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > DAY_MS / 1000.0)
        return -1;
    *ms = (long)ceil(v * 1000.0);
    return 0;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

sekha_code sekha_options_from_env(sekha_options *o)
{
    if (!o)
        return SEKHA_E_INVALID_ARG;
    static const struct {
        const char *var;
        sekha_service svc;
        int is_key;
    } strings[] = {
        {"SEKHA_CONTROLLER_URL", SEKHA_SERVICE_CONTROLLER, 0},
        {"SEKHA_BRIDGE_URL", SEKHA_SERVICE_BRIDGE, 0},
        {"SEKHA_MCP_URL", SEKHA_SERVICE_MCP, 0},
        {"SEKHA_API_KEY", SEKHA_SERVICE_CONTROLLER, 1},
        {"SEKHA_BRIDGE_API_KEY", SEKHA_SERVICE_BRIDGE, 1},
        {"SEKHA_MCP_API_KEY", SEKHA_SERVICE_MCP, 1},
    };
    /* Validate everything on a scratch copy first so a bad variable changes nothing. */
    sekha_options *tmp = sekha_options_copy(o);
    if (!tmp)
        return reject(o, "out of memory");
    sekha_code rc = SEKHA_OK;
    for (size_t i = 0; i < sizeof strings / sizeof *strings && rc == SEKHA_OK; i++) {
        const char *v = getenv(strings[i].var);
        if (!v || !*v)
            continue;
        rc = strings[i].is_key ? sekha_options_set_api_key(tmp, strings[i].svc, v)
                               : sekha_options_set_url(tmp, strings[i].svc, v);
        if (rc != SEKHA_OK)
            reject(o, "%s is invalid: %s", strings[i].var, tmp->last_error);
    }
    const char *t = getenv("SEKHA_TIMEOUT");
    if (rc == SEKHA_OK && t && *t) {
        long ms;
        if (parse_seconds(t, &ms) != 0) {
            rc = reject(o, "SEKHA_TIMEOUT is invalid: expected seconds > 0 and <= 86400, got \"%.40s\"", t);
        } else {
            tmp->call_timeout_ms = ms; /* the whole call, retries and streaming included */
        }
    }
    const char *r = getenv("SEKHA_MAX_RETRIES");
    if (rc == SEKHA_OK && r && *r) {
        long n;
        if (parse_int(r, &n) != 0 || n < 0 || n > 100)
            rc = reject(o, "SEKHA_MAX_RETRIES is invalid: expected an integer 0..100, got \"%.40s\"", r);
        else
            tmp->max_retries = (int)n;
    }
    const char *rl = getenv("SEKHA_RATE_LIMIT");
    if (rc == SEKHA_OK && rl && *rl) {
        rc = sekha_options_set_rate_limit_text(tmp, SEKHA_SERVICE_CONTROLLER, rl);
        if (rc != SEKHA_OK)
            reject(o, "SEKHA_RATE_LIMIT is invalid: %s", tmp->last_error);
    }
    if (rc != SEKHA_OK) {
        sekha_options_free(tmp);
        return rc;
    }
    /* Commit: swap the validated fields in, free the old ones with the scratch copy. */
    sekha_options old = *o;
    *o = *tmp;
    memcpy(o->last_error, "", 1);
    *tmp = old;
    sekha_options_free(tmp);
    return SEKHA_OK;
}
