/* sekha-devserver store: conversations and messages in SQLite, with an FTS5 index over
 * message content and each message's embedding as a BLOB (brute-force cosine search is
 * enough for a local stand-in). One connection, one mutex: every public function holds the
 * lock for its whole run, which makes each call atomic and keeps SQLite single-threaded. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ds_store {
    sqlite3 *db;
    pthread_mutex_t mu;
};

/* The schema mirrors the controller's tables (conversations, messages) with two devserver
 * additions: messages.embedding replaces Chroma, and seq gives FTS5 an integer rowid. */
static const char *const k_schema =
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS conversations ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " label TEXT NOT NULL,"
    " folder TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'active',"
    " importance_score INTEGER NOT NULL DEFAULT 5,"
    " word_count INTEGER NOT NULL DEFAULT 0,"
    " session_count INTEGER NOT NULL DEFAULT 1,"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated_at);"
    "CREATE TABLE IF NOT EXISTS messages ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
    " role TEXT NOT NULL,"
    " content TEXT NOT NULL,"
    " timestamp TEXT NOT NULL,"
    " embedding BLOB,"
    " metadata TEXT);"
    "CREATE INDEX IF NOT EXISTS messages_conv ON messages(conversation_id);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
    " content, content='messages', content_rowid='seq');"
    "CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content); END;"
    "CREATE TRIGGER IF NOT EXISTS messages_ad AFTER DELETE ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, content)"
    " VALUES ('delete', old.seq, old.content); END;"
    "CREATE TRIGGER IF NOT EXISTS messages_au AFTER UPDATE OF content ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, content)"
    " VALUES ('delete', old.seq, old.content);"
    " INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content); END;"
    "PRAGMA user_version=1;";

#define CONV_COLS                                                                          \
    "c.id, c.label, c.folder, c.status, c.importance_score, c.word_count,"                \
    " c.session_count, c.created_at, c.updated_at,"                                        \
    " (SELECT COUNT(*) FROM messages mm WHERE mm.conversation_id = c.id)"

#define MSG_COLS                                                                           \
    "m.id, m.conversation_id, m.role, m.content, m.timestamp, m.metadata,"                \
    " c.label, c.folder, c.importance_score, c.status, m.embedding"

/* ------------------------------------------------------------------ utilities */

/* The devserver treats allocation failure as fatal: a half-filled row would be a worse
 * answer than a crash for a test server. */
static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("sekha-devserver: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = xmalloc(n);
    memcpy(d, s ? s : "", n);
    return d;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return xstrdup(t ? (const char *)t : "");
}

static void col_copy(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void set_err(char **err, const char *what, sqlite3 *db)
{
    if (!err)
        return;
    const char *m = db ? sqlite3_errmsg(db) : "";
    size_t n = strlen(what) + strlen(m) + 3;
    *err = xmalloc(n);
    snprintf(*err, n, "%s%s%s", what, *m ? ": " : "", m);
}

void ds_conv_clear(ds_conv *c)
{
    if (!c)
        return;
    free(c->label);
    free(c->folder);
    c->label = c->folder = NULL;
}

void ds_convs_free(ds_conv *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        ds_conv_clear(&c[i]);
    free(c);
}

void ds_msg_clear(ds_msg *m)
{
    if (!m)
        return;
    free(m->role);
    free(m->content);
    free(m->metadata);
    free(m->label);
    free(m->folder);
    free(m->embedding);
    m->role = m->content = m->metadata = m->label = m->folder = NULL;
    m->embedding = NULL;
}

void ds_msgs_free(ds_msg *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        ds_msg_clear(&m[i]);
    free(m);
}

void ds_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int ds_uuid_v4(char out[DS_UUID_LEN + 1])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = read(fd, b + got, sizeof b - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ds_uuid_parse(const char *s, char out[DS_UUID_LEN + 1])
{
    if (!s)
        return -1;
    size_t n = strlen(s);
    if (n == 45 && strncmp(s, "urn:uuid:", 9) == 0) {
        s += 9;
        n -= 9;
    } else if (n == 38 && s[0] == '{' && s[37] == '}') {
        s += 1;
        n -= 2;
    }
    char digits[32];
    size_t d = 0;
    if (n == 36) {
        for (size_t i = 0; i < 36; i++) {
            int dash = (i == 8 || i == 13 || i == 18 || i == 23);
            if (dash) {
                if (s[i] != '-')
                    return -1;
                continue;
            }
            if (hexval(s[i]) < 0)
                return -1;
            digits[d++] = s[i];
        }
    } else if (n == 32) {
        for (size_t i = 0; i < 32; i++) {
            if (hexval(s[i]) < 0)
                return -1;
            digits[d++] = s[i];
        }
    } else {
        return -1;
    }
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[o++] = '-';
        out[o++] = hex[hexval(digits[i])];
    }
    out[o] = '\0';
    return 0;
}

static void format_naive(char out[DS_TS_LEN], time_t secs, long micros)
{
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        memset(&tm, 0, sizeof tm);
    size_t n = strftime(out, DS_TS_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, DS_TS_LEN - n, ".%06ld", micros % 1000000);
}

void ds_naive_offset(char out[DS_TS_LEN], double delta_seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + delta_seconds;
    /* Clamped to years 1970..9999 so extreme day counts still give comparable strings. */
    if (t < 0)
        t = 0;
    if (t > 253402300799.0)
        t = 253402300799.0;
    time_t secs = (time_t)t;
    long micros = (long)((t - (double)secs) * 1e6);
    if (micros > 999999)
        micros = 999999;
    format_naive(out, secs, micros);
}

void ds_now_naive(char out[DS_TS_LEN])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    format_naive(out, ts.tv_sec, ts.tv_nsec / 1000);
}

