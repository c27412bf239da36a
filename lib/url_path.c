/* url_path — steps 5 and 6 for path and query (see url_path.h for the contract, url.c for the
 * rules and the list of tracking parameters). */
#include "url_path.h"
#include "url_escape.h"

#include <stdbool.h>
#include <string.h>

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

/* Appends to out the unescaped query q[0..n) without tracking parameters, escaped. Returns
 * -1 when memory ran out. */
static int filter_query(struct buf *out, const char *q, size_t n)
{
    bool first = true;
    for (size_t i = 0; i <= n;) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t len = amp ? (size_t)(amp - (q + i)) : n - i;
        if (!is_tracking(q + i, len)) {
            if ((!first && buf_addc(out, '&')) || url_escape_add(out, q + i, len, NULL))
                return -1;
            first = false;
        }
        i += len + 1;
    }
    return 0;
}

/* Step 5 and 6 for the path and query. Returns -1 (reason in c->err) when memory ran out. */
int url_path_query(struct canon *c)
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
    buf_truncate(&r, url_unescape_all(r.p, r.len));
    q = r.len ? memchr(r.p, '?', r.len) : NULL;
    size_t plen = q ? (size_t)(q - r.p) : r.len;
    if (normalize_path(&p, r.p, plen) || url_escape_add(&c->path, p.p, p.len, "\\"))
        goto done;
    rc = 0;
    if (q != NULL)
        rc = filter_query(&c->query, q + 1, r.len - plen - 1);
done:
    buf_free(&r);
    buf_free(&p);
    return rc == 0 ? 0 : url_fail(c, "out of memory");
}
