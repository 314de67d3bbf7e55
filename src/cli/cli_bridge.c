/* sekha subcommands of the bridge area: complete (streamed to the terminal as tokens
 * arrive) and embed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/cnum.h"

/* Parsed command line of one bridge command. */
typedef struct bridge_args {
    const char *text;       /* the positional PROMPT or TEXT */
    const char *system;
    const char *model;
    double temperature;
    long max_tokens;
    int no_stream;
    sekha_embed_api api;
} bridge_args;

static int parse_temperature(const char *s, double *out)
{
    char *end;
    errno = 0;
    double t = sekha__strtod_c(s, &end);
    if (errno || end == s || *end || !isfinite(t) || t < 0 || t > 2)
        return -1;
    *out = t;
    return 0;
}

static int parse_api(const char *s, sekha_embed_api *out)
{
    static const char *const names[] = {"sekha", "sekha-v1", "openai"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (sekha_embed_api)i;
            return 0;
        }
    return -1;
}

/* 1 when word is one of the space-separated words of list. */
static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Flags are accepted before or after the positional argument ("--" ends the flags). `valued` lists the flags
 * this command takes with a value, `plain` those without. Returns 0 or CLI_USAGE. */
static int parse(cli *c, const cli_command *cmd, int argc, char **argv, const char *valued,
                 const char *plain, bridge_args *a)
{
    *a = (bridge_args){.temperature = NAN, .max_tokens = 0};
    int flags_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!flags_done && strcmp(f, "--") == 0) {
            flags_done = 1;
            continue;
        }
        if (flags_done || strncmp(f, "--", 2) != 0) {
            if (a->text)
                return cli_usage(c, cmd, "one argument expected, got \"%s\" too", f);
            a->text = f;
            continue;
        }
        if (in_list(plain, f)) {
            a->no_stream = 1;
            continue;
        }
        if (!in_list(valued, f))
            return cli_usage(c, cmd, "unknown flag %s", f);
        if (i + 1 >= argc)
            return cli_usage(c, cmd, "%s needs a value", f);
        const char *v = argv[++i];
        if (strcmp(f, "--system") == 0)
            a->system = v;
        else if (strcmp(f, "--model") == 0)
            a->model = v;
        else if (strcmp(f, "--temperature") == 0 && parse_temperature(v, &a->temperature))
            return cli_usage(c, cmd, "--temperature must be a number from 0 to 2");
        else if (strcmp(f, "--max-tokens") == 0 && (a->max_tokens = cli_parse_long(v)) < 1)
            return cli_usage(c, cmd, "--max-tokens must be a whole number >= 1");
        else if (strcmp(f, "--api") == 0 && parse_api(v, &a->api))
            return cli_usage(c, cmd, "--api must be sekha, sekha-v1 or openai");
    }
    if (!a->text)
        return cli_usage(c, cmd, "missing argument");
    return 0;
}

/* ---- complete ---- */

typedef struct complete_run {
    cli *c;
    int printed;      /* some text went to stdout */
    int done;
    int status;
} complete_run;

static int print_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    complete_run *r = ud;
    cli_print_token(r->c, req, ch, &r->printed);
    return SEKHA_EVENT_CONTINUE;
}

/* Prints the end of a reply: the JSON with --json, else the newline (and for a reply that
 * did not stream, the text). Text already streamed stays on stdout even on failure, ended
 * by a newline; nothing else goes there on failure. Returns the exit status. */
