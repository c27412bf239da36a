/* ac — Aho-Corasick: find every occurrence of many literals in one pass over a text.
 *
 * The rule engine's prefilter scans each field once for the required literals of all rules
 * (literal.h) and runs only the regexes whose literal is present. Written here because Debian
 * packages no C library for it: Vectorscan is the only multi-literal matcher there, and it is
 * x86-only, a large dependency and the very thing our benchmark measures us against. This one
 * is a plain DFA over byte classes (bytes that no literal uses share one class), ASCII letters
 * folded to lower case, about a hundred lines.
 */
#ifndef JUBAO_AC_H
#define JUBAO_AC_H

#include <stddef.h>
#include <stdint.h>

struct ac;

/* A new empty automaton, or NULL when memory ran out. */
struct ac *ac_new(void);
void ac_free(struct ac *ac);

/* Adds a literal of len > 0 bytes (compared with ASCII letters folded) reported as id.
 * Returns 0, or -1 when memory ran out or the automaton is already built. */
int ac_add(struct ac *ac, const void *lit, size_t len, uint32_t id);

/* Builds the automaton; no literal may be added after. Returns 0, or -1 when out of memory. */
int ac_build(struct ac *ac);

/* Called for each occurrence: the literal's id and the offset just past its end, in order of
 * that offset. A non-zero return stops the scan and is returned by ac_scan. */
typedef int (*ac_fn)(uint32_t id, size_t end, void *ctx);

/* Scans the len bytes at s. Returns 0, or what fn returned to stop it. */
int ac_scan(const struct ac *ac, const void *s, size_t len, ac_fn fn, void *ctx);

/* States and table bytes, for the load log and the benchmark. */
void ac_stats(const struct ac *ac, size_t *states, size_t *bytes);

#endif
