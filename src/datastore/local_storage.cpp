#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "trellis/core/fs.h"
#include "trellis/datastore/storage.h"

namespace trellis {
namespace {

bool is_safe_key(std::string_view key) {
  if (key.empty() || key.front() == '/') return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

class LocalStorage final : public Storage {
 public:
  explicit LocalStorage(std::string root) : root_(std::move(root)) {}

  Result<std::string> read(std::string_view key) override {
    if (!is_safe_key(key)) return invalid_argument("bad storage key '" + std::string(key) + "'");
    return read_file(path(key));
  }

  Result<std::string> read(std::string_view key,
                           const std::function<void(std::string_view)>& on_chunk) override {
    if (!is_safe_key(key)) return invalid_argument("bad storage key '" + std::string(key) + "'");
    return read_file(path(key), on_chunk);
  }

  Status write(std::string_view key, const std::vector<std::string_view>& parts) override {
    if (!is_safe_key(key)) return invalid_argument("bad storage key '" + std::string(key) + "'");
    return atomic_write_file(path(key), parts);
  }

  Result<bool> exists(std::string_view key) override {
    if (!is_safe_key(key)) return invalid_argument("bad storage key '" + std::string(key) + "'");
    return path_exists(path(key));
  }

  Result<std::vector<std::string>> list(std::string_view prefix) override {
    Result<std::vector<ObjectEntry>> entries = list_entries(prefix);
    if (!entries.ok()) return entries.status();
    std::vector<std::string> out;
    for (auto& e : *entries) out.push_back(std::move(e.key));
    return out;
  }

  Result<std::vector<ObjectEntry>> list_entries(std::string_view prefix) override {
    std::vector<ObjectEntry> out;
    std::error_code ec;
    const std::filesystem::path root(root_);
    if (!std::filesystem::exists(root, ec)) return out;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      std::string rel = std::filesystem::relative(it->path(), root, ec).generic_string();
      if (rel.find(".tmp.") != std::string::npos) continue;  // an unfinished write
      if (rel.compare(0, prefix.size(), prefix) != 0) continue;
      std::error_code stat_ec;  // a file removed meanwhile is simply not listed
      const uint64_t size = it->file_size(stat_ec);
      const auto mtime = it->last_write_time(stat_ec);
      if (stat_ec) continue;
      const auto since_epoch = std::chrono::file_clock::to_sys(mtime);
      out.push_back({std::move(rel), size,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         since_epoch.time_since_epoch())
                         .count()});
    }
    if (ec) return io_error("list " + root_ + ": " + ec.message());
    std::sort(out.begin(), out.end(),
              [](const ObjectEntry& a, const ObjectEntry& b) { return a.key < b.key; });
    return out;
  }

  Status remove(std::string_view key) override {
    if (!is_safe_key(key)) return invalid_argument("bad storage key '" + std::string(key) + "'");
    std::error_code ec;
    std::filesystem::remove(path(key), ec);
    if (ec) return io_error("remove " + path(key) + ": " + ec.message());
    return {};
  }

  Status touch(std::string_view key) override {
    if (!is_safe_key(key)) return invalid_argument("bad storage key '" + std::string(key) + "'");
    const std::string p = path(key);
    if (::utimensat(AT_FDCWD, p.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0) return {};
    if (errno == ENOENT) return not_found("no object " + p);
    return io_error("touch " + p + ": " + std::strerror(errno));
  }

  std::string url() const override { return "file://" + root_; }

 private:
  std::string path(std::string_view key) const { return root_ + "/" + std::string(key); }
  const std::string root_;
};

}  // namespace

std::unique_ptr<Storage> make_local_storage(std::string root) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(root, ec);
  return std::make_unique<LocalStorage>(ec ? root : abs.lexically_normal().string());
}

}  // namespace trellis
