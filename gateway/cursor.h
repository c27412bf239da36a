/* cursor — the decisions feed's cursors (GET /api/v1/decisions?after=CURSOR).
 *
 * The feed hands out two kinds of cursor: "0" (before every decision) and the Redis stream id
 * of a decision, "<ms>-<seq>", each part a decimal number without leading zeros that fits in
 * 64 bits, as Redis writes its ids. Only those are read: anything else (a part past
 * 2^64 - 1, a sign, a leading zero, a space, a missing part) is a cursor the feed never
 * issued, for which the caller answers 400 invalid_cursor instead of handing it to Redis.
 * Pure: no I/O, so that a fuzz target and unit tests reach it.
 */
#ifndef JUBAO_CURSOR_H
#define JUBAO_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

/* The longest cursor, "18446744073709551615-18446744073709551615", and its NUL. */
#define CURSOR_LEN 42

struct cursor {
    uint64_t ms, seq;   /* "0" reads as 0-0 */
};

/* Parses s. Returns true with *out filled when s is a cursor as described above, false
 * (and *out zeroed) otherwise. */
bool cursor_parse(const char *s, struct cursor *out);

/* Writes the first stream id after c as "<ms>-<seq>" into out: where the feed reads on, with
 * an inclusive XRANGE. Returns false, with out "", when c is the largest stream id and
 * nothing can follow it. */
bool cursor_successor(const struct cursor *c, char out[CURSOR_LEN]);

#endif
