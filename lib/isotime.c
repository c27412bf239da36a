/* isotime — see isotime.h. */
#include "isotime.h"

void isotime_format(time_t t, char out[ISOTIME_LEN])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, ISOTIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
