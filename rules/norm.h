/* norm — NFKC + case folding (the same bytes as text_normalize) that remembers where each
 * piece of the normalized text came from, so that a match found in normalized text can be
 * mapped back to the original: redaction replaces the original bytes, whole characters only.
 *
 * lib/text.h has no offset map, so the text is normalized here piece by piece: it is cut
 * before every "cut-safe" character (see norm.c) and each piece is normalized on its own, the
 * common ones inline, the rest through text_normalize(). Buffers are reused between calls.
 */
#ifndef JUBAO_NORM_H
#define JUBAO_NORM_H

#include <stdbool.h>
#include <stddef.h>

struct norm_seg;

struct norm {
    char *s;                    /* the normalized text, NUL-terminated */
    size_t len, cap;
    size_t origlen;
    struct norm_seg *seg;       /* where the pieces came from */
    size_t nseg, segcap;
};

/* Normalizes the len bytes at s into n (whose earlier contents are replaced). Returns 0, or
 * -1 when s is not valid UTF-8 or memory ran out. */
int norm_text(struct norm *n, const char *s, size_t len);

/* The original byte range [*os, *oe) that the normalized range [ns, ne) came from, widened to
 * whole original characters (a full-width digit is three original bytes for one normalized). */
void norm_span(const struct norm *n, size_t ns, size_t ne, size_t *os, size_t *oe);

/* Frees the buffers (n itself is the caller's). */
void norm_free(struct norm *n);

/* True when the code point is one norm.c cuts before (exposed for the tests). */
bool norm_cut_safe(unsigned cp);

#endif
