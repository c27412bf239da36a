/* url_host — step 4 of url.c's canonicalization: the host as written (a name, an IPv4 address
 * in any inet_aton form, or an IPv6 literal) to its canonical form. The only libidn2 user.
 * The rules and the choices behind them are in url.c's header comment.
 *
 * Both functions append the canonical host, escaped, to c->host and set c->host_is_ip. They
 * return 0, or -1 with a one-line reason in c->err; what they appended is freed with the rest
 * of c by url.c, and nothing else is left behind.
 */
#ifndef JUBAO_URL_HOST_H
#define JUBAO_URL_HOST_H

#include <stddef.h>

#include "url_internal.h"

/* A host name or IPv4 address s[0..n), still escaped. Fails for a host that is empty, not
 * UTF-8, holds a delimiter, fails IDNA, or is a number but no IPv4 address. */
int url_host_name(struct canon *c, const char *s, size_t n);

/* An IPv6 literal s[0..n) without its brackets; an IPv4-mapped or NAT64 one becomes the IPv4
 * address. Fails when inet_pton rejects it. */
int url_host_ipv6(struct canon *c, const char *s, size_t n);

#endif
