/* web — the pages of docs/WEB.md: the report form (GET /, POST /report: reportform.c),
 * following a report (/status), the reviewers' console page (/review; its script does the
 * rest through the review API) and the assets they load (/assets/...): web.c. Each handler
 * is a row's in routes.c; the files' shared header is webpage.h.
 *
 * Pages are rendered with every value escaped (buf_html); they carry no inline script or
 * style, so that the Content-Security-Policy can forbid both. The form's report goes through
 * the very validation and store path of the API (report.h, intake.h), so the two doors cannot
 * drift apart; a report's status through the API's lookup (status.h).
 */
#ifndef JUBAO_WEB_H
#define JUBAO_WEB_H

#include "call.h"

/* The begin of every page's row: the page's state (language, form) in call->state. Returns
 * 0, or -1 having answered 503. */
int web_begin(struct call *call, struct http_req *req);
/* Answers an error (413, 503, 404, ...) as a page. */
void web_error_page(struct http_req *req, int status, const char *message);

void web_status_form(struct call *call, struct http_req *req);  /* GET /status */
void web_status_post(struct call *call, struct http_req *req);  /* POST /status */
void web_status_done(struct call *call, struct http_req *req);
void web_console(struct call *call, struct http_req *req);      /* GET /review */
void web_asset(struct call *call, struct http_req *req);        /* GET /assets/{name} */

/* ---- reportform.c ---- */
/* POST /report's begin: web_begin, then what the headers allow to be checked before its
 * body (media type, origin, anti-forgery cookie). Returns 0, or -1 having answered. */
int reportform_begin(struct call *call, struct http_req *req);
void reportform_page(struct call *call, struct http_req *req);  /* GET / */
void reportform_post(struct call *call, struct http_req *req);  /* POST /report */
void reportform_resume(struct call *call, struct http_req *req);

#endif
