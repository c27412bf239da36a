/* admin_handlers — `jubao-admin handler add NAME [--domains a.com,b.cn] [--categories fraud,..]
 * [--platform] [--webhook URL]`, `handler list`, `handler disable NAME`, `handler webhook NAME
 * URL|--clear`: the organisations referrals go to (docs/API.md, "Handlers"; redis/referrals.lua,
 * redis/hooks.lua).
 *
 * A webhook URL is https, or http to a loopback address only (tests, a receiver on the same
 * machine), with no userinfo; it is stored as typed. The handler's webhook secret is derived
 * (crypto_webhook_secret), printed by add and by `handler webhook`, and stored nowhere.
 *
 * add writes the handler's record (handlers' slot) first, then its key's record (the key's
 * slot): a stop between them leaves a handler without a key, which `disable` retires; the key
 * is printed only once both are written. --platform makes the key the platform NAME's too (it
 * may then also file reports and read NAME's decisions feed); without it the key's record says
 * report '0' and it only pulls referrals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "category.h"
#include "crypto.h"
#include "fcall_referrals.h"
#include "global.h"
#include "isotime.h"
#include "url.h"

#define LIST_MAX 1024       /* bytes of a --domains or --categories list */
#define WEBHOOK_URL_MAX 2048    /* bytes of a webhook URL */

/* The registrable domain the URL code reads in http://<prefix>d/ into out. Returns 0, or -1
 * when that is no URL. */
static int domain_of(const char *prefix, const char *d, char *out, size_t outlen)
{
    char url[300];
    struct url_parts p;
    int n = snprintf(url, sizeof url, "http://%s%s/", prefix, d);
    if (n < 0 || (size_t)n >= sizeof url || strpbrk(d, "/:@?#\\") ||
        url_canonicalize(url, strlen(url), &p, NULL, 0) < 0)
        return -1;
    snprintf(out, outlen, "%s", strcmp(p.host, p.domain) == 0 || *prefix ? p.domain : "");
    url_parts_free(&p);
    return 0;
}

/* Checks one registrable domain d and writes its canonical form (lower case, punycode) into
 * out: the URL code must read d as a registrable domain (not a subdomain: its host is its
 * domain) and a name under it as under d (not a public suffix). Returns 0 or -1 (printed). */
static int domain_canonical(const char *d, char *out, size_t outlen)
{
    char under[300];
    if (domain_of("", d, out, outlen) < 0 || !*out ||
        domain_of("x.", out, under, sizeof under) < 0 || strcmp(under, out) != 0) {
        fprintf(stderr, "jubao-admin: %s is not a registrable domain\n", d);
        return -1;
    }
    return 0;
}

/* Checks the comma-separated list in (domains, or category codes) and writes it canonical
 * into out. Returns 0 or -1 (printed). */
static int list_canonical(const char *in, bool domains, char out[LIST_MAX])
{
    char copy[LIST_MAX];
    size_t used = 0;
    out[0] = '\0';
    if (strlen(in) >= sizeof copy) {
        fprintf(stderr, "jubao-admin: the list is too long\n");
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", in);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char one[256];
        if (domains ? domain_canonical(item, one, sizeof one) < 0
                    : !category_find(item, strlen(item))) {
            if (!domains)
                fprintf(stderr, "jubao-admin: %s is not a category code\n", item);
            return -1;
        }
        used += (size_t)snprintf(out + used, LIST_MAX - used, "%s%s", used ? "," : "",
                                 domains ? one : item);
        if (used >= LIST_MAX) {
            fprintf(stderr, "jubao-admin: the list is too long\n");
            return -1;
        }
    }
    return 0;
}

/* Whether url may be a webhook's (see the top). Returns 0 or -1 (printed). */
static int webhook_check(const char *url)
{
    struct url_parts p;
    size_t len = strlen(url), at = strncmp(url, "https://", 8) == 0  ? 8
                                  : strncmp(url, "http://", 7) == 0 ? 7
                                                                     : 0;
    size_t auth = at + strcspn(url + at, "/?#");
    const char *why = !at ? "it is not http:// or https://"
                      : len > WEBHOOK_URL_MAX ? "it is too long"
                      : memchr(url + at, '@', auth - at) ? "it has userinfo"
                      : strpbrk(url, " \t\r\n\\\"") ? "it has a space, a quote or a backslash"
                      : NULL;
    if (!why && url_canonicalize(url, len, &p, NULL, 0) < 0)
        why = "it is no URL";
    else if (!why) {
        bool loop = strcmp(p.host, "127.0.0.1") == 0 || strcmp(p.host, "[::1]") == 0 ||
                    strcmp(p.host, "localhost") == 0;
        if (at == 7 && !loop)
            why = "http is for a loopback address only: use https";
        url_parts_free(&p);
    }
    if (why)
        fprintf(stderr, "jubao-admin: the webhook URL is refused: %s\n", why);
    return why ? -1 : 0;
}

