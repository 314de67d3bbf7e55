/* Helpers shared by the devserver's controller routes and MCP tools (ctl_util.c,
 * controller_search.c): reading request bodies the way axum's extractors do, building the
 * controller's JSON shapes, and the semantic search both surfaces use. */
#ifndef SEKHA_DEVSERVER_CTL_H
#define SEKHA_DEVSERVER_CTL_H

#include <jansson.h>
#include <stddef.h>
#include "ds.h"
#include "store.h"

/* Field types of the controller's request structs, as serde sees them. */
typedef enum {
    CT_STR,       /* String */
    CT_U32,       /* u32 */
    CT_I32,       /* i32 */
    CT_I64,       /* i64 */
    CT_USIZE,     /* usize */
    CT_F32,       /* f32 (integers accepted, like serde) */
    CT_BOOL,      /* bool */
    CT_UUID,      /* Uuid */
    CT_ANY,       /* serde_json::Value */
    CT_STR_VEC,   /* Vec<String> */
    CT_UUID_VEC,  /* Vec<Uuid> */
    CT_MSG_VEC,   /* Vec<MessageDto> (content: string or parts) */
    CT_MSG_VEC_STR /* Vec<MessageDto> of the January controller (content: String only) */
} ctl_type;

typedef enum {
    CR_REQUIRED,  /* plain field: must be present and not null */
    CR_OPTION,    /* Option<T>: may be absent or null */
    CR_DEFAULT    /* #[serde(default)]: may be absent, but null is an error */
} ctl_req;

typedef struct ctl_field {
    const char *name;
    ctl_type type;
    ctl_req req;
} ctl_field;

/* Reads the body as axum's Json<T> does, then checks it against fields. Returns the parsed
 * object, or NULL with rs set to the plain-text rejection: 415 (Content-Type), 400 (syntax),
 * 422 (shape). */
json_t *ctl_body(const ds_request *rq, ds_response *rs, const ctl_field *fields, size_t n);

/* Accessors for a body that passed ctl_body (absent or null gives the default). */
const char *ctl_str(const json_t *o, const char *key);
long long ctl_int(const json_t *o, const char *key, long long def);
double ctl_num(const json_t *o, const char *key, double def);
/* Normalised UUID of a CT_UUID field; 0 on success. */
int ctl_uuid(const json_t *o, const char *key, char out[DS_UUID_LEN + 1]);

/* Path segment to UUID; on failure sets the 400 plain-text rejection and returns -1. */
int ctl_path_uuid(const char *seg, size_t len, char out[DS_UUID_LEN + 1], ds_response *rs);

/* The messages of a body that passed CT_MSG_VEC, flattened for the store: text parts
 * joined with one space, image parts kept in metadata {"images":[{url,detail?}]}. */
ds_new_msg *ctl_msgs(const json_t *arr, size_t *n);
void ctl_msgs_free(ds_new_msg *m, size_t n);

/* An f32 the way serde_json prints it (shortest decimal that round-trips as f32). */
json_t *ctl_f32(double v);
/* Stored metadata text parsed back to JSON ({} when NULL or unparsable). */
json_t *ctl_meta(const char *text);
/* The controller's Message shape {id, conversation_id, role, content, timestamp,
 * embedding_id:null, metadata}. */
json_t *ctl_message_json(const ds_msg *m);
/* The metadata Chroma holds for a message (what semantic search returns and filters on). */
json_t *ctl_chroma_meta(const ds_msg *m);

/* Evaluates a Chroma `where` clause against flat metadata: 1 match, 0 no match, -1 invalid
 * clause (*err says why, malloc'd). */
int ctl_where(json_t *where, const json_t *meta, char **err);

/* Semantic search: messages ranked by cosine similarity to query (msg.score), filtered by
 * a Chroma where clause, at most limit. Returns DS_OK or DS_ERR (*err malloc'd). */
int ctl_semantic(ds_store *st, const char *query, size_t limit, json_t *filters,
                 ds_msg **out, size_t *n, char **err);

/* Pruning suggestions for active conversations untouched for threshold_days; spaced
 * selects the MCP timestamp form. *savings sums the "archive" token estimates. NULL on a
 * store error. */
json_t *ctl_prune_suggestions(ds_store *st, long long threshold_days, int spaced,
                              long long *savings);

/* The messages field type of the create routes for that stack (parts or strings only). */
ctl_type ctl_msg_type(const ds_config *cfg);

/* The text of RepositoryError::NotFound for a conversation: the upstream controllers name
 * the UUID, the devserver's own mode does not. */
void ctl_not_found(const ds_config *cfg, const char *id, char *out, size_t cap);

/* Route handlers split across files. Each returns 1 (handled). */
int ctl_search_route(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs,
                     const char *sub);

#endif
