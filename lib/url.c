/* url — canonical form of a reported URL (see url.h for the contract).
 *
 * The canonical string keys the case a report joins, so two spellings of one target must
 * give the same bytes. The rules are Google Safe Browsing's "URLs and hashing"
 * canonicalization (Update API v4), in this order:
 *
 *   1. Remove tab, CR and LF anywhere; cut the fragment at the first '#'; trim C0 controls
 *      and spaces at both ends (also U+00A0, U+200B, U+3000 and U+FEFF, which copy-paste from
 *      chat apps leaves around links).
 *   2. Scheme: missing means http; lower-cased; anything but http or https is an error.
 *      "host:port/..." without a scheme is a host, not a scheme named "host".
 *   3. Authority: userinfo ("user:pass@") dropped, as it may carry credentials. Port: digits
 *      only, at most 65535; :80 for http and :443 for https (and an empty port) are dropped.
 *   4. Host: percent-unescaped until nothing changes; full-width dots (U+3002, U+FF0E, U+FF61)
 *      become '.'; leading and trailing dots removed, runs of dots collapsed; lower-cased;
 *      a host whose last label is a number must be an IPv4 address in any inet_aton form
 *      (decimal, octal, hex, fewer than four parts) and becomes a dotted quad. Non-ASCII
 *      hosts go to punycode through libidn2 (UTS #46 non-transitional, then transitional).
 *      A bracketed IPv6 literal is compressed by inet_ntop; IPv4-mapped (::ffff:a.b.c.d) and
 *      NAT64 (64:ff9b::/96) ones become the IPv4 address, as Safe Browsing's newer docs say.
 *   5. Path and query: percent-unescaped until nothing changes, then split at the first '?'.
 *      The path gets "/./" and "/../" resolved and "//" collapsed; an empty path becomes "/".
 *      The query is kept as is, less the tracking parameters below.
 *   6. Re-escape bytes <= 0x20, >= 0x7F, '#' and '%' as %XX (upper-case hex), in host, path
 *      and query; in the path also '\' (see choices).
 *
 * Tracking parameters dropped from the query (names compared exactly; the rest keep their
 * order; a query left empty loses its '?'):
 *   utm_* (any name starting "utm_"), fbclid, gclid, dclid, gbraid, wbraid, msclkid, mc_cid,
 *   mc_eid, yclid, igshid, _ga, spm, and WeChat share noise: isappinstalled, scene, clicktime,
 *   enterid, sharer_sharetime, sharer_shareid, and from=singlemessage|groupmessage|timeline.
 *   "from" is dropped only with those WeChat values: as a bare name it is an ordinary
 *   parameter on many sites (offsets, senders, dates) and dropping it would merge pages.
 *
 * Choices where the rules above left room (each has a test):
 *   - The authority ends at the first raw '/', '\', '?' (or the end) and userinfo ends at the
 *     last raw '@', both found BEFORE unescaping; Safe Browsing unescapes the whole URL first,
 *     which would file "http://bank.example%2F@evil.example/" under bank.example while every
 *     browser goes to evil.example. A host whose unescaped bytes hold '/', '\', '?', '@',
 *     ':', '[', ']' or NUL is an error (browsers refuse it too). The path and query are
 *     unescaped together as Safe Browsing does, so "%3F" in the path starts the query.
 *   - '\' counts as '/' where browsers do: it ends the authority, and raw backslashes in the
 *     path become '/'. An escaped one (%5C) stays %5C, so canonical output reparses the same.
 *   - Hosts may not hold WHATWG's forbidden host code points (controls, space, # % / : < > ?
 *     @ [ \ ] ^ |) nor '"', escaped or not: Safe Browsing keeps "http:// x.com/" as
 *     "http://%20x.com/", but no such host resolves, and a citizen who typed it should be told.
 *     Hosts that need IDNA (non-ASCII, or an "xn--" label, which is validated) must come out
 *     of it as letters, digits, '-', '_' and '.'; "％４１.com" would otherwise turn into "%41".
 *   - IDN: non-transitional first, so "faß.de" -> "xn--fa-hia.de" (what current browsers and
 *     DENIC use; faß.de and fass.de are different registrations). Transitional only when that
 *     fails (symbols like U+2603 that IDNA2008 disallows, "xn--n3h.net"); it maps ß to ss in
 *     such names, as older browsers did.
 *   - Invalid UTF-8: the input must be UTF-8 (url.h says so; raw invalid bytes usually mean
 *     GBK or Latin-1 text mis-decoded upstream), and so must an unescaped non-ASCII host, as
 *     IDNA needs characters. Escaped bytes in path and query may be anything ("%E9" stays).
 *     This makes Safe Browsing's "http://\x01\x80.com/" an error.
 *   - A query that is just "?" is dropped like any other empty query, although Safe Browsing
 *     keeps it ("q?" -> "q?"): no server tells "q?" from "q", and one rule is simpler.
 *   - A host whose last label is a number but that is no valid IPv4 address ("1.2.3.256",
 *     "foo.09") is an error, as in the WHATWG URL standard; no browser can reach it.
 *   - "//" must follow "http:" / "https:"; so "http:///path" (empty host) and "http:x" fail.
 *
 * Why by hand: libidn2 does IDNA, libpsl the public-suffix lookup, inet_aton / inet_pton /
 * inet_ntop the IP forms; all of them are used. The rest is the Safe Browsing string surgery
 * (repeated unescaping, dot collapsing, "//" collapsing, its escape set), which no library
 * does: RFC 3986 and WHATWG parsers such as curl's URL API reject hosts Safe Browsing keeps,
 * unescape once or never, and keep "//" and trailing dots.
 */
