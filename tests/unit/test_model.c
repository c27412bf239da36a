/* Unit tests for rules/model.h and lib/live.h: training on a small synthetic labelled set,
 * suggestions and thresholds, the stored form (round trip; damaged, cut and foreign bytes
 * refused), and the holder (a swapped-out model lives until its last user lets go). The texts
 * are made up here from word lists; no corpus text is used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>
#include <zlib.h>

#include "live.h"
#include "model.h"

#define ERRLEN 1024
#define PER_CLASS 40

static const char *const gambling_words[] = {
    "百家乐", "真人荷官", "首充彩金", "在线下注", "老虎机", "投注返水", "体育博彩", "开户送",
};
static const char *const fraud_words[] = {
    "安全账户", "涉嫌洗钱", "冻结资金", "公安局通知", "刷单返利", "验证码发给我", "转账到", "退款客服",
};
static const char *const benign_words[] = {
    "今天天气", "周末去公园", "晚饭吃面条", "孩子放学", "地铁很挤", "看了一部电影", "买了水果",
    "朋友聚会", "开会讨论", "图书馆借书", "跑步锻炼", "做了蛋糕",
};

/* A deterministic generator so that every run trains on the same texts. */
static uint64_t rng = 42;
static size_t pick(size_t n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (size_t)(rng >> 33) % n;
}

/* Three to five phrases: two of the class's own words among benign filler. */
static char *make_text(const char *const *own, size_t nown)
{
    char buf[512] = "";
    size_t parts = 3 + pick(3);
    for (size_t i = 0; i < parts; i++) {
        const char *w = own && i < 2 ? own[pick(nown)] : benign_words[pick(12)];
        strncat(buf, w, sizeof buf - strlen(buf) - 3);
        strcat(buf, i % 2 ? "，" : " ");
    }
    return strdup(buf);
}

struct set {
    struct model_example ex[3 * PER_CLASS];
    char *owned[3 * PER_CLASS];
    size_t n;
};

static void set_make(struct set *s)
{
    rng = 42;
    s->n = 0;
    for (size_t i = 0; i < PER_CLASS; i++) {
        char *t = make_text(gambling_words, 8);
        s->owned[s->n] = t;
        s->ex[s->n++] = (struct model_example){t, strlen(t), "gambling"};
        s->owned[s->n] = t = make_text(fraud_words, 8);
        s->ex[s->n++] = (struct model_example){t, strlen(t), "fraud"};
        s->owned[s->n] = t = make_text(NULL, 0);
        s->ex[s->n++] = (struct model_example){t, strlen(t), "none"};
    }
}

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->owned[i]);
}

/* Trains on the synthetic set; the tests that only read a model share one (shared). */
static struct model *trained(void)
{
    struct set s;
    set_make(&s);
    struct model *m = NULL;
    char err[ERRLEN] = "";
    struct model_opts opts = {.seed = 7};
    int rc = model_train(&m, NULL, s.ex, s.n, &opts, err, sizeof err);
    set_free(&s);
    if (rc != 0)
        fail_msg("model_train: %s", err);
    return m;
}

static struct model *shared;

static int setup(void **state)
{
    (void)state;
    shared = trained();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    model_free(shared);
    return 0;
}

static int predict(const struct model *m, const char *text, struct model_score *out, size_t max)
{
    return model_predict(m, NULL, text, strlen(text), NULL, out, max);
}

static void test_train_and_suggest(void **state)
{
    (void)state;
    struct model *m = shared;
    struct model_score sc[4];
    int n = predict(m, "百家乐真人荷官，首充彩金在线下注", sc, 4);
    assert_true(n >= 1);
    assert_string_equal(sc[0].category, "gambling");
    assert_true(sc[0].p >= model_threshold(m, "gambling"));
    n = predict(m, "公安局通知你涉嫌洗钱，把钱转账到安全账户", sc, 4);
    assert_true(n >= 1);
    assert_string_equal(sc[0].category, "fraud");
    assert_int_equal(predict(m, "周末去公园跑步锻炼，晚饭吃面条", sc, 4), 0);
    /* Full-width and upper case read as their plain forms. */
    assert_int_equal(predict(m, "ＡＢＣ周末去公园", sc, 4), 0);
}

