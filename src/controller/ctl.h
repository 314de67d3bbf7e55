/* Controller sub-client internals: the result objects, the defensive JSON readers their
 * decoders use, and the request helpers shared by the endpoint files. */
#ifndef SEKHA_CONTROLLER_CTL_H
#define SEKHA_CONTROLLER_CTL_H

#include "core/call.h"
#include "core/jdoc.h"
#include "core/ref.h"
#include "shared/shared.h"

/* ---- results: every result starts with this header ---- */

typedef struct ctl_result {
    sekha__ref ref;  /* one per owner, on any thread: the result never changes once out */
    char *raw;       /* the body, NUL-terminated, stored right after the typed struct */
    sekha_jdoc doc;  /* the parse of raw; decoded strings, item arrays and compact JSON live
                      * in its arena, so a result is freed in a few calls */
} ctl_result;

/* Allocates a zeroed result of `size` bytes with one reference, a copy of the body and
 * (when parse is set) its JSON parse; NULL with *err set on failure. */
void *ctl_result_new(size_t size, const sekha_response *resp, int parse, const char *what,
                     sekha_error **err);
void ctl_result_release(void *r);
/* The one ownership rule's _copy: another reference to the same immutable result. */
void *ctl_result_copy(const void *r);

struct sekha_conversation {
    ctl_result base;
    const char *id, *label, *folder, *status, *created_at;
    long long message_count;
};

struct sekha_search_result {
    const char *conversation_id, *message_id, *content, *label, *folder, *timestamp;
    double score;
    char *metadata; /* compact JSON, built when decoded */
};

struct sekha_search_results {
    ctl_result base;
    sekha_search_result *items;
    size_t n;
    long long total, page, page_size;
};

struct sekha_stored_message {
    const char *id, *conversation_id, *role, *content, *timestamp, *embedding_id;
    char *metadata;     /* compact JSON, built when decoded */
};

struct sekha_stored_messages {
    ctl_result base;
    sekha_stored_message *items;
    size_t n;
    long long total;
};

struct sekha_count_result {
    ctl_result base;
    long long count;
    const char *label, *folder;
};

struct sekha_summary {
    ctl_result base;
    const char *conversation_id, *level, *summary, *generated_at, *model;
};

struct sekha_prune_suggestion {
    const char *conversation_id, *label, *last_accessed, *preview, *recommendation;
    long long message_count, token_estimate;
    double importance;
};

struct sekha_prune_suggestions {
    ctl_result base;
    sekha_prune_suggestion *items;
    size_t n;
    long long total;
};

struct sekha_label_suggestion {
    const char *label, *reason;
    double confidence;
    int is_existing;
};

struct sekha_label_suggestions {
    ctl_result base;
    const char *conversation_id;
    sekha_label_suggestion *items;
    size_t n;
};


struct sekha_metrics {
    ctl_result base;
};

/* ---- defensive readers: the first problem is kept, later reads return defaults ---- */

typedef struct ctl_dec {
    sekha_jdoc *doc;   /* the document read, whose arena takes what decoding allocates */
    const char *what;  /* the result being decoded, for messages */
    const char *item;  /* the array whose element is being read (NULL: top level) ... */
    size_t index;      /* ... and which element, named in messages as "results[3]." */
    sekha_error *err;
} ctl_dec;

/* Records that element i of array `name` is being read (NULL name: top-level fields). */
void ctl_dec_item(ctl_dec *d, const char *name, size_t i);
/* Records (unless one is recorded) that field key is missing or not `expected`. */
void ctl_dec_fail(ctl_dec *d, const char *key, const char *expected);
/* A required string ("" on failure). */
const char *ctl_req_str(ctl_dec *d, const sekha_jv *o, const char *key);
/* A string, or NULL when absent or null; another type is an error. */
const char *ctl_opt_str(ctl_dec *d, const sekha_jv *o, const char *key);
/* A required number. */
double ctl_req_num(ctl_dec *d, const sekha_jv *o, const char *key);
/* A required whole number >= 0 that fits in a long long. */
long long ctl_req_count(ctl_dec *d, const sekha_jv *o, const char *key);
/* A required boolean. */
int ctl_req_bool(ctl_dec *d, const sekha_jv *o, const char *key);
/* The optional forms: -1 when absent or null (never a real value of these fields), an
 * error only for another type or a count out of range. */