#include "url.h"
#include "buf.h"
#include "text.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { URL_MAX_IN = 8192, URL_MAX_OUT = 4096 };

/* State of one url_canonicalize call; every buffer in it is freed by canon_free. */
struct canon {
    char *err;
    size_t errlen;
    const char *scheme;  /* "http" or "https", static */
    struct buf typed;    /* input less tab, CR, LF and the spaces around it; fragment kept */
    struct buf pre;      /* input after step 1: typed up to its fragment, trimmed again */
    size_t auth_off;     /* authority: pre.p[auth_off .. auth_off + auth_len) */
    size_t auth_len;
    size_t rest_off;     /* path and query: pre.p[rest_off ..] */
    size_t user_len;     /* "userinfo@" at pre.p[auth_off], 0 when none */
    struct buf host;     /* canonical host, escaped */
    bool host_is_ip;
    int port;            /* -1 when dropped or absent; 0 is a port */
    struct buf path;     /* canonical path, escaped */
    struct buf query;    /* canonical query without '?', escaped; empty means no '?' */
    struct buf out;      /* the canonical URL */
};

static const psl_ctx_t *psl_ctx;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

/* Loads the newest public suffix list (the distribution's file or libpsl's built-in copy).
 * It lives as long as the process, so it is never freed. psl_ctx stays NULL when both fail;
 * then every registrable domain falls back to the host. */
static void psl_load(void)
{
    psl_ctx = psl_latest(NULL);
    if (psl_ctx == NULL)
        psl_ctx = psl_builtin();
}

/* Writes a one-line reason into c->err (when there is room) and returns -1. */
__attribute__((format(printf, 2, 3)))
static int fail(struct canon *c, const char *fmt, ...)
{
    if (c->err != NULL && c->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int buf_addc(struct buf *b, char ch)
{
    return buf_add(b, &ch, 1);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_scheme_char(char ch)
{
    return is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-' || ch == '.';
}

static bool is_slash(char ch)
{
    return ch == '/' || ch == '\\';
}

static bool is_auth_end(char ch)
{
    return is_slash(ch) || ch == '?';
}

static char ascii_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* True when s[0..n) equals the lower-case word w, ignoring ASCII case. */
static bool ieq(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(s[i]) != w[i])
            return false;
    return true;
}

static bool all_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

/* Percent-decodes s[0..n) in place until no "%XX" is left and returns the new length.
 * Escapes never overlap (hex digits are not '%'), so decoding is confluent and any order
 * reaches Safe Browsing's "unescape until nothing changes"; decoding again at the tail after
 * each byte gets there in one pass, where repeated passes over "%252525..." are quadratic. */
static size_t unescape_all(char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        s[w++] = s[r];
        while (w >= 3 && s[w - 3] == '%' && hexval((unsigned char)s[w - 2]) >= 0 &&
               hexval((unsigned char)s[w - 1]) >= 0) {
            int v = hexval((unsigned char)s[w - 2]) * 16 + hexval((unsigned char)s[w - 1]);
            s[w - 3] = (char)v;
            w -= 2;
        }
    }
    return w;
}

/* Appends s[0..n) with Safe Browsing's escape set (<= 0x20, >= 0x7F, '#', '%') and the bytes
 * in extra escaped as %XX. Returns -1 when memory ran out. */
static int escape_add(struct buf *b, const char *s, size_t n, const char *extra)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool esc = ch <= 0x20 || ch >= 0x7F || ch == '#' || ch == '%' ||
                   (extra != NULL && strchr(extra, ch) != NULL);
        char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        if (esc ? buf_add(b, e, 3) : buf_addc(b, (char)ch))
            return -1;
    }
    return 0;
}

