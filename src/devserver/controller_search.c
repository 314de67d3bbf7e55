/* sekha-devserver controller routes #10-#17: semantic query, full-text search, embedding
 * rebuild, context assembly, summaries, pruning and label suggestions. Where the real
 * controller calls an LLM (summaries, previews, labels) the devserver answers with
 * deterministic extractive text built from the stored messages, so tests can assert on it. */
#include "ctl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_model = "devserver-extractive";

static void respond_prefixed_error(ds_response *rs, int status, const char *prefix,
                                   const char *err)
{
    size_t n = strlen(prefix) + strlen(err ? err : "") + 1;
    char *msg = malloc(n);
    if (!msg)
        abort();
    snprintf(msg, n, "%s%s", prefix, err ? err : "");
    ds_respond_error(rs, status, msg);
    free(msg);
}

/* ---- #10 POST /api/v1/query */
static int semantic_query(ds_store *st, const ds_config *cfg, const ds_request *rq,
                          ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {
        {"query", CT_STR, CR_REQUIRED},
        {"filters", CT_ANY, CR_OPTION},
        {"limit", CT_U32, CR_OPTION},
        {"offset", CT_U32, CR_OPTION},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    long long limit = ctl_int(body, "limit", 10);
    long long offset = ctl_int(body, "offset", 0);
    /* offset is accepted but, as in the real controller, never applied: it only feeds the
     * reported page number, so the first page reports page 0. */
    long long page = limit > 0 ? (long long)ceil((double)offset / (double)limit) : 1;
    ds_msg *hits = NULL;
    size_t n = 0;
    char *err = NULL;
    if (ctl_semantic(st, ctl_str(body, "query"), (size_t)limit, json_object_get(body, "filters"),
                     &hits, &n, &err) != DS_OK) {
        respond_prefixed_error(rs, 500, "Semantic search failed: Chroma error: ", err);
        free(err);
        json_decref(body);
        return 1;
    }
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        const ds_msg *m = &hits[i];
        json_array_append_new(
            results, json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s}", "conversation_id",
                               m->conversation_id, "message_id", m->id, "score",
                               ctl_f32(m->score), "content", m->content, "metadata",
                               ctl_chroma_meta(m), "label", m->label, "folder", m->folder,
                               "timestamp", m->timestamp));
    }
    ds_msgs_free(hits, n);
    /* total is the number returned, not a global count (real behaviour). */
    ds_respond_json(rs, 200,
                    json_pack("{s:o, s:I, s:I, s:I}", "results", results, "total",
                              (json_int_t)n, "page", (json_int_t)page, "page_size",
                              (json_int_t)limit));
    json_decref(body);
    return 1;
}

/* ---- #11 POST /api/v1/search/fts */
static int full_text_search(ds_store *st, const ds_config *cfg, const ds_request *rq,
                            ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {
        {"query", CT_STR, CR_REQUIRED},
        {"limit", CT_USIZE, CR_DEFAULT},
    };
    json_t *body = ctl_body(rq, rs, fields, 2);
    if (!body)
        return 1;
    long long limit = ctl_int(body, "limit", 10);
    ds_msg *msgs = NULL;
    size_t n = 0;
    char *err = NULL;
    if (ds_store_fts(st, ctl_str(body, "query"), limit, &msgs, &n, &err) != DS_OK) {
        respond_prefixed_error(rs, 500,
                               "Database error: Query Error: error returned from database: ", err);
        free(err);
        json_decref(body);
        return 1;
    }
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(results, ctl_message_json(&msgs[i]));
    ds_msgs_free(msgs, n);
    ds_respond_json(rs, 200, json_pack("{s:o, s:I}", "results", results, "total", (json_int_t)n));
    json_decref(body);
    return 1;
}

/* ---- #12 POST /api/v1/rebuild-embeddings
 * The real route is a no-op returning 202. The devserver really recomputes the embeddings
 * (cheap here), which matters when a --db file outlives a change to ds_embed. */
static int rebuild_embeddings(ds_store *st, ds_response *rs)
{
    (void)ds_store_reembed(st);
    ds_respond_empty(rs, 202);
    return 1;
}

/* ---- #13 POST /api/v1/context/assemble */

