/* Fuzz target: the web form's body (gateway/form.c form_parse, urlencoded and multipart),
 * then the fields as the web form validates them (a jdoc object through report_validate_all).
 * Input: the Content-Type, a newline, the body. */
#include <string.h>

#include "form.h"
#include "fuzz.h"
#include "jdoc.h"
#include "report.h"

static void check_fields(const struct form *f)
{
    FUZZ_CHECK(f->n <= FORM_MAX_FIELDS);
    for (size_t i = 0; i < f->n; i++) {
        const struct form_field *x = &f->fields[i];
        size_t nlen = strnlen(x->name, sizeof x->name);
        FUZZ_CHECK(nlen > 0 && nlen < sizeof x->name);
        FUZZ_CHECK(strnlen(x->filename, sizeof x->filename) < sizeof x->filename);
        FUZZ_CHECK(x->value && x->value[x->len] == '\0');
        FUZZ_CHECK(form_get(f, x->name) == x);   /* no name twice */
    }
}

/* The fields as an object, validated as reportform.c does. */
static void validate(const struct form *f)
{
    struct jdoc *obj = jdoc_object();
    if (!obj)
        return;
    for (size_t i = 0; i < f->n; i++)
        if (!f->fields[i].is_file &&
            jdoc_set_string(obj, f->fields[i].name, f->fields[i].value, f->fields[i].len) < 0)
            goto done;
    struct report r;
    struct report_error errs[8];
    if (report_validate_all(obj, fuzz_conf(), &r, errs, 8) == 0)
        report_free(&r);
done:
    jdoc_free(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size < 256 ? size : 256);
    if (!nl)
        return 0;
    size_t ctlen = (size_t)(nl - (const char *)data);
    char ct[256];
    memcpy(ct, data, ctlen);
    ct[ctlen] = '\0';
    /* the body in its own allocation, so that ASan sees a read past its end */
    size_t len = size - ctlen - 1;
    char *body = malloc(len ? len : 1);
    if (!body)
        return 0;
    memcpy(body, nl + 1, len);
    struct form f;
    char err[256];
    if (form_parse(&f, ct, body, len, err, sizeof err) == 0) {
        check_fields(&f);
        validate(&f);
        form_free(&f);
    } else {
        FUZZ_CHECK(f.n == 0 && err[0]);
    }
    free(body);
    return 0;
}
