// Box-aware augmentation: pure functions on (image, boxes). The training recipe
// follows the reference pipeline (train at 416x416: jittered resize 0.8-1.25 then
// crop/pad, horizontal and vertical flips, rotation up to +-21.6 degrees, hue and
// saturation jitter; evaluate with a letterbox resize). Randomness is drawn once
// into an AugmentParams from a seed, and applying params is deterministic, so a
// sample can always be reproduced from (config, seed).
// Geometry is composed into one affine warp (one interpolation pass).
#pragma once

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "trellis/vision/types.h"

namespace trellis::vision {

// One image with its boxes (absolute pixels) and their category ids (same length).
struct Sample {
  cv::Mat image;  // 8-bit BGR
  std::vector<Box> boxes;
  std::vector<int> labels;
};

struct AugmentConfig {
  int output_size = 416;  // square output side
  // Jittered resize: the image is scaled to fit output_size, times a factor drawn
  // in [scale_min, scale_max], then cropped/padded back to output_size at a
  // random offset.
  float scale_min = 0.8f;
  float scale_max = 1.25f;
  float hflip_prob = 0.5f;
  float vflip_prob = 0.5f;
  float max_rotation_deg = 21.6f;  // uniform in [-max, max]; 0 disables
  // Colour, applied after geometry. Hue shift in degrees (of 360), saturation and
  // contrast as factors, brightness as an offset in 0-255 units.
  float max_hue_shift_deg = 18.0f;
  float saturation_min = 0.7f, saturation_max = 1.3f;
  float brightness_max_delta = 20.0f;
  float contrast_min = 0.85f, contrast_max = 1.15f;
  // Boxes: after clipping to the output, a box is dropped when less than this
  // fraction of its (transformed) area remains, or when a side is below min_side_px.
  float min_visible_fraction = 0.3f;
  float min_side_px = 2.0f;
  uint8_t pad_value = 114;  // grey padding
};

// Every random choice of one augmentation.
struct AugmentParams {
  float scale = 1;        // jitter factor
  float offset_x = 0.5f;  // crop/pad placement in [0, 1] of the free range
  float offset_y = 0.5f;
  bool hflip = false, vflip = false;
  float rotation_deg = 0;
  float hue_shift_deg = 0;
  float saturation = 1, brightness = 0, contrast = 1;
};

// Small, fast, portable generator (splitmix64), so that draws are identical on
// every platform and standard library.
class AugmentRng {
 public:
  explicit AugmentRng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  float uniform(float lo, float hi);  // [lo, hi)
  bool chance(float p);

 private:
  uint64_t state_;
};

// Seed for item `index` of `epoch` derived from a base seed (used by the loader).
uint64_t sample_seed(uint64_t base_seed, uint64_t epoch, uint64_t index);

AugmentParams draw_augment_params(const AugmentConfig& config, AugmentRng& rng);

// The full training augmentation with given params. `in.image` must be 8-bit BGR.
Sample apply_augment(const Sample& in, const AugmentConfig& config, const AugmentParams& params);
// Draws params from `seed` and applies them.
Sample augment(const Sample& in, const AugmentConfig& config, uint64_t seed);

// --- single steps, each a pure function ---------------------------------------

// Mirror left-right / top-bottom; boxes follow exactly (flip twice = identity).
Sample hflip(const Sample& in);
Sample vflip(const Sample& in);
// Rotation about the image centre by `degrees` (counter-clockwise), same canvas
// size; boxes become the bounds of their rotated corners, then are clipped.
Sample rotate(const Sample& in, float degrees, const AugmentConfig& config = {});
// Hue/saturation/brightness/contrast; boxes unchanged.
Sample color_jitter(const Sample& in, const AugmentParams& params);

// Mosaic (YOLOv4 style): four samples tiled around a random centre of an
// output_size square; each is scaled to cover its quadrant, placed with its
// inner corner at the centre, and cut at the quadrant's edges. Boxes are
// clipped to their quadrant and dropped by the config's visibility rules.
// Randomness: the centre is drawn from `rng`. No colour jitter is applied.
Sample mosaic(const std::array<const Sample*, 4>& parts, const AugmentConfig& config,
              AugmentRng& rng);

// Letterbox for evaluation: scale to fit size x size keeping the aspect ratio,
// pad (centered) with config.pad_value. `scale`, `pad_x`, `pad_y` map boxes back:
// original = (letterboxed - pad) / scale.
struct Letterbox {
  float scale = 1;
  float pad_x = 0, pad_y = 0;
  Box to_original(const Box& b) const;
};
Sample letterbox(const Sample& in, int size, Letterbox* mapping = nullptr, uint8_t pad_value = 114);

// Applies a 2x3 affine map to boxes: bounds of the mapped corners, clipped to
// width x height, dropped by the config's visibility rules (labels follow).
void transform_boxes(const cv::Matx23d& m, int width, int height, const AugmentConfig& config,
                     std::vector<Box>& boxes, std::vector<int>& labels);

}  // namespace trellis::vision