/* Length of the Unicode space (U+00A0, U+200B, U+3000, U+FEFF) or C0 control / ASCII space
 * that s[0..n) starts with (at_end: ends with), or 0. */
static size_t space_len(const char *s, size_t n, bool at_end)
{
    static const char *const wide[] = {"\xC2\xA0", "\xE2\x80\x8B", "\xE3\x80\x80", "\xEF\xBB\xBF"};
    if (n > 0 && (unsigned char)s[at_end ? n - 1 : 0] <= 0x20)
        return 1;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
        size_t k = strlen(wide[i]);
        if (n >= k && memcmp(at_end ? s + n - k : s, wide[i], k) == 0)
            return k;
    }
    return 0;
}

/* Cuts the spaces (space_len) at both ends of b. */
static void trim_spaces(struct buf *b)
{
    size_t k, start = 0;
    if (!b->p)
        return; /* nothing was added: an empty URL (refused by the caller) */
    while ((k = space_len(b->p, b->len, true)) > 0)
        buf_truncate(b, b->len - k);
    while ((k = space_len(b->p + start, b->len - start, false)) > 0)
        start += k;
    if (start > 0) {
        memmove(b->p, b->p + start, b->len - start);
        buf_truncate(b, b->len - start);
    }
}

/* Step 1 into c->typed and c->pre (a prefix of typed, so that offsets into pre are offsets
 * into typed too). Returns -1 (reason in c->err) on over-long, non-UTF-8 or empty input. */
static int prepare(struct canon *c, const char *in, size_t len)
{
    if (len > URL_MAX_IN)
        return fail(c, "URL longer than %d bytes", URL_MAX_IN);
    if (!text_utf8_valid(in, len))
        return fail(c, "URL is not valid UTF-8");
    for (size_t i = 0; i < len; i++)
        if (in[i] != '\t' && in[i] != '\r' && in[i] != '\n' && buf_addc(&c->typed, in[i]))
            return fail(c, "out of memory");
    trim_spaces(&c->typed);
    if (c->typed.len == 0)
        return fail(c, "empty URL");
    const char *hash = memchr(c->typed.p, '#', c->typed.len);
    size_t n = hash != NULL ? (size_t)(hash - c->typed.p) : c->typed.len;
    if (n > 0 && buf_add(&c->pre, c->typed.p, n))
        return fail(c, "out of memory");
    while ((n = space_len(c->pre.p, c->pre.len, true)) > 0)
        buf_truncate(&c->pre, c->pre.len - n);
    return c->pre.len > 0 ? 0 : fail(c, "empty URL");
}

/* Length of the scheme name that s[0..n) starts with (the ':' follows it), or 0 when there is
 * none: not a scheme name, or "name:digits" followed by the end, '/', '\' or '?', which is a
 * host and port ("www.example.com:8080/"). */
static size_t scheme_len(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(s[0]))
        return 0;
    while (i < n && is_scheme_char(s[i]))
        i++;
    if (i >= n || s[i] != ':')
        return 0;
    if (ieq(s, i, "http") || ieq(s, i, "https"))
        return i;
    size_t j = i + 1;
    while (j < n && is_digit(s[j]))
        j++;
    return (j > i + 1 && (j == n || is_auth_end(s[j]))) ? 0 : i;
}

/* Step 2: sets c->scheme and the authority and rest offsets in c->pre. Returns -1 (reason in
 * c->err) for another scheme or a scheme without "//". */
static int split_scheme(struct canon *c)
{
    const char *s = c->pre.p;
    size_t n = c->pre.len, pos = 0, i = scheme_len(s, n);
    c->scheme = "http";
    if (i > 0) {
        if (ieq(s, i, "https"))
            c->scheme = "https";
        else if (!ieq(s, i, "http"))
            return fail(c, "unsupported scheme \"%.*s\"", (int)(i < 32 ? i : 32), s);
        pos = i + 1;
        if (n - pos < 2 || !is_slash(s[pos]) || !is_slash(s[pos + 1]))
            return fail(c, "expected // after %s:", c->scheme);
        pos += 2;
    } else if (n >= 2 && is_slash(s[0]) && is_slash(s[1])) {
        pos = 2; /* "//host/path": scheme-relative */
    }
    size_t end = pos;
    while (end < n && !is_auth_end(s[end]))
        end++;
    c->auth_off = pos;
    c->auth_len = end - pos;
    c->rest_off = end;
    return 0;
}

