/* budget — how many request-body bytes the gateway holds in memory at once, in total and per
 * client address, so that no number of connections can take its memory.
 *
 * Every request that carries a body reserves its bytes before the first byte is read: the
 * declared Content-Length, or, for a chunked body, each chunk as it comes. A large body (over
 * the threshold, such as a form with an evidence image) may use the budget only up to seven
 * eighths of it, and one address may have only a few large bodies in flight; the last eighth
 * stays for small requests, so that platforms' JSON reports go on being taken while uploads
 * are refused. A refusal is an answer (503 with Retry-After), never a wait.
 *
 * Thread-safe: the HTTP threads of every connection share one budget.
 */
#ifndef JUBAO_BUDGET_H
#define JUBAO_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct budget;

/* total: bytes of bodies in flight at most; large: bodies over this many bytes are large;
 * per_addr: large bodies in flight per client address at most. Returns NULL when out of
 * memory. */
struct budget *budget_new(size_t total, size_t large, int per_addr);
void budget_free(struct budget *b);

enum budget_refusal { BUDGET_OK, BUDGET_FULL, BUDGET_ADDRESS };

/* Takes a large-upload place for addr. Returns BUDGET_OK, or BUDGET_ADDRESS when addr has
 * per_addr large bodies in flight already (or the table of addresses is full). Give the
 * place back with budget_leave. */
enum budget_refusal budget_enter(struct budget *b, const char *addr);
void budget_leave(struct budget *b, const char *addr);

/* Reserves n more bytes for a body, large or not. Returns BUDGET_OK, or BUDGET_FULL (nothing
 * reserved). */
enum budget_refusal budget_take(struct budget *b, size_t n, bool large);
/* Gives back n reserved bytes. */
void budget_give(struct budget *b, size_t n);
/* Bytes reserved now (for /metrics and tests). */
size_t budget_used(const struct budget *b);

#endif
