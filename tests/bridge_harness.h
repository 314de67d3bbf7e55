/* Shared by the bridge tests (devserver and third-party peer): record what a completion
 * or a stream delivered, copied out of the lent objects, and run one chat request. */
#ifndef SEKHA_TEST_BRIDGE_HARNESS_H
#define SEKHA_TEST_BRIDGE_HARNESS_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sekha/sekha.h"
#include "testutil.h"

/* What a stream or a completion delivered, copied out of the lent objects. */
typedef struct run {
    int chunks, finals, roles, finishes, synthetic, bad_index;
    int cancel_at, stop_at, pause_at; /* act at this chunk (1-based) */
    char seen[2048];                  /* the chunk contents, concatenated */
    size_t seen_len;
    sekha_code code;
    sekha_layer layer;
    int status, attempts;
    long service_code;
    char message[512], service_msg[256];
    int has_result, complete, streamed;
    size_t res_chunks;
    char text[2048], finish[32], model[64], role[32], id[64], json[4096];
    long usage[3];
    int has_usage;
} run;

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    run *r = ud;
    cr_assert_eq(r->finals, 0, "a chunk after the final callback");
    size_t len;
    const char *c = sekha_chunk_content(ch, &len);
    cr_assert_eq(strlen(c), len);
    if (r->seen_len + len < sizeof r->seen) {
        memcpy(r->seen + r->seen_len, c, len + 1);
        r->seen_len += len;
    }
    r->bad_index += sekha_chunk_index(ch) != (size_t)r->chunks;
    r->roles += sekha_chunk_role(ch) != NULL;
    r->finishes += sekha_chunk_finish_reason(ch) != NULL;
    r->synthetic += sekha_chunk_synthetic(ch);
    size_t dlen;
    cr_assert_not_null(sekha_chunk_data(ch, &dlen));
    cr_assert_gt(dlen, 0);
    r->chunks++;
    if (r->chunks == r->cancel_at)
        sekha_request_cancel(req);
    if (r->chunks == r->stop_at)
        return SEKHA_EVENT_STOP;
    return r->chunks == r->pause_at ? SEKHA_EVENT_PAUSE : SEKHA_EVENT_CONTINUE;
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "(null)");
}

static void record_error(run *r, const sekha_error *err)
{
    r->code = sekha_error_code(err);
    r->layer = sekha_error_layer(err);
    r->status = sekha_error_http_status(err);
    r->attempts = sekha_error_attempts(err);
    r->service_code = sekha_error_service_code(err);
    copy(r->message, sizeof r->message, sekha_error_message(err));
    copy(r->service_msg, sizeof r->service_msg, sekha_error_service_message(err));
}

static void record_result(run *r, const sekha_completion *c)
{
    r->has_result = c != NULL;
    if (!c)
        return;
    copy(r->text, sizeof r->text, sekha_completion_content(c, NULL));
    copy(r->finish, sizeof r->finish, sekha_completion_finish_reason(c));
    copy(r->model, sizeof r->model, sekha_completion_model(c));
    copy(r->role, sizeof r->role, sekha_completion_role(c));
    copy(r->id, sizeof r->id, sekha_completion_id(c));
    copy(r->json, sizeof r->json, sekha_completion_json(c));
    r->complete = sekha_completion_complete(c);
    r->streamed = sekha_completion_streamed(c);
    r->res_chunks = sekha_completion_chunks(c);
    r->has_usage = sekha_completion_usage(c, &r->usage[0], &r->usage[1], &r->usage[2]);
}

static void on_final(sekha_request *req, const sekha_error *err, const sekha_completion *c, void *ud)
{
    (void)req;
    run *r = ud;
    r->finals++;
    record_error(r, err);
    record_result(r, c);
}

/* Parameters of a chat call: model NULL, temperature < 0 and max_tokens 0 leave the key
 * unset; on_chunk_ud non-NULL sets the harness's chunk callback with it. */
static sekha_params *chat_params(const char *model, double temperature, long max_tokens,
                                 run *on_chunk_ud)
{
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    if (model)
        cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, model), SEKHA_OK);
    if (temperature >= 0)
        cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, temperature), SEKHA_OK);
    if (max_tokens > 0)
        cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, max_tokens), SEKHA_OK);
    if (on_chunk_ud)
        cr_assert_eq(sekha_params_set_on_chunk(p, on_chunk, on_chunk_ud), SEKHA_OK);
    return p;
}

/* Streams (or completes, stream == 0) one user message with temperature 0 and runs the
 * loop until the final callback. */
static void run_chat_on(sekha_client *c, int stream, const char *system, const char *user,
                        long max_tokens, run *r)
{
    sekha_messages *m = msgs_of(system, user);
    sekha_params *p = chat_params(NULL, 0.0, max_tokens, stream ? r : NULL);
    sekha_request *req = stream ? sekha_bridge_stream_complete(c, m, p, on_final, r)
                                : sekha_bridge_complete(c, m, p, on_final, r);
    cr_assert_not_null(req);
    sekha_messages_free(m); /* the request holds its own copy */
    sekha_params_free(p);   /* read by the call */
    cr_assert_eq(r->finals, 0, "final callback from inside the call");
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r->finals, 1);
}

#endif
