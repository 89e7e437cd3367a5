#include "trellis/datastore/content_store.h"

#include <zstd.h>

#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "trellis/core/hash.h"

namespace trellis {
namespace {

// Every object ends with an 8-byte trailer: magic "TRB1", encoding, 3 zero bytes.
// A trailer (not a header) lets a raw blob be returned by shrinking the buffer
// that was read, without moving 256 MB by 8 bytes.
constexpr char kMagic[4] = {'T', 'R', 'B', '1'};
constexpr size_t kTrailerSize = 8;
enum Encoding : char { kRaw = 0, kZstd = 1 };

constexpr size_t kSampleBytes = 128 * 1024;
constexpr size_t kMinCompressBytes = 256;

std::string trailer(Encoding e) {
  std::string t(kMagic, 4);
  t.push_back(e);
  t.append(3, '\0');
  return t;
}

uint64_t total_size(const std::vector<std::string_view>& parts) {
  uint64_t n = 0;
  for (auto p : parts) n += p.size();
  return n;
}

// First kSampleBytes of the concatenation, compressed fast: is zstd worth it?
bool worth_compressing(const std::vector<std::string_view>& parts, uint64_t size) {
  if (size < kMinCompressBytes) return false;
  std::string sample;
  for (auto p : parts) {
    sample.append(p.substr(0, kSampleBytes - sample.size()));
    if (sample.size() >= kSampleBytes) break;
  }
  std::string out(ZSTD_compressBound(sample.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), sample.data(), sample.size(), 1);
  return !ZSTD_isError(n) && n * 10 < sample.size() * 9;
}

Result<std::string> compress(const std::vector<std::string_view>& parts, uint64_t size) {
  std::string out(ZSTD_compressBound(size), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, size > (8u << 20) ? 1 : 3);
  ZSTD_CCtx_setPledgedSrcSize(cctx, size);
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    ZSTD_inBuffer ib{parts[i].data(), parts[i].size(), 0};
    const bool last = i + 1 == parts.size();
    for (;;) {
      size_t r = ZSTD_compressStream2(cctx, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(r)) {
        ZSTD_freeCCtx(cctx);
        return internal_error(std::string("zstd: ") + ZSTD_getErrorName(r));
      }
      if (last ? r == 0 : ib.pos == ib.size) break;
    }
  }
  if (parts.empty()) {
    ZSTD_inBuffer ib{nullptr, 0, 0};
    ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
  }
  ZSTD_freeCCtx(cctx);
  out.resize(ob.pos);
  return out;
}

// Hashes a buffer that is still being filled, on a second thread, so reading
// and hashing a large blob overlap. The last kTrailerSize bytes seen so far are
// held back: they may be the trailer, which is not part of the content.
class BackgroundHasher {
 public:
  BackgroundHasher() : thread_([this] { work(); }) {}
  ~BackgroundHasher() {
    if (thread_.joinable()) finish(0);
  }
  void feed(std::string_view so_far) {
    std::lock_guard lock(mu_);
    base_ = so_far.data();
    ready_ = so_far.size() >= kTrailerSize ? so_far.size() - kTrailerSize : 0;
    cv_.notify_one();
  }
  // Hash of the first `size` bytes (size <= bytes fed).
  std::string finish(size_t size) {
    {
      std::lock_guard lock(mu_);
      ready_ = size;
      closed_ = true;
      cv_.notify_one();
    }
    thread_.join();
    return sha_.finish_hex();
  }

 private:
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return closed_ || ready_ > hashed_; });
      if (ready_ > hashed_) {
        const char* p = base_ + hashed_;
        const size_t n = ready_ - hashed_;
        lock.unlock();
        sha_.update(std::string_view(p, n));
        lock.lock();
        hashed_ += n;
        continue;
      }
      if (closed_) return;
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  const char* base_ = nullptr;  // guarded by mu_
  size_t ready_ = 0;            // guarded by mu_
  size_t hashed_ = 0;           // guarded by mu_
  bool closed_ = false;         // guarded by mu_
  Sha256 sha_;                  // used by the worker only, until finish()
  std::thread thread_;
};

constexpr size_t kBackgroundHashMin = 8u << 20;

// A storage error for `digest`, with kNotFound reworded to name the store.
Status not_found_in(const Storage& storage, std::string_view digest, const Status& error) {
  if (error.code() != Code::kNotFound) return error;
  return not_found("blob " + std::string(digest) + " not in " + storage.url());
}

