/* Workflow internals: a workflow is a virtual request (the handle the user holds) whose
 * stages are child requests started through the public sub-client calls on the parent's
 * loop. This file holds the shared lifecycle: children, cancel and the final callback. The
 * sync forms are the async ones on the core's one sync wrapper (sekha__sync_*). */
#ifndef SEKHA_WORKFLOWS_WF_H
#define SEKHA_WORKFLOWS_WF_H

#include "core/call.h"
#include "core/ref.h"
#include "sekha/workflows.h"

#define WF_MAX_CHILDREN 3

typedef struct wf wf;

typedef struct wf_ops {
    const char *what;                     /* label of the virtual request */
    /* Calls the user's typed callback with the workflow's result (may be NULL). */
    void (*deliver)(wf *w, sekha_request *req, const sekha_error *err);
    /* Frees the workflow-specific state (the wf itself is freed by the caller). */
    void (*destroy)(wf *w);
} wf_ops;

/* The shared head of every workflow; the specific state follows it in a larger struct. */
struct wf {
    const wf_ops *ops;
    sekha_client *client;
    sekha_request *req;                   /* the parent; NULL once its final callback ran */
    int refs;                             /* the parent plus each child still pending */
    int stopping;                         /* ending: children's outcomes are ignored */
    sekha_request *children[WF_MAX_CHILDREN];
    sekha_error *err;                     /* the failed stage's error, delivered at the end */
    sekha__fn cb;
    void *ud;
};

/* Starts the parent request of w (allocated by the caller, zeroed, size >= sizeof(wf)).
 * Returns the handle, or NULL (w destroyed) when out of memory. When the client is being
 * freed the handle ends with SEKHA_E_CLOSED and wf_running(w) is 0. */
sekha_request *wf_begin(wf *w, const wf_ops *ops, sekha_client *c, sekha__fn cb, void *ud);

/* 1 while stages may still be started (not cancelled, failed or finished). */
int wf_running(const wf *w);

/* Ends the workflow with err (taken; NULL = success) on the next loop turn. */
void wf_end(wf *w, sekha_error *err);

/* Ends the workflow with a local error (e.g. SEKHA_E_INVALID_ARG) naming the workflow. */
void wf_fail(wf *w, sekha_code code, const char *reason);

/* Records child (the return value of a sub-client call made inside WF_CHILD). */
void wf_track(wf *w, sekha_request *child);

/* Starts a stage: `call` is a public sub-client call expression with w as its userdata;
 * its requests become children of the workflow (same loop, cancelled with it). */
#define WF_CHILD(w, call)                                              \
    do {                                                                \
        sekha_request *child_;                                          \
        (w)->refs++;                                                    \
        SEKHA__AS_CHILD((w)->client, (w)->req, child_ = (call));        \
        wf_track((w), child_);                                          \
    } while (0)

/* Called first by every child callback: forgets the child and returns 1 when its outcome
 * matters (the workflow still runs and err is NULL). A child error ends the workflow with
 * a copy of it. Call wf_unref(w) last. */
int wf_child_done(wf *w, sekha_request *child, const sekha_error *err);

/* Drops one reference; frees the workflow after the last. */
void wf_unref(wf *w);

/* Checks params against the keys the workflow `call` reads (ending with 0); on a key it
 * does not read or a failed setter, ends w with that error and returns 0. */
int wf_params_ok(wf *w, const sekha_params *params, const char *call, const sekha_param *keys);

/* The keys of `keys` (ending with 0) that are set in params, copied into a new object for
 * a stage, so that a stage gets only what it reads. NULL when none is set (the stage's
 * defaults; no allocation) and, with *oom set, when out of memory. */
sekha_params *wf_params_pick(const sekha_params *params, const sekha_param *keys, int *oom);

/* ---- answer.c: the result of the completion workflows and the prompt built from it ---- */

/* One memory placed in the prompt. */
typedef struct wf_memory {
    size_t source;        /* index in the context list or the search results */
    const char *role;     /* role it is sent with (context workflows) */
    char *label;
    char *text;           /* as placed, cut when the budget required */
    double score;         /* search score (memory workflows) */
    size_t tokens;        /* counted against the budget */
    char *timestamp;      /* for the chronological order of context turns */
} wf_memory;

struct sekha_answer {
    sekha__ref ref;
    sekha_stored_messages *context;
    sekha_search_results *results;
    wf_memory *mem;
    size_t nmem, dropped, tokens;
    sekha_messages *prompt;
    sekha_completion *completion;
};

/* A packer fed with candidate memories in ranking order. */
typedef struct wf_packer {
    sekha_answer *a;
    size_t budget, left;
    int full;             /* a memory was cut: take no more */
} wf_packer;

void wf_packer_init(wf_packer *p, sekha_answer *a, size_t budget);
/* Offers one memory (text copied; label NULL = ""). `overhead` is text added around it in
 * the prompt, counted against the budget too. Returns 0, -1 on no memory. */
int wf_packer_offer(wf_packer *p, size_t source, const char *role, const char *label,
                    const char *text, double score, const char *timestamp, size_t overhead);

/* Builds the prompt messages for the context or the memory layout (see workflows.h).
 * Returns NULL on success, else the local error. */
sekha_error *wf_prompt_context(sekha_answer *a, const char *prompt);
sekha_error *wf_prompt_memory(sekha_answer *a, const char *prompt);

/* Bytes the memory layout adds around search result n: its header and the blank line. */
size_t wf_memory_overhead(size_t n, const char *label, double score);

/* Estimated tokens of n bytes of text. */
size_t wf_tokens(size_t bytes);

#endif
