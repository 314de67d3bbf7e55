/* libsekha: the controller sub-client (filled in by its issue). */
#ifndef SEKHA_CONTROLLER_H
#define SEKHA_CONTROLLER_H

#include "client.h"

#endif
