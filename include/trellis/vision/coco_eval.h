// COCO bbox evaluation that reproduces pycocotools' COCOeval ("bbox") number for
// number: IoU thresholds 0.50:0.05:0.95, 101-point interpolated precision,
// maxDets 1/10/100, area ranges all/small/medium/large, crowd regions, the same
// tie-breaking. Pure C++ (no OpenCV, no LibTorch); used by `trellis data eval`,
// the training flow's evaluate step and bench/vision_eval. Notes on the
// behaviours copied from pycocotools are in docs/vision-data.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

// Ground truth as COCO stores it: bbox [x, y, w, h] in doubles, so that IoUs at
// exactly 0.5 come out as pycocotools computes them.
struct EvalGroundTruth {
  int64_t id = 0;  // annotation id; like pycocotools, id 0 counts as "unmatched"
  int64_t image_id = 0;
  int category_id = 0;
  double x = 0, y = 0, w = 0, h = 0;
  double area = 0;  // the COCO "area" field (used for the area ranges)
  bool is_crowd = false;
  bool ignore = false;  // the optional COCO "ignore" field
};

// One detection: a COCO results entry.
struct EvalDetection {
  int64_t image_id = 0;
  int category_id = 0;
  double x = 0, y = 0, w = 0, h = 0;
  double score = 0;
};

struct EvalInput {
  std::vector<int64_t> image_ids;             // every ground-truth image, evaluated or empty
  std::vector<Category> categories;           // evaluated categories
  std::vector<EvalGroundTruth> ground_truth;  // in file order (order breaks IoU ties)
  std::vector<EvalDetection> detections;      // in file order (order breaks score ties)
};

struct EvalOptions {
  // pycocotools (cocodataset/cocoapi) overwrites the "ignore" field with "iscrowd" in
  // _prepare(), so a non-crowd GT marked ignore is evaluated like any other GT. Set
  // this to treat "ignore": 1 as an ignored region instead (as some forks do).
  bool honor_ignore_flag = false;
};

// Summary names in pycocotools' order: AP, AP50, AP75, APs, APm, APl, AR1, AR10,
// AR100, ARs, ARm, ARl.
inline constexpr std::array<const char*, 12> kStatNames = {
    "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
inline constexpr int kNumIouThresholds = 10;  // 0.50, 0.55, ..., 0.95
inline constexpr int kNumRecallPoints = 101;  // 0.00, 0.01, ..., 1.00
inline constexpr int kNumAreaRanges = 4;      // all, small, medium, large
inline constexpr int kNumMaxDets = 3;         // 1, 10, 100

struct ClassEval {
  int category_id = 0;
  std::string name;
  int num_ground_truth = 0;  // non-crowd, non-ignored GT boxes (area "all")
  int num_detections = 0;
  double ap = -1;    // mean precision over IoUs and recall points, area all, 100 dets
  double ap50 = -1;  // the same at IoU 0.50 only; -1 when the class has no GT
};

struct EvalResult {
  std::array<double, 12> stats{};    // -1 where a bucket has no ground truth
  std::vector<ClassEval> per_class;  // one per category, sorted by id
  // pycocotools' eval["precision"] [T][R][K][A][M] and eval["recall"] [T][K][A][M] hold -1
  // throughout for a category without ground truth, so only the categories with some are
  // stored ("rows", so that cost follows the categories used, not the ones declared):
  // precision [T][R][rows][A][M] and recall [T][rows][A][M], flattened row-major, -1 where
  // undefined. row_of[k] is the row of per_class[k], -1 when it has none. Read them through
  // precision_at() / recall_at() (k indexes per_class) or dense_precision() / dense_recall().
  std::vector<double> precision;
  std::vector<double> recall;
  std::vector<int> row_of;
  int num_rows = 0;
  int num_categories = 0;
  // Inputs pycocotools would drop without a word; reported here instead.
  int skipped_ground_truth = 0;  // image or category not in the GT lists
  int skipped_detections = 0;    // category not among the GT categories

  double precision_at(int t, int r, int k, int a, int m) const;
  double recall_at(int t, int k, int a, int m) const;
  // pycocotools' full arrays, [T][R][K][A][M] and [T][K][A][M] (K = num_categories): 97 KB per
  // declared category, for comparisons with pycocotools on small inputs.
  std::vector<double> dense_precision() const;
  std::vector<double> dense_recall() const;
};

// The IoU threshold and recall point values, bit-identical to pycocotools' linspace.
double iou_threshold(int t);
double recall_point(int r);

// Evaluates `input`. Time and memory grow with the boxes and with the categories that have
// ground truth; categories that are only declared cost a few bytes each. Fails with
// kInvalidArgument when a detection names an image that is not in input.image_ids
// (pycocotools asserts there) or when ids repeat.
Result<EvalResult> evaluate_coco(const EvalInput& input, const EvalOptions& options = {});

// Parses a COCO ground-truth file and a COCO results list (the texts, not paths).
// kInvalidArgument naming the field on malformed input.
Result<EvalInput> parse_coco_eval_input(std::string_view gt_json, std::string_view dt_json);
// Reads both files; errors name the file.
Result<EvalInput> read_coco_eval_input(const std::string& gt_path, const std::string& dt_path);

// Builds evaluation input from in-memory data (boxes converted to x, y, w, h;
// Annotation::area used when >= 0, else the box area).
EvalInput make_eval_input(const Dataset& ground_truth, const std::vector<ImageDetections>& dets);

// The 12 lines pycocotools' summarize() prints.
std::string format_summary(const EvalResult& result);
// {"stats": {"AP": ..., ...}, "per_class": {"<id>": {"AP": ..., "AP50": ...}}}
std::string format_json(const EvalResult& result, int indent = 1);

}  // namespace trellis::vision
