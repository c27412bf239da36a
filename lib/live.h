/* live — a holder of the immutable object in force (a rule set, a model) that a newer one
 * replaces while requests still use the old: acquire takes a reference to the current object,
 * release gives it back, swap installs a new one, and an object is freed (by the free
 * callback given at creation) when it is no longer current and its last user released it.
 * Any number of threads may use one holder; the mutex is held only to move a pointer and a
 * count, never while an object is used or freed.
 */
#ifndef JUBAO_LIVE_H
#define JUBAO_LIVE_H

struct live;

/* A holder of obj (which it now owns; NULL for "none yet"), freeing objects with free_obj.
 * Returns NULL when memory ran out; obj is then freed. */
struct live *live_new(void *obj, void (*free_obj)(void *));

/* The current object with a reference taken (NULL when there is none); give it back with
 * live_release. */
void *live_acquire(struct live *l);

/* Gives back a reference from live_acquire; obj may be NULL. */
void live_release(struct live *l, const void *obj);

/* Makes obj (now owned by the holder; may be NULL) current. The old object is freed now if
 * nobody holds it, otherwise by its last live_release. Returns 0, or -1 when memory ran out:
 * obj is then freed and the old object stays current. */
int live_swap(struct live *l, void *obj);

/* Frees the holder and the current object. Every reference must have been released. */
void live_free(struct live *l);

#endif
