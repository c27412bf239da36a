/* pwcheck — the threads that verify reviewers' passwords, apart from the HTTP threads.
 *
 * One Argon2id verification takes 64 MiB and tens of milliseconds of a core. On the HTTP
 * threads a burst of logins would stall every report queued behind it, so a login hands its
 * password to this small pool and suspends its connection. Room is bounded: a login reserves
 * a place (in work or waiting) before it asks Redis anything, and when every place is taken it
 * is refused at once (503) instead of waiting in an ever longer line.
 */
#ifndef JUBAO_PWCHECK_H
#define JUBAO_PWCHECK_H

#include <stdbool.h>
#include <stddef.h>

struct pwcheck;

/* One verification. hash may be NULL (an unknown user: the same work, then false). The
 * strings must live until done is called; done runs on a pool thread with ok set, and after
 * it the pool no longer touches the task. */
struct pwcheck_task {
    const char *hash;
    const char *password;
    size_t len;
    bool ok;
    void (*done)(struct pwcheck_task *task, void *arg);
    void *arg;
    struct pwcheck_task *next;   /* the pool's own */
};

/* Starts threads (1 or more) verifying in turn, with room for threads + queue tasks in all.
 * Returns NULL when out of memory or threads, having started nothing. */
struct pwcheck *pwcheck_new(int threads, int queue);
/* Verifies the tasks still waiting, then stops the threads. Accepts NULL. */
void pwcheck_free(struct pwcheck *p);

/* Takes one place. Returns false when all are taken (the caller answers 503). */
bool pwcheck_reserve(struct pwcheck *p);
/* Gives back a place that will not be used (the login was refused before verifying). */
void pwcheck_cancel(struct pwcheck *p);
/* Queues the task in the place reserved for it; the place is free again once done ran. */
void pwcheck_submit(struct pwcheck *p, struct pwcheck_task *task);

#endif
