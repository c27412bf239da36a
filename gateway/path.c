/* path — see path.h. */
#include "path.h"

#include <stdio.h>
#include <string.h>

bool path_match(const char *pattern, const char *path, char ids[PATH_IDS][PATH_ID_MAX])
{
    int k = 0;
    while (*pattern) {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/");
            if (n == 0 || k == PATH_IDS)
                return false;
            snprintf(ids[k++], PATH_ID_MAX, "%.*s", n < PATH_ID_MAX ? (int)n : 0, path);
            path += n;
            pattern++;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *path == '\0';
}
