/* sekha subcommands of the bridge's registry: models, providers and route (which provider
 * and model the bridge would use for a task). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/cnum.h"

static int cmd_models(cli *c, int argc, char **argv);
static int cmd_providers(cli *c, int argc, char **argv);
static int cmd_route(cli *c, int argc, char **argv);

const cli_command cli_bridge_routes_commands[] = {
    {"models", cmd_models, "models [--json]", "the models the bridge's providers serve",
     "Lists every model the bridge knows (GET /api/v1/models).\n"
     "Output: one line per model: id, provider, task, context window (tokens) and, for\n"
     "  embedding models, the vector's dimension; \"-\" where the bridge sent nothing.\n"
     "--json: the bridge's list as one JSON value.\n"
     "Environment: SEKHA_BRIDGE_URL (the bridge's base URL), SEKHA_BRIDGE_API_KEY.\n"
     "Exit status: 0 done, 1 the bridge refused, 2 bad usage, 3 bridge unreachable or\n"
     "  timed out.\n"},
    {"providers", cmd_providers, "providers [--json]",
     "the bridge's providers and the state of their circuit breakers",
     "Shows each LLM provider of the bridge (GET /api/v1/health/providers): its type, its\n"
     "  circuit breaker (closed: working; open: failing, not used; half_open: being tried\n"
     "  again), its models and the failures counted. Never retried: it reports the state\n"
     "  at the time of asking.\n"
     "Output: one line per provider, then how many are healthy.\n"
     "--json: the bridge's report as one JSON value.\n"
     "Environment: SEKHA_BRIDGE_URL, SEKHA_BRIDGE_API_KEY.\n"
     "Exit status: 0 done (whatever the providers' states), 1 the bridge refused, 2 bad\n"
     "  usage, 3 bridge unreachable or timed out.\n"},
    {"route", cmd_route,
     "route TASK [--model M] [--require-vision] [--max-cost USD] [--context-size N] [--json]",
     "which provider and model the bridge would use for a task",
     "Asks the bridge to route a task (POST /api/v1/route) without running it.\n"
     "Arguments:\n"
     "  TASK               embedding, chat_small, chat_large, chat_smart, vision, audio or\n"
     "                     image_generation (the bridge's list; a newer bridge may have more)\n"
     "Flags:\n"
     "  --model M          the preferred model (default: none)\n"
     "  --require-vision   only a model that takes images (default: any)\n"
     "  --max-cost USD     the most one request may cost, a number >= 0 (default: no limit)\n"
     "  --context-size N   the context window needed, in tokens, N >= 1 (default: any)\n"
     "Output: the model, the provider (and its type), the estimated cost and the reason.\n"
     "--json: the bridge's answer as one JSON value.\n"
     "Environment: SEKHA_BRIDGE_URL, SEKHA_BRIDGE_API_KEY.\n"
     "Exit status: 0 done, 1 the bridge refused (an unknown task, no provider for it), 2 bad\n"
     "  usage, 3 bridge unreachable or timed out.\n"},
    {0, 0, 0, 0, 0},
};

/* Runs the command's call: prints the cause and returns its exit status on failure. */
static int failed(cli *c, sekha_code code, sekha_error *err)
{
    if (code == SEKHA_OK)
        return 0;
    int rc = cli_fail(c, err);
    sekha_error_free(err);
    return rc ? rc : CLI_FAILED;
}

static void print_text(const char *s)
{
    fputs(s ? s : "-", stdout);
}

static void print_long(long v)
{
    if (v < 0)
        fputs("-", stdout);
    else
        printf("%ld", v);
}

static int cmd_models(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 0, 0, &p);
    if (rc)
        return rc;
    cli_parsed_free(&p);
    sekha_client *client = cli_client(c);
    if (!client)
        return CLI_FAILED;
    sekha_models *m = NULL;
    sekha_error *err = NULL;
    cli_spinner_start(c, "waiting");
    sekha_code code = sekha_bridge_models_sync(client, NULL, &m, &err);
    cli_spinner_stop();
    if ((rc = failed(c, code, err)) != 0)
        return rc;
    if (c->json) {
        cli_print_json(sekha_models_json(m));
    } else {
        for (size_t i = 0; i < sekha_models_count(m); i++) {
            const sekha_model *x = sekha_models_at(m, i);
            printf("%s  ", sekha_model_id(x));
            print_text(sekha_model_provider(x));
            fputs("  ", stdout);
            print_text(sekha_model_task(x));
            fputs("  context ", stdout);
            print_long(sekha_model_context_window(x));
            if (sekha_model_dimension(x) >= 0)
                printf("  dimension %ld", sekha_model_dimension(x));
            if (sekha_model_supports_vision(x) == 1)
                fputs("  vision", stdout);
            if (sekha_model_supports_audio(x) == 1)
                fputs("  audio", stdout);
            putchar('\n');
        }
    }
    sekha_models_free(m);
    return CLI_OK;
}

