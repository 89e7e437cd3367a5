// A deliberately small COCO reader and letterbox for trellis-train / trellis-predict until the
// full readers, augmentation and loader of the vision-data work land; isolated here so that it
// can be swapped out without touching the model or the trainer.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "trellis/core/status.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

// Reads a COCO detection JSON (images, annotations, categories). Boxes become x1,y1,x2,y2.
// Errors name the file and the reason (kNotFound, kIoError, kInvalidArgument).
Result<Dataset> read_coco_simple(const std::string& json_path, const std::string& image_dir);

// Decodes an image file to BGR 8-bit; kNotFound / kInvalidArgument naming the path.
Result<cv::Mat> read_image_bgr(const std::string& path);

struct Letterboxed {
  cv::Mat rgb;        // size x size, CV_8UC3, RGB, padded right/bottom with the ImageNet mean
  float scale = 1;    // model pixels per source pixel
  int valid_width = 0, valid_height = 0;  // resized image inside the square
};
// Resizes so the longer side is `size` (bilinear), keeps the aspect ratio, pads right/bottom.
Letterboxed letterbox(const cv::Mat& bgr, int size);

}  // namespace trellis::vision
