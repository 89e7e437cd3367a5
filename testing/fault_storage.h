// FaultStorage: a Storage that forwards to any other and injects faults on
// request, so tests can show what survives a failing disk. Faults: the n-th
// write fails storing nothing; the n-th write is torn (a prefix of its bytes
// becomes the object, as on a backend that broke its all-or-nothing promise,
// then the write fails); space runs out (ENOSPC); every call is slow.
// Thread-safe when the wrapped storage is.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include "trellis/datastore/storage.h"

namespace trellis::test {

struct StorageFaults {
  int fail_write = 0;  // the n-th write from now (1: the next one) fails, storing nothing
  int tear_write = 0;  // the n-th write from now stores `tear_keep` of its bytes, then fails
  double tear_keep = 0.5;
  // Bytes later writes may store in all; a write that does not fit stores
  // nothing and fails with ENOSPC.
  uint64_t space = std::numeric_limits<uint64_t>::max();
  std::chrono::microseconds delay{0};  // every call first waits this long (slow I/O)
};

class FaultStorage final : public Storage {
 public:
  explicit FaultStorage(Storage& inner) : inner_(inner) {}

  // Replaces the faults and restarts the write count.
  void set_faults(const StorageFaults& faults) {
    std::lock_guard lock(mu_);
    faults_ = faults;
    writes_ = 0;
    used_ = 0;
  }
  int writes() const {  // writes attempted since set_faults
    std::lock_guard lock(mu_);
    return writes_;
  }
  int failed_writes() const {
    std::lock_guard lock(mu_);
    return failed_;
  }

  using Storage::read;
  Result<std::string> read(std::string_view key) override {
    wait();
    return inner_.read(key);
  }
  Result<std::string> read(std::string_view key,
                           const std::function<void(std::string_view)>& on_chunk) override {
    wait();
    return inner_.read(key, on_chunk);
  }
  Status write(std::string_view key, const std::vector<std::string_view>& parts) override {
    wait();
    uint64_t size = 0;
    for (auto p : parts) size += p.size();
    int n = 0;
    StorageFaults f;
    {
      std::lock_guard lock(mu_);
      n = ++writes_;
      f = faults_;
      if (n != f.fail_write && n != f.tear_write && size > f.space - used_) {
        ++failed_;
        return io_error("write " + std::string(key) + ": No space left on device (ENOSPC)");
      }
      if (n == f.fail_write || n == f.tear_write)
        ++failed_;
      else
        used_ += size;
    }
    if (n == f.fail_write) return io_error("write " + std::string(key) + ": injected failure");
    if (n == f.tear_write) {
      std::string all;
      for (auto p : parts) all.append(p);
      all.resize(static_cast<size_t>(static_cast<double>(all.size()) * f.tear_keep));
      (void)inner_.write(key, {all});
      return io_error("write " + std::string(key) + ": injected torn write");
    }
    return inner_.write(key, parts);
  }
  Result<bool> exists(std::string_view key) override {
    wait();
    return inner_.exists(key);
  }
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    wait();
    return inner_.list(prefix);
  }
  Result<std::vector<ObjectEntry>> list_entries(std::string_view prefix) override {
    wait();
    return inner_.list_entries(prefix);
  }
  Status remove(std::string_view key) override {
    wait();
    return inner_.remove(key);
  }
  Status touch(std::string_view key) override {
    wait();
    return inner_.touch(key);
  }
  bool trusts_existing() const override { return inner_.trusts_existing(); }
  std::string url() const override { return "fault+" + inner_.url(); }

 private:
  void wait() {
    std::chrono::microseconds d;
    {
      std::lock_guard lock(mu_);
      d = faults_.delay;
    }
    if (d.count() > 0) std::this_thread::sleep_for(d);
  }

  Storage& inner_;
  mutable std::mutex mu_;
  StorageFaults faults_;  // guarded by mu_
  int writes_ = 0;        // guarded by mu_
  int failed_ = 0;        // guarded by mu_
  uint64_t used_ = 0;     // guarded by mu_
};

}  // namespace trellis::test
