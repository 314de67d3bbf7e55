/* Call parameters: a small table of typed slots.
 *
 * Every key has one slot, found through a table so the public numbering can leave gaps
 * between the types. Setting checks the value against the key's type and range; a call
 * checks that it reads every key that is set (sekha__params_check), so a parameter meant
 * for another call is an error rather than silently ignored. */
#include "shared/shared.h"
#include "core/jwrite.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_TEXT, K_JSON, K_JSON_OBJECT, K_INT, K_REAL, K_LIST, K_BYTES, K_FN };

typedef struct key_info {
    sekha_param key;
    const char *name;
    enum kind kind;
    int64_t min, max; /* K_INT: the range; K_REAL: min only */
} key_info;

#define I64_MAX INT64_MAX

static const key_info keys[] = {
    {SEKHA_PARAM_MODEL, "model", K_TEXT, 0, 0},
    {SEKHA_PARAM_EXTRA_JSON, "extra_json", K_JSON_OBJECT, 0, 0},
    {SEKHA_PARAM_LABEL, "label", K_TEXT, 0, 0},
    {SEKHA_PARAM_FOLDER, "folder", K_TEXT, 0, 0},
    {SEKHA_PARAM_STATUS, "status", K_TEXT, 0, 0},
    {SEKHA_PARAM_LEVEL, "level", K_TEXT, 0, 0},
    {SEKHA_PARAM_FILTERS_JSON, "filters_json", K_JSON, 0, 0},
    {SEKHA_PARAM_FORMAT, "format", K_TEXT, 0, 0},
    {SEKHA_PARAM_CONTEXT_QUERY, "context_query", K_TEXT, 0, 0},
    {SEKHA_PARAM_SEARCH_QUERY, "search_query", K_TEXT, 0, 0},
    {SEKHA_PARAM_CONTENT_TYPE, "content_type", K_TEXT, 0, 0},
    {SEKHA_PARAM_CURSOR, "cursor", K_TEXT, 0, 0},
    {SEKHA_PARAM_MAX_TOKENS, "max_tokens", K_INT, 1, I64_MAX},
    {SEKHA_PARAM_IMPORTANCE, "importance", K_INT, 1, 10},
    {SEKHA_PARAM_PINNED, "pinned", K_INT, 0, 1},
    {SEKHA_PARAM_ARCHIVED, "archived", K_INT, 0, 1},
    {SEKHA_PARAM_PAGE, "page", K_INT, 1, I64_MAX},
    {SEKHA_PARAM_PAGE_SIZE, "page_size", K_INT, 1, I64_MAX},
    {SEKHA_PARAM_LIMIT, "limit", K_INT, 1, I64_MAX},
    {SEKHA_PARAM_OFFSET, "offset", K_INT, 0, I64_MAX},
    {SEKHA_PARAM_BUDGET, "budget", K_INT, 1, I64_MAX},
    {SEKHA_PARAM_THRESHOLD_DAYS, "threshold_days", K_INT, 0, I64_MAX},
    {SEKHA_PARAM_INCLUDE_METADATA, "include_metadata", K_INT, 0, 1},
    {SEKHA_PARAM_EMBED_API, "embed_api", K_INT, 0, 2},
    {SEKHA_PARAM_TIMEOUT_MS, "timeout_ms", K_INT, 1, 86400000},
    {SEKHA_PARAM_HTTP_FLAGS, "http_flags", K_INT, 0, 0xffff},
    {SEKHA_PARAM_REQUIRE_VISION, "require_vision", K_INT, 0, 1},
    {SEKHA_PARAM_CONTEXT_SIZE, "context_size", K_INT, 1, I64_MAX},
    {SEKHA_PARAM_TEMPERATURE, "temperature", K_REAL, 0, 0},
    {SEKHA_PARAM_IMPORTANCE_THRESHOLD, "importance_threshold", K_REAL, 0, 0},
    {SEKHA_PARAM_MAX_COST, "max_cost", K_REAL, 0, 0},
    {SEKHA_PARAM_PREFERRED_LABELS, "preferred_labels", K_LIST, 0, 0},
    {SEKHA_PARAM_EXCLUDED_FOLDERS, "excluded_folders", K_LIST, 0, 0},
    {SEKHA_PARAM_LABELS, "labels", K_LIST, 0, 0},
    {SEKHA_PARAM_HEADERS, "headers", K_LIST, 0, 0},
    {SEKHA_PARAM_BODY, "body", K_BYTES, 0, 0},
    {SEKHA_PARAM_ON_CHUNK, "on_chunk", K_FN, 0, 0},
    {SEKHA_PARAM_ON_EVENT, "on_event", K_FN, 0, 0},
    {SEKHA_PARAM_ON_PROGRESS, "on_progress", K_FN, 0, 0},
};

