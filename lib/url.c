/* url — canonical form of a reported URL (see url.h for the contract).
 *
 * This file runs the steps below and does steps 1 to 3 and the assembly; step 4 (the host) is
 * url_host.c, steps 5 and 6 for path and query are url_path.c, the percent-unescaping and
 * escaping they share is url_escape.c, and the state they pass around is in url_internal.h.
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
#include "text.h"
#include "url_escape.h"
#include "url_host.h"
#include "url_internal.h"
#include "url_path.h"

#include <libpsl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { URL_MAX_IN = 8192, URL_MAX_OUT = 4096 };

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
int url_fail(struct canon *c, const char *fmt, ...)
{
    if (c->err != NULL && c->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
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

/* Cuts the spaces (space_len) at the end of b. */
static void trim_end(struct buf *b)
{
    size_t k;
    while ((k = space_len(b->p, b->len, true)) > 0)
        buf_truncate(b, b->len - k);
}

/* Cuts the spaces (space_len) at both ends of b. */
static void trim_spaces(struct buf *b)
{
    size_t k, start = 0;
    if (!b->p)
        return; /* nothing was added: an empty URL (refused by the caller) */
    trim_end(b);
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
        return url_fail(c, "URL longer than %d bytes", URL_MAX_IN);
    if (!text_utf8_valid(in, len))
        return url_fail(c, "URL is not valid UTF-8");
    for (size_t i = 0; i < len; i++)
        if (in[i] != '\t' && in[i] != '\r' && in[i] != '\n' && buf_addc(&c->typed, in[i]))
            return url_fail(c, "out of memory");
    trim_spaces(&c->typed);
    if (c->typed.len == 0)
        return url_fail(c, "empty URL");
    const char *hash = memchr(c->typed.p, '#', c->typed.len);
    size_t n = hash != NULL ? (size_t)(hash - c->typed.p) : c->typed.len;
    if (n > 0 && buf_add(&c->pre, c->typed.p, n))
        return url_fail(c, "out of memory");
    trim_end(&c->pre);
    return c->pre.len > 0 ? 0 : url_fail(c, "empty URL");
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
            return url_fail(c, "unsupported scheme \"%.*s\"", (int)(i < 32 ? i : 32), s);
        pos = i + 1;
        if (n - pos < 2 || !is_slash(s[pos]) || !is_slash(s[pos + 1]))
            return url_fail(c, "expected // after %s:", c->scheme);
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
            return url_fail(c, "invalid port");
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return url_fail(c, "port out of range");
    }
    bool dflt = (v == 80 && strcmp(c->scheme, "http") == 0) ||
                (v == 443 && strcmp(c->scheme, "https") == 0);
    c->port = (n == 0 || dflt) ? -1 : (int)v;
    return 0;
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
        return url_fail(c, "no host");
    const char *port = NULL;
    int rc;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (rb == NULL || (rb + 1 < end && rb[1] != ':'))
            return url_fail(c, "invalid IPv6 literal");
        port = rb + 1 < end ? rb + 2 : NULL;
        rc = url_host_ipv6(c, a + 1, (size_t)(rb - a - 1));
    } else {
        const char *colon = memrchr(a, ':', (size_t)(end - a));
        port = colon ? colon + 1 : NULL;
        rc = url_host_name(c, a, (size_t)((colon ? colon : end) - a));
    }
    if (rc == 0 && port != NULL)
        rc = parse_port(c, port, (size_t)(end - port));
    return rc;
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
        return url_fail(c, "out of memory");
    if (c->out.len > URL_MAX_OUT)
        return url_fail(c, "canonical URL longer than %d bytes", URL_MAX_OUT);
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
        return url_fail(c, "out of memory");
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
        url_fail(&c, "no output given");
        goto done;
    }
    *out = (struct url_parts){0};
    if (in == NULL && len > 0) {
        url_fail(&c, "no input given");
        goto done;
    }
    if (prepare(&c, in != NULL ? in : "", len) || split_scheme(&c) || parse_authority(&c) ||
        url_path_query(&c) || assemble(&c) || fill_parts(&c, out))
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
