/* A header that breaks every convention scripts/check-api enforces: the api_shape_bad
 * test expects the checker to refuse it, so a checker that stopped checking is noticed. */
#include <math.h>
typedef struct sekha_thing sekha_thing;
typedef struct sekha_message_builder sekha_message_builder;
SEKHA_API void sekha_thing_free(sekha_thing *t);
SEKHA_API sekha_thing *sekha_thing_retain(const sekha_thing *t);
SEKHA_API sekha_request *sekha_thing_get(sekha_client *c, const char *a, const char *b, int x,
                                         double y, sekha_thing_cb cb, void *userdata);
