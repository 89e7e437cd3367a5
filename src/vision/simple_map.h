// mAP at IoU 0.5 (COCO-style 101-point interpolation, greedy matching by score), small enough
// for early stopping and tests. The COCO-exact evaluator of the vision-data work replaces it.
#pragma once

#include <vector>

#include "trellis/vision/types.h"

namespace trellis::vision {

float iou(const Box& a, const Box& b);

// detections[i] belongs to images[i]; categories without ground truth are skipped;
// crowd annotations are ignored. Returns 0 when no category has ground truth.
double mean_ap50(const std::vector<ImageRecord>& images,
                 const std::vector<std::vector<Detection>>& detections);

}  // namespace trellis::vision
