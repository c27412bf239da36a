/* cursor — see cursor.h. */
#include "cursor.h"

#include <stdio.h>
#include <string.h>

/* Reads the decimal number of n digits at s into *v. Returns false when n is 0, when it has
 * a leading zero, or when it does not fit in 64 bits. */
static bool read_part(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (*v > (UINT64_MAX - d) / 10)
            return false;
        *v = *v * 10 + d;
    }
    return true;
}

bool cursor_parse(const char *s, struct cursor *out)
{
    static const char digits[] = "0123456789";
    memset(out, 0, sizeof *out);
    if (strcmp(s, "0") == 0)
        return true;
    size_t a = strspn(s, digits);
    if (s[a] != '-')
        return false;
    size_t b = strspn(s + a + 1, digits);
    if (s[a + 1 + b] != '\0' || !read_part(s, a, &out->ms) ||
        !read_part(s + a + 1, b, &out->seq)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}

bool cursor_successor(const struct cursor *c, char out[CURSOR_LEN])
{
    out[0] = '\0';
    if (c->seq < UINT64_MAX)
        snprintf(out, CURSOR_LEN, "%llu-%llu", (unsigned long long)c->ms,
                 (unsigned long long)c->seq + 1);
    else if (c->ms < UINT64_MAX)
        snprintf(out, CURSOR_LEN, "%llu-0", (unsigned long long)c->ms + 1);
    return out[0] != '\0';
}
