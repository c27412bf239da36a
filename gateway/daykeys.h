/* daykeys — the pseudonym keys of yesterday, today and tomorrow, shared by every gateway
 * through Redis.
 *
 * A client address becomes a pseudonym under the key of its UTC day (crypto_pseudonym). The
 * key is random: the first gateway that needs a day's key stores a new one with SET NX (so
 * that all gateways agree on it) as daykey:<master key id>:<day>, wrapped under a key derived
 * from master.key, and Redis
 * deletes it 48 hours after its day began. Each gateway installs yesterday's (for requests
 * and retries that span midnight), today's and tomorrow's (made a day ahead, so that midnight
 * never waits for Redis), and wipes older ones. Once a day's key is gone, neither a Redis
 * dump nor master.key can tell which address a pseudonym of that day was.
 */
#ifndef JUBAO_DAYKEYS_H
#define JUBAO_DAYKEYS_H

#include <stddef.h>

struct daykeys;
struct keys;
struct store;

/* Starts a thread that refreshes the keys now and every minute (every second while Redis
 * cannot be reached). Returns NULL with the reason in err. */
struct daykeys *daykeys_start(struct store *st, const struct keys *k, char *err,
                              size_t errlen);
/* Stops the thread. Accepts NULL. */
void daykeys_stop(struct daykeys *d);

#endif
