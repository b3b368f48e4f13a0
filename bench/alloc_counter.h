// Heap allocation counter for benchmarks: linking alloc_counter.cc into a bench binary replaces
// the global operator new/delete with counting versions (malloc/free underneath).
#pragma once

#include <cstdint>

namespace holdfast::bench {
// Calls to any global operator new form since the process started (relaxed atomic).
uint64_t allocation_count() noexcept;
}  // namespace holdfast::bench
