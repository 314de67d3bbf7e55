/* Types the services share: the message list and call parameters. They sit above the
 * core (which knows no Sekha shapes) and below the services, which never include each
 * other but all take these. */
#ifndef SEKHA_SHARED_H
#define SEKHA_SHARED_H

#include <cjson/cJSON.h>

#include "core/call.h"
#include "sekha/health.h"
#include "sekha/messages.h"
#include "sekha/params.h"

/* ---- messages.c ---- */

/* A tool call an assistant message made (sekha_messages_add_tool_call). */
typedef struct sekha__msg_call {
    char *id, *name, *arguments;
} sekha__msg_call;

/* One content part: text, or an image (url, detail may be NULL). */
typedef struct sekha__msg_part {
    char *text;
    char *url, *detail;
} sekha__msg_part;

typedef struct sekha__message {
    const char *role;       /* one of the static role names */
    char *content;          /* the text; for a parts message, its text parts joined */
    size_t len;
    sekha__msg_part *parts; /* a parts message (sekha_messages_add_parts) when has_parts */
    size_t nparts;
    int has_parts;
    sekha__msg_call *calls; /* assistant messages only */
    size_t ncalls;
    char *tool_call_id;     /* tool messages made by sekha_messages_add_tool_result */
} sekha__message;

struct sekha_messages {
    sekha__message *items;
    size_t n, cap;
    char *error;           /* the first failed add, NULL when none ... */
    sekha_code error_code; /* ... and its code */
    sekha_code last_code;  /* the code of the latest failed add */
};

/* NULL when msgs can be sent (not NULL, at least one message, no failed add, every parts
 * message has a part); else a local SEKHA_E_INVALID_ARG "<call>: <why>". */
sekha_error *sekha__messages_check(const sekha_messages *msgs, const char *call);

/* 1 when a message of msgs (may be NULL) has content parts. */
int sekha__messages_have_parts(const sekha_messages *msgs);

/* For a request that sent content parts: when e (the request's own error) is an HTTP 422,
 * says that the controller takes plain-text content only, and recomposes its message. */
void sekha__error_plain_text_only(sekha_error *e, const char *what);

/* Appends the list as a JSON array of OpenAI-style message objects. Returns 0 or
 * SEKHA_JW_NOMEM (the strings were checked when added). */
int sekha__messages_write(sekha_buf *b, const sekha_messages *msgs);

/* The same array as a cJSON tree (for bodies built as trees); NULL on no memory. */
cJSON *sekha__messages_cjson(const sekha_messages *msgs);

/* ---- health.c ---- */

/* The typed calls of GET /health: the controller's verdict rule and the bridge's. The
 * result is a sekha_health, the callback a sekha_health_cb. */
extern const sekha__call_spec sekha__health_controller_call;
extern const sekha__call_spec sekha__health_bridge_call;

/* ---- params.c ---- */

/* NULL when every key set in p is one of allowed (ends with 0) and no setter failed;
 * else a local SEKHA_E_INVALID_ARG naming the call and the key. p may be NULL. */
sekha_error *sekha__params_check(const sekha_params *p, const char *call,
                                 const sekha_param *allowed);

/* Typed reads: NULL / 0 when p is NULL or the key is unset (the out value is then left
 * unchanged, so callers preset their defaults). */
const char *sekha__params_text(const sekha_params *p, sekha_param key);
int sekha__params_int(const sekha_params *p, sekha_param key, int64_t *out);
int sekha__params_real(const sekha_params *p, sekha_param key, double *out);
const char *const *sekha__params_list(const sekha_params *p, sekha_param key);
const void *sekha__params_bytes(const sekha_params *p, sekha_param key, size_t *len);
sekha__fn sekha__params_fn(const sekha_params *p, sekha_param key, void **userdata);

/* Sets a callback key (the service headers' sekha_params_set_on_* call this). */
sekha_code sekha__params_set_fn(sekha_params *p, sekha_param key, sekha__fn fn, void *userdata);

#endif