static void webhook_secret_print(const struct keys *keys, const char *name, const char *at)
{
    char secret[CRYPTO_HEX_LEN];
    crypto_webhook_secret(keys, name, at, secret);
    printf("webhook secret for %s (signs X-Jubao-Signature; keep it secret):\n%s\n", name, secret);
}

/* Runs one call built with rc. Returns its job (the caller frees it), or NULL (printed). */
static struct store_job *run1(struct store *st, struct store_job *j, int rc)
{
    if (!j || rc < 0 || store_run(st, j) < 0 ||
        store_reply_type(store_job_reply(j, 0)) == STORE_ERROR) {
        fprintf(stderr, "jubao-admin: redis: %s\n",
                j && store_job_reply(j, 0) ? store_reply_str(store_job_reply(j, 0), NULL)
                                           : "did not answer");
        store_job_free(j);
        return NULL;
    }
    return j;
}

/* What add was told. */
struct handler_new {
    const char *name;
    char domains[LIST_MAX], cats[LIST_MAX];
    bool platform;
    const char *webhook;
};

static int handler_add(struct store *st, const struct shards *sh, const struct keys *keys,
                       const struct handler_new *hn)
{
    const char *name = hn->name, *domains = hn->domains, *cats = hn->cats;
    bool platform = hn->platform;
    char iso[ISOTIME_LEN], hp[GLOBAL_PREFIX_MAX], key[48], hash[CRYPTO_HEX_LEN];
    int live = platform ? admin_apikey_live(st, sh, name) : 0;
    if (live == 1)
        fprintf(stderr, "jubao-admin: %s already has a platform key; revoke it first (the "
                        "handler's key will serve both)\n", name);
    if (live != 0)
        return 1;
    isotime_format(time(NULL), iso);
    global_prefix(sh, GLOBAL_HANDLERS, "", hp);
    crypto_random_apikey(key);
    crypto_keyed_hash(keys, CRYPTO_APIKEY, key, strlen(key), hash);
    struct store_job *j = store_job_new(NULL, NULL);
    j = run1(st, j, j ? fcall_handler_add(j, hp, name, domains, cats, hash, iso, hn->webhook) : -1);
    enum fcall_answer a = j ? fcall_handler_reply(store_job_reply(j, 0)) : FCALL_OTHER;
    store_job_free(j);
    if (a == FCALL_EXISTS)
        fprintf(stderr, "jubao-admin: a handler %s exists already\n", name);
    if (a != FCALL_OK)
        return 1;
    /* a platform key made since the check above: the handler stays without a key (disable) */
    int got = platform ? admin_apikey_create(st, sh, name, hash, iso, name)
                       : admin_apikey_put(st, sh, name, hash, iso, name, false);
    if (got != 0) {
        fprintf(stderr, "jubao-admin: the handler %s is added without a key; `handler disable "
                        "%s`\n", name, name);
        return 1;
    }
    printf("handler %s added (domains: %s; categories: %s)\n", name, *domains ? domains : "-",
           *cats ? cats : "-");
    if (hn->webhook[0])
        printf("webhook: %s\n", hn->webhook);
    webhook_secret_print(keys, name, iso);
    printf("handler API key for %s (shown only now; keep it secret):\n%s\n", name, key);
    return 0;
}

static int handler_list(struct store *st, const struct shards *sh)
{
    char hp[GLOBAL_PREFIX_MAX];
    global_prefix(sh, GLOBAL_HANDLERS, "", hp);
    struct store_job *j = store_job_new(NULL, NULL);
    j = run1(st, j, j ? fcall_handler_list(j, hp) : -1);
    if (!j)
        return 1;
    const struct store_reply *r = store_job_reply(j, 0);
    printf("%-24s %-8s %-6s %-30s %-24s %s\n", "NAME", "STATE", "OPEN", "DOMAINS", "CATEGORIES",
           "WEBHOOK");
    for (size_t i = 1; i + 6 <= store_reply_count(r); i += 6) {
        const char *dom = store_reply_str_at(r, i + 1), *cat = store_reply_str_at(r, i + 2);
        printf("%-24s %-8s %-6s %-30s %-24s %s\n", store_reply_str_at(r, i),
               strcmp(store_reply_str_at(r, i + 3), "0") ? "disabled" : "enabled",
               store_reply_str_at(r, i + 4), *dom ? dom : "-", *cat ? cat : "-",
               strcmp(store_reply_str_at(r, i + 5), "1") ? "-" : "yes");
    }
    store_job_free(j);
    return 0;
}

