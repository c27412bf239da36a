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
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "call.h"
#include "category.h"
#include "form.h"
#include "image.h"
#include "log.h"
#include "schema.h"
#include "text.h"

#define CSRF_COOKIE "jb_csrf"
#define POW_TTL 900             /* seconds a challenge may be solved in, and remembered */
#define WEB_BODY_MAX 65536      /* a form without a file */

static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

enum lang { ZH, EN };

/* ---- words ----------------------------------------------------------------------------- */

enum msg {
    M_SITE, M_FORM_TITLE, M_FORM_LEAD, M_SWITCH, M_URL, M_URL_HINT, M_CATEGORY, M_TITLE,
    M_TITLE_HINT, M_DESCRIPTION, M_DESCRIPTION_HINT, M_EVIDENCE, M_EVIDENCE_HINT, M_CONTACT,
    M_CONTACT_HINT, M_SUBMIT, M_OPTIONAL, M_PRIVACY_TITLE, M_PRIVACY, M_ERRORS_TITLE,
    M_E_URL_MISSING, M_E_URL_INVALID, M_E_CATEGORY, M_E_TOO_LONG_CHARS, M_E_TOO_LONG_BYTES,
    M_E_CONTROL, M_E_UTF8, M_E_EVIDENCE_TYPE, M_E_EVIDENCE_SIZE, M_E_EVIDENCE_AGAIN,
    M_E_EVIDENCE_BAD, M_E_EVIDENCE_PIXELS, M_E_EVIDENCE_BUDGET,
    M_E_FORGED, M_E_EXPIRED, M_E_FIELD, M_E_UNAVAILABLE, M_E_RATE, M_POW, M_RECEIPT_TITLE,
    M_RECEIPT_LEAD, M_RECEIPT_ID, M_RECEIPT_SECRET, M_RECEIPT_HOW, M_RECEIPT_DUP, M_TO_STATUS,
    M_NEW_REPORT, M_STATUS_TITLE, M_STATUS_LEAD, M_STATUS_ID, M_STATUS_SECRET, M_STATUS_SUBMIT,
    M_STATUS_NOT_FOUND, M_STATUS_RATE, M_STATUS_IS, M_ST_RECEIVED, M_ST_IN_REVIEW, M_ST_ACTIONED,
    M_ST_NO_VIOLATION, M_DECISION, M_DECIDED_AT, M_RECEIVED_AT, M_CASE, M_CONSOLE_TITLE,
    M_ERROR_TITLE, M_BACK, M_COUNT
};

