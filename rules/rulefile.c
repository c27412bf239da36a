/* rulefile — see rulefile.h. The format is line based so that every message can name a line:
 *
 *     rule fraud.task_rebate
 *     category:    fraud
 *     pattern:     刷单.{0,20}返利
 *     match:       兼职刷单，日结返利
 *
 * A rule runs from its "rule ID" line to the next one. A line that starts with white space and
 * is not a "key:" line continues the pattern above it.
 */
#include "rulefile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "pii.h"
#include "rules.h"
#include "text.h"

#define MAX_ID 64

struct parser {
    const char *path;
    bool strict;
    struct buf *errs;
    size_t *nerrs;
    struct rulefile_rule cur;
    bool in_rule, cur_bad, oom;
    int last_key;               /* the key of the previous line, for continuations */
    struct rulefile_rule **rules;
    size_t *n, cap;
};

enum key { K_CATEGORY, K_SEVERITY, K_FIELDS, K_PATTERN, K_FLAGS, K_ACTION, K_VALIDATE,
           K_DESCRIPTION, K_MATCH, K_NOMATCH, K_BECOMES, K_COUNT };

static const char *const keys[K_COUNT] = {
    "category", "severity", "fields", "pattern", "flags", "action", "validate", "description",
    "match", "nomatch", "becomes",
};

static void error(struct parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error(struct parser *ps, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->in_rule && ps->cur.id)
        buf_printf(ps->errs, "%s:%d: rule %s: %s\n", ps->path, line, ps->cur.id, msg);
    else
        buf_printf(ps->errs, "%s:%d: %s\n", ps->path, line, msg);
    (*ps->nerrs)++;
    ps->cur_bad = true;
}

static char *dup_n(struct parser *ps, const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        ps->oom = true;
    return p;
}

static void rule_clear(struct rulefile_rule *r)
{
    free(r->id);
    free(r->category);
    free(r->pattern);
    free(r->description);
    free(r->placeholder);
    for (size_t i = 0; i < r->nex; i++) {
        free(r->ex[i].text);
        free(r->ex[i].becomes);
    }
    free(r->ex);
    memset(r, 0, sizeof *r);
}

void rulefile_free(struct rulefile_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rule_clear(&rules[i]);
    free(rules);
}

/* ---- values ---------------------------------------------------------------------------- */

static int parse_severity(const char *v)
{
    for (int s = 1; s <= 4; s++)
        if (strcmp(v, rules_severity_name(s)) == 0)
            return s;
    return 0;
}

static void parse_fields(struct parser *ps, int line, const char *v)
{
    static const char *const names[RULES_NFIELDS] = {"url", "title", "description"};
    char copy[128];
    snprintf(copy, sizeof copy, "%s", v);
    char *save = NULL;
    for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
        unsigned f = 0;
        while (f < RULES_NFIELDS && strcmp(t, names[f]) != 0)
            f++;
        if (f == RULES_NFIELDS)
            error(ps, line, "unknown field '%s' (url, title, description)", t);
        else
            ps->cur.fields |= 1u << f;
    }
}

static void parse_flags(struct parser *ps, int line, const char *v)
{
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p == ' ')
            continue;
        if (!strchr("imsxnU", *p) || memchr(ps->cur.flags, *p, n))
            error(ps, line, "flags: '%c' is not one of i m s x n U, or repeated", *p);
        else if (n + 1 < sizeof ps->cur.flags)
            ps->cur.flags[n++] = *p;
    }
}

/* A placeholder name: upper-case letters and underscores, as in PHONE or BANK_CARD. */
static bool placeholder_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || t[i] == '_'))
            return false;
    return true;
}

static void parse_action(struct parser *ps, int line, const char *v)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", v);
    char *save = NULL;
    for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
        if (strcmp(t, "suggest") == 0) {
            ps->cur.suggest = true;
        } else if (strcmp(t, "priority") == 0) {
            char *n = strtok_r(NULL, " ,\t", &save), *end = NULL;
            long p = n && n[0] == '+' ? strtol(n + 1, &end, 10) : 0;
            if (!end || *end || p < 1 || p > 100)
                error(ps, line, "action: priority needs +N, N from 1 to 100");
            else
                ps->cur.priority = (int)p;
        } else if (strcmp(t, "redact") == 0) {
            char *n = strtok_r(NULL, " ,\t", &save);
            if (!n || !placeholder_ok(n))
                error(ps, line, "action: redact needs a placeholder name such as PHONE");
            else if (!(ps->cur.placeholder = dup_n(ps, n, strlen(n))))
                return;
        } else {
            error(ps, line, "action: unknown '%s' (suggest, priority +N, redact NAME)", t);
        }
    }
}

