/* form — see form.h. */
#include "form.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void form_free(struct form *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->fields[i].value);
    f->n = 0;
}

const struct form_field *form_get(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

/* Adds a field whose value is len bytes at v (copied). Returns 0, or -1 with err. */
static int add(struct form *f, const char *name, size_t nlen, const char *v, size_t len,
               char *err, size_t errlen)
{
    if (nlen == 0 || nlen >= sizeof f->fields[0].name)
        return fail(err, errlen, "a field name is empty or longer than 31 bytes");
    /* "url%00x" would read as "url": a second url past the check for names given twice */
    if (memchr(name, '\0', nlen))
        return fail(err, errlen, "a field name holds a NUL byte");
    if (f->n == FORM_MAX_FIELDS)
        return fail(err, errlen, "more than %d fields", FORM_MAX_FIELDS);
    struct form_field *x = &f->fields[f->n];
    memset(x, 0, sizeof *x);
    memcpy(x->name, name, nlen);
    if (form_get(f, x->name))
        return fail(err, errlen, "the field %s is given twice", x->name);
    if (!(x->value = malloc(len + 1)))
        return fail(err, errlen, "out of memory");
    memcpy(x->value, v, len);
    x->value[len] = '\0';
    x->len = len;
    f->n++;
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes %XX and '+' of s[0..len) in place into out; returns the decoded length, or
 * (size_t)-1 on a bad escape. */
static size_t url_decode(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return (size_t)-1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

static int parse_urlencoded(struct form *f, const char *body, size_t len, char *err,
                            size_t errlen)
{
    char *tmp = malloc(len + 1);
    if (!tmp)
        return fail(err, errlen, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - body) : len;
        const char *eq = memchr(body + i, '=', end - i);
        if (end == i) {
            i++;
            continue;
        }
        size_t nend = eq ? (size_t)(eq - body) : end;
        char name[64];
        size_t nlen = nend - i < sizeof name ? url_decode(body + i, nend - i, name) : (size_t)-1;
        size_t vlen = eq ? url_decode(eq + 1, end - nend - 1, tmp) : 0;
        if (nlen == (size_t)-1 || vlen == (size_t)-1)
            rc = fail(err, errlen, "a malformed %%-escape or an over-long name");
        else
            rc = add(f, name, nlen, tmp, vlen, err, errlen);
        i = end + 1;
    }
    free(tmp);
    return rc;
}

/* The value of parameter key in a header value such as `form-data; name="x"; filename="y"`,
 * unquoted into out. Returns true when present. */
static bool header_param(const char *h, size_t hlen, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < hlen;) {
        while (i < hlen && (h[i] == ';' || h[i] == ' ' || h[i] == '\t'))
            i++;
        size_t start = i;
        while (i < hlen && h[i] != '=' && h[i] != ';')
            i++;
        bool match = i - start == klen && strncasecmp(h + start, key, klen) == 0;
        if (i >= hlen || h[i] != '=')
            continue;
        i++;
        size_t o = 0;
        if (i < hlen && h[i] == '"') {
            for (i++; i < hlen && h[i] != '"'; i++) {
                if (h[i] == '\\' && i + 1 < hlen)
                    i++;
                if (match && o + 1 < outlen)
                    out[o++] = h[i];
            }
            i++;
        } else {
            for (; i < hlen && h[i] != ';'; i++)
                if (match && o + 1 < outlen && h[i] != ' ')
                    out[o++] = h[i];
        }
        if (match) {
            out[o] = '\0';
            return true;
        }
    }
    return false;
}

/* Finds header name (case-insensitive) in a part's header block; returns its value and
 * length, or NULL. */
static const char *part_header(const char *h, size_t hlen, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < hlen;) {
        const char *eol = memmem(h + i, hlen - i, "\r\n", 2);
        size_t end = eol ? (size_t)(eol - h) : hlen;
        if (end - i > nlen && strncasecmp(h + i, name, nlen) == 0 && h[i + nlen] == ':') {
            size_t v = i + nlen + 1;
            while (v < end && (h[v] == ' ' || h[v] == '\t'))
                v++;
            *vlen = end - v;
            return h + v;
        }
        i = end + 2;
    }
    return NULL;
}

static int parse_multipart(struct form *f, const char *ct, const char *body, size_t len,
                           char *err, size_t errlen)
{
    char boundary[80], delim[84];
    if (!header_param(ct, strlen(ct), "boundary", boundary, sizeof boundary) ||
        strlen(boundary) == 0 || strlen(boundary) > 70)
        return fail(err, errlen, "the multipart boundary is missing or longer than 70 bytes");
    int dlen = snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    /* the first delimiter may start the body (no CRLF before it) or follow a preamble */
    const char *p = len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0
                        ? body + dlen - 2
                        : memmem(body, len, delim, (size_t)dlen);
    if (!p)
        return fail(err, errlen, "no multipart boundary in the body");
    if (p != body + dlen - 2)
        p += dlen;
    const char *end = body + len;
    for (;;) {
        if (end - p >= 2 && memcmp(p, "--", 2) == 0)
            return 0;   /* the closing delimiter; what follows is epilogue */
        if (end - p < 2 || memcmp(p, "\r\n", 2) != 0)
            return fail(err, errlen, "a malformed multipart delimiter");
        p += 2;
        const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hend || hend - p > FORM_MAX_HEADERS)
            return fail(err, errlen, "a multipart part's headers are missing or too long");
        size_t hlen = (size_t)(hend - p) + 2, dvlen;
        if (memchr(p, '\0', hlen))   /* it would cut a name or filename short unseen */
            return fail(err, errlen, "a multipart part's headers hold a NUL byte");
        const char *cd = part_header(p, hlen, "Content-Disposition", &dvlen);
        char name[64] = "", filename[sizeof f->fields[0].filename] = "";
        if (!cd || !header_param(cd, dvlen, "name", name, sizeof name))
            return fail(err, errlen, "a multipart part without a form-data name");
        bool is_file = header_param(cd, dvlen, "filename", filename, sizeof filename);
        const char *content = hend + 4;
        const char *next = memmem(content, (size_t)(end - content), delim, (size_t)dlen);
        if (!next)
            return fail(err, errlen, "a multipart part is not closed by the boundary");
        if (add(f, name, strlen(name), content, (size_t)(next - content), err, errlen) < 0)
            return -1;
        f->fields[f->n - 1].is_file = is_file;
        memcpy(f->fields[f->n - 1].filename, filename, sizeof filename);
        p = next + dlen;
    }
}

int form_parse(struct form *f, const char *content_type, const char *body, size_t len,
               char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    const char *ct = content_type ? content_type : "";
    int rc;
    if (strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
        (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' '))
        rc = parse_urlencoded(f, body, len, err, errlen);
    else if (strncasecmp(ct, "multipart/form-data", 19) == 0 && (ct[19] == ';' || ct[19] == ' '))
        rc = parse_multipart(f, ct + 19, body, len, err, errlen);
    else
        rc = fail(err, errlen, "send the form as application/x-www-form-urlencoded or "
                               "multipart/form-data");
    if (rc < 0)
        form_free(f);
    return rc;
}