double ds_naive_to_epoch(const char *ts)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int consumed = 0;
    char sep = 0;
    if (!ts || sscanf(ts, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &sep, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double t = (double)timegm(&tm);
    const char *f = ts + consumed;
    if (*f == '.') {
        double scale = 0.1;
        for (f++; *f >= '0' && *f <= '9'; f++, scale /= 10)
            t += (*f - '0') * scale;
    }
    return t;
}

void ds_naive_spaced(const char *ts, char out[DS_TS_LEN])
{
    snprintf(out, DS_TS_LEN, "%s", ts ? ts : "");
    char *t = strchr(out, 'T');
    if (t)
        *t = ' ';
}

/* ------------------------------------------------------------------ open / close */

ds_store *ds_store_open(const char *path, char **err)
{
    ds_store *st = calloc(1, sizeof *st);
    if (!st) {
        if (err)
            *err = xstrdup("out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path ? path : ":memory:", &st->db, flags, NULL) != SQLITE_OK) {
        set_err(err, "cannot open database", st->db);
        sqlite3_close(st->db);
        free(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL lets a restarted devserver see everything a killed one committed; NORMAL sync is
     * durable against process death, which is all a test server has to survive. */
    if (path && sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                             NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, "cannot enable WAL", st->db);
        sqlite3_close(st->db);
        free(st);
        return NULL;
    }
    if (sqlite3_exec(st->db, k_schema, NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, "cannot create schema", st->db);
        sqlite3_close(st->db);
        free(st);
        return NULL;
    }
    pthread_mutex_init(&st->mu, NULL);
    return st;
}

void ds_store_close(ds_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

static void lock(ds_store *st) { pthread_mutex_lock(&st->mu); }
static void unlock(ds_store *st) { pthread_mutex_unlock(&st->mu); }

static int exec(ds_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static sqlite3_stmt *prep(ds_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "sekha-devserver: SQL prepare failed: %s\n", sqlite3_errmsg(st->db));
        return NULL;
    }
    return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static void row_conv(sqlite3_stmt *s, ds_conv *c)
{
    memset(c, 0, sizeof *c);
    col_copy(s, 0, c->id, sizeof c->id);
    c->label = col_dup(s, 1);
    c->folder = col_dup(s, 2);
    col_copy(s, 3, c->status, sizeof c->status);
    c->importance = sqlite3_column_int(s, 4);
    c->word_count = sqlite3_column_int64(s, 5);
    c->session_count = sqlite3_column_int64(s, 6);
    col_copy(s, 7, c->created_at, sizeof c->created_at);
    col_copy(s, 8, c->updated_at, sizeof c->updated_at);
    c->message_count = sqlite3_column_int64(s, 9);
}

static void row_msg(sqlite3_stmt *s, ds_msg *m, int with_embedding)
{
    memset(m, 0, sizeof *m);
    col_copy(s, 0, m->id, sizeof m->id);
    col_copy(s, 1, m->conversation_id, sizeof m->conversation_id);
    m->role = col_dup(s, 2);
    m->content = col_dup(s, 3);
    col_copy(s, 4, m->timestamp, sizeof m->timestamp);
    m->metadata = sqlite3_column_type(s, 5) == SQLITE_NULL ? NULL : col_dup(s, 5);
    m->label = col_dup(s, 6);
    m->folder = col_dup(s, 7);
    m->importance = sqlite3_column_int(s, 8);
    col_copy(s, 9, m->conv_status, sizeof m->conv_status);
    if (with_embedding) {
        const void *blob = sqlite3_column_blob(s, 10);
        int bytes = sqlite3_column_bytes(s, 10);
        m->embedding = xmalloc(sizeof(float) * DS_EMBED_DIM);
        if (blob && bytes == (int)(sizeof(float) * DS_EMBED_DIM))
            memcpy(m->embedding, blob, sizeof(float) * DS_EMBED_DIM);
        else
            memset(m->embedding, 0, sizeof(float) * DS_EMBED_DIM);
    }
}

/* Collects the rows of a prepared statement; returns DS_OK or DS_ERR. */
static int collect_convs(sqlite3_stmt *s, ds_conv **out, size_t *n)
{
    size_t cap = 8, len = 0;
    ds_conv *v = xmalloc(cap * sizeof *v);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap *= 2;
            ds_conv *nv = realloc(v, cap * sizeof *v);
            if (!nv)
                abort();
            v = nv;
        }
        row_conv(s, &v[len++]);
    }
    if (rc != SQLITE_DONE) {
        ds_convs_free(v, len);
        return DS_ERR;
    }
    *out = v;
    *n = len;
    return DS_OK;
}

static int collect_msgs(sqlite3_stmt *s, int with_embedding, ds_msg **out, size_t *n)
{
    size_t cap = 16, len = 0;
    ds_msg *v = xmalloc(cap * sizeof *v);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap *= 2;
            ds_msg *nv = realloc(v, cap * sizeof *v);
            if (!nv)
                abort();
            v = nv;
        }
        row_msg(s, &v[len++], with_embedding);
    }
    if (rc != SQLITE_DONE) {
        ds_msgs_free(v, len);
        return DS_ERR;
    }
    *out = v;
    *n = len;
    return DS_OK;
}

