// Object storage addressed by relative, '/'-separated keys such as
// "objects/3f/3fa94c...". The seam between the engine and where bytes live:
// a local folder, memory (tests, throwaway runs) and, later, S3-compatible stores.
// All implementations are safe to call from several threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

class Storage {
 public:
  virtual ~Storage() = default;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The whole object. kNotFound when nothing was ever written under `key`.
  virtual Result<std::string> read(std::string_view key) = 0;
  // Same, calling `on_chunk` with a view of the bytes read so far as they
  // arrive (stable data pointer), so callers can hash while reading.
  virtual Result<std::string> read(std::string_view key,
                                   const std::function<void(std::string_view)>& on_chunk) {
    Result<std::string> r = read(key);
    if (r.ok() && on_chunk) on_chunk(*r);
    return r;
  }
  // Stores the concatenation of `parts` under `key`, all or nothing: a reader
  // never sees a half-written object. Overwrites an existing object.
  virtual Status write(std::string_view key, const std::vector<std::string_view>& parts) = 0;
  virtual Result<bool> exists(std::string_view key) = 0;
  // Keys starting with `prefix`, sorted.
  virtual Result<std::vector<std::string>> list(std::string_view prefix) = 0;
  // Where this storage lives, for messages ("file:///srv/trellis").
  virtual std::string url() const = 0;
};

// Picks an implementation by URL: "file:///abs/path" or a plain path (local
// folder), "mem://" (a fresh in-memory store). kInvalidArgument for others.
Result<std::unique_ptr<Storage>> open_storage(std::string_view url);

std::unique_ptr<Storage> make_local_storage(std::string root);
std::unique_ptr<Storage> make_memory_storage();

}  // namespace trellis
