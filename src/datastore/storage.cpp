// open_storage, and the defaults of Storage's batch calls (one single-key call after another).
#include "trellis/datastore/storage.h"

#include "trellis/datastore/s3_storage.h"

namespace trellis {
namespace {

// "s3:bucket", "gs:x": a scheme-like head before the first ':' and no '/' before it.
bool looks_like_url(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Storage>> open_storage(std::string_view url) {
  if (url.rfind("mem://", 0) == 0) return make_memory_storage();
  if (url.rfind("file://", 0) == 0) return make_local_storage(std::string(url.substr(7)));
  if (url.rfind("s3://", 0) == 0) {
    Result<S3Options> options = s3_options_from_environment(url);
    if (!options.ok()) return options.status();
    return make_s3_storage(std::move(options).value());
  }
  if (looks_like_url(url)) {
    return invalid_argument("unsupported storage URL '" + std::string(url) +
                            "' (expected a path, file:///path, s3://bucket/prefix or mem://)");
  }
  return make_local_storage(std::string(url));
}

std::vector<Result<std::string>> Storage::read_batch(const std::vector<std::string>& keys) {
  std::vector<Result<std::string>> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(read(key));
  return out;
}

std::vector<Status> Storage::write_batch(const std::vector<WriteRequest>& writes) {
  std::vector<Status> out;
  out.reserve(writes.size());
  for (const auto& w : writes) out.push_back(write(w.key, w.parts));
  return out;
}

std::vector<Result<bool>> Storage::exists_batch(const std::vector<std::string>& keys) {
  std::vector<Result<bool>> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(exists(key));
  return out;
}

Status Storage::touch(std::string_view key) {
  Result<std::string> bytes = read(key);
  if (!bytes.ok()) return bytes.status();
  return write(key, {*bytes});
}

}  // namespace trellis