/* Scoring text folded before (what triage hands on from matching) with the text as given
 * (its shapes) gives what scoring the original gives; without the text it still scores. */
static void test_predict_folded(void **state)
{
    (void)state;
    const char *texts[] = {"百家樂 真人荷官，首充彩金", "公安局通知你涉嫌洗钱", "周末去公园"};
    for (size_t i = 0; i < 3; i++) {
        struct model_score a[4], b[4];
        struct buf folded = {0};
        assert_int_equal(rules_fold(NULL, texts[i], strlen(texts[i]), &folded), 0);
        int n = predict(shared, texts[i], a, 4);
        struct rules_input in = {.text[RULES_DESCRIPTION] = texts[i],
                                 .len[RULES_DESCRIPTION] = strlen(texts[i])};
        assert_int_equal(model_predict_report(shared, &in, folded.p, folded.len, NULL, b, 4), n);
        for (int k = 0; k < n; k++) {
            assert_string_equal(a[k].category, b[k].category);
            assert_true(a[k].p == b[k].p);
        }
        assert_true(model_predict_folded(shared, folded.p, folded.len, NULL, b, 4) >= 0);
        buf_free(&folded);
    }
}

/* The model reads what folding removes: texts whose folded forms are alike, told apart only
 * by their brackets and marks (a headline's 【】, ！！), are learned and told apart. */
static void test_shapes_learned(void **state)
{
    (void)state;
    struct set s;
    set_make(&s);
    for (size_t i = 0; i < s.n; i++) {
        if (strcmp(s.ex[i].category, "fraud") == 0) {
            free(s.owned[i]);
            s.owned[i] = make_text(NULL, 0);
        } else if (strcmp(s.ex[i].category, "gambling") == 0) {
            char buf[600], *t = make_text(NULL, 0);
            snprintf(buf, sizeof buf, "【%s】！！", t);
            free(t);
            free(s.owned[i]);
            s.owned[i] = strdup(buf);
        } else {
            continue;
        }
        s.ex[i].text = s.owned[i];
        s.ex[i].len = strlen(s.owned[i]);
        s.ex[i].category = strcmp(s.ex[i].category, "fraud") == 0 ? "none" : "gambling";
    }
    struct model *m = NULL;
    char err[ERRLEN] = "";
    struct model_opts opts = {.seed = 7};
    assert_int_equal(model_train(&m, NULL, s.ex, s.n, &opts, err, sizeof err), 0);
    set_free(&s);
    struct model_score sc[4];
    int n = predict(m, "【地铁很挤 孩子放学，买了水果】！！", sc, 4);
    assert_int_equal(n, 1);
    assert_string_equal(sc[0].category, "gambling");
    assert_int_equal(predict(m, "地铁很挤 孩子放学，买了水果", sc, 4), 0);
    model_free(m);
}

static void test_thresholds_and_label(void **state)
{
    (void)state;
    struct model *m = shared;
    double t = model_threshold(m, "gambling");
    assert_true(t > 0 && t < 1.0);
    assert_true(model_threshold(m, "fraud") < 1.0);
    /* A category without examples is never suggested. */
    assert_true(model_threshold(m, "minors") == 1.0);
    assert_true(model_threshold(m, "none") == 1.0);
    assert_non_null(strstr(model_label(m), " n=120"));
    struct model_quality q;
    assert_int_equal(model_quality(m, "gambling", &q), 0);
    assert_int_equal(q.examples, PER_CLASS);
    assert_true(q.precision >= 0.9);
    assert_int_equal(model_quality(m, "minors", &q), -1);
}

static void test_max_and_bad_text(void **state)
{
    (void)state;
    struct model *m = shared;
    struct model_score sc[1];
    assert_int_equal(predict(m, "百家乐首充彩金，安全账户转账到", NULL, 0), 0);
    assert_true(predict(m, "百家乐首充彩金，安全账户转账到", sc, 1) <= 1);
    assert_int_equal(model_predict(m, NULL, "\xff\xfe", 2, NULL, sc, 1), -1);
    assert_int_equal(predict(m, "", sc, 1), 0);
}

