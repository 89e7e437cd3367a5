#include <chrono>
#include <map>
#include <mutex>

#include "trellis/datastore/storage.h"

namespace trellis {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Real in-memory storage: used by tests and throwaway runs within one process.
class MemoryStorage final : public Storage {
 public:
  using Storage::read;
  Result<std::string> read(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return not_found("no object '" + std::string(key) + "' in mem://");
    return it->second.bytes;
  }
  Status write(std::string_view key, const std::vector<std::string_view>& parts) override {
    std::string bytes;
    for (auto p : parts) bytes.append(p);
    std::lock_guard lock(mu_);
    objects_[std::string(key)] = {std::move(bytes), now_ms()};
    return {};
  }
  Result<bool> exists(std::string_view key) override {
    std::lock_guard lock(mu_);
    return objects_.count(std::string(key)) > 0;
  }
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto it = objects_.lower_bound(std::string(prefix));
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(it->first);
    }
    return out;
  }
  Result<std::vector<ObjectEntry>> list_entries(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    std::vector<ObjectEntry> out;
    for (auto it = objects_.lower_bound(std::string(prefix));
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back({it->first, it->second.bytes.size(), it->second.modified_ms});
    }
    return out;
  }
  Status remove(std::string_view key) override {
    std::lock_guard lock(mu_);
    objects_.erase(std::string(key));
    return {};
  }
  Status touch(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return not_found("no object " + std::string(key) + " in mem://");
    it->second.modified_ms = now_ms();
    return {};
  }
  std::string url() const override { return "mem://"; }

 private:
  struct Object {
    std::string bytes;
    int64_t modified_ms = 0;
  };
  std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<Storage> make_memory_storage() { return std::make_unique<MemoryStorage>(); }

}  // namespace trellis