/* Sets c->port from the digits at s[0..n); the scheme's default or an empty port (WHATWG's
 * "http://f:/") leaves -1, i.e. no port. Returns -1 (reason in c->err) for anything but
 * digits or a value above 65535. */
static int parse_port(struct canon *c, const char *s, size_t n)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return fail(c, "invalid port");
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return fail(c, "port out of range");
    }
    bool dflt = (v == 80 && strcmp(c->scheme, "http") == 0) ||
                (v == 443 && strcmp(c->scheme, "https") == 0);
    c->port = (n == 0 || dflt) ? -1 : (int)v;
    return 0;
}

/* Sets c->host from the IPv6 literal s[0..n) (without brackets). Returns -1 (reason in
 * c->err) when inet_pton rejects it. */
static int canon_ipv6(struct canon *c, const char *s, size_t n)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B};
    char txt[INET6_ADDRSTRLEN + 2];
    unsigned char a[16];
    if (n >= INET6_ADDRSTRLEN)
        return fail(c, "invalid IPv6 address");
    memcpy(txt, s, n);
    txt[n] = '\0';
    if (memchr(s, '\0', n) != NULL || inet_pton(AF_INET6, txt, a) != 1)
        return fail(c, "invalid IPv6 address");
    c->host_is_ip = true;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        inet_ntop(AF_INET, a + 12, txt, sizeof txt);
        return buf_add(&c->host, txt, strlen(txt)) ? fail(c, "out of memory") : 0;
    }
    txt[0] = '[';
    inet_ntop(AF_INET6, a, txt + 1, INET6_ADDRSTRLEN);
    size_t len = strlen(txt);
    txt[len] = ']';
    return buf_add(&c->host, txt, len + 1) ? fail(c, "out of memory") : 0;
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
        return fail(c, "invalid IDN host: %s", idn2_strerror(rc));
    int ret = 0;
    size_t n = strlen(a);
    for (size_t i = 0; i < n && ret == 0; i++)
        if (!is_host_char(a[i]))
            ret = fail(c, "invalid IDN host: maps to a character not allowed in host names");
    if (ret == 0 && !keep) {
        buf_truncate(h, 0);
        if (buf_add(h, a, n))
            ret = fail(c, "out of memory");
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
        if (hex ? hexval((unsigned char)s[i]) < 0 : !is_digit(s[i]))
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
        return fail(c, "host is not valid UTF-8");
    for (size_t i = 0; i < h->len; i++) {
        unsigned char ch = (unsigned char)h->p[i];
        if (ch <= 0x20 || ch == 0x7f || (ch && strchr("/\\?@:[]#%<>^|\"", ch) != NULL))
            return fail(c, "invalid character in host");
    }
    map_wide_dots(h);
    fix_dots(h);
    if (h->len == 0)
        return fail(c, "empty host");
    lower(h);
    if ((!ascii || has_xn_label(h->p)) && idna(c, h, ascii))
        return -1;
    lower(h);    /* IDNA's output is lower-case already; parse_ipv4 relies on it */
    fix_dots(h); /* IDNA may map a label to nothing (U+00AD) */
    if (h->len == 0)
        return fail(c, "empty host");
    char v4[INET_ADDRSTRLEN];
    int ip = parse_ipv4(h->p, h->len, v4);
    if (ip < 0)
        return fail(c, "invalid IPv4 address");
    c->host_is_ip = ip > 0;
    int rc = ip > 0 ? buf_add(&c->host, v4, strlen(v4)) : escape_add(&c->host, h->p, h->len, NULL);
    return rc ? fail(c, "out of memory") : 0;
}

/* Step 4 for a host name or IPv4 address s[0..n) as written. Returns -1 (reason in c->err)
 * when it is invalid; see canon_name_bytes. */
