/* web — see web.h: following a report (/status), the console page and the assets; the
 * report form is reportform.c, the forgery checks and proof of work webguard.c, the page
 * frame webpage.c and the words webwords.c (their shared header: webpage.h).
 */
#include "web.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webpage.h"
#include "assets.h"
#include "report.h"
#include "status.h"

/* ---- /status --------------------------------------------------------------------------- */

static void status_form(struct buf *b, enum lang l, const char *id)
{
    buf_puts(b, "<form id=\"status-form\" method=\"post\" action=\"/status\">");
    buf_printf(b, "<input type=\"hidden\" name=\"lang\" value=\"%s\">", l == EN ? "en" : "zh");
    buf_puts(b, "<div class=\"field\"><label for=\"id\">");
    page_html(b, T(l, M_STATUS_ID));
    buf_puts(b, "</label><input id=\"id\" name=\"id\" type=\"text\" autocomplete=\"off\" "
                "spellcheck=\"false\" required value=\"");
    page_html(b, id);
    buf_puts(b, "\"></div><div class=\"field\"><label for=\"secret\">");
    page_html(b, T(l, M_STATUS_SECRET));
    buf_puts(b, "</label><input id=\"secret\" name=\"secret\" type=\"password\" "
                "autocomplete=\"off\" spellcheck=\"false\" required></div>"
                "<button class=\"primary\" type=\"submit\">");
    page_html(b, T(l, M_STATUS_SUBMIT));
    buf_puts(b, "</button></form>");
}

/* The handlers' outcomes of the case (API.md, "Handlers"): "removed by the platform on ...". */
static void status_outcomes(struct buf *b, enum lang l, const struct fcall_status_out *r)
{
    static const char *const codes[] = {"removed", "restricted", "no_action"};
    static const enum msg platform[] = {M_OC_REMOVED_P, M_OC_RESTRICTED_P, M_OC_NO_ACTION_P};
    static const enum msg agency[] = {M_OC_REMOVED_A, M_OC_RESTRICTED_A, M_OC_NO_ACTION_A};
    if (!r->noutcomes)
        return;
    buf_puts(b, "<section id=\"outcomes\"><h2>");
    page_html(b, T(l, M_OUTCOMES));
    buf_puts(b, "</h2><dl>");
    for (size_t i = 0; i < r->noutcomes; i++) {
        struct fcall_status_outcome o = fcall_status_outcome(r, i);
        bool by_agency = strcmp(o.by, "agency") == 0;
        for (size_t k = 0; k < 3; k++) {
            char attrs[80];
            snprintf(attrs, sizeof attrs, " data-outcome=\"%s\" data-outcome-by=\"%s\"",
                     codes[k], by_agency ? "agency" : "platform");
            if (strcmp(o.outcome, codes[k]) == 0)
                page_row(b, T(l, by_agency ? agency[k] : platform[k]), attrs, NULL, o.at);
        }
    }
    buf_puts(b, "</dl></section>");
}

/* The card of report id, as jb_status read it into r. */
static void status_card(struct buf *b, enum lang l, const char *id,
                        const struct fcall_status_out *r)
{
    static const char *const codes[] = {"received", "in_review", "actioned", "no_violation"};
    static const enum msg words_of[] = {M_ST_RECEIVED, M_ST_IN_REVIEW, M_ST_ACTIONED,
                                        M_ST_NO_VIOLATION};
    size_t k = 0;   /* received, unless it is one of the others */
    for (size_t i = 1; i < 4; i++)
        if (strcmp(r->status, codes[i]) == 0)
            k = i;
    char attrs[64];
    snprintf(attrs, sizeof attrs, " id=\"status\" data-status=\"%s\"", codes[k]);
    buf_puts(b, "<section class=\"status-card\"><dl>");
    page_row(b, T(l, M_RECEIPT_ID), "", "", id);
    page_row(b, T(l, M_CATEGORY), "", NULL, page_category(l, r->category));
    page_row(b, T(l, M_RECEIVED_AT), "", NULL, r->received_at);
    page_row(b, T(l, M_STATUS_IS), attrs, NULL, T(l, words_of[k]));
    buf_puts(b, "</dl>");
    if (*r->verdict) {
        buf_puts(b, "<section id=\"decision\" data-verdict=\"");
        page_html(b, r->verdict);
        buf_puts(b, "\"><h2>");
        page_html(b, T(l, M_DECISION));
        buf_puts(b, "</h2><dl>");
        page_row(b, T(l, M_CATEGORY), "", NULL, page_category(l, r->decision_category));
        page_row(b, T(l, M_DECIDED_AT), "", NULL, r->decided_at);
        buf_puts(b, "</dl></section>");
    }
    status_outcomes(b, l, r);
    buf_puts(b, "</section>");
}

