/* url — canonical form of a reported URL (Safe Browsing rules, IDN, public suffixes).
 *
 * Two spellings of the same target must give the same canonical string, because the case a
 * report joins is keyed by a hash of it. The canonical form follows Google Safe Browsing's
 * "URLs and hashing" canonicalization, plus: IDN hosts to punycode (libidn2), default ports
 * dropped, userinfo dropped, tracking parameters (utm_* and the like) dropped. The exact
 * rules, the list of tracking parameters and where they depart from Safe Browsing are at the
 * top of url.c. Thread-safe; the public suffix list is loaded once, at first use.
 */
#ifndef JUBAO_URL_H
#define JUBAO_URL_H

#include <stddef.h>

struct url_parts {
    char *canonical; /* "http://host/path?query", no fragment, no userinfo */
    char *scheme;    /* "http" or "https" */
    char *host;      /* lower-case ASCII (punycode) name or dotted IPv4 / bracketed IPv6 */
    char *domain;    /* registrable domain (public suffix + 1 label); the host for IP addresses */
    char *original;  /* the input as typed, less tab, CR, LF, the spaces around it and the
                        userinfo (which may carry credentials); the fragment kept. What may be
                        stored of the input: never the input itself */
};

/* Canonicalizes the len bytes at in (UTF-8, need not be NUL-terminated). A missing scheme is
 * taken as http, as Safe Browsing does; any scheme other than http or https, a missing or
 * invalid host, or a result longer than 4096 bytes is an error. Returns 0 and fills *out (free
 * it with url_parts_free), or -1 with a one-line reason in err and *out zeroed. Also errors:
 * input over 8192 bytes or not UTF-8. err may be NULL (errlen 0). */
int url_canonicalize(const char *in, size_t len, struct url_parts *out, char *err, size_t errlen);

/* Frees what url_canonicalize put in p and zeroes it; accepts a zeroed or NULL p. */
void url_parts_free(struct url_parts *p);

#endif