#define NKEYS (sizeof keys / sizeof *keys)
_Static_assert(NKEYS <= 64, "the set mask has one bit per key");

typedef struct slot {
    int set;
    union {
        char *text;
        int64_t i;
        double d;
        char **list;
        struct {
            void *data;
            size_t len;
        } bytes;
        struct {
            sekha__fn fn;
            void *ud;
        } cb;
    } v;
} slot;

struct sekha_params {
    uint64_t set;     /* bit i: slots[i] is set, so a call's check visits only those */
    slot slots[NKEYS];
    char *error; /* the first failed setter, NULL when none */
    sekha_code error_code; /* and its code (SEKHA_E_INVALID_ARG or SEKHA_E_NOMEM) */
};

/* The slot of a key: the public numbering is a block per type (text from 1, integers from
 * 100, reals from 200, lists from 300, bytes from 400, callbacks from 500), and the table
 * above lists the blocks in order, so the slot is the block's first slot plus the offset
 * (checked against the table, so a key in a gap is unknown). Reads are constant-time. */
static int index_of(sekha_param key)
{
    static const int first[] = {0, 12, 28, 31, 35, 36}; /* slot of each block's first key */
    static const int base[] = {1, 100, 200, 300, 400, 500};
    int k = (int)key, block = k < 100 ? 0 : k / 100;
    if (k < 1 || block > 5)
        return -1;
    int i = first[block] + (k - base[block]);
    int end = block == 5 ? (int)NKEYS : first[block + 1];
    return i < end && keys[i].key == key ? i : -1;
}

const char *sekha_param_name(sekha_param key)
{
    int i = index_of(key);
    return i < 0 ? "unknown" : keys[i].name;
}

sekha_params *sekha_params_new(void)
{
    return calloc(1, sizeof(sekha_params));
}

static void free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

static void clear_slot(sekha_params *p, size_t i)
{
    slot *s = &p->slots[i];
    if (s->set) {
        switch (keys[i].kind) {
        case K_TEXT:
        case K_JSON:
        case K_JSON_OBJECT: free(s->v.text); break;
        case K_LIST: free_list(s->v.list); break;
        case K_BYTES: free(s->v.bytes.data); break;
        default: break;
        }
    }
    memset(s, 0, sizeof *s);
    p->set &= ~(UINT64_C(1) << i);
}

