/* assert_text — string assertions for the cmocka unit tests that print both sides. */
#ifndef JUBAO_ASSERT_TEXT_H
#define JUBAO_ASSERT_TEXT_H

#include <string.h>

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (!strstr(h_, n_))                                                   \
            fail_msg("\"%s\" does not contain \"%s\"", h_, n_);                \
    } while (0)

#define assert_not_contains(hay, needle)                                       \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (strstr(h_, n_))                                                    \
            fail_msg("\"%s\" contains \"%s\"", h_, n_);                        \
    } while (0)

#define assert_starts_with(s, prefix)                                          \
    do {                                                                       \
        const char *s_ = (s), *p_ = (prefix);                                  \
        if (strncmp(s_, p_, strlen(p_)) != 0)                                  \
            fail_msg("\"%s\" does not start with \"%s\"", s_, p_);             \
    } while (0)

#endif
