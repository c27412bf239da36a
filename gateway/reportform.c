/* reportform — see web.h: the report form (GET /) and POST /report. The form posts the
 * fields of the JSON API; they become a JSON object and go through the very validation and
 * store path of POST /api/v1/reports (report_validate_all, intake_submit), so that the two
 * doors cannot drift apart. Every mistake is shown beside its field. */
#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webpage.h"
#include "category.h"
#include "global.h"
#include "image.h"
#include "log.h"
#include "text.h"

const char *const report_fields[NFIELDS] = {"url", "category", "title", "description", "contact"};

/* ---- the report form ------------------------------------------------------------------- */

static void field_error(struct buf *b, const struct web *w, int f, const char *name)
{
    if (w->errors[f][0]) {
        buf_printf(b, "<p class=\"error\" id=\"%s-error\">", name);
        page_html(b, w->errors[f]);
        buf_puts(b, "</p>");
    }
}

/* The attributes that tie a field to its hint and its error. */
static void field_aria(struct buf *b, const struct web *w, int f, const char *name)
{
    buf_printf(b, " aria-describedby=\"%s-hint%s%s%s\"", name, w->errors[f][0] ? " " : "",
               w->errors[f][0] ? name : "", w->errors[f][0] ? "-error" : "");
    if (w->errors[f][0])
        buf_puts(b, " aria-invalid=\"true\"");
}

