#include "core/internal.h"

#include <sodium.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -1;

static void init_all(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return;
    if (sodium_init() < 0) {
        curl_global_cleanup();
        return;
    }
    init_result = 0;
}

const char *sekha_version(void)
{
    return SEKHA_VERSION;
}

int sekha_global_init(void)
{
    pthread_once(&init_once, init_all);
    return init_result;
}

void sekha_global_cleanup(void)
{
    if (init_result == 0)
        curl_global_cleanup();
}
