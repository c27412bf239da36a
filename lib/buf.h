/* buf — a growable byte buffer for building answers, with JSON string escaping.
 * The bytes are always followed by a NUL (they may hold NULs themselves). A failed allocation
 * sets oom and later appends do nothing, so callers may check once, at the end; buf_add also
 * returns -1 for callers that stop at the first failure.
 */
#ifndef JUBAO_BUF_H
#define JUBAO_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *p;        /* NUL-terminated while !oom */
    size_t len, cap;
    bool oom;
};

void buf_free(struct buf *b);
/* Appends len bytes. Returns 0, or -1 when out of memory (b->oom is then set). */
int buf_add(struct buf *b, const void *s, size_t len);
/* Allocates room for total bytes in all, exactly, when it has less (for a body whose length
 * is known: no doubling, no copies). Returns 0, or -1 when out of memory (oom is set). */
int buf_size_for(struct buf *b, size_t total);
/* Sets the length to len (at most the current length), keeping the NUL after it. */
void buf_truncate(struct buf *b, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (len bytes of UTF-8) as a quoted JSON string. */
void buf_json_str(struct buf *b, const char *s, size_t len);
/* Appends "key": and the quoted string value; a comma first unless the buffer ends in { or [. */
void buf_json_kv(struct buf *b, const char *key, const char *value);
/* Makes room in array a (elements of size bytes, *cap of them allocated) for need elements,
 * doubling the allocation. Returns the array, maybe moved, with *cap updated; or NULL when
 * memory ran out, with a and *cap untouched. */
void *buf_array_grow(void *a, size_t *cap, size_t need, size_t size);

/* Appends s with &, <, >, " and ' as HTML entities (for pages). */
void buf_html(struct buf *b, const char *s, size_t len);

#endif
