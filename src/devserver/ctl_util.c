/* Request reading and response shapes shared by the devserver's controller routes and MCP
 * tools. The rejection texts follow axum's Json/Path extractors and serde's messages, because
 * clients see them verbatim (plain text, not JSON) and tests compare status and form. */
#include "ctl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REJECT_422 "Failed to deserialize the JSON body into the target type: "
#define REJECT_400 "Failed to parse the request body as JSON: "

static void reject(ds_response *rs, int status, const char *prefix, const char *detail)
{
    size_t n = strlen(prefix) + strlen(detail) + 1;
    char *t = malloc(n);
    if (!t) {
        ds_respond_text(rs, status, prefix);
        return;
    }
    snprintf(t, n, "%s%s", prefix, detail);
    ds_respond_text(rs, status, t);
    free(t);
}

/* axum accepts application/json and any application/<x>+json, parameters allowed. */
static int is_json_content_type(const char *ct)
{
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t end = strcspn(ct, ";");
    while (end > 0 && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
        end--;
    if (end < 12 || strncasecmp(ct, "application/", 12) != 0)
        return 0;
    const char *sub = ct + 12;
    size_t sl = end - 12;
    if (sl == 4 && strncasecmp(sub, "json", 4) == 0)
        return 1;
    return sl > 5 && strncasecmp(sub + sl - 5, "+json", 5) == 0;
}

/* serde's "invalid type: <unexpected>" wording for a JSON value. */
static void describe(const json_t *v, char *buf, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_NULL: snprintf(buf, cap, "null"); break;
    case JSON_TRUE: snprintf(buf, cap, "boolean `true`"); break;
    case JSON_FALSE: snprintf(buf, cap, "boolean `false`"); break;
    case JSON_INTEGER:
        snprintf(buf, cap, "integer `%" JSON_INTEGER_FORMAT "`", json_integer_value(v));
        break;
    case JSON_REAL: {
        /* serde prints the shortest text that reads back as the same double. */
        double d = json_real_value(v);
        char num[40];
        for (int p = 1; p <= 17; p++) {
            snprintf(num, sizeof num, "%.*g", p, d);
            if (strtod(num, NULL) == d)
                break;
        }
        int plain = !strpbrk(num, ".eEn");
        snprintf(buf, cap, "floating point `%s%s`", num, plain ? ".0" : "");
        break;
    }
    case JSON_STRING: snprintf(buf, cap, "string \"%.64s\"", json_string_value(v)); break;
    case JSON_ARRAY: snprintf(buf, cap, "sequence"); break;
    case JSON_OBJECT: snprintf(buf, cap, "map"); break;
    }
}

static const char *expected(ctl_type t)
{
    switch (t) {
    case CT_STR: return "a string";
    case CT_U32: return "u32";
    case CT_I32: return "i32";
    case CT_I64: return "i64";
    case CT_USIZE: return "usize";
    case CT_F32: return "f32";
    case CT_BOOL: return "a boolean";
    case CT_UUID: return "a UUID string";
    case CT_ANY: return "any valid JSON value";
    case CT_STR_VEC:
    case CT_UUID_VEC:
    case CT_MSG_VEC:
    case CT_MSG_VEC_STR: return "a sequence";
    }
    return "a value";
}

static void type_error(char *msg, size_t cap, const char *path, const json_t *v, ctl_type t)
{
    char what[128];
    describe(v, what, sizeof what);
    snprintf(msg, cap, "%s: invalid type: %s, expected %s", path, what, expected(t));
}

static int check_int(const json_t *v, ctl_type t, const char *path, char *msg, size_t cap)
{
    if (!json_is_integer(v)) {
        type_error(msg, cap, path, v, t);
        return -1;
    }
    json_int_t i = json_integer_value(v);
    int ok = 1;
    if (t == CT_U32)
        ok = i >= 0 && i <= 4294967295LL;
    else if (t == CT_I32)
        ok = i >= -2147483648LL && i <= 2147483647LL;
    else if (t == CT_USIZE)
        ok = i >= 0;
    if (!ok)
        snprintf(msg, cap, "%s: invalid value: integer `%" JSON_INTEGER_FORMAT "`, expected %s",
                 path, i, expected(t));
    return ok ? 0 : -1;
}