static int cmd_providers(cli *c, int argc, char **argv)
{
    parsed p;
    int rc = cli_parse(c, argc, argv, NULL, 0, 0, 0, &p);
    if (rc)
        return rc;
    cli_parsed_free(&p);
    sekha_client *client = cli_client(c);
    if (!client)
        return CLI_FAILED;
    sekha_providers *r = NULL;
    sekha_error *err = NULL;
    cli_spinner_start(c, "checking");
    sekha_code code = sekha_bridge_providers_sync(client, NULL, &r, &err);
    cli_spinner_stop();
    if ((rc = failed(c, code, err)) != 0)
        return rc;
    if (c->json) {
        cli_print_json(sekha_providers_json(r));
    } else {
        for (size_t i = 0; i < sekha_providers_count(r); i++) {
            const sekha_provider *x = sekha_providers_at(r, i);
            printf("%s  ", sekha_provider_id(x));
            print_text(sekha_provider_type(x));
            fputs("  ", stdout);
            print_text(sekha_provider_state(x));
            fputs("  models ", stdout);
            print_long(sekha_provider_models_count(x));
            fputs("  failures ", stdout);
            print_long(sekha_provider_failure_count(x));
            if (sekha_provider_last_failure(x))
                printf("  last failure %s", sekha_provider_last_failure(x));
            putchar('\n');
        }
        long healthy = sekha_providers_healthy(r);
        if (healthy >= 0)
            printf("healthy: %ld of %zu\n", healthy, sekha_providers_count(r));
    }
    sekha_providers_free(r);
    return CLI_OK;
}

static int parse_cost(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = sekha__strtod_c(s, &end);
    if (errno || end == s || *end || !isfinite(d) || d < 0)
        return -1;
    *out = d;
    return 0;
}

static int cmd_route(cli *c, int argc, char **argv)
{
    const char *model = NULL, *cost = NULL;
    int vision = 0;
    long ctx = -1;
    const flag_spec flags[] = {
        {"--model", F_STR, &model},
        {"--require-vision", F_BOOL, &vision},
        {"--max-cost", F_STR, &cost},
        {"--context-size", F_LONG, &ctx},
    };
    parsed p;
    int rc = cli_parse(c, argc, argv, flags, sizeof flags / sizeof *flags, 1, 1, &p);
    if (rc)
        return rc;
    const cli_command *cmd = p.cmd;
    double max_cost = 0;
    if (cost && parse_cost(cost, &max_cost) != 0) {
        cli_parsed_free(&p);
        return cli_usage(c, cmd, "--max-cost needs a number >= 0");
    }
    if (ctx == 0) {
        cli_parsed_free(&p);
        return cli_usage(c, cmd, "--context-size needs a whole number >= 1");
    }
    sekha_client *client = cli_client(c);
    sekha_params *prm = client ? sekha_params_new() : NULL;
    if (!prm) {
        cli_parsed_free(&p);
        return CLI_FAILED;
    }
    /* A setter that fails is remembered and reported by the call (nothing sent). */
    if (model)
        sekha_params_set_text(prm, SEKHA_PARAM_MODEL, model);
    if (vision)
        sekha_params_set_int(prm, SEKHA_PARAM_REQUIRE_VISION, 1);
    if (cost)
        sekha_params_set_real(prm, SEKHA_PARAM_MAX_COST, max_cost);
    if (ctx > 0)
        sekha_params_set_int(prm, SEKHA_PARAM_CONTEXT_SIZE, ctx);
    sekha_route *r = NULL;
    sekha_error *err = NULL;
    cli_spinner_start(c, "waiting");
    sekha_code code = sekha_bridge_route_sync(client, p.pos[0], prm, &r, &err);
    cli_spinner_stop();
    sekha_params_free(prm);
    cli_parsed_free(&p);
    if ((rc = failed(c, code, err)) != 0)
        return rc;
    if (c->json) {
        cli_print_json(sekha_route_json(r));
    } else {
        printf("model     %s\nprovider  %s", sekha_route_model(r), sekha_route_provider(r));
        if (sekha_route_provider_type(r))
            printf(" (%s)", sekha_route_provider_type(r));
        if (sekha_route_estimated_cost(r) >= 0) {
            char num[32];
            sekha__snprintf_c(num, sizeof num, "%.6g", sekha_route_estimated_cost(r));
            printf("\ncost      %s USD", num);
        }
        if (sekha_route_reason(r))
            printf("\nreason    %s", sekha_route_reason(r));
        putchar('\n');
    }
    sekha_route_free(r);
    return CLI_OK;
}
