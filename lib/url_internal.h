/* url_internal — what the parts of the URL canonicalizer share (url.c, url_escape.c,
 * url_host.c, url_path.c): the state of one url_canonicalize call, the error helper and a few
 * byte tests. Callers outside these files use url.h; nothing here is part of its contract.
 */
#ifndef JUBAO_URL_INTERNAL_H
#define JUBAO_URL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* State of one url_canonicalize call, which makes it and frees every buffer in it (url.c,
 * canon_free); the steps in url_host.c and url_path.c fill their parts of it. */
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

static inline int buf_addc(struct buf *b, char ch)
{
    return buf_add(b, &ch, 1);
}

static inline bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static inline bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static inline char ascii_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Writes a one-line reason into c->err (when there is room) and returns -1 (url.c). */
__attribute__((format(printf, 2, 3)))
int url_fail(struct canon *c, const char *fmt, ...);

#endif
