#include "serve/image_input.h"

#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace trellis::serve {
namespace {

int be16(const unsigned char* p) { return (p[0] << 8) | p[1]; }
uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

Result<ImageHeader> probe_png(std::string_view bytes) {
  // Signature, then the IHDR chunk: length (13), "IHDR", width, height.
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 24 || std::memcmp(p + 12, "IHDR", 4) != 0) {
    return invalid_argument("PNG header is truncated or has no IHDR chunk");
  }
  const uint32_t w = be32(p + 16), h = be32(p + 20);
  if (w > 0x7fffffff || h > 0x7fffffff) return invalid_argument("PNG dimensions out of range");
  return ImageHeader{ImageFormat::kPng, static_cast<int>(w), static_cast<int>(h)};
}

bool is_sof_marker(int m) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

Result<ImageHeader> probe_jpeg(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 2;  // after SOI
  while (i + 4 <= n) {
    if (p[i] != 0xFF) return invalid_argument("JPEG is malformed (no marker where one belongs)");
    const int marker = p[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;  // markers without a length
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image / start of scan before a frame
    const int len = be16(p + i + 2);
    if (len < 2) return invalid_argument("JPEG is malformed (bad segment length)");
    if (is_sof_marker(marker)) {
      if (i + 9 > n) break;
      const int h = be16(p + i + 5), w = be16(p + i + 7);
      return ImageHeader{ImageFormat::kJpeg, w, h};
    }
    i += 2 + static_cast<size_t>(len);
  }
  return invalid_argument("JPEG is truncated or has no frame header");
}

// Completeness: a JPEG's entropy-coded data cannot contain FF D9 (0xFF is stuffed), so any FF D9
// after the first start-of-scan is the end-of-image marker; trailing bytes after it are allowed.
bool jpeg_is_complete(std::string_view bytes) {
  const size_t sos = bytes.find("\xFF\xDA");
  if (sos == std::string_view::npos) return false;
  return bytes.find("\xFF\xD9", sos + 2) != std::string_view::npos;
}

bool png_is_complete(std::string_view bytes) {
  // The IEND chunk: length 0, "IEND", CRC; usually the last 12 bytes.
  return bytes.find("IEND", bytes.size() > 64 ? bytes.size() - 64 : 0) != std::string_view::npos;
}

}  // namespace

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

Result<ImageHeader> probe_image(std::string_view bytes) {
  if (bytes.empty()) return invalid_argument("empty body: expected JPEG or PNG image bytes");
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return probe_jpeg(bytes);
  if (bytes.size() >= 8 && std::memcmp(p, kPngSignature, 8) == 0) return probe_png(bytes);
  return invalid_argument("body is not a JPEG or PNG image");
}

Status check_image_limits(const ImageHeader& h, const ImageLimits& limits) {
  const char* name = format_name(h.format);
  if (h.width <= 0 || h.height <= 0) {
    return invalid_argument(std::string(name) + " has zero size (" + std::to_string(h.width) + "x" +
                            std::to_string(h.height) + ")");
  }
  if (h.width > limits.max_side || h.height > limits.max_side ||
      static_cast<int64_t>(h.width) * h.height > limits.max_pixels) {
    return invalid_argument(std::string(name) + " is too large (" + std::to_string(h.width) + "x" +
                            std::to_string(h.height) +
                            "; limits: " + std::to_string(limits.max_side) + " px a side, " +
                            std::to_string(limits.max_pixels) + " pixels)");
  }
  return Status::ok_status();
}

Result<DecodedImage> decode_image(std::string_view bytes, const ImageLimits& limits) {
  auto header = probe_image(bytes);
  if (!header.ok()) return header.status();
  const ImageHeader& h = *header;
  const char* name = format_name(h.format);
  TRELLIS_RETURN_IF_ERROR(check_image_limits(h, limits));
  const bool complete =
      h.format == ImageFormat::kJpeg ? jpeg_is_complete(bytes) : png_is_complete(bytes);
  if (!complete) return invalid_argument(std::string(name) + " is truncated");
  auto mat = std::make_shared<cv::Mat>();
  try {
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    *mat = cv::imdecode(buf, cv::IMREAD_COLOR);
  } catch (const std::exception& e) {
    return invalid_argument(std::string(name) + " could not be decoded: " + e.what());
  }
  if (mat->empty()) return invalid_argument(std::string(name) + " could not be decoded");
  // IMREAD_COLOR applies the EXIF orientation, as browsers do, so a rotated photo may swap sides.
  const bool same = mat->cols == h.width && mat->rows == h.height;
  const bool rotated = mat->cols == h.height && mat->rows == h.width;
  if (!same && !rotated) {
    return invalid_argument(std::string(name) + " decodes to a size other than its header's");
  }
  DecodedImage out;
  out.view = {mat->data, mat->cols, mat->rows, static_cast<int>(mat->step), true};
  out.owner = std::move(mat);
  return out;
}

}  // namespace trellis::serve
