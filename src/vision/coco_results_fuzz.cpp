// libFuzzer target: COCO evaluation input (a ground-truth file and a results list, split at the
// first NUL byte; without one, the input is the results list for a fixed ground truth), then
// the evaluation itself on whatever parses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trellis/vision/coco_eval.h"

namespace {

constexpr std::string_view kGroundTruth = R"({
  "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 50, "height": 80}],
  "categories": [{"id": 1, "name": "a"}, {"id": 3, "name": "b"}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 30], "area": 900},
    {"id": 2, "image_id": 1, "category_id": 3, "bbox": [0, 0, 100, 100], "area": 10000,
     "iscrowd": 1},
    {"id": 3, "image_id": 2, "category_id": 3, "bbox": [5, 5, 20, 60], "area": 1200}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view gt = nul == std::string_view::npos ? kGroundTruth : input.substr(0, nul);
  const std::string_view dt = nul == std::string_view::npos ? input : input.substr(nul + 1);
  auto parsed = trellis::vision::parse_coco_eval_input(gt, dt);
  if (!parsed.ok()) return 0;
  auto result = trellis::vision::evaluate_coco(*parsed);
  if (result.ok()) (void)trellis::vision::format_json(*result);
  return 0;
}
