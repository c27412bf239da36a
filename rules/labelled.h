/* labelled — files of labelled texts for measuring and training triage: UTF-8 TSV with a
 * header line and four columns, id<TAB>category<TAB>lang<TAB>text (category a code of
 * lib/category.h or "none"), the format of the project's test data and of public corpora.
 * Rows with only two or three columns (id<TAB>text, id<TAB>lang<TAB>text... see labelled_read)
 * are accepted where no category is needed (jubao-rules classify).
 */
#ifndef JUBAO_LABELLED_H
#define JUBAO_LABELLED_H

#include <stdbool.h>
#include <stddef.h>

struct labelled_row {
    const char *id, *category, *lang, *text;   /* NUL-terminated, into the file's buffer;
                                           category and lang are "" when the row has none */
    size_t len;                         /* of text */
};

struct labelled {
    struct labelled_row *row;
    size_t n;
    char *data;                         /* the file, owned */
};

/* Reads path ("-" for standard input). With need_category, every row must have the four
 * columns and a known category; without it, a row may also be id<TAB>text or
 * id<TAB>lang<TAB>text. The header line is recognised by its first field "id" and skipped.
 * Returns 0, or -1 with err saying "path:line: reason" (a bad row, a category that is not a
 * code, a text that is not UTF-8, out of memory). */
int labelled_read(struct labelled *out, const char *path, bool need_category, char *err,
                  size_t errlen);
void labelled_free(struct labelled *l);

#endif