static void add_example(struct parser *ps, int line, const char *v, bool match)
{
    struct rulefile_rule *r = &ps->cur;
    struct rulefile_example *ex = realloc(r->ex, (r->nex + 1) * sizeof *ex);
    if (!ex) {
        ps->oom = true;
        return;
    }
    r->ex = ex;
    ex[r->nex] = (struct rulefile_example){dup_n(ps, v, strlen(v)), NULL, line, match};
    r->nex++;
}

static void add_becomes(struct parser *ps, int line, const char *v)
{
    struct rulefile_rule *r = &ps->cur;
    if (!r->nex || !r->ex[r->nex - 1].match || r->ex[r->nex - 1].becomes)
        error(ps, line, "becomes: must follow a match: line");
    else
        r->ex[r->nex - 1].becomes = dup_n(ps, v, strlen(v));
}

/* Sets a key that may be given once. */
static void set_once(struct parser *ps, int line, char **slot, const char *key, const char *v)
{
    if (*slot)
        error(ps, line, "%s: given twice", key);
    else
        *slot = dup_n(ps, v, strlen(v));
}

static void set_key(struct parser *ps, int line, enum key k, const char *v)
{
    struct rulefile_rule *r = &ps->cur;
    switch (k) {
    case K_CATEGORY: set_once(ps, line, &r->category, "category", v); break;
    case K_DESCRIPTION: set_once(ps, line, &r->description, "description", v); break;
    case K_PATTERN:
        set_once(ps, line, &r->pattern, "pattern", v);
        r->pattern_line = line;
        break;
    case K_SEVERITY:
        if (!(r->severity = parse_severity(v)))
            error(ps, line, "severity: '%s' is not low, medium, high or critical", v);
        break;
    case K_FIELDS: parse_fields(ps, line, v); break;
    case K_FLAGS: parse_flags(ps, line, v); break;
    case K_ACTION: parse_action(ps, line, v); break;
    case K_VALIDATE:
        if ((r->validate = pii_find(v, strlen(v))) < 0) {
            r->validate = 0;
            error(ps, line, "validate: unknown check '%s' (mobile_cn, landline_cn, email, id18, "
                            "id15, luhn, phone_hk, phone_mo, phone_tw, qq, wechat, passport)", v);
        }
        break;
    case K_MATCH: add_example(ps, line, v, true); break;
    case K_NOMATCH: add_example(ps, line, v, false); break;
    case K_BECOMES: add_becomes(ps, line, v); break;
    case K_COUNT: break;
    }
}

/* ---- rules ----------------------------------------------------------------------------- */

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* The checks that need the whole rule. */
static void check_rule(struct parser *ps)
{
    struct rulefile_rule *r = &ps->cur;
    int line = r->line;
    size_t nmatch = 0, nnomatch = 0;
    for (size_t i = 0; i < r->nex; i++)
        r->ex[i].match ? nmatch++ : nnomatch++;
    if (!r->pattern)
        error(ps, line, "no pattern:");
    if (!r->description)
        error(ps, line, "no description:");
    if (!r->suggest && !r->priority && !r->placeholder)
        error(ps, line, "no action: (suggest, priority +N or redact NAME)");
    if (r->placeholder && (r->suggest || r->priority))
        error(ps, line, "action: redact cannot be combined with suggest or priority");
    if (!r->placeholder && r->validate)
        error(ps, line, "validate: applies only to redact rules");
    if (!r->placeholder && !r->severity)
        error(ps, line, "no severity: (low, medium, high or critical)");
    if (!r->placeholder && !r->category)
        error(ps, line, "no category:");
    if (r->category && !category_find(r->category, strlen(r->category)))
        error(ps, line, "category: '%s' is not a category code of API.md", r->category);
    if (ps->strict && (!nmatch || !nnomatch))
        error(ps, line, "needs at least one match: and one nomatch: example");
    if (!r->fields)
        r->fields = 1u << RULES_TITLE | 1u << RULES_DESCRIPTION;
}

