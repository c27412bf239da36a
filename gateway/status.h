/* status — following a report: the lookup that both the API's GET /api/v1/reports/{id}
 * (api.c) and the web's /status page (web.c) make, each rendering its outcome in its own
 * format. A lookup is one job of two commands: jb_status for the report, and jb_rate taking
 * one token of the status rate limit (rate_status_*) from the platform's bucket with a live
 * key, else from the client's pseudonym's, so that guessing secrets is slow from any one
 * client. The buckets sit in their owners' slots (lib/global.h): a key that is not live is
 * found so in the first job, which is then sent again with the client's bucket. A report filed before the sharded layout is not in the shard its id names: on such
 * a miss the lookup reads the id's alias and asks again in the shard it names (idshard.h), each
 * one more job (status_follow).
 */
#ifndef JUBAO_STATUS_H
#define JUBAO_STATUS_H

#include <stdbool.h>

#include "call.h"
#include "fcall.h"

/* One lookup: made by the caller (in its family's state), filled by status_lookup. */
struct status_ask {
    char id[PATH_ID_MAX];               /* the report's id, valid */
    bool platform;                      /* asked with the request's platform key */
    bool has_secret;                    /* asked with the report's secret: */
    char secret_hash[CRYPTO_HEX_LEN];   /* its keyed hash */
    int stage;                          /* status_follow's: 0 the named shard, 1 the alias, 2 moved */
    bool gone;                          /* no report in the named shard and no alias */
    bool key_dead;                      /* the key is not live: the client's bucket instead */
    char key_name[72];                  /* the live key's platform (jb_rate's answer) */
};

/* Looks up report ask->id for the holder of secret (or NULL: of the request's platform key,
 * when ask->platform) and suspends the request (or answers 503). */
void status_lookup(struct call *call, struct http_req *req, struct status_ask *ask,
                   const char *secret);

/* After status_lookup: 0 when the lookup was within the rate limit, else the seconds until it
 * is (answer 429 with that Retry-After, and nothing of the report). 0 after status_follow's
 * jobs, which take no token. */
long status_rate_wait(const struct call *call, struct status_ask *ask);

/* After the rate check: when the key was not live (its bucket is in its own slot, so the
 * lookup is sent again with the client's), or the report was not where its id says, the next
 * step (the alias, then the lookup in the shard it names) is sent and the request suspended again, or 503
 * answered: returns true, and the caller's resume callback runs again. False when the job's
 * reply 0 is the lookup's last answer, for status_access. */
bool status_follow(struct call *call, struct http_req *req, struct status_ask *ask);

/* Reads the jb_status reply r into *out (whose strings live as long as the job) and says
 * whether the caller may see the report: 200, 401 or 404. */
int status_access(const struct status_ask *ask, const struct store_reply *r,
                  struct fcall_status_out *out);

#endif
