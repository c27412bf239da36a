/* url_host — step 4: canonical hosts (see url_host.h for the contract, url.c for the rules). */
#include "url_host.h"
#include "text.h"
#include "url_escape.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static bool all_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* Appends to c->host the IPv6 literal s[0..n) (without brackets). Returns -1 (reason in
 * c->err) when inet_pton rejects it. */
int url_host_ipv6(struct canon *c, const char *s, size_t n)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B};
    char txt[INET6_ADDRSTRLEN + 2];
    unsigned char a[16];
    if (n >= INET6_ADDRSTRLEN)
        return url_fail(c, "invalid IPv6 address");
    memcpy(txt, s, n);
    txt[n] = '\0';
    if (memchr(s, '\0', n) != NULL || inet_pton(AF_INET6, txt, a) != 1)
        return url_fail(c, "invalid IPv6 address");
    c->host_is_ip = true;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        inet_ntop(AF_INET, a + 12, txt, sizeof txt);
        return buf_add(&c->host, txt, strlen(txt)) ? url_fail(c, "out of memory") : 0;
    }
    txt[0] = '[';
    inet_ntop(AF_INET6, a, txt + 1, INET6_ADDRSTRLEN);
    size_t len = strlen(txt);
    txt[len] = ']';
    return buf_add(&c->host, txt, len + 1) ? url_fail(c, "out of memory") : 0;
}

/* Replaces the full-width dots U+3002, U+FF0E and U+FF61 in h with '.'. */
static void map_wide_dots(struct buf *h)
{
    static const char *const dots[] = {"\xE3\x80\x82", "\xEF\xBC\x8E", "\xEF\xBD\xA1"};
    size_t w = 0;
    for (size_t r = 0; r < h->len;) {
        bool hit = false;
        for (size_t i = 0; i < 3 && !hit; i++)
            hit = h->len - r >= 3 && memcmp(h->p + r, dots[i], 3) == 0;
        h->p[w++] = hit ? '.' : h->p[r];
        r += hit ? 3 : 1;
    }
    buf_truncate(h, w);
}

/* Drops leading and trailing dots of h and collapses runs of dots to one. */
static void fix_dots(struct buf *h)
{
    size_t w = 0;
    for (size_t r = 0; r < h->len; r++)
        if (h->p[r] != '.' || (w > 0 && h->p[w - 1] != '.'))
            h->p[w++] = h->p[r];
    if (w > 0 && h->p[w - 1] == '.')
        w--;
    buf_truncate(h, w);
}

/* True when some label of the NUL-terminated host h starts with "xn--" (any case). */
static bool has_xn_label(const char *h)
{
    for (const char *p = h;; p++) {
        if (strncasecmp(p, "xn--", 4) == 0)
            return true;
        p = strchr(p, '.');
        if (p == NULL)
            return false;
    }
}

/* True for the bytes IDNA output may hold: letters, digits, '-', '_' (common in real
 * subdomains, and libidn2 lets it through) and '.'. */
static bool is_host_char(char ch)
{
    return is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '_' || ch == '.';
}

/* Runs h through IDNA (non-transitional, then transitional) and, when keep is false, puts
 * the ASCII result in h. Returns -1 (reason in c->err) when both modes refuse h or the
 * result holds anything but letters, digits, '-', '_' and '.'. */
