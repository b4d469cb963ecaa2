/*
 * collectors/none.c — `none`: reference counting only.
 *
 * collect() finds nothing, so a cycle lives until the runtime is destroyed,
 * which reclaims it and reports how many there were — the leak a
 * refcount-only Python would have.  Everything else is the layer's default
 * (collectors/dispatch.c): containers are kept on one list so destroy can
 * find them, gc.freeze() works, and collect() still runs a collection of
 * the empty set, so callbacks, statistics and free-list clearing behave as
 * on any collector.
 */
#include "collector_registry.h"

static const hl_collector_ops none_ops = {
    .name = "none",
    .description = "reference counting only; cycles live until the runtime is destroyed",
};

const hl_collector_ops *hl_collector_none(void)
{
    return &none_ops;
}
