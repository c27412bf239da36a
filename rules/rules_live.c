/* rules_live — the holder through which requests use the current rule set while reloads
 * replace it (rules.h): lib/live.h with the rule set's types.
 */
#include "rules.h"

#include <stdlib.h>

#include "live.h"

struct rules_live {
    struct live *live;
};

static void free_set(void *rs)
{
    rules_free(rs);
}

struct rules_live *rules_live_new(struct ruleset *rs)
{
    struct rules_live *rl = malloc(sizeof *rl);
    if (!rl || !(rl->live = live_new(rs, free_set))) {
        if (rl)
            rs = NULL;  /* live_new freed it */
        free(rl);
        rules_free(rs);
        return NULL;
    }
    return rl;
}

const struct ruleset *rules_acquire(struct rules_live *rl)
{
    return live_acquire(rl->live);
}

void rules_release(struct rules_live *rl, const struct ruleset *rs)
{
    live_release(rl->live, rs);
}

void rules_swap(struct rules_live *rl, struct ruleset *rs)
{
    live_swap(rl->live, rs);
}

void rules_live_free(struct rules_live *rl)
{
    if (!rl)
        return;
    live_free(rl->live);
    free(rl);
}