static int finish(cli *c, const sekha_error *err, const sekha_completion *res, int printed)
{
    cli_spinner_stop();
    if (printed || (!err && !c->json)) {
        if (!printed)
            fputs(sekha_completion_content(res, NULL), stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    if (err && sekha_error_code(err) == SEKHA_E_CANCELLED && cli_interrupted()) {
        fprintf(stderr, "%s: interrupted\n", c->prog);
        return CLI_INTERRUPTED;
    }
    if (err)
        return cli_fail(c, err);
    if (c->json) {
        const char *json = sekha_completion_json(res);
        if (!json) {
            fprintf(stderr, "%s: the completion has no JSON form (out of memory?)\n", c->prog);
            return CLI_FAILED;
        }
        cli_print_json(json);
    }
    return CLI_OK;
}

static void complete_done(sekha_request *req, const sekha_error *err, const sekha_completion *res,
                          void *ud)
{
    (void)req;
    complete_run *r = ud;
    r->status = finish(r->c, err, res, r->printed);
    r->done = 1;
}

static int cmd_complete(cli *c, int argc, char **argv);

static int cmd_embed(cli *c, int argc, char **argv);

const cli_command cli_bridge_commands[] = {
    {"complete", cmd_complete,
     "complete PROMPT [--system TEXT] [--model M] [--temperature T] [--max-tokens N] "
     "[--no-stream]",
     "chat completion from the bridge, streamed as it arrives",
     "Arguments:\n"
     "  PROMPT             the user message; \"-\" reads it from stdin (up to 64 MiB)\n"
     "Flags:\n"
     "  --system TEXT      a system message sent before PROMPT (default: none; \"-\" reads stdin)\n"
     "  --model M          the model to ask for (default: the bridge's default model)\n"
     "  --temperature T    sampling temperature, a number from 0 to 2 (default: not sent,\n"
     "                     the bridge's default applies); sekha-llm-bridge replaces 0\n"
     "                     with 0.7, so 0 says so on stderr\n"
     "  --max-tokens N     at most N tokens in the reply, N >= 1 (default: not sent, no limit)\n"
     "  --no-stream        ask for the whole reply in one answer instead of token by token\n"
     "                     (default: streamed)\n"
     "Output: the reply's text on stdout as the tokens arrive, then a newline. When the\n"
     "  stream fails midway, the text so far stays on stdout (ended by a newline) and the\n"
     "  cause goes to stderr.\n"
     "--json: no tokens; only the final completion object (id, model, choices[0].message,\n"
     "  finish_reason, usage) as one JSON value once the reply is complete.\n"
     "Ctrl-C: stops the stream; the text so far is ended by a newline, exit status 130.\n"
     "Environment: SEKHA_BRIDGE_URL (the bridge's base URL; POST /v1/chat/completions),\n"
     "  SEKHA_BRIDGE_API_KEY (its key, when it wants one).\n"
     "Exit status: 0 done, 1 the bridge refused (HTTP error or an error in the stream),\n"
     "  2 bad usage or input (nothing sent), 3 bridge unreachable or timed out, 130 Ctrl-C.\n"},
    {"embed", cmd_embed, "embed TEXT [--model M] [--api sekha|sekha-v1|openai]",
     "embedding vector of TEXT from the bridge",
     "Arguments:\n"
     "  TEXT               the text to embed; \"-\" reads it from stdin (up to 64 MiB)\n"
     "Flags:\n"
     "  --model M          the embedding model (default: the bridge's default)\n"
     "  --api NAME         which route and wire shape (default: sekha):\n"
     "                       sekha      POST /embed, as sekha-llm-bridge serves it\n"
     "                       sekha-v1   POST /api/v1/embed, the same shape, versioned path\n"
     "                       openai     POST /v1/embeddings, OpenAI-compatible servers\n"
     "Output: the vector's numbers on one line, separated by spaces.\n"
     "--json: the bridge's reply as one JSON value (the vector, model and usage fields as\n"
     "  the chosen route returns them).\n"
     "Environment: SEKHA_BRIDGE_URL (the bridge's base URL), SEKHA_BRIDGE_API_KEY.\n"
     "Exit status: 0 done, 1 the bridge refused, 2 bad usage or input (nothing sent),\n"
     "  3 bridge unreachable or timed out.\n"},
    {0, 0, 0, 0, 0},
};

static int cmd_complete(cli *c, int argc, char **argv)
{
    bridge_args a;
    int rc = parse(c, &cli_bridge_commands[0], argc, argv,
                   "--system --model --temperature --max-tokens", "--no-stream", &a);
    if (rc)
        return rc;
    char *prompt, *system_in = NULL;
    size_t len;
    if ((rc = cli_read_text(c, a.text, &prompt, &len)) != 0)
        return rc;
    if ((rc = cli_flag_text(c, &a.system, &system_in)) != 0) {
        free(prompt);
        return rc;
    }
    sekha_client *client = cli_client(c);
    if (!client) {
        free(prompt);
        free(system_in);
        return CLI_FAILED;
    }
    sekha_messages *msgs = sekha_messages_new();
    if (!msgs || (a.system && sekha_messages_add(msgs, "system", a.system) != SEKHA_OK) ||
        sekha_messages_add(msgs, "user", prompt) != SEKHA_OK) {
        sekha_messages_free(msgs);
        free(prompt);
        free(system_in);
        return cli_usage(c, &cli_bridge_commands[0],
                         "the prompt and --system must be valid UTF-8 without NUL bytes");
    }
    free(prompt);
    free(system_in);
    complete_run r = {c, 0, 0, CLI_FAILED};
    sekha_params *p = sekha_params_new();
    if (!p) {
        sekha_messages_free(msgs);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return CLI_FAILED;
    }
    /* A setter that fails is remembered and reported by the call (nothing sent). */
    if (a.model)
        sekha_params_set_text(p, SEKHA_PARAM_MODEL, a.model);
    if (!isnan(a.temperature))
        sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, a.temperature);
    if (a.temperature == 0) /* sent as 0, but the Sekha bridge reads "temperature or 0.7" */
        fprintf(stderr, "%s: note: the Sekha bridge may replace temperature 0 with its "
                        "default, 0.7\n", c->prog);
    if (a.max_tokens > 0)
        sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, a.max_tokens);
    cli_spinner_start(c, "waiting");
    if (a.no_stream) {
        sekha_completion *res = NULL;
        sekha_error *err = NULL;
        sekha_bridge_complete_sync(client, msgs, p, &res, &err);
        r.status = finish(c, err, res, 0);
        sekha_completion_free(res);
        sekha_error_free(err);
    } else {
        sekha_params_set_on_chunk(p, print_chunk, &r);
        sekha_request *req = sekha_bridge_stream_complete(client, msgs, p, complete_done, &r);
        if (req)
            cli_run_interruptible(client, req, &r.done);
        else
            fprintf(stderr, "%s: out of memory\n", c->prog);
    }
    sekha_params_free(p);
    sekha_messages_free(msgs);
    return r.status;
}