static int canon_name(struct canon *c, const char *s, size_t n)
{
    struct buf h = {0};
    int rc = buf_add(&h, s, n) ? fail(c, "out of memory") : 0;
    if (rc == 0) {
        buf_truncate(&h, unescape_all(h.p, h.len));
        rc = canon_name_bytes(c, &h);
    }
    buf_free(&h);
    return rc;
}

/* Step 3 and 4: userinfo, host and port from the authority. Returns -1 (reason in c->err)
 * for a missing or invalid host or port. */
static int parse_authority(struct canon *c)
{
    const char *a = c->pre.p + c->auth_off, *end = a + c->auth_len;
    const char *at = c->auth_len ? memrchr(a, '@', c->auth_len) : NULL;
    if (at != NULL) {
        c->user_len = (size_t)(at + 1 - a);
        a = at + 1;
    }
    if (a == end)
        return fail(c, "no host");
    const char *port = NULL;
    int rc;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (rb == NULL || (rb + 1 < end && rb[1] != ':'))
            return fail(c, "invalid IPv6 literal");
        port = rb + 1 < end ? rb + 2 : NULL;
        rc = canon_ipv6(c, a + 1, (size_t)(rb - a - 1));
    } else {
        const char *colon = memrchr(a, ':', (size_t)(end - a));
        port = colon ? colon + 1 : NULL;
        rc = canon_name(c, a, (size_t)((colon ? colon : end) - a));
    }
    if (rc == 0 && port != NULL)
        rc = parse_port(c, port, (size_t)(end - port));
    return rc;
}

/* Appends to out the path p[0..n) (unescaped, starting with '/' or empty) with "//"
 * collapsed and "." and ".." segments resolved; out always starts with '/'. Returns -1 when
 * memory ran out. */
static int normalize_path(struct buf *out, const char *p, size_t n)
{
    bool trailing = false;
    if (buf_addc(out, '/'))
        return -1;
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        size_t len = i - s;
        if (len == 0)
            break;
        bool dot = len == 1 && p[s] == '.', dotdot = len == 2 && p[s] == '.' && p[s + 1] == '.';
        trailing = i < n || dot || dotdot; /* "/a/.." is "/", "/a/." is "/a/" */
        if (dotdot) {
            size_t k = out->len - 1; /* out ends with '/': drop the segment before it */
            while (k > 0 && out->p[k - 1] != '/')
                k--;
            buf_truncate(out, k > 0 ? k : 1);
        } else if (!dot) {
            if (buf_add(out, p + s, len) || buf_addc(out, '/'))
                return -1;
        }
    }
    if (!trailing && out->len > 1)
        buf_truncate(out, out->len - 1);
    return 0;
}

/* True when the query parameter s[0..n) ("name" or "name=value") is a tracking parameter
 * from the list in the header comment. */
static bool is_tracking(const char *s, size_t n)
{
    static const char *const names[] = {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
        "yclid", "igshid", "_ga", "spm", "isappinstalled", "scene", "clicktime", "enterid",
        "sharer_sharetime", "sharer_shareid"};
    static const char *const wechat_from[] = {"singlemessage", "groupmessage", "timeline"};
    const char *eq = memchr(s, '=', n);
    size_t name = eq ? (size_t)(eq - s) : n;
    if (name >= 4 && memcmp(s, "utm_", 4) == 0)
        return true;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == name && memcmp(s, names[i], name) == 0)
            return true;
    if (name != 4 || memcmp(s, "from", 4) != 0 || eq == NULL)
        return false;
    for (size_t i = 0; i < sizeof wechat_from / sizeof wechat_from[0]; i++)
        if (strlen(wechat_from[i]) == n - 5 && memcmp(eq + 1, wechat_from[i], n - 5) == 0)
            return true;
    return false;
}

/* Appends to c->query the unescaped query q[0..n) without tracking parameters, escaped.
 * Returns -1 (reason in c->err) when memory ran out. */
static int filter_query(struct canon *c, const char *q, size_t n)
{
    bool first = true;
    for (size_t i = 0; i <= n;) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t len = amp ? (size_t)(amp - (q + i)) : n - i;
        if (!is_tracking(q + i, len)) {
            if ((!first && buf_addc(&c->query, '&')) || escape_add(&c->query, q + i, len, NULL))
                return fail(c, "out of memory");
            first = false;
        }
        i += len + 1;
    }
    return 0;
}

