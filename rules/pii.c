/* pii — see pii.h. */
#include "pii.h"

#include <string.h>
#include <time.h>

#define MAXD 24

static const char *const names[] = {
    [PII_NONE] = "none",         [PII_MOBILE_CN] = "mobile_cn", [PII_LANDLINE_CN] = "landline_cn",
    [PII_EMAIL] = "email",       [PII_ID18] = "id18",           [PII_ID15] = "id15",
    [PII_LUHN] = "luhn",
};

int pii_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return (int)i;
    return -1;
}

const char *pii_name(enum pii_check c)
{
    return names[c];
}

/* Copies the digits of s (and a trailing x when keep_x) into d; returns how many, or -1 when
 * there are more than MAXD. */
static int digits(const char *s, size_t len, char d[MAXD + 1], bool keep_x)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        bool x = keep_x && (s[i] == 'x' || s[i] == 'X');
        if ((s[i] < '0' || s[i] > '9') && !x)
            continue;
        if (n == MAXD)
            return -1;
        d[n++] = x ? 'x' : s[i];
    }
    d[n] = '\0';
    return n;
}

static int num(const char *d, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (d[i] - '0');
    return v;
}

/* Mainland mobile number prefixes (the first three digits) in use. */
static bool mobile_prefix(const char *d)
{
    static const char *const ok[] = {"13", "15", "18", "19", "17", "14", "16"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (d[0] == ok[i][0] && d[1] == ok[i][1])
            return d[1] != '4' || d[2] >= '5';     /* 140..144 are not numbers for people */
    return false;
}

static bool mobile_cn(const char *s, size_t len)
{
    char d[MAXD + 1];
    int n = digits(s, len, d, false);
    const char *p = d;
    if (n == 15 && memcmp(d, "0086", 4) == 0)
        p += 4, n -= 4;
    else if (n == 13 && memcmp(d, "86", 2) == 0)
        p += 2, n -= 2;
    return n == 11 && p[0] == '1' && mobile_prefix(p);
}

/* Area code and number: 010 and 02x take 8 digits, the 4-digit codes 7 or 8; numbers do not
 * start with 0 or 1. The leading 0 is dropped after a country code (+86 10 ...). */
static bool landline_cn(const char *s, size_t len)
{
    char d[MAXD + 2];
    int n = digits(s, len, d + 1, false);
    char *p = d + 1;
    bool intl = memchr(s, '+', len) || (n > 2 && memcmp(p, "0086", 4) == 0);
    if (intl) {
        if (memcmp(p, "0086", 4) == 0)
            p += 4, n -= 4;
        else if (memcmp(p, "86", 2) == 0)
            p += 2, n -= 2;
        else
            return false;
        if (p[0] != '0')
            *--p = '0', n++;
    }
    if (n < 10 || p[0] != '0' || p[1] == '0')
        return false;
    int area = p[1] == '1' || p[1] == '2' ? 3 : 4;
    if (area == 3 && p[1] == '1' && p[2] != '0')
        return false;
    int rest = n - area;
    return (rest == 8 || (rest == 7 && area == 4)) && p[area] >= '2';
}

static bool email_label_ok(const char *s, size_t n)
{
    return n > 0 && n <= 63 && s[0] != '-' && s[n - 1] != '-';
}

static bool email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || at == s || at - s > 64 || len - (size_t)(at - s) - 1 > 253)
        return false;
    if (s[0] == '.' || at[-1] == '.')
        return false;
    for (const char *p = s; p + 1 < at; p++)
        if (p[0] == '.' && p[1] == '.')
            return false;
    const char *d = at + 1, *end = s + len, *label = d;
    bool letters_only = true;
    for (const char *p = d; p <= end; p++) {
        if (p < end && *p != '.')
            continue;
        if (!email_label_ok(label, (size_t)(p - label)))
            return false;
        letters_only = true;
        for (const char *q = label; q < p; q++)
            letters_only = letters_only && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'));
        label = p + 1;
    }
    return letters_only && memchr(d, '.', (size_t)(end - d)) != NULL;
}

/* Province-level region codes of GB/T 2260 (the first two digits). */
static bool region(const char *d)
{
    static const char codes[] = "11121314152122233132333435363741424344454650515253546162636465"
                                "718182";
    for (size_t i = 0; i + 1 < sizeof codes; i += 2)
        if (d[0] == codes[i] && d[1] == codes[i + 1])
            return true;
    return false;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* A real calendar date from 1900 up to today. */
static bool plausible_date(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return false;
    if (d > mdays[m - 1] + (m == 2 && leap(y)))
        return false;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    long today = (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    return (long)y * 10000 + m * 100 + d <= today;
}

/* GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 written x. */
static bool id18(const char *s, size_t len)
{
    char d[MAXD + 1];
    if (digits(s, len, d, true) != 18 || memchr(d, 'x', 17))
        return false;
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (d[i] - '0') * w[i];
    int check = (12 - sum % 11) % 11;
    char want = check == 10 ? 'x' : (char)('0' + check);
    return d[17] == want && region(d) && plausible_date(num(d + 6, 4), num(d + 10, 2),
                                                         num(d + 12, 2));
}

static bool id15(const char *s, size_t len)
{
    char d[MAXD + 1];
    return digits(s, len, d, false) == 15 && region(d) &&
           plausible_date(1900 + num(d + 6, 2), num(d + 8, 2), num(d + 10, 2));
}

static bool luhn(const char *s, size_t len)
{
    char d[MAXD + 1];
    int n = digits(s, len, d, false), sum = 0;
    if (n < 13 || n > 19)
        return false;
    for (int i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2) {
            v *= 2;
            v = v > 9 ? v - 9 : v;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

bool pii_valid(enum pii_check c, const char *s, size_t len)
{
    switch (c) {
    case PII_NONE: return true;
    case PII_MOBILE_CN: return mobile_cn(s, len);
    case PII_LANDLINE_CN: return landline_cn(s, len);
    case PII_EMAIL: return email(s, len);
    case PII_ID18: return id18(s, len);
    case PII_ID15: return id15(s, len);
    case PII_LUHN: return luhn(s, len);
    }
    return false;
}