static void test_train_refuses_bad_input(void **state)
{
    (void)state;
    struct model *m = (struct model *)1;
    char err[ERRLEN] = "";
    struct model_example few[3] = {{"a", 1, "none"}, {"b", 1, "fraud"}, {"c", 1, "none"}};
    assert_int_equal(model_train(&m, NULL, few, 3, NULL, err, sizeof err), -1);
    assert_null(m);
    assert_non_null(strstr(err, "too few"));
    struct set s;
    set_make(&s);
    s.ex[5].category = "spam";
    assert_int_equal(model_train(&m, NULL, s.ex, s.n, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"spam\" is not a category"));
    for (size_t i = 0; i < s.n; i++)
        s.ex[i].category = "none";
    assert_int_equal(model_train(&m, NULL, s.ex, s.n, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "two classes"));
    set_free(&s);
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    struct model *m = shared;
    struct buf b = {0};
    assert_int_equal(model_save(m, &b), 0);
    assert_memory_equal(b.p, "JBMODEL", 8);
    char err[ERRLEN] = "";
    struct model *m2 = model_load(b.p, b.len, err, sizeof err);
    if (!m2)
        fail_msg("model_load: %s", err);
    assert_string_equal(model_label(m2), model_label(m));
    assert_true(model_threshold(m2, "fraud") == model_threshold(m, "fraud"));
    const char *texts[] = {"百家乐真人荷官", "冻结资金，转账到安全账户", "地铁很挤"};
    for (size_t i = 0; i < 3; i++) {
        struct model_score a[4], c[4];
        int na = predict(m, texts[i], a, 4), nc = predict(m2, texts[i], c, 4);
        assert_int_equal(na, nc);
        for (int j = 0; j < na; j++) {
            assert_string_equal(a[j].category, c[j].category);
            assert_true(a[j].p == c[j].p);
        }
    }
    /* Saved again, the bytes are the same. */
    struct buf b2 = {0};
    assert_int_equal(model_save(m2, &b2), 0);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.p, b.p, b.len);
    buf_free(&b2);
    buf_free(&b);
    model_free(m2);
}

