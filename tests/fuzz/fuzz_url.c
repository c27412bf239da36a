/* Fuzz target: the URL canonicalizer (lib/url.c url_canonicalize). Besides memory errors it
 * checks the contract of url.h: a canonical URL has an http(s) scheme, a host, no fragment,
 * at most 4096 bytes, and canonicalizes to itself (two spellings of one target must land in
 * one case). */
#include <string.h>

#include "fuzz.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    memcpy(in, data, size);
    struct url_parts p;
    char err[256];
    if (url_canonicalize(in, size, &p, err, sizeof err) == 0) {
        FUZZ_CHECK(strlen(p.canonical) <= 4096);
        FUZZ_CHECK(strcmp(p.scheme, "http") == 0 || strcmp(p.scheme, "https") == 0);
        FUZZ_CHECK(p.host[0] && p.domain[0]);
        FUZZ_CHECK(!strchr(p.canonical, '#'));
        struct url_parts again;
        FUZZ_CHECK(url_canonicalize(p.canonical, strlen(p.canonical), &again, err,
                                    sizeof err) == 0);
        if (strcmp(again.canonical, p.canonical) != 0) {
            fprintf(stderr, "not a fixed point: \"%s\" -> \"%s\"\n", p.canonical,
                    again.canonical);
            abort();
        }
        url_parts_free(&again);
        url_parts_free(&p);
    } else {
        FUZZ_CHECK(!p.canonical && err[0]);
    }
    free(in);
    return 0;
}
