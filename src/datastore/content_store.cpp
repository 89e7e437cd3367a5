#include "trellis/datastore/content_store.h"

#include <zstd.h>

#include <condition_variable>
#include <cstring>
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

}  // namespace

std::string ContentStore::object_key(std::string_view digest) {
  std::string key = "objects/";
  key.append(digest.substr(0, 2));
  key.push_back('/');
  key.append(digest);
  return key;
}

Result<BlobInfo> ContentStore::put(const std::vector<std::string_view>& parts) {
  BlobInfo info;
  info.size = total_size(parts);
  Sha256 hasher;
  for (auto p : parts) hasher.update(p);
  info.digest = hasher.finish_hex();
  const std::string key = object_key(info.digest);
  Result<bool> present = storage_.exists(key);
  if (!present.ok()) return present.status();
  if (*present) {
    // An existing object stands in for this write only if it really holds the
    // content: a torn or rotten one is replaced, else every later run making
    // the same value would fail until someone deleted the file.
    Status sound = verify(info.digest);
    if (sound.ok()) return info;
    if (sound.code() != Code::kCorrupt && sound.code() != Code::kNotFound) return sound;
  }

  if (worth_compressing(parts, info.size)) {
    Result<std::string> packed = compress(parts, info.size);
    if (!packed.ok()) return packed.status();
    if (packed->size() < info.size) {
      const std::string t = trailer(kZstd);
      TRELLIS_RETURN_IF_ERROR(storage_.write(key, {*packed, t}));
      info.stored = packed->size() + t.size();
      return info;
    }
  }
  std::vector<std::string_view> with_trailer = parts;
  const std::string t = trailer(kRaw);
  with_trailer.push_back(t);
  TRELLIS_RETURN_IF_ERROR(storage_.write(key, with_trailer));
  info.stored = info.size + t.size();
  return info;
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
  if (!stored.ok()) {
    if (stored.status().code() == Code::kNotFound) {
      return not_found("blob " + std::string(digest) + " not in " + storage_.url());
    }
    return stored.status();
  }
  std::string bytes = std::move(stored).value();
  if (bytes.size() < kTrailerSize ||
      std::memcmp(bytes.data() + bytes.size() - kTrailerSize, kMagic, 4) != 0) {
    return corrupt(key + ": corrupt blob: missing trailer (truncated or not a trellis blob)");
  }
  const char encoding = bytes[bytes.size() - kTrailerSize + 4];
  bytes.resize(bytes.size() - kTrailerSize);
  std::string actual;
  if (hasher) {
    actual = hasher->finish(encoding == kRaw ? bytes.size() : 0);
    hasher.reset();
  }
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

}  // namespace trellis
