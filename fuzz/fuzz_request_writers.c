/* libFuzzer target: every request body writer on arbitrary caller input. The input is split
 * on NUL bytes into fields (a query or label, a folder or content, JSON text, a model...)
 * handed to the controller's query and create bodies, the MCP tool bodies and JSON-RPC
 * wire, the bridge's chat body, and to the JSON writer itself (a string, and whatever
 * tree cJSON's lenient parser makes of the whole input). A writer may refuse its input,
 * but whatever it writes must be one valid JSON text in UTF-8, by the library's strict
 * reader (RFC 8259): anything else aborts. Strings must also read back unchanged. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/internal.h"
#include "controller/ctl.h"
#include "core/jdoc.h"
#include "core/jwrite.h"
#include "mcp/mcp_internal.h"
#include "mcp/tools.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if (!(x))                                                                            \
            abort();                                                                         \
    } while (0)

#define NFIELDS 6

/* The text is strict JSON in UTF-8 (out of memory in the reader proves nothing). */
static void check_json(const char *text, size_t len)
{
    CHECK(text && strlen(text) == len);
    sekha_jdoc d = {0};
    int rc = sekha__jdoc_parse(&d, text, len, NULL);
    CHECK(rc == 0 || rc == -2);
    sekha__jdoc_free(&d);
}

static void check_buf(const sekha_buf *b)
{
    check_json(sekha__buf_str(b), b->len);
}

/* The string writer: refuses exactly what is not UTF-8, else reads back as the input. */
static void fuzz_string(const char *s, size_t n)
{
    sekha_buf b = {0};
    int rc = sekha__jw_string_n(&b, s, n);
    size_t bad = sekha__utf8_invalid_at(s, n);
    CHECK(bad <= n);
    if (rc == SEKHA_JW_NOT_UTF8) {
        CHECK(bad < n && !sekha__utf8_valid(s, n));
        CHECK(b.len == 0);
    } else if (rc == 0) {
        CHECK(bad == n && sekha__utf8_valid(s, n));
        check_buf(&b);
        sekha_jdoc d = {0};
        if (sekha__jdoc_parse(&d, b.data, b.len, NULL) == 0) {
            const sekha_jv *v = sekha__jroot(&d);
            CHECK(v && v->type == SEKHA_J_STRING);
            const char *back = sekha__jstr(&d, v);
            /* NULL: U+0000 inside (or no memory), which a C string cannot carry */
            if (back)
                CHECK(strlen(back) == n && memcmp(back, s, n) == 0);
        }
        sekha__jdoc_free(&d);
    }
    sekha__buf_free(&b);
}

/* The tree writer on whatever cJSON makes of the bytes (it copies strings unchecked). */
static void fuzz_tree(const char *text, size_t len)
{
    cJSON *v = cJSON_ParseWithLength(text, len);
    if (!v)
        return;
    sekha_buf b = {0};
    char why[320];
    int rc = sekha__jw_tree(&b, v, why, sizeof why);
    if (rc == 0)
        check_buf(&b);
    else if (rc == SEKHA_JW_NOT_UTF8)
        CHECK(strstr(why, "is not valid UTF-8 (at byte ") && b.len == 0);
    else
        CHECK(rc == SEKHA_JW_NOMEM || rc == SEKHA_JW_NOT_JSON);
    sekha__buf_free(&b);
    cJSON_Delete(v);
}

static void fuzz_controller(char *const *f)
{
    sekha_buf b = {0};
    char why[400];
    int64_t limits[] = {-1, 1, 10, 4294967295LL};
    if (ctl_query_body(&b, f[0], limits[strlen(f[1]) % 4], (int64_t)strlen(f[2]) - 1,
                       *f[2] ? f[2] : NULL, why, sizeof why) == SEKHA_OK)
        check_buf(&b);
    sekha__buf_clear(&b);

    sekha_messages *m = sekha_messages_new();
    if (!m) {
        sekha__buf_free(&b);
        return;
    }
    sekha_messages_add(m, "user", f[1]);
    sekha_messages_add_parts(m, "assistant");
    sekha_messages_add_text_part(m, f[2]);
    if (*f[3])
        sekha_messages_add_image_part(m, f[3], NULL);
    /* What the call sends: only a list that passed its check. */
    sekha_error *e = sekha__messages_check(m, "fuzz");
    if (!e && ctl_create_body(&b, f[0], f[4], m, (int)(strlen(f[5]) % 11), why, sizeof why) ==
                  SEKHA_OK)
        check_buf(&b);
    sekha_error_free(e);
    sekha_messages_free(m);
    sekha__buf_free(&b);
}

static void fuzz_mcp(char *const *f)
{
    sekha_buf b = {0};
    char why[400];
    sekha_messages *m = sekha_messages_new();
    sekha_messages_add(m, "user", f[2]); /* a failed add is refused by the writer */
    if (mcp_store_body(&b, f[0], f[1], m, 0, why, sizeof why) == SEKHA_OK)
        check_buf(&b);
    sekha_messages_free(m);
    sekha__buf_clear(&b);
    if (mcp_search_body(&b, f[0], *f[2] ? f[2] : NULL, 5, why, sizeof why) == SEKHA_OK)
        check_buf(&b);
    sekha__buf_free(&b);
    /* JSON-RPC: what the session API lets through (params one JSON object in UTF-8, a
     * UTF-8 method) goes out as JSON. */
    if (sekha__jw_check_text(f[2], "params_json", why, sizeof why) == 0 &&
        sekha__utf8_valid(f[0], strlen(f[0])) && *f[0]) {
        cJSON *params = cJSON_Parse(f[2]);
        if (cJSON_IsObject(params)) {
            char *wire = mcp_wire(7, f[0], params);
            if (wire)
                check_json(wire, strlen(wire));
            cJSON_free(wire);
        } else {
            cJSON_Delete(params);
        }
    }
}

static void fuzz_bridge(char *const *f, size_t size)
{
    sekha_messages *m = sekha_messages_new();
    if (!m)
        return;
    sekha_messages_add(m, "system", f[0]);
    sekha_messages_add(m, "user", f[1]);
    double temps[] = {-1, 0, 0.7, 1e-7, 2.5e10}; /* -1: not set */
    sekha_params *p = sekha_params_new();
    if (!p) {
        sekha_messages_free(m);
        return;
    }
    /* what the setters let through (a failed one is reported by the body builder) */
    if (*f[3])
        sekha_params_set_text(p, SEKHA_PARAM_MODEL, f[3]);
    if (temps[size % 5] >= 0)
        sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, temps[size % 5]);
    if (strlen(f[4]) % 3)
        sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, (int64_t)(strlen(f[4]) % 3));
    if (*f[2])
        sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, f[2]);
    sekha_buf b = {0};
    sekha_error *e = sekha__bridge_chat_body(&b, m, p, (int)(size & 1));
    if (!e)
        check_buf(&b);
    sekha_error_free(e);
    sekha__buf_free(&b);
    sekha_params_free(p);
    sekha_messages_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_string(text, size);
    fuzz_tree(text, size);

    /* fields: the NUL-separated pieces, "" for the missing ones */
    char *f[NFIELDS];
    static char empty[] = "";
    char *p = text;
    for (size_t k = 0; k < NFIELDS; k++) {
        f[k] = p <= text + size ? p : empty;
        if (p <= text + size)
            p += strlen(p) + 1;
    }
    fuzz_controller(f);
    fuzz_mcp(f);
    fuzz_bridge(f, size);
    free(text);
    return 0;
}
