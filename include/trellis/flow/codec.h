// Codec<T>: how a C++ value becomes artifact bytes and back. Formats are
// portable so Python can read them (docs/formats/artifacts.md):
//   "json"  bool, integers, double, string, vectors/maps of those, Json
//   "bytes" Bytes (raw, as they are)
//   "npy"   NDArray
// Specialize Codec<T> for your own types: name, type_name, encode, decode.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trellis/core/json.h"
#include "trellis/core/ndarray.h"
#include "trellis/core/status.h"

namespace trellis {

// Raw bytes kept as they are (images, checkpoints, files).
struct Bytes {
  std::string data;
};

// What an encoder produces: an owned part followed by a borrowed one, so large
// values (arrays) are stored without a whole copy. `borrowed` points into the
// value being encoded and is valid while it is.
struct Encoded {
  std::string owned;
  std::string_view borrowed;
};

template <typename T, typename Enable = void>
struct Codec;  // no codec for this type: specialize Codec<T>

namespace detail {
template <typename T> struct JsonTypeName { static std::string get() { return "json"; } };
template <> struct JsonTypeName<bool> { static std::string get() { return "bool"; } };
template <> struct JsonTypeName<int> { static std::string get() { return "int32"; } };
template <> struct JsonTypeName<int64_t> { static std::string get() { return "int64"; } };
template <> struct JsonTypeName<double> { static std::string get() { return "double"; } };
template <> struct JsonTypeName<std::string> { static std::string get() { return "string"; } };
template <typename T> struct JsonTypeName<std::vector<T>> {
  static std::string get() { return "vector<" + JsonTypeName<T>::get() + ">"; }
};
template <typename T> struct JsonTypeName<std::map<std::string, T>> {
  static std::string get() { return "map<string," + JsonTypeName<T>::get() + ">"; }
};

template <typename T> struct IsJsonValue : std::false_type {};
template <> struct IsJsonValue<bool> : std::true_type {};
template <> struct IsJsonValue<int> : std::true_type {};
template <> struct IsJsonValue<int64_t> : std::true_type {};
template <> struct IsJsonValue<uint64_t> : std::true_type {};
template <> struct IsJsonValue<double> : std::true_type {};
template <> struct IsJsonValue<float> : std::true_type {};
template <> struct IsJsonValue<std::string> : std::true_type {};
template <> struct IsJsonValue<Json> : std::true_type {};
template <typename T> struct IsJsonValue<std::vector<T>> : IsJsonValue<T> {};
template <typename T> struct IsJsonValue<std::map<std::string, T>> : IsJsonValue<T> {};

// Whether every number in `j` fits the arithmetic type T (or its elements) holds, so that
// get_to() never wraps an integer (4294967297 read as int 1) or converts an out-of-range float
// to an integer, which is undefined behaviour. Mismatched kinds are left to get_to()'s error.
template <typename T>
struct Fits {
  static bool check(const Json& j) {
    if constexpr (std::is_same_v<T, bool> || !std::is_arithmetic_v<T>) {
      return true;  // bool, std::string, Json
    } else if (!j.is_number()) {
      return true;
    } else if constexpr (std::is_floating_point_v<T>) {
      const double d = j.get<double>();
      return d >= -std::numeric_limits<T>::max() && d <= std::numeric_limits<T>::max();
    } else if constexpr (std::is_unsigned_v<T>) {
      if (j.is_number_unsigned()) return j.get<uint64_t>() <= std::numeric_limits<T>::max();
      if (j.is_number_integer()) return false;  // negative
      const double d = j.get<double>();
      return d > -1 && d < 18446744073709551616.0 &&
             static_cast<uint64_t>(d) <= std::numeric_limits<T>::max();
    } else {
      return json_integer(j, std::numeric_limits<T>::min(), std::numeric_limits<T>::max())
          .has_value();
    }
  }
};
template <typename T>
struct Fits<std::vector<T>> {
  static bool check(const Json& j) {
    if (!j.is_array()) return true;
    for (const Json& e : j)
      if (!Fits<T>::check(e)) return false;
    return true;
  }
};
template <typename T>
struct Fits<std::map<std::string, T>> {
  static bool check(const Json& j) {
    if (!j.is_object()) return true;
    for (const auto& [k, v] : j.items())
      if (!Fits<T>::check(v)) return false;
    return true;
  }
};
}  // namespace detail

template <typename T>
struct Codec<T, std::enable_if_t<detail::IsJsonValue<T>::value>> {
  static std::string name() { return "json"; }
  static std::string type_name() { return detail::JsonTypeName<T>::get(); }
  static Encoded encode(const T& v) { return {Json(v).dump(), {}}; }
  static Result<T> decode(std::string bytes) {
    Result<Json> j = parse_json(bytes, "artifact");
    if (!j.ok()) return j.status();
    if (!detail::Fits<T>::check(*j)) {
      return invalid_argument("artifact is not a " + type_name() + ": a number is out of range");
    }
    T out{};
    try {
      j->get_to(out);
    } catch (const std::exception& e) {
      return invalid_argument("artifact is not a " + type_name() + ": " + e.what());
    }
    return out;
  }
};

template <>
struct Codec<Bytes> {
  static std::string name() { return "bytes"; }
  static std::string type_name() { return "bytes"; }
  static Encoded encode(const Bytes& v) { return {{}, v.data}; }
  static Result<Bytes> decode(std::string bytes) { return Bytes{std::move(bytes)}; }
};

template <>
struct Codec<NDArray> {
  static std::string name() { return "npy"; }
  static std::string type_name() { return "ndarray"; }
  static Encoded encode(const NDArray& v) { return {npy_header(v), v.data}; }
  static Result<NDArray> decode(std::string bytes) { return parse_npy(std::move(bytes)); }
};

// A typed artifact name: `const Key<int> kCount{"count"}; t.put(kCount, 3);`
template <typename T>
struct Key {
  std::string name;
};

}  // namespace trellis