static void label(struct buf *b, enum lang l, const char *name, enum msg text, bool optional)
{
    buf_printf(b, "<label for=\"%s\">", name);
    page_html(b, T(l, text));
    if (optional) {
        buf_puts(b, "<span class=\"optional\">");
        page_html(b, T(l, M_OPTIONAL));
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</label>");
}

/* The hint below a label; "{n}" in it stands for n. */
static void hint(struct buf *b, enum lang l, const char *name, enum msg text, long n)
{
    char t[400];
    web_fill(t, sizeof t, T(l, text), n);
    buf_printf(b, "<p class=\"hint\" id=\"%s-hint\">", name);
    page_html(b, t);
    buf_puts(b, "</p>");
}

static void text_input(struct buf *b, const struct web *w, int f, enum msg lab, enum msg hin,
                       long n, const char *extra)
{
    const char *name = report_fields[f];
    buf_puts(b, "<div class=\"field\">");
    label(b, w->lang, name, lab, f != 0);
    hint(b, w->lang, name, hin, n);
    field_error(b, w, f, name);
    buf_printf(b, "<input id=\"%s\" name=\"%s\" type=\"text\"%s", name, name, extra);
    field_aria(b, w, f, name);
    buf_puts(b, " value=\"");
    if (w->values[f])
        page_html(b, w->values[f]);
    buf_puts(b, "\"></div>");
}

static void category_field(struct buf *b, const struct web *w)
{
    enum lang l = w->lang;
    buf_puts(b, "<fieldset class=\"radio-list\" id=\"category\"");
    if (w->errors[1][0])
        buf_puts(b, " aria-describedby=\"category-error\" aria-invalid=\"true\"");
    buf_puts(b, "><legend>");
    page_html(b, T(l, M_CATEGORY));
    buf_puts(b, "</legend>");
    field_error(b, w, 1, "category");
    for (size_t i = 0; i < categories_count; i++) {
        const struct category *c = &categories[i];
        bool on = w->values[1] && strcmp(w->values[1], c->code) == 0;
        buf_printf(b, "<label class=\"radio\"><input type=\"radio\" name=\"category\" "
                      "id=\"category-%s\" value=\"%s\"%s aria-describedby=\"category-%s-hint\">"
                      "<span class=\"name\">", c->code, c->code, on ? " checked" : "", c->code);
        page_html(b, l == EN ? c->en : c->zh);
        buf_printf(b, "</span><span class=\"hint\" id=\"category-%s-hint\">", c->code);
        page_html(b, l == EN ? c->en_help : c->zh_help);
        buf_puts(b, "</span></label>");
    }
    buf_puts(b, "</fieldset>");
}

static void error_summary(struct buf *b, const struct web *w)
{
    static const char *const names[NFIELDS + 1] = {"url", "category", "title", "description",
                                                   "contact", "evidence"};
    bool any = w->notice[0];
    for (int f = 0; f <= NFIELDS; f++)
        any |= w->errors[f][0] != '\0';
    if (!any)
        return;
    buf_puts(b, "<div id=\"error-summary\" role=\"alert\" tabindex=\"-1\">");
    if (w->notice[0]) {
        buf_puts(b, "<p>");
        page_html(b, w->notice);
        buf_puts(b, "</p>");
    }
    bool fields = false;
    for (int f = 0; f <= NFIELDS; f++)
        fields |= w->errors[f][0] != '\0';
    if (fields) {
        buf_puts(b, "<p>");
        page_html(b, T(w->lang, M_ERRORS_TITLE));
        buf_puts(b, "</p><ul>");
        for (int f = 0; f <= NFIELDS; f++)
            if (w->errors[f][0]) {
                buf_printf(b, "<li><a href=\"#%s\">", f == 1 ? "category" : names[f]);
                page_html(b, w->errors[f]);
                buf_puts(b, "</a></li>");
            }
        buf_puts(b, "</ul>");
    }
    buf_puts(b, "</div>");
}

/* The description's text area and the evidence's file input. */
static void description_and_evidence(struct buf *b, const struct web *w, const struct conf *c)
{
    enum lang l = w->lang;
    buf_puts(b, "<div class=\"field\">");
    label(b, l, "description", M_DESCRIPTION, true);
    hint(b, l, "description", M_DESCRIPTION_HINT, c->description_max);
    field_error(b, w, 3, "description");
    buf_puts(b, "<textarea id=\"description\" name=\"description\" rows=\"6\"");
    field_aria(b, w, 3, "description");
    buf_puts(b, ">");
    if (w->values[3])
        page_html(b, w->values[3]);
    buf_puts(b, "</textarea></div><div class=\"field\">");
    label(b, l, "evidence", M_EVIDENCE, true);
    hint(b, l, "evidence", M_EVIDENCE_HINT, c->evidence_max / (1024 * 1024));
    field_error(b, w, F_EVIDENCE, "evidence");
    buf_puts(b, "<input id=\"evidence\" name=\"evidence\" type=\"file\" "
                "accept=\"image/jpeg,image/png,image/webp\"");
    field_aria(b, w, F_EVIDENCE, "evidence");
    buf_puts(b, "></div>");
}

/* The form page, with w's values and errors; pow is a challenge to show, or NULL. */
static void render_form(const struct call *call, struct web *w, struct buf *b, const char *pow)
{
    enum lang l = w->lang;
    char token[CRYPTO_HEX_LEN];
    guard_csrf_token(call, w, token);
    page_begin(b, l, T(l, M_FORM_TITLE), "form-page", "/");
    buf_puts(b, "<main class=\"page\"><h1>");
    page_html(b, T(l, M_FORM_TITLE));
    buf_puts(b, "</h1><p class=\"lead\">");
    page_html(b, T(l, M_FORM_LEAD));
    buf_puts(b, "</p>");
    error_summary(b, w);
    if (pow) {
        buf_printf(b, "<div id=\"pow\" class=\"notice\" data-challenge=\"%s\" data-bits=\"%d\" "
                      "role=\"status\">", pow, w->pow_bits);
        page_html(b, T(l, M_POW));
        buf_puts(b, "</div>");
    }
    buf_printf(b, "<form id=\"report-form\" method=\"post\" action=\"/report\" "
                  "enctype=\"multipart/form-data\" novalidate>"
                  "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                  "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
                  "<input type=\"hidden\" name=\"pow\" value=\"\">",
               token, l == EN ? "en" : "zh");
    const struct conf *c = call->api->conf;
    text_input(b, w, 0, M_URL, M_URL_HINT, 0,
               " inputmode=\"url\" autocomplete=\"off\" required maxlength=\"2048\"");
    category_field(b, w);
    text_input(b, w, 2, M_TITLE, M_TITLE_HINT, c->title_max, " autocomplete=\"off\"");
    description_and_evidence(b, w, c);
    text_input(b, w, 4, M_CONTACT, M_CONTACT_HINT, 0, " autocomplete=\"off\"");
    buf_puts(b, "<button id=\"submit\" class=\"primary\" type=\"submit\">");
    page_html(b, T(l, M_SUBMIT));
    buf_puts(b, "</button></form><section id=\"privacy\" class=\"privacy\"><h2>");
    page_html(b, T(l, M_PRIVACY_TITLE));
    char privacy[1200];
    web_fill(privacy, sizeof privacy, T(l, M_PRIVACY), c->retention_days);
    buf_puts(b, "</h2><p>");
    page_html(b, privacy);
    buf_puts(b, "</p></section></main>");
    page_end(b, l);
}

static void answer_form(struct call *call, struct http_req *req, struct web *w, int status,
                        const char *pow)
{
    struct buf b = {0};
    render_form(call, w, &b, pow);
    guard_set_cookie(req, w);
    if (status == 429 || status == 503) {
        char n[24];
        snprintf(n, sizeof n, "%ld", w->retry_after > 0 ? w->retry_after : RETRY_AFTER_SECONDS);
        http_add_header(req, "Retry-After", n);
    }
    page_answer(req, status, &b, true);
}

/* GET / */
void reportform_page(struct call *call, struct http_req *req)
{
    struct web *w = call->state;
    guard_csrf_cookie(w, req);
    answer_form(call, req, w, 200, NULL);
}

/* ---- POST /report ---------------------------------------------------------------------- */

static int field_index(const char *name)
{
    for (int f = 0; f < NFIELDS; f++)
        if (name && strcmp(name, report_fields[f]) == 0)
            return f;
    return -1;
}

/* Sets the message beside field f (tmpl with "{n}" as n), unless it has one. */
static void set_error(struct web *w, int f, const char *tmpl, long n)
{
    if (!w->errors[f][0])
        web_fill(w->errors[f], sizeof w->errors[f], tmpl, n);
}

/* The message beside field f for the API's error e. */
static void error_for(struct web *w, const struct conf *c, int f, const struct report_error *e)
{
    enum lang l = w->lang;
    if (strcmp(e->code, "missing_field") == 0)
        set_error(w, f, T(l, f == 0 ? M_E_URL_MISSING : M_E_CATEGORY), 0);
    else if (strcmp(e->code, "invalid_url") == 0)
        set_error(w, f, T(l, M_E_URL_INVALID), 0);
    else if (strcmp(e->code, "invalid_category") == 0)
        set_error(w, f, T(l, M_E_CATEGORY), 0);
    else if (strcmp(e->code, "control_characters") == 0)
        set_error(w, f, T(l, M_E_CONTROL), 0);
    else if (strcmp(e->code, "too_long") == 0) {
        long limits[NFIELDS] = {c->url_max, 64, c->title_max, c->description_max, c->contact_max};
        set_error(w, f, T(l, f == 2 || f == 3 ? M_E_TOO_LONG_CHARS : M_E_TOO_LONG_BYTES),
                  limits[f]);
    } else {
        set_error(w, f, e->message, 0);
    }
}

/* Validates the report object as the API does, with a message beside every field at fault.
 * Returns the status of the first error, or 0 when the report is valid. */
static int validate_all(struct call *call, struct web *w, const struct jdoc *obj)
{
    struct report r;
    struct report_error errs[NFIELDS + 4];
    size_t n = report_validate_all(obj, call->api->conf, &r, errs, sizeof errs / sizeof errs[0]);
    if (n == 0) {
        report_free(&r);
        return 0;
    }
    for (size_t i = 0; i < n && i < sizeof errs / sizeof errs[0]; i++) {
        int f = field_index(errs[i].field);
        if (f >= 0)
            error_for(w, call->api->conf, f, &errs[i]);
        else
            snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, M_E_FIELD));
    }
    return errs[0].status;
}

