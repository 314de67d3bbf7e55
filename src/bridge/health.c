/* The bridge health check: GET /health, answered with the shared sekha_health report
 * (src/shared/health.c holds the decoder and the bridge's verdict rule). */
#include "bridge/internal.h"

sekha_request *sekha_bridge_health(sekha_client *c, sekha_health_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha__spec spec = {
        .service = SEKHA_SERVICE_BRIDGE,
        .method = "GET",
        .path = "/health",
        .accept = "application/json",
        .flags = SEKHA_HTTP_NO_RETRY, /* a probe reports the state at the time of asking */
        .what = "bridge GET /health",
    };
    return sekha__call(c, &spec, &sekha__health_bridge_call, NULL, NULL, (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(health_sync_cb, sekha_health, sekha_health_copy)

sekha_code sekha_bridge_health_sync(sekha_client *c, sekha_health **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_health(c, health_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_health_free, err);
}
