#include "trellis/core/ndarray.h"

#include <charconv>
#include <cstring>

namespace trellis {
namespace {

struct DTypeInfo {
  DType type;
  const char* descr;  // numpy descr
  const char* name;
  size_t size;
};

constexpr DTypeInfo kTypes[] = {
    {DType::kBool, "|b1", "bool", 1},       {DType::kInt8, "|i1", "int8", 1},
    {DType::kUInt8, "|u1", "uint8", 1},     {DType::kInt16, "<i2", "int16", 2},
    {DType::kUInt16, "<u2", "uint16", 2},   {DType::kInt32, "<i4", "int32", 4},
    {DType::kUInt32, "<u4", "uint32", 4},   {DType::kInt64, "<i8", "int64", 8},
    {DType::kUInt64, "<u8", "uint64", 8},   {DType::kFloat32, "<f4", "float32", 4},
    {DType::kFloat64, "<f8", "float64", 8},
};

const DTypeInfo& info(DType t) {
  for (const auto& i : kTypes) {
    if (i.type == t) return i;
  }
  return kTypes[0];
}

// Value of `key` in the NPY header dict, e.g. "'<f4'" or "(3, 4)".
std::string_view dict_value(std::string_view dict, std::string_view key) {
  std::string quoted(1, '\'');
  quoted.append(key);
  quoted.push_back('\'');
  size_t k = dict.find(quoted);
  if (k == std::string_view::npos) return {};
  size_t colon = dict.find(':', k + quoted.size());
  if (colon == std::string_view::npos) return {};
  size_t start = dict.find_first_not_of(' ', colon + 1);
  if (start == std::string_view::npos) return {};
  size_t end = dict[start] == '(' ? dict.find(')', start) + 1 : dict.find(',', start);
  if (end == std::string_view::npos || end == 0) end = dict.find('}', start);
  return dict.substr(start, end - start);
}

}  // namespace

size_t dtype_size(DType t) { return info(t).size; }
std::string_view dtype_name(DType t) { return info(t).name; }

NDArray NDArray::zeros(DType dtype, std::vector<int64_t> shape) {
  NDArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.assign(static_cast<size_t>(a.numel()) * dtype_size(dtype), '\0');
  return a;
}

int64_t NDArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string npy_header(const NDArray& a) {
  std::string dict = "{'descr': '";
  dict += info(a.dtype).descr;
  dict += "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    dict += std::to_string(a.shape[i]);
    if (a.shape.size() == 1 || i + 1 < a.shape.size()) dict += ",";
    if (i + 1 < a.shape.size()) dict += " ";
  }
  dict += "), }";
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string h = "\x93NUMPY";
  h += '\x01';
  h += '\x00';
  h += static_cast<char>(dict.size() & 0xff);
  h += static_cast<char>(dict.size() >> 8);
  return h + dict;
}

Result<NDArray> parse_npy(std::string bytes) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    return invalid_argument("not NPY data (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return invalid_argument("NPY header truncated");
    uint32_t len;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    offset = 12;
  } else {
    return invalid_argument("unsupported NPY version " + std::to_string(major));
  }
  if (bytes.size() < offset + header_len) return invalid_argument("NPY header truncated");
  const std::string_view dict(bytes.data() + offset, header_len);
  NDArray a;
  std::string_view descr = dict_value(dict, "descr");
  bool found = false;
  for (const auto& t : kTypes) {
    std::string quoted = std::string("'") + t.descr + "'";
    std::string alt = quoted;
    if (alt[1] == '|') alt[1] = '<';
    if (descr == quoted || descr == alt) {
      a.dtype = t.type;
      found = true;
    }
  }
  if (!found) return invalid_argument("unsupported NPY dtype " + std::string(descr));
  if (dict_value(dict, "fortran_order") != "False") {
    return invalid_argument("NPY in Fortran order is not supported");
  }
  std::string_view shape = dict_value(dict, "shape");
  if (shape.size() < 2 || shape.front() != '(') return invalid_argument("bad NPY shape");
  std::string num;
  for (char c : shape.substr(1)) {
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (!num.empty()) {
      int64_t d = 0;
      const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
      if (ec != std::errc()) return invalid_argument("NPY dimension " + num + " is too large");
      a.shape.push_back(d);
      num.clear();
    }
  }
  // The byte count the shape needs, without overflow: a header may claim any dimensions.
  uint64_t expected = dtype_size(a.dtype);
  for (int64_t d : a.shape) {
    if (__builtin_mul_overflow(expected, static_cast<uint64_t>(d), &expected)) {
      return invalid_argument("NPY shape " + std::string(shape) + " is too large");
    }
  }
  const size_t data_at = offset + header_len;
  if (bytes.size() - data_at != expected) {
    return invalid_argument("NPY data has " + std::to_string(bytes.size() - data_at) +
                            " bytes, shape needs " + std::to_string(expected));
  }
  // The header is small: moving the data down by it once is the only copy.
  bytes.erase(0, data_at);
  a.data = std::move(bytes);
  return a;
}

}  // namespace trellis
