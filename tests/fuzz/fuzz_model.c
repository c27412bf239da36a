/* Fuzz target: a stored model (rules/model_file.c model_load), the bytes a worker or gateway
 * fetches from Redis. The input is a model without its trailing checksum: the target appends
 * the right CRC-32, so that the fuzzer reaches the parser behind the checksum. A model that
 * loads scores a text without crashing, and saves back to exactly the bytes it came from. */
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "fuzz.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size + 4);
    FUZZ_CHECK(b);
    memcpy(b, data, size);
    uint32_t c = (uint32_t)crc32(0L, data, (uInt)size);
    for (int i = 0; i < 4; i++)
        b[size + i] = (uint8_t)(c >> (8 * i));
    char err[256] = "";
    struct model *m = model_load(b, size + 4, err, sizeof err);
    if (!m) {
        FUZZ_CHECK(err[0] != '\0');
        free(b);
        return 0;
    }
    struct model_score sc[16];
    const char text[] = "百家乐 casino 博彩 free spins!!";
    int n = model_predict(m, NULL, text, sizeof text - 1, NULL, sc, 16);
    FUZZ_CHECK(n >= 0 && n <= 16);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(sc[i].p >= model_threshold(m, sc[i].category) && sc[i].p <= 1.0);
    struct buf out = {0};
    FUZZ_CHECK(model_save(m, &out) == 0);
    FUZZ_CHECK(out.len == size + 4 && memcmp(out.p, b, size + 4) == 0);
    buf_free(&out);
    model_free(m);
    free(b);
    return 0;
}