/* Content is an untagged enum (String | Vec<ContentPart>), so any mismatch inside it is
 * reported the way serde reports untagged enums: one message for the whole value. */
static int content_ok(const json_t *c)
{
    if (json_is_string(c))
        return 1;
    if (!json_is_array(c))
        return 0;
    size_t i;
    const json_t *p;
    json_array_foreach(c, i, p) {
        const char *type = json_string_value(json_object_get(p, "type"));
        if (!json_is_object(p) || !type)
            return 0;
        if (strcmp(type, "text") == 0) {
            if (!json_is_string(json_object_get(p, "text")))
                return 0;
        } else if (strcmp(type, "image_url") == 0) {
            const json_t *iu = json_object_get(p, "image_url");
            const json_t *detail = json_object_get(iu, "detail");
            if (!json_is_object(iu) || !json_is_string(json_object_get(iu, "url")))
                return 0;
            if (detail && !json_is_null(detail) && !json_is_string(detail))
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

static int check_value(const json_t *v, ctl_type t, const char *path, char *msg, size_t cap)
{
    char sub[160];
    size_t i;
    const json_t *e;
    switch (t) {
    case CT_ANY:
        return 0;
    case CT_STR:
        if (json_is_string(v))
            return 0;
        break;
    case CT_BOOL:
        if (json_is_boolean(v))
            return 0;
        break;
    case CT_F32:
        if (json_is_number(v))
            return 0;
        break;
    case CT_U32:
    case CT_I32:
    case CT_I64:
    case CT_USIZE:
        return check_int(v, t, path, msg, cap);
    case CT_UUID: {
        char out[DS_UUID_LEN + 1];
        if (!json_is_string(v))
            break;
        if (ds_uuid_parse(json_string_value(v), out) == 0)
            return 0;
        snprintf(msg, cap, "%s: UUID parsing failed: invalid UUID \"%.64s\"", path,
                 json_string_value(v));
        return -1;
    }
    case CT_STR_VEC:
    case CT_UUID_VEC:
        if (!json_is_array(v))
            break;
        json_array_foreach(v, i, e) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (check_value(e, t == CT_STR_VEC ? CT_STR : CT_UUID, sub, msg, cap) != 0)
                return -1;
        }
        return 0;
    case CT_MSG_VEC:
    case CT_MSG_VEC_STR:
        if (!json_is_array(v))
            break;
        json_array_foreach(v, i, e) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (!json_is_object(e)) {
                char what[128];
                describe(e, what, sizeof what);
                snprintf(msg, cap, "%s: invalid type: %s, expected struct MessageDto", sub, what);
                return -1;
            }
            const json_t *role = json_object_get(e, "role");
            const json_t *content = json_object_get(e, "content");
            if (!role) {
                snprintf(msg, cap, "%s: missing field `role`", sub);
                return -1;
            }
            if (!json_is_string(role)) {
                snprintf(sub + strlen(sub), sizeof sub - strlen(sub), ".role");
                type_error(msg, cap, sub, role, CT_STR);
                return -1;
            }
            if (!content) {
                snprintf(msg, cap, "%s: missing field `content`", sub);
                return -1;
            }
            if (t == CT_MSG_VEC_STR && !json_is_string(content)) {
                snprintf(sub + strlen(sub), sizeof sub - strlen(sub), ".content");
                type_error(msg, cap, sub, content, CT_STR);
                return -1;
            }
            if (!content_ok(content)) {
                snprintf(msg, cap, "%s.content: data did not match any variant of untagged"
                                   " enum MessageContent", sub);
                return -1;
            }
        }
        return 0;
    }
    type_error(msg, cap, path, v, t);
    return -1;
}

json_t *ctl_body(const ds_request *rq, ds_response *rs, const ctl_field *fields, size_t n)
{
    if (!is_json_content_type(ds_header(rq, "Content-Type"))) {
        ds_respond_text(rs, 415, "Expected request with `Content-Type: application/json`");
        return NULL;
    }
    json_error_t e;
    json_t *root = json_loadb(rq->body ? rq->body : "", rq->body ? rq->body_len : 0,
                              JSON_DECODE_ANY, &e);
    if (!root) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s at line %d column %d", e.text, e.line, e.column);
        reject(rs, 400, REJECT_400, detail);
        return NULL;
    }
    char msg[512];
    if (!json_is_object(root)) {
        char what[128];
        describe(root, what, sizeof what);
        snprintf(msg, sizeof msg, "invalid type: %s, expected a struct", what);
        reject(rs, 422, REJECT_422, msg);
        json_decref(root);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(root, fields[i].name);
        if (!v) {
            if (fields[i].req != CR_REQUIRED)
                continue;
            snprintf(msg, sizeof msg, "missing field `%s`", fields[i].name);
            reject(rs, 422, REJECT_422, msg);
            json_decref(root);
            return NULL;
        }
        if (json_is_null(v) && (fields[i].req == CR_OPTION || fields[i].type == CT_ANY))
            continue;
        if (check_value(v, fields[i].type, fields[i].name, msg, sizeof msg) != 0) {
            reject(rs, 422, REJECT_422, msg);
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

const char *ctl_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

long long ctl_int(const json_t *o, const char *key, long long def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

double ctl_num(const json_t *o, const char *key, double def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

int ctl_uuid(const json_t *o, const char *key, char out[DS_UUID_LEN + 1])
{
    return ds_uuid_parse(ctl_str(o, key), out);
}

int ctl_path_uuid(const char *seg, size_t len, char out[DS_UUID_LEN + 1], ds_response *rs)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 100 ? len : 100), seg);
    if (len < 100 && ds_uuid_parse(buf, out) == 0)
        return 0;
    char msg[256];
    snprintf(msg, sizeof msg, "Invalid URL: UUID parsing failed: invalid UUID `%s`", buf);
    ds_respond_text(rs, 400, msg);
    return -1;
}

ds_new_msg *ctl_msgs(const json_t *arr, size_t *n)
{
    *n = json_array_size(arr);
    ds_new_msg *out = calloc(*n ? *n : 1, sizeof *out);
    if (!out)
        abort();
    for (size_t i = 0; i < *n; i++) {
        const json_t *m = json_array_get(arr, i);
        const json_t *c = json_object_get(m, "content");
        out[i].role = json_string_value(json_object_get(m, "role"));
        if (json_is_string(c)) {
            out[i].content = strdup(json_string_value(c));
            out[i].metadata = NULL;
            if (!out[i].content)
                abort();
            continue;
        }
        size_t cap = 1, k;
        const json_t *p;
        json_array_foreach(c, k, p) {
            const char *t = json_string_value(json_object_get(p, "text"));
            if (t)
                cap += strlen(t) + 1;
        }
        char *text = malloc(cap);
        json_t *images = json_array();
        if (!text || !images)
            abort();
        size_t len = 0;
        text[0] = '\0';
        json_array_foreach(c, k, p) {
            const char *type = json_string_value(json_object_get(p, "type"));
            if (strcmp(type, "text") == 0) {
                const char *t = json_string_value(json_object_get(p, "text"));
                if (len > 0)
                    text[len++] = ' ';
                memcpy(text + len, t, strlen(t) + 1);
                len += strlen(t);
            } else {
                const json_t *iu = json_object_get(p, "image_url");
                const char *url = json_string_value(json_object_get(iu, "url"));
                json_t *img = json_pack("{s:s}", "url", url);
                const char *detail = json_string_value(json_object_get(iu, "detail"));
                if (detail)
                    json_object_set_new(img, "detail", json_string(detail));
                json_array_append_new(images, img);
            }
        }
        out[i].content = text;
        if (json_array_size(images) > 0) {
            json_t *meta = json_pack("{s:o}", "images", images);
            out[i].metadata = json_dumps(meta, JSON_COMPACT);
            json_decref(meta);
        } else {
            json_decref(images);
        }
    }
    return out;
}

void ctl_msgs_free(ds_new_msg *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free((void *)m[i].content);
        free((void *)m[i].metadata);
    }
    free(m);
}

json_t *ctl_f32(double v)
{
    float f = (float)v;
    if (!isfinite(f))
        return json_null();
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    return json_real(strtod(buf, NULL));
}

json_t *ctl_meta(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_object();
}

json_t *ctl_message_json(const ds_msg *m)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:o}", "id", m->id, "conversation_id",
                     m->conversation_id, "role", m->role, "content", m->content, "timestamp",
                     m->timestamp, "embedding_id", "metadata",
                     m->metadata ? ctl_meta(m->metadata) : json_null());
}