static int dot_cmp(const void *pa, const void *pb)
{
    const ds_msg *a = *(const ds_msg *const *)pa, *b = *(const ds_msg *const *)pb;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return strcmp(a->id, b->id);
}

typedef struct candidate {
    ds_msg *m;
    double score;
} candidate;

static int cand_cmp(const void *pa, const void *pb)
{
    const candidate *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    if (a->m->score != b->m->score)
        return a->m->score < b->m->score ? 1 : -1;
    int t = strcmp(b->m->timestamp, a->m->timestamp);
    return t ? t : strcmp(a->m->id, b->m->id);
}

static int in_list(const json_t *arr, const char *s, int prefix)
{
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        const char *v = json_string_value(e);
        if (prefix ? strncmp(s, v, strlen(v)) == 0 : strcmp(s, v) == 0)
            return 1;
    }
    return 0;
}

/* The real four phases: recall (semantic top 200 minus excluded folders, every message of
 * pinned active conversations, last-7-days messages of preferred labels), rank, pack to 85%
 * of the budget at chars/4 tokens, add citations. Differences, on purpose: a message recalled
 * by several phases appears once (the real one can repeat it), importance is the
 * conversation's own score for every candidate (the real one uses 5 for semantic hits), the
 * weights use importance/10 and label match 0/1 so all three terms are on a 0..1 scale, and
 * ties break on query similarity so the query still matters. */
static int assemble_context(ds_store *st, const ds_config *cfg, const ds_request *rq,
                            ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {
        {"query", CT_STR, CR_REQUIRED},
        {"preferred_labels", CT_STR_VEC, CR_REQUIRED},
        {"context_budget", CT_USIZE, CR_REQUIRED},
        {"excluded_folders", CT_STR_VEC, CR_DEFAULT},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    const json_t *preferred = json_object_get(body, "preferred_labels");
    const json_t *excluded = json_object_get(body, "excluded_folders");
    double budget = (double)ctl_int(body, "context_budget", 0);

    ds_msg *all = NULL;
    size_t n = 0;
    if (ds_store_messages(st, NULL, 1, &all, &n) != DS_OK) {
        ds_respond_error(rs, 500, "Database error: cannot read messages");
        json_decref(body);
        return 1;
    }
    const char *query = ctl_str(body, "query");
    float q[DS_EMBED_DIM];
    ds_embed(query, strlen(query), q);
    ds_msg **by_sim = malloc(sizeof *by_sim * (n ? n : 1));
    unsigned char *picked = calloc(n ? n : 1, 1);
    candidate *cands = malloc(sizeof *cands * (n ? n : 1));
    if (!by_sim || !picked || !cands)
        abort();
    for (size_t i = 0; i < n; i++) {
        double dot = 0;
        for (size_t k = 0; k < DS_EMBED_DIM; k++)
            dot += (double)q[k] * all[i].embedding[k];
        all[i].score = dot;
        by_sim[i] = &all[i];
    }
    qsort(by_sim, n, sizeof *by_sim, dot_cmp);
    for (size_t i = 0; i < n && i < 200; i++)
        if (!json_is_array(excluded) || !in_list(excluded, by_sim[i]->folder, 1))
            picked[by_sim[i] - all] = 1;
    char cutoff[DS_TS_LEN], now_ts[DS_TS_LEN];
    ds_naive_offset(cutoff, -7.0 * 86400.0);
    ds_now_naive(now_ts);
    double now = ds_naive_to_epoch(now_ts);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        ds_msg *m = &all[i];
        int active = strcmp(m->conv_status, "active") == 0;
        int label_match = in_list(preferred, m->label, 0);
        if (active && m->importance >= 10)
            picked[i] = 1;
        if (active && label_match && strcmp(m->timestamp, cutoff) >= 0)
            picked[i] = 1;
        if (!picked[i])
            continue;
        /* Whole days, 7-day half-life, floor 0.1: as the real calculate_recency_score. */
        double days = floor((now - ds_naive_to_epoch(m->timestamp)) / 86400.0);
        double recency = fmax(pow(2.0, -days / 7.0), 0.1);
        cands[nc].m = m;
        cands[nc].score = 0.5 * (m->importance / 10.0) + 0.3 * recency + 0.2 * label_match;
        nc++;
    }
    qsort(cands, nc, sizeof *cands, cand_cmp);

    size_t target = (size_t)(budget * 0.85), used = 0;
    json_t *out = json_array();
    for (size_t i = 0; i < nc && used < target; i++) {
        const ds_msg *m = cands[i].m;
        size_t tokens = strlen(m->content) / 4;
        if (used + tokens > target)
            continue;
        used += tokens;
        json_t *msg = ctl_message_json(m);
        json_t *meta = json_object_get(msg, "metadata");
        if (!json_is_object(meta)) {
            meta = json_object();
            json_object_set_new(msg, "metadata", meta);
        }
        /* The citation timestamp is NaiveDateTime::to_string(), i.e. with a space. */
        char spaced[DS_TS_LEN];
        ds_naive_spaced(m->timestamp, spaced);
        json_object_set_new(meta, "citation",
                            json_pack("{s:s, s:s, s:s}", "label", m->label, "folder", m->folder,
                                      "timestamp", spaced));
        json_array_append_new(out, msg);
    }
    free(cands);
    free(picked);
    free(by_sim);
    ds_msgs_free(all, n);
    /* A bare JSON array, not an object: the real route returns Json<Vec<Message>>. */
    ds_respond_json(rs, 200, out);
    json_decref(body);
    return 1;
}

