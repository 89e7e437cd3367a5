// safetensors encode/decode (format: docs/formats/checkpoint.md).
#include "trellis/vision/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "trellis/core/fs.h"

namespace trellis::vision {
namespace {

using json = nlohmann::json;

// The spec caps the header at 100 MB to bound memory on hostile input.
constexpr uint64_t kMaxHeader = 100u * 1000u * 1000u;

// dtype_size * product of `shape`; false when a dimension is negative or the product does not
// fit in 64 bits (a header may claim any shape).
bool byte_count(const std::vector<int64_t>& shape, int64_t element_size, uint64_t& out) {
  uint64_t n = static_cast<uint64_t>(element_size);
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return false;
  }
  out = n;
  return true;
}

// Non-negative JSON integers only: get<>() of a float or a negative number would convert
// silently (or, for floats out of range, with undefined behaviour).
template <typename T>
std::vector<T> unsigned_array(const json& v, const char* what) {
  if (!v.is_array()) throw std::invalid_argument(std::string(what) + " is not an array");
  std::vector<T> out;
  for (const json& e : v) {
    if (!e.is_number_unsigned() ||
        e.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      throw std::invalid_argument(std::string(what) + " holds " + e.dump() +
                                  ", not a non-negative integer");
    }
    out.push_back(static_cast<T>(e.get<uint64_t>()));
  }
  return out;
}

}  // namespace

int64_t dtype_size(std::string_view dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

Result<std::string> encode_safetensors(const SafeTensors& st) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : st.tensors) {
    if (name.empty() || name == "__metadata__") {
      return invalid_argument("safetensors: invalid tensor name '" + name + "'");
    }
    const int64_t size = dtype_size(t.dtype);
    if (size == 0) return invalid_argument("safetensors: " + name + ": unknown dtype " + t.dtype);
    uint64_t expected = 0;
    if (!byte_count(t.shape, size, expected)) {
      return invalid_argument("safetensors: " + name + ": negative dimension or shape too large");
    }
    if (t.data.size() != expected) {
      return invalid_argument("safetensors: " + name + ": " + std::to_string(t.data.size()) +
                              " bytes for " + std::to_string(expected) + " expected");
    }
    header[name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + expected}}};
    offset += expected;
  }
  if (!st.metadata.empty()) header["__metadata__"] = st.metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  for (const auto& [name, t] : st.tensors) out += t.data;
  return out;
}

Result<SafeTensors> decode_safetensors(std::string_view bytes) {
  if (bytes.size() < 8) return corrupt("safetensors: shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  if (n > kMaxHeader || n > bytes.size() - 8) {
    return corrupt("safetensors: header length " + std::to_string(n) + " exceeds the data");
  }
  json header;
  try {
    header = json::parse(bytes.substr(8, n));
  } catch (const std::exception& e) {
    return corrupt(std::string("safetensors: header is not JSON: ") + e.what());
  }
  if (!header.is_object()) return corrupt("safetensors: header is not a JSON object");
  const std::string_view data = bytes.substr(8 + n);
  SafeTensors st;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  try {
    for (const auto& [name, v] : header.items()) {
      if (name.empty()) return corrupt("safetensors: a tensor has an empty name");
      if (name == "__metadata__") {
        if (!v.is_object()) return corrupt("safetensors: __metadata__ is not an object");
        for (const auto& [k, val] : v.items()) {
          if (!val.is_string()) return corrupt("safetensors: metadata '" + k + "' is not a string");
          st.metadata[k] = val.get<std::string>();
        }
        continue;
      }
      TensorBytes t;
      t.dtype = v.at("dtype").get<std::string>();
      t.shape = unsigned_array<int64_t>(v.at("shape"), "shape");
      const auto offsets = unsigned_array<uint64_t>(v.at("data_offsets"), "data_offsets");
      const int64_t size = dtype_size(t.dtype);
      if (size == 0) return corrupt("safetensors: " + name + ": unknown dtype " + t.dtype);
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data.size()) {
        return corrupt("safetensors: " + name + ": data_offsets out of range");
      }
      uint64_t expected = 0;
      if (!byte_count(t.shape, size, expected) || offsets[1] - offsets[0] != expected) {
        return corrupt("safetensors: " + name + ": byte range does not match dtype and shape");
      }
      t.data = std::string(data.substr(offsets[0], offsets[1] - offsets[0]));
      ranges.emplace_back(offsets[0], offsets[1]);
      st.tensors.emplace(name, std::move(t));
    }
  } catch (const std::exception& e) {
    return corrupt(std::string("safetensors: malformed header entry: ") + e.what());
  }
  // The spec requires the data to be covered exactly, without holes or overlaps.
  std::sort(ranges.begin(), ranges.end());
  uint64_t expected = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin != expected) return corrupt("safetensors: tensor data has holes or overlaps");
    expected = end;
  }
  if (expected != data.size()) return corrupt("safetensors: trailing bytes after tensor data");
  return st;
}

Status write_file_atomic(const std::string& path, std::string_view bytes) {
  // The engine's writer: an unpredictable temp name opened O_EXCL|O_NOFOLLOW, so a symlink
  // planted beside a checkpoint is never written through (issue 10, item 7).
  return trellis::atomic_write_file(path, bytes);
}

Result<std::string> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::filesystem::exists(path) ? io_error(path + ": cannot open for reading")
                                         : not_found(path + ": no such file");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error(path + ": read failed");
  return ss.str();
}

Status write_safetensors_file(const std::string& path, const SafeTensors& st) {
  auto bytes = encode_safetensors(st);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

Result<SafeTensors> read_safetensors_file(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes.ok()) return bytes.status();
  auto st = decode_safetensors(*bytes);
  if (!st.ok()) return st.status().with_context(path);
  return st;
}

}  // namespace trellis::vision
