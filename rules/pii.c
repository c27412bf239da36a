/* pii — see pii.h. */
#include "pii.h"

#include <string.h>
#include <time.h>

#define MAXD 24

static const char *const names[PII_NCHECKS] = {
    [PII_NONE] = "none",         [PII_MOBILE_CN] = "mobile_cn", [PII_LANDLINE_CN] = "landline_cn",
    [PII_EMAIL] = "email",       [PII_ID18] = "id18",           [PII_ID15] = "id15",
    [PII_LUHN] = "luhn",         [PII_PHONE_HK] = "phone_hk",   [PII_PHONE_MO] = "phone_mo",
    [PII_PHONE_TW] = "phone_tw", [PII_QQ] = "qq",               [PII_WECHAT] = "wechat",
    [PII_PASSPORT] = "passport",
};

int pii_find(const char *name, size_t len)
{
    for (size_t i = 0; i < PII_NCHECKS; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return (int)i;
    return -1;
}

const char *pii_name(enum pii_check c)
{
    return c < PII_NCHECKS ? names[c] : "?";
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

/* Mainland mobile prefixes (the first three digits) of the MIIT numbering plan, by second
 * digit: 140..144 are 13-digit machine numbers, 154, 160, 161, 163, 164, 168 and 169 are not
 * allocated. Blocks whose status we do not know are kept, so that a new allocation is
 * redacted rather than shown. */
static bool mobile_prefix(const char *d)
{
    static const char *const third[10] = {
        [3] = "0123456789", [4] = "56789", [5] = "012356789", [6] = "2567",
        [7] = "0123456789", [8] = "0123456789", [9] = "0123456789",
    };
    const char *ok = d[0] == '1' && d[1] >= '0' && d[1] <= '9' ? third[d[1] - '0'] : NULL;
    return ok && d[2] && strchr(ok, d[2]);
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

/* Whether the area code at p (a 0 and two or three digits) is in use, and its length. The
 * three-digit codes are 010 and 020..029 but 026; the four-digit ones are checked by their
 * first two digits after the 0 (the blocks the plan assigns to provinces), so that a city
 * code we did not list is still redacted. */
static int area_code(const char *p)
{
    static const char blocks[] = "31333435373941424345464748515253545556575859636669707172737475"
                                 "7677798182838587888990919394959799";
    if (p[1] == '1')
        return p[2] == '0' ? 3 : 0;
    if (p[1] == '2')
        return p[2] != '6' ? 3 : 0;
    for (size_t i = 0; i + 1 < sizeof blocks; i += 2)
        if (p[1] == blocks[i] && p[2] == blocks[i + 1])
            return 4;
    return 0;
}

/* True when the match separates its parts (space, dash, dot or brackets). */
static bool formatted(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ' ' || s[i] == '-' || s[i] == '.' || s[i] == '(' || s[i] == ')')
            return true;
    return false;
}

/* Area code and number: 010 and 02x take 8 digits, the 4-digit codes 7 or 8. A number starts
 * with 2..9, or with 1 when written apart from its area code (010-12345678 is meant as a
 * phone number; 01012345678 may be anything). The leading 0 is dropped after a country code
 * (+86 10 ...). */
static bool landline_cn(const char *s, size_t len)
{
    char d[MAXD + 2];
    int n = digits(s, len, d + 1, false);
    char *p = d + 1;
    bool intl = memchr(s, '+', len) || (n > 4 && memcmp(p, "0086", 4) == 0);
    if (n < 0)
        return false;
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
    int area = n >= 10 && p[0] == '0' ? area_code(p) : 0;
    int rest = n - area;
    if (!area || (rest != 8 && (rest != 7 || area != 4)))
        return false;
    return p[area] >= '2' || (p[area] == '1' && formatted(s, len));
}

/* A domain label: 1..63 bytes of letters, digits, '-' and (IDN) non-ASCII characters, not
 * starting or ending with '-'. */
static bool email_label_ok(const unsigned char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 0x80 || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* A top-level domain: ASCII letters, a punycode label (xn--), or a non-ASCII name (中国). */
static bool email_tld_ok(const unsigned char *s, size_t n)
{
    bool letters = true, ascii = true;
    for (size_t i = 0; i < n; i++) {
        letters = letters && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'));
        ascii = ascii && s[i] < 0x80;
    }
    return letters || !ascii || (n > 4 && memcmp(s, "xn--", 4) == 0);
}

static bool email_local_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '.' && s[i + 1] == '.')
            return false;
    return true;
}

static bool email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || !email_local_ok(s, (size_t)(at - s)) || len - (size_t)(at - s) - 1 > 253)
        return false;
    const unsigned char *d = (const unsigned char *)at + 1, *end = (const unsigned char *)s + len;
    const unsigned char *label = d;
    for (const unsigned char *p = d; p < end; p++) {
        if (*p != '.')
            continue;
        if (!email_label_ok(label, (size_t)(p - label)))
            return false;
        label = p + 1;
    }
    return label > d && email_label_ok(label, (size_t)(end - label)) &&
           email_tld_ok(label, (size_t)(end - label));
}

