#include "trellis/vision/coco_eval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace trellis::vision {
namespace {

namespace fs = std::filesystem;

fs::path vectors_dir() { return fs::path(TRELLIS_TEST_DATA_DIR) / "eval-vectors"; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

EvalGroundTruth gt(int64_t id, int64_t image, int cat, double x, double y, double w, double h,
                   bool crowd = false) {
  EvalGroundTruth g;
  g.id = id;
  g.image_id = image;
  g.category_id = cat;
  g.x = x;
  g.y = y;
  g.w = w;
  g.h = h;
  g.area = w * h;
  g.is_crowd = crowd;
  return g;
}

EvalDetection dt(int64_t image, int cat, double x, double y, double w, double h, double score) {
  return {image, cat, x, y, w, h, score};
}

EvalInput two_class_input() {
  EvalInput in;
  in.image_ids = {1, 2};
  in.categories = {{1, "leaf"}, {7, "spot"}};
  return in;
}

// Every case in tests/data/eval-vectors must match what pycocotools printed.
class SharedVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedVectors, MatchPycocotoolsToOneInAMillion) {
  const fs::path dir = vectors_dir() / GetParam();
  auto input = read_coco_eval_input((dir / "gt.json").string(), (dir / "dt.json").string());
  ASSERT_TRUE(input.ok()) << input.status().to_string();
  auto result = evaluate_coco(*input);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const auto expected = nlohmann::json::parse(slurp(dir / "expected.json"));
  for (size_t i = 0; i < kStatNames.size(); ++i)
    EXPECT_NEAR(result->stats[i], expected["stats"][kStatNames[i]].get<double>(), 1e-6)
        << kStatNames[i];
  const auto& per_class = expected["per_class"];
  EXPECT_EQ(per_class.size(), result->per_class.size());
  for (const ClassEval& c : result->per_class) {
    const auto& e = per_class[std::to_string(c.category_id)];
    EXPECT_NEAR(c.ap, e["AP"].get<double>(), 1e-6) << "category " << c.category_id;
    EXPECT_NEAR(c.ap50, e["AP50"].get<double>(), 1e-6) << "category " << c.category_id;
  }
}

INSTANTIATE_TEST_SUITE_P(AllCases, SharedVectors,
                         ::testing::Values("tiny", "random_small", "random_medium",
                                           "crowd_and_ignore", "over_100_dets", "tied_scores",
                                           "area_boundaries", "unused_category"));

TEST(CocoEval, ThresholdsAreBitIdenticalToLinspace) {
  EXPECT_EQ(iou_threshold(0), 0.5);
  EXPECT_EQ(iou_threshold(5), 0.75);
  EXPECT_EQ(iou_threshold(8), 0.8999999999999999);
  EXPECT_EQ(recall_point(35), 0.35000000000000003);
  EXPECT_EQ(recall_point(100), 1.0);
}

TEST(CocoEval, OnePerfectDetectionScoresOneInItsAreaBucket) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 10, 10, 50, 50)};  // area 2500: medium
  in.detections = {dt(1, 1, 10, 10, 50, 50, 0.9)};
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  const std::array<double, 12> want = {1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1};
  for (size_t i = 0; i < 12; ++i) EXPECT_DOUBLE_EQ(r->stats[i], want[i]) << kStatNames[i];
  EXPECT_DOUBLE_EQ(r->per_class[0].ap, 1.0);
  EXPECT_EQ(r->per_class[1].ap, -1.0);  // category 7 has no ground truth
  EXPECT_EQ(r->per_class[1].ap50, -1.0);
}

TEST(CocoEval, IouOfExactlyAThresholdMatches) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 0, 0, 100, 100)};
  in.detections = {dt(1, 1, 0, 0, 60, 100, 0.9)};  // IoU 0.6: thresholds .50 .55 .60
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->stats[0], 0.3, 1e-12);
  EXPECT_DOUBLE_EQ(r->stats[1], 1.0);
  EXPECT_DOUBLE_EQ(r->stats[2], 0.0);
  EXPECT_NEAR(r->stats[8], 0.3, 1e-12);
}

TEST(CocoEval, DetectionInsideCrowdRegionIsIgnored) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 0, 0, 50, 50), gt(2, 1, 1, 100, 100, 100, 100, true)};
  in.detections = {dt(1, 1, 120, 120, 20, 20, 0.95), dt(1, 1, 0, 0, 50, 50, 0.9)};
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->stats[0], 1.0);
  // Without the crowd flag the same detection is a false positive ranked first.
  in.ground_truth[1].is_crowd = false;
  auto r2 = evaluate_coco(in);
  ASSERT_TRUE(r2.ok());
  EXPECT_LT(r2->stats[1], 1.0);
}

