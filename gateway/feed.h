/* feed — the platforms' decisions feed, GET /api/v1/decisions?after=CURSOR&limit=N: the
 * decisions on the reports a platform key filed, read with jb_feed from the key's stream from
 * the cursor on (cursor.h says what a cursor may be), each entry with its own cursor. The
 * handlers are a row's in routes.c.
 */
#ifndef JUBAO_FEED_H
#define JUBAO_FEED_H

#include "call.h"

void feed_list(struct call *call, struct http_req *req);
void feed_list_done(struct call *call, struct http_req *req);

#endif