static const char *const words[M_COUNT][2] = {
    [M_SITE] = {"违法和不良信息举报", "Report illegal and harmful information"},
    [M_FORM_TITLE] = {"举报网上违法和不良信息", "Report illegal or harmful content online"},
    [M_FORM_LEAD] = {"填写链接和类别即可提交；其余各项可以不填。提交后您会得到受理编号和查询密码。",
                     "A link and a category are enough; everything else is optional. You will "
                     "get a receipt number and a secret to follow your report."},
    [M_SWITCH] = {"English", "中文"},
    [M_URL] = {"链接", "Link"},
    [M_URL_HINT] = {"违法和不良信息所在的网页地址，例如 https://example.com/post/123",
                    "The address of the page, for example https://example.com/post/123"},
    [M_CATEGORY] = {"类别", "Category"},
    [M_TITLE] = {"标题", "Title"},
    [M_TITLE_HINT] = {"一句话概括（最多 {n} 字）", "In a few words (at most {n} characters)"},
    [M_DESCRIPTION] = {"描述", "Description"},
    [M_DESCRIPTION_HINT] = {"发生了什么、在哪里看到（最多 {n} 字）",
                            "What happened and where you saw it (at most {n} characters)"},
    [M_EVIDENCE] = {"证据图片", "Evidence image"},
    [M_EVIDENCE_HINT] = {"截图等，JPEG、PNG 或 WebP，最大 {n} MB",
                         "A screenshot or photo: JPEG, PNG or WebP, at most {n} MB"},
    [M_CONTACT] = {"联系方式", "Contact details"},
    [M_CONTACT_HINT] = {"如愿意接受回访，可留电话或邮箱", "A phone number or e-mail, if we may contact you"},
    [M_SUBMIT] = {"提交举报", "Send the report"},
    [M_OPTIONAL] = {"（选填）", " (optional)"},
    [M_PRIVACY_TITLE] = {"我们保存什么、如何保护、保存多久", "What we keep, how we protect it, for how long"},
    [M_PRIVACY] = {
        "您的网络地址不会被保存：它只被换算成每天更换的化名，用于防止滥用。"
        "联系方式和您填写的原文被加密，只有中心指定的人员持有解密密钥；"
        "审核人员只看到去除了电话、邮箱、身份证号和银行卡号的副本，看不到您是谁。"
        "证据图片在保存前删除其中的拍摄位置、设备型号等元数据，加密保存，不对外公开。举报自收到之日起保存 {n} 天，之后自动删除。",
        "Your network address is not stored: it only becomes a pseudonym that changes every day, "
        "used against abuse. Your contact details and the text as you wrote it are encrypted; "
        "only staff the centre designates hold the key. Reviewers see a copy with phone numbers, "
        "e-mail addresses, ID and bank card numbers removed, and never who you are. Evidence "
        "images lose their metadata (where a photo was taken, the camera) before they are "
        "stored encrypted, and are never published. A report is kept for {n} days after "
        "it arrives, then deleted."},
    [M_ERRORS_TITLE] = {"请修改以下问题后再提交：", "Please correct the following and send again:"},
    [M_E_URL_MISSING] = {"请填写链接", "Enter the link"},
    [M_E_URL_INVALID] = {"这不是有效的网页地址（应以 http:// 或 https:// 开头）",
                         "This is not a valid web address (it starts with http:// or https://)"},
    [M_E_CATEGORY] = {"请选择一个类别", "Choose a category"},
    [M_E_TOO_LONG_CHARS] = {"太长了：最多 {n} 个字", "Too long: at most {n} characters"},
    [M_E_TOO_LONG_BYTES] = {"太长了：最多 {n} 字节", "Too long: at most {n} bytes"},
    [M_E_CONTROL] = {"包含不允许的控制字符", "Contains control characters"},
    [M_E_UTF8] = {"包含无法识别的字符", "Contains characters that are not valid text"},
    [M_E_EVIDENCE_TYPE] = {"只接受 JPEG、PNG 或 WebP 图片", "Only JPEG, PNG or WebP images are taken"},
    [M_E_EVIDENCE_SIZE] = {"图片太大：最大 {n} MB", "The image is too large: at most {n} MB"},
    [M_E_EVIDENCE_AGAIN] = {"如需附上图片，请重新选择文件", "To attach the image, choose the file again"},
    [M_E_EVIDENCE_BAD] = {"这张图片无法打开，可能已经损坏，请换一张",
                          "This image cannot be opened (it may be damaged): please choose another"},
    [M_E_EVIDENCE_PIXELS] = {"图片尺寸太大：最多 {n} 百万像素",
                             "The image has too many pixels: at most {n} million"},
    [M_E_FORGED] = {"这份表单不是从本站提交的，未被受理", "This form was not sent from this site and was not taken"},
    [M_E_EXPIRED] = {"表单已过期，请再提交一次", "The form had expired: please send it again"},
    [M_E_FIELD] = {"表单中有无法识别的内容", "The form holds something it should not"},
    [M_E_UNAVAILABLE] = {"暂时无法保存举报，请稍后再提交", "The report could not be stored just now: please try again"},
    [M_E_EVIDENCE_BUDGET] = {"今天来自您网络的证据图片已达上限。请不附图片提交，或明天再附上图片。",
                             "Your network has sent as many evidence images as we take in a day. "
                             "Send the report without the image, or add it tomorrow."},
    [M_E_RATE] = {"来自您网络的举报太多了。请等待约 {n} 分钟后再提交。",
                  "Too many reports from your network. Please wait about {n} minutes, then send again."},
    [M_POW] = {"您的浏览器正在进行一次简短的计算以证明这不是自动程序，完成后会自动提交……",
               "Your browser is doing a short computation to show this is not a robot; the "
               "form is sent when it is done…"},
    [M_RECEIPT_TITLE] = {"举报已受理", "Your report was received"},
    [M_RECEIPT_LEAD] = {"请记下受理编号和查询密码。密码只显示这一次，我们无法找回。",
                        "Write down the receipt number and the secret. The secret is shown only "
                        "now; we cannot recover it."},
    [M_RECEIPT_ID] = {"受理编号", "Receipt number"},
    [M_RECEIPT_SECRET] = {"查询密码", "Secret"},
    [M_RECEIPT_HOW] = {"在“查询进度”页面输入编号和密码，即可看到处理状态和结果。",
                       "Enter both on the “Follow a report” page to see its status and the decision."},
    [M_RECEIPT_DUP] = {"这个链接已经有人举报过，您的举报已并入同一案件。",
                       "This link was reported before: your report joins the same case."},
    [M_TO_STATUS] = {"查询进度", "Follow a report"},
    [M_NEW_REPORT] = {"再举报一条", "Report something else"},
    [M_STATUS_TITLE] = {"查询举报进度", "Follow a report"},
    [M_STATUS_LEAD] = {"输入受理编号和查询密码。", "Enter the receipt number and the secret."},
    [M_STATUS_ID] = {"受理编号", "Receipt number"},
    [M_STATUS_SECRET] = {"查询密码", "Secret"},
    [M_STATUS_SUBMIT] = {"查询", "Look it up"},
    [M_STATUS_NOT_FOUND] = {"没有找到与该编号和密码相符的举报", "No report matches this number and secret"},
    [M_STATUS_RATE] = {"来自您网络的查询太多了。请等待几分钟后再查询。",
                       "Too many lookups from your network. Please wait a few minutes, then try "
                       "again."},
    [M_STATUS_IS] = {"状态", "Status"},
    [M_ST_RECEIVED] = {"已受理，等待审核", "Received, waiting for review"},
    [M_ST_IN_REVIEW] = {"审核中", "Being reviewed"},
    [M_ST_ACTIONED] = {"已处理：内容违规", "Decided: the content breaks the rules and was acted on"},
    [M_ST_NO_VIOLATION] = {"已审核：未发现违规", "Decided: no violation found"},
    [M_DECISION] = {"处理结果", "Decision"},
    [M_DECIDED_AT] = {"处理时间", "Decided on"},
    [M_RECEIVED_AT] = {"受理时间", "Received on"},
    [M_CASE] = {"案件", "Case"},
    [M_CONSOLE_TITLE] = {"审核台", "Review console"},
    [M_ERROR_TITLE] = {"无法受理", "This could not be taken"},
    [M_BACK] = {"返回举报表单", "Back to the form"},
};

