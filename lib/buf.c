/* buf — see buf.h. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_free(struct buf *b)
{
    free(b->p);
    *b = (struct buf){0};
}

void *buf_array_grow(void *a, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return a;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / size)
        return NULL;
    void *q = realloc(a, n * size);
    if (q)
        *cap = n;
    return q;
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len <= b->len && b->p) {
        b->len = len;
        b->p[len] = '\0';
    }
}

int buf_size_for(struct buf *b, size_t total)
{
    if (b->oom)
        return -1;
    if (total + 1 <= b->cap)
        return 0;
    char *p = realloc(b->p, total + 1);
    if (!p) {
        b->oom = true;
        return -1;
    }
    if (!b->p)
        p[0] = '\0';
    b->p = p;
    b->cap = total + 1;
    return 0;
}

static bool buf_reserve(struct buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap * 2 : 256;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    char *p = realloc(b->p, ncap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = ncap;
    return true;
}

int buf_add(struct buf *b, const void *s, size_t len)
{
    if (!buf_reserve(b, len))
        return -1;
    if (len)
        memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_json_str(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    buf_add(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&')
            continue;
        buf_add(b, s + start, i - start);
        char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            esc[2] = 0;
        }
        buf_puts(b, esc);
        start = i + 1;
    }
    buf_add(b, s + start, len - start);
    buf_add(b, "\"", 1);
}

void buf_json_kv(struct buf *b, const char *key, const char *value)
{
    if (b->len && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
        buf_add(b, ",", 1);
    buf_json_str(b, key, strlen(key));
    buf_add(b, ":", 1);
    buf_json_str(b, value, strlen(value));
}

void buf_html(struct buf *b, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        buf_add(b, s + start, i - start);
        buf_puts(b, ent);
        start = i + 1;
    }
    buf_add(b, s + start, len - start);
}
