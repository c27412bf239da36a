/* audit — see audit.h. */
#include "audit.h"

#include <string.h>

#include "buf.h"

/* Every field goes in with its length, so that no two different entries serialize alike. */
int audit_hash(const struct keys *k, const struct audit_entry *e, char out[CRYPTO_HEX_LEN])
{
    const char *fields[] = {e->prev, e->at, e->case_id, e->verdict, e->category, e->reviewer,
                            e->note};
    struct buf b = {0};
    buf_printf(&b, "jubao-audit-1\n%lld\n", e->seq);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        buf_printf(&b, "%zu:%s\n", strlen(fields[i]), fields[i]);
    int rc = b.oom ? -1 : 0;
    if (rc == 0)
        crypto_keyed_hash(k, CRYPTO_AUDIT, b.p, b.len, out);
    buf_free(&b);
    return rc;
}
