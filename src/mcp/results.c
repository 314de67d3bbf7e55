/* Result objects of the MCP sub-client: a JSON value with path accessors (sekha_mcp_data),
 * one page of tools/list, and a CallToolResult. Each keeps its cJSON tree and hands out
 * pointers into it, or text serialised once and cached, so accessors return strings that
 * live as long as the result. */
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp_internal.h"

struct sekha_mcp_data {
    cJSON *json;
    char *text;
};

struct sekha_mcp_tools {
    cJSON *json;
    char *text;
    const cJSON *tools;
    size_t n;
    char **schemas;         /* lazily serialised inputSchema of each tool */
};

struct sekha_mcp_tool_result {
    cJSON *json;
    char *text;
    const cJSON *content;
    size_t n;
    char **parts;           /* lazily serialised content parts */
    char *structured;
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

/* Serialises v once into *slot. */
static const char *cached_print(char **slot, const cJSON *v)
{
    if (!v)
        return NULL;
    if (!*slot)
        *slot = cJSON_PrintUnformatted(v);
    return *slot;
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
    return d;
}

const char *sekha_mcp_data_json(const sekha_mcp_data *d)
{
    if (!d)
        return NULL;
    return cached_print(&((sekha_mcp_data *)d)->text, d->json);
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
    if (!d)
        return;
    cJSON_Delete(d->json);
    cJSON_free(d->text);
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
        r->schemas = calloc(n ? n : 1, sizeof *r->schemas);
    if (!r || !r->schemas) {
        free(r);
        cJSON_Delete(result);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
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

void sekha_mcp_tools_free(sekha_mcp_tools *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        cJSON_free(t->schemas[i]);
    free(t->schemas);
    cJSON_free(t->text);
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
        r->parts = calloc(n ? n : 1, sizeof *r->parts);
    if (!r || !r->parts) {
        free(r);
        cJSON_Delete(result);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
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

void sekha_mcp_tool_result_free(sekha_mcp_tool_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        cJSON_free(r->parts[i]);
    free(r->parts);
    cJSON_free(r->structured);
    cJSON_free(r->text);
    cJSON_Delete(r->json);
    free(r);
}
