// Image bytes from a request -> a decoded image the Detector can read, with every check that
// keeps hostile or broken uploads away from the decoder: format sniffed from the bytes (JPEG or
// PNG), dimensions read from the header and limited before any pixel is decoded, truncated
// files refused. The only file of the server that touches OpenCV.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "trellis/core/status.h"
#include "trellis/vision/detector.h"

namespace trellis::serve {

enum class ImageFormat { kUnknown, kJpeg, kPng };

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0, height = 0;
};

struct ImageLimits {
  int64_t max_pixels = 40'000'000;  // width * height
  int max_side = 16384;
};

// Reads format and size from the first bytes without decoding. kInvalidArgument when the bytes
// are neither JPEG nor PNG, or the header is cut short or malformed.
Result<ImageHeader> probe_image(std::string_view bytes);

// kInvalidArgument, naming the format and the size, when the header's size is zero or over the
// limits.
Status check_image_limits(const ImageHeader& header, const ImageLimits& limits);

// A decoded 8-bit BGR image; `view` points into memory `owner` keeps alive.
struct DecodedImage {
  std::shared_ptr<const void> owner;
  vision::ImageView view;
};

// probe_image + limits + completeness check (JPEG end-of-image marker, PNG IEND chunk) +
// decode. kInvalidArgument with a message meant for the client on any failure; never throws.
Result<DecodedImage> decode_image(std::string_view bytes, const ImageLimits& limits = {});

const char* format_name(ImageFormat format);

}  // namespace trellis::serve
