/* pii — checks that a match of a redaction rule really is personal data, so that order
 * numbers, prices and dates that merely look like one stay readable for the reviewer. Rule
 * files name them (`validate: luhn`). Each takes the matched text (normalized: ASCII digits,
 * lower case) and looks at its digits, plus a final x for resident ID numbers; the e-mail,
 * WeChat and passport checks look at the whole match.
 */
#ifndef JUBAO_PII_H
#define JUBAO_PII_H

#include <stdbool.h>
#include <stddef.h>

enum pii_check {
    PII_NONE,
    PII_MOBILE_CN,      /* 11 digits with an allocated mobile prefix, after optional 86 / 0086 */
    PII_LANDLINE_CN,    /* an area code in use (010, 02x, 0xxx) and a 7- or 8-digit number */
    PII_EMAIL,          /* local@domain with sane lengths and labels; IDN domains too */
    PII_ID18,           /* GB 11643: region, plausible birth date, MOD 11-2 check digit;
                           also the residence permits of 81/82/830000 */
    PII_ID15,           /* the old 15-digit form: region and plausible 19yy birth date */
    PII_LUHN,           /* 13..19 digits passing Luhn (bank cards, UnionPay's 62 included) */
    PII_PHONE_HK,       /* 852 and 8 digits */
    PII_PHONE_MO,       /* 853 and 8 digits */
    PII_PHONE_TW,       /* 886 and an 8- or 9-digit number, or a domestic 09xx mobile */
    PII_QQ,             /* 5..11 digits, no leading 0 */
    PII_WECHAT,         /* 6..20 of [a-z0-9_-] starting with a letter, or a QQ / phone number */
    PII_PASSPORT,       /* 8 or 9 characters: up to two letters, then digits */
    PII_NCHECKS
};

/* The check named name (len bytes), or -1 when there is none by that name. */
int pii_find(const char *name, size_t len);

/* The name of a check, for messages. */
const char *pii_name(enum pii_check c);

/* True when the len bytes at s pass check c (PII_NONE passes everything). */
bool pii_valid(enum pii_check c, const char *s, size_t len);

#endif
