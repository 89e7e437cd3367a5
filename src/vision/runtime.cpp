#include "trellis/vision/runtime.h"

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

}  // namespace trellis::vision
