/* jdoc — see jdoc.h. */
#include "jdoc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Deepest nesting of arrays and objects outside strings. Stops counting past limit. */
static int jdoc_depth(const char *s, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len && max <= limit; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return max;
}

struct jdoc *jdoc_parse(const char *text, size_t len, int max_depth, char *err, size_t errlen)
{
    if (jdoc_depth(text, len, max_depth) > max_depth) {
        snprintf(err, errlen, "nested deeper than %d levels", max_depth);
        return NULL;
    }
    json_error_t je;
    /* NUL is let through (as the length-counted strings json_string gives) so that the
     * field checks can name the field that holds it. */
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        snprintf(err, errlen, "%s at byte %d", je.text, je.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(err, errlen, "the body must be a JSON object");
        return NULL;
    }
    return (struct jdoc *)root;
}

static const json_t *J(const struct jdoc *j)
{
    return (const json_t *)j;
}

void jdoc_free(struct jdoc *root)
{
    if (root)
        json_decref((json_t *)root);
}

enum jdoc_type jdoc_type(const struct jdoc *j)
{
    switch (json_typeof(J(j))) {
    case JSON_OBJECT: return JDOC_OBJECT;
    case JSON_ARRAY: return JDOC_ARRAY;
    case JSON_STRING: return JDOC_STRING;
    case JSON_INTEGER:
    case JSON_REAL: return JDOC_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return JDOC_BOOL;
    default: return JDOC_NULL;
    }
}

const char *jdoc_type_name(const struct jdoc *j)
{
    static const char *names[] = {"an object", "an array", "a string", "a number", "a boolean",
                                  "null"};
    return names[jdoc_type(j)];
}

const char *jdoc_string(const struct jdoc *j, size_t *len)
{
    if (!json_is_string(J(j)))
        return NULL;
    if (len)
        *len = json_string_length(J(j));
    return json_string_value(J(j));
}

const struct jdoc *jdoc_get(const struct jdoc *obj, const char *key)
{
    return (const struct jdoc *)json_object_get(J(obj), key);
}

const char *jdoc_next(const struct jdoc *obj, void **iter, const struct jdoc **value)
{
    json_t *o = (json_t *)(uintptr_t)J(obj);
    void *it = *iter ? json_object_iter_next(o, *iter) : json_object_iter(o);
    *iter = it;
    if (!it)
        return NULL;
    *value = (const struct jdoc *)json_object_iter_value(it);
    return json_object_iter_key(it);
}

size_t jdoc_size(const struct jdoc *j)
{
    if (json_is_object(J(j)))
        return json_object_size(J(j));
    return json_is_array(J(j)) ? json_array_size(J(j)) : 0;
}

const struct jdoc *jdoc_at(const struct jdoc *arr, size_t i)
{
    return (const struct jdoc *)json_array_get(J(arr), i);
}

struct jdoc *jdoc_object(void)
{
    return (struct jdoc *)json_object();
}

int jdoc_set_string(struct jdoc *obj, const char *key, const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    return v && json_object_set_new((json_t *)obj, key, v) == 0 ? 0 : -1;
}
