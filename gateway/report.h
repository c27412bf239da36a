/* report — validation of one report object against API.md, before anything is stored.
 *
 * Pure: no I/O, so that unit tests cover every rule. A report that passes has a canonical URL
 * and a known category; the first fault found is described in a report_error.
 */
#ifndef JUBAO_REPORT_H
#define JUBAO_REPORT_H

#include <stddef.h>

#include "category.h"
#include "conf.h"
#include "crypto.h"
#include "jdoc.h"
#include "url.h"

struct field {
    const char *s; /* NULL when absent (or sent as "") */
    size_t len;
};

struct report {
    struct field url, category, title, description, contact, platform_ref, language;
    const struct category *cat;
    struct url_parts canon; /* owned: free with report_free */
};

struct report_error {
    int status;          /* 400 or 422 */
    const char *code;    /* machine-readable */
    char message[192];
    const char *field;   /* the field at fault, or NULL */
};

/* Validates obj (a report object, as in POST /api/v1/reports) against the limits in c.
 * Returns 0 with *out filled (its strings point into obj, which must outlive it; free its
 * canonical URL with report_free), or -1 with *err filled and nothing to free. */
int report_validate(const struct jdoc *obj, const struct conf *c, struct report *out,
                    struct report_error *err);

/* The same, going on after an error to find every field at fault (the web form shows them
 * all): returns the number of errors (0: valid, *out filled as above), the first max of them
 * in errs, in the order report_validate would meet them; with errors, nothing to free. */
size_t report_validate_all(const struct jdoc *obj, const struct conf *c, struct report *out,
                           struct report_error *errs, size_t max);
void report_free(struct report *r);

/* The sealed copy of what identifies or may identify the reporter of report id: a JSON
 * object of the id, contact, title and description, sealed to the operator's key. Returns
 * base64 the caller frees, or NULL when memory ran out. */
char *report_seal(const struct keys *k, const char *id, const struct report *r);

/* The keyed fingerprint of the normalized title and description, as hex in out ("" when
 * both are absent). */
void report_fingerprint(const struct keys *k, const struct report *r,
                        char out[CRYPTO_HEX_LEN]);

/* True when s is a receipt id as crypto_random_id makes them ("R-XXXX-XXXX-XXXX"). */
int report_id_valid(const char *s, char prefix);

/* True when s is a valid Idempotency-Key: 1 to 128 printable ASCII characters. */
int report_idempotency_key_valid(const char *s);

#endif
