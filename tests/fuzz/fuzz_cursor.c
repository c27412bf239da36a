/* Fuzz target: the decisions feed's cursor (gateway/cursor.c). A cursor that parses is
 * canonical (it prints back as given), and its successor parses and follows it. */
#include <inttypes.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char s[257];
    memcpy(s, data, size);
    s[size] = '\0';
    struct cursor c, n;
    char printed[CURSOR_LEN + 8], next[CURSOR_LEN];
    if (!cursor_parse(s, &c)) {
        FUZZ_CHECK(c.ms == 0 && c.seq == 0);
        return 0;
    }
    snprintf(printed, sizeof printed, "%" PRIu64 "-%" PRIu64, c.ms, c.seq);
    FUZZ_CHECK(strcmp(s, "0") == 0 || strcmp(s, printed) == 0);
    FUZZ_CHECK(strlen(s) < CURSOR_LEN);
    if (cursor_successor(&c, next)) {
        FUZZ_CHECK(cursor_parse(next, &n));
        FUZZ_CHECK(n.ms > c.ms || (n.ms == c.ms && n.seq == c.seq + 1));
        FUZZ_CHECK(n.ms == c.ms || (n.ms == c.ms + 1 && n.seq == 0 && c.seq == UINT64_MAX));
    } else {
        FUZZ_CHECK(c.ms == UINT64_MAX && c.seq == UINT64_MAX && next[0] == '\0');
    }
    return 0;
}
