/* What the bridge's route results (routes.c, routes_llm.c) share: one result layout (the
 * parsed body owns every string an accessor returns), tolerant field readers that name a
 * mistyped field, and the request plumbing of a GET or a POST with a JSON body. */
#ifndef SEKHA_BRIDGE_ROUTES_INTERNAL_H
#define SEKHA_BRIDGE_ROUTES_INTERNAL_H

#include "bridge/internal.h"

/* The first member of every route result. items/items2 are the result's own arrays, freed
 * with it, so one destructor serves every type. */
typedef struct sekha__rbase {
    sekha__ref ref;
    cJSON *root;
    char *json;
    void *items, *items2;
} sekha__rbase;

/* Allocates a result of `size` bytes (an sekha__rbase first) holding the parsed body;
 * NULL with *err set when the body is not JSON of the wanted kind (want_array), or is a
 * 2xx object carrying an "error" member (the service's failure). */
void *sekha__rbase_new(size_t size, const sekha_response *resp, int want_array,
                       const char *what, sekha_error **err);
/* Drops one owner; frees the result with the last. */
void sekha__rbase_put(sekha__rbase *b);
/* Adds an owner (NULL stays NULL). */
void *sekha__rbase_copy(const sekha__rbase *b);

/* A reader of one answer: its label, the path of the object being read ("[2]",
 * "providers.ollama") and the first mistyped or missing field it met. */
typedef struct sekha__rd {
    const char *what;
    const char *path;
    sekha_error *err;
} sekha__rd;

/* A string member: NULL when absent or null (an error when required), an error when of
 * another type. */
const char *sekha__rd_str(sekha__rd *r, const cJSON *obj, const char *key, int required);
/* A number member: -1 when absent or null (an error when required), an error when of
 * another type or not finite. */
double sekha__rd_num(sekha__rd *r, const cJSON *obj, const char *key, int required);
/* The same, as a whole number (truncated; -1 when it does not fit). */
long sekha__rd_long(sekha__rd *r, const cJSON *obj, const char *key);
/* A boolean member: 1/0, -1 when absent or null, an error when of another type. */
int sekha__rd_bool(sekha__rd *r, const cJSON *obj, const char *key);
/* Records an error about the member key (NULL: the object itself) of r->path. */
void sekha__rd_bad(sekha__rd *r, const char *key, const char *expected);

/* Starts a bridge route request: GET when body is NULL. probe: never retried. */
sekha_request *sekha__route_start(sekha_client *c, const char *method, const char *path,
                                  const sekha_buf *body, int probe, const sekha__call_spec *cs,
                                  sekha__fn cb, void *ud);

/* The typed calls' specs, visible to the fuzz target. */
extern const sekha__call_spec sekha__route_models_call, sekha__route_tasks_call,
    sekha__route_route_call, sekha__route_providers_call, sekha__route_summary_call,
    sekha__route_entities_call, sekha__route_importance_call;

/* Appends ,"key":"value" (value UTF-8, checked by the setter or the caller). */
int sekha__route_put_str(sekha_buf *b, const char *key, const char *value);

#endif
