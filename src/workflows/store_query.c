/* store_and_query: store a conversation, then run a semantic query. */
#include "core/jwrite.h"
#include "workflows/wf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct sekha_stored_query {
    sekha__ref ref;
    sekha_conversation *conversation;
    sekha_search_results *results;
};

typedef struct store_wf {
    wf base;
    char *query;
    sekha_params *query_params; /* the query stage's keys, NULL = its defaults */
    sekha_stored_query *result;
} store_wf;

sekha_stored_query *sekha_stored_query_copy(const sekha_stored_query *r)
{
    if (r)
        sekha__ref_get(&r->ref);
    return (sekha_stored_query *)r;
}

void sekha_stored_query_free(sekha_stored_query *r)
{
    if (!r || !sekha__ref_put(&r->ref))
        return;
    sekha_conversation_free(r->conversation);
    sekha_search_results_free(r->results);
    free(r);
}

const sekha_conversation *sekha_stored_query_conversation(const sekha_stored_query *r)
{
    return r ? r->conversation : NULL;
}

const sekha_search_results *sekha_stored_query_results(const sekha_stored_query *r)
{
    return r ? r->results : NULL;
}

/* A result is due once something was stored: the caller must learn its id even when the
 * query failed. */
static sekha_stored_query *due(store_wf *sw)
{
    return sw->result && sw->result->conversation ? sw->result : NULL;
}

static void store_deliver(wf *w, sekha_request *req, const sekha_error *err)
{
    ((sekha_stored_query_cb)w->cb)(req, err, due((store_wf *)w), w->ud);
}

static void store_destroy(wf *w)
{
    store_wf *sw = (store_wf *)w;
    free(sw->query);
    sekha_params_free(sw->query_params);
    sekha_stored_query_free(sw->result);
}

static const wf_ops store_ops = {"workflow store_and_query", store_deliver, store_destroy};

static void on_results(sekha_request *req, const sekha_error *err,
                       const sekha_search_results *r, void *ud)
{
    store_wf *sw = ud;
    if (wf_child_done(&sw->base, req, err)) {
        sw->result->results = sekha_search_results_copy(r);
        wf_end(&sw->base, NULL);
    }
    wf_unref(&sw->base);
}

static void on_stored(sekha_request *req, const sekha_error *err, const sekha_conversation *conv,
                      void *ud)
{
    store_wf *sw = ud;
    wf *w = &sw->base;
    if (wf_child_done(w, req, err)) {
        sw->result->conversation = sekha_conversation_copy(conv);
        WF_CHILD(w, sekha_controller_query(w->client, sw->query, sw->query_params, on_results,
                                           sw));
    }
    wf_unref(w);
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

static const sekha_param store_keys[] = {SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
                                         SEKHA_PARAM_IMPORTANCE, 0};
static const sekha_param query_keys[] = {SEKHA_PARAM_LIMIT, 0};

sekha_request *sekha_workflow_store_and_query(sekha_client *client,
                                              const sekha_messages *messages,
                                              const char *query, const sekha_params *params,
                                              sekha_stored_query_cb cb, void *userdata)
{
    if (!client)
        return NULL;
    store_wf *sw = calloc(1, sizeof *sw);
    if (!sw)
        return NULL;
    int oom = 0;
    sw->query = query ? strdup(query) : NULL;
    sw->result = calloc(1, sizeof *sw->result);
    if (sw->result)
        sekha__ref_init(&sw->result->ref);
    oom |= (query && !sw->query) || !sw->result;
    wf *w = &sw->base;
    sekha_request *req = wf_begin(w, &store_ops, client, (sekha__fn)cb, userdata);
    if (!req || !wf_running(w))
        return req;
    static const sekha_param keys[] = {SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
                                       SEKHA_PARAM_IMPORTANCE, SEKHA_PARAM_LIMIT, 0};
    if (!wf_params_ok(w, params, "sekha_workflow_store_and_query", keys))
        return req;
    /* Each stage gets the keys it reads: the store's defaults (label "Conversation",
     * folder "/", no importance) are this workflow's. */
    sekha_params *store_params = wf_params_pick(params, store_keys, &oom);
    sw->query_params = wf_params_pick(params, query_keys, &oom);
    char why[160];
    if (oom) {
        wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
    } else if (!query) {
        wf_fail(w, SEKHA_E_INVALID_ARG, "query must not be NULL");
    } else if (!sekha__utf8_valid(query, strlen(query))) {
        /* checked now: the store must not go out when the query after it cannot */
        sekha__jw_why_utf8(why, sizeof why, "query", query);
        wf_fail(w, SEKHA_E_INVALID_ARG, why);
    } else if (blank(query)) {
        wf_fail(w, SEKHA_E_INVALID_ARG, "query must not be empty or blank");
    } else { /* the controller call checks the messages and the stored values */
        WF_CHILD(w, sekha_controller_create_conversation(client, messages, store_params,
                                                         on_stored, sw));
    }
    sekha_params_free(store_params); /* read by the call */
    return req;
}

SEKHA__SYNC_CB(store_sync_cb, sekha_stored_query, sekha_stored_query_copy)

sekha_code sekha_workflow_store_and_query_sync(sekha_client *client,
                                               const sekha_messages *messages,
                                               const char *query, const sekha_params *params,
                                               sekha_stored_query **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_workflow_store_and_query(client, messages, query, params,
                                                      store_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_stored_query_free, err);
}
