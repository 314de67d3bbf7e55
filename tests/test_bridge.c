/* The bridge sub-client: the chunk scanner against cJSON, the request body, and every call
 * against a local sekha-devserver (streams with faults, retries, embeddings, health). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bridge/chunk.h"
#include "bridge/internal.h"
#include "bridge_harness.h"
#include "testutil.h"

/* ================================================================ the chunk scanner */

/* An independent reading of a chunk with cJSON, written from the contract in chunk.h,
 * to hold both decoders to. Returns 0 when cJSON accepts the text as a chunk. */
typedef struct ref_fields {
    int ok;
    char content[512];
    int has_content;
    char role[64], finish[64], model[64], id[64];
    long usage[3];
    int has_usage;
} ref_fields;

static void copy_str(char *dst, size_t cap, const cJSON *v)
{
    dst[0] = '\0';
    if (cJSON_IsString(v))
        snprintf(dst, cap, "%s", v->valuestring);
}

static ref_fields ref_read(const char *json)
{
    ref_fields r = {.usage = {-1, -1, -1}};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(root) || (error && !cJSON_IsNull(error))) {
        cJSON_Delete(root);
        return r;
    }
    r.ok = 1;
    copy_str(r.model, sizeof r.model, cJSON_GetObjectItemCaseSensitive(root, "model"));
    copy_str(r.id, sizeof r.id, cJSON_GetObjectItemCaseSensitive(root, "id"));
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(u)) {
        const char *names[3] = {"prompt_tokens", "completion_tokens", "total_tokens"};
        r.has_usage = 1;
        for (int i = 0; i < 3; i++) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(u, names[i]);
            if (cJSON_IsNumber(n) && n->valuedouble == floor(n->valuedouble))
                r.usage[i] = (long)n->valuedouble;
        }
    }
    /* the first choice whose index is 0 or absent; a delta, else a whole message */
    const cJSON *c0 = NULL, *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "choices")) {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!idx || (cJSON_IsNumber(idx) && idx->valuedouble == 0)) {
            c0 = c;
            break;
        }
    }
    copy_str(r.finish, sizeof r.finish, cJSON_GetObjectItemCaseSensitive(c0, "finish_reason"));
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c0, "delta");
    if (!cJSON_IsObject(d))
        d = cJSON_GetObjectItemCaseSensitive(c0, "message");
    copy_str(r.role, sizeof r.role, cJSON_GetObjectItemCaseSensitive(d, "role"));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(d, "content");
    r.has_content = cJSON_IsString(content);
    copy_str(r.content, sizeof r.content, content);
    cJSON_Delete(root);
    return r;
}

static void span_str(char *dst, size_t cap, sekha__span s)
{
    snprintf(dst, cap, "%.*s", s.p ? (int)s.n : 0, s.p ? s.p : "");
}

/* Decodes with the library's pipeline (through tpl when given) into the same shape. */
static sekha__chunk_rc lib_read(const char *json, ref_fields *out, sekha__chunk_rc *scan_rc,
                                sekha__chunk_tpl *tpl)
{
    sekha_buf text = {0};
    sekha__chunk_fields f;
    sekha__buf_puts(&text, "prefix:");
    if (scan_rc) {
        sekha_buf t2 = {0};
        *scan_rc = sekha__chunk_scan(json, strlen(json), &t2, &f);
        sekha__buf_free(&t2);
    }
    cJSON *root = NULL; /* the spans of the full path point into it */
    sekha__chunk_rc rc = sekha__chunk_decode_tpl(tpl, json, strlen(json), &text, &f, &root);
    memset(out, 0, sizeof *out);
    if (rc == SEKHA__CHUNK_OK) {
        out->ok = 1;
        out->has_content = f.has_content;
        cr_assert_eq(memcmp(text.data, "prefix:", 7), 0, "text before the chunk was kept");
        if (f.has_content) {
            cr_assert_eq(f.content_off, 7);
            cr_assert_eq(text.len, 7 + f.content_len);
            snprintf(out->content, sizeof out->content, "%s", text.data + 7);
        }
        span_str(out->role, sizeof out->role, f.role);
        span_str(out->finish, sizeof out->finish, f.finish);
        span_str(out->model, sizeof out->model, f.model);
        span_str(out->id, sizeof out->id, f.id);
        out->has_usage = f.has_usage;
        memcpy(out->usage, f.usage, sizeof out->usage);
    } else {
        cr_assert_eq(text.len, 7, "a rejected chunk left text behind: %s", json);
    }
    cJSON_Delete(root);
    sekha__buf_free(&text);
    return rc;
}

static void assert_same(const ref_fields *a, const ref_fields *b, const char *json)
{
    cr_assert_eq(a->ok, b->ok, "acceptance differs on %s", json);
    cr_assert_eq(a->has_content, b->has_content, "content presence differs on %s", json);
    cr_assert_str_eq(a->content, b->content, "content differs on %s", json);
    cr_assert_str_eq(a->role, b->role, "role differs on %s", json);
    cr_assert_str_eq(a->finish, b->finish, "finish differs on %s", json);
    cr_assert_str_eq(a->model, b->model, "model differs on %s", json);
    cr_assert_str_eq(a->id, b->id, "id differs on %s", json);
    cr_assert_eq(a->has_usage, b->has_usage, "usage presence differs on %s", json);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(a->usage[i], b->usage[i], "usage %d differs on %s", i, json);
}

#define OPENAI_CHUNK                                                                      \
    "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"  \
    "\"model\":\"gpt-4o\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,"      \
    "\"delta\":{\"content\":\" word\"},\"logprobs\":null,\"finish_reason\":null}]}"

Test(chunk, the_usual_chunk_takes_the_fast_path)
{
    ref_fields lib;
    sekha__chunk_rc scan;
    cr_assert_eq(lib_read(OPENAI_CHUNK, &lib, &scan, NULL), SEKHA__CHUNK_OK);
    cr_assert_eq(scan, SEKHA__CHUNK_OK);
    cr_assert_str_eq(lib.content, " word");
    cr_assert_str_eq(lib.model, "gpt-4o");
    cr_assert_str_eq(lib.id, "chatcmpl-9");
    cr_assert_str_eq(lib.finish, "");
    ref_fields ref = ref_read(OPENAI_CHUNK);
    assert_same(&lib, &ref, OPENAI_CHUNK);
}

