/* A health probe for a Sekha deployment, e.g. a container HEALTHCHECK or a CI gate: the
 * controller, the bridge and MCP are checked at the same time, one line per service.
 *
 * Usage: health_probe [TIMEOUT_MS]     (configuration from SEKHA_* variables)
 * Exit status: 0 all healthy, 1 something degraded or unhealthy, 2 something unreachable. */
#include <stdio.h>
#include <stdlib.h>

#include <sekha/sekha.h>

static void on_health(sekha_request *req, const sekha_error *err,
                      const sekha_deployment_health *health, void *userdata)
{
    (void)req;
    int *status = userdata;
    if (err) { /* only a bad argument, a cancel or no memory: a down service is not an error */
        fprintf(stderr, "health check failed: %s\n", sekha_error_message(err));
        *status = 2;
        return;
    }
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        sekha_service svc = (sekha_service)i;
        printf("%-10s %-11s %8.1f ms  %s\n", sekha_service_name(svc),
               sekha_service_status_name(sekha_deployment_health_status(health, svc)),
               sekha_deployment_health_latency_ms(health, svc),
               sekha_deployment_health_detail(health, svc));
    }
    sekha_service_status overall = sekha_deployment_health_overall(health);
    *status = overall == SEKHA_STATUS_HEALTHY ? 0 : overall == SEKHA_STATUS_UNREACHABLE ? 2 : 1;
}

int main(int argc, char **argv)
{
    long timeout_ms = argc > 1 ? strtol(argv[1], NULL, 10) : 0; /* 0 = 5 s */
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
    /* Unset = 5 s; a bad value is reported by the call, through on_health. */
    sekha_params *params = sekha_params_new();
    if (params && timeout_ms)
        sekha_params_set_int(params, SEKHA_PARAM_TIMEOUT_MS, timeout_ms);
    int status = 2;
    sekha_workflow_health_check(client, params, on_health, &status);
    sekha_params_free(params); /* read by the call */
    sekha_client_run(client);
    sekha_client_free(client);
    return status;
}
