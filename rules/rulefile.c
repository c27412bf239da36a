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
#include "rulefile_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "category.h"
#include "pii.h"
#include "rules.h"
#include "text.h"

enum key { K_CATEGORY, K_SEVERITY, K_FIELDS, K_PATTERN, K_FLAGS, K_ACTION, K_VALIDATE,
           K_DESCRIPTION, K_MATCH, K_NOMATCH, K_BECOMES, K_LEXICON, K_WITHIN, K_MIN_WEIGHT,
           K_UNLESS, K_COUNT };

static const char *const keys[K_COUNT] = {
    "category", "severity", "fields", "pattern", "flags", "action", "validate", "description",
    "match", "nomatch", "becomes", "lexicon", "within", "min-weight", "unless",
};

void rulefile_error(struct parser *ps, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *kind = ps->in_rule ? "rule" : ps->in_lex == LEX_LEXICON ? "lexicon" : "variants";
    const char *id = ps->in_rule ? ps->cur.id : ps->in_lex == LEX_LEXICON ? ps->lcur.id
                   : ps->vcur.id;
    if ((ps->in_rule || ps->in_lex) && id)
        buf_printf(ps->errs, "%s:%d: %s %s: %s\n", ps->path, line, kind, id, msg);
    else
        buf_printf(ps->errs, "%s:%d: %s\n", ps->path, line, msg);
    (*ps->nerrs)++;
    ps->cur_bad = true;
}

char *rulefile_dup(struct parser *ps, const char *s, size_t n)
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
    free(r->lexicons);
    free(r->unless);
    rulefile_examples_free(r->ex, r->nex);
    memset(r, 0, sizeof *r);
}

void rulefile_free(struct rulefile_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rule_clear(&rules[i]);
    free(rules);
}

/* ---- values ---------------------------------------------------------------------------- */

const char *rulefile_severity_name(int severity)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    return severity >= 1 && severity <= 4 ? names[severity] : names[0];
}

static int parse_severity(const char *v)
{
    for (int s = 1; s <= 4; s++)
        if (strcmp(v, rulefile_severity_name(s)) == 0)
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
            rulefile_error(ps, line, "unknown field '%s' (url, title, description)", t);
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
            rulefile_error(ps, line, "flags: '%c' is not one of i m s x n U, or repeated", *p);
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
                rulefile_error(ps, line, "action: priority needs +N, N from 1 to 100");
            else
                ps->cur.priority = (int)p;
        } else if (strcmp(t, "redact") == 0) {
            char *n = strtok_r(NULL, " ,\t", &save);
            if (!n || !placeholder_ok(n))
                rulefile_error(ps, line, "action: redact needs a placeholder name such as PHONE");
            else if (!(ps->cur.placeholder = rulefile_dup(ps, n, strlen(n))))
                return;
        } else {
            rulefile_error(ps, line, "action: unknown '%s' (suggest, priority +N, redact NAME)", t);
        }
    }
}

void rulefile_examples_free(struct rulefile_example *ex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ex[i].text);
        free(ex[i].becomes);
    }
    free(ex);
}

struct rulefile_example *rulefile_example_add(struct parser *ps, struct rulefile_example **exs,
                                     size_t *n, int line, const char *v, bool match)
{
    struct rulefile_example *ex = realloc(*exs, (*n + 1) * sizeof *ex);
    if (!ex) {
        ps->oom = true;
        return NULL;
    }
    *exs = ex;
    ex[*n] = (struct rulefile_example){rulefile_dup(ps, v, strlen(v)), NULL, line, match};
    return &ex[(*n)++];
}

static void add_becomes(struct parser *ps, int line, const char *v)
{
    struct rulefile_rule *r = &ps->cur;
    if (!r->nex || !r->ex[r->nex - 1].match || r->ex[r->nex - 1].becomes)
        rulefile_error(ps, line, "becomes: must follow a match: line");
    else
        r->ex[r->nex - 1].becomes = rulefile_dup(ps, v, strlen(v));
}

bool rulefile_number(const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    double w = strtod(v, &end);
    if (!end || end == v || *end || !(w >= lo && w <= hi))
        return false;
    *out = w;
    return true;
}

static bool parse_count(const char *v, unsigned *out)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!end || end == v || *end || n < 1 || n > MAX_WITHIN || *v == '+' || *v == '-')
        return false;
    *out = (unsigned)n;
    return true;
}

