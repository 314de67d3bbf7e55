/* The answer of the completion workflows: which memories were recalled, which of them fit
 * the budget, the prompt built from them (layouts documented in workflows.h) and the
 * completion. */
#include "core/cnum.h"
#include "workflows/wf.h"

#include <stdlib.h>
#include <string.h>

#define CUT_MARK " [...]"
#define MIN_CUT_TOKENS 32

size_t wf_tokens(size_t bytes)
{
    return (bytes + 3) / 4;
}

sekha_answer *sekha_answer_copy(const sekha_answer *a)
{
    if (a)
        sekha__ref_get(&a->ref);
    return (sekha_answer *)a;
}

void sekha_answer_free(sekha_answer *a)
{
    if (!a || !sekha__ref_put(&a->ref))
        return;
    for (size_t i = 0; i < a->nmem; i++) {
        free(a->mem[i].label);
        free(a->mem[i].text);
        free(a->mem[i].timestamp);
    }
    free(a->mem);
    sekha_stored_messages_free(a->context);
    sekha_search_results_free(a->results);
    sekha_messages_free(a->prompt);
    sekha_completion_free(a->completion);
    free(a);
}

void wf_packer_init(wf_packer *p, sekha_answer *a, size_t budget)
{
    p->a = a;
    p->budget = p->left = budget;
    p->full = 0;
}

/* The longest prefix of s no longer than max bytes that ends on a character boundary. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

int wf_packer_offer(wf_packer *p, size_t source, const char *role, const char *label,
                    const char *text, double score, const char *timestamp, size_t overhead)
{
    sekha_answer *a = p->a;
    size_t len = text ? strlen(text) : 0;
    if (len == 0)
        return 0; /* nothing to tell the model */
    if (p->full) {
        a->dropped++;
        return 0;
    }
    size_t keep = len, tokens = wf_tokens(len + overhead);
    int cut = 0;
    if (tokens > p->left) {
        /* The first memory that does not fit ends the packing, cut to the space left when
         * that space is worth using. */
        p->full = 1;
        size_t room = p->left * 4, extra = overhead + strlen(CUT_MARK);
        if (p->left < MIN_CUT_TOKENS || room <= extra) {
            a->dropped++;
            return 0;
        }
        keep = utf8_prefix(text, len, room - extra);
        if (keep == 0) {
            a->dropped++;
            return 0;
        }
        cut = 1;
        tokens = wf_tokens(keep + extra);
    }
    wf_memory *grown = realloc(a->mem, (a->nmem + 1) * sizeof *grown);
    if (!grown)
        return -1;
    a->mem = grown;
    wf_memory *m = &a->mem[a->nmem];
    memset(m, 0, sizeof *m);
    m->source = source;
    m->role = role;
    m->score = score;
    m->tokens = tokens;
    m->label = strdup(label ? label : "");
    m->timestamp = timestamp ? strdup(timestamp) : NULL;
    m->text = malloc(keep + (cut ? strlen(CUT_MARK) : 0) + 1);
    if (!m->label || !m->text || (timestamp && !m->timestamp)) {
        free(m->label);
        free(m->text);
        free(m->timestamp);
        return -1;
    }
    memcpy(m->text, text, keep);
    strcpy(m->text + keep, cut ? CUT_MARK : "");
    a->nmem++;
    a->tokens += tokens;
    p->left -= tokens;
    return 0;
}

/* Memories whose text the bridge would refuse (not UTF-8) are left out of the prompt; the
 * bridge's own message check is the judge, so both sides agree on what is valid. */
static int drop_unsendable(sekha_answer *a)
{
    sekha_messages *probe = sekha_messages_new();
    if (!probe)
        return -1;
    size_t out = 0;
    for (size_t i = 0; i < a->nmem; i++) {
        wf_memory m = a->mem[i];
        if (sekha_messages_add(probe, "user", m.text) == SEKHA_OK) {
            a->mem[out++] = m;
            continue;
        }
        a->tokens -= m.tokens;
        free(m.label);
        free(m.text);
        free(m.timestamp);
    }
    a->nmem = out;
    sekha_messages_free(probe);
    return 0;
}

static sekha_error *nomem(void)
{
    return sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "building the prompt");
}

/* Starts a.prompt; NULL on success. */
static sekha_error *prompt_begin(sekha_answer *a)
{
    if (drop_unsendable(a) != 0 || !(a->prompt = sekha_messages_new()))
        return nomem();
    return NULL;
}

static sekha_error *prompt_finish(sekha_answer *a, const char *prompt, sekha_buf *system)
{
    sekha_code rc = SEKHA_OK;
    if (system && system->len)
        rc = sekha_messages_add(a->prompt, "system", sekha__buf_str(system));
    if (system)
        sekha__buf_free(system);
    if (rc != SEKHA_OK)
        return nomem();
    rc = sekha_messages_add(a->prompt, "user", prompt);
    if (rc == SEKHA_E_INVALID_ARG)
        return sekha__error_new(rc, SEKHA_LAYER_LOCAL, "the prompt is not valid UTF-8");
    return rc == SEKHA_OK ? NULL : nomem();
}

