/* jdoc — the only jansson user: strict parsing of request bodies.
 *
 * Rejects invalid UTF-8, duplicate keys, trailing data, a top level that is not an object,
 * and nesting deeper than a limit (checked before jansson sees the text, so a
 * deeply nested body costs nothing but a scan).
 */
#ifndef JUBAO_JDOC_H
#define JUBAO_JDOC_H

#include <stdbool.h>
#include <stddef.h>

struct jdoc; /* a node of a parsed document; the document is owned by its root */

enum jdoc_type { JDOC_OBJECT, JDOC_ARRAY, JDOC_STRING, JDOC_NUMBER, JDOC_BOOL, JDOC_NULL };

/* Parses len bytes. Returns the root object (free with json_free), or NULL with a short
 * human reason in err. */
struct jdoc *jdoc_parse(const char *text, size_t len, int max_depth, char *err, size_t errlen);
void jdoc_free(struct jdoc *root);

enum jdoc_type jdoc_type(const struct jdoc *j);
const char *jdoc_type_name(const struct jdoc *j);
/* The bytes of a string node and their count, or NULL when j is not a string. The bytes may
 * hold NUL ("\u0000"): use the count. */
const char *jdoc_string(const struct jdoc *j, size_t *len);
/* The member of an object, or NULL. */
const struct jdoc *jdoc_get(const struct jdoc *obj, const char *key);
/* Iterates an object: pass NULL first; returns the next key (its value in *value) or NULL. */
const char *jdoc_next(const struct jdoc *obj, void **iter, const struct jdoc **value);
size_t jdoc_size(const struct jdoc *j); /* members of an object, elements of an array */
const struct jdoc *jdoc_at(const struct jdoc *arr, size_t i);

/* A new empty object (free with jdoc_free), or NULL when out of memory: the web form's fields
 * become such an object, so that they are validated exactly as a JSON report is. */
struct jdoc *jdoc_object(void);
/* Sets obj[key] to the string of len bytes. Returns 0, or -1 when out of memory. */
int jdoc_set_string(struct jdoc *obj, const char *key, const char *s, size_t len);

#endif
