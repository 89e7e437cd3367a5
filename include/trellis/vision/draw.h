// Drawing boxes with class names and scores on images, image grids, PR-curve
// plots, and writing PNG/JPEG. Used by `trellis data augment --preview`, the
// evaluation galleries, and later by the dashboard and the server's upload page.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/coco_eval.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

struct DrawItem {
  Box box;
  int category_id = 0;           // picks the colour (same id, same colour)
  std::string label;             // drawn above the box; empty: none
  float score = -1;              // appended as " 0.87" when >= 0
  bool is_ground_truth = false;  // drawn thin and white, whatever the category
};

struct DrawOptions {
  int thickness = 2;
  double font_scale = 0.45;
};

// Draws on a copy of `image` (8-bit BGR or grey) and returns it.
cv::Mat draw_boxes(const cv::Mat& image, const std::vector<DrawItem>& items,
                   const DrawOptions& options = {});

// Items for a dataset image / detections, labelled with category names.
std::vector<DrawItem> items_for(const std::vector<Box>& boxes, const std::vector<int>& labels,
                                const std::vector<Category>& categories);
std::vector<DrawItem> items_for(const std::vector<Detection>& detections,
                                const std::vector<Category>& categories);

// One gallery tile: `image` letterboxed to size x size, ground-truth boxes in
// white, detections scoring at least `min_score` in their category colours with
// names and scores.
cv::Mat draw_prediction_tile(const cv::Mat& image, const std::vector<Annotation>& ground_truth,
                             const std::vector<Detection>& detections,
                             const std::vector<Category>& categories, int size, float min_score);

// Tiles equally sized images (resized to the first one's size) into a grid.
cv::Mat make_grid(const std::vector<cv::Mat>& images, int cols, int gap = 4);

// Precision-recall curves of one category (k: index in result.per_class) at IoU
// 0.50, 0.75 and the mean over 0.50:0.95 (area all, 100 detections), as a plot.
cv::Mat plot_pr_curve(const EvalResult& result, int k, int size = 480);

// PNG or JPEG by extension; kIoError naming the path on failure.
Status write_image(const std::string& path, const cv::Mat& image);

}  // namespace trellis::vision