static int handler_disable(struct store *st, const struct shards *sh, const char *name)
{
    char iso[ISOTIME_LEN], hp[GLOBAL_PREFIX_MAX];
    isotime_format(time(NULL), iso);
    global_prefix(sh, GLOBAL_HANDLERS, "", hp);
    struct store_job *j = store_job_new(NULL, NULL);
    j = run1(st, j, j ? fcall_handler_disable(j, hp, name, iso) : -1);
    enum fcall_answer a = j ? fcall_handler_reply(store_job_reply(j, 0)) : FCALL_OTHER;
    store_job_free(j);
    if (a == FCALL_UNKNOWN)
        fprintf(stderr, "jubao-admin: no handler %s\n", name);
    if (a != FCALL_OK)
        return 1;
    printf("disabled the handler %s: its key pulls no referral from now on\n", name);
    return 0;
}

/* handler webhook NAME URL|--clear */
static int handler_webhook(struct store *st, const struct shards *sh, const struct keys *keys,
                           const char *name, const char *arg)
{
    char hp[GLOBAL_PREFIX_MAX], err[256] = "";
    const char *url = strcmp(arg, "--clear") == 0 ? "" : arg, *at = "";
    if (*url && webhook_check(url) < 0)
        return 2;
    global_prefix(sh, GLOBAL_HANDLERS, "", hp);
    struct store_job *j = store_job_new(NULL, NULL);
    j = run1(st, j, j ? fcall_handler_webhook(j, hp, name, url) : -1);
    enum fcall_answer a = FCALL_OTHER;
    if (j && fcall_handler_webhook_reply(store_job_reply(j, 0), &a, &at, err, sizeof err) < 0)
        fprintf(stderr, "jubao-admin: %s\n", err);
    if (a == FCALL_UNKNOWN)
        fprintf(stderr, "jubao-admin: no handler %s\n", name);
    if (a == FCALL_OK && *url) {
        printf("the handler %s's new referrals go to %s\n", name, url);
        webhook_secret_print(keys, name, at);
    } else if (a == FCALL_OK) {
        printf("the handler %s has no webhook now\n", name);
    }
    store_job_free(j);
    return a == FCALL_OK ? 0 : 1;
}

/* handler add NAME [--domains L] [--categories L] [--platform] [--webhook URL]. */
static int add_args(struct store *st, const struct shards *sh, const struct keys *keys,
                    int argc, char **argv)
{
    struct handler_new hn = {.name = argv[1], .webhook = ""};
    char *domains = hn.domains, *cats = hn.cats;
    for (int i = 2; i < argc; i++) {
        bool more = i + 1 < argc;
        if (strcmp(argv[i], "--domains") == 0 && more) {
            if (list_canonical(argv[++i], true, domains) < 0)
                return 2;
        } else if (strcmp(argv[i], "--categories") == 0 && more) {
            if (list_canonical(argv[++i], false, cats) < 0)
                return 2;
        } else if (strcmp(argv[i], "--platform") == 0) {
            hn.platform = true;
        } else if (strcmp(argv[i], "--webhook") == 0 && more) {
            if (webhook_check(argv[++i]) < 0)
                return 2;
            hn.webhook = argv[i];
        } else {
            fprintf(stderr, "jubao-admin: handler add: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!domains[0] && !cats[0]) {
        fprintf(stderr, "jubao-admin: a handler needs --domains, --categories or both\n");
        return 2;
    }
    return handler_add(st, sh, keys, &hn);
}

int admin_handler(const struct conf *c, struct store *st, const struct keys *keys, int argc,
                  char **argv)
{
    struct shards *sh = admin_layout(c, st);
    if (!sh)
        return 1;
    int rc = 2;
    if (argc >= 2 && strcmp(argv[0], "add") == 0)
        rc = add_args(st, sh, keys, argc, argv);
    else if (argc == 1 && strcmp(argv[0], "list") == 0)
        rc = handler_list(st, sh);
    else if (argc == 2 && strcmp(argv[0], "disable") == 0)
        rc = handler_disable(st, sh, argv[1]);
    else if (argc == 3 && strcmp(argv[0], "webhook") == 0)
        rc = handler_webhook(st, sh, keys, argv[1], argv[2]);
    shards_free(sh);
    return rc;
}