/* ------------------------------------------------------------------ operations */

static int get_locked(ds_store *st, const char *id, ds_conv *out)
{
    sqlite3_stmt *s = prep(st, "SELECT " CONV_COLS " FROM conversations c WHERE c.id = ?1");
    if (!s)
        return DS_ERR;
    bind_text(s, 1, id);
    int rc = sqlite3_step(s);
    int ret = DS_ERR;
    if (rc == SQLITE_ROW) {
        row_conv(s, out);
        ret = DS_OK;
    } else if (rc == SQLITE_DONE) {
        ret = DS_NOTFOUND;
    }
    sqlite3_finalize(s);
    return ret;
}

int ds_store_get(ds_store *st, const char *id, ds_conv *out)
{
    lock(st);
    int rc = get_locked(st, id, out);
    unlock(st);
    return rc;
}

int ds_store_create(ds_store *st, const char *label, const char *folder, int importance,
                    const ds_new_msg *msgs, size_t n, ds_conv *out, char **err)
{
    char id[DS_UUID_LEN + 1], now[DS_TS_LEN];
    if (ds_uuid_v4(id) != 0) {
        if (err)
            *err = xstrdup("cannot read /dev/urandom");
        return DS_ERR;
    }
    /* Embeddings and message ids are computed before taking the lock: they are the
     * expensive part and touch no shared state. */
    float *emb = xmalloc(sizeof(float) * DS_EMBED_DIM * (n ? n : 1));
    char(*mids)[DS_UUID_LEN + 1] = xmalloc(sizeof *mids * (n ? n : 1));
    long long words = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(msgs[i].content);
        ds_embed(msgs[i].content, len, emb + i * DS_EMBED_DIM);
        words += (long long)len;
        if (ds_uuid_v4(mids[i]) != 0) {
            free(emb);
            free(mids);
            if (err)
                *err = xstrdup("cannot read /dev/urandom");
            return DS_ERR;
        }
    }
    ds_now_naive(now);

    int ret = DS_ERR;
    sqlite3_stmt *cs = NULL, *ms = NULL;
    lock(st);
    if (exec(st, "BEGIN IMMEDIATE") != 0) {
        set_err(err, "Database error", st->db);
        goto out;
    }
    cs = prep(st, "INSERT INTO conversations (id, label, folder, status, importance_score,"
                  " word_count, session_count, created_at, updated_at)"
                  " VALUES (?1, ?2, ?3, 'active', ?4, ?5, 1, ?6, ?6)");
    ms = prep(st, "INSERT INTO messages (id, conversation_id, role, content, timestamp,"
                  " embedding, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!cs || !ms)
        goto fail;
    bind_text(cs, 1, id);
    bind_text(cs, 2, label);
    bind_text(cs, 3, folder);
    sqlite3_bind_int(cs, 4, importance);
    sqlite3_bind_int64(cs, 5, words);
    bind_text(cs, 6, now);
    if (sqlite3_step(cs) != SQLITE_DONE)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(ms);
        bind_text(ms, 1, mids[i]);
        bind_text(ms, 2, id);
        bind_text(ms, 3, msgs[i].role);
        bind_text(ms, 4, msgs[i].content);
        bind_text(ms, 5, now);
        sqlite3_bind_blob(ms, 6, emb + i * DS_EMBED_DIM, (int)(sizeof(float) * DS_EMBED_DIM),
                          SQLITE_TRANSIENT);
        bind_text(ms, 7, msgs[i].metadata ? msgs[i].metadata : "{}");
        if (sqlite3_step(ms) != SQLITE_DONE)
            goto fail;
    }
    if (exec(st, "COMMIT") != 0)
        goto fail;
    ret = get_locked(st, id, out) == DS_OK ? DS_OK : DS_ERR;
    if (ret != DS_OK)
        set_err(err, "Database error", st->db);
    goto out;
