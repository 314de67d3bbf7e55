/* sekha-devserver store: the SQLite tables behind the controller routes and MCP tools.
 * Every function takes the store's one mutex for its whole duration, so each call is atomic
 * with respect to the others; callers never hold the lock across calls. */
#ifndef SEKHA_DEVSERVER_STORE_H
#define SEKHA_DEVSERVER_STORE_H

#include <limits.h>
#include <stddef.h>
#include "ds.h"

enum { DS_OK = 0, DS_NOTFOUND = 1, DS_ERR = -1 };

/* "Leave importance_score as it is" for ds_store_update. */
#define DS_KEEP INT_MIN

#define DS_UUID_LEN 36
#define DS_TS_LEN 32

/* One conversation row, plus its message count. Strings are malloc'd. */
typedef struct ds_conv {
    char id[DS_UUID_LEN + 1];
    char *label;
    char *folder;
    char status[16];
    int importance;
    long long word_count;
    long long session_count;
    long long message_count;
    char created_at[DS_TS_LEN];
    char updated_at[DS_TS_LEN];
} ds_conv;

/* One message row joined with its conversation. Strings are malloc'd. */
typedef struct ds_msg {
    char id[DS_UUID_LEN + 1];
    char conversation_id[DS_UUID_LEN + 1];
    char *role;
    char *content;
    char timestamp[DS_TS_LEN];
    char *metadata;           /* JSON text, NULL when the column is NULL */
    char *label;
    char *folder;
    int importance;
    char conv_status[16];
    float *embedding;         /* DS_EMBED_DIM floats when requested, else NULL */
    double score;             /* scratch for callers that rank messages */
} ds_msg;

/* A message to insert: content already flattened to text. */
typedef struct ds_new_msg {
    const char *role;
    const char *content;
    const char *metadata;     /* JSON text; NULL stores "{}" */
} ds_new_msg;

/* List filters; NULL / -1 means "no filter". */
typedef struct ds_list_filter {
    const char *label;
    const char *folder;
    int pinned;               /* 1: importance >= 10, 0: importance < 10 */
    int archived;             /* 1: status archived, 0: anything else */
} ds_list_filter;

typedef struct ds_totals {
    long long conversations, messages, archived, pinned;
} ds_totals;

void ds_conv_clear(ds_conv *c);
void ds_convs_free(ds_conv *c, size_t n);
void ds_msg_clear(ds_msg *m);
void ds_msgs_free(ds_msg *m, size_t n);
void ds_strv_free(char **v, size_t n);

/* Creates a conversation with its messages in one transaction (embedding each message).
 * out receives the stored row. */
int ds_store_create(ds_store *st, const char *label, const char *folder, int importance,
                    const ds_new_msg *msgs, size_t n, ds_conv *out, char **err);
int ds_store_get(ds_store *st, const char *id, ds_conv *out);
/* Ordered by updated_at desc; *total counts every match before limit/offset. */
int ds_store_list(ds_store *st, const ds_list_filter *f, long long limit, long long offset,
                  ds_conv **out, size_t *n, long long *total);
/* NULL strings and DS_KEEP leave the column unchanged; any call bumps updated_at. */
int ds_store_update(ds_store *st, const char *id, const char *label, const char *folder,
                    const char *status, int importance);
int ds_store_delete(ds_store *st, const char *id);
int ds_store_count(ds_store *st, const char *label, const char *folder, long long *count);
/* Messages of one conversation (conv_id) or of all (NULL), oldest first. */
int ds_store_messages(ds_store *st, const char *conv_id, int with_embedding,
                      ds_msg **out, size_t *n);
/* FTS5 MATCH over message content, best rank first. *err gets SQLite's message. */
int ds_store_fts(ds_store *st, const char *query, long long limit, ds_msg **out, size_t *n,
                 char **err);
/* Distinct labels (column "label") or folders ("folder"), sorted. */
int ds_store_distinct(ds_store *st, const char *column, char ***out, size_t *n);
/* Conversations (optionally only in folder / with label): count and mean importance. */
int ds_store_stats(ds_store *st, const char *folder, const char *label, long long *count,
                   double *avg_importance);
/* Active conversations whose updated_at is before cutoff (a naive timestamp). */
int ds_store_stale(ds_store *st, const char *cutoff, ds_conv **out, size_t *n);
int ds_store_totals(ds_store *st, ds_totals *t);
/* Recomputes every stored embedding with the current ds_embed. */
int ds_store_reembed(ds_store *st);
int ds_store_ping(ds_store *st);

/* ---- small shared utilities (store.c) ---- */

/* Random (v4) UUID, lowercase and hyphenated, from /dev/urandom. */
int ds_uuid_v4(char out[DS_UUID_LEN + 1]);
/* Parses the forms the uuid crate accepts (hyphenated, simple, braced, urn) into the
 * lowercase hyphenated form; returns 0 on success. */
int ds_uuid_parse(const char *s, char out[DS_UUID_LEN + 1]);
/* Current UTC time as chrono NaiveDateTime serialises it: YYYY-MM-DDTHH:MM:SS.ffffff. */
void ds_now_naive(char out[DS_TS_LEN]);
/* The same instant shifted by delta_seconds. */
void ds_naive_offset(char out[DS_TS_LEN], double delta_seconds);
/* Seconds since the epoch for a naive timestamp (either 'T' or ' ' separator). */
double ds_naive_to_epoch(const char *ts);
/* chrono's to_string() form: the 'T' becomes a space. */
void ds_naive_spaced(const char *ts, char out[DS_TS_LEN]);

#endif