void sekha_params_free(sekha_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        clear_slot(p, i);
    free(p->error);
    free(p);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static sekha_code fail(sekha_params *p, sekha_code code, const char *fmt, ...)
{
    if (!p->error) {
        p->error_code = code;
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        p->error = strdup(why);
    }
    return code;
}

static char **copy_list(const char *const *values)
{
    size_t n = 0;
    while (values[n])
        n++;
    char **list = calloc(n + 1, sizeof *list);
    for (size_t i = 0; list && i < n; i++)
        if (!(list[i] = strdup(values[i]))) {
            free_list(list);
            return NULL;
        }
    return list;
}

/* The slot of key if it has the wanted kind; else remembers why not and returns -1. */
static int slot_for(sekha_params *p, sekha_param key, int want_text, enum kind want)
{
    int i = index_of(key);
    if (i < 0) {
        fail(p, SEKHA_E_INVALID_ARG, "%d is not a parameter key", (int)key);
        return -1;
    }
    enum kind k = keys[i].kind;
    int text = k == K_TEXT || k == K_JSON || k == K_JSON_OBJECT;
    if (want_text ? !text : k != want) {
        fail(p, SEKHA_E_INVALID_ARG, "the parameter %s is not set with this setter",
             keys[i].name);
        return -1;
    }
    return i;
}

sekha_code sekha_params_set_text(sekha_params *p, sekha_param key, const char *value)
{
    if (!p)
        return SEKHA_E_INVALID_ARG;
    int i = slot_for(p, key, 1, K_TEXT);
    if (i < 0)
        return SEKHA_E_INVALID_ARG;
    if (!value) {
        clear_slot(p, (size_t)i);
        return SEKHA_OK;
    }
    char why[192];
    const char *name = keys[i].name;
    size_t n = strlen(value);
    if (sekha__utf8_invalid_at(value, n) != n) {
        sekha__jw_why_utf8(why, sizeof why, name, value);
        return fail(p, SEKHA_E_INVALID_ARG, "%s", why);
    }
    if (keys[i].kind != K_TEXT) {
        int rc = sekha__jw_check_text(value, name, why, sizeof why);
        if (rc == SEKHA_JW_NOMEM)
            return fail(p, SEKHA_E_NOMEM, "out of memory setting %s", keys[i].name);
        if (rc)
            return fail(p, SEKHA_E_INVALID_ARG, "%s", why);
        if (keys[i].kind == K_JSON_OBJECT) {
            size_t k = 0;
            while (value[k] == ' ' || value[k] == '\t' || value[k] == '\n' || value[k] == '\r')
                k++;
            if (value[k] != '{')
                return fail(p, SEKHA_E_INVALID_ARG, "%s must be a JSON object", name);
        }
    }
    char *copy = strdup(value);
    if (!copy)
        return fail(p, SEKHA_E_NOMEM, "out of memory setting %s", keys[i].name);
    clear_slot(p, (size_t)i);
    p->slots[i].set = 1;
    p->set |= UINT64_C(1) << i;
    p->slots[i].v.text = copy;
    return SEKHA_OK;
}

sekha_code sekha_params_set_int(sekha_params *p, sekha_param key, int64_t value)
{
    if (!p)
        return SEKHA_E_INVALID_ARG;
    int i = slot_for(p, key, 0, K_INT);
    if (i < 0)
        return SEKHA_E_INVALID_ARG;
    if (value < keys[i].min || value > keys[i].max) {
        if (keys[i].max == I64_MAX)
            return fail(p, SEKHA_E_INVALID_ARG, "%s must be >= %lld (got %lld)", keys[i].name,
                        (long long)keys[i].min, (long long)value);
        return fail(p, SEKHA_E_INVALID_ARG, "%s must be from %lld to %lld (got %lld)",
                    keys[i].name, (long long)keys[i].min, (long long)keys[i].max,
                    (long long)value);
    }
    p->slots[i].set = 1;
    p->set |= UINT64_C(1) << i;
    p->slots[i].v.i = value;
    return SEKHA_OK;
}

sekha_code sekha_params_set_real(sekha_params *p, sekha_param key, double value)
{
    if (!p)
        return SEKHA_E_INVALID_ARG;
    int i = slot_for(p, key, 0, K_REAL);
    if (i < 0)
        return SEKHA_E_INVALID_ARG;
    if (!isfinite(value) || value < (double)keys[i].min)
        return fail(p, SEKHA_E_INVALID_ARG, "%s must be finite and >= %lld", keys[i].name,
                    (long long)keys[i].min);
    p->slots[i].set = 1;
    p->set |= UINT64_C(1) << i;
    p->slots[i].v.d = value;
    return SEKHA_OK;
}

sekha_code sekha_params_set_list(sekha_params *p, sekha_param key, const char *const *values)
{
    if (!p)
        return SEKHA_E_INVALID_ARG;
    int i = slot_for(p, key, 0, K_LIST);
    if (i < 0)
        return SEKHA_E_INVALID_ARG;
    if (!values) {
        clear_slot(p, (size_t)i);
        return SEKHA_OK;
    }
    for (size_t k = 0; values[k]; k++) {
        size_t n = strlen(values[k]);
        if (sekha__utf8_invalid_at(values[k], n) != n) {
            char name[64], why[192];
            snprintf(name, sizeof name, "%s[%zu]", keys[i].name, k);
            sekha__jw_why_utf8(why, sizeof why, name, values[k]);
            return fail(p, SEKHA_E_INVALID_ARG, "%s", why);
        }
    }
    char **list = copy_list(values);
    if (!list)
        return fail(p, SEKHA_E_NOMEM, "out of memory setting %s", keys[i].name);
    clear_slot(p, (size_t)i);
    p->slots[i].set = 1;
    p->set |= UINT64_C(1) << i;
    p->slots[i].v.list = list;
    return SEKHA_OK;
}

sekha_code sekha_params_set_bytes(sekha_params *p, sekha_param key, const void *data, size_t len)
{
    if (!p)
        return SEKHA_E_INVALID_ARG;
    int i = slot_for(p, key, 0, K_BYTES);
    if (i < 0)
        return SEKHA_E_INVALID_ARG;
    if (!data && len)
        return fail(p, SEKHA_E_INVALID_ARG, "%s: NULL data with a length", keys[i].name);
    if (!data) {
        clear_slot(p, (size_t)i);
        return SEKHA_OK;
    }
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return fail(p, SEKHA_E_NOMEM, "out of memory setting %s", keys[i].name);
    memcpy(copy, data, len);
    clear_slot(p, (size_t)i);
    p->slots[i].set = 1;
    p->set |= UINT64_C(1) << i;
    p->slots[i].v.bytes.data = copy;
    p->slots[i].v.bytes.len = len;
    return SEKHA_OK;
}

sekha_code sekha__params_set_fn(sekha_params *p, sekha_param key, sekha__fn fn, void *userdata)
{
    if (!p)
        return SEKHA_E_INVALID_ARG;
    int i = slot_for(p, key, 0, K_FN);
    if (i < 0)
        return SEKHA_E_INVALID_ARG;
    clear_slot(p, (size_t)i);
    if (fn) {
        p->slots[i].set = 1;
        p->set |= UINT64_C(1) << i;
        p->slots[i].v.cb.fn = fn;
        p->slots[i].v.cb.ud = userdata;
    }
    return SEKHA_OK;
}

sekha_code sekha_params_unset(sekha_params *p, sekha_param key)
{
    int i = index_of(key);
    if (!p || i < 0)
        return SEKHA_E_INVALID_ARG;
    clear_slot(p, (size_t)i);
    return SEKHA_OK;
}

int sekha_params_isset(const sekha_params *p, sekha_param key)
{
    int i = index_of(key);
    return p && i >= 0 && p->slots[i].set;
}

const char *sekha_params_error(const sekha_params *p)
{
    return p && p->error ? p->error : "";
}

void sekha_params_clear_error(sekha_params *p)
{
    if (!p)
        return;
    free(p->error);
    p->error = NULL;
    p->error_code = SEKHA_OK;
}

sekha_params *sekha_params_copy(const sekha_params *p)
{
    if (!p)
        return NULL;
    sekha_params *c = sekha_params_new();
    if (!c)
        return NULL;
    for (size_t i = 0; i < NKEYS; i++) {
        const slot *s = &p->slots[i];
        if (!s->set)
            continue;
        slot *d = &c->slots[i];
        *d = *s;
        int bad = 0;
        switch (keys[i].kind) {
        case K_TEXT:
        case K_JSON:
        case K_JSON_OBJECT: bad = !(d->v.text = strdup(s->v.text)); break;
        case K_LIST: bad = !(d->v.list = copy_list((const char *const *)s->v.list)); break;
        case K_BYTES:
            d->v.bytes.data = malloc(s->v.bytes.len ? s->v.bytes.len : 1);
            bad = !d->v.bytes.data;
            if (!bad)
                memcpy(d->v.bytes.data, s->v.bytes.data, s->v.bytes.len);
            break;
        default: break;
        }
        if (bad) {
            d->set = 0;
            sekha_params_free(c);
            return NULL;
        }
    }
    c->set = p->set;
    c->error_code = p->error_code;
    if (p->error && !(c->error = strdup(p->error))) {
        sekha_params_free(c);
        return NULL;
    }
    return c;
}

/* ---- reading (the services) ---- */

sekha_error *sekha__params_check(const sekha_params *p, const char *call,
                                 const sekha_param *allowed)
{
    if (!p)
        return NULL;
    if (p->error)
        return sekha__error_new(p->error_code, SEKHA_LAYER_LOCAL, "%s: %s", call, p->error);
    for (uint64_t bits = p->set; bits; bits &= bits - 1) {
        int i = __builtin_ctzll(bits);
        size_t k = 0;
        while (allowed && allowed[k] && allowed[k] != keys[i].key)
            k++;
        if (!allowed || !allowed[k])
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "%s: the parameter %s does not apply to this call", call,
                                    keys[i].name);
    }
    return NULL;
}

