// Content checks for a detection dataset and the policy that applies them:
// every problem is reported with its file and reason; the caller chooses to fail
// or to skip the offending boxes/images with counts. Nothing is dropped silently.
// Used by `trellis data check`, the loader and the training flow.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

enum class IssueKind {
  kMissingImage,     // image file does not exist          -> whole image
  kUnreadableImage,  // exists but cannot be decoded        -> whole image
  kSizeMismatch,     // width/height differ from the file   -> whole image
  kBoxOutsideImage,  // box extends past the image borders  -> that box
  kDegenerateBox,    // zero or negative width/height, NaN  -> that box
  kUnknownCategory,  // category id not in the categories   -> that box
};
inline constexpr int kNumIssueKinds = 6;

// "missing_image", "box_outside_image", ...
const char* issue_kind_name(IssueKind kind);
// True for kinds that disqualify the whole image rather than one box.
bool is_image_issue(IssueKind kind);

struct DataIssue {
  IssueKind kind;
  size_t image_index = 0;     // into Dataset::images
  int annotation_index = -1;  // into ImageRecord::annotations; -1 for image issues
  int64_t annotation_id = -1;
  std::string file;     // the image file (path as resolved)
  std::string message;  // "box [x1, y1, x2, y2] ends 3.5 px right of width 320"
};

struct CheckOptions {
  bool open_images = true;         // read image headers (missing / size mismatch)
  bool decode_images = false;      // fully decode each image (catches truncated files)
  float outside_tolerance_px = 0;  // a box may exceed the borders by this much
};

// Every problem in `dataset`, in image order. Never fails: I/O problems are issues.
std::vector<DataIssue> check_dataset(const Dataset& dataset, const CheckOptions& options = {});

enum class InvalidDataPolicy { kFail, kSkip };

struct CleanReport {
  std::array<int, kNumIssueKinds> issues_by_kind{};
  int dropped_images = 0;
  int dropped_boxes = 0;        // boxes dropped on their own (not counting dropped images')
  std::string summary() const;  // "dropped 2 images, 5 boxes (missing_image: 2, ...)"
};

// Applies `policy` to `issues` found in `dataset`. kFail: kInvalidArgument listing
// the problems (first 20 in full, then a count). kSkip: a copy without the bad
// images and boxes; `report` (optional) gets the counts.
Result<Dataset> apply_policy(const Dataset& dataset, const std::vector<DataIssue>& issues,
                             InvalidDataPolicy policy, CleanReport* report = nullptr);

// check_dataset() then apply_policy().
Result<Dataset> validate_dataset(const Dataset& dataset, InvalidDataPolicy policy,
                                 const CheckOptions& options = {}, CleanReport* report = nullptr);

}  // namespace trellis::vision