/* Chronological order of context turns: by time, ranking order among equal or unreadable
 * times (those go last). */
static double epoch_of(const wf_memory *m)
{
    double t;
    if (m->timestamp && sekha_timestamp_to_epoch(m->timestamp, &t) == SEKHA_OK)
        return t;
    return 1e300;
}

static int by_time(const void *pa, const void *pb)
{
    const wf_memory *a = *(const wf_memory *const *)pa, *b = *(const wf_memory *const *)pb;
    double ta = epoch_of(a), tb = epoch_of(b);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return a->source < b->source ? -1 : a->source > b->source;
}

sekha_error *wf_prompt_context(sekha_answer *a, const char *prompt)
{
    sekha_error *e = prompt_begin(a);
    if (e)
        return e;
    sekha_buf sys = {0};
    const wf_memory **order = a->nmem ? malloc(a->nmem * sizeof *order) : NULL;
    int oom = a->nmem && !order;
    if (a->nmem && !oom) {
        oom |= sekha__buf_puts(&sys, SEKHA_CONTEXT_INSTRUCTION) != 0;
        /* The distinct labels, in ranking order: where the memories come from. */
        int any = 0;
        for (size_t i = 0; i < a->nmem; i++) {
            const char *l = a->mem[i].label;
            int seen = !*l;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(a->mem[j].label, l) == 0;
            if (!seen)
                oom |= sekha__buf_printf(&sys, "%s%s", any++ ? ", " : " Recalled from: ", l) != 0;
        }
        if (any)
            oom |= sekha__buf_puts(&sys, ".") != 0;
        oom |= sekha_messages_add(a->prompt, "system", sekha__buf_str(&sys)) != SEKHA_OK;
        for (size_t i = 0; i < a->nmem; i++)
            order[i] = &a->mem[i];
        qsort(order, a->nmem, sizeof *order, by_time);
        for (size_t i = 0; i < a->nmem && !oom; i++)
            oom |= sekha_messages_add(a->prompt, order[i]->role, order[i]->text) != SEKHA_OK;
    }
    free(order);
    sekha__buf_free(&sys);
    return oom ? nomem() : prompt_finish(a, prompt, NULL);
}

/* "[n] label (score 0.83):\n" before each result's text; the blank line that follows the
 * result is counted with it. */
static int wf_memory_header(sekha_buf *b, size_t n, const char *label, double score)
{
    /* 0.83 whatever the program's locale; room for any double with two decimals */
    char num[320];
    sekha__snprintf_c(num, sizeof num, "%.2f", score);
    return sekha__buf_printf(b, "[%zu] %s (score %s):\n", n, *label ? label : "(no label)",
                             num);
}

size_t wf_memory_overhead(size_t n, const char *label, double score)
{
    sekha_buf h = {0};
    size_t len = wf_memory_header(&h, n, label, score) == 0 ? h.len + 2 : 64;
    sekha__buf_free(&h);
    return len;
}

sekha_error *wf_prompt_memory(sekha_answer *a, const char *prompt)
{
    sekha_error *e = prompt_begin(a);
    if (e)
        return e;
    sekha_buf sys = {0};
    int oom = 0;
    for (size_t i = 0; i < a->nmem; i++) {
        oom |= wf_memory_header(&sys, i + 1, a->mem[i].label, a->mem[i].score) != 0;
        oom |= sekha__buf_puts(&sys, a->mem[i].text) != 0;
        oom |= sekha__buf_puts(&sys, "\n\n") != 0;
    }
    if (a->nmem)
        oom |= sekha__buf_puts(&sys, SEKHA_MEMORY_INSTRUCTION) != 0;
    if (oom) {
        sekha__buf_free(&sys);
        return nomem();
    }
    return prompt_finish(a, prompt, &sys);
}

/* ---- accessors ---- */

const sekha_completion *sekha_answer_completion(const sekha_answer *a)
{
    return a ? a->completion : NULL;
}

const sekha_messages *sekha_answer_prompt(const sekha_answer *a)
{
    return a ? a->prompt : NULL;
}

const sekha_stored_messages *sekha_answer_context(const sekha_answer *a)
{
    return a ? a->context : NULL;
}

const sekha_search_results *sekha_answer_search_results(const sekha_answer *a)
{
    return a ? a->results : NULL;
}

size_t sekha_answer_memory_count(const sekha_answer *a)
{
    return a ? a->nmem : 0;
}

size_t sekha_answer_memory_dropped(const sekha_answer *a)
{
    return a ? a->dropped : 0;
}

size_t sekha_answer_memory_tokens(const sekha_answer *a)
{
    return a ? a->tokens : 0;
}

size_t sekha_answer_memory_source(const sekha_answer *a, size_t i)
{
    return a && i < a->nmem ? a->mem[i].source : (size_t)-1;
}

const char *sekha_answer_memory_label(const sekha_answer *a, size_t i)
{
    return a && i < a->nmem ? a->mem[i].label : NULL;
}

const char *sekha_answer_memory_text(const sekha_answer *a, size_t i)
{
    return a && i < a->nmem ? a->mem[i].text : NULL;
}