static const char *T(enum lang l, enum msg m)
{
    return words[m][l];
}

/* The text tmpl with "{n}" replaced by n, into out. */
static void fill(char *out, size_t outlen, const char *tmpl, long n)
{
    const char *at = strstr(tmpl, "{n}");
    if (at)
        snprintf(out, outlen, "%.*s%ld%s", (int)(at - tmpl), tmpl, n, at + 3);
    else
        snprintf(out, outlen, "%s", tmpl);
}

/* ---- per-request state ----------------------------------------------------------------- */

/* The form's fields that are a report's, in the order of the page. */
static const char *const report_fields[] = {"url", "category", "title", "description", "contact"};
#define NFIELDS 5
#define F_EVIDENCE NFIELDS      /* errors[] index of the evidence field */

struct web {
    enum lang lang;
    struct form form;
    bool has_form;
    const char *values[NFIELDS];    /* as typed (into form), for the page again; or NULL */
    char errors[NFIELDS + 1][200];  /* beside each field; "" when none */
    char notice[200];               /* above the form (not tied to a field) */
    int status;                     /* of the page with errors */
    char cookie[48];                /* the anti-forgery cookie: received, or new */
    bool new_cookie;
    char pow_nonce[40];             /* of a solved challenge, until it is spent */
    int pow_solved;                 /* its bits */
    int pow_bits;                   /* of the challenge on the page */
    char *evidence;                 /* the image without its metadata (call->evidence) */
    long retry_after;
    int phase;                      /* of POST /report: 1 spending a challenge, 2 storing */
};

void web_free(struct call *call)
{
    struct web *w = call->web;
    if (!w)
        return;
    if (w->has_form)
        form_free(&w->form);
    free(w->evidence);
    free(w);
    call->web = NULL;
}

/* ---- language -------------------------------------------------------------------------- */

/* English when asked for by ?lang=, the form's lang field, or an Accept-Language that ranks
 * English above Chinese; else Chinese. */
static enum lang lang_of(struct http_req *req, const char *field)
{
    const char *q = http_query(req, "lang");
    const char *choice = q ? q : field;
    if (choice)
        return strcmp(choice, "en") == 0 ? EN : ZH;
    const char *al = http_header(req, "Accept-Language");
    double zh = 0, en = 0;
    for (const char *p = al ? al : ""; *p;) {
        size_t len = strcspn(p, ",");
        double weight = 1;
        const char *qp = memchr(p, ';', len);
        if (qp && strncmp(qp, ";q=", 3) == 0)
            weight = atof(qp + 3);
        while (*p == ' ')
            p++, len--;
        if (strncasecmp(p, "zh", 2) == 0 && weight > zh)
            zh = weight;
        else if (strncasecmp(p, "en", 2) == 0 && weight > en)
            en = weight;
        p += len + (p[len] == ',');
    }
    return en > zh ? EN : ZH;
}

/* ---- page frame ------------------------------------------------------------------------ */

static void html(struct buf *b, const char *s)
{
    buf_html(b, s, strlen(s));
}

/* The security headers every page and asset carries. */
static void page_headers(struct http_req *req, bool no_store)
{
    http_add_header(req, "Content-Security-Policy", csp);
    http_add_header(req, "Referrer-Policy", "no-referrer");
    http_add_header(req, "X-Frame-Options", "DENY");
    if (no_store)
        http_add_header(req, "Cache-Control", "no-store");
}