/* Ends the current rule: keeps it when it has no problems. */
static void end_rule(struct parser *ps)
{
    if (!ps->in_rule)
        return;
    check_rule(ps);
    if (ps->cur_bad || ps->oom) {
        rule_clear(&ps->cur);
    } else {
        struct rulefile_rule *r = buf_array_grow(*ps->rules, &ps->cap, *ps->n + 1, sizeof *r);
        if (!r) {
            ps->oom = true;
            rule_clear(&ps->cur);
            return;
        }
        *ps->rules = r;
        (*ps->rules)[(*ps->n)++] = ps->cur;
        memset(&ps->cur, 0, sizeof ps->cur);
    }
    ps->in_rule = ps->cur_bad = false;
}

static void start_rule(struct parser *ps, int line, const char *id)
{
    end_rule(ps);
    ps->in_rule = true;
    ps->cur_bad = false;  /* a stray line before this rule is not this rule's fault */
    ps->cur.file = ps->path;
    ps->cur.line = line;
    ps->cur.id = dup_n(ps, id, strlen(id));
    if (!id_ok(id))
        error(ps, line, "'%s' is not a rule id (letters, digits, . _ -, up to 64)", id);
}

/* ---- lines ----------------------------------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* The key of a "key: value" line, with *value set, or -1. */
static int split_key(char *s, char **value)
{
    char *colon = strchr(s, ':');
    if (!colon)
        return -1;
    for (int k = 0; k < K_COUNT; k++)
        if ((size_t)(colon - s) == strlen(keys[k]) && memcmp(s, keys[k], strlen(keys[k])) == 0) {
            *value = trim(colon + 1);
            return k;
        }
    return -1;
}

/* Appends a continuation line to the pattern. */
static void continue_pattern(struct parser *ps, const char *more)
{
    char *p = ps->cur.pattern;
    size_t a = strlen(p), b = strlen(more);
    char *q = realloc(p, a + b + 1);
    if (!q) {
        ps->oom = true;
        return;
    }
    memcpy(q + a, more, b + 1);
    ps->cur.pattern = q;
}

static void parse_line(struct parser *ps, int line, char *raw)
{
    bool indented = raw[0] == ' ' || raw[0] == '\t';
    char *s = trim(raw), *value = NULL;
    if (!*s || *s == '#')
        return;
    if (!indented && strncmp(s, "rule", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
        start_rule(ps, line, trim(s + 5));
        ps->last_key = -1;
        return;
    }
    int k = split_key(s, &value);
    if (k < 0 && indented && ps->in_rule && ps->last_key == K_PATTERN && ps->cur.pattern) {
        continue_pattern(ps, s);
        return;
    }
    if (k < 0) {
        error(ps, line, "expected 'rule ID' or 'key: value' (keys: category, severity, fields, "
                        "pattern, flags, action, validate, description, match, nomatch, becomes)");
        return;
    }
    if (!ps->in_rule) {
        error(ps, line, "%s: before the first 'rule ID' line", keys[k]);
        return;
    }
    if (!*value && k != K_FLAGS)
        error(ps, line, "%s: has no value", keys[k]);
    else
        set_key(ps, line, (enum key)k, value);
    ps->last_key = k;
}

int rulefile_parse(const char *path, const char *text, size_t len, bool strict,
                   struct rulefile_rule **rules, size_t *n, struct buf *errs, size_t *nerrs)
{
    struct parser ps = {.path = path, .strict = strict, .errs = errs, .nerrs = nerrs,
                        .rules = rules, .n = n, .cap = *n, .last_key = -1};
    int line = 0;
    for (size_t i = 0; i < len && !ps.oom; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t m = nl ? (size_t)(nl - text - i) : len - i;
        char *copy = dup_n(&ps, text + i, m);
        if (!copy)
            break;
        if (memchr(copy, '\0', m) || !text_utf8_valid(copy, m))
            error(&ps, line + 1, "not valid UTF-8 text");
        else
            parse_line(&ps, line + 1, copy);
        free(copy);
        i += m + 1;
    }
    end_rule(&ps);
    return ps.oom ? -1 : 0;
}
