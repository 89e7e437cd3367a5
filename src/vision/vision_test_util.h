// Test-only helpers for the vision data tests: a temporary folder and small
// synthetic images. (Private to src/vision tests.)
#pragma once

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>

namespace trellis::vision::test {

// A fresh folder under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("trellis-vision-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes a w x h image filled with a colour derived from `seed` (PNG or JPEG by extension).
inline void write_test_image(const std::string& path, int w, int h, int seed = 0) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(40 + seed * 17 % 200, 90, 160 - seed * 7 % 150));
  cv::imwrite(path, img);
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace trellis::vision::test