fail:
    set_err(err, "Database error", st->db);
    exec(st, "ROLLBACK");
out:
    sqlite3_finalize(cs);
    sqlite3_finalize(ms);
    unlock(st);
    free(emb);
    free(mids);
    return ret;
}

/* Appends " AND <clause>" pieces for the list filters; binds happen in the same order. */
static void list_where(char *buf, size_t cap, const ds_list_filter *f)
{
    snprintf(buf, cap, " WHERE 1=1%s%s%s%s",
             f && f->label ? " AND c.label = ?" : "",
             f && f->folder ? " AND c.folder = ?" : "",
             f && f->pinned == 1   ? " AND c.importance_score >= 10"
             : f && f->pinned == 0 ? " AND c.importance_score < 10"
                                   : "",
             f && f->archived == 1   ? " AND c.status = 'archived'"
             : f && f->archived == 0 ? " AND c.status <> 'archived'"
                                     : "");
}

static int list_bind(sqlite3_stmt *s, const ds_list_filter *f)
{
    int i = 1;
    if (f && f->label)
        bind_text(s, i++, f->label);
    if (f && f->folder)
        bind_text(s, i++, f->folder);
    return i;
}

int ds_store_list(ds_store *st, const ds_list_filter *f, long long limit, long long offset,
                  ds_conv **out, size_t *n, long long *total)
{
    char where[256], sql[1024];
    list_where(where, sizeof where, f);
    int ret = DS_ERR;
    lock(st);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM conversations c%s", where);
    sqlite3_stmt *s = prep(st, sql);
    if (!s)
        goto out;
    list_bind(s, f);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        goto out;
    }
    *total = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);

    snprintf(sql, sizeof sql,
             "SELECT " CONV_COLS " FROM conversations c%s"
             " ORDER BY c.updated_at DESC, c.seq DESC LIMIT ? OFFSET ?",
             where);
    s = prep(st, sql);
    if (!s)
        goto out;
    int i = list_bind(s, f);
    sqlite3_bind_int64(s, i, limit);
    sqlite3_bind_int64(s, i + 1, offset);
    ret = collect_convs(s, out, n);
    sqlite3_finalize(s);
