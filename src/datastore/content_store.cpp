#include "trellis/datastore/content_store.h"

#include <zstd.h>

#include <cstring>

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
  if (*present) return info;

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

Result<std::string> ContentStore::get(std::string_view digest) {
  if (!is_sha256_hex(digest)) return invalid_argument("bad digest '" + std::string(digest) + "'");
  const std::string key = object_key(digest);
  Result<std::string> stored = storage_.read(key);
  if (!stored.ok()) {
    if (stored.status().code() == Code::kNotFound) {
      return not_found("blob " + std::string(digest) + " not in " + storage_.url());
    }
    return stored.status();
  }
  std::string bytes = std::move(stored).value();
  if (bytes.size() < kTrailerSize ||
      std::memcmp(bytes.data() + bytes.size() - kTrailerSize, kMagic, 4) != 0) {
    return corrupt(key + ": missing trailer (truncated or not a trellis blob)");
  }
  const char encoding = bytes[bytes.size() - kTrailerSize + 4];
  bytes.resize(bytes.size() - kTrailerSize);
  if (encoding == kZstd) {
    unsigned long long n = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN) {
      return corrupt(key + ": bad zstd frame");
    }
    std::string plain(n, '\0');
    size_t r = ZSTD_decompress(plain.data(), plain.size(), bytes.data(), bytes.size());
    if (ZSTD_isError(r) || r != n) return corrupt(key + ": zstd: cannot decompress");
    bytes = std::move(plain);
  } else if (encoding != kRaw) {
    return corrupt(key + ": unknown encoding " + std::to_string(int(encoding)));
  }
  if (sha256_hex(bytes) != digest) return corrupt(key + ": content does not match its hash");
  return bytes;
}

}  // namespace trellis