// The content of a stored object: strips the trailer, decompresses, checks the
// hash. `hasher`, when given, has seen the stored bytes as they were read.
Result<std::string> decode_blob(const std::string& key, std::string_view digest,
                                std::string bytes, BackgroundHasher* hasher) {
  if (bytes.size() < kTrailerSize ||
      std::memcmp(bytes.data() + bytes.size() - kTrailerSize, kMagic, 4) != 0) {
    return corrupt(key + ": corrupt blob: missing trailer (truncated or not a trellis blob)");
  }
  const char encoding = bytes[bytes.size() - kTrailerSize + 4];
  bytes.resize(bytes.size() - kTrailerSize);
  std::string actual;
  if (hasher) actual = hasher->finish(encoding == kRaw ? bytes.size() : 0);
  if (encoding == kZstd) {
    unsigned long long n = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN) {
      return corrupt(key + ": corrupt blob: bad zstd frame");
    }
    std::string plain(n, '\0');
    size_t r = ZSTD_decompress(plain.data(), plain.size(), bytes.data(), bytes.size());
    if (ZSTD_isError(r) || r != n) return corrupt(key + ": corrupt blob: zstd cannot decompress it");
    bytes = std::move(plain);
  } else if (encoding != kRaw) {
    return corrupt(key + ": unknown encoding " + std::to_string(int(encoding)));
  }
  if (actual.empty() || encoding != kRaw) actual = sha256_hex(bytes);
  if (actual != digest) return corrupt(key + ": corrupt blob: content does not match its hash");
  return bytes;
}

}  // namespace

std::string ContentStore::object_key(std::string_view digest) {
  std::string key = "objects/";
  key.append(digest.substr(0, 2));
  key.push_back('/');
  key.append(digest);
  return key;
}

namespace {

// A blob ready to be written: views of the caller's parts plus the trailer, or
// of the compressed frame plus the trailer. Owns the frame and the trailer, so
// it must not move once filled (the views point into it).
struct EncodedBlob {
  std::string packed;
  std::string trailer;
  std::vector<std::string_view> parts;
  uint64_t stored = 0;
};

Status encode_blob(const std::vector<std::string_view>& parts, uint64_t size, EncodedBlob& blob) {
  if (worth_compressing(parts, size)) {
    Result<std::string> packed = compress(parts, size);
    if (!packed.ok()) return packed.status();
    if (packed->size() < size) {
      blob.packed = std::move(packed).value();
      blob.trailer = trailer(kZstd);
      blob.parts = {blob.packed, blob.trailer};
      blob.stored = blob.packed.size() + blob.trailer.size();
      return {};
    }
  }
  blob.trailer = trailer(kRaw);
  blob.parts = parts;
  blob.parts.push_back(blob.trailer);
  blob.stored = size + blob.trailer.size();
  return {};
}

BlobInfo describe(const std::vector<std::string_view>& parts) {
  BlobInfo info;
  info.size = total_size(parts);
  Sha256 hasher;
  for (auto p : parts) hasher.update(p);
  info.digest = hasher.finish_hex();
  return info;
}

}  // namespace

// On a store that trusts existing objects, a small value is written without
// asking whether it is there: one request instead of two (a HEAD, then a PUT
// or a touch), and the write refreshes its time for gc as a touch would.
bool ContentStore::writes_blind(uint64_t size) const {
  return storage_.trusts_existing() && size <= kBlindWriteLimit;
}

Result<BlobInfo> ContentStore::put(const std::vector<std::string_view>& parts) {
  BlobInfo info = describe(parts);
  const std::string key = object_key(info.digest);
  Result<bool> present = writes_blind(info.size) ? Result<bool>(false) : storage_.exists(key);
  if (!present.ok()) return present.status();
  if (*present) {
    Status kept = keep_existing(info.digest);
    if (kept.ok()) return info;
    if (kept.code() != Code::kCorrupt && kept.code() != Code::kNotFound) return kept;
  }
  EncodedBlob blob;
  TRELLIS_RETURN_IF_ERROR(encode_blob(parts, info.size, blob));
  TRELLIS_RETURN_IF_ERROR(storage_.write(key, blob.parts));
  info.stored = blob.stored;
  return info;
}

// An existing object stands in for a write only if it really holds the
// content: a torn or rotten one is replaced, else every later run making the
// same value would fail until someone deleted the file. A storage whose writes
// are all-or-nothing (S3) is trusted without reading the object back.
// Kept, it is touched: `trellis gc` spares objects modified after the oldest
// running task started, so a value reused by a running task stays. An object
// gone meanwhile (kNotFound) is written again by the caller.
Status ContentStore::keep_existing(std::string_view digest) {
  if (!storage_.trusts_existing()) TRELLIS_RETURN_IF_ERROR(verify(digest));
  return storage_.touch(object_key(digest));
}