/* Valid chunks of many shapes: the fast path (or the fallback) must read exactly what
 * cJSON reads. expect_scan: 'o' the scanner decides alone, 'f' it must defer. */
static const struct {
    char expect_scan;
    const char *json;
} valid_cases[] = {
    {'o', "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"index\":0}]}"},
    {'o', "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
          "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}"},
    {'o', " \t\r\n{ \"choices\" : [ { \"delta\" : { \"content\" : \"a b\" } } ] } \n"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\"}}]}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0041\"}}]}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}}]}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":null,\"role\":null},\"finish_reason\":null}]}"},
    {'o', "{\"extra\":{\"nested\":[1,2.5e-3,-0,true,false,null,{\"k\":\"v\"}]},"
          "\"choices\":[{\"delta\":{\"content\":\"x\",\"refusal\":null}}],\"model\":\"m\"}"},
    {'o', "{\"choices\":[{\"finish_reason\":\"length\",\"delta\":{\"content\":\"late\"},"
          "\"index\":0},{\"index\":1,\"delta\":{\"content\":\"other\"}}]}"},
    {'o', "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
          "\"total_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":0}}}"},
    {'o', "{\"usage\":null,\"id\":\"x\",\"model\":null}"},
    {'o', "{}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"0123456789abcdefghijklmnopqrstuvwxyz "
          "long enough to use the eight-byte loop several times over\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":"
          "\"f\"}}]},\"index\":0}]}"},
    {'f', "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"m\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"c\\u006fntent\":\"escaped key\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"total_tokens\":1.5}}"},
    {'f', "{\"choices\":[{\"delta\":{\"role\":\"assist\\u0061nt\",\"content\":\"y\"}}]}"},
    {'f', "{\"model\":\"m\\u00e9\",\"choices\":[{\"delta\":{\"content\":\"z\"}}]}"},
    {'f', "{\"choices\":null}"},
    {'f', "{\"choices\":[{\"delta\":{\"content\":\"w\"}}],\"usage\":[]}"},
};

Test(chunk, valid_shapes_read_like_cjson)
{
    for (size_t i = 0; i < sizeof valid_cases / sizeof *valid_cases; i++) {
        const char *json = valid_cases[i].json;
        ref_fields lib;
        sekha__chunk_rc scan;
        cr_assert_eq(lib_read(json, &lib, &scan, NULL), SEKHA__CHUNK_OK, "rejected: %s", json);
        cr_assert_eq(scan, valid_cases[i].expect_scan == 'o' ? SEKHA__CHUNK_OK
                                                             : SEKHA__CHUNK_FALLBACK,
                     "scan said %d on %s", scan, json);
        ref_fields ref = ref_read(json);
        assert_same(&lib, &ref, json);
    }
}

/* Certainly not JSON (or not UTF-8): both paths reject; cjson_too says cJSON agrees. */
static const struct {
    int cjson_too;
    const char *json;
} invalid_cases[] = {
    {1, ""}, {1, "   "}, {1, "{"}, {1, "{\"a\":1,}"}, {1, "{\"a\" 1}"}, {1, "{'a':1}"},
    {1, "{a:1}"}, {0, "{\"a\":01}"}, {0, "{\"a\":1.}"}, {1, "{\"a\":-}"}, {1, "{\"a\":.5}"},
    {1, "{\"a\":tru}"}, {1, "{\"a\":NaN}"}, {1, "{\"a\":\"\\x\"}"}, {1, "{\"a\":\"\\u12\"}"},
    {1, "{\"a\":\"\\ud83d\"}"}, {1, "{\"a\":\"\\ude00\"}"}, {1, "{\"a\":\"\\ud83d\\u0041\"}"},
    {0, "{\"a\":\"tab\there\"}"}, {0, "{\"a\":\"\xc0\x80\"}"}, {0, "{\"a\":\"\xed\xa0\x80\"}"},
    {0, "{\"a\":\"\xf4\x90\x80\x80\"}"}, {0, "{\"a\":\"\xe2\x82\"}"}, {0, "{\"a\":\"\xff\"}"},
    {1, "{} x"}, {1, "{}{}"}, {1, "[1,2"}, {0, "\xef\xbb\xbf{}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"abc}}]}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]"},
    {0, "{\"choices\":[{\"delta\":{\"content\":\"x\xc3\"}}]}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"x\"}},]}"},
    {0, "{\"choices\":[{\"index\":00,\"delta\":{\"content\":\"x\"}}]}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"x\"} \"finish_reason\":null}]}"},
};

Test(chunk, malformed_input_is_never_accepted)
{
    for (size_t i = 0; i < sizeof invalid_cases / sizeof *invalid_cases; i++) {
        const char *json = invalid_cases[i].json;
        ref_fields lib;
        sekha__chunk_rc scan;
        cr_assert_eq(lib_read(json, &lib, &scan, NULL), SEKHA__CHUNK_INVALID, "accepted: %s", json);
        cr_assert_eq(scan, SEKHA__CHUNK_INVALID, "scan did not reject: %s", json);
        cJSON *v = cJSON_ParseWithOpts(json, NULL, 1);
        cr_assert_eq(v == NULL, invalid_cases[i].cjson_too, "cJSON verdict changed: %s", json);
        cJSON_Delete(v);
    }
}

