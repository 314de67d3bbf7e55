/* Result objects of the MCP sub-client: a JSON value with path accessors (sekha_mcp_data),
 * one page of tools/list, and a CallToolResult. Each keeps its cJSON tree and hands out
 * pointers into it, or text serialised once and cached, so accessors return strings that
 * live as long as the result. Results are shared by their owners (_copy takes a
 * reference) and may be read from several threads at once: the tree is never changed
 * after decoding, and cached text is published with a compare-and-swap, the loser of a
 * race freeing its own copy. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/ref.h"
#include "mcp/mcp_internal.h"

typedef _Atomic(char *) text_slot;

struct sekha_mcp_data {
    sekha__ref ref;
    cJSON *json;
    text_slot text;
};

struct sekha_mcp_tools {
    sekha__ref ref;
    cJSON *json;
    text_slot text;
    const cJSON *tools;
    size_t n;
    text_slot *schemas;     /* serialised inputSchema of each tool, on first use */
};

struct sekha_mcp_tool_result {
    sekha__ref ref;
    cJSON *json;
    text_slot text;
    const cJSON *content;
    size_t n;
    text_slot *parts;       /* serialised content parts, on first use */
    text_slot structured;
    int is_error;
};

/* ---- paths ---- */

const cJSON *mcp_path(const cJSON *root, const char *path)
{
    const cJSON *v = root;
    while (v && path && *path) {
        size_t n = strcspn(path, ".");
        char key[256];
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (cJSON_IsArray(v)) {
            char *end;
            long i = strtol(key, &end, 10);
            v = (n && *end == '\0' && i >= 0) ? cJSON_GetArrayItem(v, (int)i) : NULL;
        } else if (cJSON_IsObject(v)) {
            v = cJSON_GetObjectItemCaseSensitive(v, key);
        } else {
            v = NULL;
        }
        path += n;
        if (*path == '.')
            path++;
    }
    return v;
}

/* v as compact JSON text, serialised once into *slot; callers on several threads may
 * race: each prints into its own buffer and the first to publish wins. NULL when v is
 * NULL or out of memory (a later call tries again). */
static const char *cached_print(text_slot *slot, const cJSON *v)
{
    char *cur = atomic_load_explicit(slot, memory_order_acquire);
    if (cur || !v)
        return cur;
    char *mine = cJSON_PrintUnformatted(v);
    if (!mine)
        return NULL;
    char *expected = NULL;
    if (atomic_compare_exchange_strong(slot, &expected, mine))
        return mine;
    cJSON_free(mine);
    return expected;
}

static text_slot *slots_new(size_t n)
{
    text_slot *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        atomic_init(&v[i], NULL);
    return v;
}

static void slots_free(text_slot *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        cJSON_free(atomic_load_explicit(&v[i], memory_order_relaxed));
    free(v);
}

static void slot_free(text_slot *slot)
{
    cJSON_free(atomic_load_explicit(slot, memory_order_relaxed));
}

/* ---- sekha_mcp_data ---- */

sekha_mcp_data *mcp_data_new(cJSON *json)
{
    sekha_mcp_data *d = calloc(1, sizeof *d);
    if (!d) {
        cJSON_Delete(json);
        return NULL;
    }
    d->json = json ? json : cJSON_CreateNull();
    if (!d->json) {
        free(d);
        return NULL;
    }
    sekha__ref_init(&d->ref);
    atomic_init(&d->text, NULL);
    return d;
}

const char *sekha_mcp_data_json(const sekha_mcp_data *d)
{
    if (!d)
        return NULL;
    return cached_print(&((sekha_mcp_data *)d)->text, d->json);
}

sekha_mcp_data *sekha_mcp_data_copy(const sekha_mcp_data *d)
{
    if (d)
        sekha__ref_get(&d->ref);
    return (sekha_mcp_data *)d;
}

