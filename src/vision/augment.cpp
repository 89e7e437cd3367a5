#include "trellis/vision/augment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace trellis::vision {

uint64_t AugmentRng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float AugmentRng::uniform(float lo, float hi) {
  const double u = static_cast<double>(next() >> 11) * 0x1.0p-53;
  return static_cast<float>(lo + (hi - lo) * u);
}

bool AugmentRng::chance(float p) { return uniform(0, 1) < p; }

uint64_t sample_seed(uint64_t base_seed, uint64_t epoch, uint64_t index) {
  AugmentRng a(base_seed ^ (epoch * 0xD1B54A32D192ED03ull));
  AugmentRng b(a.next() ^ (index * 0x8CB92BA72F3D8DD7ull));
  return b.next();
}

AugmentParams draw_augment_params(const AugmentConfig& c, AugmentRng& rng) {
  AugmentParams p;
  // Draw every value unconditionally so that changing one probability does not
  // shift the stream of the others.
  p.scale = rng.uniform(c.scale_min, c.scale_max);
  p.offset_x = rng.uniform(0, 1);
  p.offset_y = rng.uniform(0, 1);
  p.hflip = rng.chance(c.hflip_prob);
  p.vflip = rng.chance(c.vflip_prob);
  p.rotation_deg = rng.uniform(-c.max_rotation_deg, c.max_rotation_deg);
  p.hue_shift_deg = rng.uniform(-c.max_hue_shift_deg, c.max_hue_shift_deg);
  p.saturation = rng.uniform(c.saturation_min, c.saturation_max);
  p.brightness = rng.uniform(-c.brightness_max_delta, c.brightness_max_delta);
  p.contrast = rng.uniform(c.contrast_min, c.contrast_max);
  return p;
}

namespace {

// 3x3 homogeneous helpers for composing affine maps.
using Mat3 = cv::Matx33d;
Mat3 translate(double tx, double ty) { return {1, 0, tx, 0, 1, ty, 0, 0, 1}; }
Mat3 scale(double sx, double sy) { return {sx, 0, 0, 0, sy, 0, 0, 0, 1}; }
cv::Matx23d top_rows(const Mat3& m) {
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)};
}
// Rotation by `deg` counter-clockwise on screen (y down) about (cx, cy).
Mat3 rotation_about(double deg, double cx, double cy) {
  const double r = deg * CV_PI / 180.0, c = std::cos(r), s = std::sin(r);
  return translate(cx, cy) * Mat3(c, s, 0, -s, c, 0, 0, 0, 1) * translate(-cx, -cy);
}

cv::Mat warp(const cv::Mat& src, const cv::Matx23d& m, cv::Size size, uint8_t pad) {
  cv::Mat out;
  cv::warpAffine(src, out, m, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(pad));
  return out;
}

}  // namespace

void transform_boxes(const cv::Matx23d& m, int width, int height, const AugmentConfig& config,
                     std::vector<Box>& boxes, std::vector<int>& labels) {
  std::vector<Box> out_boxes;
  std::vector<int> out_labels;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    const std::array<cv::Point2d, 4> corners = {cv::Point2d(b.x1, b.y1), cv::Point2d(b.x2, b.y1),
                                                cv::Point2d(b.x1, b.y2), cv::Point2d(b.x2, b.y2)};
    double x1 = 1e30, y1 = 1e30, x2 = -1e30, y2 = -1e30;
    for (const auto& p : corners) {
      const double x = m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2);
      const double y = m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2);
      x1 = std::min(x1, x);
      y1 = std::min(y1, y);
      x2 = std::max(x2, x);
      y2 = std::max(y2, y);
    }
    const double full = (x2 - x1) * (y2 - y1);
    const double cx1 = std::clamp(x1, 0.0, double(width)), cx2 = std::clamp(x2, 0.0, double(width));
    const double cy1 = std::clamp(y1, 0.0, double(height)),
                 cy2 = std::clamp(y2, 0.0, double(height));
    const double w = cx2 - cx1, h = cy2 - cy1;
    if (w < config.min_side_px || h < config.min_side_px) continue;
    if (full <= 0 || w * h < config.min_visible_fraction * full) continue;
    out_boxes.push_back({float(cx1), float(cy1), float(cx2), float(cy2)});
    out_labels.push_back(i < labels.size() ? labels[i] : 0);
  }
  boxes = std::move(out_boxes);
  labels = std::move(out_labels);
}

