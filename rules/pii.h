/* pii — checks that a number found by a redaction rule really is personal data, so that order
 * numbers and dates that merely look like one stay readable for the reviewer. Rule files name
 * them (`validate: luhn`). Each takes the matched text (normalized: ASCII digits, lower case)
 * and looks only at its digits, plus a final x for resident ID numbers.
 */
#ifndef JUBAO_PII_H
#define JUBAO_PII_H

#include <stdbool.h>
#include <stddef.h>

enum pii_check {
    PII_NONE,
    PII_MOBILE_CN,      /* 11 digits, a mainland mobile prefix, after an optional 86 / 0086 */
    PII_LANDLINE_CN,    /* area code (010, 02x, 0xxx) and a 7- or 8-digit number */
    PII_EMAIL,          /* local@domain with sane lengths, labels and a letter TLD */
    PII_ID18,           /* GB 11643: region, plausible birth date, MOD 11-2 check digit */
    PII_ID15,           /* the old 15-digit form: region and plausible 19yy birth date */
    PII_LUHN,           /* 13..19 digits passing Luhn (bank cards, UnionPay's 62 included) */
};

/* The check named name (len bytes), or -1 when there is none by that name. */
int pii_find(const char *name, size_t len);

/* The name of a check, for messages. */
const char *pii_name(enum pii_check c);

/* True when the len bytes at s pass check c (PII_NONE passes everything). */
bool pii_valid(enum pii_check c, const char *s, size_t len);

#endif