static void page_begin(struct buf *b, enum lang l, const char *title, const char *body_class,
                       const char *switch_path)
{
    buf_printf(b, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>", l == EN ? "en" : "zh-CN");
    html(b, title);
    buf_puts(b, " · ");
    html(b, T(l, M_SITE));
    buf_printf(b, "</title><link rel=\"stylesheet\" href=\"/assets/style.css\">%s</head>"
                  "<body class=\"%s\"><header class=\"top\"><a class=\"brand\" href=\"/%s\">",
               strcmp(body_class, "console") == 0
                   ? "<script src=\"/assets/console.js\" defer></script>"
                   : "<script src=\"/assets/form.js\" defer></script>",
               body_class, l == EN ? "?lang=en" : "");
    html(b, T(l, M_SITE));
    buf_printf(b, "</a><a id=\"lang-switch\" href=\"%s?lang=%s\" lang=\"%s\">", switch_path,
               l == EN ? "zh" : "en", l == EN ? "zh-CN" : "en");
    html(b, T(l, M_SWITCH));
    buf_puts(b, "</a></header>\n");
}

static void page_end(struct buf *b, enum lang l)
{
    buf_printf(b, "<footer><a href=\"/status%s\">", l == EN ? "?lang=en" : "");
    html(b, T(l, M_TO_STATUS));
    buf_puts(b, "</a></footer></body></html>\n");
}

/* <dt>label</dt><dd dd_attrs>value</dd>, the value in <code code_attrs> unless code_attrs
 * is NULL; the attributes are the caller's literal markup, the texts are escaped. */
static void row(struct buf *b, const char *label, const char *dd_attrs, const char *code_attrs,
                const char *value)
{
    buf_puts(b, "<dt>");
    html(b, label);
    buf_printf(b, "</dt><dd%s>", dd_attrs);
    if (code_attrs)
        buf_printf(b, "<code%s>", code_attrs);
    html(b, value);
    buf_puts(b, code_attrs ? "</code></dd>" : "</dd>");
}

/* The name of category code in language l, or the code when it is none of ours. */
static const char *category_label(enum lang l, const char *code)
{
    const struct category *c = category_find(code, strlen(code));
    return c ? (l == EN ? c->en : c->zh) : code;
}

static void answer_page(struct http_req *req, int status, struct buf *b, bool no_store)
{
    page_headers(req, no_store);
    http_add_header(req, "Vary", "Accept-Language");
    if (b->oom)
        http_respond(req, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
    else
        http_respond(req, status, "text/html; charset=utf-8", b->p, b->len);
    buf_free(b);
}

void web_error_page(struct http_req *req, int status, const char *message)
{
    enum lang l = lang_of(req, NULL);
    struct buf b = {0};
    page_begin(&b, l, T(l, M_ERROR_TITLE), "form-page", "/");
    buf_puts(&b, "<main class=\"page\"><h1>");
    html(&b, T(l, M_ERROR_TITLE));
    buf_puts(&b, "</h1><div id=\"error-summary\" role=\"alert\"><p>");
    const struct call *call = http_state(req);
    if (status == 413 && call) {
        char m[200];
        fill(m, sizeof m, T(l, M_E_EVIDENCE_SIZE), call->api->conf->evidence_max / (1024 * 1024));
        html(&b, m);
    } else {
        html(&b, message);
    }
    buf_printf(&b, "</p></div><p><a href=\"/%s\">", l == EN ? "?lang=en" : "");
    html(&b, T(l, M_BACK));
    buf_puts(&b, "</a></p></main>");
    page_end(&b, l);
    if (status == 503)
        http_add_header(req, "Retry-After", "2");
    answer_page(req, status, &b, true);
}

/* ---- anti-forgery ---------------------------------------------------------------------- */

/* The value of cookie name in the Cookie header into out, or false. */
static bool cookie_get(struct http_req *req, const char *name, char *out, size_t outlen)
{
    const char *h = http_header(req, "Cookie");
    size_t n = strlen(name);
    for (const char *p = h ? h : ""; *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            if (len - n - 1 >= outlen)
                return false;
            snprintf(out, outlen, "%.*s", (int)(len - n - 1), p + n + 1);
            return true;
        }
        p += len;
    }
    return false;
}

/* The request's anti-forgery cookie, or a new one (set with the answer). */
static void csrf_cookie(struct web *w, struct http_req *req)
{
    if (cookie_get(req, CSRF_COOKIE, w->cookie, sizeof w->cookie) &&
        strlen(w->cookie) == 32 && strspn(w->cookie, "0123456789abcdef") == 32)
        return;
    crypto_random_hex(w->cookie, 32);
    w->new_cookie = true;
}

/* The hidden field that goes with the cookie: its keyed hash. */
static void csrf_token(const struct call *call, const struct web *w, char out[CRYPTO_HEX_LEN])
{
    crypto_keyed_hash(call->api->keys, CRYPTO_CSRF, w->cookie, strlen(w->cookie), out);
}

static void set_cookie(struct http_req *req, const struct web *w)
{
    if (!w->new_cookie)
        return;
    char c[128];
    snprintf(c, sizeof c, CSRF_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict", w->cookie);
    http_add_header(req, "Set-Cookie", c);
}

/* True when the request comes from a page of this site, as far as the browser says: an
 * Origin that is our own, and a Sec-Fetch-Site of same-origin (or none: typed, bookmarked).
 * Our pages send no referrer, so browsers send "Origin: null" with their forms: that says
 * nothing, and Sec-Fetch-Site (and the anti-forgery token) decide. */
static bool same_origin(struct http_req *req)
{
    const char *site = http_header(req, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return false;
    const char *origin = http_header(req, "Origin"), *host = http_header(req, "Host");
    if (!origin || strcmp(origin, "null") == 0)
        return true;
    if (!host)
        return false;
    const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                            : NULL;
    return rest && strcmp(rest, host) == 0;
}

/* ---- proof of work --------------------------------------------------------------------- */

/* A challenge: "<expiry>.<bits>.<nonce>.<mac>", the mac a keyed hash of the rest, so that
 * only challenges made here are accepted, at the difficulty they were made with, and none
 * after it expired. */
static void pow_challenge(const struct call *call, int bits, char out[128])
{
    char nonce[33], mac[CRYPTO_HEX_LEN], body[80];
    crypto_random_hex(nonce, 32);
    snprintf(body, sizeof body, "%lld.%d.%s", (long long)time(NULL) + POW_TTL, bits, nonce);
    crypto_keyed_hash(call->api->keys, CRYPTO_POW, body, strlen(body), mac);
    snprintf(out, 128, "%s.%.32s", body, mac);
}

/* Checks a solution "<challenge>:<counter>". Returns the bits it was solved at, with the
 * challenge's nonce in w->pow_nonce (to be spent once), when it is ours, unexpired and
 * solved; else 0. */
static int pow_valid(const struct call *call, struct web *w, const char *s)
{
    char exp[24], bits[4], nonce[40], mac[40], body[96], want[CRYPTO_HEX_LEN];
    const char *colon = strrchr(s, ':');
    if (!colon || strlen(s) > 120 ||
        sscanf(s, "%20[0-9].%2[0-9].%32[0-9a-f].%32[0-9a-f]:", exp, bits, nonce, mac) != 4 ||
        strlen(nonce) != 32 || strlen(mac) != 32 || strspn(colon + 1, "0123456789") == 0 ||
        colon[1 + strspn(colon + 1, "0123456789")] != '\0')
        return 0;
    snprintf(body, sizeof body, "%s.%s.%s", exp, bits, nonce);
    crypto_keyed_hash(call->api->keys, CRYPTO_POW, body, strlen(body), want);
    int n = atoi(bits);
    if (!crypto_equal(want, mac, 32) || atoll(exp) < (long long)time(NULL) ||
        n < call->api->conf->pow_bits || crypto_sha256_zero_bits(s, strlen(s)) < n)
        return 0;
    snprintf(w->pow_nonce, sizeof w->pow_nonce, "%s", nonce);
    return n;
}

/* ---- the report form ------------------------------------------------------------------- */

static void field_error(struct buf *b, const struct web *w, int f, const char *name)
{
    if (w->errors[f][0]) {
        buf_printf(b, "<p class=\"error\" id=\"%s-error\">", name);
        html(b, w->errors[f]);
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
    html(b, T(l, text));
    if (optional) {
        buf_puts(b, "<span class=\"optional\">");
        html(b, T(l, M_OPTIONAL));
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</label>");
}

/* The hint below a label; "{n}" in it stands for n. */
static void hint(struct buf *b, enum lang l, const char *name, enum msg text, long n)
{
    char t[400];
    fill(t, sizeof t, T(l, text), n);
    buf_printf(b, "<p class=\"hint\" id=\"%s-hint\">", name);
    html(b, t);
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
        html(b, w->values[f]);
    buf_puts(b, "\"></div>");
}

static void category_field(struct buf *b, const struct web *w)
{
    enum lang l = w->lang;
    buf_puts(b, "<fieldset class=\"radio-list\" id=\"category\"");
    if (w->errors[1][0])
        buf_puts(b, " aria-describedby=\"category-error\" aria-invalid=\"true\"");
    buf_puts(b, "><legend>");
    html(b, T(l, M_CATEGORY));
    buf_puts(b, "</legend>");
    field_error(b, w, 1, "category");
    for (size_t i = 0; i < categories_count; i++) {
        const struct category *c = &categories[i];
        bool on = w->values[1] && strcmp(w->values[1], c->code) == 0;
        buf_printf(b, "<label class=\"radio\"><input type=\"radio\" name=\"category\" "
                      "id=\"category-%s\" value=\"%s\"%s aria-describedby=\"category-%s-hint\">"
                      "<span class=\"name\">", c->code, c->code, on ? " checked" : "", c->code);
        html(b, l == EN ? c->en : c->zh);
        buf_printf(b, "</span><span class=\"hint\" id=\"category-%s-hint\">", c->code);
        html(b, l == EN ? c->en_help : c->zh_help);
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
        html(b, w->notice);
        buf_puts(b, "</p>");
    }
    bool fields = false;
    for (int f = 0; f <= NFIELDS; f++)
        fields |= w->errors[f][0] != '\0';
    if (fields) {
        buf_puts(b, "<p>");
        html(b, T(w->lang, M_ERRORS_TITLE));
        buf_puts(b, "</p><ul>");
        for (int f = 0; f <= NFIELDS; f++)
            if (w->errors[f][0]) {
                buf_printf(b, "<li><a href=\"#%s\">", f == 1 ? "category" : names[f]);
                html(b, w->errors[f]);
                buf_puts(b, "</a></li>");
            }
        buf_puts(b, "</ul>");
    }
    buf_puts(b, "</div>");
}

/* The form page, with w's values and errors; pow is a challenge to show, or NULL. */
static void render_form(const struct call *call, struct web *w, struct buf *b, const char *pow)
{
    enum lang l = w->lang;
    char token[CRYPTO_HEX_LEN];
    csrf_token(call, w, token);
    page_begin(b, l, T(l, M_FORM_TITLE), "form-page", "/");
    buf_puts(b, "<main class=\"page\"><h1>");
    html(b, T(l, M_FORM_TITLE));
    buf_puts(b, "</h1><p class=\"lead\">");
    html(b, T(l, M_FORM_LEAD));
    buf_puts(b, "</p>");
    error_summary(b, w);
    if (pow) {
        buf_printf(b, "<div id=\"pow\" class=\"notice\" data-challenge=\"%s\" data-bits=\"%d\" "
                      "role=\"status\">", pow, w->pow_bits);
        html(b, T(l, M_POW));
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
    buf_puts(b, "<div class=\"field\">");
    label(b, l, "description", M_DESCRIPTION, true);
    hint(b, l, "description", M_DESCRIPTION_HINT, c->description_max);
    field_error(b, w, 3, "description");
    buf_puts(b, "<textarea id=\"description\" name=\"description\" rows=\"6\"");
    field_aria(b, w, 3, "description");
    buf_puts(b, ">");
    if (w->values[3])
        html(b, w->values[3]);
    buf_puts(b, "</textarea></div><div class=\"field\">");
    label(b, l, "evidence", M_EVIDENCE, true);
    hint(b, l, "evidence", M_EVIDENCE_HINT, c->evidence_max / (1024 * 1024));
    field_error(b, w, F_EVIDENCE, "evidence");
    buf_puts(b, "<input id=\"evidence\" name=\"evidence\" type=\"file\" "
                "accept=\"image/jpeg,image/png,image/webp\"");
    field_aria(b, w, F_EVIDENCE, "evidence");
    buf_puts(b, "></div>");
    text_input(b, w, 4, M_CONTACT, M_CONTACT_HINT, 0, " autocomplete=\"off\"");
    buf_puts(b, "<button id=\"submit\" class=\"primary\" type=\"submit\">");
    html(b, T(l, M_SUBMIT));
    buf_puts(b, "</button></form><section id=\"privacy\" class=\"privacy\"><h2>");
    html(b, T(l, M_PRIVACY_TITLE));
    char privacy[1200];
    fill(privacy, sizeof privacy, T(l, M_PRIVACY), c->retention_days);
    buf_puts(b, "</h2><p>");
    html(b, privacy);
    buf_puts(b, "</p></section></main>");
    page_end(b, l);
}

static void answer_form(struct call *call, struct http_req *req, struct web *w, int status,
                        const char *pow)
{
    struct buf b = {0};
    render_form(call, w, &b, pow);
    set_cookie(req, w);
    if (status == 429 || status == 503) {
        char n[24];
        snprintf(n, sizeof n, "%ld", w->retry_after > 0 ? w->retry_after : RETRY_AFTER_SECONDS);
        http_add_header(req, "Retry-After", n);
    }
    answer_page(req, status, &b, true);
}

/* GET / */
static void form_page(struct call *call, struct http_req *req, struct web *w)
{
    csrf_cookie(w, req);
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
        fill(w->errors[f], sizeof w->errors[f], tmpl, n);
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
    if (!(call->evidence_type = image_type(x->value, x->len))) {
        set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_TYPE), 0);
        w->status = 422;
        return -1;
    }
    char why[160];
    long max = call->api->conf->evidence_max_pixels;
    int rc = image_strip(x->value, x->len, max, &w->evidence, &call->evidence_len, why, sizeof why);
    if (rc < 0) {
        log_debug("web: evidence refused: %s", why);
        if (rc == IMAGE_TOO_LARGE)
            set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_PIXELS), (max + 999999) / 1000000);
        else
            set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_BAD), 0);
        w->status = 422;
        return -1;
    }
    call->evidence = w->evidence;
    return 0;
}