out:
    unlock(st);
    return ret;
}

int ds_store_update(ds_store *st, const char *id, const char *label, const char *folder,
                    const char *status, int importance)
{
    char now[DS_TS_LEN];
    ds_now_naive(now);
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st,
        "UPDATE conversations SET"
        " label = COALESCE(?2, label), folder = COALESCE(?3, folder),"
        " status = COALESCE(?4, status),"
        " importance_score = COALESCE(?5, importance_score),"
        " updated_at = ?6 WHERE id = ?1");
    if (s) {
        bind_text(s, 1, id);
        bind_text(s, 2, label);
        bind_text(s, 3, folder);
        bind_text(s, 4, status);
        if (importance == DS_KEEP)
            sqlite3_bind_null(s, 5);
        else
            sqlite3_bind_int(s, 5, importance);
        bind_text(s, 6, now);
        if (sqlite3_step(s) == SQLITE_DONE)
            ret = sqlite3_changes(st->db) > 0 ? DS_OK : DS_NOTFOUND;
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_delete(ds_store *st, const char *id)
{
    int ret = DS_ERR;
    lock(st);
    if (exec(st, "BEGIN IMMEDIATE") != 0)
        goto out;
    /* Messages go first and explicitly so the FTS delete trigger sees each row. */
    static const char *const steps[] = {
        "DELETE FROM messages WHERE conversation_id = ?1",
        "DELETE FROM conversations WHERE id = ?1",
    };
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *s = prep(st, steps[i]);
        int rc = SQLITE_ERROR;
        if (s) {
            bind_text(s, 1, id);
            rc = sqlite3_step(s);
            sqlite3_finalize(s);
        }
        if (rc != SQLITE_DONE) {
            exec(st, "ROLLBACK");
            goto out;
        }
    }
    ret = sqlite3_changes(st->db) > 0 ? DS_OK : DS_NOTFOUND;
    if (exec(st, "COMMIT") != 0) {
        exec(st, "ROLLBACK");
        ret = DS_ERR;
    }
out:
    unlock(st);
    return ret;
}

int ds_store_count(ds_store *st, const char *label, const char *folder, long long *count)
{
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st, "SELECT COUNT(*) FROM conversations"
                               " WHERE (?1 IS NULL OR label = ?1) AND (?2 IS NULL OR folder = ?2)");
    if (s) {
        bind_text(s, 1, label);
        bind_text(s, 2, folder);
        if (sqlite3_step(s) == SQLITE_ROW) {
            *count = sqlite3_column_int64(s, 0);
            ret = DS_OK;
        }
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_messages(ds_store *st, const char *conv_id, int with_embedding,
                      ds_msg **out, size_t *n)
{
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st, "SELECT " MSG_COLS " FROM messages m"
                               " JOIN conversations c ON c.id = m.conversation_id"
                               " WHERE (?1 IS NULL OR m.conversation_id = ?1)"
                               " ORDER BY m.timestamp, m.seq");
    if (s) {
        bind_text(s, 1, conv_id);
        ret = collect_msgs(s, with_embedding, out, n);
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_fts(ds_store *st, const char *query, long long limit, ds_msg **out, size_t *n,
                 char **err)
{
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT " MSG_COLS " FROM messages_fts"
                           " JOIN messages m ON m.seq = messages_fts.rowid"
                           " JOIN conversations c ON c.id = m.conversation_id"
                           " WHERE messages_fts MATCH ?1 ORDER BY messages_fts.rank, m.seq"
                           " LIMIT ?2",
                           -1, &s, NULL) != SQLITE_OK) {
        set_err(err, "prepare", st->db);
        goto out;
    }
    bind_text(s, 1, query);
    sqlite3_bind_int64(s, 2, limit);
    ret = collect_msgs(s, 0, out, n);
    if (ret != DS_OK && err) {
        /* The extended code plus message is what sqlx reports inside DbErr. */
        const char *m = sqlite3_errmsg(st->db);
        size_t cap = strlen(m) + 32;
        *err = xmalloc(cap);
        snprintf(*err, cap, "(code: %d) %s", sqlite3_extended_errcode(st->db), m);
    }
    sqlite3_finalize(s);
out:
    unlock(st);
    return ret;
}

