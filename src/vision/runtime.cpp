#include "trellis/vision/runtime.h"

#include <algorithm>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace trellis::vision {

void tune_cpu_allocator() {
#if defined(__GLIBC__)
  // 1 GiB: above any single activation of a detector at 416-800 px, below "never return memory".
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int intra_op_threads(int requested) {
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace trellis::vision