/* Reads the form's fields into w->values and the report object. Returns the object, or
 * NULL having set the errors (or the notice). */
static struct jdoc *form_report(struct web *w)
{
    static const char *const other[] = {"csrf", "lang", "pow", "evidence"};
    for (size_t i = 0; i < w->form.n; i++) {
        const struct form_field *x = &w->form.fields[i];
        bool known = field_index(x->name) >= 0;
        for (size_t k = 0; k < sizeof other / sizeof other[0]; k++)
            known |= strcmp(x->name, other[k]) == 0;
        if (!known || (x->is_file && strcmp(x->name, "evidence") != 0)) {
            snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, M_E_FIELD));
            return NULL;
        }
    }
    struct jdoc *obj = jdoc_object();
    bool bad = !obj;
    for (int f = 0; f < NFIELDS && obj; f++) {
        const struct form_field *x = form_get(&w->form, report_fields[f]);
        if (!x)
            continue;
        if (!text_utf8_valid(x->value, x->len) || strlen(x->value) != x->len) {
            set_error(w, f, T(w->lang, M_E_UTF8), 0);
            bad = true;
            continue;
        }
        w->values[f] = x->value;
        if (x->len && jdoc_set_string(obj, report_fields[f], x->value, x->len) < 0)
            bad = true;
    }
    if (bad) {
        jdoc_free(obj);
        return NULL;
    }
    return obj;
}