std::vector<Result<BlobInfo>> ContentStore::put_batch(
    const std::vector<std::vector<std::string_view>>& blobs) {
  std::vector<Result<BlobInfo>> out;
  std::vector<std::string> keys;
  for (const auto& parts : blobs) {
    out.emplace_back(describe(parts));
    keys.push_back(object_key(out.back()->digest));
  }
  std::vector<std::string> asked;  // keys whose presence is worth a request
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (!writes_blind(out[i]->size)) asked.push_back(keys[i]);
  }
  std::vector<Result<bool>> answers = storage_.exists_batch(asked);
  std::vector<Result<bool>> present;
  for (size_t i = 0, a = 0; i < blobs.size(); ++i) {
    present.push_back(writes_blind(out[i]->size) ? Result<bool>(false) : std::move(answers[a++]));
  }
  // Blobs to write, each distinct digest once (a batch may repeat a value).
  std::vector<size_t> to_write;
  std::vector<std::unique_ptr<EncodedBlob>> encoded;
  std::vector<WriteRequest> writes;
  std::map<std::string, size_t> first_of;  // digest -> index in `out` that writes it
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (!present[i].ok()) {
      out[i] = present[i].status();
      continue;
    }
    if (*present[i]) {
      Status kept = keep_existing(out[i]->digest);
      if (kept.ok()) continue;
      if (kept.code() != Code::kCorrupt && kept.code() != Code::kNotFound) {
        out[i] = kept;
        continue;
      }
    }
    if (!first_of.emplace(out[i]->digest, i).second) continue;
    // On the heap: the views into a blob stay valid while `encoded` grows.
    auto blob = std::make_unique<EncodedBlob>();
    if (Status s = encode_blob(blobs[i], out[i]->size, *blob); !s.ok()) {
      out[i] = s;
      continue;
    }
    encoded.push_back(std::move(blob));
    writes.push_back({keys[i], encoded.back()->parts});
    to_write.push_back(i);
  }
  std::vector<Status> written = storage_.write_batch(writes);
  for (size_t w = 0; w < to_write.size(); ++w) {
    const size_t i = to_write[w];
    if (!written[w].ok()) {
      out[i] = written[w];
      continue;
    }
    out[i]->stored = encoded[w]->stored;
  }
  // A repeated value within the batch shares the fate of its first copy.
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].ok()) continue;
    auto it = first_of.find(out[i]->digest);
    if (it != first_of.end() && it->second != i && !out[it->second].ok()) {
      out[i] = out[it->second].status();
    }
  }
  return out;
}

Result<bool> ContentStore::contains(std::string_view digest) {
  if (!is_sha256_hex(digest)) return invalid_argument("bad digest '" + std::string(digest) + "'");
  return storage_.exists(object_key(digest));
}

Status ContentStore::verify(std::string_view digest) {
  Result<std::string> bytes = get(digest);
  return bytes.status();
}

Result<std::string> ContentStore::get(std::string_view digest) {
  if (!is_sha256_hex(digest)) return invalid_argument("bad digest '" + std::string(digest) + "'");
  const std::string key = object_key(digest);
  std::optional<BackgroundHasher> hasher;
  Result<std::string> stored = storage_.read(key, [&](std::string_view so_far) {
    if (!hasher && so_far.size() >= kBackgroundHashMin) hasher.emplace();
    if (hasher) hasher->feed(so_far);
  });
  if (!stored.ok()) return not_found_in(storage_, digest, stored.status());
  return decode_blob(key, digest, std::move(stored).value(), hasher ? &*hasher : nullptr);
}

std::vector<Result<std::string>> ContentStore::get_batch(const std::vector<std::string>& digests) {
  std::vector<Result<std::string>> out(digests.size(), Result<std::string>(std::string()));
  std::vector<std::string> keys;
  std::vector<size_t> asked;
  for (size_t i = 0; i < digests.size(); ++i) {
    if (!is_sha256_hex(digests[i])) {
      out[i] = invalid_argument("bad digest '" + digests[i] + "'");
      continue;
    }
    keys.push_back(object_key(digests[i]));
    asked.push_back(i);
  }
  std::vector<Result<std::string>> stored = storage_.read_batch(keys);
  for (size_t k = 0; k < asked.size(); ++k) {
    const size_t i = asked[k];
    if (!stored[k].ok()) {
      out[i] = not_found_in(storage_, digests[i], stored[k].status());
      continue;
    }
    out[i] = decode_blob(keys[k], digests[i], std::move(stored[k]).value(), nullptr);
  }
  return out;
}

}  // namespace trellis