/* "lexicon: a b c": up to MAX_RULE_LEXICONS ids, each once. */
static void parse_lexicons(struct parser *ps, int line, const char *v)
{
    struct rulefile_rule *r = &ps->cur;
    char copy[MAX_RULE_LEXICONS * (MAX_ID + 1) + 1];
    size_t n = 0;
    if (r->lexicons) {
        rulefile_error(ps, line, "lexicon: given twice");
        return;
    }
    r->lexicon_line = line;
    snprintf(copy, sizeof copy, "%s", v);
    char *save = NULL, *seen[MAX_RULE_LEXICONS];
    for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(seen[i], t) == 0;
        if (!rulefile_id_ok(t) || dup || n == MAX_RULE_LEXICONS) {
            rulefile_error(ps, line, "lexicon: '%s' is not a lexicon id, is repeated, or is "
                                     "past the %dth", t, MAX_RULE_LEXICONS);
            return;
        }
        seen[n++] = t;
    }
    r->lexicons = rulefile_dup(ps, v, strlen(v));
}

/* "unless: ID..." or "unless: ID... within N": up to MAX_RULE_LEXICONS ids, each once; the
 * ids are kept space-separated. */
static void parse_unless(struct parser *ps, int line, const char *v)
{
    struct rulefile_rule *r = &ps->cur;
    char copy[MAX_RULE_LEXICONS * (MAX_ID + 1) + 32], ids[sizeof copy] = "";
    char *save = NULL, *t, *seen[MAX_RULE_LEXICONS];
    size_t n = 0;
    bool bad = strlen(v) >= sizeof copy;
    r->unless_line = line;
    if (r->unless) {
        rulefile_error(ps, line, "unless: given twice");
        return;
    }
    snprintf(copy, sizeof copy, "%s", v);
    for (t = strtok_r(copy, " \t", &save); t && !bad; t = strtok_r(NULL, " \t", &save)) {
        if (strcmp(t, "within") == 0) {
            char *num = strtok_r(NULL, " \t", &save);
            bad = !n || !num || !parse_count(num, &r->unless_within) || strtok_r(NULL, " \t", &save);
            break;
        }
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(seen[i], t) == 0;
        bad = !rulefile_id_ok(t) || dup || n == MAX_RULE_LEXICONS;
        if (!bad) {
            seen[n++] = t;
            strcat(strcat(ids, n > 1 ? " " : ""), t);
        }
    }
    if (bad || !n)
        rulefile_error(ps, line, "unless: expected lexicon ids, each once (at most %d), "
                       "optionally followed by 'within N' (N from 1 to %d)", MAX_RULE_LEXICONS,
                       MAX_WITHIN);
    else
        r->unless = rulefile_dup(ps, ids, strlen(ids));
}

/* Sets a key that may be given once. */
static void set_once(struct parser *ps, int line, char **slot, const char *key, const char *v)
{
    if (*slot)
        rulefile_error(ps, line, "%s: given twice", key);
    else
        *slot = rulefile_dup(ps, v, strlen(v));
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
            rulefile_error(ps, line, "severity: '%s' is not low, medium, high or critical", v);
        break;
    case K_FIELDS: parse_fields(ps, line, v); break;
    case K_FLAGS: parse_flags(ps, line, v); break;
    case K_ACTION: parse_action(ps, line, v); break;
    case K_VALIDATE:
        if ((r->validate = pii_find(v, strlen(v))) < 0) {
            r->validate = 0;
            rulefile_error(ps, line, "validate: unknown check '%s' (mobile_cn, "
                                     "landline_cn, email, id18, id15, luhn, phone_hk, phone_mo, "
                                     "phone_tw, qq, wechat, passport)", v);
        }
        break;
    case K_MATCH: rulefile_example_add(ps, &r->ex, &r->nex, line, v, true); break;
    case K_NOMATCH: rulefile_example_add(ps, &r->ex, &r->nex, line, v, false); break;
    case K_BECOMES: add_becomes(ps, line, v); break;
    case K_LEXICON: parse_lexicons(ps, line, v); break;
    case K_WITHIN:
        if (!parse_count(v, &r->within))
            rulefile_error(ps, line, "within: '%s' is not a number of characters from 1 to %d", v,
                  MAX_WITHIN);
        break;
    case K_MIN_WEIGHT:
        if (!rulefile_number(v, -1000, 1000, &r->min_weight))
            rulefile_error(ps, line, "min-weight: '%s' is not a number from -1000 to 1000", v);
        r->has_min_weight = true;
        break;
    case K_UNLESS: parse_unless(ps, line, v); break;
    case K_COUNT: break;
    }
}

/* ---- rules ----------------------------------------------------------------------------- */