/* Stores the report (phase 2). */
static void report_store(struct call *call, struct http_req *req, struct web *w)
{
    w->phase = 2;
    reports_submit_one(call, req, call->doc);
}

/* What the headers of POST /report allow to be checked before a byte of its body is read
 * (which may be megabytes): the form's media type, where it comes from and the anti-forgery
 * cookie (its token is in the body; report_post checks it). Returns 0, or -1 having answered
 * with the form, empty: what was typed is in the body, which is not read. */
static int report_admit(struct call *call, struct http_req *req, struct web *w)
{
    const char *ct = http_header(req, "Content-Type");
    csrf_cookie(w, req);
    if (!ct || (strncasecmp(ct, "multipart/form-data", 19) != 0 &&
                strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)) {
        snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, M_E_FIELD));
        answer_form(call, req, w, 400, NULL);
        return -1;
    }
    bool forged = !same_origin(req);
    if (forged || w->new_cookie) {
        snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, forged ? M_E_FORGED : M_E_EXPIRED));
        answer_form(call, req, w, 403, NULL);
        return -1;
    }
    return 0;
}

static void report_post(struct call *call, struct http_req *req, struct web *w)
{
    size_t len;
    const char *body = http_body(req, &len);
    char why[160];
    if (form_parse(&w->form, http_header(req, "Content-Type"), body, len, why, sizeof why) < 0) {
        csrf_cookie(w, req);
        snprintf(w->notice, sizeof w->notice, "%s (%s)", T(w->lang, M_E_FIELD), why);
        answer_form(call, req, w, 400, NULL);
        return;
    }
    w->has_form = true;
    const struct form_field *lf = form_get(&w->form, "lang");
    w->lang = lang_of(req, lf ? lf->value : NULL);
    char have[48] = "", token[CRYPTO_HEX_LEN];
    bool had_cookie = cookie_get(req, CSRF_COOKIE, have, sizeof have);
    csrf_cookie(w, req);
    csrf_token(call, w, token);
    const struct form_field *cf = form_get(&w->form, "csrf");
    call->doc = form_report(w);
    bool forged = !same_origin(req);
    bool expired = !had_cookie || w->new_cookie || !cf || cf->len != CRYPTO_HEX_LEN - 1 ||
                   !crypto_equal(cf->value, token, CRYPTO_HEX_LEN - 1);
    if (forged || expired) {
        snprintf(w->notice, sizeof w->notice, "%s", T(w->lang, forged ? M_E_FORGED : M_E_EXPIRED));
        answer_form(call, req, w, 403, NULL);
        return;
    }
    int status = call->doc ? validate_all(call, w, call->doc) : 400;
    bool evidence_bad = take_evidence(call, w) < 0;
    if (status || evidence_bad || w->notice[0]) {
        const struct form_field *ev = form_get(&w->form, "evidence");
        if (!evidence_bad && ev && ev->len)
            set_error(w, F_EVIDENCE, T(w->lang, M_E_EVIDENCE_AGAIN), 0);
        answer_form(call, req, w, status ? status : w->status ? w->status : 400, NULL);
        return;
    }
    const struct form_field *pf = form_get(&w->form, "pow");
    if (pf && pf->len && (w->pow_solved = pow_valid(call, w, pf->value)) > 0) {
        /* phase 1: spend the challenge (SET NX), so that one solution is good once */
        char key[96];
        schema_key(key, sizeof key, "pow", w->pow_nonce);
        const char *args[] = {"SET", key, "1", "NX", "EX"};
        if (job_begin(call, req, args, 5) < 0)
            return;
        store_job_argll(call->job, POW_TTL);
        w->phase = 1;
        job_send(call, req);
        return;
    }
    report_store(call, req, w);
}

