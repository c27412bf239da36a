/* cluster — see cluster.h. The rules are those of the Redis Cluster specification
 * (redis.io/docs/reference/cluster-spec): "Keys distribution model" and Appendix A for the
 * slot, "Redirection and resharding" for MOVED and ASK, "Client first connection and handling
 * of redirections" for the map.
 */
#include "cluster.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* CRC16-XMODEM, one entry per byte value: table[b] = crc of b << 8, polynomial 0x1021. */
static const uint16_t crc16_table[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7,
    0x8108, 0x9129, 0xa14a, 0xb16b, 0xc18c, 0xd1ad, 0xe1ce, 0xf1ef,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52b5, 0x4294, 0x72f7, 0x62d6,
    0x9339, 0x8318, 0xb37b, 0xa35a, 0xd3bd, 0xc39c, 0xf3ff, 0xe3de,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64e6, 0x74c7, 0x44a4, 0x5485,
    0xa56a, 0xb54b, 0x8528, 0x9509, 0xe5ee, 0xf5cf, 0xc5ac, 0xd58d,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76d7, 0x66f6, 0x5695, 0x46b4,
    0xb75b, 0xa77a, 0x9719, 0x8738, 0xf7df, 0xe7fe, 0xd79d, 0xc7bc,
    0x48c4, 0x58e5, 0x6886, 0x78a7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xc9cc, 0xd9ed, 0xe98e, 0xf9af, 0x8948, 0x9969, 0xa90a, 0xb92b,
    0x5af5, 0x4ad4, 0x7ab7, 0x6a96, 0x1a71, 0x0a50, 0x3a33, 0x2a12,
    0xdbfd, 0xcbdc, 0xfbbf, 0xeb9e, 0x9b79, 0x8b58, 0xbb3b, 0xab1a,
    0x6ca6, 0x7c87, 0x4ce4, 0x5cc5, 0x2c22, 0x3c03, 0x0c60, 0x1c41,
    0xedae, 0xfd8f, 0xcdec, 0xddcd, 0xad2a, 0xbd0b, 0x8d68, 0x9d49,
    0x7e97, 0x6eb6, 0x5ed5, 0x4ef4, 0x3e13, 0x2e32, 0x1e51, 0x0e70,
    0xff9f, 0xefbe, 0xdfdd, 0xcffc, 0xbf1b, 0xaf3a, 0x9f59, 0x8f78,
    0x9188, 0x81a9, 0xb1ca, 0xa1eb, 0xd10c, 0xc12d, 0xf14e, 0xe16f,
    0x1080, 0x00a1, 0x30c2, 0x20e3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83b9, 0x9398, 0xa3fb, 0xb3da, 0xc33d, 0xd31c, 0xe37f, 0xf35e,
    0x02b1, 0x1290, 0x22f3, 0x32d2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xb5ea, 0xa5cb, 0x95a8, 0x8589, 0xf56e, 0xe54f, 0xd52c, 0xc50d,
    0x34e2, 0x24c3, 0x14a0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xa7db, 0xb7fa, 0x8799, 0x97b8, 0xe75f, 0xf77e, 0xc71d, 0xd73c,
    0x26d3, 0x36f2, 0x0691, 0x16b0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xd94c, 0xc96d, 0xf90e, 0xe92f, 0x99c8, 0x89e9, 0xb98a, 0xa9ab,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18c0, 0x08e1, 0x3882, 0x28a3,
    0xcb7d, 0xdb5c, 0xeb3f, 0xfb1e, 0x8bf9, 0x9bd8, 0xabbb, 0xbb9a,
    0x4a75, 0x5a54, 0x6a37, 0x7a16, 0x0af1, 0x1ad0, 0x2ab3, 0x3a92,
    0xfd2e, 0xed0f, 0xdd6c, 0xcd4d, 0xbdaa, 0xad8b, 0x9de8, 0x8dc9,
    0x7c26, 0x6c07, 0x5c64, 0x4c45, 0x3ca2, 0x2c83, 0x1ce0, 0x0cc1,
    0xef1f, 0xff3e, 0xcf5d, 0xdf7c, 0xaf9b, 0xbfba, 0x8fd9, 0x9ff8,
    0x6e17, 0x7e36, 0x4e55, 0x5e74, 0x2e93, 0x3eb2, 0x0ed1, 0x1ef0,
};

unsigned cluster_crc16(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc16_table[((crc >> 8) ^ p[i]) & 0xff]);
    return crc;
}

