/* libsekha: the bridge sub-client (filled in by its issue). */
#ifndef SEKHA_BRIDGE_H
#define SEKHA_BRIDGE_H

#include "client.h"

#endif