/* Sets the trailing checksum so that a change inside reaches the value checks. */
static void reseal(unsigned char *p, size_t len)
{
    uint32_t c = (uint32_t)crc32(0L, p, (uInt)(len - 4));
    for (int i = 0; i < 4; i++)
        p[len - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void assert_refused(const unsigned char *p, size_t len, const char *why)
{
    char err[ERRLEN] = "";
    struct model *m = model_load(p, len, err, sizeof err);
    if (m)
        fail_msg("model_load accepted %s", why);
    assert_true(err[0] != '\0');
}

static void test_load_refuses_damaged_bytes(void **state)
{
    (void)state;
    struct model *m = shared;
    struct buf b = {0};
    assert_int_equal(model_save(m, &b), 0);
    unsigned char *p = malloc(b.len);
    assert_non_null(p);
    /* Cut short anywhere. */
    for (size_t cut = 0; cut < b.len; cut += cut < 512 ? 1 : 4093)
        assert_refused((const unsigned char *)b.p, cut, "a cut model");
    /* One bit flipped anywhere in the head, and a sample of the rest. */
    for (size_t i = 0; i < b.len; i += i < 512 ? 1 : 997) {
        memcpy(p, b.p, b.len);
        p[i] ^= 0x10;
        assert_refused(p, b.len, "a flipped bit");
    }
    /* Checksum right but the contents wrong: classes, version, bits, a weight. */
    size_t head = 8 + 16 + 2 + strlen(model_label(m));
    const struct { size_t at; unsigned char v; const char *why; } bad[] = {
        {8, 1, "the former format version (float weights)"}, {8, 3, "a later format version"}, {12, 9, "another features version"},
        {16, 40, "a huge hash size"}, {20, 200, "too many classes"}, {20, 1, "one class"},
        {head + 1, 'X', "a class that is not a category"}, {24, 250, "a label past the end"},
        {27, 0, "a NUL in the label (found by fuzz_model)"}, {27, 1, "a control in the label"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(p, b.p, b.len);
        p[bad[i].at] = bad[i].v;
        reseal(p, b.len);
        assert_refused(p, b.len, bad[i].why);
    }
    /* The scales of the codes (after the classes) out of range, and a row whose document
     * frequency code is 0. */
    size_t at = head;
    for (unsigned k = 0; k < 3; k++)
        at += 1 + p[at] + 4 * 8 + 4 + 4;
    const struct { size_t at; float v; const char *why; } scales[] = {
        {at, 0.0f, "an idf step of 0"}, {at, NAN, "a NaN idf step"}, {at, 7.0f, "a huge idf step"},
        {at + 4, NAN, "a NaN weight scale"}, {at + 4, -1.0f, "a negative weight scale"},
        {at + 4, 1e30f, "a huge weight scale (sums would overflow)"},
    };
    for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
        memcpy(p, b.p, b.len);
        memcpy(p + scales[i].at, &scales[i].v, 4);
        reseal(p, b.len);
        assert_refused(p, b.len, scales[i].why);
    }
    memcpy(p, b.p, b.len);
    size_t slots = (size_t)1 << p[16];      /* bits < 256: one byte of the u32 */
    size_t first_row = at + 8 + 4 + slots / 8;
    p[first_row] = 0;
    reseal(p, b.len);
    assert_refused(p, b.len, "a row without a document frequency");
    memcpy(p, b.p, b.len);
    p[first_row] = 1;   /* any other code is a document frequency */
    reseal(p, b.len);
    char err[ERRLEN];
    struct model *m2 = model_load(p, b.len, err, sizeof err);
    assert_non_null(m2);
    model_free(m2);
    /* Foreign bytes. */
    assert_refused((const unsigned char *)"{\"model\":1}", 11, "JSON");
    assert_refused((const unsigned char *)"", 0, "nothing");
    free(p);
    buf_free(&b);
}

static void test_files(void **state)
{
    (void)state;
    struct model *m = shared;
    char path[] = "/tmp/test_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[ERRLEN] = "";
    assert_int_equal(model_write_file(m, path, err, sizeof err), 0);
    struct model *m2 = model_read_file(path, err, sizeof err);
    if (!m2)
        fail_msg("model_read_file: %s", err);
    assert_string_equal(model_label(m2), model_label(m));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a model\n", f);
    fclose(f);
    assert_null(model_read_file(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    unlink(path);
    assert_null(model_read_file(path, err, sizeof err));
    model_free(m2);
}

static int freed;
static void count_free(void *p)
{
    freed++;
    free(p);
}

static void test_live_keeps_old_until_released(void **state)
{
    (void)state;
    freed = 0;
    int *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    *a = 1;
    *b = 2;
    struct live *l = live_new(a, count_free);
    assert_non_null(l);
    int *held = live_acquire(l);
    assert_ptr_equal(held, a);
    assert_int_equal(live_swap(l, b), 0);
    assert_int_equal(freed, 0);             /* still held */
    assert_int_equal(*held, 1);
    int *now = live_acquire(l);
    assert_ptr_equal(now, b);
    live_release(l, held);
    assert_int_equal(freed, 1);             /* the last user let go */
    live_release(l, now);
    assert_int_equal(freed, 1);             /* b is current */
    assert_int_equal(live_swap(l, NULL), 0);
    assert_int_equal(freed, 2);
    assert_null(live_acquire(l));
    live_release(l, NULL);
    live_free(l);
}

static void test_model_live_swap(void **state)
{
    (void)state;
    struct model_live *ml = model_live_new(NULL);
    assert_non_null(ml);
    assert_null(model_acquire(ml));
    struct model *m1 = trained(), *m2 = trained();
    model_swap(ml, m1);
    const struct model *held = model_acquire(ml);
    assert_ptr_equal(held, m1);
    model_swap(ml, m2);
    struct model_score sc[2];
    assert_true(model_predict(held, NULL, "百家乐", strlen("百家乐"), NULL, sc, 2) >= 0);
    model_release(ml, held);
    assert_ptr_equal(model_acquire(ml), m2);
    model_release(ml, m2);
    model_live_free(ml);                    /* frees m2; ASan reports a leak or double free */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_and_suggest),
        cmocka_unit_test(test_predict_folded),
        cmocka_unit_test(test_shapes_learned),
        cmocka_unit_test(test_thresholds_and_label),
        cmocka_unit_test(test_max_and_bad_text),
        cmocka_unit_test(test_train_refuses_bad_input),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_load_refuses_damaged_bytes),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_live_keeps_old_until_released),
        cmocka_unit_test(test_model_live_swap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