unsigned cluster_keyslot(const void *key, size_t len)
{
    const char *k = key;
    const char *open = memchr(k, '{', len);
    if (open) {
        size_t rest = len - (size_t)(open - k) - 1;
        const char *close = memchr(open + 1, '}', rest);
        /* "{}" is no tag: the whole key is hashed, as the spec's examples show */
        if (close && close > open + 1)
            return cluster_crc16(open + 1, (size_t)(close - open - 1)) & (CLUSTER_SLOTS - 1);
    }
    return cluster_crc16(k, len) & (CLUSTER_SLOTS - 1);
}

int cluster_shard_tag(unsigned shard, unsigned nshards, char *tag, size_t taglen)
{
    if (nshards == 0 || nshards > CLUSTER_SHARDS_MAX || shard >= nshards)
        return -1;
    unsigned want = shard * CLUSTER_SLOTS / nshards;
    /* every slot is the slot of some "s<k>" with k < 155,594 (test_cluster checks it) */
    for (unsigned long k = 0; k < 200000; k++) {
        char t[16];
        int n = snprintf(t, sizeof t, "s%lu", k);
        if (cluster_keyslot(t, (size_t)n) != want)
            continue;
        if ((size_t)n >= taglen)
            return -1;
        memcpy(tag, t, (size_t)n + 1);
        return n;
    }
    return -1;
}

/* ---- addresses ---- */

/* A host as it may reach a connect call and a log line: printable, no blank, no comma (the
 * seed list's separator). */
static int host_ok(const char *h, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c <= ' ' || c == 0x7f || c == ',')
            return 0;
    }
    return 1;
}

int cluster_addr_set(struct cluster_addr *a, const char *host, size_t len, long long port,
                     const char *asked_host, char *err, size_t errlen)
{
    if (len == 0 || (len == 1 && host[0] == '?')) {
        if (!asked_host || !asked_host[0]) {
            snprintf(err, errlen, "node without an address");
            return -1;
        }
        host = asked_host;
        len = strlen(asked_host);
    }
    if (len >= sizeof a->host || !host_ok(host, len)) {
        snprintf(err, errlen, "node address is too long or holds a blank or control character");
        return -1;
    }
    if (port < 1 || port > 65535) {
        snprintf(err, errlen, "node port %lld is not 1..65535", port);
        return -1;
    }
    memcpy(a->host, host, len);
    a->host[len] = '\0';
    a->port = (int)port;
    return 0;
}