/* Province-level region codes of GB/T 2260 (the first two digits). The residence permits of
 * Hong Kong, Macau and Taiwan residents use 810000, 820000 and 830000 (State Council, 2018)
 * with the same birth date and check digit; there 81..83 are followed by 0000. */
static bool region(const char *d)
{
    static const char codes[] = "11121314152122233132333435363741424344454650515253546162636465"
                                "71";
    if (d[0] == '8' && d[1] >= '1' && d[1] <= '3')
        return memcmp(d + 2, "0000", 4) == 0;
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

/* The digits of s after the country code cc (written +cc, 00cc or (cc)) into d; returns how
 * many, or -1 when the country code is not there. */
static int after_country(const char *s, size_t len, const char *cc, char d[MAXD + 1])
{
    char all[MAXD + 1];
    int n = digits(s, len, all, false);
    size_t k = strlen(cc);
    int skip = n > 2 && memcmp(all, "00", 2) == 0 ? 2 : 0;
    if (n < 0 || (size_t)(n - skip) < k || memcmp(all + skip, cc, k) != 0)
        return -1;
    skip += (int)k;
    memcpy(d, all + skip, (size_t)(n - skip) + 1);
    return n - skip;
}

/* Hong Kong: eight digits; 2 and 3 fixed, 4..9 mobile and other services (OFCA's plan). */
static bool phone_hk(const char *s, size_t len)
{
    char d[MAXD + 1];
    return after_country(s, len, "852", d) == 8 && d[0] >= '2';
}

/* Macau: eight digits; 28 fixed, 6 mobile, 8 other fixed services (CTT's plan). */
static bool phone_mo(const char *s, size_t len)
{
    char d[MAXD + 1];
    return after_country(s, len, "853", d) == 8 && (d[0] == '2' || d[0] == '6' || d[0] == '8');
}

/* Taiwan: after +886 (and a 0 people often keep), a mobile is 9 and 8 more digits, a landline
 * an area code 2..8 and 8 or 9 digits in all; at home a mobile is written 09 and 8 digits. */
static bool phone_tw(const char *s, size_t len)
{
    char d[MAXD + 1];
    int n = after_country(s, len, "886", d);
    const char *p = d;
    if (n < 0) {
        n = digits(s, len, d, false);
        return n == 10 && d[0] == '0' && d[1] == '9';
    }
    if (n > 0 && p[0] == '0')
        p++, n--;
    if (n > 0 && p[0] == '9')
        return n == 9;
    return (n == 8 || n == 9) && p[0] >= '2' && p[0] <= '8';
}

/* QQ numbers run from 10000 to eleven digits. */
static bool qq(const char *s, size_t len)
{
    char d[MAXD + 1];
    return digits(s, len, d, false) == (int)len && len >= 5 && len <= 11 && s[0] != '0';
}

/* A WeChat id is 6..20 letters, digits, '_' and '-' starting with a letter; older accounts
 * use their QQ or mobile number instead. */
static bool wechat(const char *s, size_t len)
{
    if (len > 0 && s[0] >= '0' && s[0] <= '9')
        return qq(s, len);
    if (len < 6 || len > 20 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

/* Passport numbers as China (E, EA.., G, D, S, P and digits) and most countries write them:
 * 8 or 9 characters, at most two letters, first, then at least six digits. */
static bool passport(const char *s, size_t len)
{
    size_t letters = 0;
    while (letters < len && s[letters] >= 'a' && s[letters] <= 'z')
        letters++;
    char d[MAXD + 1];
    return (len == 8 || len == 9) && letters <= 2 &&
           digits(s + letters, len - letters, d, false) == (int)(len - letters) &&
           len - letters >= 6;
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
    case PII_PHONE_HK: return phone_hk(s, len);
    case PII_PHONE_MO: return phone_mo(s, len);
    case PII_PHONE_TW: return phone_tw(s, len);
    case PII_QQ: return qq(s, len);
    case PII_WECHAT: return wechat(s, len);
    case PII_PASSPORT: return passport(s, len);
    case PII_NCHECKS: break;
    }
    return false;
}