json_t *ctl_chroma_meta(const ds_msg *m)
{
    /* content_preview is the first 100 bytes, backed off to a UTF-8 boundary (the real
     * controller slices bytes and would panic mid-character). */
    size_t len = strlen(m->content);
    size_t cut = len < 100 ? len : 100;
    while (cut > 0 && cut < len && ((unsigned char)m->content[cut] & 0xC0) == 0x80)
        cut--;
    char spaced[DS_TS_LEN];
    ds_naive_spaced(m->timestamp, spaced);
    return json_pack("{s:s, s:s, s:s%, s:s, s:s}", "conversation_id", m->conversation_id,
                     "message_id", m->id, "content_preview", m->content, cut, "role", m->role,
                     "timestamp", spaced);
}

/* ------------------------------------------------------------------ Chroma where */

/* The real controller hands `filters` to Chroma unchanged as the `where` clause, so the
 * devserver evaluates the same operator language over the same metadata keys: a filter on
 * a key Chroma does not hold (label, folder, ...) matches nothing there and here. */

static int where_err(char **err, const char *msg, const char *arg)
{
    if (err && !*err) {
        size_t n = strlen(msg) + strlen(arg ? arg : "") + 1;
        *err = malloc(n);
        if (*err)
            snprintf(*err, n, "%s%s", msg, arg ? arg : "");
    }
    return -1;
}

