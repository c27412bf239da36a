/* cluster — the rules of the Redis Cluster specification that a client must follow, on values
 * already parsed: key -> hash slot, the slot map, MOVED and ASK redirections, the seed list.
 *
 * Written by hand because no Debian package offers a cluster client for hiredis 0.14 (hiredis-
 * cluster and hiredis-vip are not packaged, and they would be a second Redis client beside
 * lib/store.c). This module talks to no server and includes no hiredis header: lib/store.c, the
 * only hiredis user, reads the replies and hands their strings and numbers here. Pure functions
 * and one opaque map; a map is used by one thread at a time (the store rebuilds it whole on a
 * refresh and swaps it).
 *
 * Everything a server or an operator sends is bounded: CLUSTER_HOST_MAX bytes of a host name,
 * CLUSTER_NODES_MAX nodes in a map, CLUSTER_REPLICAS_MAX replicas kept per primary (more are
 * ignored: they only serve reads we do not make), CLUSTER_SEEDS_MAX seeds.
 */
#ifndef JUBAO_CLUSTER_H
#define JUBAO_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#define CLUSTER_SLOTS 16384
#define CLUSTER_HOST_MAX 256 /* bytes of a host (or socket path), with its NUL */
#define CLUSTER_NODES_MAX 128
#define CLUSTER_REPLICAS_MAX 8
#define CLUSTER_SEEDS_MAX 16

/* A node's address. port 0 only in a seed: host is then a Unix socket path. */
struct cluster_addr {
    char host[CLUSTER_HOST_MAX];
    int port;
};

/* CRC16-XMODEM (polynomial 0x1021, initial value 0) of len bytes, as the specification's
 * Appendix A defines it: "123456789" gives 0x31C3. */
unsigned cluster_crc16(const void *buf, size_t len);

/* The hash slot of a key (binary, len bytes): CRC16 mod 16384 of the whole key, or of the
 * bytes between the first '{' and the first '}' after it when there are any (the hash tag). */
unsigned cluster_keyslot(const void *key, size_t len);

/* The hash tag (without braces) of shard `shard` of `nshards` (1..CLUSTER_SHARDS_MAX): "s"
 * and the smallest decimal number whose slot is the first of the shard's share of the slots,
 * shard * 16384 / nshards. `redis-cli --cluster create` gives each of M primaries an equal run
 * of slots, so shards tagged so spread over the primaries as evenly as nshards / M allows (16
 * over 3: 6, 5, 5), where tags "0".."15" land 6, 6, 4. The tags name stored keys: never change
 * this rule for existing data. A search of about 16384 CRCs per tag: compute the tags once.
 * Returns the tag's length, or -1 when shard or nshards is out of range or taglen is too short
 * (16 bytes always suffice). */
#define CLUSTER_SHARDS_MAX 1024
int cluster_shard_tag(unsigned shard, unsigned nshards, char *tag, size_t taglen);

/* Fills *a from host (len bytes, need not be NUL-terminated) and port, as a node appears in
 * CLUSTER SLOTS or SHARDS and in a redirection. An empty host or "?" (the server does not
 * know its endpoint) stands for the host the reply came from, asked_host. Returns 0, or -1
 * with the reason in err when the host is too long or holds a control character, a space or
 * a comma, or the port is not 1..65535. */
int cluster_addr_set(struct cluster_addr *a, const char *host, size_t len, long long port,
                     const char *asked_host, char *err, size_t errlen);

/* True when a and b are the same host string and port. */
bool cluster_addr_equal(const struct cluster_addr *a, const struct cluster_addr *b);

/* ---- the seed list (JUBAO_REDIS) ---- */

struct cluster_seeds {
    size_t n;
    struct cluster_addr addr[CLUSTER_SEEDS_MAX];
};

