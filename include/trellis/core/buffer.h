// Large byte buffers filled by I/O (file reads, downloads): allocate without
// zero-filling, and fault their pages in ahead of the copy. On this kind of VM
// first-touch page faults of a fresh 256 MB buffer cost about as much as the
// read itself, and zero-filling it costs another ~0.15 s.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>

namespace trellis {

// A string of `size` bytes whose contents are unspecified (the caller
// overwrites all of them).
std::string uninitialized_string(size_t size);

// Faults in the pages of [data, data + size) on a second thread
// (MADV_POPULATE_WRITE, which keeps their contents, so the caller may already
// be writing to them), asking for transparent huge pages first (MADV_HUGEPAGE).
// Stops early and joins when destroyed. Does nothing on kernels without
// MADV_POPULATE_WRITE (< 5.14).
class PageFaulter {
 public:
  PageFaulter(char* data, size_t size);
  ~PageFaulter();
  PageFaulter(const PageFaulter&) = delete;
  PageFaulter& operator=(const PageFaulter&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace trellis