long long ctl_opt_count(ctl_dec *d, const sekha_jv *o, const char *key);
double ctl_opt_num(ctl_dec *d, const sekha_jv *o, const char *key);
int ctl_opt_bool(ctl_dec *d, const sekha_jv *o, const char *key);
/* A required array (NULL on failure). */
const sekha_jv *ctl_req_array(ctl_dec *d, const sekha_jv *o, const char *key);
/* Compact JSON of v ("null" when v is NULL); NULL only on no memory (recorded). */
char *ctl_compact(ctl_dec *d, const sekha_jv *v);
/* The root must be an object; records the error when it is not. */
int ctl_need_object(ctl_dec *d, const sekha_jv *root);

/* The body of POST /api/v1/conversations into b: label and folder (not NULL), the
 * messages (already checked with sekha__messages_check) and importance_score unless
 * importance is 0. SEKHA_E_INVALID_ARG with the reason in why (label or folder not UTF-8),
 * SEKHA_E_NOMEM. */
sekha_code ctl_create_body(sekha_buf *b, const char *label, const char *folder,
                           const sekha_messages *messages, int importance, char *why,
                           size_t why_len);

/* The body of POST /api/v1/query and /search/fts into b (query not NULL; limit and offset
 * < 0 = left out). SEKHA_E_INVALID_ARG with the reason in why (query not UTF-8,
 * filters_json not one JSON value in UTF-8), SEKHA_E_NOMEM. */
sekha_code ctl_query_body(sekha_buf *b, const char *query, int64_t limit, int64_t offset,
                          const char *filters_json, char *why, size_t why_len);

/* Message content flattened: a string as is, parts as their text joined with one space.
 * Returns a malloc'd string, NULL on no memory. */
char *ctl_flatten_content(const cJSON *content);

/* ---- typed calls ---- */

extern const sekha__call_spec ctl_conversation_call;
/* A create that sends content parts (a 422 then says the controller takes text only). */
extern const sekha__call_spec ctl_create_parts_call;
extern const sekha__call_spec ctl_search_results_call;
extern const sekha__call_spec ctl_fts_call;
extern const sekha__call_spec ctl_context_call;
extern const sekha__call_spec ctl_count_call;
extern const sekha__call_spec ctl_summary_call;
extern const sekha__call_spec ctl_prune_call;
extern const sekha__call_spec ctl_labels_call;
extern const sekha__call_spec ctl_metrics_call;
extern const sekha__call_spec ctl_done_call;

/* One controller request: method, an encoded path, an optional JSON body (taken, even on
 * failure), retry flags and the label errors carry. The body is written with
 * sekha__jw_tree: a string in it that is not UTF-8 ends the call before sending, with
 * SEKHA_E_INVALID_ARG naming fn and the field. */
typedef struct ctl_send_args {
    const char *method;
    const char *path;
    cJSON *body;
    unsigned flags;
    const char *what;
    const char *accept;   /* NULL = application/json */
    const sekha_buf *text; /* a body already written as JSON text, instead of body */
    const char *fn;        /* the public function, for messages (NULL: what) */
} ctl_send_args;

sekha_request *ctl_send(sekha_client *c, const ctl_send_args *a, const sekha__call_spec *cs,
                        sekha__fn cb, void *ud);

/* Ends a call before sending with SEKHA_E_INVALID_ARG and the formatted reason. */
sekha_request *ctl_reject(sekha_client *c, const sekha__call_spec *cs, sekha__fn cb, void *ud,
                          const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Ends a call before sending with SEKHA_E_NOMEM. */
sekha_request *ctl_nomem(sekha_client *c, const sekha__call_spec *cs, sekha__fn cb, void *ud);

/* Ends a call before sending with err (taken; NULL client: freed, nothing called). */
sekha_request *ctl_fail(sekha_client *c, const sekha__call_spec *cs, sekha__fn cb, void *ud,
                        sekha_error *err);

/* The trampoline of the _sync forms whose callback is a sekha_done_cb. */
void ctl_done_sync_cb(sekha_request *req, const sekha_error *err, void *s);

/* 1 when an optional u32 argument read from parameters fits the controller's u32. */
static inline int ctl_fits_u32(int64_t v)
{
    return v >= 0 && v <= 4294967295LL;
}

/* 1 when s has a character other than white space. */
int ctl_not_blank(const char *s);

/* A JSON array of the strings of a NULL-terminated list (NULL = empty); NULL on no
 * memory. */
cJSON *ctl_string_array(const char *const *list);

/* "/api/v1/conversations/<id><suffix>" (id percent-encoded); NULL on no memory. */
char *ctl_conversation_path(const char *id, const char *suffix);

#endif
