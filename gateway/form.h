/* form — the bodies of the web form: application/x-www-form-urlencoded and
 * multipart/form-data, parsed here with exact limits rather than by libmicrohttpd's
 * PostProcessor, whose parser has had bugs (CVE-2023-27371) and whose limits are not ours
 * (DESIGN.md). Both are small, fully specified formats; the whole body is in memory already
 * (http.c reads it up to the route's limit), so each is one pass over a buffer.
 */
#ifndef JUBAO_FORM_H
#define JUBAO_FORM_H

#include <stdbool.h>
#include <stddef.h>

#define FORM_MAX_FIELDS 16
#define FORM_MAX_HEADERS 1024   /* bytes of one multipart part's headers */

struct form_field {
    char name[32];
    char *value;            /* a copy of the bytes, NUL-terminated (a file may hold NULs) */
    size_t len;
    bool is_file;           /* a multipart part with a filename */
    char filename[128];     /* as given, cut to fit; "" when none */
};

struct form {
    struct form_field fields[FORM_MAX_FIELDS];
    size_t n;
};

/* Parses len bytes of body sent with content_type into f (which it zeroes first). Returns 0,
 * or -1 with a reason in err (f then holds nothing to free). Refused: another content type, a
 * malformed body, a name given twice, more than FORM_MAX_FIELDS fields, names longer than 31
 * bytes. */
int form_parse(struct form *f, const char *content_type, const char *body, size_t len,
               char *err, size_t errlen);
void form_free(struct form *f);

/* The field named name, or NULL. */
const struct form_field *form_get(const struct form *f, const char *name);

#endif