Sample apply_augment(const Sample& in, const AugmentConfig& c, const AugmentParams& p) {
  const int S = c.output_size;
  const double W = in.image.cols, H = in.image.rows;
  // 1. jittered resize: fit into S x S, times the jitter factor.
  const double k = std::min(S / W, S / H) * p.scale;
  const double nw = W * k, nh = H * k;
  // 2. crop or pad to S x S: place the scaled image at an offset inside the free range.
  const double ox = (S - nw) * p.offset_x;  // negative free range crops
  const double oy = (S - nh) * p.offset_y;
  Mat3 m = translate(ox, oy) * scale(k, k);
  // 3. flips and rotation about the output centre.
  if (p.hflip) m = Mat3(-1, 0, S, 0, 1, 0, 0, 0, 1) * m;
  if (p.vflip) m = Mat3(1, 0, 0, 0, -1, S, 0, 0, 1) * m;
  if (p.rotation_deg != 0) m = rotation_about(p.rotation_deg, S / 2.0, S / 2.0) * m;
  const cv::Matx23d affine = top_rows(m);

  Sample out;
  out.image = warp(in.image, affine, cv::Size(S, S), c.pad_value);
  out.boxes = in.boxes;
  out.labels = in.labels;
  transform_boxes(affine, S, S, c, out.boxes, out.labels);
  return color_jitter(out, p);
}

Sample augment(const Sample& in, const AugmentConfig& config, uint64_t seed) {
  AugmentRng rng(seed);
  return apply_augment(in, config, draw_augment_params(config, rng));
}

Sample hflip(const Sample& in) {
  Sample out{cv::Mat(), in.boxes, in.labels};
  cv::flip(in.image, out.image, 1);
  const float w = static_cast<float>(in.image.cols);
  for (Box& b : out.boxes) b = {w - b.x2, b.y1, w - b.x1, b.y2};
  return out;
}

Sample vflip(const Sample& in) {
  Sample out{cv::Mat(), in.boxes, in.labels};
  cv::flip(in.image, out.image, 0);
  const float h = static_cast<float>(in.image.rows);
  for (Box& b : out.boxes) b = {b.x1, h - b.y2, b.x2, h - b.y1};
  return out;
}

Sample rotate(const Sample& in, float degrees, const AugmentConfig& config) {
  const cv::Matx23d m = top_rows(rotation_about(degrees, in.image.cols / 2.0, in.image.rows / 2.0));
  Sample out{warp(in.image, m, in.image.size(), config.pad_value), in.boxes, in.labels};
  transform_boxes(m, in.image.cols, in.image.rows, config, out.boxes, out.labels);
  return out;
}

Sample color_jitter(const Sample& in, const AugmentParams& p) {
  Sample out{cv::Mat(), in.boxes, in.labels};
  const bool hs = p.hue_shift_deg != 0 || p.saturation != 1;
  const bool bc = p.brightness != 0 || p.contrast != 1;
  if (!hs && !bc) {
    out.image = in.image.clone();
    return out;
  }
  cv::Mat img = in.image;
  if (hs) {
    // OpenCV 8-bit hue is degrees / 2 in [0, 180). One LUT per channel.
    cv::Mat hsv;
    cv::cvtColor(img, hsv, cv::COLOR_BGR2HSV);
    const int shift = static_cast<int>(std::lround(p.hue_shift_deg / 2.0f));
    cv::Mat lut(1, 256, CV_8UC3);
    for (int v = 0; v < 256; ++v) {
      const int h = v < 180 ? ((v + shift) % 180 + 180) % 180 : v;
      lut.at<cv::Vec3b>(0, v) =
          cv::Vec3b(static_cast<uint8_t>(h), cv::saturate_cast<uint8_t>(v * p.saturation),
                    static_cast<uint8_t>(v));
    }
    cv::LUT(hsv, lut, hsv);
    cv::cvtColor(hsv, img, cv::COLOR_HSV2BGR);
  }
  if (bc) {
    // Contrast around mid-grey, then brightness: v' = (v - 128) * c + 128 + b.
    cv::Mat lut(1, 256, CV_8U);
    for (int v = 0; v < 256; ++v)
      lut.at<uint8_t>(v) = cv::saturate_cast<uint8_t>((v - 128) * p.contrast + 128 + p.brightness);
    cv::Mat adjusted;
    cv::LUT(img, lut, adjusted);
    img = adjusted;
  }
  out.image = img.data == in.image.data ? img.clone() : img;
  return out;
}