Test(chunk, json_that_is_not_a_chunk_or_is_an_error)
{
    static const char *const bad[] = {
        "[1,2]", "\"str\"", "{\"choices\":{}}", "{\"choices\":[1]}",
        "{\"choices\":[{\"delta\":{\"content\":5}}]}",
        "{\"choices\":[{\"delta\":{\"content\":[\"a\"]}}]}", "{\"choices\":[{\"delta\":\"x\"}]}",
        "{\"choices\":[{\"finish_reason\":3}]}", "{\"choices\":[{\"index\":\"0\"}]}"};
    static const char *const errors[] = {
        "{\"error\":{\"message\":\"boom\",\"code\":500}}", "{\"error\":\"plain\"}",
        "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"error\":{\"message\":\"late\"}}"};
    ref_fields lib;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(lib_read(bad[i], &lib, NULL, NULL), SEKHA__CHUNK_BAD, "%s", bad[i]);
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        cr_assert_eq(lib_read(errors[i], &lib, NULL, NULL), SEKHA__CHUNK_ERROR, "%s", errors[i]);
    const char *null_error = "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}";
    cr_assert_eq(lib_read(null_error, &lib, NULL, NULL), SEKHA__CHUNK_OK);
    cr_assert_str_eq(lib.content, "ok");
}

Test(chunk, escaped_nul_survives_on_the_fast_path)
{
    const char *json = "{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}";
    sekha_buf text = {0};
    sekha__chunk_fields f;
    cr_assert_eq(sekha__chunk_scan(json, strlen(json), &text, &f), SEKHA__CHUNK_OK);
    cr_assert_eq(f.content_len, 3);
    cr_assert_eq(memcmp(text.data, "a\0b", 3), 0);
    sekha__buf_free(&text);
}

/* ---- generated chunks: random order, whitespace, escapes and unicode ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static void ws(sekha_buf *b)
{
    static const char *const w[] = {"", "", "", " ", "\n", "\t ", "\r\n  "};
    sekha__buf_puts(b, w[rnd(7)]);
}

static void put_cp(sekha_buf *b, unsigned cp)
{
    unsigned char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        u[i] = (unsigned char)(0x80 | (cp & 0x3F));
    u[0] = (unsigned char)(lead[n] | cp);
    sekha__buf_append(b, u, n);
}

/* A random content string: its JSON form goes to b, its decoded bytes to plain. */
static void gen_content(sekha_buf *b, sekha_buf *plain)
{
    static const char *const words[] = {" the", "quick", " brown fox", " 42",
                                        "jumps over the lazy dog; ", "a"};
    static const char *const esc[][2] = {{"\\n", "\n"}, {"\\\"", "\""}, {"\\\\", "\\"},
                                         {"\\/\\t", "/\t"}};
    sekha__buf_puts(b, "\"");
    unsigned pieces = rnd(12);
    for (unsigned i = 0; i < pieces; i++) {
        char tmp[16];
        unsigned cp, k = rnd(9);
        if (k < 4) {
            sekha__buf_puts(b, esc[k][0]);
            sekha__buf_puts(plain, esc[k][1]);
        } else if (k == 4) { /* a BMP escape, away from surrogates and NUL */
            do
                cp = 0x20 + rnd(0xFFDF);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            snprintf(tmp, sizeof tmp, rnd(2) ? "\\u%04x" : "\\u%04X", cp);
            sekha__buf_puts(b, tmp);
            put_cp(plain, cp);
        } else if (k == 5) { /* a surrogate pair */
            cp = 0x10000 + rnd(0x100000);
            snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                     0xDC00 + ((cp - 0x10000) & 0x3FF));
            sekha__buf_puts(b, tmp);
            put_cp(plain, cp);
        } else if (k == 6) { /* raw UTF-8 */
            cp = rnd(3) == 0 ? 0x10000 + rnd(0x100000) : 0x80 + rnd(0xF000);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xE9;
            put_cp(b, cp);
            put_cp(plain, cp);
        } else {
            const char *w = words[rnd(6)];
            sekha__buf_puts(b, w);
            sekha__buf_puts(plain, w);
        }
    }
    sekha__buf_puts(b, "\"");
}

static void gen_value(sekha_buf *b, int depth)
{
    switch (rnd(depth > 2 ? 5 : 7)) {
    case 0: sekha__buf_puts(b, "null"); break;
    case 1: sekha__buf_puts(b, rnd(2) ? "true" : "false"); break;
    case 2: sekha__buf_printf(b, "%d", (int)rnd(100000) - 500); break;
    case 3: sekha__buf_puts(b, rnd(2) ? "-1.25e+3" : "0.5E-2"); break;
    case 4: sekha__buf_puts(b, "\"s\\u00e9\""); break;
    case 5:
        sekha__buf_puts(b, "[");
        ws(b);
        gen_value(b, depth + 1);
        sekha__buf_puts(b, ",");
        gen_value(b, depth + 1);
        sekha__buf_puts(b, "]");
        break;
    default:
        sekha__buf_puts(b, "{\"k\":");
        gen_value(b, depth + 1);
        ws(b);
        sekha__buf_puts(b, "}");
    }
}

