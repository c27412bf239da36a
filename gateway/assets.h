/* assets — the files of gateway/web/, compiled into the gateway (deploy/embed-assets.sh) and
 * served under /assets/<name> by web.c. */
#ifndef JUBAO_ASSETS_H
#define JUBAO_ASSETS_H

struct asset {
    const char *name;
    const char *type;
    const char *data;
    unsigned long len;
};

extern const struct asset web_assets[];
extern const unsigned long web_assets_count;

#endif
