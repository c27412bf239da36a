/* webpage — see webpage.h: the language of a page and the frame every page shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webpage.h"
#include "assets.h"
#include "category.h"

static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/* ---- language -------------------------------------------------------------------------- */

/* English when asked for by ?lang=, the form's lang field, or an Accept-Language that ranks
 * English above Chinese; else Chinese. */
enum lang page_lang(struct http_req *req, const char *field)
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

void page_html(struct buf *b, const char *s)
{
    buf_html(b, s, strlen(s));
}

/* The security headers every page and asset carries. */
void page_headers(struct http_req *req, bool no_store)
{
    http_add_header(req, "Content-Security-Policy", csp);
    http_add_header(req, "Referrer-Policy", "no-referrer");
    http_add_header(req, "X-Frame-Options", "DENY");
    if (no_store)
        http_add_header(req, "Cache-Control", "no-store");
}

void page_begin(struct buf *b, enum lang l, const char *title, const char *body_class,
                const char *switch_path)
{
    buf_printf(b, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>", l == EN ? "en" : "zh-CN");
    page_html(b, title);
    buf_puts(b, " · ");
    page_html(b, T(l, M_SITE));
    buf_printf(b, "</title><link rel=\"stylesheet\" href=\"/assets/style.css\">%s</head>"
                  "<body class=\"%s\"><header class=\"top\"><a class=\"brand\" href=\"/%s\">",
               strcmp(body_class, "console") == 0
                   ? "<script src=\"/assets/console.js\" defer></script>"
                   : "<script src=\"/assets/form.js\" defer></script>",
               body_class, l == EN ? "?lang=en" : "");
    page_html(b, T(l, M_SITE));
    buf_printf(b, "</a><a id=\"lang-switch\" href=\"%s?lang=%s\" lang=\"%s\">", switch_path,
               l == EN ? "zh" : "en", l == EN ? "zh-CN" : "en");
    page_html(b, T(l, M_SWITCH));
    buf_puts(b, "</a></header>\n");
}

void page_end(struct buf *b, enum lang l)
{
    buf_printf(b, "<footer><a href=\"/status%s\">", l == EN ? "?lang=en" : "");
    page_html(b, T(l, M_TO_STATUS));
    buf_puts(b, "</a></footer></body></html>\n");
}

/* <dt>label</dt><dd dd_attrs>value</dd>, the value in <code code_attrs> unless code_attrs
 * is NULL; the attributes are the caller's literal markup, the texts are escaped. */
void page_row(struct buf *b, const char *label, const char *dd_attrs, const char *code_attrs,
              const char *value)
{
    buf_puts(b, "<dt>");
    page_html(b, label);
    buf_printf(b, "</dt><dd%s>", dd_attrs);
    if (code_attrs)
        buf_printf(b, "<code%s>", code_attrs);
    page_html(b, value);
    buf_puts(b, code_attrs ? "</code></dd>" : "</dd>");
}

/* The name of category code in language l, or the code when it is none of ours. */
const char *page_category(enum lang l, const char *code)
{
    const struct category *c = category_find(code, strlen(code));
    return c ? (l == EN ? c->en : c->zh) : code;
}

void page_answer(struct http_req *req, int status, struct buf *b, bool no_store)
{
    page_headers(req, no_store);
    http_add_header(req, "Vary", "Accept-Language");
    if (b->oom)
        http_respond(req, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
    else
        http_respond(req, status, "text/html; charset=utf-8", b->p, b->len);
    buf_free(b);
}
