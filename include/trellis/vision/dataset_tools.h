// Whole-dataset operations behind `trellis data stats` and `trellis data split`:
// statistics (boxes per class, box sizes, empty images) and a seeded train/val
// split that keeps byte-identical image files on one side.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "trellis/core/status.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

struct DatasetStats {
  int num_images = 0;
  int num_boxes = 0;
  int num_crowd = 0;
  int images_without_boxes = 0;
  std::map<int, int> boxes_per_category;    // category id -> boxes (every listed category)
  std::map<int, int> images_per_category;   // category id -> images with >= 1 such box
  std::array<int, 3> boxes_by_coco_area{};  // small (< 32^2), medium, large (> 96^2)
  // Histogram of sqrt(box area) in px: [0,8) [8,16) [16,32) ... [512,inf); 8 bins.
  std::array<int, 8> boxes_by_side{};
  int max_boxes_per_image = 0;
  int min_width = 0, max_width = 0, min_height = 0, max_height = 0;
};

DatasetStats compute_stats(const Dataset& dataset);
// Human-readable report (class table with names, histograms as bars).
std::string format_stats(const Dataset& dataset, const DatasetStats& stats);
// The same numbers as JSON.
std::string stats_json(const Dataset& dataset, const DatasetStats& stats);

struct SplitOptions {
  double val_fraction = 0.2;  // of the images, rounded; groups are never cut
  uint64_t seed = 0;
  // Hash image file contents and keep identical files on the same side. When off,
  // only identical file names are grouped.
  bool group_identical_files = true;
};

struct SplitResult {
  Dataset train, val;
  int identical_groups = 0;  // groups of 2+ images that share the same bytes
};

// Deterministic for a given dataset, options and seed (own shuffle, not the
// standard library's). kNotFound when a file cannot be read for hashing.
Result<SplitResult> split_dataset(const Dataset& dataset, const SplitOptions& options = {});

// 64-bit FNV-1a of a file's bytes; kNotFound / kIoError.
Result<uint64_t> hash_file(const std::string& path);

}  // namespace trellis::vision
