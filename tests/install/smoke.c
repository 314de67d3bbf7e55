/* Compiled against an installed libsekha through pkg-config by scripts/test: proves the
 * umbrella header is self-contained and the library links. */
#include <sekha/sekha.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    sekha_options *o = sekha_options_new();
    sekha_client *c = sekha_client_new(o, NULL);
    int ok = o && c && strcmp(sekha_version(), SEKHA_VERSION) == 0;
    sekha_client_free(c);
    sekha_options_free(o);
    printf("libsekha %s: %s\n", sekha_version(), ok ? "ok" : "broken");
    return ok ? 0 : 1;
}
