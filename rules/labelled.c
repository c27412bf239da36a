/* labelled — see labelled.h. */
#include "labelled.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "text.h"

#define LABELLED_MAX_BYTES (1L << 30)   /* a bound on what a tool reads into memory */

/* Reads the whole stream; returns the NUL-terminated bytes, or NULL. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    while (p) {
        n += fread(p + n, 1, cap - n - 1, f);
        if (ferror(f) || n > (size_t)LABELLED_MAX_BYTES)
            break;
        if (feof(f)) {
            p[n] = '\0';
            *len = n;
            return p;
        }
        char *q = n + 1 >= cap ? realloc(p, cap *= 2) : p;
        if (!q)
            break;
        p = q;
    }
    free(p);
    return NULL;
}

/* Splits the line at tabs into at most 4 fields; returns how many. */
static size_t fields(char *line, char **f)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < 4; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

static int row(struct labelled_row *r, char *line, bool need_category, char *why, size_t whylen)
{
    char *f[4];
    size_t n = fields(line, f);
    if (n == 4) {
        *r = (struct labelled_row){f[0], f[1], f[2], f[3], 0};
    } else if (!need_category && n == 2) {
        *r = (struct labelled_row){f[0], "", "", f[1], 0};
    } else if (!need_category && n == 3) {
        *r = (struct labelled_row){f[0], "", f[1], f[2], 0};
    } else {
        snprintf(why, whylen, "expected 4 tab-separated columns (id, category, lang, text)"
                 ", found %zu", n);
        return -1;
    }
    r->len = strlen(r->text);
    if (!r->id[0]) {
        snprintf(why, whylen, "empty id");
        return -1;
    }
    if (r->category[0] && strcmp(r->category, "none") != 0 &&
        !category_find(r->category, strlen(r->category))) {
        snprintf(why, whylen, "unknown category \"%.40s\"", r->category);
        return -1;
    }
    if (!text_utf8_valid(r->text, r->len) || !text_utf8_valid(r->id, strlen(r->id))) {
        snprintf(why, whylen, "not valid UTF-8");
        return -1;
    }
    return 0;
}

int labelled_read(struct labelled *out, const char *path, bool need_category, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = 0, lines = 1;
    out->data = slurp(f, &len);
    if (f != stdin)
        fclose(f);
    if (!out->data) {
        snprintf(err, errlen, "%s: cannot read (too large or out of memory)", path);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        lines += out->data[i] == '\n';
    if (!(out->row = calloc(lines, sizeof *out->row))) {
        snprintf(err, errlen, "%s: out of memory", path);
        labelled_free(out);
        return -1;
    }
    char why[128];
    size_t lineno = 0;
    for (char *line = out->data, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (!ll || (lineno == 1 && strncmp(line, "id\t", 3) == 0))
            continue;
        if (row(&out->row[out->n], line, need_category, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            labelled_free(out);
            return -1;
        }
        out->n++;
    }
    return 0;
}

void labelled_free(struct labelled *l)
{
    free(l->row);
    free(l->data);
    memset(l, 0, sizeof *l);
}
