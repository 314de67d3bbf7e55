/* A memory-assisted chat turn, streamed: the controller assembles context from what it
 * remembers, the bridge answers with that context, and the tokens are printed as they
 * arrive. Afterwards the memories the answer used are listed.
 *
 * Usage: memory_chat QUESTION [CONTEXT_QUERY]
 * Configuration from the environment: SEKHA_CONTROLLER_URL, SEKHA_BRIDGE_URL, SEKHA_API_KEY,
 * ... (see sekha_options_from_env). Exit status 0 on success, 1 when the turn failed. */
#include <stdio.h>

#include <sekha/sekha.h>

static int on_token(sekha_request *req, const sekha_chunk *chunk, void *userdata)
{
    (void)req;
    (void)userdata;
    size_t len;
    const char *text = sekha_chunk_content(chunk, &len);
    fwrite(text, 1, len, stdout);
    fflush(stdout); /* show each token now, not when a buffer fills */
    return SEKHA_EVENT_CONTINUE;
}

static void on_answer(sekha_request *req, const sekha_error *err, const sekha_answer *answer,
                      void *userdata)
{
    (void)req;
    int *status = userdata;
    putchar('\n');
    if (err) {
        fprintf(stderr, "failed: %s\n", sekha_error_message(err));
        *status = 1;
        return;
    }
    /* The answer is lent: read what is needed now, it is freed after this returns. */
    size_t n = sekha_answer_memory_count(answer);
    printf("-- %zu memor%s used", n, n == 1 ? "y" : "ies");
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : ": ", sekha_answer_memory_label(answer, i));
    putchar('\n');
    *status = 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s QUESTION [CONTEXT_QUERY]\n", argv[0]);
        return 2;
    }
    sekha_options *opts = sekha_options_new();
    if (!opts || sekha_options_from_env(opts) != SEKHA_OK) {
        fprintf(stderr, "bad environment: %s\n", sekha_options_last_error(opts));
        return 2;
    }
    sekha_error *err = NULL;
    sekha_client *client = sekha_client_new(opts, &err);
    sekha_options_free(opts);
    if (!client) {
        fprintf(stderr, "%s\n", sekha_error_message(err));
        sekha_error_free(err);
        return 2;
    }
    int status = 1;
    /* Unset keys keep their defaults: a context budget of 4000 tokens, no preferred labels
     * or excluded folders, the bridge's default model and temperature. */
    sekha_params *params = sekha_params_new();
    sekha_params_set_on_chunk(params, on_token, NULL);
    if (argc > 2)
        sekha_params_set_text(params, SEKHA_PARAM_CONTEXT_QUERY, argv[2]);
    sekha_workflow_stream_with_context(client, argv[1], params, on_answer, &status);
    sekha_params_free(params); /* read by the call */
    sekha_client_run(client); /* returns once the answer's final callback has run */
    sekha_client_free(client);
    return status;
}