bool cluster_addr_equal(const struct cluster_addr *a, const struct cluster_addr *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* ---- the seed list ---- */

#define SEEDS_INPUT_MAX (CLUSTER_SEEDS_MAX * (CLUSTER_HOST_MAX + 8))

/* One seed of a list, blanks around it trimmed. Returns 0, or -1 with the reason in err. */
static int seed_parse(struct cluster_addr *a, const char *s, size_t len, size_t nth, char *err,
                      size_t errlen)
{
    while (len && (s[0] == ' ' || s[0] == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    char entry[CLUSTER_HOST_MAX + 8], host[CLUSTER_HOST_MAX], why[128];
    int port;
    if (len == 0 || len >= sizeof entry) {
        snprintf(err, errlen, "seed %zu is %s", nth, len ? "too long" : "empty");
        return -1;
    }
    memcpy(entry, s, len);
    entry[len] = '\0';
    if (conf_split_hostport(entry, host, sizeof host, &port) < 0
        || cluster_addr_set(a, host, strlen(host), port, NULL, why, sizeof why) < 0) {
        snprintf(err, errlen, "seed %zu is not host:port", nth);
        return -1;
    }
    return 0;
}

static int seeds_list(struct cluster_seeds *out, const char *s, char *err, size_t errlen)
{
    for (const char *p = s;; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (out->n == CLUSTER_SEEDS_MAX) {
            snprintf(err, errlen, "more than %d seeds", CLUSTER_SEEDS_MAX);
            return -1;
        }
        struct cluster_addr *a = &out->addr[out->n];
        if (seed_parse(a, p, len, out->n + 1, err, errlen) < 0)
            return -1;
        for (size_t i = 0; i < out->n; i++)
            if (cluster_addr_equal(&out->addr[i], a)) {
                snprintf(err, errlen, "seed %zu repeats seed %zu", out->n + 1, i + 1);
                return -1;
            }
        out->n++;
        if (!comma)
            return 0;
        p = comma;
    }
}

int cluster_seeds_parse(struct cluster_seeds *out, const char *s, char *err, size_t errlen)
{
    out->n = 0;
    size_t len = strnlen(s, SEEDS_INPUT_MAX);
    if (len == 0 || len == SEEDS_INPUT_MAX) {
        snprintf(err, errlen, "redis address is %s", len ? "too long" : "empty");
        return -1;
    }
    int rc = 0;
    if (s[0] == '/') { /* today's socket path, whole */
        if (len >= sizeof out->addr[0].host) {
            snprintf(err, errlen, "redis socket path is too long");
            return -1;
        }
        memcpy(out->addr[0].host, s, len + 1);
        out->addr[0].port = 0;
    } else if (!strchr(s, ',')) { /* today's host:port, exactly as conf and store read it */
        rc = conf_split_hostport(s, out->addr[0].host, sizeof out->addr[0].host,
                                 &out->addr[0].port);
        if (rc < 0)
            snprintf(err, errlen, "redis address is neither host:port nor a socket path");
    } else {
        rc = seeds_list(out, s, err, errlen);
    }
    out->n = rc < 0 ? 0 : out->n ? out->n : 1;
    return rc;
}

/* ---- redirections ---- */

/* Reads 1..digits decimal digits at *p into *v (at most max); moves *p past them. */
static int read_number(const char **p, const char *end, int digits, long max, long *v)
{
    const char *s = *p;
    long n = 0;
    int i = 0;
    for (; s + i < end && i < digits && s[i] >= '0' && s[i] <= '9'; i++)
        n = n * 10 + (s[i] - '0');
    if (i == 0 || n > max || (s + i < end && s[i] >= '0' && s[i] <= '9'))
        return -1;
    *p = s + i;
    *v = n;
    return 0;
}

/* "<host>:<port>" to the end; the last colon separates them (IPv6 comes without brackets). */
static int endpoint_parse(struct cluster_addr *a, const char *s, const char *end,
                          const char *asked_host, char *err, size_t errlen)
{
    const char *colon = NULL;
    for (const char *q = s; q < end; q++)
        if (*q == ':')
            colon = q;
    long port;
    const char *p = colon ? colon + 1 : end;
    if (!colon || read_number(&p, end, 5, 65535, &port) < 0 || p != end) {
        snprintf(err, errlen, "redirection without host:port");
        return -1;
    }
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']')
        s++, hl -= 2;
    return cluster_addr_set(a, s, hl, port, asked_host, err, errlen);
}

int cluster_redirect_parse(struct cluster_redirect *out, const char *s, size_t len,
                           const char *asked_host, char *err, size_t errlen)
{
    const char *end = s + len, *p;
    if (len > 6 && memcmp(s, "MOVED ", 6) == 0) {
        out->kind = CLUSTER_MOVED;
        p = s + 6;
    } else if (len > 4 && memcmp(s, "ASK ", 4) == 0) {
        out->kind = CLUSTER_ASK;
        p = s + 4;
    } else {
        return 0;
    }
    long slot;
    if (read_number(&p, end, 5, CLUSTER_SLOTS - 1, &slot) < 0 || p == end || *p != ' ') {
        snprintf(err, errlen, "redirection without a slot 0..16383");
        return -1;
    }
    out->slot = (unsigned)slot;
    return endpoint_parse(&out->addr, p + 1, end, asked_host, err, errlen) < 0 ? -1 : 1;
}

/* ---- the slot map ---- */

struct map_node {
    struct cluster_addr addr;
    unsigned slots;                   /* served as primary */
    int nreplicas;
    int replicas[CLUSTER_REPLICAS_MAX];
};

struct cluster_map {
    int16_t owner[CLUSTER_SLOTS];     /* node index, -1: none */
    int nnodes;
    struct map_node node[CLUSTER_NODES_MAX];
};

struct cluster_map *cluster_map_new(void)
{
    struct cluster_map *m = calloc(1, sizeof *m);
    if (m)
        for (size_t i = 0; i < CLUSTER_SLOTS; i++)
            m->owner[i] = -1;
    return m;
}

void cluster_map_free(struct cluster_map *m)
{
    free(m);
}

int cluster_map_find(const struct cluster_map *m, const struct cluster_addr *a)
{
    for (int i = 0; i < m->nnodes; i++)
        if (cluster_addr_equal(&m->node[i].addr, a))
            return i;
    return -1;
}

/* The node's index, added when new; -1 when the map is full. */
static int node_intern(struct cluster_map *m, const struct cluster_addr *a)
{
    int i = cluster_map_find(m, a);
    if (i >= 0 || m->nnodes == CLUSTER_NODES_MAX)
        return i;
    memset(&m->node[m->nnodes], 0, sizeof m->node[0]);
    m->node[m->nnodes].addr = *a;
    return m->nnodes++;
}

/* How many of the n nodes (replicas past the bound not counted) the map does not know yet;
 * -1 when one of them is not a TCP address. */
static int nodes_new(const struct cluster_map *m, const struct cluster_addr *nodes, size_t n)
{
    int fresh = 0;
    for (size_t i = 0; i < n && i <= CLUSTER_REPLICAS_MAX; i++) {
        if (nodes[i].port < 1 || nodes[i].port > 65535 || !nodes[i].host[0])
            return -1;
        int seen = cluster_map_find(m, &nodes[i]) >= 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = cluster_addr_equal(&nodes[j], &nodes[i]);
        fresh += !seen;
    }
    return fresh;
}

static void replica_add(struct map_node *primary, int r)
{
    for (int i = 0; i < primary->nreplicas; i++)
        if (primary->replicas[i] == r)
            return;
    if (primary->nreplicas < CLUSTER_REPLICAS_MAX)
        primary->replicas[primary->nreplicas++] = r;
}

int cluster_map_add(struct cluster_map *m, unsigned start, unsigned end,
                    const struct cluster_addr *nodes, size_t n, char *err, size_t errlen)
{
    if (start > end || end >= CLUSTER_SLOTS || n == 0) {
        snprintf(err, errlen, "range %u-%u with %zu nodes is not a slot range", start, end, n);
        return -1;
    }
    for (unsigned s = start; s <= end; s++)
        if (m->owner[s] >= 0) {
            snprintf(err, errlen, "range %u-%u overlaps slot %u", start, end, s);
            return -1;
        }
    int fresh = nodes_new(m, nodes, n);
    if (fresh < 0 || m->nnodes + fresh > CLUSTER_NODES_MAX) {
        snprintf(err, errlen, fresh < 0 ? "range %u-%u has a node without host:port"
                                        : "range %u-%u: more than %d nodes", start, end,
                 CLUSTER_NODES_MAX);
        return -1;
    }
    int p = node_intern(m, &nodes[0]);
    for (size_t i = 1; i < n && i <= CLUSTER_REPLICAS_MAX; i++) {
        int r = node_intern(m, &nodes[i]);
        if (r != p)
            replica_add(&m->node[p], r);
    }
    for (unsigned s = start; s <= end; s++)
        m->owner[s] = (int16_t)p;
    m->node[p].slots += end - start + 1;
    return 0;
}

int cluster_map_complete(const struct cluster_map *m, char *err, size_t errlen)
{
    for (unsigned s = 0; s < CLUSTER_SLOTS; s++)
        if (m->owner[s] < 0) {
            snprintf(err, errlen, "slot %u has no node", s);
            return -1;
        }
    return 0;
}

int cluster_map_follow(struct cluster_map *m, const struct cluster_redirect *r, char *err,
                       size_t errlen)
{
    int i = r->slot < CLUSTER_SLOTS ? node_intern(m, &r->addr) : -1;
    if (i < 0) {
        snprintf(err, errlen, r->slot < CLUSTER_SLOTS ? "more than %d nodes" : "no such slot",
                 CLUSTER_NODES_MAX);
        return -1;
    }
    if (r->kind != CLUSTER_MOVED)
        return i;
    int old = m->owner[r->slot];
    if (old >= 0)
        m->node[old].slots--;
    m->owner[r->slot] = (int16_t)i;
    m->node[i].slots++;
    return i;
}

int cluster_map_primary(const struct cluster_map *m, unsigned slot)
{
    return slot < CLUSTER_SLOTS ? m->owner[slot] : -1;
}

size_t cluster_map_replicas(const struct cluster_map *m, unsigned slot, int *out, size_t max)
{
    int p = cluster_map_primary(m, slot);
    if (p < 0)
        return 0;
    const struct map_node *node = &m->node[p];
    for (int i = 0; i < node->nreplicas && (size_t)i < max; i++)
        out[i] = node->replicas[i];
    return (size_t)node->nreplicas;
}

size_t cluster_map_primaries(const struct cluster_map *m, int *out, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < m->nnodes; i++)
        if (m->node[i].slots > 0) {
            if (n < max)
                out[n] = i;
            n++;
        }
    return n;
}

size_t cluster_map_nodes(const struct cluster_map *m)
{
    return (size_t)m->nnodes;
}

const struct cluster_addr *cluster_map_node(const struct cluster_map *m, int i)
{
    return i >= 0 && i < m->nnodes ? &m->node[i].addr : NULL;
}

/* ---- INFO ---- */

int cluster_info_enabled(const char *info, size_t len)
{
    static const char field[] = "cluster_enabled:";
    const size_t fl = sizeof field - 1;
    for (size_t i = 0; i + fl < len; i++) {
        if ((i > 0 && info[i - 1] != '\n') || memcmp(info + i, field, fl) != 0)
            continue;
        char v = info[i + fl];
        size_t after = i + fl + 1;
        if ((v == '0' || v == '1') && (after == len || info[after] == '\r' || info[after] == '\n'))
            return v - '0';
        return -1;
    }
    return -1;
}