/* Emits the members in a random order, separated by commas and random whitespace. */
static void members(sekha_buf *b, int n, void (*one)(sekha_buf *, int, void *), void *ctx)
{
    int order[8];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnd((unsigned)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    sekha__buf_puts(b, "{");
    for (int i = 0; i < n; i++) {
        ws(b);
        if (i)
            sekha__buf_puts(b, ",");
        ws(b);
        one(b, order[i], ctx);
        ws(b);
    }
    sekha__buf_puts(b, "}");
}

static void delta_one(sekha_buf *b, int k, void *ctx)
{
    sekha_buf *plain = ctx;
    if (k == 0) {
        sekha__buf_puts(b, "\"content\":");
        ws(b);
        gen_content(b, plain);
    } else if (k == 1) {
        sekha__buf_puts(b, rnd(2) ? "\"role\":\"assistant\"" : "\"role\":null");
    } else {
        sekha__buf_puts(b, "\"x_extra\":");
        gen_value(b, 0);
    }
}

static void choice_one(sekha_buf *b, int k, void *ctx)
{
    if (k == 0) {
        sekha__buf_puts(b, "\"index\":0");
    } else if (k == 1) {
        sekha__buf_puts(b, "\"delta\" :");
        members(b, 3, delta_one, ctx);
    } else if (k == 2) {
        sekha__buf_puts(b, rnd(3) ? "\"finish_reason\":null" : "\"finish_reason\":\"stop\"");
    } else {
        sekha__buf_puts(b, "\"logprobs\":null");
    }
}

static void top_one(sekha_buf *b, int k, void *ctx)
{
    switch (k) {
    case 0: sekha__buf_printf(b, "\"id\":\"chatcmpl-%u\"", rnd(1000)); break;
    case 1: sekha__buf_puts(b, "\"object\":\"chat.completion.chunk\""); break;
    case 2: sekha__buf_puts(b, "\"created\":1700000000"); break;
    case 3: sekha__buf_puts(b, "\"model\":\"gpt-x\""); break;
    case 4:
        sekha__buf_puts(b, "\"choices\":[");
        ws(b);
        members(b, 4, choice_one, ctx);
        sekha__buf_puts(b, "]");
        break;
    case 5:
        sekha__buf_printf(b, "\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,"
                             "\"total_tokens\":%u}", rnd(99), rnd(99), rnd(99));
        break;
    default:
        sekha__buf_puts(b, "\"extra\":");
        gen_value(b, 0);
    }
}

static char *gen_chunk(sekha_buf *plain)
{
    sekha_buf b = {0};
    sekha__buf_clear(plain);
    ws(&b);
    members(&b, 7, top_one, plain);
    ws(&b);
    return sekha__buf_steal(&b, NULL);
}

Test(chunk, generated_chunks_take_the_fast_path_and_agree_with_cjson)
{
    sekha_buf plain = {0};
    for (int i = 0; i < 20000; i++) {
        char *json = gen_chunk(&plain);
        sekha_buf text = {0};
        sekha__chunk_fields f;
        cr_assert_eq(sekha__chunk_scan(json, strlen(json), &text, &f), SEKHA__CHUNK_OK,
                     "not taken by the fast path: %s", json);
        cr_assert_eq(f.content_len, plain.len, "%s", json);
        cr_assert_eq(memcmp(text.data, plain.data ? plain.data : "", plain.len), 0,
                     "content decoded wrongly from %s", json);
        sekha__buf_free(&text);
        ref_fields lib, ref = ref_read(json);
        lib_read(json, &lib, NULL, NULL);
        assert_same(&lib, &ref, json);
        free(json);
    }
    sekha__buf_free(&plain);
}

/* One random damage: a byte replaced, deleted or bit-flipped, or the end cut off. */
static void mutate(char *json)
{
    static const char alphabet[] = "\"\\{}[],:0 -e.nu\x01\x1f\x7f\x80\xbf\xc3\xed\xf4\xff";
    size_t len = strlen(json), at = rnd((unsigned)len);
    switch (rnd(4)) {
    case 0: json[at] = alphabet[rnd(sizeof alphabet - 1)]; break;
    case 1: memmove(json + at, json + at + 1, len - at); break;
    case 2: json[at] = '\0'; break;
    default: json[at] = (char)(json[at] ^ (1 << rnd(8))); break;
    }
    if (!json[0])
        json[0] = ' ';
}

/* Chunks of one layout with different content (some damaged): the first is learnt, the
 * rest go through the template, and every answer must agree with cJSON. */
static char *sibling(const char *json, const sekha__chunk_fields *f)
{
    sekha_buf b = {0}, plain = {0};
    sekha__buf_append(&b, json, f->content_at - 1);
    gen_content(&b, &plain);
    sekha__buf_puts(&b, json + f->content_at + f->content_raw + 1);
    sekha__buf_free(&plain);
    return sekha__buf_steal(&b, NULL);
}

Test(chunk, template_and_mutations_agree_with_cjson)
{
    sekha_buf plain = {0}, scratch = {0};
    size_t hits = 0, checked = 0, rejected = 0;
    for (int i = 0; i < 4000; i++) {
        char *base = gen_chunk(&plain);
        sekha__chunk_fields f;
        sekha__chunk_tpl tpl = {0};
        sekha__buf_clear(&scratch);
        cr_assert_eq(sekha__chunk_scan(base, strlen(base), &scratch, &f), SEKHA__CHUNK_OK);
        for (int k = 0; k < 8; k++) {
            char *json = k == 0 ? strdup(base) : sibling(base, &f);
            if (k >= 5)
                mutate(json);
            ref_fields lib;
            size_t before = tpl.hits;
            sekha__chunk_rc rc = lib_read(json, &lib, NULL, &tpl);
            hits += tpl.hits - before;
            cJSON *v = cJSON_ParseWithOpts(json, NULL, 1);
            if (!v) {
                cr_assert_eq(rc, SEKHA__CHUNK_INVALID, "accepted what cJSON rejects: %s", json);
                rejected++;
            } else if (rc == SEKHA__CHUNK_OK) {
                ref_fields ref = ref_read(json);
                assert_same(&lib, &ref, json);
                checked++;
            }
            cJSON_Delete(v);
            free(json);
        }
        sekha__chunk_tpl_free(&tpl);
        free(base);
    }
    cr_assert_gt(hits, 15000, "the template path was hardly used (%zu hits)", hits);
    cr_assert_gt(checked, 20000);
    cr_assert_gt(rejected, 5000, "the mutations should break most chunks");
    sekha__buf_free(&plain);
    sekha__buf_free(&scratch);
}

Test(chunk, utf8_validation)
{
    cr_assert(sekha__utf8_valid("plain ascii long enough for words", 33));
    cr_assert(sekha__utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 13));
    static const char *const bad[] = {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                      "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                      "\x80", "\xc3", "abc\xe2\x82", "\xfe", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_not(sekha__utf8_valid(bad[i], strlen(bad[i])), "accepted case %zu", i);
}

/* ================================================================ the request body */

static char *body_of(const sekha_messages *m, const char *model, double t, long max,
                     const char *extra, int stream, sekha_code *code)
{
    sekha_buf b = {0};
    sekha_error *e = sekha__bridge_chat_body(&b, m, model, t, max, extra, stream);
    *code = sekha_error_code(e);
    sekha_error_free(e);
    if (*code != SEKHA_OK) {
        sekha__buf_free(&b);
        return NULL;
    }
    return sekha__buf_steal(&b, NULL);
}

static sekha_messages *one_message(const char *content)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", content), SEKHA_OK);
    return m;
}

