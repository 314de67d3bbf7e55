/* Public accessors of the controller's result objects. Every accessor accepts NULL and
 * then returns NULL / 0, so a caller that skipped an error check reads defaults instead of
 * crashing. */
#include "controller/ctl.h"
#include "core/cnum.h"

#include <stdlib.h>
#include <string.h>

/* _json, _copy and _free of a result type. */
#define CTL_RESULT_FNS(prefix, type)                                                       \
    const char *prefix##_json(const type *x) { return x ? x->base.raw : NULL; }            \
    type *prefix##_copy(const type *x) { return ctl_result_copy(x); }                      \
    void prefix##_free(type *x) { ctl_result_release(x); }

/* A field getter. */
#define CTL_GET(fn, type, ret, field, fallback) \
    ret fn(const type *x) { return x ? x->field : (fallback); }

/* _count and _at of a list type. */
#define CTL_LIST_FNS(prefix, type, item)                                                   \
    size_t prefix##_count(const type *x) { return x ? x->n : 0; }                          \
    const item *prefix##_at(const type *x, size_t i)                                       \
    {                                                                                      \
        return x && i < x->n ? &x->items[i] : NULL;                                        \
    }

/* ---- sekha_conversation ---- */

CTL_RESULT_FNS(sekha_conversation, sekha_conversation)
CTL_GET(sekha_conversation_id, sekha_conversation, const char *, id, NULL)
CTL_GET(sekha_conversation_label, sekha_conversation, const char *, label, NULL)
CTL_GET(sekha_conversation_folder, sekha_conversation, const char *, folder, NULL)
CTL_GET(sekha_conversation_status, sekha_conversation, const char *, status, NULL)
CTL_GET(sekha_conversation_message_count, sekha_conversation, long long, message_count, 0)
CTL_GET(sekha_conversation_created_at, sekha_conversation, const char *, created_at, NULL)

/* ---- sekha_search_results ---- */

CTL_RESULT_FNS(sekha_search_results, sekha_search_results)
CTL_LIST_FNS(sekha_search_results, sekha_search_results, sekha_search_result)
CTL_GET(sekha_search_results_total, sekha_search_results, long long, total, 0)
CTL_GET(sekha_search_results_page, sekha_search_results, long long, page, 0)
CTL_GET(sekha_search_results_page_size, sekha_search_results, long long, page_size, 0)

CTL_GET(sekha_search_result_conversation_id, sekha_search_result, const char *, conversation_id,
        NULL)
CTL_GET(sekha_search_result_message_id, sekha_search_result, const char *, message_id, NULL)
CTL_GET(sekha_search_result_score, sekha_search_result, double, score, 0)
CTL_GET(sekha_search_result_content, sekha_search_result, const char *, content, NULL)
CTL_GET(sekha_search_result_label, sekha_search_result, const char *, label, NULL)
CTL_GET(sekha_search_result_folder, sekha_search_result, const char *, folder, NULL)
CTL_GET(sekha_search_result_timestamp, sekha_search_result, const char *, timestamp, NULL)
CTL_GET(sekha_search_result_metadata_json, sekha_search_result, const char *, metadata, NULL)

/* ---- sekha_stored_messages ---- */

CTL_RESULT_FNS(sekha_stored_messages, sekha_stored_messages)
CTL_LIST_FNS(sekha_stored_messages, sekha_stored_messages, sekha_stored_message)
CTL_GET(sekha_stored_messages_total, sekha_stored_messages, long long, total, 0)

/* Summed on each call rather than cached: a result is shared by threads once copied. */
size_t sekha_stored_messages_token_estimate(const sekha_stored_messages *l)
{
    size_t tokens = 0;
    for (size_t i = 0; l && i < l->n; i++)
        tokens += strlen(l->items[i].content) / 4;
    return tokens;
}

CTL_GET(sekha_stored_message_id, sekha_stored_message, const char *, id, NULL)
CTL_GET(sekha_stored_message_conversation_id, sekha_stored_message, const char *, conversation_id, NULL)
CTL_GET(sekha_stored_message_role, sekha_stored_message, const char *, role, NULL)
CTL_GET(sekha_stored_message_content, sekha_stored_message, const char *, content, NULL)
CTL_GET(sekha_stored_message_timestamp, sekha_stored_message, const char *, timestamp, NULL)
CTL_GET(sekha_stored_message_embedding_id, sekha_stored_message, const char *, embedding_id, NULL)
CTL_GET(sekha_stored_message_metadata_json, sekha_stored_message, const char *, metadata, NULL)

/* ---- sekha_count_result ---- */

CTL_RESULT_FNS(sekha_count_result, sekha_count_result)
CTL_GET(sekha_count_result_value, sekha_count_result, long long, count, 0)
CTL_GET(sekha_count_result_label, sekha_count_result, const char *, label, NULL)
CTL_GET(sekha_count_result_folder, sekha_count_result, const char *, folder, NULL)