Sample mosaic(const std::array<const Sample*, 4>& parts, const AugmentConfig& c, AugmentRng& rng) {
  const int S = c.output_size;
  const int cx = static_cast<int>(std::lround(rng.uniform(0.25f, 0.75f) * S));
  const int cy = static_cast<int>(std::lround(rng.uniform(0.25f, 0.75f) * S));
  Sample out;
  out.image = cv::Mat(S, S, CV_8UC3, cv::Scalar::all(c.pad_value));
  // Quadrants: top-left, top-right, bottom-left, bottom-right.
  const std::array<cv::Rect, 4> quads = {cv::Rect(0, 0, cx, cy), cv::Rect(cx, 0, S - cx, cy),
                                         cv::Rect(0, cy, cx, S - cy),
                                         cv::Rect(cx, cy, S - cx, S - cy)};
  for (int q = 0; q < 4; ++q) {
    const cv::Rect& r = quads[q];
    const Sample& in = *parts[q];
    if (r.width <= 0 || r.height <= 0 || in.image.empty()) continue;
    const double W = in.image.cols, H = in.image.rows;
    const double k = std::max(r.width / W, r.height / H);
    // Align the image's corner that faces the centre with the centre.
    const double ox = (q % 2 == 0) ? r.width - W * k : 0.0;
    const double oy = (q / 2 == 0) ? r.height - H * k : 0.0;
    const cv::Matx23d m(k, 0, ox, 0, k, oy);  // source -> quadrant coordinates
    cv::Mat roi = out.image(r);
    cv::warpAffine(in.image, roi, m, r.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                   cv::Scalar::all(c.pad_value));
    std::vector<Box> boxes = in.boxes;
    std::vector<int> labels = in.labels;
    transform_boxes(m, r.width, r.height, c, boxes, labels);
    for (size_t i = 0; i < boxes.size(); ++i) {
      const Box& b = boxes[i];
      out.boxes.push_back({b.x1 + r.x, b.y1 + r.y, b.x2 + r.x, b.y2 + r.y});
      out.labels.push_back(labels[i]);
    }
  }
  return out;
}

Box Letterbox::to_original(const Box& b) const {
  return {(b.x1 - pad_x) / scale, (b.y1 - pad_y) / scale, (b.x2 - pad_x) / scale,
          (b.y2 - pad_y) / scale};
}

Sample letterbox(const Sample& in, int size, Letterbox* mapping, uint8_t pad_value) {
  const double W = in.image.cols, H = in.image.rows;
  const double k = std::min(size / W, size / H);
  const int nw = static_cast<int>(std::lround(W * k)), nh = static_cast<int>(std::lround(H * k));
  const int px = (size - nw) / 2, py = (size - nh) / 2;
  Sample out;
  out.image = cv::Mat(size, size, in.image.type(), cv::Scalar::all(pad_value));
  cv::Mat roi = out.image(cv::Rect(px, py, nw, nh));
  cv::resize(in.image, roi, cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
  const float sx = static_cast<float>(nw / W), sy = static_cast<float>(nh / H);
  for (const Box& b : in.boxes)
    out.boxes.push_back({b.x1 * sx + px, b.y1 * sy + py, b.x2 * sx + px, b.y2 * sy + py});
  out.labels = in.labels;
  if (mapping) *mapping = {static_cast<float>(k), static_cast<float>(px), static_cast<float>(py)};
  return out;
}

}  // namespace trellis::vision
