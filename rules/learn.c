/* learn — see learn.h. */
#include "learn.h"
#include "learn_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcall.h"
#include "isotime.h"
#include "modelstore.h"
#include "triage.h"

/* FNV-1a: which cases are held back must not change between trainings or builds. */
static uint64_t case_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void learn_set_free(struct learn_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct learn_example *e = &s->ex[i];
        free(e->case_id), free(e->category), free(e->title), free(e->description);
        free(e->text);
    }
    free(s->ex);
    memset(s, 0, sizeof *s);
}

/* Appends one example. Returns 0, or -1 when memory ran out. */
static int add_example(struct learn_set *s, const char *cid, const char *cat, const char *title,
                       const char *desc)
{
    struct learn_example *ex = buf_array_grow(s->ex, &s->cap, s->n + 1, sizeof *ex);
    if (!ex)
        return -1;
    s->ex = ex;
    struct learn_example *e = &ex[s->n];
    struct buf t = {0};
    buf_printf(&t, "%s%s%s", title, *title && *desc ? "\n" : "", desc);
    *e = (struct learn_example){strdup(cid), strdup(cat), strdup(title), strdup(desc), t.p,
                                t.len, case_hash(cid) % LEARN_HOLD_EVERY == 0};
    s->n++;
    if (!e->case_id || !e->category || !e->title || !e->description || t.oom || !t.p)
        return -1;
    s->held += e->held;
    return 0;
}

int learn_add_row(struct learn_set *s, const char *cid, const char *cat, const char *title,
                  const char *desc, long last, size_t *bytes, char *err, size_t errlen)
{
    bool new_case = s->n == 0 || strcmp(s->ex[s->n - 1].case_id, cid) != 0;
    if (new_case && (long)s->cases >= last)
        return 1;
    s->cases += new_case;
    *bytes += strlen(title) + strlen(desc);
    if (*bytes > LEARN_MAX_BYTES)
        return 1;
    if (add_example(s, cid, cat, title, desc) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int learn_collect(struct store *st, const struct shards *sh, long last, struct learn_set *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char start[64] = "+";
    size_t bytes = 0;
    int more;
    while ((more = learn_read_page(st, sh, start, sizeof start, last, out, &bytes, err,
                                   errlen)) > 0)
        ;
    if (more < 0) {
        learn_set_free(out);
        return -1;
    }
    /* a few cases may all miss the hash's slice: then hold back the last one read */
    if (out->held == 0 && out->cases >= 2) {
        const char *cid = out->ex[out->n - 1].case_id;
        for (size_t i = out->n; i-- > 0 && strcmp(out->ex[i].case_id, cid) == 0;)
            out->ex[i].held = true, out->held++;
    }
    return 0;
}

/* The index of label in labels[0..*n), added when absent (at most max). */
static size_t label_index(const char **labels, size_t *n, size_t max, const char *label)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(labels[i], label) == 0)
            return i;
    if (*n < max)
        labels[(*n)++] = label;
    return *n - 1;
}

double learn_score(const struct ruleset *rs, const struct model *m, const struct learn_set *s,
                   bool held)
{
    const char *labels[MODEL_MAX_CLASSES + 1];
    size_t nl = 0, total[MODEL_MAX_CLASSES + 1] = {0}, right[MODEL_MAX_CLASSES + 1] = {0};
    for (size_t i = 0; i < s->n; i++) {
        const struct learn_example *e = &s->ex[i];
        if (e->held != held)
            continue;
        struct rules_input in = {0};
        in.text[RULES_TITLE] = e->title;
        in.len[RULES_TITLE] = strlen(e->title);
        in.text[RULES_DESCRIPTION] = e->description;
        in.len[RULES_DESCRIPTION] = strlen(e->description);
        struct triage_result tr;
        const char *got = triage_run(rs, m, &in, &tr) == 0 && tr.n ? tr.s[0].category : "none";
        size_t k = label_index(labels, &nl, MODEL_MAX_CLASSES + 1, e->category);
        total[k]++;
        right[k] += strcmp(got, e->category) == 0;
    }
    if (nl == 0)
        return -1;
    double sum = 0;
    for (size_t k = 0; k < nl; k++)
        sum += (double)right[k] / (double)total[k];
    return sum / (double)nl;
}

/* Trains on the examples outside the held-back slice. Returns the model, or NULL with err. */
static struct model *train(const struct ruleset *rs, const struct learn_set *s, char *err,
                           size_t errlen)
{
    struct model_example *ex = calloc(s->n ? s->n : 1, sizeof *ex);
    if (!ex) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!s->ex[i].held)
            ex[n++] = (struct model_example){s->ex[i].text, s->ex[i].len, s->ex[i].category};
    struct model_opts opts = {0};
    struct model *m = NULL;
    if (model_train(&m, rs, ex, n, &opts, err, errlen) < 0)
        m = NULL;
    free(ex);
    return m;
}

/* Installs m as the successor of old_version (any version when force). */
static enum learn_result install(struct store *st, const struct model *m,
                                 const struct learn_opts *o, struct learn_report *rep,
                                 char *err, size_t errlen)
{
    char iso[ISOTIME_LEN];
    isotime_format(time(NULL), iso);
    struct modelstore_meta meta = {rep->label, iso, (long)(rep->examples - rep->held),
                                   rep->score, o->decisions_at};
    int rc = modelstore_install(st, m, &meta, o->max_bytes, o->force ? NULL : &rep->old_version,
                                o->lock, &rep->version, err, errlen);
    if (rc == 1)
        snprintf(err, errlen, "model version %lld was installed meanwhile; not replacing it",
                 rep->version);
    if (rc != 0)
        rep->version = 0;
    return rc == 0 ? LEARN_INSTALLED : LEARN_FAILED;
}

enum learn_result learn_run(struct store *st, const struct ruleset *rs,
                            const struct learn_opts *o, struct learn_report *rep, char *err,
                            size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    rep->old_score = -1;
    struct learn_set s;
    if (learn_collect(st, o->shards, o->last > 0 ? o->last : LEARN_LAST_DEFAULT, &s, err,
                      errlen) < 0)
        return LEARN_FAILED;
    rep->cases = s.cases, rep->examples = s.n, rep->held = s.held;
    enum learn_result res = LEARN_FAILED;
    struct model *m = NULL, *old = NULL;
    if (s.held == 0 || s.held == s.n) {
        snprintf(err, errlen, "too few decided cases to train and hold some back (%zu)",
                 s.cases);
        goto out;
    }
    if (!(m = train(rs, &s, err, errlen)))
        goto out;
    snprintf(rep->label, sizeof rep->label, "%s", model_label(m));
    rep->score = learn_score(rs, m, &s, true);
    char why[256];
    int f = modelstore_fetch(st, o->max_bytes, &old, &rep->old_version, why, sizeof why);
    if (f == -1) {
        snprintf(err, errlen, "reading the model in force: redis did not answer");
        goto out;
    }
    if (old)
        rep->old_score = learn_score(rs, old, &s, true);
    if (rep->score < rep->old_score && !o->force)
        res = LEARN_WORSE;
    else
        res = install(st, m, o, rep, err, errlen);
out:
    model_free(m);
    model_free(old);
    learn_set_free(&s);
    return res;
}