Test(body, temperature_zero_is_sent_as_zero)
{
    sekha_messages *m = one_message("hi");
    sekha_code code;
    char *b = body_of(m, NULL, 0.0, SEKHA_MAX_TOKENS_UNSET, NULL, 0, &code);
    cJSON *v = cJSON_Parse(b);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "temperature");
    cr_assert(cJSON_IsNumber(t), "temperature 0 was dropped: %s", b);
    cr_assert_eq(t->valuedouble, 0.0);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(v, "max_tokens"));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(v, "model"));
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "stream")));
    cJSON_Delete(v);
    free(b);
    b = body_of(m, "", SEKHA_TEMPERATURE_UNSET, 7, NULL, 1, &code);
    cr_assert_str_eq(b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":7,"
                        "\"stream\":true}");
    free(b);
    b = body_of(m, "m", 0.7, 1, NULL, 0, &code);
    cr_assert_not_null(strstr(b, "\"temperature\":0.7,"), "%s", b);
    free(b);
    sekha_messages_free(m);
}

Test(body, content_round_trips_through_json)
{
    const char *tricky = "quote \" backslash \\ nl \n tab \t ctl \x01\x1f del \x7f \xc3\xa9 \xf0\x9f\x98\x80";
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "system", "context"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "user", tricky), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "tool", "{}"), SEKHA_OK);
    cr_assert_eq(sekha_messages_count(m), 4);
    cr_assert_str_eq(sekha_messages_role(m, 3), "tool");
    cr_assert_null(sekha_messages_content(m, 4));
    sekha_code code;
    char *b = body_of(m, "mod\"el", SEKHA_TEMPERATURE_UNSET, 0, NULL, 0, &code);
    cJSON *v = cJSON_Parse(b);
    cr_assert_not_null(v, "not JSON: %s", b);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(v, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 4);
    cr_assert_str_eq(cJSON_GetArrayItem(msgs, 1)->child->next->valuestring, tricky);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(v, "model")->valuestring, "mod\"el");
    cJSON_Delete(v);
    free(b);
    sekha_messages_free(m);
}

Test(body, invalid_arguments_are_rejected)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "robot", "x"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(m, "user", "bad \xc3"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(m, "user", NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(NULL, "user", "x"), SEKHA_E_INVALID_ARG);
    sekha_code code;
    cr_assert_null(body_of(m, NULL, SEKHA_TEMPERATURE_UNSET, 0, NULL, 0, &code));
    cr_assert_eq(code, SEKHA_E_INVALID_ARG, "no messages");
    cr_assert_eq(sekha_messages_add(m, "user", "x"), SEKHA_OK);
    const double temps[] = {-0.5, INFINITY};
    for (int i = 0; i < 2; i++) {
        cr_assert_null(body_of(m, NULL, temps[i], 0, NULL, 0, &code));
        cr_assert_eq(code, SEKHA_E_INVALID_ARG);
    }
    cr_assert_null(body_of(m, NULL, SEKHA_TEMPERATURE_UNSET, -1, NULL, 0, &code));
    static const char *const extras[] = {"[1]", "{\"stream\":true}", "{\"messages\":[]}",
                                         "{\"a\":1,\"a\":2}", "{bad", "{\"s\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof extras / sizeof *extras; i++) {
        cr_assert_null(body_of(m, NULL, SEKHA_TEMPERATURE_UNSET, 0, extras[i], 0, &code));
        cr_assert_eq(code, SEKHA_E_INVALID_ARG, "%s", extras[i]);
    }
    sekha_messages_free(m);
}

Test(body, extra_fields_are_added_and_replace_arguments)
{
    sekha_messages *m = one_message("x");
    sekha_code code;
    char *b = body_of(m, "arg-model", 1.0, 5, "{\"top_p\":0.5,\"model\":\"extra-model\","
                                               "\"stop\":[\"\\n\"],\"max_tokens\":9}", 0, &code);
    cJSON *v = cJSON_Parse(b);
    cr_assert_not_null(v, "%s", b);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(v, "model")->valuestring, "extra-model");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(v, "max_tokens")->valuedouble, 9);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(v, "temperature")->valuedouble, 1.0);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(v, "top_p")->valuedouble, 0.5);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "stop"), 0)->valuestring,
                     "\n");
    cr_assert_null(strstr(b, "arg-model"), "the replaced argument is still there: %s", b);
    cJSON_Delete(v);
    free(b);
    sekha_messages_free(m);
}

/* ================================================================ against the devserver */

static ds_proc ds;

static void bridge_setup(void) { start_devserver(&ds, NULL); }
static void bridge_teardown(void) { ds_proc_stop(&ds); }

TestSuite(bridge, .init = bridge_setup, .fini = bridge_teardown, .timeout = 60);

static sekha_client *bridge_client(const ds_proc *p, long idle_ms)
{
    sekha_options *o = test_options(p);
    if (idle_ms)
        cr_assert_eq(sekha_options_set_stream_idle_timeout_ms(o, idle_ms), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

static void run_chat(const ds_proc *p, int stream, const char *system, const char *user,
                     long max_tokens, run *r)
{
    sekha_client *c = bridge_client(p, 0);
    run_chat_on(c, stream, system, user, max_tokens, r);
    sekha_client_free(c);
}

static void arm(const char *rule)
{
    cr_assert_eq(ds_proc_fault(&ds, ds.bridge_url, rule), 0, "rule rejected: %s", rule);
}

Test(bridge, complete_answers_with_the_whole_completion)
{
    run r = {0};
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "hello");
    sekha_bridge_complete(c, m, "m1", SEKHA_TEMPERATURE_UNSET, SEKHA_MAX_TOKENS_UNSET, NULL,
                          on_final, &r);
    sekha_client_run(c);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "You asked: hello");
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_str_eq(r.role, "assistant");
    cr_assert_str_eq(r.model, "devserver-echo/m1");
    cr_assert_eq(strncmp(r.id, "chatcmpl-", 9), 0);
    cr_assert(r.has_usage);
    cr_assert_eq(r.usage[0], 1);
    cr_assert_eq(r.usage[1], 3);
    cr_assert_eq(r.usage[2], 4);
    cr_assert(r.complete);
    cr_assert_eq(r.streamed, 0);
    cr_assert_not_null(strstr(r.json, "\"object\":\"chat.completion\""));
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, replies_are_grounded_on_the_context_and_cut_by_max_tokens)
{
    run r = {0};
    run_chat(&ds, 0, "Paris is the capital of France", "capital?", 0, &r);
    cr_assert_str_eq(r.text, "Based on your memory: Paris is the capital of France ... you asked: capital?");
    run s = {0};
    run_chat(&ds, 0, NULL, "one two three", 2, &s);
    cr_assert_str_eq(s.text, "You asked:");
    cr_assert_str_eq(s.finish, "length");
}

