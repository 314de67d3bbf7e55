#include "core/internal.h"

#include <stdlib.h>

sekha_code sekha__sync_call(sekha_client *c, sekha_request *(*start)(sekha_client *, void *),
                            void *arg, const int *done)
{
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
    sekha_request *r = start(c, arg);
    c->sync_start = 0;
    if (r)
        while (!*done)
            sekha__loop_poll(c->sync_loop, -1);
    sekha__client_leave(c);
    return r ? SEKHA_OK : SEKHA_E_NOMEM;
}