static void receipt_page(struct call *call, struct http_req *req, struct web *w,
                         const struct item *it)
{
    (void)call;
    enum lang l = w->lang;
    struct buf b = {0};
    page_begin(&b, l, T(l, M_RECEIPT_TITLE), "form-page", "/");
    buf_puts(&b, "<main class=\"page\"><h1>");
    html(&b, T(l, M_RECEIPT_TITLE));
    buf_puts(&b, "</h1><p class=\"lead\">");
    html(&b, T(l, M_RECEIPT_LEAD));
    buf_puts(&b, "</p><dl class=\"receipt\">");
    row(&b, T(l, M_RECEIPT_ID), "", " id=\"receipt-id\"", it->id);
    row(&b, T(l, M_RECEIPT_SECRET), "", " id=\"receipt-secret\"", it->secret);
    buf_puts(&b, "</dl><p>");
    html(&b, T(l, M_RECEIPT_HOW));
    buf_puts(&b, "</p>");
    if (it->duplicate) {
        buf_puts(&b, "<p class=\"notice\">");
        html(&b, T(l, M_RECEIPT_DUP));
        buf_puts(&b, "</p>");
    }
    buf_printf(&b, "<p><a class=\"button\" href=\"/status%s\">", l == EN ? "?lang=en" : "");
    html(&b, T(l, M_TO_STATUS));
    buf_printf(&b, "</a> <a href=\"/%s\">", l == EN ? "?lang=en" : "");
    html(&b, T(l, M_NEW_REPORT));
    buf_puts(&b, "</a></p></main>");
    page_end(&b, l);
    answer_page(req, 200, &b, true);
}