TEST(CocoEval, DetectionOnEmptyImageIsFalsePositive) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 0, 0, 50, 50)};
  in.detections = {dt(2, 1, 0, 0, 50, 50, 0.9), dt(1, 1, 0, 0, 50, 50, 0.5)};
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  // pr = [0, 0.5] made monotone: 0.5 at every recall point.
  EXPECT_DOUBLE_EQ(r->stats[0], 0.5);
  EXPECT_DOUBLE_EQ(r->stats[8], 1.0);
}

TEST(CocoEval, ClassWithoutGroundTruthIsUndefinedAndDoesNotCount) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 0, 0, 50, 50)};
  in.detections = {dt(1, 1, 0, 0, 50, 50, 0.9), dt(1, 7, 0, 0, 50, 50, 0.99)};
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->stats[0], 1.0);
  EXPECT_EQ(r->per_class[1].ap, -1.0);
  EXPECT_EQ(r->per_class[1].num_detections, 1);
}

TEST(CocoEval, NoDetectionsGivesZeroNotUndefined) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 0, 0, 50, 50)};
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stats[0], 0.0);
  EXPECT_EQ(r->stats[8], 0.0);
}

TEST(CocoEval, MaxDetsCutsLowScoresPerImage) {
  EvalInput in = two_class_input();
  in.ground_truth = {gt(1, 1, 1, 0, 0, 50, 50)};
  // Ten better-scored misses push the hit out of maxDets=10 but not out of 100.
  for (int i = 0; i < 10; ++i) in.detections.push_back(dt(1, 1, 200, 200, 10, 10, 0.9));
  in.detections.push_back(dt(1, 1, 0, 0, 50, 50, 0.1));
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stats[6], 0.0);  // AR1
  EXPECT_EQ(r->stats[7], 0.0);  // AR10
  EXPECT_EQ(r->stats[8], 1.0);  // AR100
}

TEST(CocoEval, DetectionOnUnknownImageIsAnError) {
  EvalInput in = two_class_input();
  in.detections = {dt(42, 1, 0, 0, 5, 5, 0.5)};
  auto r = evaluate_coco(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("42"), std::string::npos);
}

TEST(CocoEval, MalformedDetectionNamesTheField) {
  auto r = parse_coco_eval_input(R"({"images":[],"annotations":[],"categories":[]})",
                                 R"([{"image_id":1,"category_id":1,"score":0.5,"bbox":[1,2,3]}])");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bbox"), std::string::npos);
}

TEST(CocoEval, GroundTruthAgainstItselfIsPerfect) {
  auto in = read_coco_eval_input(
      (fs::path(TRELLIS_TEST_DATA_DIR) / "plantdoc-annotations/test.json").string(),
      (vectors_dir() / "tiny/dt.json").string());
  ASSERT_TRUE(in.ok()) << in.status().to_string();
  in->detections.clear();
  for (const auto& g : in->ground_truth)
    in->detections.push_back(dt(g.image_id, g.category_id, g.x, g.y, g.w, g.h, 1.0));
  auto r = evaluate_coco(*in);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->stats[0], 1.0);
  EXPECT_DOUBLE_EQ(r->stats[8], 1.0);
}

TEST(CocoEval, SummaryHasPycocotoolsLayout) {
  EvalResult r;
  r.stats = {0.5259075907590759, 0.9174917491749174, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1};
  const std::string s = format_summary(r);
  EXPECT_EQ(s.substr(0, s.find('\n')),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.526");
  EXPECT_NE(s.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = "
                   "-1.000"),
            std::string::npos);
}

}  // namespace
}  // namespace trellis::vision