/* ---- sekha_summary ---- */

CTL_RESULT_FNS(sekha_summary, sekha_summary)
CTL_GET(sekha_summary_conversation_id, sekha_summary, const char *, conversation_id, NULL)
CTL_GET(sekha_summary_level, sekha_summary, const char *, level, NULL)
CTL_GET(sekha_summary_text, sekha_summary, const char *, summary, NULL)
CTL_GET(sekha_summary_generated_at, sekha_summary, const char *, generated_at, NULL)
CTL_GET(sekha_summary_model, sekha_summary, const char *, model, NULL)

/* ---- sekha_prune_suggestions ---- */

CTL_RESULT_FNS(sekha_prune_suggestions, sekha_prune_suggestions)
CTL_LIST_FNS(sekha_prune_suggestions, sekha_prune_suggestions, sekha_prune_suggestion)
CTL_GET(sekha_prune_suggestions_total, sekha_prune_suggestions, long long, total, 0)

CTL_GET(sekha_prune_suggestion_conversation_id, sekha_prune_suggestion, const char *,
        conversation_id, NULL)
CTL_GET(sekha_prune_suggestion_label, sekha_prune_suggestion, const char *, label, NULL)
CTL_GET(sekha_prune_suggestion_last_accessed, sekha_prune_suggestion, const char *,
        last_accessed, NULL)
CTL_GET(sekha_prune_suggestion_message_count, sekha_prune_suggestion, long long, message_count,
        0)
CTL_GET(sekha_prune_suggestion_token_estimate, sekha_prune_suggestion, long long,
        token_estimate, 0)
CTL_GET(sekha_prune_suggestion_importance, sekha_prune_suggestion, double, importance, 0)
CTL_GET(sekha_prune_suggestion_preview, sekha_prune_suggestion, const char *, preview, NULL)
CTL_GET(sekha_prune_suggestion_recommendation, sekha_prune_suggestion, const char *,
        recommendation, NULL)

/* ---- sekha_label_suggestions ---- */

CTL_RESULT_FNS(sekha_label_suggestions, sekha_label_suggestions)
CTL_LIST_FNS(sekha_label_suggestions, sekha_label_suggestions, sekha_label_suggestion)
CTL_GET(sekha_label_suggestions_conversation_id, sekha_label_suggestions, const char *,
        conversation_id, NULL)

CTL_GET(sekha_label_suggestion_label, sekha_label_suggestion, const char *, label, NULL)
CTL_GET(sekha_label_suggestion_confidence, sekha_label_suggestion, double, confidence, 0)
CTL_GET(sekha_label_suggestion_is_existing, sekha_label_suggestion, int, is_existing, 0)
CTL_GET(sekha_label_suggestion_reason, sekha_label_suggestion, const char *, reason, NULL)

/* ---- sekha_metrics ---- */

const char *sekha_metrics_text(const sekha_metrics *m)
{
    return m ? m->base.raw : NULL;
}

sekha_metrics *sekha_metrics_copy(const sekha_metrics *m)
{
    return ctl_result_copy(m);
}

void sekha_metrics_free(sekha_metrics *m)
{
    ctl_result_release(m);
}

/* Prometheus text format: "name[{labels}] value [timestamp]" per line, '#' for comments. */
int sekha_metrics_value(const sekha_metrics *m, const char *name, double *value)
{
    size_t nlen = name ? strlen(name) : 0;
    if (!m || !nlen)
        return 0;
    for (const char *line = m->base.raw; line && *line;) {
        const char *next = strchr(line, '\n');
        const char *end = next ? next : line + strlen(line);
        if (*line != '#' && (size_t)(end - line) > nlen && strncmp(line, name, nlen) == 0 &&
            (line[nlen] == ' ' || line[nlen] == '{')) {
            const char *p = line + nlen;
            if (*p == '{') {
                /* Label values may hold '}' only inside quotes. */
                int quoted = 0;
                for (p++; p < end && (quoted || *p != '}'); p++) {
                    if (*p == '\\' && quoted && p + 1 < end)
                        p++;
                    else if (*p == '"')
                        quoted = !quoted;
                }
                if (p >= end)
                    return 0;
                p++;
            }
            char buf[64];
            while (p < end && *p == ' ')
                p++;
            size_t vlen = strcspn(p, " \r\n");
            if (vlen == 0 || vlen >= sizeof buf)
                return 0;
            memcpy(buf, p, vlen);
            buf[vlen] = '\0';
            char *stop = NULL;
            double v = sekha__strtod_c(buf, &stop); /* "0.5" in any locale */
            if (*stop)
                return 0;
            if (value)
                *value = v;
            return 1;
        }
        line = next ? next + 1 : NULL;
    }
    return 0;
}
