/* The lifecycle every workflow shares. The parent request is virtual: it sends nothing and
 * is ended by the workflow (sekha__request_end) once its last stage reported, also after a
 * cancel (owner_finishes). Only when the client is freed does the core end the parent while
 * children are pending, and those report after it; so the workflow is reference-counted:
 * the parent holds one reference and every pending child one more. */
#include "shared/shared.h"
#include "workflows/wf.h"

#include <stdlib.h>
#include <string.h>

int wf_running(const wf *w)
{
    return w->req && !w->stopping;
}

static void cancel_children(wf *w)
{
    for (int i = 0; i < WF_MAX_CHILDREN; i++)
        if (w->children[i])
            sekha_request_cancel(w->children[i]);
}

static int children_pending(const wf *w)
{
    for (int i = 0; i < WF_MAX_CHILDREN; i++)
        if (w->children[i])
            return 1;
    return 0;
}

/* A stopping workflow ends once its last child has reported, so that its final callback
 * comes after everything it started (and a stream's partial text is in the answer). */
static void finish_when_idle(wf *w)
{
    if (w->req && w->stopping && !children_pending(w))
        sekha__request_end(w->req, NULL, NULL);
}

/* The core's hook: the parent was cancelled (it stays pending, see owner_finishes) or its
 * client is closing (the core finishes it right after). */
static void on_parent_cancel(sekha_request *r)
{
    wf *w = sekha__req(r)->ud;
    w->stopping = 1;
    cancel_children(w);
    finish_when_idle(w);
}

void wf_unref(wf *w)
{
    if (--w->refs > 0)
        return;
    if (w->ops->destroy)
        w->ops->destroy(w);
    sekha_error_free(w->err);
    free(w);
}

static void on_parent_done(sekha_request *req, const sekha_error *err,
                           const sekha_response *resp, void *ud)
{
    (void)resp;
    wf *w = ud;
    w->req = NULL;
    w->stopping = 1;
    cancel_children(w); /* only when the client is closing: otherwise none is left */
    /* The core's own error (cancel, close) wins over a stage's. */
    const sekha_error *e = err ? err : w->err;
    if (w->cb)
        w->ops->deliver(w, req, e);
    wf_unref(w);
}

sekha_request *wf_begin(wf *w, const wf_ops *ops, sekha_client *c, sekha__fn cb, void *ud)
{
    w->ops = ops;
    w->client = c;
    w->cb = cb;
    w->ud = ud;
    w->refs = 1;
    w->req = sekha__start_virtual(c, NULL, ops->what, on_parent_done, w);
    if (!w->req) {
        w->refs = 0;
        if (ops->destroy)
            ops->destroy(w);
        free(w);
        return NULL;
    }
    if (sekha__req(w->req)->state == SEKHA_REQ_EXTERNAL) {
        sekha__req(w->req)->on_cancel = on_parent_cancel;
        sekha__req(w->req)->owner_finishes = 1;
    } else {
        w->stopping = 1; /* already failing (the client is being freed) */
    }
    return w->req;
}

void wf_end(wf *w, sekha_error *err)
{
    if (!wf_running(w)) {
        sekha_error_free(err);
        return;
    }
    w->stopping = 1;
    if (err && !w->err)
        w->err = err;
    else
        sekha_error_free(err);
    cancel_children(w);
    finish_when_idle(w);
}

void wf_fail(wf *w, sekha_code code, const char *reason)
{
    sekha_error *e = sekha__error_new(code, SEKHA_LAYER_LOCAL, "%s", reason);
    sekha__error_compose(e, w->ops->what); /* name the workflow, as stages name routes */
    wf_end(w, e);
}

void wf_track(wf *w, sekha_request *child)
{
    if (!child) { /* out of memory: the sub-client calls nothing back */
        w->refs--;
        wf_fail(w, SEKHA_E_NOMEM, "starting a stage");
        return;
    }
    for (int i = 0; i < WF_MAX_CHILDREN; i++)
        if (!w->children[i]) {
            w->children[i] = child;
            return;
        }
    abort(); /* more children than any workflow starts: a bug */
}

int wf_child_done(wf *w, sekha_request *child, const sekha_error *err)
{
    for (int i = 0; i < WF_MAX_CHILDREN; i++)
        if (w->children[i] == child)
            w->children[i] = NULL;
    if (!wf_running(w)) {
        finish_when_idle(w);
        return 0;
    }
    if (err) {
        sekha_error *copy = sekha_error_copy(err);
        wf_end(w, copy ? copy : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "error"));
        return 0;
    }
    return 1;
}

int wf_params_ok(wf *w, const sekha_params *params, const char *call, const sekha_param *keys)
{
    sekha_error *e = sekha__params_check(params, call, keys);
    if (e)
        wf_end(w, e); /* the message already names the call */
    return e == NULL;
}

/* Copies one key; the public numbering groups keys by type (params.h), which says which
 * reader and setter fit. Returns the setter's code. */
static sekha_code copy_key(sekha_params *to, const sekha_params *from, sekha_param k)
{
    int64_t i;
    double d;
    size_t len;
    void *ud;
    switch ((int)k / 100) {
    case 0: return sekha_params_set_text(to, k, sekha__params_text(from, k));
    case 1:
        sekha__params_int(from, k, &i);
        return sekha_params_set_int(to, k, i);
    case 2:
        sekha__params_real(from, k, &d);
        return sekha_params_set_real(to, k, d);
    case 3: return sekha_params_set_list(to, k, sekha__params_list(from, k));
    case 4: {
        const void *b = sekha__params_bytes(from, k, &len);
        return sekha_params_set_bytes(to, k, b, len);
    }
    default: {
        sekha__fn fn = sekha__params_fn(from, k, &ud);
        return sekha__params_set_fn(to, k, fn, ud);
    }
    }
}

sekha_params *wf_params_pick(const sekha_params *params, const sekha_param *keys, int *oom)
{
    sekha_params *p = NULL;
    for (; *keys; keys++) {
        if (!sekha_params_isset(params, *keys))
            continue;
        if (!p && !(p = sekha_params_new()))
            break;
        /* The value passed the same setter once, so only memory can fail. */
        if (copy_key(p, params, *keys) != SEKHA_OK) {
            sekha_params_free(p);
            p = NULL;
            break;
        }
    }
    if (*keys)
        *oom = 1;
    return p;
}
