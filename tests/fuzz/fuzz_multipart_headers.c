/* Fuzz target: the headers of a multipart/form-data part (gateway/form.c: finding
 * Content-Disposition and reading its name= and filename= parameters). The input is the
 * header block of the one part of a fixed body, so that every execution reaches them. */
#include <string.h>

#include "form.h"
#include "fuzz.h"

#define BOUNDARY "fUzZb0uNdArY"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "--" BOUNDARY "\r\n", tail[] = "\r\n\r\nvalue\r\n--" BOUNDARY "--\r\n";
    if (size > 4 * FORM_MAX_HEADERS)
        return 0;
    size_t len = sizeof head - 1 + size + sizeof tail - 1;
    char *body = malloc(len);
    if (!body)
        return 0;
    memcpy(body, head, sizeof head - 1);
    memcpy(body + sizeof head - 1, data, size);
    memcpy(body + sizeof head - 1 + size, tail, sizeof tail - 1);
    struct form f;
    char err[256];
    int rc = form_parse(&f, "multipart/form-data; boundary=" BOUNDARY, body, len, err,
                        sizeof err);
    /* headers without a blank line or the boundary in them leave the part's value alone */
    bool plain = !memmem(data, size, "\r\n\r\n", 4) && !memmem(data, size, BOUNDARY, 12) &&
                 !(size >= 2 && memcmp(data + size - 2, "\r\n", 2) == 0) &&
                 !(size >= 1 && data[size - 1] == '\r');
    if (rc == 0) {
        FUZZ_CHECK(f.n <= FORM_MAX_FIELDS);
        if (plain) {
            FUZZ_CHECK(f.n == 1);
            FUZZ_CHECK(f.fields[0].len == 5 && memcmp(f.fields[0].value, "value", 6) == 0);
            FUZZ_CHECK(strnlen(f.fields[0].name, 32) < 32);
            FUZZ_CHECK(strnlen(f.fields[0].filename, 128) < 128);
        }
        form_free(&f);
    }
    free(body);
    return 0;
}
