/* url_escape — percent-unescaping and Safe Browsing's re-escaping (steps 4 to 6 in url.c's
 * header comment), on bytes and struct buf; shared by url.c, url_host.c and url_path.c.
 * Nothing here allocates except through the buf it is given; the caller frees that buf.
 */
#ifndef JUBAO_URL_ESCAPE_H
#define JUBAO_URL_ESCAPE_H

#include <stddef.h>

#include "buf.h"

/* The value of the hex digit ch (either case), or -1 when ch is none. */
int url_hexval(unsigned char ch);

/* Percent-decodes s[0..n) in place until no "%XX" is left and returns the new length. */
size_t url_unescape_all(char *s, size_t n);

/* Appends s[0..n) to b with Safe Browsing's escape set (<= 0x20, >= 0x7F, '#', '%') and the
 * bytes in extra (may be NULL) escaped as %XX, upper-case hex. Returns 0, or -1 when memory
 * ran out (b->oom is then set; b is still the caller's to free). */
int url_escape_add(struct buf *b, const char *s, size_t n, const char *extra);

#endif
