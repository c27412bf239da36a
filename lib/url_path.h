/* url_path — steps 5 and 6 of url.c's canonicalization for the path and the query: one
 * unescaping of both together, dot segments and "//" in the path, tracking parameters out of
 * the query (the list is in url.c's header comment), then re-escaping.
 */
#ifndef JUBAO_URL_PATH_H
#define JUBAO_URL_PATH_H

#include "url_internal.h"

/* Reads c->pre from c->rest_off and appends the canonical path (always starting with '/') to
 * c->path and the canonical query (without '?'; empty when none is left) to c->query. Returns
 * 0, or -1 with the reason in c->err when memory ran out; what it appended is freed with the
 * rest of c by url.c. */
int url_path_query(struct canon *c);

#endif