/* ---- #14 POST /api/v1/summarize */

/* First sentence of text (up to . ! ? or a newline), at most 200 bytes on a UTF-8 boundary,
 * ending with punctuation. */
static size_t first_sentence(const char *text, char *out, size_t cap)
{
    while (*text && isspace((unsigned char)*text))
        text++;
    size_t len = 0;
    while (text[len] && text[len] != '\n' && len < 200) {
        char c = text[len++];
        if ((c == '.' || c == '!' || c == '?') &&
            (text[len] == '\0' || isspace((unsigned char)text[len])))
            break;
    }
    while (len > 0 && len < strlen(text) && ((unsigned char)text[len] & 0xC0) == 0x80)
        len--;
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0 || len + 2 > cap)
        return 0;
    memcpy(out, text, len);
    char last = out[len - 1];
    if (last != '.' && last != '!' && last != '?')
        out[len++] = '.';
    out[len] = '\0';
    return len;
}

static char *extractive_summary(const ds_conv *c, const ds_msg *msgs, size_t n, size_t max)
{
    size_t cap = 256 + strlen(c->label) + n * 210;
    char *s = malloc(cap);
    if (!s)
        abort();
    size_t len = (size_t)snprintf(s, cap, "%s (%zu message%s):", c->label, n, n == 1 ? "" : "s");
    size_t used = 0;
    char sentence[256];
    for (size_t i = 0; i < n && used < max; i++) {
        if (first_sentence(msgs[i].content, sentence, sizeof sentence) == 0)
            continue;
        len += (size_t)snprintf(s + len, cap - len, " %s", sentence);
        used++;
    }
    if (used == 0)
        snprintf(s + len, cap - len, " No messages to summarize.");
    return s;
}

static int summarize(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    static const ctl_field fields[] = {
        {"conversation_id", CT_UUID, CR_REQUIRED},
        {"level", CT_STR, CR_REQUIRED},
    };
    json_t *body = ctl_body(rq, rs, fields, 2);
    if (!body)
        return 1;
    const char *level = ctl_str(body, "level");
    size_t max = strcmp(level, "daily") == 0    ? 3
                 : strcmp(level, "weekly") == 0  ? 6
                 : strcmp(level, "monthly") == 0 ? 10
                                                 : 0;
    char id[DS_UUID_LEN + 1];
    ds_conv c;
    int rc = DS_ERR;
    /* The level is checked before the conversation is looked up, as in the real handler. */
    if (max == 0) {
        ds_respond_error(rs, 400, "Invalid level: must be daily, weekly, or monthly");
    } else {
        ctl_uuid(body, "conversation_id", id);
        rc = ds_store_get(st, id, &c);
        char not_found[128];
        ctl_not_found(cfg, id, not_found, sizeof not_found);
        /* The real summarizer's RepositoryError::NotFound goes out as a 500. */
        if (rc == DS_NOTFOUND && cfg->upstream != DS_UP_NONE)
            ds_respond_error(rs, 500, not_found);
        else if (rc == DS_NOTFOUND)
            ds_respond_error(rs, 404, "Conversation not found");
        else if (rc != DS_OK)
            ds_respond_error(rs, 500, "Database error: cannot read conversation");
    }
    if (rc != DS_OK) {
        json_decref(body);
        return 1;
    }
    ds_msg *msgs = NULL;
    size_t n = 0;
    if (ds_store_messages(st, id, 0, &msgs, &n) != DS_OK)
        n = 0;
    char *summary = extractive_summary(&c, msgs, n, max);
    char now[DS_TS_LEN];
    ds_now_naive(now);
    /* The real SummaryResponse has no model field. */
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "conversation_id", id, "level", level,
                            "summary", summary, "generated_at", now);
    if (out && cfg->upstream == DS_UP_NONE)
        json_object_set_new(out, "model", json_string(k_model));
    ds_respond_json(rs, 200, out);
    free(summary);
    ds_msgs_free(msgs, n);
    ds_conv_clear(&c);
    json_decref(body);
    return 1;
}

