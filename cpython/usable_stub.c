#include "allocator.h"
size_t hl_mem_usable_size(hl_allocator *a, void *block);
bool hl_allocator_can_size(const hl_allocator *a);
__attribute__((weak)) size_t hl_mem_usable_size(hl_allocator *a, void *block) { (void)a; (void)block; return 0; }
__attribute__((weak)) bool hl_allocator_can_size(const hl_allocator *a) { (void)a; return false; }