namespace trellis::vision {
namespace {

// pycocotools overwrites "ignore" with "iscrowd"; the vector proves we follow it,
// and honouring the flag instead gives other numbers.
TEST(CocoEval, IgnoreFieldIsOverwrittenByIscrowdLikePycocotools) {
  const fs::path dir = vectors_dir() / "crowd_and_ignore";
  auto input = read_coco_eval_input((dir / "gt.json").string(), (dir / "dt.json").string());
  ASSERT_TRUE(input.ok());
  int ignore_only = 0;
  for (const auto& g : input->ground_truth) ignore_only += g.ignore && !g.is_crowd;
  ASSERT_GT(ignore_only, 0);
  auto honoured = evaluate_coco(*input, {.honor_ignore_flag = true});
  ASSERT_TRUE(honoured.ok());
  const auto expected = nlohmann::json::parse(slurp(dir / "expected.json"));
  EXPECT_GT(std::abs(honoured->stats[0] - expected["stats"]["AP"].get<double>()), 1e-4);
}

TEST(CocoEval, MakeEvalInputConvertsCornersToCocoBoxes) {
  Dataset gt;
  gt.categories = {{3, "leaf"}};
  gt.images.push_back({5, "a.jpg", 100, 100, {{7, {10, 20, 50, 80}, 3, false, -1}}});
  const EvalInput in = make_eval_input(gt, {{5, {{{10, 20, 50, 80}, 0.5f, 3}}}});
  ASSERT_EQ(in.ground_truth.size(), 1u);
  EXPECT_EQ(in.ground_truth[0].w, 40);
  EXPECT_EQ(in.ground_truth[0].h, 60);
  EXPECT_EQ(in.ground_truth[0].area, 2400);
  EXPECT_EQ(in.ground_truth[0].id, 7);
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->stats[0], 1.0);
}

// A small case from the shared vectors, its categories padded with `extra` declared, unused
// ones (ids above every real one, interleaved names do not matter).
EvalInput with_unused_categories(int extra) {
  const fs::path dir = vectors_dir() / "random_small";
  EvalInput in =
      read_coco_eval_input((dir / "gt.json").string(), (dir / "dt.json").string()).value();
  int next = 1;
  for (const auto& c : in.categories) next = std::max(next, c.id + 1);
  for (int i = 0; i < extra; ++i) in.categories.push_back({next + 2 * i, "unused"});
  return in;
}

TEST(CocoEval, CostFollowsTheCategoriesUsedNotTheOnesDeclared) {
  const EvalInput plain = with_unused_categories(0);
  auto base = evaluate_coco(plain);
  ASSERT_TRUE(base.ok());
  // 2,000 declared categories used to cost 2,000 x 97 KB of precision array and a per-class
  // pass over all of them for each of them; now only categories with ground truth have rows.
  const EvalInput padded = with_unused_categories(2000);
  auto r = evaluate_coco(padded);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->precision.size(), base->precision.size());
  ASSERT_EQ(r->recall.size(), base->recall.size());
  EXPECT_LE(r->num_rows, static_cast<int>(plain.categories.size()));
  EXPECT_EQ(r->per_class.size(), plain.categories.size() + 2000);
  // The same numbers, bit for bit (the vectors' pycocotools agreement is checked above).
  for (size_t i = 0; i < kStatNames.size(); ++i) EXPECT_EQ(r->stats[i], base->stats[i]);
  for (size_t k = 0; k < base->per_class.size(); ++k) {
    EXPECT_EQ(r->per_class[k].ap, base->per_class[k].ap);
    EXPECT_EQ(r->per_class[k].num_detections, base->per_class[k].num_detections);
  }
  EXPECT_EQ(r->per_class.back().ap, -1.0);
  EXPECT_EQ(r->precision_at(0, 50, static_cast<int>(r->per_class.size()) - 1, 0, 2), -1.0);

  // The issue's case: 20,000 declared categories, under a second and a few MB.
  const EvalInput huge = with_unused_categories(20000);
  auto h = evaluate_coco(huge);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->precision.size(), base->precision.size());
  EXPECT_EQ(h->stats, base->stats);
}

TEST(CocoEval, DetectionsOfACategoryWithoutGroundTruthAreCountedNotEvaluated) {
  EvalInput in = two_class_input();
  in.categories.push_back({9, "never"});
  in.ground_truth = {gt(1, 1, 1, 0, 0, 50, 50)};
  in.detections = {dt(1, 9, 0, 0, 50, 50, 0.9), dt(2, 9, 0, 0, 50, 50, 0.8)};
  auto r = evaluate_coco(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num_rows, 1);
  EXPECT_EQ(r->per_class[2].num_detections, 2);
  EXPECT_EQ(r->per_class[2].ap, -1.0);
  EXPECT_EQ(r->per_class[0].ap, 0.0);  // the GT of category 1 was not found
  EXPECT_EQ(r->dense_precision().size(), 10u * 101 * 3 * 4 * 3);
}

TEST(CocoEvalInput, IdsBeyondTheirRangeAreRefusedNotWrapped) {
  const std::string gt_ok = R"({"images":[{"id":1}],"annotations":[],"categories":[{"id":1}]})";
  EXPECT_TRUE(parse_coco_eval_input(gt_ok, "[]").ok());
  for (
      const char* gt : {
          R"({"images":[{"id":1}],"annotations":[],"categories":[{"id":4294967297}]})",
          R"({"images":[{"id":1e300}],"annotations":[],"categories":[]})",
          R"({"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"image_id":1,"category_id":1e12,"bbox":[0,0,1,1]}]})",
      }) {
    auto r = parse_coco_eval_input(gt, "[]");
    ASSERT_FALSE(r.ok()) << gt;
    EXPECT_NE(r.status().message().find("out of range"), std::string::npos)
        << r.status().to_string();
  }
  auto dt = parse_coco_eval_input(
      gt_ok, R"([{"image_id":1,"category_id":4294967297,"bbox":[0,0,1,1],"score":0.5}])");
  ASSERT_FALSE(dt.ok());
  EXPECT_NE(dt.status().message().find("category_id"), std::string::npos);
}

}  // namespace
}  // namespace trellis::vision
