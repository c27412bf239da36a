/* path — matching a request path against a route's pattern (api.c's route table).
 *
 * A pattern is a literal path in which each '*' stands for one non-empty path segment (an
 * {id}); at most PATH_IDS of them. Pure, so that a fuzz target reaches it without a daemon.
 */
#ifndef JUBAO_PATH_H
#define JUBAO_PATH_H

#include <stdbool.h>

#define PATH_IDS 2
#define PATH_ID_MAX 64   /* bytes of a segment's copy, NUL included */

/* True when path matches pattern; the segments that the '*'s stand for go to ids, in order
 * ("" when one is longer than PATH_ID_MAX - 1 bytes, which no valid id is). On false, ids
 * may hold a partial match's segments. */
bool path_match(const char *pattern, const char *path, char ids[PATH_IDS][PATH_ID_MAX]);

#endif
