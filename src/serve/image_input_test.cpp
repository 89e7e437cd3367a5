// Image checks before the decoder: format sniffing, header sizes, limits, truncation.
#include "serve/image_input.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace trellis::serve {
namespace {

std::string encode(const std::string& ext, int w, int h) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(30, 120, 200));
  cv::circle(img, {w / 2, h / 2}, std::min(w, h) / 3, cv::Scalar(250, 250, 250), cv::FILLED);
  std::vector<uchar> buf;
  cv::imencode(ext, img, buf);
  return std::string(buf.begin(), buf.end());
}

TEST(ProbeImage, ReadsJpegAndPngSizesFromTheHeader) {
  auto jpeg = probe_image(encode(".jpg", 123, 45));
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().to_string();
  EXPECT_EQ(jpeg->format, ImageFormat::kJpeg);
  EXPECT_EQ(jpeg->width, 123);
  EXPECT_EQ(jpeg->height, 45);
  auto png = probe_image(encode(".png", 7, 300));
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png->format, ImageFormat::kPng);
  EXPECT_EQ(png->width, 7);
  EXPECT_EQ(png->height, 300);
}

TEST(ProbeImage, RefusesOtherBytes) {
  EXPECT_FALSE(probe_image("").ok());
  EXPECT_FALSE(probe_image("hello, world").ok());
  EXPECT_FALSE(probe_image(encode(".bmp", 10, 10)).ok());
  EXPECT_FALSE(probe_image(std::string("\xFF\xD8\xFF", 3)).ok());
}

TEST(DecodeImage, DecodesToBgrOfTheHeaderSize) {
  for (const char* ext : {".jpg", ".png"}) {
    auto img = decode_image(encode(ext, 64, 48));
    ASSERT_TRUE(img.ok()) << ext << ": " << img.status().to_string();
    EXPECT_EQ(img->view.width, 64);
    EXPECT_EQ(img->view.height, 48);
    ASSERT_NE(img->view.data, nullptr);
  }
}

TEST(DecodeImage, RefusesTruncatedFiles) {
  for (const char* ext : {".jpg", ".png"}) {
    const std::string full = encode(ext, 200, 200);
    for (size_t keep : {full.size() / 2, full.size() - 2, size_t{30}}) {
      auto img = decode_image(full.substr(0, keep));
      EXPECT_FALSE(img.ok()) << ext << " cut at " << keep;
    }
  }
}

TEST(DecodeImage, EnforcesTheSizeLimitsBeforeDecoding) {
  const std::string png = encode(".png", 300, 200);
  EXPECT_FALSE(decode_image(png, {.max_pixels = 50'000, .max_side = 10000}).ok());
  EXPECT_FALSE(decode_image(png, {.max_pixels = 1'000'000, .max_side = 250}).ok());
  EXPECT_TRUE(decode_image(png, {.max_pixels = 60'000, .max_side = 300}).ok());
  // A header claiming 0 x 0 (patched IHDR) is refused as zero-size.
  std::string zero = png;
  for (int i = 16; i < 24; ++i) zero[static_cast<size_t>(i)] = 0;
  auto r = decode_image(zero);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("zero size"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace trellis::serve
