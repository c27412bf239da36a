/* webpage — what the web pages' files share (web.c: /status, the console and the assets;
 * reportform.c: the report form; webguard.c: forgery checks and proof of work; webpage.c:
 * per-request state and the page frame; webwords.c: the words). Not a public interface:
 * only those files include it; the rest of the gateway knows web.h.
 */
#ifndef JUBAO_WEBPAGE_H
#define JUBAO_WEBPAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "call.h"
#include "form.h"
#include "intake.h"
#include "status.h"

#define CSRF_COOKIE "jb_csrf"
#define POW_TTL 900             /* seconds a challenge may be solved in, and remembered */

enum lang { ZH, EN };

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
    M_ERROR_TITLE, M_BACK, M_OUTCOMES, M_OC_REMOVED_P, M_OC_RESTRICTED_P, M_OC_NO_ACTION_P,
    M_OC_REMOVED_A, M_OC_RESTRICTED_A, M_OC_NO_ACTION_A, M_COUNT
};

/* The word m in language l. */
const char *web_word(enum lang l, enum msg m);
static inline const char *T(enum lang l, enum msg m) { return web_word(l, m); }
/* The text tmpl with "{n}" replaced by n, into out. */
void web_fill(char *out, size_t outlen, const char *tmpl, long n);

/* The form's fields that are a report's, in the order of the page. */
#define NFIELDS 5
#define F_EVIDENCE NFIELDS      /* errors[] index of the evidence field */
extern const char *const report_fields[NFIELDS];

/* The steps of POST /report, each ended by the store's answer. */
enum report_step {
    REPORT_SPENDING = 1,    /* 1: SET NX spends the proof of work's challenge */
    REPORT_STORING,         /* 2: the report is stored through intake.h */
};

/* The per-request state of a web route (call->state): made in web_begin (web.h), freed with
 * the call. */
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
    char *evidence;                 /* the image without its metadata (intake.evidence) */
    long retry_after;
    enum report_step step;          /* of POST /report */
    struct intake intake;           /* POST /report's report, on its way in */
    struct status_ask ask;          /* POST /status's lookup */
};

/* ---- webpage.c ---- */
/* English when asked for by ?lang=, the form's lang field (or NULL), or Accept-Language. */
enum lang page_lang(struct http_req *req, const char *field);
/* Appends s, escaped for HTML. */
void page_html(struct buf *b, const char *s);
/* The security headers of every page (and no-store when asked). */
void page_headers(struct http_req *req, bool no_store);
/* The head and the start of the body of a page; page_end closes it. */
void page_begin(struct buf *b, enum lang l, const char *title, const char *body_class,
                const char *switch_path);
void page_end(struct buf *b, enum lang l);
/* A definition row: label, then value in a code element with code_attrs. */
void page_row(struct buf *b, const char *label, const char *dd_attrs, const char *code_attrs,
              const char *value);
/* The label of category code in l (the code itself when unknown). */
const char *page_category(enum lang l, const char *code);
/* Answers b (then freed) as an HTML page with status; 503 when b ran out of memory. */
void page_answer(struct http_req *req, int status, struct buf *b, bool no_store);

/* ---- webguard.c ---- */
/* The value of cookie name into out (outlen bytes), or false. */
bool guard_cookie(struct http_req *req, const char *name, char *out, size_t outlen);
/* The request's anti-forgery cookie into w, or a new one (w->new_cookie; set with the answer
 * by guard_set_cookie). */
void guard_csrf_cookie(struct web *w, struct http_req *req);
/* The hidden field that goes with the cookie: its keyed hash. */
void guard_csrf_token(const struct call *call, const struct web *w, char out[CRYPTO_HEX_LEN]);
void guard_set_cookie(struct http_req *req, const struct web *w);
/* True when the browser says the request comes from a page of this site. */
bool guard_same_origin(struct http_req *req);
/* A new challenge of the given difficulty into out. */
void guard_pow_challenge(const struct call *call, int bits, char out[128]);
/* The bits a solution was solved at (its nonce into w->pow_nonce), or 0 when it is not ours,
 * expired or unsolved. */
int guard_pow_valid(const struct call *call, struct web *w, const char *s);

#endif