Test(bridge, sync_forms_and_server_validation)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "sync please");
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_complete_sync(c, m, NULL, 0.0, 0, NULL, &out, &err), SEKHA_OK);
    cr_assert_str_eq(sekha_completion_content(out, NULL), "You asked: sync please");
    sekha_completion_free(out);
    out = NULL;
    /* 3.0 passes our check (finite, >= 0); the bridge itself allows at most 2 */
    cr_assert_eq(sekha_bridge_complete_sync(c, m, NULL, 3.0, 0, NULL, &out, &err),
                 SEKHA_E_VALIDATION);
    cr_assert_null(out);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_HTTP);
    cr_assert_eq(sekha_error_http_status(err), 422);
    cr_assert_not_null(strstr(sekha_error_service_message(err), "less than or equal to 2"),
                       "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, invalid_arguments_end_through_the_callback)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *empty = sekha_messages_new();
    run r = {0}, s = {0};
    cr_assert_not_null(sekha_bridge_complete(c, empty, NULL, NAN, 0, NULL, on_final, &r));
    cr_assert_not_null(sekha_bridge_stream_complete(c, NULL, NULL, -1.0, 0, NULL, on_chunk,
                                                    on_final, &s));
    cr_assert_eq(r.finals + s.finals, 0, "called from inside the call");
    sekha_client_run(c);
    cr_assert_eq(r.finals, 1);
    cr_assert_eq(r.code, SEKHA_E_INVALID_ARG);
    cr_assert_eq(r.has_result, 0);
    cr_assert_eq(s.code, SEKHA_E_INVALID_ARG);
    cr_assert_eq(s.has_result, 1, "streams always get a (here empty) result");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 0);
    sekha_messages_free(empty);
    sekha_client_free(c);
}

Test(bridge, stream_assembles_what_complete_returns)
{
    run whole = {0}, r = {0};
    run_chat(&ds, 0, "context words here", "hello there \"quoted\" caf\xc3\xa9", 0, &whole);
    run_chat(&ds, 1, "context words here", "hello there \"quoted\" caf\xc3\xa9", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, whole.text);
    cr_assert_str_eq(r.seen, whole.text, "the chunks add up to the text");
    cr_assert_eq(r.chunks, 15, "one chunk per word plus the finish chunk");
    cr_assert_eq((size_t)r.chunks, r.res_chunks);
    cr_assert_eq(r.bad_index, 0);
    cr_assert_eq(r.roles, 1);
    cr_assert_eq(r.finishes, 1);
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_str_eq(r.role, "assistant");
    cr_assert(r.has_usage);
    cr_assert_eq(r.usage[1], 14);
    cr_assert(r.complete);
    cr_assert(r.streamed);
    cr_assert_eq(r.synthetic, 0);
    cJSON *v = cJSON_Parse(r.json);
    cr_assert_not_null(v, "%s", r.json);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
                             cJSON_GetObjectItemCaseSensitive(v, "choices"), 0), "message"),
                         "content")->valuestring, whole.text);
    cJSON_Delete(v);
}

Test(bridge, one_byte_pieces_give_the_same_stream)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"pass\":true,\"chunk_size\":1}]}");
    run r = {0};
    run_chat(&ds, 1, NULL, "split me \\u00e9 anywhere", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "You asked: split me \\u00e9 anywhere");
    cr_assert_eq(r.chunks, 7);
}

/* Faults in the middle of a stream: the error says what happened, the text so far stays. */
static const struct {
    const char *step;
    sekha_code code;
    sekha_layer layer;
    const char *partial;
    const char *says;
} stream_faults[] = {
    {"\"inband_error\":true", SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, "You", "injected in-band error"},
    {"\"cut_mid_event\":true", SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT, "You", NULL},
    {"\"truncate_after\":3,\"clean_close\":true", SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT,
     "You asked: one", "[DONE]"},
    {"\"truncate_after\":2", SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT, "You asked:", NULL},
    {"\"malformed_json\":true", SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "", "not valid JSON"},
    {"\"invalid_utf8\":true", SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "", "UTF-8"},
};

Test(bridge, stream_faults_keep_the_text_so_far)
{
    for (size_t i = 0; i < sizeof stream_faults / sizeof *stream_faults; i++) {
        char rule[256];
        snprintf(rule, sizeof rule, "{\"path\":\"/v1/chat/completions\",\"steps\":[{%s}]}",
                 stream_faults[i].step);
        arm(rule);
        run r = {0};
        run_chat(&ds, 1, NULL, "one two three", 0, &r);
        cr_assert_eq(r.code, stream_faults[i].code, "%s: got %s", stream_faults[i].step, r.message);
        cr_assert_eq(r.layer, stream_faults[i].layer, "%s", stream_faults[i].step);
        cr_assert(r.has_result);
        cr_assert_str_eq(r.text, stream_faults[i].partial, "%s", stream_faults[i].step);
        cr_assert_str_eq(r.seen, stream_faults[i].partial);
        cr_assert_eq(r.complete, 0);
        cr_assert_eq(r.attempts, 1, "a stream is not retried once events arrived");
        if (stream_faults[i].says)
            cr_assert_not_null(strstr(r.message, stream_faults[i].says), "%s", r.message);
    }
}

Test(bridge, a_connection_cut_after_done_is_still_a_whole_reply)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"cut_after_done\":true}]}");
    run r = {0};
    run_chat(&ds, 1, NULL, "x y", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "You asked: x y");
    cr_assert(r.complete);
}

