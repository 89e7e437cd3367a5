// The fast evaluator against a plain reference written straight from the
// definition (per image and area range: full match arrays; per category, area
// and maxDets: concatenate, stable sort, cumulative sums over every detection
// including ignored ones, monotone precision, sampling), on random cases built
// to hit the corners: crowds, tied scores, more than 100 detections, areas at
// the bucket boundaries, empty images, unused categories.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "trellis/vision/coco_eval.h"

namespace trellis::vision {
namespace {

constexpr std::array<int, 3> kMaxDets = {1, 10, 100};
constexpr std::array<std::array<double, 2>, 4> kAreas = {
    {{0, 1e10}, {0, 1024}, {1024, 9216}, {9216, 1e10}}};

double iou(const EvalDetection& d, const EvalGroundTruth& g) {
  const double w = std::min(d.x + d.w, g.x + g.w) - std::max(d.x, g.x);
  const double h = std::min(d.y + d.h, g.y + g.h) - std::max(d.y, g.y);
  if (w <= 0 || h <= 0) return 0;
  const double i = w * h;
  return i / (g.is_crowd ? d.w * d.h : d.w * d.h + g.w * g.h - i);
}

struct ImageEval {
  std::vector<double> scores;                 // sorted, at most 100
  std::vector<std::vector<int64_t>> matched;  // [t][d] GT id or 0
  std::vector<std::vector<bool>> ignored;     // [t][d]
  int npig = 0;
};

ImageEval eval_image(std::vector<EvalGroundTruth> gts, std::vector<EvalDetection> dts, int a) {
  std::stable_sort(dts.begin(), dts.end(),
                   [](const auto& x, const auto& y) { return x.score > y.score; });
  if (dts.size() > 100) dts.resize(100);
  auto out_of = [&](double area) { return area < kAreas[a][0] || area > kAreas[a][1]; };
  std::vector<int> ign(gts.size());
  for (size_t g = 0; g < gts.size(); ++g) ign[g] = gts[g].is_crowd || out_of(gts[g].area);
  std::vector<size_t> order(gts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return ign[x] < ign[y]; });
  ImageEval e;
  for (int v : ign) e.npig += v == 0;
  for (const auto& d : dts) e.scores.push_back(d.score);
  for (int t = 0; t < kNumIouThresholds; ++t) {
    std::vector<int64_t> gt_match(gts.size(), 0);
    std::vector<int64_t> dm(dts.size(), 0);
    std::vector<bool> di(dts.size(), false);
    for (size_t d = 0; d < dts.size(); ++d) {
      double best = std::min(iou_threshold(t), 1 - 1e-10);
      long m = -1;
      for (size_t gi = 0; gi < order.size(); ++gi) {
        const size_t g = order[gi];
        if (gt_match[g] > 0 && !gts[g].is_crowd) continue;
        if (m > -1 && !ign[static_cast<size_t>(m)] && ign[g]) break;
        const double o = iou(dts[d], gts[g]);
        if (o < best) continue;
        best = o;
        m = static_cast<long>(g);
      }
      if (m == -1) continue;
      di[d] = ign[static_cast<size_t>(m)];
      dm[d] = gts[static_cast<size_t>(m)].id;
      gt_match[static_cast<size_t>(m)] = static_cast<int64_t>(d) + 1;
    }
    for (size_t d = 0; d < dts.size(); ++d)
      if (dm[d] == 0 && out_of(dts[d].w * dts[d].h)) di[d] = true;
    e.matched.push_back(dm);
    e.ignored.push_back(di);
  }
  return e;
}

// precision[t][r][k][a][m] and recall[t][k][a][m] as flat arrays like EvalResult's.
void reference(const EvalInput& in, std::vector<double>& precision, std::vector<double>& recall) {
  std::vector<int64_t> images = in.image_ids;
  std::sort(images.begin(), images.end());
  std::vector<int> cats;
  for (const auto& c : in.categories) cats.push_back(c.id);
  std::sort(cats.begin(), cats.end());
  const size_t K = cats.size();
  precision.assign(10 * 101 * K * 4 * 3, -1);
  recall.assign(10 * K * 4 * 3, -1);
  for (size_t k = 0; k < K; ++k)
    for (int a = 0; a < 4; ++a) {
      std::vector<ImageEval> evals;
      for (int64_t img : images) {
        std::vector<EvalGroundTruth> g;
        std::vector<EvalDetection> d;
        for (const auto& x : in.ground_truth)
          if (x.image_id == img && x.category_id == cats[k]) g.push_back(x);
        for (const auto& x : in.detections)
          if (x.image_id == img && x.category_id == cats[k]) d.push_back(x);
        if (!g.empty() || !d.empty()) evals.push_back(eval_image(g, d, a));
      }
      int npig = 0;
      for (const auto& e : evals) npig += e.npig;
      if (evals.empty() || npig == 0) continue;
      for (int m = 0; m < 3; ++m) {
        struct Entry {
          double score;
          const ImageEval* e;
          size_t d;
        };
        std::vector<Entry> all;
        for (const auto& e : evals)
          for (size_t d = 0; d < e.scores.size() && d < static_cast<size_t>(kMaxDets[m]); ++d)
            all.push_back({e.scores[d], &e, d});
        std::stable_sort(all.begin(), all.end(),
                         [](const Entry& x, const Entry& y) { return -x.score < -y.score; });
        for (int t = 0; t < 10; ++t) {
          std::vector<double> rc, pr;
          double tp = 0, fp = 0;
          for (const Entry& x : all) {
            const bool matched = x.e->matched[t][x.d] != 0, ig = x.e->ignored[t][x.d];
            tp += matched && !ig;
            fp += !matched && !ig;
            rc.push_back(tp / npig);
            pr.push_back(tp / (fp + tp + 2.220446049250313e-16));
          }
          recall[((t * K + k) * 4 + a) * 3 + m] = rc.empty() ? 0 : rc.back();
          for (size_t i = pr.size(); i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
          for (int r = 0; r < 101; ++r) {
            const auto it = std::lower_bound(rc.begin(), rc.end(), recall_point(r));
            const size_t pos = static_cast<size_t>(it - rc.begin());
            precision[(((t * 101 + r) * K + k) * 4 + a) * 3 + m] = pos < pr.size() ? pr[pos] : 0;
          }
        }
      }
    }
}

EvalInput random_case(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng); };
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  EvalInput in;
  in.categories = {{3, "a"}, {1, "b"}, {8, "c"}, {5, "unused"}};
  const int cat_ids[] = {3, 1, 8};
  const int num_images = 6 + pick(10);
  int64_t gid = 1;
  for (int i = 0; i < num_images; ++i) {
    const int64_t img = 100 - 7 * i;  // unsorted ids
    in.image_ids.push_back(img);
    const int n_gt = pick(6);  // some images empty
    std::vector<EvalGroundTruth> gts;
    for (int j = 0; j < n_gt; ++j) {
      EvalGroundTruth g;
      g.id = gid++;
      g.image_id = img;
      g.category_id = cat_ids[pick(3)];
      // Sides from a few values so areas hit 32^2 and 96^2 exactly.
      const double sides[] = {16, 32, 48, 64, 96, 128, uni(5, 150)};
      g.w = sides[pick(7)];
      g.h = pick(2) ? g.w : sides[pick(7)];
      g.x = std::round(uni(0, 300));
      g.y = std::round(uni(0, 300));
      g.area = g.w * g.h;
      g.is_crowd = pick(8) == 0;
      gts.push_back(g);
      in.ground_truth.push_back(g);
    }
    const int n_dt = pick(4) == 0 ? 110 + pick(30) : pick(15);
    for (int j = 0; j < n_dt; ++j) {
      EvalDetection d;
      d.image_id = img;
      if (!gts.empty() && pick(3) != 0) {
        const auto& g = gts[static_cast<size_t>(pick(static_cast<int>(gts.size())))];
        d.category_id = pick(5) ? g.category_id : cat_ids[pick(3)];
        d.x = g.x + std::round(uni(-0.2, 0.2) * g.w);
        d.y = g.y + std::round(uni(-0.2, 0.2) * g.h);
        d.w = std::max(1.0, std::round(g.w * uni(0.7, 1.3)));
        d.h = std::max(1.0, std::round(g.h * uni(0.7, 1.3)));
      } else {
        d.category_id = cat_ids[pick(3)];
        d.x = uni(0, 300);
        d.y = uni(0, 300);
        d.w = uni(2, 120);
        d.h = uni(2, 120);
      }
      d.score = pick(10) / 10.0;  // many ties
      in.detections.push_back(d);
    }
  }
  return in;
}

TEST(CocoEvalReference, FastPathMatchesPlainDefinitionOnRandomCases) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const EvalInput in = random_case(seed);
    auto fast = evaluate_coco(in);
    ASSERT_TRUE(fast.ok());
    std::vector<double> precision, recall;
    reference(in, precision, recall);
    const std::vector<double> fast_precision = fast->dense_precision();
    const std::vector<double> fast_recall = fast->dense_recall();
    ASSERT_EQ(fast_precision.size(), precision.size());
    ASSERT_EQ(fast_recall.size(), recall.size());
    size_t diffs = 0;
    for (size_t i = 0; i < precision.size(); ++i) diffs += fast_precision[i] != precision[i];
    for (size_t i = 0; i < recall.size(); ++i) diffs += fast_recall[i] != recall[i];
    EXPECT_EQ(diffs, 0u) << "seed " << seed;
  }
}

}  // namespace
}  // namespace trellis::vision
