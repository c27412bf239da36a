/* Fuzz target: JSON intake (lib/jdoc.c jdoc_parse) and report validation (gateway/report.c)
 * of what parses: the object as one report and, when it has "reports", each of them as in a
 * batch. report_validate must agree with the first error of report_validate_all. */
#include <string.h>

#include "fuzz.h"
#include "jdoc.h"
#include "report.h"

static void validate(const struct jdoc *obj)
{
    struct report r;
    struct report_error one, all[8];
    int rc = report_validate(obj, fuzz_conf(), &r, &one);
    if (rc == 0)
        report_free(&r);
    size_t n = report_validate_all(obj, fuzz_conf(), &r, all, 8);
    if (n == 0)
        report_free(&r);
    FUZZ_CHECK((rc == 0) == (n == 0));
    if (n) {
        FUZZ_CHECK(one.status == all[0].status && strcmp(one.code, all[0].code) == 0);
        FUZZ_CHECK(one.status == 400 || one.status == 422);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    char err[256];
    struct jdoc *root = jdoc_parse(text, size, (int)fuzz_conf()->json_depth_max, err, sizeof err);
    if (root) {
        FUZZ_CHECK(jdoc_type(root) == JDOC_OBJECT);
        validate(root);
        /* as api.c does: a batch is an array (jdoc_at of an object is NULL) */
        const struct jdoc *batch = jdoc_get(root, "reports");
        if (batch && jdoc_type(batch) != JDOC_ARRAY)
            batch = NULL;
        for (size_t i = 0; batch && i < jdoc_size(batch) && i < 64; i++)
            validate(jdoc_at(batch, i));
        jdoc_free(root);
    } else {
        FUZZ_CHECK(err[0]);
    }
    free(text);
    return 0;
}