static int is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static int scalar_eq(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b)) == 0;
    if (json_is_boolean(a) && json_is_boolean(b))
        return json_typeof(a) == json_typeof(b);
    return 0;
}

static int where_op(const char *op, const json_t *arg, const json_t *actual, char **err)
{
    if (strcmp(op, "$eq") == 0 || strcmp(op, "$ne") == 0) {
        if (!is_scalar(arg))
            return where_err(err, "Expected where operand value to be a str, int, or float"
                                  " for operator ", op);
        if (!actual)
            return 0;
        int eq = scalar_eq(actual, arg);
        return op[1] == 'e' ? eq : !eq;
    }
    if (strcmp(op, "$gt") == 0 || strcmp(op, "$gte") == 0 || strcmp(op, "$lt") == 0 ||
        strcmp(op, "$lte") == 0) {
        if (!json_is_number(arg))
            return where_err(err, "Expected operand value to be an int or a float for operator ",
                             op);
        if (!json_is_number(actual))
            return 0;
        double a = json_number_value(actual), b = json_number_value(arg);
        if (op[1] == 'g')
            return op[3] == 'e' ? a >= b : a > b;
        return op[3] == 'e' ? a <= b : a < b;
    }
    if (strcmp(op, "$in") == 0 || strcmp(op, "$nin") == 0) {
        if (!json_is_array(arg))
            return where_err(err, "Expected where operand value to be a list for operator ", op);
        size_t i;
        const json_t *e;
        int found = 0;
        json_array_foreach(arg, i, e) {
            if (!is_scalar(e))
                return where_err(err, "Expected where operand value to be a list of str, int,"
                                      " or float for operator ", op);
            if (actual && scalar_eq(actual, e))
                found = 1;
        }
        if (!actual)
            return 0;
        return op[1] == 'i' ? found : !found;
    }
    return where_err(err, "Expected where operator to be one of $gt, $gte, $lt, $lte, $ne, $eq,"
                          " $in, $nin, got ", op);
}

/* Every branch is evaluated (no short-circuit) so an invalid clause is reported even when
 * an earlier branch already decided the outcome, as Chroma validates before it queries. */