void web_report_done(struct call *call, struct http_req *req)
{
    struct web *w = call->web;
    const struct item *it = &call->items[0];
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
        fill(w->notice, sizeof w->notice, T(w->lang, M_E_RATE),
             (it->retry_after + 59) / 60 > 0 ? (it->retry_after + 59) / 60 : 1);
        w->pow_bits = it->pow_next;
        if (w->pow_bits > 0)
            pow_challenge(call, w->pow_bits, pow);
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

/* ---- /status --------------------------------------------------------------------------- */

static void status_form(struct buf *b, enum lang l, const char *id)
{
    buf_puts(b, "<form id=\"status-form\" method=\"post\" action=\"/status\">");
    buf_printf(b, "<input type=\"hidden\" name=\"lang\" value=\"%s\">", l == EN ? "en" : "zh");
    buf_puts(b, "<div class=\"field\"><label for=\"id\">");
    html(b, T(l, M_STATUS_ID));
    buf_puts(b, "</label><input id=\"id\" name=\"id\" type=\"text\" autocomplete=\"off\" "
                "spellcheck=\"false\" required value=\"");
    html(b, id);
    buf_puts(b, "\"></div><div class=\"field\"><label for=\"secret\">");
    html(b, T(l, M_STATUS_SECRET));
    buf_puts(b, "</label><input id=\"secret\" name=\"secret\" type=\"password\" "
                "autocomplete=\"off\" spellcheck=\"false\" required></div>"
                "<button class=\"primary\" type=\"submit\">");
    html(b, T(l, M_STATUS_SUBMIT));
    buf_puts(b, "</button></form>");
}

static void status_page(struct http_req *req, enum lang l, int status, const char *id,
                        const struct store_reply *r)
{
    struct buf b = {0};
    page_begin(&b, l, T(l, M_STATUS_TITLE), "form-page", "/status");
    buf_puts(&b, "<main class=\"page\"><h1>");
    html(&b, T(l, M_STATUS_TITLE));
    buf_puts(&b, "</h1>");
    if (status == 404 || status == 429) {
        buf_puts(&b, "<div id=\"error-summary\" role=\"alert\"><p>");
        html(&b, T(l, status == 404 ? M_STATUS_NOT_FOUND : M_STATUS_RATE));
        buf_puts(&b, "</p></div>");
    }
    if (r && status == 200) {
#define AT(i) store_reply_str(store_reply_at(r, i), NULL)
        static const char *const codes[] = {"received", "in_review", "actioned", "no_violation"};
        static const enum msg words_of[] = {M_ST_RECEIVED, M_ST_IN_REVIEW, M_ST_ACTIONED,
                                            M_ST_NO_VIOLATION};
        size_t k = 0;   /* received, unless it is one of the others */
        for (size_t i = 1; i < 4; i++)
            if (strcmp(AT(5), codes[i]) == 0)
                k = i;
        char attrs[64];
        snprintf(attrs, sizeof attrs, " id=\"status\" data-status=\"%s\"", codes[k]);
        buf_puts(&b, "<section class=\"status-card\"><dl>");
        row(&b, T(l, M_RECEIPT_ID), "", "", id);
        row(&b, T(l, M_CATEGORY), "", NULL, category_label(l, AT(3)));
        row(&b, T(l, M_RECEIVED_AT), "", NULL, AT(4));
        row(&b, T(l, M_STATUS_IS), attrs, NULL, T(l, words_of[k]));
        buf_puts(&b, "</dl>");
        if (*AT(7)) {
            buf_puts(&b, "<section id=\"decision\" data-verdict=\"");
            html(&b, AT(7));
            buf_puts(&b, "\"><h2>");
            html(&b, T(l, M_DECISION));
            buf_puts(&b, "</h2><dl>");
            row(&b, T(l, M_CATEGORY), "", NULL, category_label(l, AT(8)));
            row(&b, T(l, M_DECIDED_AT), "", NULL, AT(9));
            buf_puts(&b, "</dl></section>");
        }
        buf_puts(&b, "</section>");
#undef AT
    } else {
        buf_puts(&b, "<p class=\"lead\">");
        html(&b, T(l, M_STATUS_LEAD));
        buf_puts(&b, "</p>");
        status_form(&b, l, id);
    }
    buf_puts(&b, "</main>");
    page_end(&b, l);
    answer_page(req, status, &b, true);
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
    w->lang = lang_of(req, lf ? lf->value : NULL);
    if (!same_origin(req)) {
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
    const struct store_reply *r = store_job_reply(call->job, 0);
    int access = status_access(call, r);
    status_page(req, w->lang, access == 200 ? 200 : 404, call->path_id, r);
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
    answer_page(req, 200, &b, true);
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
    w->lang = lang_of(req, NULL);
    if (strcmp(http_method(req), "POST") != 0)
        return 0;
    if (call->route != ROUTE_WEB_REPORT)
        return WEB_BODY_MAX;
    return report_admit(call, req, w) < 0 ? -1 : call->api->conf->evidence_max + WEB_BODY_MAX;
}

void web_handle(struct call *call, struct http_req *req)
{
    struct web *w = call->web;
    bool post = strcmp(http_method(req), "POST") == 0;
    switch (call->route) {
    case ROUTE_WEB_FORM: form_page(call, req, w); break;
    case ROUTE_WEB_REPORT: report_post(call, req, w); break;
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
        report_store(call, req, w);
    } else {
        reports_finish(call, req);
    }
}
