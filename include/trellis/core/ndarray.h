// NDArray: an n-dimensional array (dtype + shape + contiguous C-order bytes),
// the engine's tensor value. Stored as NPY so numpy.load reads it directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

enum class DType { kBool, kInt8, kUInt8, kInt16, kUInt16, kInt32, kUInt32, kInt64, kUInt64,
                   kFloat32, kFloat64 };

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);  // "float32"

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<uint16_t>() { return DType::kUInt16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<uint32_t>() { return DType::kUInt32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<uint64_t>() { return DType::kUInt64; }
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }

struct NDArray {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::string data;  // element bytes, C order, little-endian

  // Zero-filled array of `shape`.
  static NDArray zeros(DType dtype, std::vector<int64_t> shape);
  int64_t numel() const;
  template <typename T> T* as() { return reinterpret_cast<T*>(data.data()); }
  template <typename T> const T* as() const { return reinterpret_cast<const T*>(data.data()); }
};

// NPY v1.0 header for `a` (magic, version, length, dict, padding to 64 bytes).
std::string npy_header(const NDArray& a);
// Parses NPY bytes (v1/v2/v3, C order, little-endian or byte-sized types).
// kInvalidArgument naming what is wrong.
Result<NDArray> parse_npy(std::string bytes);

}  // namespace trellis