/* Checks the evidence file, if one was chosen, and takes it without its metadata (image.h).
 * Returns 0, or -1 having set its error. */
static int take_evidence(struct call *call, struct web *w)
{
    const struct form_field *x = form_get(&w->form, "evidence");
    if (!x || x->len == 0)
        return 0;
    if (x->len > (size_t)call->api->conf->evidence_max) {
        set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_SIZE),
                  call->api->conf->evidence_max / (1024 * 1024));
        w->status = 413;
        return -1;
    }
    if (!(w->intake.evidence_type = image_type(x->value, x->len))) {
        set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_TYPE), 0);
        w->status = 422;
        return -1;
    }
    char why[160];
    long max = call->api->conf->evidence_max_pixels;
    int rc = image_strip(x->value, x->len, max, &w->evidence, &w->intake.evidence_len, why,
                         sizeof why);
    if (rc < 0) {
        log_debug("web: evidence refused: %s", why);
        if (rc == IMAGE_TOO_LARGE)
            set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_PIXELS), (max + 999999) / 1000000);
        else
            set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_BAD), 0);
        w->status = 422;
        return -1;
    }
    w->intake.evidence = w->evidence;
    return 0;
}

static void report_done(struct call *call, struct http_req *req, struct web *w);

/* Stores the report (step 2), answering at once when it is not stored. */
static void report_store(struct call *call, struct http_req *req, struct web *w)
{
    w->step = REPORT_STORING;
    if (intake_submit(call, req, &w->intake, NULL, call->doc) == 0)
        report_done(call, req, w);
}

/* What the headers of POST /report allow to be checked before a byte of its body is read
 * (which may be megabytes): the form's media type, where it comes from and the anti-forgery
 * cookie (its token is in the body; take_form checks it). Returns 0, or -1 having answered
 * with the form, empty: what was typed is in the body, which is not read. */
