/* fuzz — what the libFuzzer targets of tests/fuzz share: the entry point's prototype, a check
 * that aborts loudly (libFuzzer then keeps the input as a crash), and the gateway's default
 * configuration. */
#ifndef JUBAO_FUZZ_H
#define JUBAO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);       \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* The built-in defaults (and JUBAO_* from the environment), loaded once; aborts when they do
 * not load. */
static inline const struct conf *fuzz_conf(void)
{
    static struct conf c;
    static int loaded;
    char err[256];
    if (!loaded && conf_load(&c, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    loaded = 1;
    return &c;
}

#endif