static int idna(struct canon *c, struct buf *h, bool keep)
{
    char *a = NULL;
    int rc = idn2_lookup_u8((const uint8_t *)h->p, (uint8_t **)&a,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK)
        rc = idn2_lookup_u8((const uint8_t *)h->p, (uint8_t **)&a,
                            IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    if (rc != IDN2_OK)
        return url_fail(c, "invalid IDN host: %s", idn2_strerror(rc));
    int ret = 0;
    size_t n = strlen(a);
    for (size_t i = 0; i < n && ret == 0; i++)
        if (!is_host_char(a[i]))
            ret = url_fail(c, "invalid IDN host: maps to a character not allowed in host names");
    if (ret == 0 && !keep) {
        buf_truncate(h, 0);
        if (buf_add(h, a, n))
            ret = url_fail(c, "out of memory");
    }
    idn2_free(a);
    return ret;
}

/* True when the label s[0..n) is a number: decimal digits, or "0x" and hex digits. */
static bool is_number_label(const char *s, size_t n)
{
    bool hex = n >= 2 && s[0] == '0' && s[1] == 'x';
    if (n == 0)
        return false;
    for (size_t i = hex ? 2 : 0; i < n; i++)
        if (hex ? url_hexval((unsigned char)s[i]) < 0 : !is_digit(s[i]))
            return false;
    return true;
}

/* Returns 1 and the dotted quad in out when the lower-case NUL-terminated host h is an IPv4
 * address in any inet_aton form, 0 when its last label is no number (a domain name), and -1
 * when it is a number but no valid address. */
static int parse_ipv4(const char *h, size_t n, char out[INET_ADDRSTRLEN])
{
    const char *last = memrchr(h, '.', n);
    last = last ? last + 1 : h;
    if (!is_number_label(last, n - (size_t)(last - h)))
        return 0;
    /* inet_aton stops at whitespace and ignores what follows; only its own alphabet may pass */
    if (strspn(h, "0123456789abcdefx.") != n)
        return -1;
    struct in_addr a;
    if (inet_aton(h, &a) == 0)
        return -1;
    inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
    return 1;
}

/* Lower-cases h (ASCII letters) in place. */
static void lower(struct buf *h)
{
    for (size_t i = 0; i < h->len; i++)
        h->p[i] = ascii_lower(h->p[i]);
}

/* Turns the unescaped host h into its canonical form and appends it to c->host. Returns -1
 * (reason in c->err) for a host that is empty, not UTF-8, holds a delimiter, fails IDNA or is
 * a number but no IPv4 address. */
static int canon_name_bytes(struct canon *c, struct buf *h)
{
    bool ascii = all_ascii(h->p, h->len);
    if (!ascii && !text_utf8_valid(h->p, h->len))
        return url_fail(c, "host is not valid UTF-8");
    for (size_t i = 0; i < h->len; i++) {
        unsigned char ch = (unsigned char)h->p[i];
        if (ch <= 0x20 || ch == 0x7f || (ch && strchr("/\\?@:[]#%<>^|\"", ch) != NULL))
            return url_fail(c, "invalid character in host");
    }
    map_wide_dots(h);
    fix_dots(h);
    if (h->len == 0)
        return url_fail(c, "empty host");
    lower(h);
    if ((!ascii || has_xn_label(h->p)) && idna(c, h, ascii))
        return -1;
    lower(h);    /* IDNA's output is lower-case already; parse_ipv4 relies on it */
    fix_dots(h); /* IDNA may map a label to nothing (U+00AD) */
    if (h->len == 0)
        return url_fail(c, "empty host");
    char v4[INET_ADDRSTRLEN];
    int ip = parse_ipv4(h->p, h->len, v4);
    if (ip < 0)
        return url_fail(c, "invalid IPv4 address");
    c->host_is_ip = ip > 0;
    int rc = ip > 0 ? buf_add(&c->host, v4, strlen(v4))
                    : url_escape_add(&c->host, h->p, h->len, NULL);
    return rc ? url_fail(c, "out of memory") : 0;
}

/* Step 4 for a host name or IPv4 address s[0..n) as written. Returns -1 (reason in c->err)
 * when it is invalid; see canon_name_bytes. */
int url_host_name(struct canon *c, const char *s, size_t n)
{
    struct buf h = {0};
    int rc = buf_add(&h, s, n) ? url_fail(c, "out of memory") : 0;
    if (rc == 0) {
        buf_truncate(&h, url_unescape_all(h.p, h.len));
        rc = canon_name_bytes(c, &h);
    }
    buf_free(&h);
    return rc;
}