int reportform_begin(struct call *call, struct http_req *req)
{
    if (web_begin(call, req) < 0)
        return -1;
    struct web *w = call->state;
    const char *ct = http_header(req, "Content-Type");
    guard_csrf_cookie(w, req);
    if (!ct || (strncasecmp(ct, "multipart/form-data", 19) != 0 &&
                strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)) {
        snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, M_E_FIELD));
        answer_form(call, req, w, 400, NULL);
        return -1;
    }
    bool forged = !guard_same_origin(req);
    if (forged || w->new_cookie) {
        snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, forged ? M_E_FORGED : M_E_EXPIRED));
        answer_form(call, req, w, 403, NULL);
        return -1;
    }
    return 0;
}

/* Reads the form of POST /report and checks its anti-forgery token against the cookie and
 * where the request comes from; the report object goes to call->doc (NULL when the form's
 * fields are at fault). Returns 0, or -1 having answered with the form. */
static int take_form(struct call *call, struct http_req *req, struct web *w)
{
    size_t len;
    const char *body = http_body(req, &len);
    char why[160];
    if (form_parse(&w->form, http_header(req, "Content-Type"), body, len, why, sizeof why) < 0) {
        guard_csrf_cookie(w, req);
        snprintf(w->notice, sizeof w->notice, "%s (%s)", T(w->lang, M_E_FIELD), why);
        answer_form(call, req, w, 400, NULL);
        return -1;
    }
    w->has_form = true;
    const struct form_field *lf = form_get(&w->form, "lang");
    w->lang = page_lang(req, lf ? lf->value : NULL);
    char have[48] = "", token[CRYPTO_HEX_LEN];
    bool had_cookie = guard_cookie(req, CSRF_COOKIE, have, sizeof have);
    guard_csrf_cookie(w, req);
    guard_csrf_token(call, w, token);
    const struct form_field *cf = form_get(&w->form, "csrf");
    call->doc = form_report(w);
    bool forged = !guard_same_origin(req);
    bool expired = !had_cookie || w->new_cookie || !cf || cf->len != CRYPTO_HEX_LEN - 1 ||
                   !crypto_equal(cf->value, token, CRYPTO_HEX_LEN - 1);
    if (forged || expired) {
        snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, forged ? M_E_FORGED : M_E_EXPIRED));
        answer_form(call, req, w, 403, NULL);
        return -1;
    }
    return 0;
}

/* Validates the report and its evidence as the API would, every fault beside its field.
 * Returns 0, or -1 having answered with the form. */
static int check_report(struct call *call, struct http_req *req, struct web *w)
{
    int status = call->doc ? validate_all(call, w, call->doc) : 400;
    bool evidence_bad = take_evidence(call, w) < 0;
    if (!status && !evidence_bad && !w->notice[0])
        return 0;
    const struct form_field *ev = form_get(&w->form, "evidence");
    if (!evidence_bad && ev && ev->len)
        set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_AGAIN), 0);
    answer_form(call, req, w, status ? status : w->status ? w->status : 400, NULL);
    return -1;
}

/* POST /report: step 1 when it carries a solved proof of work, else step 2 at once. */
void reportform_post(struct call *call, struct http_req *req)
{
    struct web *w = call->state;
    if (take_form(call, req, w) < 0 || check_report(call, req, w) < 0)
        return;
    const struct form_field *pf = form_get(&w->form, "pow");
    if (pf && pf->len && (w->pow_solved = guard_pow_valid(call, w, pf->value)) > 0) {
        /* step 1: spend the challenge (SET NX), so that one solution is good once; in the
         * client's slot (lib/global.h), so that spent challenges spread as the clients do */
        char key[96], prefix[GLOBAL_PREFIX_MAX];
        global_client_prefix(call->api->shards, call->api->keys, http_client(req), prefix);
        snprintf(key, sizeof key, "%spow:%s", prefix, w->pow_nonce);
        const char *args[] = {"SET", key, "1", "NX", "EX"};
        if (call_job_begin(call, req, args, 5) < 0)
            return;
        store_job_argll(call->job, POW_TTL);
        w->step = REPORT_SPENDING;
        call_job_send(call, req);
        return;
    }
    report_store(call, req, w);
}