/* ---- #15/#16 pruning */

json_t *ctl_prune_suggestions(ds_store *st, long long threshold_days, int spaced,
                              long long *savings)
{
    char cutoff[DS_TS_LEN];
    ds_naive_offset(cutoff, -(double)threshold_days * 86400.0);
    ds_conv *convs = NULL;
    size_t n = 0;
    if (ds_store_stale(st, cutoff, &convs, &n) != DS_OK)
        return NULL;
    json_t *out = json_array();
    *savings = 0;
    for (size_t i = 0; i < n; i++) {
        const ds_conv *c = &convs[i];
        /* The real engine estimates 200 tokens per message. */
        long long tokens = c->message_count * 200;
        if (tokens > 4294967295LL)
            tokens = 4294967295LL;
        int archive = tokens > 5000 && c->importance < 5;
        if (archive)
            *savings += tokens;
        /* The real preview is an LLM summary of the five most recent messages; here they
         * are listed as "role: first 100 characters". */
        ds_msg *msgs = NULL;
        size_t nm = 0;
        if (ds_store_messages(st, c->id, 0, &msgs, &nm) != DS_OK)
            nm = 0;
        size_t cap = 1, len = 0;
        for (size_t k = 0; k < 5 && k < nm; k++)
            cap += strlen(msgs[nm - 1 - k].role) + 104;
        char *preview = malloc(cap);
        if (!preview)
            abort();
        preview[0] = '\0';
        for (size_t k = 0; k < 5 && k < nm; k++) {
            const ds_msg *m = &msgs[nm - 1 - k];
            size_t cl = strlen(m->content), cut = cl < 100 ? cl : 100;
            while (cut > 0 && cut < cl && ((unsigned char)m->content[cut] & 0xC0) == 0x80)
                cut--;
            len += (size_t)snprintf(preview + len, cap - len, "%s%s: %.*s", k ? "\n" : "",
                                    m->role, (int)cut, m->content);
        }
        ds_msgs_free(msgs, nm);
        char when[DS_TS_LEN];
        if (spaced)
            ds_naive_spaced(c->updated_at, when);
        else
            snprintf(when, sizeof when, "%s", c->updated_at);
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:s}", "conversation_id", c->id,
                           "conversation_label", c->label, "last_accessed", when,
                           "message_count", (json_int_t)c->message_count, "token_estimate",
                           (json_int_t)tokens, "importance_score", ctl_f32(c->importance),
                           "preview", preview, "recommendation", archive ? "archive" : "keep"));
        free(preview);
    }
    ds_convs_free(convs, n);
    return out;
}

static int prune_dry_run(ds_store *st, const ds_config *cfg, const ds_request *rq,
                         ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {{"threshold_days", CT_I64, CR_REQUIRED}};
    json_t *body = ctl_body(rq, rs, fields, 1);
    if (!body)
        return 1;
    long long savings = 0;
    json_t *s = ctl_prune_suggestions(st, ctl_int(body, "threshold_days", 0), 0, &savings);
    if (!s)
        ds_respond_error(rs, 500, "Database error: cannot read conversations");
    else
        ds_respond_json(rs, 200, json_pack("{s:I, s:o}", "total", (json_int_t)json_array_size(s),
                                           "suggestions", s));
    json_decref(body);
    return 1;
}