int ctl_where(json_t *where, const json_t *meta, char **err)
{
    if (!json_is_object(where))
        return where_err(err, "Expected where to be a dict", NULL);
    int result = 1;
    const char *key;
    json_t *val;
    json_object_foreach(where, key, val) {
        int r;
        if (strcmp(key, "$and") == 0 || strcmp(key, "$or") == 0) {
            int is_and = key[1] == 'a';
            if (!json_is_array(val) || json_array_size(val) == 0)
                return where_err(err, "Expected where value for $and or $or to be a non-empty"
                                      " list of where expressions, got ", key);
            r = is_and;
            size_t i;
            json_t *e;
            json_array_foreach(val, i, e) {
                int x = ctl_where(e, meta, err);
                if (x < 0)
                    return -1;
                r = is_and ? (r && x) : (r || x);
            }
        } else if (key[0] == '$') {
            return where_err(err, "Expected where key to be a metadata field, $and or $or, got ",
                             key);
        } else if (json_is_object(val)) {
            if (json_object_size(val) == 0)
                return where_err(err, "Expected operator expression to have one operator for key ",
                                 key);
            const json_t *actual = json_object_get(meta, key);
            const char *op;
            json_t *arg;
            r = 1;
            json_object_foreach(val, op, arg) {
                int x = where_op(op, arg, actual, err);
                if (x < 0)
                    return -1;
                r = r && x;
            }
        } else if (is_scalar(val)) {
            const json_t *actual = json_object_get(meta, key);
            r = actual && scalar_eq(actual, val);
        } else {
            return where_err(err, "Expected where value to be a str, int, float, or operator"
                                  " expression for key ", key);
        }
        result = result && r;
    }
    return result;
}

/* ------------------------------------------------------------------ semantic search */

static int by_score(const void *pa, const void *pb)
{
    const ds_msg *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    int t = strcmp(b->timestamp, a->timestamp);
    return t ? t : strcmp(a->id, b->id);
}

int ctl_semantic(ds_store *st, const char *query, size_t limit, json_t *filters,
                 ds_msg **out, size_t *n, char **err)
{
    int filtered = filters && !json_is_null(filters) &&
                   !(json_is_object(filters) && json_object_size(filters) == 0);
    if (filtered) {
        json_t *probe = json_object();
        int r = ctl_where(filters, probe, err);
        json_decref(probe);
        if (r < 0)
            return DS_ERR;
    }
    ds_msg *all = NULL;
    size_t na = 0;
    if (ds_store_messages(st, NULL, 1, &all, &na) != DS_OK) {
        if (err)
            *err = strdup("Database error");
        return DS_ERR;
    }
    float q[DS_EMBED_DIM];
    ds_embed(query, strlen(query), q);
    size_t kept = 0;
    for (size_t i = 0; i < na; i++) {
        double dot = 0;
        for (size_t k = 0; k < DS_EMBED_DIM; k++)
            dot += (double)q[k] * all[i].embedding[k];
        all[i].score = dot;
        int keep = 1;
        if (filtered) {
            json_t *meta = ctl_chroma_meta(&all[i]);
            keep = ctl_where(filters, meta, NULL) == 1;
            json_decref(meta);
        }
        if (!keep) {
            ds_msg_clear(&all[i]);
            continue;
        }
        if (kept != i)
            all[kept] = all[i];
        kept++;
    }
    qsort(all, kept, sizeof *all, by_score);
    for (size_t i = limit; i < kept; i++)
        ds_msg_clear(&all[i]);
    *out = all;
    *n = kept < limit ? kept : limit;
    return DS_OK;
}

ctl_type ctl_msg_type(const ds_config *cfg)
{
    return cfg && cfg->upstream == DS_UP_2026_01 ? CT_MSG_VEC_STR : CT_MSG_VEC;
}

void ctl_not_found(const ds_config *cfg, const char *id, char *out, size_t cap)
{
    if (cfg && cfg->upstream != DS_UP_NONE)
        snprintf(out, cap, "Entity not found: Conversation %s not found", id);
    else
        snprintf(out, cap, "Entity not found: Conversation not found");
}
