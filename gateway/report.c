/* report — see report.h. */
#include "report.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "text.h"

enum limit_kind { LIMIT_BYTES, LIMIT_CHARS };

struct field_rule {
    const char *name;
    size_t offset;            /* of the struct field in struct report */
    size_t conf_offset;       /* of its limit in struct conf, or 0 with a fixed limit */
    long fixed_limit;
    enum limit_kind kind;
    bool multiline;           /* allows tab, CR and LF */
};

#define F(f) offsetof(struct report, f)
#define C(f) offsetof(struct conf, f)
static const struct field_rule rules[] = {
    /* tab, CR and LF in a url are removed by url_canonicalize before parsing, as WHATWG and
     * Safe Browsing do (a link copied across a line break holds one), and never stored */
    {"url", F(url), C(url_max), 0, LIMIT_BYTES, true},
    {"category", F(category), 0, 64, LIMIT_BYTES, false},
    {"title", F(title), C(title_max), 0, LIMIT_CHARS, false},
    {"description", F(description), C(description_max), 0, LIMIT_CHARS, true},
    {"contact", F(contact), C(contact_max), 0, LIMIT_BYTES, false},
    {"platform_ref", F(platform_ref), 0, 128, LIMIT_BYTES, false},
    {"language", F(language), 0, 35, LIMIT_BYTES, false},
};
#undef F
#undef C
#define NRULES (sizeof rules / sizeof rules[0])

/* Fills err and returns -1. */
__attribute__((format(printf, 5, 6))) static int
fail(struct report_error *err, int status, const char *code, const char *field, const char *fmt,
     ...)
{
    err->status = status;
    err->code = code;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

static const struct field_rule *rule_find(const char *name)
{
    for (size_t i = 0; i < NRULES; i++)
        if (strcmp(rules[i].name, name) == 0)
            return &rules[i];
    return NULL;
}

/* Checks one member's type, length and characters, and stores it. Returns 0 or -1. */
static int take_field(const struct field_rule *r, const char *key, const struct jdoc *v,
                      const struct conf *c, struct report *out, struct report_error *err)
{
    size_t len;
    const char *s = jdoc_string(v, &len);
    if (!s)
        return fail(err, 400, "wrong_type", r->name, "%s must be a string, not %s", key,
                    jdoc_type_name(v));
    long limit = r->conf_offset ? *(const long *)(const void *)((const char *)c + r->conf_offset)
                                : r->fixed_limit;
    size_t n = r->kind == LIMIT_CHARS ? text_utf8_chars(s, len) : len;
    if (n > (size_t)limit)
        return fail(err, 400, "too_long", r->name, "%s is longer than %ld %s", key, limit,
                    r->kind == LIMIT_CHARS ? "characters" : "bytes");
    if (text_has_controls(s, len, r->multiline))
        return fail(err, 400, "control_characters", r->name,
                    "%s contains control characters", key);
    struct field *f = (struct field *)(void *)((char *)out + r->offset);
    if (len) {
        f->s = s;
        f->len = len;
    }
    return 0;
}

static bool language_valid(const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        bool digit = ch >= '0' && ch <= '9';
        if (ch == '-') {
            if (run == 0)
                return false;
            run = 0;
        } else if (alpha || (digit && i > 2)) {
            if (++run > 8)
                return false;
        } else {
            return false;
        }
    }
    return run > 0 && (len < 2 || s[0] != '-');
}

/* The errors of one report: the first max kept in errs, all of them counted, and which fields
 * are at fault (so that a field that failed its own check is not blamed again). */
struct found {
    struct report_error *errs;
    size_t max, n;
    unsigned bad;               /* bit i: rules[i] */
    struct report_error spare;  /* where the errors past max are written */
};

static struct report_error *slot(struct found *f)
{
    return f->n < f->max ? &f->errs[f->n] : &f->spare;
}

/* Counts the error just written to slot(f), against field (NULL: none of the rules'). */
static void note(struct found *f, const char *field)
{
    const struct field_rule *r = field ? rule_find(field) : NULL;
    if (r)
        f->bad |= 1u << (r - rules);
    f->n++;
}

static bool is_bad(const struct found *f, const char *field)
{
    return f->bad & (1u << (rule_find(field) - rules));
}

/* The checks of values that are well-formed strings but do not make sense, in the order in
 * which their errors are reported. */
