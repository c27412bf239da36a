/* category — the report categories of API.md, with Chinese and English labels and a one-line
 * explanation of each (for the form and the API). */
#ifndef JUBAO_CATEGORY_H
#define JUBAO_CATEGORY_H

#include <stddef.h>

struct category {
    const char *code;
    const char *zh, *en;
    const char *zh_help, *en_help;
};

extern const struct category categories[];
extern const size_t categories_count;

/* The category with this code (len bytes), or NULL. */
const struct category *category_find(const char *code, size_t len);

#endif