Test(bridge, inband_error_keeps_the_service_code)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"inband_error\":true}]}");
    run r = {0};
    run_chat(&ds, 1, NULL, "x y", 0, &r);
    cr_assert_eq(r.service_code, 500);
    cr_assert_str_eq(r.service_msg, "injected in-band error");
}

Test(bridge, a_server_that_ignores_stream_gives_one_chunk)
{
    ds_proc plain;
    const char *const args[] = {"--no-stream", NULL};
    start_devserver(&plain, args);
    run r = {0};
    run_chat(&plain, 1, NULL, "hello there", 0, &r);
    ds_proc_stop(&plain);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_eq(r.chunks, 1);
    cr_assert_eq(r.synthetic, 1);
    cr_assert_eq(r.roles, 1);
    cr_assert_eq(r.finishes, 1);
    cr_assert_str_eq(r.seen, "You asked: hello there");
    cr_assert_str_eq(r.text, "You asked: hello there");
    cr_assert_eq(r.streamed, 0);
    cr_assert(r.complete);
    cr_assert_not_null(strstr(r.json, "\"object\":\"chat.completion\""));
}

Test(bridge, cancel_stop_and_pause_from_the_chunk_callback)
{
    run cancel = {.cancel_at = 2}, stop = {.stop_at = 2};
    run_chat(&ds, 1, NULL, "a b c d e f", 0, &cancel);
    cr_assert_eq(cancel.code, SEKHA_E_CANCELLED);
    cr_assert_eq(cancel.chunks, 2, "no chunk after the cancel");
    cr_assert_str_eq(cancel.text, "You asked:");
    cr_assert_eq(cancel.complete, 0);
    run_chat(&ds, 1, NULL, "a b c d e f", 0, &stop);
    cr_assert_eq(stop.code, SEKHA_OK);
    cr_assert_eq(stop.chunks, 2);
    cr_assert_str_eq(stop.text, "You asked:");
    cr_assert_eq(stop.complete, 0, "a stopped stream is partial");

    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "a b c d e f");
    run p = {.pause_at = 2};
    sekha_request *req = sekha_bridge_stream_complete(c, m, NULL, NAN, 0, NULL, on_chunk,
                                                      on_final, &p);
    while (p.chunks < 2)
        sekha_client_poll(c, 100);
    for (int i = 0; i < 5; i++)
        sekha_client_poll(c, 20);
    cr_assert_eq(p.chunks, 2, "chunks delivered while paused");
    cr_assert_eq(p.finals, 0);
    sekha_request_resume(req);
    sekha_client_run(c);
    cr_assert_eq(p.code, SEKHA_OK);
    cr_assert_eq(p.chunks, 9);
    cr_assert_str_eq(p.text, "You asked: a b c d e f");
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, a_silent_stream_times_out_with_the_text_so_far)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"endless\":true,\"chunk_delay_ms\":3000}]}");
    sekha_client *c = bridge_client(&ds, 300);
    sekha_messages *m = msgs_of(NULL, "slow");
    run r = {0};
    sekha_bridge_stream_complete(c, m, NULL, NAN, 0, NULL, on_chunk, on_final, &r);
    sekha_client_run(c);
    cr_assert_eq(r.code, SEKHA_E_TIMEOUT, "%s", r.message);
    cr_assert_eq(r.layer, SEKHA_LAYER_TRANSPORT);
    cr_assert_str_eq(r.text, "You");
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, sync_stream_hands_over_partial_results_too)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "sync stream");
    run r = {0};
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, NULL, NAN, 0, NULL, on_chunk, &r, &out,
                                                   &err), SEKHA_OK);
    cr_assert_null(err);
    cr_assert_eq(r.chunks, 5);
    cr_assert_str_eq(sekha_completion_content(out, NULL), "You asked: sync stream");
    sekha_completion_free(out);
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"inband_error\":true}]}");
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, NULL, NAN, 0, NULL, NULL, NULL, &out,
                                                   &err), SEKHA_E_SERVICE);
    cr_assert_str_eq(sekha_completion_content(out, NULL), "You");
    cr_assert_eq(sekha_completion_complete(out), 0);
    cr_assert_eq(sekha_error_code(err), SEKHA_E_SERVICE);
    sekha_completion_free(out);
    sekha_error_free(err);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, completions_are_retried_as_idempotent)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"status\":500},{\"pass\":true},"
        "{\"status\":503},{\"pass\":true}]}");
    run r = {0}, s = {0};
    run_chat(&ds, 0, NULL, "again", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "a 500 on a completion is retried: %s", r.message);
    run_chat(&ds, 1, NULL, "again", 0, &s);
    cr_assert_eq(s.code, SEKHA_OK, "%s", s.message);
    cr_assert_str_eq(s.text, "You asked: again");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 4);
}

Test(bridge, error_bodies_with_status_200)
{
    arm("[{\"path\":\"/v1/chat/completions\",\"steps\":[{\"status\":200,\"body\":"
        "\"{\\\"error\\\":{\\\"message\\\":\\\"model overloaded\\\",\\\"code\\\":529}}\"},"
        "{\"status\":200,\"body\":\"{\\\"error\\\":{\\\"message\\\":\\\"also in streams\\\"}}\"},"
        "{\"status\":200,\"body\":\"{\\\"id\\\":\\\"x\\\",\\\"choices\\\":[]}\"}]}]");
    run a = {0}, b = {0}, c = {0};
    run_chat(&ds, 0, NULL, "x", 0, &a);
    cr_assert_eq(a.code, SEKHA_E_SERVICE);
    cr_assert_eq(a.layer, SEKHA_LAYER_SERVICE);
    cr_assert_str_eq(a.service_msg, "model overloaded");
    cr_assert_eq(a.service_code, 529);
    run_chat(&ds, 1, NULL, "x", 0, &b);
    cr_assert_eq(b.code, SEKHA_E_SERVICE);
    cr_assert_str_eq(b.service_msg, "also in streams");
    run_chat(&ds, 0, NULL, "x", 0, &c);
    cr_assert_eq(c.code, SEKHA_E_BAD_RESPONSE);
    cr_assert_not_null(strstr(c.message, "no choices"), "%s", c.message);
}

