// libFuzzer target: safetensors bytes (decode_safetensors); what decodes must encode and decode
// back to the same tensors; then the checkpoint layer on top (decode_checkpoint validates every
// metadata field).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trellis/vision/checkpoint.h"
#include "trellis/vision/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto st = trellis::vision::decode_safetensors(bytes);
  if (!st.ok()) return 0;
  auto encoded = trellis::vision::encode_safetensors(*st);
  if (!encoded.ok()) std::abort();  // a decoded file must be encodable
  auto back = trellis::vision::decode_safetensors(*encoded);
  if (!back.ok() || back->metadata != st->metadata || back->tensors.size() != st->tensors.size())
    std::abort();
  for (const auto& [name, t] : st->tensors) {
    const auto& u = back->tensors.at(name);
    if (u.dtype != t.dtype || u.shape != t.shape || u.data != t.data) std::abort();
  }
  (void)trellis::vision::decode_checkpoint(bytes);
  return 0;
}
