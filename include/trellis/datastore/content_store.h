// Content-addressed blobs on top of a Storage. A blob's key is the SHA-256 of
// its bytes before compression, so equal values are stored once whatever the
// compression. Reads re-hash: corrupt bytes are an error, never returned.
// Layout: docs/formats/datastore.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/datastore/storage.h"

namespace trellis {

struct BlobInfo {
  std::string digest;     // lower-case hex SHA-256 of the uncompressed bytes
  uint64_t size = 0;      // uncompressed size
  uint64_t stored = 0;    // bytes written (0 when the blob was already present)
};

// Thread-safe when the Storage is. Borrows `storage`, which must outlive it.
class ContentStore {
 public:
  explicit ContentStore(Storage& storage) : storage_(storage) {}

  // Stores the concatenation of `parts` (no whole copy is made when it is not
  // compressed). zstd only when a sample shows it saves at least 10%. When the
  // blob exists it is read back and re-hashed; a corrupt one (torn write, bit
  // rot) is replaced by the new bytes, a sound one is kept (`stored` 0) and
  // touched (its time refreshed, so gc spares it). A storage that
  // trusts_existing() (S3) is not read back: existing is enough; there a blob
  // of at most kBlindWriteLimit bytes is simply written (one request, and
  // `stored` is what was sent), a larger one is looked up first.
  static constexpr uint64_t kBlindWriteLimit = 1u << 20;
  Result<BlobInfo> put(const std::vector<std::string_view>& parts);
  Result<BlobInfo> put(std::string_view bytes) { return put(std::vector<std::string_view>{bytes}); }
  // put() of each blob (a blob is a list of parts), with the storage's batch
  // calls: one exists_batch, then one write_batch of the missing blobs, so a
  // remote store keeps many requests in flight. One result per blob, in order.
  std::vector<Result<BlobInfo>> put_batch(const std::vector<std::vector<std::string_view>>& blobs);

  // The blob's bytes. kNotFound for an unknown digest, kCorrupt naming the key
  // when the stored bytes do not hash to `digest` or cannot be decoded.
  Result<std::string> get(std::string_view digest);
  // get() of each digest with one read_batch. One result per digest, in order.
  std::vector<Result<std::string>> get_batch(const std::vector<std::string>& digests);
  Result<bool> contains(std::string_view digest);
  // OK when the blob is there and its bytes hash to `digest`; kNotFound,
  // kCorrupt naming the key, or the storage's error otherwise. Reads it whole.
  Status verify(std::string_view digest);

  static std::string object_key(std::string_view digest);  // "objects/3f/3fa94c..."
  Storage& storage() { return storage_; }

 private:
  Status keep_existing(std::string_view digest);
  bool writes_blind(uint64_t size) const;
  Storage& storage_;
};

}  // namespace trellis
