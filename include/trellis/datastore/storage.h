// Object storage addressed by relative, '/'-separated keys such as
// "objects/3f/3fa94c...". The seam between the engine and where bytes live:
// a local folder, memory (tests, throwaway runs) and S3-compatible object stores
// (s3_storage.h). All implementations are safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

// One object of a write_batch: the concatenation of `parts` goes under `key`.
// The views must stay valid until write_batch returns.
struct WriteRequest {
  std::string key;
  std::vector<std::string_view> parts;
};

// One listed object, for listings that need more than the key (gc).
struct ObjectEntry {
  std::string key;
  uint64_t size = 0;
  int64_t modified_ms = 0;  // last modification, milliseconds since the Unix epoch
};

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
  // Same, with each object's size and last-modified time, sorted by key.
  virtual Result<std::vector<ObjectEntry>> list_entries(std::string_view prefix) = 0;
  // Deletes the object under `key`. OK when there is none.
  virtual Status remove(std::string_view key) = 0;
  // Makes the object's modified time now, as if just written: a writer that
  // reuses an existing object calls it, and `trellis gc` spares recent objects,
  // so it cannot take one a running task has just reused. kNotFound when absent.
  // The default rewrites the object; stores override it with something cheaper.
  virtual Status touch(std::string_view key);

  // Batch forms: one result per input, in input order; each result is what the
  // single-key call would have returned. The defaults loop over the single-key
  // calls; remote stores override them to keep many requests in flight.
  virtual std::vector<Result<std::string>> read_batch(const std::vector<std::string>& keys);
  virtual std::vector<Status> write_batch(const std::vector<WriteRequest>& writes);
  virtual std::vector<Result<bool>> exists_batch(const std::vector<std::string>& keys);

  // True when a write is all-or-nothing and an existing object can be trusted
  // without reading it back (S3: an object appears only once its upload is
  // complete). False for the local folder, where ContentStore re-reads and
  // re-hashes an existing blob to repair torn writes.
  virtual bool trusts_existing() const { return false; }
  // Where this storage lives, for messages ("file:///srv/trellis").
  virtual std::string url() const = 0;
};

// Picks an implementation by URL: "file:///abs/path" or a plain path (local
// folder), "mem://" (a fresh in-memory store), "s3://bucket/prefix" (S3Storage
// configured from the AWS environment: s3_options_from_environment). Any other
// scheme, or a path that looks like a mistyped URL ("s3:bucket"), is
// kInvalidArgument naming the URL.
Result<std::unique_ptr<Storage>> open_storage(std::string_view url);

std::unique_ptr<Storage> make_local_storage(std::string root);
std::unique_ptr<Storage> make_memory_storage();

}  // namespace trellis
