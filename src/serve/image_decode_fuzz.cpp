// libFuzzer target: request bytes -> decode_image (header probe, limits, completeness check,
// OpenCV's JPEG/PNG decoders). A decoded image must have the size its header promised.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "serve/image_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  trellis::serve::ImageLimits limits;
  limits.max_pixels = 1 << 20;  // bounds the time of one run
  limits.max_side = 4096;
  auto header = trellis::serve::probe_image(bytes);
  auto image = trellis::serve::decode_image(bytes, limits);
  if (image.ok()) {
    if (!header.ok()) std::abort();
    const auto& v = image->view;
    const bool same = v.width == header->width && v.height == header->height;
    const bool rotated = v.width == header->height && v.height == header->width;
    if (!same && !rotated) std::abort();
  }
  return 0;
}