static void check_values(struct report *out, struct found *f)
{
    if (!is_bad(f, "url") && !out->url.s) {
        fail(slot(f), 400, "missing_field", "url", "url is required");
        note(f, "url");
    }
    if (!is_bad(f, "category") && !out->category.s) {
        fail(slot(f), 400, "missing_field", "category", "category is required");
        note(f, "category");
    } else if (!is_bad(f, "category") &&
               !(out->cat = category_find(out->category.s, out->category.len))) {
        fail(slot(f), 422, "invalid_category", "category",
             "category is not a category code (GET /api/v1/categories lists them)");
        note(f, "category");
    }
    if (!is_bad(f, "language") && out->language.s &&
        !language_valid(out->language.s, out->language.len)) {
        fail(slot(f), 422, "invalid_language", "language",
             "language is not a BCP 47 language tag such as zh-CN");
        note(f, "language");
    }
    char why[128];
    if (out->url.s && url_canonicalize(out->url.s, out->url.len, &out->canon, why, sizeof why) < 0) {
        fail(slot(f), 422, "invalid_url", "url", "url is not an http or https address: %s", why);
        note(f, "url");
    }
}

size_t report_validate_all(const struct jdoc *obj, const struct conf *c, struct report *out,
                           struct report_error *errs, size_t max)
{
    struct found f = {errs, max, 0, 0, {0}};
    memset(out, 0, sizeof *out);
    if (jdoc_type(obj) != JDOC_OBJECT) {
        fail(slot(&f), 400, "wrong_type", NULL, "a report must be an object, not %s",
             jdoc_type_name(obj));
        return 1;
    }
    void *it = NULL;
    const struct jdoc *v;
    const char *key;
    while ((key = jdoc_next(obj, &it, &v))) {
        const struct field_rule *r = rule_find(key);
        if (!r) {
            fail(slot(&f), 400, "unknown_field", key, "unknown field \"%.64s\"", key);
            note(&f, NULL);
        } else if (take_field(r, key, v, c, out, slot(&f)) < 0) {
            note(&f, r->name);
        }
    }
    check_values(out, &f);
    if (f.n)
        report_free(out);
    return f.n;
}

int report_validate(const struct jdoc *obj, const struct conf *c, struct report *out,
                    struct report_error *err)
{
    return report_validate_all(obj, c, out, err, 1) ? -1 : 0;
}

void report_free(struct report *r)
{
    if (r)
        url_parts_free(&r->canon);
}

char *report_seal(const struct keys *k, const char *id, const struct report *r)
{
    struct buf b = {0};
    buf_puts(&b, "{");
    buf_json_kv(&b, "report", id);
    const struct field *f[] = {&r->contact, &r->title, &r->description};
    const char *names[] = {"contact", "title", "description"};
    for (int i = 0; i < 3; i++)
        if (f[i]->s) {
            buf_puts(&b, ",");
            buf_json_str(&b, names[i], strlen(names[i]));
            buf_puts(&b, ":");
            buf_json_str(&b, f[i]->s, f[i]->len);
        }
    buf_puts(&b, "}");
    char *sealed = b.oom ? NULL : crypto_seal(k, b.p, b.len);
    buf_free(&b);
    return sealed;
}

void report_fingerprint(const struct keys *k, const struct report *r, char out[CRYPTO_HEX_LEN])
{
    out[0] = '\0';
    if (!r->title.s && !r->description.s)
        return;
    struct buf b = {0};
    if (r->title.s)
        buf_add(&b, r->title.s, r->title.len);
    buf_add(&b, "\n", 1);
    if (r->description.s)
        buf_add(&b, r->description.s, r->description.len);
    size_t n = 0;
    char *norm = b.oom ? NULL : text_normalize(b.p, b.len, &n);
    if (norm)
        crypto_keyed_hash(k, CRYPTO_FINGERPRINT, norm, n, out);
    free(norm);
    buf_free(&b);
}

int report_id_valid(const char *s, char prefix)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (strlen(s) != 16 || s[0] != prefix || s[1] != '-')
        return 0;
    for (int i = 2; i < 16; i++) {
        bool dash = i == 6 || i == 11;
        if (dash ? s[i] != '-' : !s[i] || !strchr(alphabet, s[i]))
            return 0;
    }
    return 1;
}

int report_idempotency_key_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    return 1;
}