static void status_page(struct http_req *req, enum lang l, int status, const char *id,
                        const struct fcall_status_out *r)
{
    struct buf b = {0};
    page_begin(&b, l, T(l, M_STATUS_TITLE), "form-page", "/status");
    buf_puts(&b, "<main class=\"page\"><h1>");
    page_html(&b, T(l, M_STATUS_TITLE));
    buf_puts(&b, "</h1>");
    if (status == 404 || status == 429) {
        buf_puts(&b, "<div id=\"error-summary\" role=\"alert\"><p>");
        page_html(&b, T(l, status == 404 ? M_STATUS_NOT_FOUND : M_STATUS_RATE));
        buf_puts(&b, "</p></div>");
    }
    if (r && status == 200) {
        status_card(&b, l, id, r);
    } else {
        buf_puts(&b, "<p class=\"lead\">");
        page_html(&b, T(l, M_STATUS_LEAD));
        buf_puts(&b, "</p>");
        status_form(&b, l, id);
    }
    buf_puts(&b, "</main>");
    page_end(&b, l);
    page_answer(req, status, &b, true);
}

void web_status_form(struct call *call, struct http_req *req)
{
    status_page(req, ((struct web *)call->state)->lang, 200, "", NULL);
}

void web_status_post(struct call *call, struct http_req *req)
{
    struct web *w = call->state;
    size_t len;
    const char *body = http_body(req, &len);
    char why[160];
    if (form_parse(&w->form, http_header(req, "Content-Type"), body, len, why, sizeof why) < 0) {
        status_page(req, w->lang, 400, "", NULL);
        return;
    }
    w->has_form = true;
    const struct form_field *lf = form_get(&w->form, "lang"), *id = form_get(&w->form, "id"),
                            *secret = form_get(&w->form, "secret");
    w->lang = page_lang(req, lf ? lf->value : NULL);
    if (!guard_same_origin(req)) {
        status_page(req, w->lang, 403, "", NULL);
        return;
    }
    /* ids are upper case; people type them as they like */
    char idbuf[64] = "";
    for (size_t i = 0; id && i < id->len && i + 1 < sizeof idbuf; i++) {
        char ch = id->value[i];
        idbuf[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
        idbuf[i + 1] = '\0';
    }
    snprintf(w->ask.id, sizeof w->ask.id, "%s", idbuf);
    if (!report_id_valid(idbuf, 'R') || !secret || secret->len == 0 || secret->len > 64) {
        status_page(req, w->lang, 404, idbuf, NULL);
        return;
    }
    w->ask.platform = false;    /* a page never acts with a platform key */
    status_lookup(call, req, &w->ask, secret->value);
}

void web_status_done(struct call *call, struct http_req *req)
{
    struct web *w = call->state;
    if (store_job_ok(call->job) < 0) {
        web_error_page(req, 503, T(w->lang, M_E_UNAVAILABLE));
        return;
    }
    long wait = status_rate_wait(call, &w->ask);
    if (wait > 0) {
        char n[24];
        snprintf(n, sizeof n, "%ld", wait);
        http_add_header(req, "Retry-After", n);
        status_page(req, w->lang, 429, w->ask.id, NULL);
        return;
    }
    if (status_follow(call, req, &w->ask))
        return;
    struct fcall_status_out st;
    int access = status_access(&w->ask, store_job_reply(call->job, 0), &st);
    status_page(req, w->lang, access == 200 ? 200 : 404, w->ask.id, &st);
}

/* ---- the console and the assets -------------------------------------------------------- */

void web_console(struct call *call, struct http_req *req)
{
    enum lang l = ((struct web *)call->state)->lang;
    struct buf b = {0};
    page_begin(&b, l, T(l, M_CONSOLE_TITLE), "console", "/review");
    buf_printf(&b, "<main id=\"app\" data-lang=\"%s\"><noscript>%s</noscript></main>",
               l == EN ? "en" : "zh",
               l == EN ? "The review console needs JavaScript." : "审核台需要启用 JavaScript。");
    buf_puts(&b, "</body></html>\n");
    page_answer(req, 200, &b, true);
}

static pthread_once_t etags_once = PTHREAD_ONCE_INIT;
static char (*etags)[24];

static void make_etags(void)
{
    etags = calloc(web_assets_count, sizeof *etags);
    for (unsigned long i = 0; etags && i < web_assets_count; i++) {
        char h[CRYPTO_HEX_LEN];
        crypto_digest(web_assets[i].data, web_assets[i].len, h);
        snprintf(etags[i], sizeof etags[i], "\"%.16s\"", h);
    }
}

void web_asset(struct call *call, struct http_req *req)
{
    pthread_once(&etags_once, make_etags);
    for (unsigned long i = 0; i < web_assets_count; i++) {
        if (strcmp(web_assets[i].name, call->path_id) != 0)
            continue;
        page_headers(req, false);
        http_add_header(req, "Cache-Control", "no-cache");
        const char *inm = http_header(req, "If-None-Match");
        if (etags) {
            http_add_header(req, "ETag", etags[i]);
            if (inm && strstr(inm, etags[i])) {
                http_respond(req, 304, NULL, "", 0);
                return;
            }
        }
        http_respond(req, 200, web_assets[i].type, web_assets[i].data, web_assets[i].len);
        return;
    }
    web_error_page(req, 404, "not found");
}

/* ---- the pages' state and the error page ---------------------------------------------- */

static void web_free(void *state)
{
    struct web *w = state;
    if (w->has_form)
        form_free(&w->form);
    intake_free(&w->intake);
    free(w->evidence);
    free(w);
}

int web_begin(struct call *call, struct http_req *req)
{
    struct web *w = calloc(1, sizeof *w);
    if (!w) {
        http_respond(req, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
        return -1;
    }
    call_set_state(call, w, web_free);
    w->lang = page_lang(req, NULL);
    return 0;
}

void web_error_page(struct http_req *req, int status, const char *message)
{
    enum lang l = page_lang(req, NULL);
    struct buf b = {0};
    page_begin(&b, l, T(l, M_ERROR_TITLE), "form-page", "/");
    buf_puts(&b, "<main class=\"page\"><h1>");
    page_html(&b, T(l, M_ERROR_TITLE));
    buf_puts(&b, "</h1><div id=\"error-summary\" role=\"alert\"><p>");
    const struct call *call = http_state(req);
    if (status == 413 && call) {
        char m[200];
        web_fill(m, sizeof m, T(l, M_E_EVIDENCE_SIZE),
                 call->api->conf->evidence_max / (1024 * 1024));
        page_html(&b, m);
    } else {
        page_html(&b, message);
    }
    buf_printf(&b, "</p></div><p><a href=\"/%s\">", l == EN ? "?lang=en" : "");
    page_html(&b, T(l, M_BACK));
    buf_puts(&b, "</a></p></main>");
    page_end(&b, l);
    if (status == 503) {
        char n[24];
        snprintf(n, sizeof n, "%ld", RETRY_AFTER_SECONDS);
        http_add_header(req, "Retry-After", n);
    }
    page_answer(req, status, &b, true);
}