static int prune_execute(ds_store *st, const ds_config *cfg, const ds_request *rq,
                         ds_response *rs)
{
    static const ctl_field fields[] = {{"conversation_ids", CT_UUID_VEC, CR_REQUIRED}};
    json_t *body = ctl_body(rq, rs, fields, 1);
    if (!body)
        return 1;
    size_t i;
    const json_t *e;
    int failed = 0;
    /* Archives in order and stops at the first failure, like the real loop. */
    json_array_foreach(json_object_get(body, "conversation_ids"), i, e) {
        char id[DS_UUID_LEN + 1];
        ds_uuid_parse(json_string_value(e), id);
        int rc = ds_store_update(st, id, NULL, NULL, "archived", DS_KEEP);
        if (rc != DS_OK) {
            char not_found[128];
            ctl_not_found(cfg, id, not_found, sizeof not_found);
            ds_respond_error(rs, 500, rc == DS_NOTFOUND ? not_found : "Database error");
            failed = 1;
            break;
        }
    }
    if (!failed)
        ds_respond_empty(rs, 200);
    json_decref(body);
    return 1;
}

/* ---- #17 POST /api/v1/labels/suggest */

static const char *const k_stopwords[] = {
    "about", "after", "again", "also", "because", "been", "before", "being", "between",
    "both", "could", "does", "doing", "each", "even", "from", "have", "having", "hello",
    "help", "here", "into", "just", "know", "like", "make", "many", "more", "most", "much",
    "need", "only", "other", "over", "please", "same", "should", "some", "still", "such",
    "tell", "than", "thank", "thanks", "that", "their", "them", "then", "there", "these",
    "they", "think", "this", "those", "through", "under", "using", "very", "want", "well",
    "were", "what", "when", "where", "which", "while", "will", "with", "would", "your",
};

static int is_stopword(const char *w)
{
    for (size_t i = 0; i < sizeof k_stopwords / sizeof k_stopwords[0]; i++)
        if (strcmp(w, k_stopwords[i]) == 0)
            return 1;
    return 0;
}

typedef struct word_count {
    char word[48];
    int count;
    size_t first;
} word_count;

