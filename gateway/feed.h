/* feed — the platforms' decisions feed, GET /api/v1/decisions?after=CURSOR&limit=N: the
 * decisions on the reports a platform key filed, read with jb_feed from the key's stream from
 * the cursor on (cursor.h says what a cursor may be), each entry with its own cursor. The
 * handlers are a row's in routes.c.
 */
#ifndef JUBAO_FEED_H
#define JUBAO_FEED_H

#include "call.h"
#include "cursor.h"

void feed_list(struct call *call, struct http_req *req);
void feed_list_done(struct call *call, struct http_req *req);

/* Reads the page a feed request asks for (after=CURSOR&limit=N, here and in the handlers'
 * referrals, referral.c): the cursor as given into after, the first stream id to read into
 * start ("" when nothing can follow), the count (def without limit, at most max) into *n.
 * Returns 0, or -1 having answered 400. */
int feed_page(struct http_req *req, char after[CURSOR_LEN], char start[CURSOR_LEN], long *n,
              long def, long max);

#endif