/* ---- embed ---- */

static int cmd_embed(cli *c, int argc, char **argv)
{
    bridge_args a;
    int rc = parse(c, &cli_bridge_commands[1], argc, argv, "--model --api", "", &a);
    if (rc)
        return rc;
    char *text;
    size_t len;
    if ((rc = cli_read_text(c, a.text, &text, &len)) != 0)
        return rc;
    sekha_client *client = cli_client(c);
    if (!client) {
        free(text);
        return CLI_FAILED;
    }
    const char *texts[1] = {text};
    sekha_embeddings *e = NULL;
    sekha_error *err = NULL;
    sekha_params *p = sekha_params_new();
    if (!p) {
        free(text);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return CLI_FAILED;
    }
    if (a.model)
        sekha_params_set_text(p, SEKHA_PARAM_MODEL, a.model);
    sekha_params_set_int(p, SEKHA_PARAM_EMBED_API, a.api);
    cli_spinner_start(c, "waiting");
    sekha_code code = sekha_bridge_embed_sync(client, texts, 1, p, &e, &err);
    cli_spinner_stop();
    sekha_params_free(p);
    free(text);
    if (code != SEKHA_OK) {
        rc = cli_fail(c, err);
        sekha_error_free(err);
        return rc;
    }
    if (c->json) {
        cli_print_json(sekha_embeddings_json(e));
    } else {
        size_t dim;
        const float *v = sekha_embeddings_vector(e, 0, &dim);
        for (size_t i = 0; i < dim; i++)
            printf(i ? " %.9g" : "%.9g", (double)v[i]);
        putchar('\n');
    }
    sekha_embeddings_free(e);
    return CLI_OK;
}