const char *sekha_mcp_data_str(const sekha_mcp_data *d, const char *path)
{
    const cJSON *v = d ? mcp_path(d->json, path) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double sekha_mcp_data_num(const sekha_mcp_data *d, const char *path, double fallback)
{
    const cJSON *v = d ? mcp_path(d->json, path) : NULL;
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

int sekha_mcp_data_bool(const sekha_mcp_data *d, const char *path, int fallback)
{
    const cJSON *v = d ? mcp_path(d->json, path) : NULL;
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

size_t sekha_mcp_data_count(const sekha_mcp_data *d, const char *path)
{
    const cJSON *v = d ? mcp_path(d->json, path) : NULL;
    return cJSON_IsArray(v) || cJSON_IsObject(v) ? (size_t)cJSON_GetArraySize(v) : 0;
}

void sekha_mcp_data_free(sekha_mcp_data *d)
{
    if (!d || !sekha__ref_put(&d->ref))
        return;
    cJSON_Delete(d->json);
    slot_free(&d->text);
    free(d);
}

/* ---- tools/list ---- */

sekha_mcp_tools *mcp_tools_new(cJSON *result, sekha_error **err)
{
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(result, "tools");
    const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(result, "nextCursor");
    const cJSON *t;
    int ok = cJSON_IsArray(tools) && (!cursor || cJSON_IsString(cursor) || cJSON_IsNull(cursor));
    const cJSON *list = ok ? tools : NULL;
    cJSON_ArrayForEach(t, list)
        ok = ok && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "name"));
    if (!ok) {
        cJSON_Delete(result);
        *err = sekha__json_bad("MCP tools/list", "tools", "an array of tools with names");
        return NULL;
    }
    sekha_mcp_tools *r = calloc(1, sizeof *r);
    size_t n = (size_t)cJSON_GetArraySize(tools);
    if (r)
        r->schemas = slots_new(n);
    if (!r || !r->schemas) {
        free(r);
        cJSON_Delete(result);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    sekha__ref_init(&r->ref);
    atomic_init(&r->text, NULL);
    r->json = result;
    r->tools = tools;
    r->n = n;
    return r;
}

static const cJSON *tool_at(const sekha_mcp_tools *t, size_t i)
{
    return t && i < t->n ? cJSON_GetArrayItem(t->tools, (int)i) : NULL;
}

size_t sekha_mcp_tools_count(const sekha_mcp_tools *t)
{
    return t ? t->n : 0;
}

const char *sekha_mcp_tools_name(const sekha_mcp_tools *t, size_t i)
{
    return sekha__json_str(tool_at(t, i), "name");
}

const char *sekha_mcp_tools_description(const sekha_mcp_tools *t, size_t i)
{
    return sekha__json_str(tool_at(t, i), "description");
}

const char *sekha_mcp_tools_input_schema(const sekha_mcp_tools *t, size_t i)
{
    const cJSON *tool = tool_at(t, i);
    if (!tool)
        return NULL;
    return cached_print(&t->schemas[i], cJSON_GetObjectItemCaseSensitive(tool, "inputSchema"));
}

const char *sekha_mcp_tools_next_cursor(const sekha_mcp_tools *t)
{
    const char *c = t ? sekha__json_str(t->json, "nextCursor") : NULL;
    return c && *c ? c : NULL;
}

const char *sekha_mcp_tools_json(const sekha_mcp_tools *t)
{
    return t ? cached_print(&((sekha_mcp_tools *)t)->text, t->json) : NULL;
}

sekha_mcp_tools *sekha_mcp_tools_copy(const sekha_mcp_tools *t)
{
    if (t)
        sekha__ref_get(&t->ref);
    return (sekha_mcp_tools *)t;
}

void sekha_mcp_tools_free(sekha_mcp_tools *t)
{
    if (!t || !sekha__ref_put(&t->ref))
        return;
    slots_free(t->schemas, t->n);
    slot_free(&t->text);
    cJSON_Delete(t->json);
    free(t);
}

/* ---- tools/call ---- */

sekha_mcp_tool_result *mcp_tool_result_new(cJSON *result, sekha_error **err)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(result, "content");
    const cJSON *is_error = cJSON_GetObjectItemCaseSensitive(result, "isError");
    const cJSON *part;
    int ok = cJSON_IsObject(result) && (!content || cJSON_IsArray(content)) &&
             (!is_error || cJSON_IsBool(is_error));
    const cJSON *list = ok ? content : NULL;
    cJSON_ArrayForEach(part, list)
        ok = ok && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(part, "type"));
    if (!ok) {
        cJSON_Delete(result);
        *err = sekha__json_bad("MCP tools/call", "content", "an array of typed content parts");
        return NULL;
    }
    sekha_mcp_tool_result *r = calloc(1, sizeof *r);
    size_t n = content ? (size_t)cJSON_GetArraySize(content) : 0;
    if (r)
        r->parts = slots_new(n);
    if (!r || !r->parts) {
        free(r);
        cJSON_Delete(result);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    sekha__ref_init(&r->ref);
    atomic_init(&r->text, NULL);
    atomic_init(&r->structured, NULL);
    r->json = result;
    r->content = content;
    r->n = n;
    r->is_error = cJSON_IsTrue(is_error);
    return r;
}

static const cJSON *part_at(const sekha_mcp_tool_result *r, size_t i)
{
    return r && i < r->n ? cJSON_GetArrayItem(r->content, (int)i) : NULL;
}

int sekha_mcp_tool_result_is_error(const sekha_mcp_tool_result *r)
{
    return r ? r->is_error : 0;
}

size_t sekha_mcp_tool_result_content_count(const sekha_mcp_tool_result *r)
{
    return r ? r->n : 0;
}

const char *sekha_mcp_tool_result_content_type(const sekha_mcp_tool_result *r, size_t i)
{
    return sekha__json_str(part_at(r, i), "type");
}

const char *sekha_mcp_tool_result_content_text(const sekha_mcp_tool_result *r, size_t i)
{
    const cJSON *p = part_at(r, i);
    const char *type = sekha__json_str(p, "type");
    return type && strcmp(type, "text") == 0 ? sekha__json_str(p, "text") : NULL;
}

const char *sekha_mcp_tool_result_content_json(const sekha_mcp_tool_result *r, size_t i)
{
    const cJSON *p = part_at(r, i);
    return p ? cached_print(&r->parts[i], p) : NULL;
}

const char *sekha_mcp_tool_result_structured(const sekha_mcp_tool_result *r)
{
    if (!r)
        return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, "structuredContent");
    return v && !cJSON_IsNull(v) ? cached_print(&((sekha_mcp_tool_result *)r)->structured, v)
                                 : NULL;
}

const char *sekha_mcp_tool_result_json(const sekha_mcp_tool_result *r)
{
    return r ? cached_print(&((sekha_mcp_tool_result *)r)->text, r->json) : NULL;
}

sekha_mcp_tool_result *sekha_mcp_tool_result_copy(const sekha_mcp_tool_result *r)
{
    if (r)
        sekha__ref_get(&r->ref);
    return (sekha_mcp_tool_result *)r;
}

void sekha_mcp_tool_result_free(sekha_mcp_tool_result *r)
{
    if (!r || !sekha__ref_put(&r->ref))
        return;
    slots_free(r->parts, r->n);
    slot_free(&r->structured);
    slot_free(&r->text);
    cJSON_Delete(r->json);
    free(r);
}
