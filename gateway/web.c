/* web — the pages of docs/WEB.md: the report form (GET /, POST /report), following a report
 * (/status), the reviewers' console page (/review; its script does the rest through the review
 * API) and the assets they load (/assets/...).
 *
 * The form posts the fields of the JSON API; they become a JSON object and go through the
 * very validation and store path of POST /api/v1/reports (report_validate, reports_submit_one),
 * so the two doors cannot drift apart. Pages are rendered here with every value escaped
 * (buf_html); they carry no inline script or style, so that the Content-Security-Policy can
 * forbid both. Forgery is stopped by a double-submit token (a cookie and a hidden field that
 * is its keyed hash) and by the Origin and Sec-Fetch-Site checks; past the per-pseudonym
 * rate limit, the form asks for a proof of work (SHA-256 with leading zero bits, solved by
 * /assets/form.js) instead of a third-party captcha.
 *
 * This file holds the dispatch, /status, the console page and the assets; the report form is
 * reportform.c, the forgery checks and proof of work webguard.c, the page frame webpage.c and
 * the words webwords.c (their shared header: webpage.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webpage.h"
#include "assets.h"
#include "fcall.h"
#include "log.h"
#include "schema.h"

#define WEB_BODY_MAX 65536      /* a form without a file */

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
        static const char *const codes[] = {"received", "in_review", "actioned", "no_violation"};
        static const enum msg words_of[] = {M_ST_RECEIVED, M_ST_IN_REVIEW, M_ST_ACTIONED,
                                            M_ST_NO_VIOLATION};
        size_t k = 0;   /* received, unless it is one of the others */
        for (size_t i = 1; i < 4; i++)
            if (strcmp(r->status, codes[i]) == 0)
                k = i;
        char attrs[64];
        snprintf(attrs, sizeof attrs, " id=\"status\" data-status=\"%s\"", codes[k]);
        buf_puts(&b, "<section class=\"status-card\"><dl>");
        page_row(&b, T(l, M_RECEIPT_ID), "", "", id);
        page_row(&b, T(l, M_CATEGORY), "", NULL, page_category(l, r->category));
        page_row(&b, T(l, M_RECEIVED_AT), "", NULL, r->received_at);
        page_row(&b, T(l, M_STATUS_IS), attrs, NULL, T(l, words_of[k]));
        buf_puts(&b, "</dl>");
        if (*r->verdict) {
            buf_puts(&b, "<section id=\"decision\" data-verdict=\"");
            page_html(&b, r->verdict);
            buf_puts(&b, "\"><h2>");
            page_html(&b, T(l, M_DECISION));
            buf_puts(&b, "</h2><dl>");
            page_row(&b, T(l, M_CATEGORY), "", NULL, page_category(l, r->decision_category));
            page_row(&b, T(l, M_DECIDED_AT), "", NULL, r->decided_at);
            buf_puts(&b, "</dl></section>");
        }
        buf_puts(&b, "</section>");
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

static void status_post(struct call *call, struct http_req *req, struct web *w)
{
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
    snprintf(call->path_id, sizeof call->path_id, "%s", idbuf);
    if (!report_id_valid(idbuf, 'R') || !secret || secret->len == 0 || secret->len > 64) {
        status_page(req, w->lang, 404, idbuf, NULL);
        return;
    }
    call->has_key = false;
    status_lookup(call, req, secret->value);
}

static void status_done(struct call *call, struct http_req *req, struct web *w)
{
    if (store_job_ok(call->job) < 0) {
        web_error_page(req, 503, T(w->lang, M_E_UNAVAILABLE));
        return;
    }
    long wait = status_rate_wait(call);
    if (wait > 0) {
        char n[24];
        snprintf(n, sizeof n, "%ld", wait);
        http_add_header(req, "Retry-After", n);
        status_page(req, w->lang, 429, call->path_id, NULL);
        return;
    }
    struct fcall_status_out st;
    int access = status_access(call, store_job_reply(call->job, 0), &st);
    status_page(req, w->lang, access == 200 ? 200 : 404, call->path_id, &st);
}

/* ---- the console and the assets -------------------------------------------------------- */

static void console_page(struct http_req *req, struct web *w)
{
    enum lang l = w->lang;
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

static void asset(struct call *call, struct http_req *req)
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

/* ---- dispatch -------------------------------------------------------------------------- */

long web_begin(struct call *call, struct http_req *req)
{
    struct web *w = calloc(1, sizeof *w);
    if (!w) {
        http_respond(req, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
        return -1;
    }
    call->web = w;
    w->lang = page_lang(req, NULL);
    if (strcmp(http_method(req), "POST") != 0)
        return 0;
    if (call->route != ROUTE_WEB_REPORT)
        return WEB_BODY_MAX;
    return reportform_admit(call, req, w) < 0 ? -1 : call->api->conf->evidence_max + WEB_BODY_MAX;
}

void web_handle(struct call *call, struct http_req *req)
{
    struct web *w = call->web;
    bool post = strcmp(http_method(req), "POST") == 0;
    switch (call->route) {
    case ROUTE_WEB_FORM: reportform_page(call, req, w); break;
    case ROUTE_WEB_REPORT: reportform_post(call, req, w); break;
    case ROUTE_WEB_STATUS:
        if (post)
            status_post(call, req, w);
        else
            status_page(req, w->lang, 200, "", NULL);
        break;
    case ROUTE_WEB_REVIEW: console_page(req, w); break;
    default: asset(call, req); break;
    }
}

void web_resume(struct call *call, struct http_req *req)
{
    struct web *w = call->web;
    if (call->route == ROUTE_WEB_STATUS) {
        status_done(call, req, w);
    } else if (w->phase == 1) {
        /* the challenge was spent now (OK) or before (nil): only a fresh one may buy a report */
        if (store_job_ok(call->job) == 0 &&
            store_reply_type(store_job_reply(call->job, 0)) == STORE_STATUS)
            call->pow_bits = w->pow_solved;
        reportform_store(call, req, w);
    } else {
        reports_finish(call, req);
    }
}