static int wc_cmp(const void *pa, const void *pb)
{
    const word_count *a = pa, *b = pb;
    if (a->count != b->count)
        return b->count - a->count;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* Counts lowercase ASCII words of 4..47 letters that are not stopwords. */
static word_count *count_words(const char *text, size_t *n)
{
    size_t cap = 64, len = 0, order = 0;
    word_count *v = malloc(cap * sizeof *v);
    if (!v)
        abort();
    const char *p = text;
    while (*p) {
        while (*p && !isalpha((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
            p++;
        size_t wl = (size_t)(p - start);
        if (wl < 4 || wl >= sizeof v->word)
            continue;
        char w[48];
        for (size_t i = 0; i < wl; i++)
            w[i] = (char)tolower((unsigned char)start[i]);
        w[wl] = '\0';
        if (is_stopword(w))
            continue;
        size_t k;
        for (k = 0; k < len && strcmp(v[k].word, w) != 0; k++)
            ;
        if (k < len) {
            v[k].count++;
            continue;
        }
        if (len == cap) {
            cap *= 2;
            word_count *nv = realloc(v, cap * sizeof *v);
            if (!nv)
                abort();
            v = nv;
        }
        memcpy(v[len].word, w, wl + 1);
        v[len].count = 1;
        v[len].first = order++;
        len++;
    }
    qsort(v, len, sizeof *v, wc_cmp);
    *n = len;
    return v;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int has_suggestion(const json_t *arr, const char *label)
{
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        if (strcasecmp(json_string_value(json_object_get(e, "label")), label) == 0)
            return 1;
    }
    return 0;
}

static void add_suggestion(json_t *arr, const char *label, int existing, const char *reason)
{
    json_array_append_new(arr, json_pack("{s:s, s:o, s:b, s:s}", "label", label, "confidence",
                                         ctl_f32(existing ? 0.9 : 0.6), "is_existing", existing,
                                         "reason", reason));
}

static int suggest_labels(ds_store *st, const ds_config *cfg, const ds_request *rq,
                          ds_response *rs)
{
    static const ctl_field fields[] = {{"conversation_id", CT_UUID, CR_REQUIRED}};
    json_t *body = ctl_body(rq, rs, fields, 1);
    if (!body)
        return 1;
    char id[DS_UUID_LEN + 1];
    ctl_uuid(body, "conversation_id", id);
    json_decref(body);
    ds_conv c;
    int rc = ds_store_get(st, id, &c);
    if (rc != DS_OK) {
        char msg[128];
        snprintf(msg, sizeof msg, "Entity not found: Conversation %s not found", id);
        ds_respond_error(rs, 500, rc == DS_NOTFOUND ? msg : "Database error");
        return 1;
    }
    ds_conv_clear(&c);
    ds_msg *msgs = NULL;
    size_t n = 0;
    char **labels = NULL;
    size_t nl = 0;
    if (ds_store_messages(st, id, 0, &msgs, &n) != DS_OK ||
        ds_store_distinct(st, "label", &labels, &nl) != DS_OK) {
        ds_msgs_free(msgs, n);
        ds_respond_error(rs, 500, "Database error");
        return 1;
    }
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(msgs[i].content) + 1;
    char *text = malloc(total);
    if (!text)
        abort();
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(msgs[i].content);
        memcpy(text + len, msgs[i].content, l);
        len += l;
        text[len++] = '\n';
    }
    text[len] = '\0';
    char *lower = lower_dup(text);
    json_t *sugg = json_array();
    /* Like the real one: no messages, no suggestions; at most five. Existing labels that
     * occur in the text come first, then the most frequent content words. */
    for (size_t i = 0; n > 0 && i < nl && json_array_size(sugg) < 3; i++) {
        char *l = lower_dup(labels[i]);
        if (*l && strstr(lower, l))
            add_suggestion(sugg, labels[i], 1, "Existing label that appears in the conversation");
        free(l);
    }
    size_t nw = 0;
    word_count *words = count_words(text, &nw);
    for (size_t i = 0; n > 0 && i < nw && json_array_size(sugg) < 5; i++) {
        const char *existing = NULL;
        for (size_t k = 0; k < nl && !existing; k++)
            if (strcasecmp(labels[k], words[i].word) == 0)
                existing = labels[k];
        char label[48], reason[96];
        snprintf(label, sizeof label, "%s", existing ? existing : words[i].word);
        if (!existing)
            label[0] = (char)toupper((unsigned char)label[0]);
        if (has_suggestion(sugg, label))
            continue;
        snprintf(reason, sizeof reason, "Frequent term in the conversation (%d mention%s)",
                 words[i].count, words[i].count == 1 ? "" : "s");
        add_suggestion(sugg, label, existing != NULL, reason);
    }
    free(words);
    free(lower);
    free(text);
    ds_strv_free(labels, nl);
    ds_msgs_free(msgs, n);
    /* The real LabelSuggestResponse has no model field. */
    json_t *out = json_pack("{s:s, s:o}", "conversation_id", id, "suggestions", sugg);
    if (out && cfg->upstream == DS_UP_NONE)
        json_object_set_new(out, "model", json_string(k_model));
    ds_respond_json(rs, 200, out);
    return 1;
}

/* ---- routing for everything under /api/v1 except /conversations */

typedef int (*route_fn)(ds_store *, const ds_config *, const ds_request *, ds_response *);

static int rebuild_route(ds_store *st, const ds_config *cfg, const ds_request *rq,
                         ds_response *rs)
{
    (void)cfg;
    (void)rq;
    return rebuild_embeddings(st, rs);
}

int ctl_search_route(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs,
                     const char *sub)
{
    static const struct {
        const char *path;
        route_fn fn;
    } routes[] = {
        {"/query", semantic_query},
        {"/search/fts", full_text_search},
        {"/rebuild-embeddings", rebuild_route},
        {"/context/assemble", assemble_context},
        {"/summarize", summarize},
        {"/prune/dry-run", prune_dry_run},
        {"/prune/execute", prune_execute},
        {"/labels/suggest", suggest_labels},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(sub, routes[i].path) != 0)
            continue;
        if (strcmp(rq->method, "POST") != 0) {
            ds_respond_empty(rs, 405);
            return 1;
        }
        return routes[i].fn(st, cfg, rq, rs);
    }
    ds_respond_empty(rs, 404);
    return 1;
}