static const slot *get(const sekha_params *p, sekha_param key)
{
    if (!p)
        return NULL;
    int i = index_of(key);
    return i >= 0 && p->slots[i].set ? &p->slots[i] : NULL;
}

const char *sekha__params_text(const sekha_params *p, sekha_param key)
{
    const slot *s = get(p, key);
    return s ? s->v.text : NULL;
}

int sekha__params_int(const sekha_params *p, sekha_param key, int64_t *out)
{
    const slot *s = get(p, key);
    if (s)
        *out = s->v.i;
    return s != NULL;
}

int sekha__params_real(const sekha_params *p, sekha_param key, double *out)
{
    const slot *s = get(p, key);
    if (s)
        *out = s->v.d;
    return s != NULL;
}

const char *const *sekha__params_list(const sekha_params *p, sekha_param key)
{
    const slot *s = get(p, key);
    return s ? (const char *const *)s->v.list : NULL;
}

const void *sekha__params_bytes(const sekha_params *p, sekha_param key, size_t *len)
{
    const slot *s = get(p, key);
    if (len)
        *len = s ? s->v.bytes.len : 0;
    return s ? s->v.bytes.data : NULL;
}

sekha__fn sekha__params_fn(const sekha_params *p, sekha_param key, void **userdata)
{
    const slot *s = get(p, key);
    if (userdata)
        *userdata = s ? s->v.cb.ud : NULL;
    return s ? s->v.cb.fn : NULL;
}
