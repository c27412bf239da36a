/* url_escape — percent-unescaping and re-escaping for url.c (see url_escape.h). */
#include "url_escape.h"
#include "url_internal.h"

#include <stdbool.h>
#include <string.h>

int url_hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) in place until no "%XX" is left and returns the new length.
 * Escapes never overlap (hex digits are not '%'), so decoding is confluent and any order
 * reaches Safe Browsing's "unescape until nothing changes"; decoding again at the tail after
 * each byte gets there in one pass, where repeated passes over "%252525..." are quadratic. */
size_t url_unescape_all(char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        s[w++] = s[r];
        while (w >= 3 && s[w - 3] == '%' && url_hexval((unsigned char)s[w - 2]) >= 0 &&
               url_hexval((unsigned char)s[w - 1]) >= 0) {
            s[w - 3] = (char)(url_hexval((unsigned char)s[w - 2]) * 16 +
                              url_hexval((unsigned char)s[w - 1]));
            w -= 2;
        }
    }
    return w;
}

/* Appends s[0..n) with Safe Browsing's escape set (<= 0x20, >= 0x7F, '#', '%') and the bytes
 * in extra escaped as %XX. Returns -1 when memory ran out. */
int url_escape_add(struct buf *b, const char *s, size_t n, const char *extra)
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