int ds_store_distinct(ds_store *st, const char *column, char ***out, size_t *n)
{
    const char *sql = strcmp(column, "folder") == 0
                          ? "SELECT DISTINCT folder FROM conversations ORDER BY folder"
                          : "SELECT DISTINCT label FROM conversations ORDER BY label";
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st, sql);
    if (s) {
        size_t cap = 8, len = 0;
        char **v = xmalloc(cap * sizeof *v);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (len == cap) {
                cap *= 2;
                char **nv = realloc(v, cap * sizeof *v);
                if (!nv)
                    abort();
                v = nv;
            }
            v[len++] = col_dup(s, 0);
        }
        if (rc == SQLITE_DONE) {
            *out = v;
            *n = len;
            ret = DS_OK;
        } else {
            ds_strv_free(v, len);
        }
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_stats(ds_store *st, const char *folder, const char *label, long long *count,
                   double *avg_importance)
{
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st, "SELECT COUNT(*), COALESCE(AVG(importance_score), 0)"
                               " FROM conversations"
                               " WHERE (?1 IS NULL OR folder = ?1) AND (?2 IS NULL OR label = ?2)");
    if (s) {
        bind_text(s, 1, folder);
        bind_text(s, 2, label);
        if (sqlite3_step(s) == SQLITE_ROW) {
            *count = sqlite3_column_int64(s, 0);
            *avg_importance = sqlite3_column_double(s, 1);
            ret = DS_OK;
        }
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_stale(ds_store *st, const char *cutoff, ds_conv **out, size_t *n)
{
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st, "SELECT " CONV_COLS " FROM conversations c"
                               " WHERE c.status = 'active' AND c.updated_at < ?1"
                               " ORDER BY c.updated_at, c.seq");
    if (s) {
        bind_text(s, 1, cutoff);
        ret = collect_convs(s, out, n);
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_totals(ds_store *st, ds_totals *t)
{
    int ret = DS_ERR;
    lock(st);
    sqlite3_stmt *s = prep(st,
        "SELECT (SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM messages),"
        " (SELECT COUNT(*) FROM conversations WHERE status = 'archived'),"
        " (SELECT COUNT(*) FROM conversations WHERE importance_score >= 10)");
    if (s) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            t->conversations = sqlite3_column_int64(s, 0);
            t->messages = sqlite3_column_int64(s, 1);
            t->archived = sqlite3_column_int64(s, 2);
            t->pinned = sqlite3_column_int64(s, 3);
            ret = DS_OK;
        }
        sqlite3_finalize(s);
    }
    unlock(st);
    return ret;
}

int ds_store_reembed(ds_store *st)
{
    int ret = DS_ERR;
    float emb[DS_EMBED_DIM];
    lock(st);
    sqlite3_stmt *sel = prep(st, "SELECT seq, content FROM messages");
    sqlite3_stmt *upd = prep(st, "UPDATE messages SET embedding = ?2 WHERE seq = ?1");
    if (sel && upd && exec(st, "BEGIN IMMEDIATE") == 0) {
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            const unsigned char *text = sqlite3_column_text(sel, 1);
            size_t len = (size_t)sqlite3_column_bytes(sel, 1);
            ds_embed(text ? (const char *)text : "", text ? len : 0, emb);
            sqlite3_reset(upd);
            sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
            sqlite3_bind_blob(upd, 2, emb, (int)sizeof emb, SQLITE_TRANSIENT);
            if (sqlite3_step(upd) != SQLITE_DONE) {
                rc = SQLITE_ERROR;
                break;
            }
        }
        if (rc == SQLITE_DONE && exec(st, "COMMIT") == 0)
            ret = DS_OK;
        else
            exec(st, "ROLLBACK");
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    unlock(st);
    return ret;
}

int ds_store_ping(ds_store *st)
{
    lock(st);
    int ok = exec(st, "SELECT 1") == 0;
    unlock(st);
    return ok ? DS_OK : DS_ERR;
}