bool rulefile_id_ok(const char *id)
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
    if (!r->pattern && !r->lexicons)
        rulefile_error(ps, line, "no pattern: (or lexicon:)");
    if (!r->lexicons && (r->within || r->has_min_weight || r->unless))
        rulefile_error(ps, line, "within:, min-weight: and unless: need lexicon:");
    if (r->lexicons && r->placeholder)
        rulefile_error(ps, line, "lexicon: is for classification rules, not redact");
    if (!r->description)
        rulefile_error(ps, line, "no description:");
    if (!r->suggest && !r->priority && !r->placeholder)
        rulefile_error(ps, line, "no action: (suggest, priority +N or redact NAME)");
    if (r->placeholder && (r->suggest || r->priority))
        rulefile_error(ps, line, "action: redact cannot be combined with suggest or priority");
    if (!r->placeholder && r->validate)
        rulefile_error(ps, line, "validate: applies only to redact rules");
    if (!r->placeholder && !r->severity)
        rulefile_error(ps, line, "no severity: (low, medium, high or critical)");
    if (!r->placeholder && !r->category)
        rulefile_error(ps, line, "no category:");
    if (r->category && !category_find(r->category, strlen(r->category)))
        rulefile_error(ps, line, "category: '%s' is not a category code of API.md", r->category);
    if (ps->strict && (!nmatch || !nnomatch))
        rulefile_error(ps, line, "needs at least one match: and one nomatch: example");
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
    rulefile_block_end(ps);
    ps->in_rule = true;
    ps->cur_bad = false;  /* a stray line before this rule is not this rule's fault */
    ps->cur.file = ps->path;
    ps->cur.line = line;
    ps->cur.id = rulefile_dup(ps, id, strlen(id));
    if (!rulefile_id_ok(id))
        rulefile_error(ps, line, "'%s' is not a rule id (letters, digits, . _ -, up to 64)", id);
}

/* ---- lines ----------------------------------------------------------------------------- */

char *rulefile_trim(char *s)
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
            *value = rulefile_trim(colon + 1);
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
    char *s = rulefile_trim(raw), *value = NULL;
    if (!*s || *s == '#')
        return;
    if (!indented && strncmp(s, "rule", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
        start_rule(ps, line, rulefile_trim(s + 5));
        ps->last_key = -1;
        return;
    }
    const char *lexid = NULL;
    int kind = indented ? 0 : rulefile_block_kind(s, &lexid);
    if (kind) {
        end_rule(ps);
        rulefile_block_end(ps);
        rulefile_block_begin(ps, line, kind, lexid);
        return;
    }
    if (ps->in_lex) {
        rulefile_block_line(ps, line, s);
        return;
    }
    int k = split_key(s, &value);
    if (k < 0 && indented && ps->in_rule && ps->last_key == K_PATTERN && ps->cur.pattern) {
        continue_pattern(ps, s);
        return;
    }
    if (k < 0) {
        rulefile_error(ps, line, "expected 'rule ID' or 'key: value' (or 'lexicon ID', "
                                 "'variants ID'; keys: category, severity, fields, pattern, flags, "
                                 "action, validate, description, match, nomatch, becomes, lexicon, "
                                 "within, min-weight, unless)");
        return;
    }
    if (!ps->in_rule) {
        rulefile_error(ps, line, "%s: before the first 'rule ID' line", keys[k]);
        return;
    }
    if (!*value && k != K_FLAGS)
        rulefile_error(ps, line, "%s: has no value", keys[k]);
    else
        set_key(ps, line, (enum key)k, value);
    ps->last_key = k;
}

int rulefile_parse(const char *path, const char *text, size_t len, bool strict,
                   struct rulefile_rule **rules, size_t *n, struct rulefile_lex *lx,
                   struct buf *errs, size_t *nerrs)
{
    struct parser ps = {.path = path, .strict = strict, .errs = errs, .nerrs = nerrs,
                        .rules = rules, .n = n, .cap = *n, .last_key = -1, .lx = lx};
    int line = 0;
    for (size_t i = 0; i < len && !ps.oom; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t m = nl ? (size_t)(nl - text - i) : len - i;
        char *copy = rulefile_dup(&ps, text + i, m);
        if (!copy)
            break;
        if (memchr(copy, '\0', m) || !text_utf8_valid(copy, m))
            rulefile_error(&ps, line + 1, "not valid UTF-8 text");
        else
            parse_line(&ps, line + 1, copy);
        free(copy);
        i += m + 1;
    }
    end_rule(&ps);
    rulefile_block_end(&ps);
    return ps.oom ? -1 : 0;
}
