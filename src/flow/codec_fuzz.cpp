// libFuzzer target: every artifact codec of trellis/flow/codec.h decodes the same bytes; what a
// codec accepts must encode and decode back to an equal value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "trellis/flow/codec.h"

namespace {

template <typename T>
void round_trip(const std::string& bytes) {
  auto v = trellis::Codec<T>::decode(bytes);
  if (!v.ok()) return;
  const trellis::Encoded e = trellis::Codec<T>::encode(*v);
  auto back = trellis::Codec<T>::decode(e.owned + std::string(e.borrowed));
  if (!back.ok()) std::abort();
  if constexpr (std::is_same_v<T, trellis::NDArray>) {
    if (back->dtype != v->dtype || back->shape != v->shape || back->data != v->data) std::abort();
  } else if constexpr (std::is_same_v<T, trellis::Bytes>) {
    if (back->data != v->data) std::abort();
  } else {
    if (!(*back == *v)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  round_trip<bool>(bytes);
  round_trip<int>(bytes);
  round_trip<int64_t>(bytes);
  round_trip<uint64_t>(bytes);
  round_trip<double>(bytes);
  round_trip<float>(bytes);
  round_trip<std::string>(bytes);
  round_trip<trellis::Json>(bytes);
  round_trip<std::vector<int>>(bytes);
  round_trip<std::vector<double>>(bytes);
  round_trip<std::vector<std::string>>(bytes);
  round_trip<std::map<std::string, int64_t>>(bytes);
  round_trip<std::map<std::string, std::vector<int64_t>>>(bytes);
  round_trip<trellis::Bytes>(bytes);
  round_trip<trellis::NDArray>(bytes);
  return 0;
}
