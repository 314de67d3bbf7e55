#include "core/internal.h"

#include <stdlib.h>

/* ---- the one sync wrapper ---- */

sekha_code sekha__sync_begin(sekha_client *c, sekha__sync *s)
{
    *s = (sekha__sync){0};
    if (!c)
        return SEKHA_E_INVALID_ARG;
    if (c->cb_depth > 0 || c->entry_depth > 0)
        return SEKHA_E_IN_CALLBACK;
    if (!c->sync_loop) {
        /* A private loop, like curl_easy_perform's: other async requests do not progress
         * (and their callbacks do not run) while a sync call waits. */
        c->sync_loop = malloc(sizeof *c->sync_loop);
        if (!c->sync_loop)
            return SEKHA_E_NOMEM;
        if (sekha__loop_init(c->sync_loop, c) != 0) {
            free(c->sync_loop);
            c->sync_loop = NULL;
            return SEKHA_E_INTERNAL;
        }
    }
    sekha__client_enter(c);
    c->sync_start = 1;
    s->begun = 1;
    return SEKHA_OK;
}

void sekha__sync_finish(sekha__sync *s, const sekha_error *err, void *owned_result)
{
    s->code = err ? sekha_error_code(err) : SEKHA_OK;
    s->err = err ? sekha_error_copy(err) : NULL;
    if (err && !s->err)
        s->code = SEKHA_E_NOMEM;
    s->result = owned_result;
    s->done = 1;
}

sekha_code sekha__sync_end(sekha_client *c, sekha__sync *s, const sekha_request *req,
                           sekha_code begun, void **out, void (*free_result)(void *),
                           sekha_error **err)
{
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (begun != SEKHA_OK) {
        if (err)
            *err = sekha__error_new(begun, SEKHA_LAYER_LOCAL, NULL);
        return begun;
    }
    c->sync_start = 0;
    if (req)
        while (!s->done)
            sekha__loop_poll(c->sync_loop, -1);
    sekha__client_leave(c);
    if (!req) {
        if (err)
            *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return SEKHA_E_NOMEM;
    }
    if (out)
        *out = s->result;
    else if (s->result && free_result)
        free_result(s->result);
    if (err)
        *err = s->err;
    else
        sekha_error_free(s->err);
    return s->code;
}
