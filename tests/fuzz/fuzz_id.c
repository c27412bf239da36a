/* Fuzz target: what the gateway reads from a request path and its id headers: path_match
 * (gateway/path.c) against the route table's shapes, then report_id_valid on the segments as
 * the handlers do, and report_idempotency_key_valid. */
#include <string.h>

#include "fuzz.h"
#include "path.h"
#include "report.h"

static const char *const patterns[] = {
    "/api/v1/reports/*", "/api/v1/review/cases/*/decision",
    "/api/v1/review/cases/*/evidence/*", "/assets/*", "/", "/*/*"};

/* A valid id is exactly its 16-byte shape. */
static void check_valid_id(const char *s)
{
    for (int p = 0; p < 2; p++)
        if (report_id_valid(s, "RC"[p]))
            FUZZ_CHECK(strlen(s) == 16 && s[0] == "RC"[p] && s[1] == '-' && s[6] == '-' &&
                       s[11] == '-');
}

/* Checks one segment's copy: NUL-terminated and without '/'. */
static void check_id(const char *id)
{
    FUZZ_CHECK(strnlen(id, PATH_ID_MAX) < PATH_ID_MAX && !strchr(id, '/'));
    check_valid_id(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        char ids[PATH_IDS][PATH_ID_MAX] = {"", ""};
        if (path_match(patterns[i], s, ids)) {
            check_id(ids[0]);
            check_id(ids[1]);
        }
    }
    /* the input as a pattern too, against a fixed path */
    char ids[PATH_IDS][PATH_ID_MAX] = {"", ""};
    if (path_match(s, "/api/v1/review/cases/C-0000-0000-0000/evidence/R-0000-0000-0000", ids)) {
        check_id(ids[0]);
        check_id(ids[1]);
    }
    if (report_idempotency_key_valid(s)) {
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 128);
        for (const char *p = s; *p; p++)
            FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
    }
    check_valid_id(s);
    free(s);
    return 0;
}