static void receipt_page(struct call *call, struct http_req *req, struct web *w,
                         const struct intake_item *it)
{
    (void)call;
    enum lang l = w->lang;
    struct buf b = {0};
    page_begin(&b, l, T(l, M_RECEIPT_TITLE), "form-page", "/");
    buf_puts(&b, "<main class=\"page\"><h1>");
    page_html(&b, T(l, M_RECEIPT_TITLE));
    buf_puts(&b, "</h1><p class=\"lead\">");
    page_html(&b, T(l, M_RECEIPT_LEAD));
    buf_puts(&b, "</p><dl class=\"receipt\">");
    page_row(&b, T(l, M_RECEIPT_ID), "", " id=\"receipt-id\"", it->id);
    page_row(&b, T(l, M_RECEIPT_SECRET), "", " id=\"receipt-secret\"", it->secret);
    buf_puts(&b, "</dl><p>");
    page_html(&b, T(l, M_RECEIPT_HOW));
    buf_puts(&b, "</p>");
    if (it->duplicate) {
        buf_puts(&b, "<p class=\"notice\">");
        page_html(&b, T(l, M_RECEIPT_DUP));
        buf_puts(&b, "</p>");
    }
    buf_printf(&b, "<p><a class=\"button\" href=\"/status%s\">", l == EN ? "?lang=en" : "");
    page_html(&b, T(l, M_TO_STATUS));
    buf_printf(&b, "</a> <a href=\"/%s\">", l == EN ? "?lang=en" : "");
    page_html(&b, T(l, M_NEW_REPORT));
    buf_puts(&b, "</a></p></main>");
    page_end(&b, l);
    page_answer(req, 200, &b, true);
}

/* The outcome of the report in w->intake: its receipt, or the form again with why not. */
static void report_done(struct call *call, struct http_req *req, struct web *w)
{
    const struct intake_item *it = &w->intake.items[0];
    if (it->status == 202) {
        receipt_page(call, req, w, it);
        return;
    }
    const struct form_field *ev = form_get(&w->form, "evidence");
    if (ev && ev->len)
        set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_AGAIN), 0);
    if (it->status == 429 && it->evidence_over) {
        w->retry_after = it->retry_after;
        set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_BUDGET), 0);
        answer_form(call, req, w, 429, NULL);
        return;
    }
    if (it->status == 429) {
        char pow[128];
        w->retry_after = it->retry_after;
        web_fill(w->notice, sizeof w->notice, T(w->lang, M_E_RATE),
             (it->retry_after + 59) / 60 > 0 ? (it->retry_after + 59) / 60 : 1);
        w->pow_bits = it->pow_next;
        if (w->pow_bits > 0)
            guard_pow_challenge(call, w->pow_bits, pow);
        answer_form(call, req, w, 429, w->pow_bits > 0 ? pow : NULL);
        return;
    }
    if (it->status == 400 || it->status == 422) {
        int f = field_index(it->err.field);
        if (f >= 0)
            error_for(w, call->api->conf, f, &it->err);
        else
            snprintf(w->notice, sizeof w->notice, "%s", it->err.message);
        answer_form(call, req, w, it->status, NULL);
        return;
    }
    snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, M_E_UNAVAILABLE));
    answer_form(call, req, w, 503, NULL);
}

/* After each step of POST /report (enum report_step). */
void reportform_resume(struct call *call, struct http_req *req)
{
    struct web *w = call->state;
    if (w->step == REPORT_SPENDING) {
        /* the challenge was spent now (OK) or before (nil): only a fresh one may buy a report */
        if (store_job_ok(call->job) == 0 &&
            store_reply_type(store_job_reply(call->job, 0)) == STORE_STATUS)
            w->intake.pow_bits = w->pow_solved;
        report_store(call, req, w);
        return;
    }
    if (!intake_read(call, req, &w->intake))
        report_done(call, req, w);
}