/* Step 5 and 6 for the path and query. Returns -1 (reason in c->err) when memory ran out. */
static int canon_path_query(struct canon *c)
{
    struct buf r = {0}, p = {0};
    const char *s = c->pre.p + c->rest_off;
    size_t n = c->pre.len - c->rest_off;
    int rc = -1;
    if (buf_add(&r, s, n))
        goto done;
    const char *q = n ? memchr(r.p, '?', n) : NULL;
    for (size_t i = 0; i < (q ? (size_t)(q - r.p) : n); i++)
        if (r.p[i] == '\\')
            r.p[i] = '/'; /* browsers read a backslash in the path as a slash */
    buf_truncate(&r, unescape_all(r.p, r.len));
    q = r.len ? memchr(r.p, '?', r.len) : NULL;
    size_t plen = q ? (size_t)(q - r.p) : r.len;
    if (normalize_path(&p, r.p, plen) || escape_add(&c->path, p.p, p.len, "\\"))
        goto done;
    rc = 0;
    if (q != NULL)
        rc = filter_query(c, q + 1, r.len - plen - 1);
done:
    buf_free(&r);
    buf_free(&p);
    return rc == 0 ? 0 : fail(c, "out of memory");
}

/* Joins the parts into c->out. Returns -1 (reason in c->err) when the result is too long. */
static int assemble(struct canon *c)
{
    char port[16] = "";
    if (c->port >= 0)
        snprintf(port, sizeof port, ":%d", c->port);
    if (buf_add(&c->out, c->scheme, strlen(c->scheme)) || buf_add(&c->out, "://", 3) ||
        buf_add(&c->out, c->host.p, c->host.len) || buf_add(&c->out, port, strlen(port)) ||
        buf_add(&c->out, c->path.p, c->path.len) ||
        (c->query.len > 0 && (buf_addc(&c->out, '?') ||
                              buf_add(&c->out, c->query.p, c->query.len))))
        return fail(c, "out of memory");
    if (c->out.len > URL_MAX_OUT)
        return fail(c, "canonical URL longer than %d bytes", URL_MAX_OUT);
    return 0;
}

/* The input as typed, less tab, CR, LF, the spaces around it and its userinfo: a string to
 * free, or NULL when memory ran out. */
static char *original(const struct canon *c)
{
    char *s = malloc(c->typed.len - c->user_len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, c->typed.p, c->auth_off);
    memcpy(s + c->auth_off, c->typed.p + c->auth_off + c->user_len,
           c->typed.len - c->auth_off - c->user_len);
    s[c->typed.len - c->user_len] = '\0';
    return s;
}

/* Fills out from c. Returns -1 (reason in c->err) when memory ran out; out may then hold
 * some strings, which the caller frees with url_parts_free. */
static int fill_parts(struct canon *c, struct url_parts *out)
{
    const char *dom = NULL;
    if (!c->host_is_ip) {
        pthread_once(&psl_once, psl_load);
        if (psl_ctx != NULL)
            dom = psl_registrable_domain(psl_ctx, c->host.p);
    }
    out->canonical = dup_or_null(c->out.p);
    out->scheme = dup_or_null(c->scheme);
    out->host = dup_or_null(c->host.p);
    out->domain = dup_or_null(dom != NULL ? dom : c->host.p);
    out->original = original(c);
    if (!out->canonical || !out->scheme || !out->host || !out->domain || !out->original)
        return fail(c, "out of memory");
    return 0;
}

static void canon_free(struct canon *c)
{
    buf_free(&c->typed);
    buf_free(&c->pre);
    buf_free(&c->host);
    buf_free(&c->path);
    buf_free(&c->query);
    buf_free(&c->out);
}

int url_canonicalize(const char *in, size_t len, struct url_parts *out, char *err, size_t errlen)
{
    struct canon c = {.err = err, .errlen = errlen, .port = -1};
    int rc = -1;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL) {
        fail(&c, "no output given");
        goto done;
    }
    *out = (struct url_parts){0};
    if (in == NULL && len > 0) {
        fail(&c, "no input given");
        goto done;
    }
    if (prepare(&c, in != NULL ? in : "", len) || split_scheme(&c) || parse_authority(&c) ||
        canon_path_query(&c) || assemble(&c) || fill_parts(&c, out))
        goto done;
    rc = 0;
done:
    if (rc != 0)
        url_parts_free(out);
    canon_free(&c);
    return rc;
}

void url_parts_free(struct url_parts *p)
{
    if (p == NULL)
        return;
    free(p->canonical);
    free(p->scheme);
    free(p->host);
    free(p->domain);
    free(p->original);
    *p = (struct url_parts){0};
}
