/* Unit tests for lib/cluster.h: hash slots against the specification's vector and answers of a
 * real `CLUSTER KEYSLOT`, the seed list (and that its single form means what JUBAO_REDIS meant
 * before), MOVED and ASK, the slot map and its bounds, INFO's cluster_enabled.
 *
 * Two more modes serve tests/integration/test_cluster.py, which compares this module with a
 * real cluster: `test_cluster keyslot` reads keys, one per line in hex, on stdin and prints each
 * key's slot (cluster_keyslot against CLUSTER KEYSLOT, binary keys too); `test_cluster redirect`
 * reads "<host asked>\t<error>" lines and prints what cluster_redirect_parse made of each (real
 * MOVED and ASK errors); `test_cluster shardtags N` prints the tags of N shards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "assert_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "conf.h"

static unsigned slot_of(const char *key)
{
    return cluster_keyslot(key, strlen(key));
}

/* ---- slots ---- */

static void test_crc16_spec_vector(void **state)
{
    (void)state;
    assert_int_equal(cluster_crc16("123456789", 9), 0x31C3); /* the spec's Appendix A */
    assert_int_equal(cluster_crc16("", 0), 0);
}

static void test_keyslot_matches_redis(void **state)
{
    (void)state;
    /* answers of CLUSTER KEYSLOT from redis-server 7.0.15 */
    static const struct { const char *key; unsigned slot; } v[] = {
        {"somekey", 11058}, {"foo", 12182}, {"bar", 5061}, {"foo{hash_tag}", 2515},
        {"{user1000}.following", 3443}, {"foo{}{bar}", 8363}, {"foo{{bar}}zap", 4015},
        {"foo{bar}{zap}", 5061}, {"{}", 15257}, {"{", 4092}, {"}", 12090}, {"", 0},
        {"123456789", 12739},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (slot_of(v[i].key) != v[i].slot)
            fail_msg("slot of \"%s\": %u, Redis says %u", v[i].key, slot_of(v[i].key), v[i].slot);
}

static void test_keyslot_tag_rules(void **state)
{
    (void)state;
    /* the spec's examples: the first { and the first } after it; an empty tag is no tag */
    assert_int_equal(slot_of("{user1000}.following"), slot_of("{user1000}.followers"));
    assert_int_equal(slot_of("foo{}{bar}"), cluster_crc16("foo{}{bar}", 10) % 16384);
    assert_int_equal(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    assert_int_equal(slot_of("foo{bar}{zap}"), slot_of("bar"));
    assert_int_equal(slot_of("jb:{7}:case:C-1"), slot_of("jb:{7}:intake"));
    assert_int_equal(slot_of("no}tag{"), cluster_crc16("no}tag{", 7) % 16384);
}

static void test_keyslot_binary_and_bounded(void **state)
{
    (void)state;
    /* a NUL is a byte of the key; the length, not a terminator, bounds the search */
    const char key[] = {'a', '\0', '{', 'x', '}', 'b'};
    assert_int_equal(cluster_keyslot(key, sizeof key), slot_of("x"));
    assert_int_equal(cluster_keyslot("{x}", 2), cluster_crc16("{x", 2) % 16384);
    for (unsigned i = 0; i < 2000; i++) {
        char k[32];
        int n = snprintf(k, sizeof k, "key:%u", i);
        assert_in_range(cluster_keyslot(k, (size_t)n), 0, CLUSTER_SLOTS - 1);
    }
}

static void test_shard_tags_spread(void **state)
{
    (void)state;
    char tag[16];
    /* every slot is the slot of a tag below the search's bound, so every share has its tag */
    static unsigned char hit[CLUSTER_SLOTS];
    unsigned missing = CLUSTER_SLOTS;
    for (unsigned long k = 0; k < 200000 && missing; k++) {
        int n = snprintf(tag, sizeof tag, "s%lu", k);
        unsigned slot = cluster_keyslot(tag, (size_t)n);
        missing -= !hit[slot];
        hit[slot] = 1;
    }
    assert_int_equal(missing, 0);
    static const unsigned counts[] = {1, 2, 3, 16, 100};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (unsigned i = 0; i < counts[c]; i++) {
            int n = cluster_shard_tag(i, counts[c], tag, sizeof tag);
            if (n <= 0)
                fail_msg("shard %u of %u has no tag", i, counts[c]);
            assert_int_equal(cluster_keyslot(tag, (size_t)n), i * 16384 / counts[c]);
        }
    /* fixed forever: the tags name stored keys */
    assert_int_equal(cluster_shard_tag(0, 16, tag, sizeof tag), 5);
    assert_string_equal(tag, "s7920");
    assert_int_equal(cluster_shard_tag(15, 16, tag, sizeof tag), 6);
    assert_string_equal(tag, "s12354");
    int len = cluster_shard_tag(CLUSTER_SHARDS_MAX - 1, CLUSTER_SHARDS_MAX, tag, sizeof tag);
    assert_true(len > 0);
    assert_int_equal(cluster_keyslot(tag, (size_t)len), 16384 - 16384 / CLUSTER_SHARDS_MAX);
    /* 16 shards over three primaries with redis-cli's equal runs (0-5460, 5461-10922,
     * 10923-16383): 6, 5, 5; over four: 4 each */
    unsigned per3[3] = {0}, per4[4] = {0};
    for (unsigned i = 0; i < 16; i++) {
        int n = cluster_shard_tag(i, 16, tag, sizeof tag);
        unsigned slot = cluster_keyslot(tag, (size_t)n);
        per3[slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2]++;
        per4[slot / 4096]++;
    }
    assert_int_equal(per3[0], 6);
    assert_int_equal(per3[1], 5);
    assert_int_equal(per3[2], 5);
    for (int j = 0; j < 4; j++)
        assert_int_equal(per4[j], 4);
    assert_int_equal(cluster_shard_tag(16, 16, tag, sizeof tag), -1);
    assert_int_equal(cluster_shard_tag(0, 0, tag, sizeof tag), -1);
    assert_int_equal(cluster_shard_tag(0, CLUSTER_SHARDS_MAX + 1, tag, sizeof tag), -1);
    assert_int_equal(cluster_shard_tag(0, 16, tag, 5), -1);
}

/* ---- seeds ---- */

static void test_seeds_single_forms_as_today(void **state)
{
    (void)state;
    struct cluster_seeds s;
    char err[256];
    static const char *const same[] = {"127.0.0.1:6379", "[::1]:6380", "localhost:65535",
                                       "redis.example:1", "[2001:db8::5]:443"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char host[256];
        int port;
        assert_int_equal(conf_split_hostport(same[i], host, sizeof host, &port), 0);
        if (cluster_seeds_parse(&s, same[i], err, sizeof err) != 0)
            fail_msg("\"%s\": %s", same[i], err);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.addr[0].host, host);
        assert_int_equal(s.addr[0].port, port);
    }
    /* a socket path is the whole value, commas included, as before */
    assert_int_equal(cluster_seeds_parse(&s, "/run/redis,a/redis.sock", err, sizeof err), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.addr[0].host, "/run/redis,a/redis.sock");
    assert_int_equal(s.addr[0].port, 0);
}

static void test_seeds_single_refused_as_today(void **state)
{
    (void)state;
    struct cluster_seeds s;
    char err[256];
    static const char *const bad[] = {"", "localhost", ":6379", "host:0", "host:65536",
                                      "::1:6379", "host:63x", "host:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (cluster_seeds_parse(&s, bad[i], err, sizeof err) == 0)
            fail_msg("\"%s\" was taken", bad[i]);
        assert_int_equal(s.n, 0);
    }
}

static void test_seeds_list(void **state)
{
    (void)state;
    struct cluster_seeds s;
    char err[256];
    assert_int_equal(cluster_seeds_parse(&s, "10.0.0.1:7000, 10.0.0.2:7001 ,[::1]:7002", err,
                                         sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.addr[0].host, "10.0.0.1");
    assert_int_equal(s.addr[0].port, 7000);
    assert_string_equal(s.addr[1].host, "10.0.0.2");
    assert_int_equal(s.addr[1].port, 7001);
    assert_string_equal(s.addr[2].host, "::1");
    assert_int_equal(s.addr[2].port, 7002);
}

static void test_seeds_list_refused(void **state)
{
    (void)state;
    struct cluster_seeds s;
    char err[256];
    static const struct { const char *in, *why; } bad[] = {
        {"a:1,", "seed 2 is empty"},           {"a:1,,b:2", "seed 2 is empty"},
        {",a:1", "seed 1 is empty"},           {"a:1,a:1", "seed 2 repeats seed 1"},
        {"a:1,/tmp/s", "seed 2 is not host:port"}, {"a:1,b c:2", "seed 2 is not host:port"},
        {"a:1,b:0", "seed 2 is not host:port"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (cluster_seeds_parse(&s, bad[i].in, err, sizeof err) == 0)
            fail_msg("\"%s\" was taken", bad[i].in);
        assert_string_equal(err, bad[i].why);
        assert_int_equal(s.n, 0);
    }
}

static void test_seeds_bounds(void **state)
{
    (void)state;
    struct cluster_seeds s;
    char err[256], list[1024] = "";
    for (int i = 0; i < CLUSTER_SEEDS_MAX; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%sh%d:1", i ? "," : "", i);
    assert_int_equal(cluster_seeds_parse(&s, list, err, sizeof err), 0);
    assert_int_equal(s.n, CLUSTER_SEEDS_MAX);
    strcat(list, ",one-more:1");
    assert_int_equal(cluster_seeds_parse(&s, list, err, sizeof err), -1);
    assert_contains(err, "more than 16 seeds");

    char *huge = malloc(64 * 1024);
    assert_non_null(huge);
    memset(huge, 'a', 64 * 1024 - 1);
    huge[64 * 1024 - 1] = '\0';
    huge[10] = ',';
    assert_int_equal(cluster_seeds_parse(&s, huge, err, sizeof err), -1);
    assert_string_equal(err, "redis address is too long");
    huge[0] = '/';
    assert_int_equal(cluster_seeds_parse(&s, huge, err, sizeof err), -1);
    free(huge);
}

/* ---- redirections ---- */

static int redirect(struct cluster_redirect *r, const char *s, char *err)
{
    return cluster_redirect_parse(r, s, strlen(s), "10.9.9.9", err, 256);
}

static void test_redirect_moved_and_ask(void **state)
{
    (void)state;
    struct cluster_redirect r;
    char err[256];
    assert_int_equal(redirect(&r, "MOVED 3999 127.0.0.1:6381", err), 1);
    assert_int_equal(r.kind, CLUSTER_MOVED);
    assert_int_equal(r.slot, 3999);
    assert_string_equal(r.addr.host, "127.0.0.1");
    assert_int_equal(r.addr.port, 6381);
    assert_int_equal(redirect(&r, "ASK 16383 redis-3.example:7000", err), 1);
    assert_int_equal(r.kind, CLUSTER_ASK);
    assert_int_equal(r.slot, 16383);
    assert_string_equal(r.addr.host, "redis-3.example");
    assert_int_equal(redirect(&r, "MOVED 0 2001:db8::7:7001", err), 1); /* IPv6, no brackets */
    assert_string_equal(r.addr.host, "2001:db8::7");
    assert_int_equal(r.addr.port, 7001);
    assert_int_equal(redirect(&r, "MOVED 12 :6380", err), 1);           /* unknown endpoint */
    assert_string_equal(r.addr.host, "10.9.9.9");
    assert_int_equal(r.addr.port, 6380);
    assert_int_equal(redirect(&r, "MOVED 12 ?:6380", err), 1);
    assert_string_equal(r.addr.host, "10.9.9.9");
}

static void test_redirect_other_errors(void **state)
{
    (void)state;
    struct cluster_redirect r;
    char err[256];
    static const char *const other[] = {"ERR unknown command", "MOVED", "ASK", "MOVEDX 1 a:1",
                                        "TRYAGAIN Multiple keys request during rehashing",
                                        "CLUSTERDOWN The cluster is down", "moved 1 a:1", ""};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (redirect(&r, other[i], err) != 0)
            fail_msg("\"%s\" was read as a redirection", other[i]);
}

static void test_redirect_malformed(void **state)
{
    (void)state;
    struct cluster_redirect r;
    char err[256];
    static const char *const bad[] = {
        "MOVED 16384 a:1", "MOVED 99999 a:1", "MOVED 123456 a:1", "MOVED -1 a:1", "MOVED x a:1",
        "MOVED 1", "MOVED 1 ", "MOVED 1 a", "MOVED 1 a:", "MOVED 1 a:0", "MOVED 1 a:65536",
        "MOVED 1 a:1 ", "MOVED  1 a:1", "MOVED 1  a:1", "ASK 1 a b:1", "ASK 1 a\tb:1",
        "MOVED 1 a:123456",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (redirect(&r, bad[i], err) != -1)
            fail_msg("\"%s\" was not refused", bad[i]);
    /* only len bytes are read */
    assert_int_equal(cluster_redirect_parse(&r, "MOVED 1 a:12345", 13, "h", err, sizeof err), 1);
    assert_int_equal(r.addr.port, 123);
    /* an unknown endpoint without the host asked */
    assert_int_equal(cluster_redirect_parse(&r, "MOVED 1 :7", 10, NULL, err, sizeof err), -1);
    char longhost[400] = "MOVED 1 ";
    memset(longhost + 8, 'h', 300);
    strcpy(longhost + 308, ":7000");
    assert_int_equal(redirect(&r, longhost, err), -1);
}

/* ---- the slot map ---- */

static struct cluster_addr addr(const char *host, int port)
{
    struct cluster_addr a;
    char err[256];
    if (cluster_addr_set(&a, host, strlen(host), port, NULL, err, sizeof err) != 0)
        fail_msg("%s:%d: %s", host, port, err);
    return a;
}

/* Three primaries with a replica each, as redis-cli --cluster create lays them out. */
static struct cluster_map *three_shards(void)
{
    struct cluster_map *m = cluster_map_new();
    assert_non_null(m);
    char err[256];
    struct cluster_addr a[] = {addr("10.0.0.1", 7000), addr("10.0.0.5", 7004)};
    struct cluster_addr b[] = {addr("10.0.0.2", 7001), addr("10.0.0.6", 7005)};
    struct cluster_addr c[] = {addr("10.0.0.3", 7002), addr("10.0.0.4", 7003)};
    assert_int_equal(cluster_map_add(m, 0, 5460, a, 2, err, sizeof err), 0);
    assert_int_equal(cluster_map_add(m, 5461, 10922, b, 2, err, sizeof err), 0);
    assert_int_equal(cluster_map_add(m, 10923, 16383, c, 2, err, sizeof err), 0);
    return m;
}

static void test_map_lookup(void **state)
{
    (void)state;
    struct cluster_map *m = three_shards();
    char err[256];
    assert_int_equal(cluster_map_complete(m, err, sizeof err), 0);
    assert_int_equal(cluster_map_nodes(m), 6);
    const struct cluster_addr *p = cluster_map_node(m, cluster_map_primary(m, 5461));
    assert_string_equal(p->host, "10.0.0.2");
    assert_int_equal(p->port, 7001);
    p = cluster_map_node(m, cluster_map_primary(m, slot_of("jb:{3}:case:C-1")));
    assert_non_null(p);
    int r[4];
    assert_int_equal(cluster_map_replicas(m, 16383, r, 4), 1);
    assert_string_equal(cluster_map_node(m, r[0])->host, "10.0.0.4");
    int prim[8];
    assert_int_equal(cluster_map_primaries(m, prim, 8), 3);
    assert_string_equal(cluster_map_node(m, prim[0])->host, "10.0.0.1");
    assert_string_equal(cluster_map_node(m, prim[2])->host, "10.0.0.3");
    struct cluster_addr a = addr("10.0.0.6", 7005);
    assert_int_equal(cluster_map_find(m, &a), cluster_map_replicas(m, 5461, r, 4) ? r[0] : -2);
    a.port = 7006;
    assert_int_equal(cluster_map_find(m, &a), -1);
    assert_null(cluster_map_node(m, 6));
    assert_null(cluster_map_node(m, -1));
    assert_int_equal(cluster_map_primary(m, CLUSTER_SLOTS), -1);
    cluster_map_free(m);
}

static void test_map_incomplete_and_overlap(void **state)
{
    (void)state;
    struct cluster_map *m = cluster_map_new();
    char err[256];
    struct cluster_addr a[] = {addr("h1", 1)}, b[] = {addr("h2", 2)};
    assert_int_equal(cluster_map_add(m, 0, 100, a, 1, err, sizeof err), 0);
    assert_int_equal(cluster_map_add(m, 102, 16383, a, 1, err, sizeof err), 0);
    assert_int_equal(cluster_map_complete(m, err, sizeof err), -1);
    assert_string_equal(err, "slot 101 has no node");
    assert_int_equal(cluster_map_primary(m, 101), -1);
    /* an overlap is refused and leaves the map as it was */
    assert_int_equal(cluster_map_add(m, 101, 102, b, 1, err, sizeof err), -1);
    assert_string_equal(err, "range 101-102 overlaps slot 102");
    assert_int_equal(cluster_map_primary(m, 101), -1);
    assert_int_equal(cluster_map_nodes(m), 1);
    assert_int_equal(cluster_map_add(m, 5, 4, b, 1, err, sizeof err), -1);
    assert_int_equal(cluster_map_add(m, 101, 16384, b, 1, err, sizeof err), -1);
    assert_int_equal(cluster_map_add(m, 101, 101, b, 0, err, sizeof err), -1);
    struct cluster_addr sock = {.host = "/tmp/s", .port = 0};
    assert_int_equal(cluster_map_add(m, 101, 101, &sock, 1, err, sizeof err), -1);
    assert_int_equal(cluster_map_add(m, 101, 101, b, 1, err, sizeof err), 0);
    assert_int_equal(cluster_map_complete(m, err, sizeof err), 0);
    cluster_map_free(m);
}

static void test_map_follow(void **state)
{
    (void)state;
    struct cluster_map *m = three_shards();
    char err[256];
    struct cluster_redirect r;
    /* ASK: this one command only; the map stays */
    assert_int_equal(redirect(&r, "ASK 42 10.0.0.2:7001", err), 1);
    int i = cluster_map_follow(m, &r, err, sizeof err);
    assert_string_equal(cluster_map_node(m, i)->host, "10.0.0.2");
    assert_string_equal(cluster_map_node(m, cluster_map_primary(m, 42))->host, "10.0.0.1");
    /* MOVED to a known node */
    assert_int_equal(redirect(&r, "MOVED 42 10.0.0.2:7001", err), 1);
    i = cluster_map_follow(m, &r, err, sizeof err);
    assert_int_equal(i, cluster_map_primary(m, 42));
    assert_string_equal(cluster_map_node(m, cluster_map_primary(m, 42))->host, "10.0.0.2");
    assert_string_equal(cluster_map_node(m, cluster_map_primary(m, 41))->host, "10.0.0.1");
    /* MOVED to a promoted replica: it becomes a primary */
    int prim[8];
    assert_int_equal(redirect(&r, "MOVED 16000 10.0.0.4:7003", err), 1);
    assert_true(cluster_map_follow(m, &r, err, sizeof err) >= 0);
    assert_int_equal(cluster_map_primaries(m, prim, 8), 4);
    /* MOVED to a new node */
    assert_int_equal(redirect(&r, "MOVED 0 10.0.0.9:7009", err), 1);
    assert_int_equal(cluster_map_follow(m, &r, err, sizeof err), 6);
    assert_int_equal(cluster_map_nodes(m), 7);
    /* a primary left without slots is no longer one to load Functions on */
    struct cluster_map *one = cluster_map_new();
    struct cluster_addr a[] = {addr("h1", 1)};
    assert_int_equal(cluster_map_add(one, 7, 7, a, 1, err, sizeof err), 0);
    assert_int_equal(redirect(&r, "MOVED 7 h2:2", err), 1);
    cluster_map_follow(one, &r, err, sizeof err);
    assert_int_equal(cluster_map_primaries(one, prim, 8), 1);
    assert_string_equal(cluster_map_node(one, prim[0])->host, "h2");
    cluster_map_free(one);
    cluster_map_free(m);
}

static void test_map_bounds(void **state)
{
    (void)state;
    struct cluster_map *m = cluster_map_new();
    char err[256], host[32];
    /* one primary per slot up to the bound, then refused and unchanged */
    for (unsigned i = 0; i < CLUSTER_NODES_MAX; i++) {
        snprintf(host, sizeof host, "n%u", i);
        struct cluster_addr a = addr(host, 7000);
        assert_int_equal(cluster_map_add(m, i, i, &a, 1, err, sizeof err), 0);
    }
    struct cluster_addr extra = addr("n-extra", 7000);
    assert_int_equal(cluster_map_add(m, 1000, 1000, &extra, 1, err, sizeof err), -1);
    assert_contains(err, "more than 128 nodes");
    assert_int_equal(cluster_map_primary(m, 1000), -1);
    struct cluster_redirect r;
    assert_int_equal(redirect(&r, "MOVED 1000 n-extra:7000", err), 1);
    assert_int_equal(cluster_map_follow(m, &r, err, sizeof err), -1);
    assert_int_equal(cluster_map_nodes(m), CLUSTER_NODES_MAX);
    cluster_map_free(m);

    /* replicas past the bound are ignored, not refused */
    m = cluster_map_new();
    struct cluster_addr nodes[CLUSTER_REPLICAS_MAX + 3];
    for (unsigned i = 0; i < CLUSTER_REPLICAS_MAX + 3; i++) {
        snprintf(host, sizeof host, "r%u", i);
        nodes[i] = addr(host, 7000);
    }
    assert_int_equal(cluster_map_add(m, 0, 16383, nodes, CLUSTER_REPLICAS_MAX + 3, err,
                                     sizeof err), 0);
    int rs[CLUSTER_REPLICAS_MAX + 3];
    assert_int_equal(cluster_map_replicas(m, 9, rs, CLUSTER_REPLICAS_MAX + 3),
                     CLUSTER_REPLICAS_MAX);
    assert_int_equal(cluster_map_nodes(m), CLUSTER_REPLICAS_MAX + 1);
    cluster_map_free(m);
}

static void test_addr_set(void **state)
{
    (void)state;
    struct cluster_addr a;
    char err[256];
    assert_int_equal(cluster_addr_set(&a, "", 0, 7000, "seed.example", err, sizeof err), 0);
    assert_string_equal(a.host, "seed.example");
    assert_int_equal(cluster_addr_set(&a, "x\ny", 3, 7000, NULL, err, sizeof err), -1);
    assert_int_equal(cluster_addr_set(&a, "a,b", 3, 7000, NULL, err, sizeof err), -1);
    assert_int_equal(cluster_addr_set(&a, "a", 1, 0, NULL, err, sizeof err), -1);
    assert_int_equal(cluster_addr_set(&a, "a", 1, 1LL << 40, NULL, err, sizeof err), -1);
    char h[CLUSTER_HOST_MAX];
    memset(h, 'h', sizeof h);
    assert_int_equal(cluster_addr_set(&a, h, sizeof h - 1, 1, NULL, err, sizeof err), 0);
    assert_int_equal(cluster_addr_set(&a, h, sizeof h, 1, NULL, err, sizeof err), -1);
}

/* ---- INFO ---- */

static void test_info_enabled(void **state)
{
    (void)state;
    static const struct { const char *info; int want; } v[] = {
        {"# Cluster\r\ncluster_enabled:1\r\n", 1}, {"# Cluster\r\ncluster_enabled:0\r\n", 0},
        {"cluster_enabled:1", 1}, {"# Server\r\nredis_version:7.0.15\r\n", -1},
        {"# Cluster\r\nxcluster_enabled:1\r\n", -1}, {"cluster_enabled:2\r\n", -1},
        {"cluster_enabled:10\r\n", -1}, {"cluster_enabled:", -1}, {"", -1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int got = cluster_info_enabled(v[i].info, strlen(v[i].info));
        if (got != v[i].want)
            fail_msg("\"%s\": %d, want %d", v[i].info, got, v[i].want);
    }
}

/* ---- `test_cluster keyslot` ---- */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int keyslot_mode(void)
{
    char line[4100];
    unsigned char key[2048];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\n"), len = 0;
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval(line[i]), lo = i + 1 < n ? hexval(line[i + 1]) : -1;
            if (hi < 0 || lo < 0 || len == sizeof key)
                return fprintf(stderr, "keyslot: bad hex line\n"), 2;
            key[len++] = (unsigned char)(hi << 4 | lo);
        }
        printf("%u\n", cluster_keyslot(key, len));
    }
    return 0;
}

/* Lines of "<host asked>\t<error text>" on stdin; prints "MOVED|ASK <slot> <host> <port>",
 * "other" or "malformed" for each. */
static int redirect_mode(void)
{
    char line[1024], err[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            return fprintf(stderr, "redirect: no tab\n"), 2;
        *tab = '\0';
        struct cluster_redirect r;
        int rc = cluster_redirect_parse(&r, tab + 1, strlen(tab + 1), line, err, sizeof err);
        if (rc == 1)
            printf("%s %u %s %d\n", r.kind == CLUSTER_MOVED ? "MOVED" : "ASK", r.slot,
                   r.addr.host, r.addr.port);
        else
            printf("%s\n", rc == 0 ? "other" : "malformed");
    }
    return 0;
}

/* `test_cluster shardtags N`: the tags of N shards, one a line. */
static int shardtags_mode(const char *n)
{
    char tag[16];
    unsigned count = (unsigned)strtoul(n, NULL, 10);
    for (unsigned i = 0; i < count; i++) {
        if (cluster_shard_tag(i, count, tag, sizeof tag) < 0)
            return fprintf(stderr, "shardtags: no tag for %u of %u\n", i, count), 2;
        printf("%s\n", tag);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "shardtags") == 0)
        return shardtags_mode(argv[2]);
    if (argc == 2 && strcmp(argv[1], "keyslot") == 0)
        return keyslot_mode();
    if (argc == 2 && strcmp(argv[1], "redirect") == 0)
        return redirect_mode();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_spec_vector),
        cmocka_unit_test(test_keyslot_matches_redis),
        cmocka_unit_test(test_keyslot_tag_rules),
        cmocka_unit_test(test_keyslot_binary_and_bounded),
        cmocka_unit_test(test_shard_tags_spread),
        cmocka_unit_test(test_seeds_single_forms_as_today),
        cmocka_unit_test(test_seeds_single_refused_as_today),
        cmocka_unit_test(test_seeds_list),
        cmocka_unit_test(test_seeds_list_refused),
        cmocka_unit_test(test_seeds_bounds),
        cmocka_unit_test(test_redirect_moved_and_ask),
        cmocka_unit_test(test_redirect_other_errors),
        cmocka_unit_test(test_redirect_malformed),
        cmocka_unit_test(test_map_lookup),
        cmocka_unit_test(test_map_incomplete_and_overlap),
        cmocka_unit_test(test_map_follow),
        cmocka_unit_test(test_map_bounds),
        cmocka_unit_test(test_addr_set),
        cmocka_unit_test(test_info_enabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
