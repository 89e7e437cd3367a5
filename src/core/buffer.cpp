#include "trellis/core/buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

namespace trellis {

constexpr int kMadvPopulateWrite = 23;  // MADV_POPULATE_WRITE, Linux 5.14

std::string uninitialized_string(size_t size) {
  std::string out;
  // buffer.cpp is built as C++23 for this (src/core/CMakeLists.txt).
#if defined(__cpp_lib_string_resize_and_overwrite)
  out.resize_and_overwrite(size, [](char*, size_t n) { return n; });
#else
  out.resize(size);
#endif
  return out;
}

PageFaulter::PageFaulter(char* data, size_t size) {
  // Transparent huge pages where the system allows them on request: one fault
  // per 2 MB instead of per 4 KB (each fault is a costly trap on a VM).
  constexpr uintptr_t kHuge = 2u << 20;
  const uintptr_t huge_begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t huge_end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kHuge - 1);
  if (huge_end > huge_begin) {
    (void)::madvise(reinterpret_cast<void*>(huge_begin), huge_end - huge_begin, MADV_HUGEPAGE);
  }
  thread_ = std::thread([this, data, size] {
    constexpr uintptr_t kPage = 4096, kChunk = 8u << 20;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kPage - 1);
    for (uintptr_t a = begin; a < end && !stop_.load(std::memory_order_relaxed); a += kChunk) {
      if (::madvise(reinterpret_cast<void*>(a), std::min<uintptr_t>(kChunk, end - a),
                    kMadvPopulateWrite) != 0) {
        break;  // not supported: the copy faults pages in itself
      }
    }
  });
}

PageFaulter::~PageFaulter() {
  stop_ = true;
  thread_.join();
}

}  // namespace trellis
