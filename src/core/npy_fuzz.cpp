// libFuzzer target: NPY bytes (parse_npy, the engine's NDArray artifact format); what parses must
// re-encode with npy_header() and parse back to the same array.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "trellis/core/ndarray.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto a = trellis::parse_npy(std::string(reinterpret_cast<const char*>(data), size));
  if (!a.ok()) return 0;
  auto back = trellis::parse_npy(trellis::npy_header(*a) + a->data);
  if (!back.ok() || back->dtype != a->dtype || back->shape != a->shape || back->data != a->data)
    std::abort();
  return 0;
}