Test(bridge, many_streams_at_once_keep_their_own_text)
{
    enum { N = 40 };
    sekha_client *c = bridge_client(&ds, 0);
    run *r = calloc(N, sizeof *r);
    char user[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(user[i], sizeof user[i], "stream number %d", i);
        sekha_messages *m = msgs_of(NULL, user[i]);
        sekha_bridge_stream_complete(c, m, NULL, NAN, 0, NULL, on_chunk, on_final, &r[i]);
        sekha_messages_free(m);
    }
    sekha_client_run(c);
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "You asked: %s", user[i]);
        cr_assert_eq(r[i].code, SEKHA_OK, "%d: %s", i, r[i].message);
        cr_assert_str_eq(r[i].text, want);
    }
    free(r);
    sekha_client_free(c);
}

/* ---- embeddings and health ---- */

static sekha_embeddings *embed_sync(sekha_client *c, const char *const *texts, size_t n,
                                    sekha_embed_api api, sekha_code want)
{
    sekha_embeddings *e = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_bridge_embed_sync(c, texts, n, NULL, api, &e, &err);
    cr_assert_eq(rc, want, "%s", sekha_error_message(err));
    sekha_error_free(err);
    return e;
}

Test(bridge, embeddings_in_both_shapes_agree)
{
    sekha_client *c = bridge_client(&ds, 0);
    const char *const texts[] = {"hello world", "caf\xc3\xa9 au lait", "third text here"};
    sekha_embeddings *one[3];
    for (int i = 0; i < 3; i++) {
        one[i] = embed_sync(c, &texts[i], 1, i == 1 ? SEKHA_EMBED_SEKHA_V1 : SEKHA_EMBED_SEKHA,
                            SEKHA_OK);
        cr_assert_eq(sekha_embeddings_count(one[i]), 1);
    }
    cr_assert_str_eq(sekha_embeddings_model(one[0]), "devserver-hash");
    cr_assert_str_eq(sekha_embeddings_model(one[1]), "default");
    cr_assert_eq(sekha_embeddings_tokens(one[0]), 2);
    sekha_embeddings *all = embed_sync(c, texts, 3, SEKHA_EMBED_OPENAI, SEKHA_OK);
    cr_assert_eq(sekha_embeddings_count(all), 3);
    cr_assert_eq(sekha_embeddings_tokens(all), 2 + 3 + 3);
    for (size_t i = 0; i < 3; i++) {
        size_t d1, d2;
        const float *a = sekha_embeddings_vector(all, i, &d1);
        const float *b = sekha_embeddings_vector(one[i], 0, &d2);
        cr_assert_eq(d1, 256);
        cr_assert_eq(d2, 256);
        cr_assert_eq(memcmp(a, b, d1 * sizeof *a), 0, "vector %zu differs between shapes", i);
        sekha_embeddings_free(one[i]);
    }
    cr_assert_null(sekha_embeddings_vector(all, 3, NULL));
    cr_assert_not_null(strstr(sekha_embeddings_json(all), "\"data\""));
    sekha_embeddings_free(all);
    cr_assert_null(embed_sync(c, texts, 2, SEKHA_EMBED_SEKHA, SEKHA_E_INVALID_ARG));
    arm("{\"path\":\"/embed\",\"steps\":[{\"malformed_json\":true},"
        "{\"status\":200,\"body\":\"{\\\"embedding\\\":[1,2],\\\"dimension\\\":3}\"},"
        "{\"status\":200,\"body\":\"{\\\"embedding\\\":[1,\\\"x\\\"]}\"}]}");
    for (int i = 0; i < 3; i++)
        cr_assert_null(embed_sync(c, texts, 1, SEKHA_EMBED_SEKHA, SEKHA_E_BAD_RESPONSE));
    sekha_client_free(c);
}

static sekha_bridge_health_report *health_sync(sekha_client *c, sekha_code want, int attempts)
{
    sekha_bridge_health_report *h = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_health_sync(c, &h, &err), want, "%s", sekha_error_message(err));
    if (want != SEKHA_OK)
        cr_assert_eq(sekha_error_attempts(err), attempts);
    sekha_error_free(err);
    return h;
}

Test(bridge, health_verdicts)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_bridge_health_report *h = health_sync(c, SEKHA_OK, 1);
    cr_assert_eq(sekha_bridge_health_verdict(h), SEKHA_BRIDGE_HEALTHY);
    cr_assert_str_eq(sekha_bridge_health_status(h), "healthy");
    cr_assert_null(sekha_bridge_health_reason(h));
    cr_assert_not_null(strstr(sekha_bridge_health_json(h), "models_loaded"));
    sekha_bridge_health_free(h);
    arm("{\"path\":\"/health\",\"steps\":[{\"status\":503},"
        "{\"status\":200,\"body\":\"{\\\"status\\\":\\\"degraded\\\"}\"},"
        "{\"status\":200,\"body\":\"{\\\"status\\\":\\\"healthy\\\",\\\"ollama_status\\\":"
        "{\\\"status\\\":\\\"unhealthy\\\",\\\"reason\\\":\\\"ollama down\\\"}}\"}]}");
    cr_assert_null(health_sync(c, SEKHA_E_SERVER, 1));
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/health"), 2, "a probe is never retried");
    h = health_sync(c, SEKHA_OK, 1);
    cr_assert_eq(sekha_bridge_health_verdict(h), SEKHA_BRIDGE_DEGRADED);
    sekha_bridge_health_free(h);
    h = health_sync(c, SEKHA_OK, 1);
    cr_assert_eq(sekha_bridge_health_verdict(h), SEKHA_BRIDGE_UNHEALTHY);
    cr_assert_str_eq(sekha_bridge_verdict_name(sekha_bridge_health_verdict(h)), "unhealthy");
    cr_assert_str_eq(sekha_bridge_health_reason(h), "ollama down");
    sekha_bridge_health_free(h);
    sekha_client_free(c);
}
