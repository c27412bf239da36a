/* rulefile_read — rulefile_read() of rulefile.h: from paths to parsed files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rulefile.h"

#define MAX_FILE (16 << 20)

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(struct rulefile_set *set, char *path)
{
    char **f = path ? realloc(set->files, (set->nfiles + 1) * sizeof *f) : NULL;
    if (!f) {
        free(path);
        return -1;
    }
    set->files = f;
    f[set->nfiles++] = path;
    return 0;
}

/* Adds path, or the *.rules files of the directory path in name order. */
static int expand_path(struct rulefile_set *set, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return add_file(set, strdup(path));
    DIR *d = opendir(path);
    if (!d)
        return add_file(set, strdup(path));  /* reading it reports the error */
    size_t first = set->nfiles;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n <= 6 || strcmp(e->d_name + n - 6, ".rules") != 0 || e->d_name[0] == '.')
            continue;
        char *p = NULL;
        rc = asprintf(&p, "%s/%s", path, e->d_name) < 0 ? -1 : add_file(set, p);
    }
    closedir(d);
    if (set->nfiles - first > 1)
        qsort(set->files + first, set->nfiles - first, sizeof *set->files, cmp_str);
    return rc;
}

/* Reads and parses one file. Returns -1 only when memory ran out. */
static int parse_file(struct rulefile_set *set, const char *path, bool strict, struct buf *errs,
                      size_t *nerrs)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size > MAX_FILE) {
        buf_printf(errs, "%s:0: cannot read: %s\n", path, f ? "too large or unreadable"
                                                            : strerror(errno));
        (*nerrs)++;
        if (f)
            fclose(f);
        return 0;
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t n = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!text)
        return -1;
    int rc = rulefile_parse(path, text, n, strict, &set->specs, &set->nspecs, &set->lx, errs,
                            nerrs);
    free(text);
    return rc;
}

/* Marks a later rule with an id already used as broken (its id is freed). */
static void check_duplicates(struct rulefile_set *set, struct buf *errs, size_t *nerrs)
{
    for (size_t i = 1; i < set->nspecs; i++)
        for (size_t j = 0; j < i; j++) {
            struct rulefile_rule *a = &set->specs[j], *b = &set->specs[i];
            if (!a->id || !b->id || strcmp(a->id, b->id) != 0)
                continue;
            buf_printf(errs, "%s:%d: rule %s: id already used at %s:%d\n", b->file, b->line,
                       b->id, a->file, a->line);
            (*nerrs)++;
            free(b->id);
            b->id = NULL;
            break;
        }
}

int rulefile_read(struct rulefile_set *set, const char *const *paths, size_t n, bool strict,
                  struct buf *errs, size_t *nerrs)
{
    for (size_t i = 0; i < n; i++)
        if (expand_path(set, paths[i]) < 0)
            return -1;
    for (size_t i = 0; i < set->nfiles; i++)
        if (parse_file(set, set->files[i], strict, errs, nerrs) < 0)
            return -1;
    check_duplicates(set, errs, nerrs);
    return 0;
}

void rulefile_set_free(struct rulefile_set *set)
{
    rulefile_free(set->specs, set->nspecs);
    rulefile_lex_free(&set->lx);
    for (size_t i = 0; i < set->nfiles; i++)
        free(set->files[i]);
    free(set->files);
    memset(set, 0, sizeof *set);
}