/* Parses the Redis address. A value without a comma means what it has always meant: a Unix
 * socket path when it starts with '/' (the whole value, commas included), else one host:port
 * ("[v6]:port" for IPv6; conf_split_hostport). A comma-separated list is host:port seeds of a
 * cluster, blanks around each allowed, none empty, no two equal, at most CLUSTER_SEEDS_MAX.
 * Returns 0, or -1 with the reason in err (and out->n 0). */
int cluster_seeds_parse(struct cluster_seeds *out, const char *s, char *err, size_t errlen);

/* ---- redirections ---- */

enum cluster_redirect_kind { CLUSTER_MOVED = 1, CLUSTER_ASK = 2 };

struct cluster_redirect {
    enum cluster_redirect_kind kind;
    unsigned slot;
    struct cluster_addr addr;
};

/* Reads an error reply's text (len bytes, without the leading '-'): "MOVED <slot> <host>:<port>"
 * or "ASK <slot> <host>:<port>"; the host may be an IPv6 address without brackets, or empty for
 * asked_host (the node that answered). Returns 1 and fills *out for a redirection, 0 for any
 * other error, -1 with the reason in err for a MOVED or ASK that is malformed. */
int cluster_redirect_parse(struct cluster_redirect *out, const char *s, size_t len,
                           const char *asked_host, char *err, size_t errlen);

/* ---- the slot map ---- */

struct cluster_map;

/* An empty map (no slot has a node). Returns NULL when out of memory. */
struct cluster_map *cluster_map_new(void);
void cluster_map_free(struct cluster_map *m);

/* Adds one range of a CLUSTER SLOTS (or SHARDS) reply: slots start..end served by nodes[0],
 * the primary, with nodes[1..n) its replicas. Returns 0, or -1 with the reason in err when the
 * range is not within 0..16383, overlaps a range already added, n is 0, or the map would hold
 * more than CLUSTER_NODES_MAX nodes; the map is then unchanged. */
int cluster_map_add(struct cluster_map *m, unsigned start, unsigned end,
                    const struct cluster_addr *nodes, size_t n, char *err, size_t errlen);

/* 0 when every slot has a node, else -1 with the first slot that has none in err. */
int cluster_map_complete(const struct cluster_map *m, char *err, size_t errlen);

/* Follows a MOVED: from now on the slot is the redirection's node's, which becomes a known
 * primary (the spec: update the one slot, and refresh the whole map soon). An ASK changes
 * nothing (it holds for one command) and returns the node without changing the map. Returns the
 * node's index, or -1 with the reason in err when the map is full. */
int cluster_map_follow(struct cluster_map *m, const struct cluster_redirect *r, char *err,
                       size_t errlen);

/* The index of the primary serving slot, or -1 when no node serves it (refresh the map). */
int cluster_map_primary(const struct cluster_map *m, unsigned slot);

/* Up to max indexes of the replicas of slot's primary into out; returns how many there are
 * (at most CLUSTER_REPLICAS_MAX). */
size_t cluster_map_replicas(const struct cluster_map *m, unsigned slot, int *out, size_t max);

/* Up to max indexes of the primaries that serve at least one slot, each once, in the order
 * they were added; returns how many there are. (Where to load the Functions.) */
size_t cluster_map_primaries(const struct cluster_map *m, int *out, size_t max);

/* The number of nodes, a node by index (NULL when out of range), and a node's index (-1 when
 * the map does not know it). Indexes are stable for the life of the map, not across maps. */
size_t cluster_map_nodes(const struct cluster_map *m);
const struct cluster_addr *cluster_map_node(const struct cluster_map *m, int i);
int cluster_map_find(const struct cluster_map *m, const struct cluster_addr *a);

/* ---- INFO ---- */

/* Reads "cluster_enabled:<0|1>" from an INFO (or INFO cluster) reply of len bytes. Returns 1
 * for a cluster, 0 for a single server, -1 when the field is missing or malformed. */
int cluster_info_enabled(const char *info, size_t len);

#endif
