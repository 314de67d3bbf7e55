/* store_and_query: store a conversation, then run a semantic query. */
#include "core/jwrite.h"
#include "workflows/wf.h"

#include <stdlib.h>
#include <string.h>

struct sekha_stored_query {
    sekha_conversation *conversation;
    sekha_search_results *results;
};

typedef struct store_args {
    const sekha_messages *messages;
    const char *query, *label, *folder;
    int importance;
} store_args;

typedef struct store_wf {
    wf base;
    char *query;
    sekha_stored_query *result;
} store_wf;

void sekha_stored_query_free(sekha_stored_query *r)
{
    if (!r)
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

static void *store_take(wf *w, const sekha_error *err)
{
    (void)err;
    store_wf *sw = (store_wf *)w;
    sekha_stored_query *r = due(sw);
    if (r)
        sw->result = NULL;
    return r;
}

static void store_destroy(wf *w)
{
    store_wf *sw = (store_wf *)w;
    free(sw->query);
    sekha_stored_query_free(sw->result);
}

static const wf_ops store_ops = {"workflow store_and_query", store_deliver, store_take,
                                 store_destroy};

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
        WF_CHILD(w, sekha_controller_query(w->client, sw->query, NULL, on_results, sw));
    }
    wf_unref(w);
}

static sekha_request *store_start(sekha_client *c, const void *args, sekha__fn cb, void *ud,
                                  wf_slot *slot)
{
    const store_args *a = args;
    if (!c)
        return NULL;
    store_wf *sw = calloc(1, sizeof *sw);
    if (!sw)
        return NULL;
    sw->query = a->query ? strdup(a->query) : NULL;
    sw->result = calloc(1, sizeof *sw->result);
    int oom = (a->query && !sw->query) || !sw->result;
    wf *w = &sw->base;
    sekha_request *req = wf_begin(w, &store_ops, c, cb, ud, slot);
    if (!req || !wf_running(w))
        return req;
    char why[160];
    if (oom) {
        wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
    } else if (!a->query) {
        wf_fail(w, SEKHA_E_INVALID_ARG, "query must not be NULL");
    } else if (!sekha__utf8_valid(a->query, strlen(a->query))) {
        /* checked now: the store must not go out when the query after it cannot */
        sekha__jw_why_utf8(why, sizeof why, "query", a->query);
        wf_fail(w, SEKHA_E_INVALID_ARG, why);
    } else { /* the controller call checks the messages, label, folder and importance */
        /* Its defaults for label and folder are this workflow's; importance 0 = not sent. */
        sekha_params *cp = sekha_params_new();
        int nomem = !cp;
        if (cp && a->label)
            nomem |= sekha_params_set_text(cp, SEKHA_PARAM_LABEL, a->label) == SEKHA_E_NOMEM;
        if (cp && a->folder)
            nomem |= sekha_params_set_text(cp, SEKHA_PARAM_FOLDER, a->folder) == SEKHA_E_NOMEM;
        if (cp && a->importance)
            nomem |= sekha_params_set_int(cp, SEKHA_PARAM_IMPORTANCE, a->importance) ==
                     SEKHA_E_NOMEM;
        if (nomem)
            wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
        else
            WF_CHILD(w, sekha_controller_create_conversation(c, a->messages, cp, on_stored, sw));
        sekha_params_free(cp);
    }
    return req;
}

sekha_request *sekha_workflow_store_and_query(sekha_client *client,
                                              const sekha_messages *messages,
                                              const char *query, const char *label,
                                              const char *folder, int importance,
                                              sekha_stored_query_cb cb, void *userdata)
{
    store_args a = {messages, query, label, folder, importance};
    return store_start(client, &a, (sekha__fn)cb, userdata, NULL);
}

sekha_code sekha_workflow_store_and_query_sync(sekha_client *client,
                                               const sekha_messages *messages,
                                               const char *query, const char *label,
                                               const char *folder, int importance,
                                               sekha_stored_query **out, sekha_error **err)
{
    store_args a = {messages, query, label, folder, importance};
    return wf_sync(client, store_start, &a, (void **)out,
                   (void (*)(void *))sekha_stored_query_free, err);
}
