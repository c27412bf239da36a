/* isotime — a time as jubao writes it everywhere (answers, Redis, the audit chain):
 * UTC to the second, "2026-11-24T22:00:00Z". */
#ifndef JUBAO_ISOTIME_H
#define JUBAO_ISOTIME_H

#include <time.h>

#define ISOTIME_LEN 32

void isotime_format(time_t t, char out[ISOTIME_LEN]);

#endif
