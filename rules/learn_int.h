/* learn_int — what learn.c and learn_read.c share (learn.h); only they include it. */
#ifndef JUBAO_LEARN_INT_H
#define JUBAO_LEARN_INT_H

#include "learn.h"
#include "shard.h"

/* Adds one report of decided case cid as an example, counting the case when it is new: 1
 * (not added) when that would pass last cases or the bytes would pass LEARN_MAX_BYTES, 0 when
 * added, -1 with err set when memory ran out. */
int learn_add_row(struct learn_set *s, const char *cid, const char *cat, const char *title,
                  const char *desc, long last, size_t *bytes, char *err, size_t errlen);

/* Reads one page of decided cases from *start ("+" first) into s, moving *start on. Returns 1
 * when there is more to read, 0 at the end, -1 with err set. */
int learn_read_page(struct store *st, const struct shards *sh, char *start, size_t startlen,
                    long last, struct learn_set *s, size_t *bytes, char *err, size_t errlen);

#endif
