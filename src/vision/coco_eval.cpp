// COCO bbox evaluation. The arithmetic follows pycocotools step by step (IoU in
// doubles on x, y, w, h; stable sorts on -score; greedy matching in which a later
// GT with an equal IoU wins; precision made monotone before sampling), because
// agreement to 1e-6 depends on every one of those choices. The speed comes from
// grouping work by (category, image) once, sorting each category's detections
// once for all area ranges and maxDets, and keeping one byte of state per
// detection, IoU threshold and area range.
#include "trellis/vision/coco_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace trellis::vision {
namespace {

constexpr int kT = kNumIouThresholds;
constexpr int kR = kNumRecallPoints;
constexpr int kA = kNumAreaRanges;
constexpr int kM = kNumMaxDets;
constexpr std::array<int, kM> kMaxDets = {1, 10, 100};
constexpr int kMaxDetsLast = 100;
constexpr std::array<std::array<double, 2>, kA> kAreaRanges = {
    {{0.0, 1e10}, {0.0, 32.0 * 32.0}, {32.0 * 32.0, 96.0 * 96.0}, {96.0 * 96.0, 1e10}}};

// Outcome of one detection at one IoU threshold and area range.
enum DetState : uint8_t { kFalsePositive = 0, kTruePositive = 1, kIgnored = 2 };

// One evaluated detection (at most 100 per image and category), in pycocotools'
// concatenation order: category, then image, then score rank within the image.
struct DetRecord {
  double score;
  int rank;  // position after the per-image score sort (for the maxDets cut)
  std::array<std::array<uint8_t, kT>, kA> state;
};

bool outside(double area, int a) { return area < kAreaRanges[a][0] || area > kAreaRanges[a][1]; }

// pycocotools' maskApi bbIou, same operation order.
double box_iou(const EvalDetection& d, const EvalGroundTruth& g) {
  const double ga = g.w * g.h;
  const double da = d.w * d.h;
  const double w = std::min(d.w + d.x, g.w + g.x) - std::max(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::min(d.h + d.y, g.h + g.y) - std::max(d.y, g.y);
  if (h <= 0) return 0;
  const double i = w * h;
  const double u = g.is_crowd ? da : da + ga - i;
  return i / u;
}

// Per-image work, buffers reused across images.
struct ImageEvaluator {
  std::vector<double> ious;   // [d][g], g in the original GT order
  std::vector<int> gt_order;  // GTs sorted with ignored ones last
  std::vector<uint8_t> gt_ignored;
  std::vector<uint8_t> gt_taken;  // [g] for the current threshold
  std::vector<int64_t> matched_id;

  // Appends the records of one (image, category) cell to `out` and adds the number
  // of non-ignored GTs per area range to `npig`.
  void run(const std::vector<const EvalGroundTruth*>& gts,
           const std::vector<const EvalDetection*>& dts, bool honor_ignore,
           std::vector<DetRecord>& out, std::array<int64_t, kA>& npig) {
    const size_t G = gts.size();
    const size_t D = std::min<size_t>(dts.size(), kMaxDetsLast);
    ious.assign(D * G, 0.0);
    for (size_t d = 0; d < D; ++d)
      for (size_t g = 0; g < G; ++g) ious[d * G + g] = box_iou(*dts[d], *gts[g]);

    const size_t base = out.size();
    for (size_t d = 0; d < D; ++d) {
      DetRecord rec;
      rec.score = dts[d]->score;
      rec.rank = static_cast<int>(d);
      out.push_back(rec);
    }
    matched_id.resize(D);
    for (int a = 0; a < kA; ++a) {
      gt_order.clear();
      gt_ignored.assign(G, 0);
      for (size_t g = 0; g < G; ++g) {
        const bool ign = gts[g]->is_crowd || (honor_ignore && gts[g]->ignore);
        gt_ignored[g] = ign || outside(gts[g]->area, a);
        if (!gt_ignored[g]) {
          gt_order.push_back(static_cast<int>(g));
          ++npig[a];
        }
      }
      for (size_t g = 0; g < G; ++g)
        if (gt_ignored[g]) gt_order.push_back(static_cast<int>(g));

      for (int t = 0; t < kT; ++t) {
        gt_taken.assign(G, 0);
        const double thr = std::min(iou_threshold(t), 1 - 1e-10);
        for (size_t d = 0; d < D; ++d) {
          double best = thr;
          int m = -1;
          for (int g : gt_order) {
            if (gt_taken[g] && !gts[g]->is_crowd) continue;
            if (m > -1 && !gt_ignored[m] && gt_ignored[g]) break;
            const double iou = ious[d * G + g];
            if (iou < best) continue;
            best = iou;
            m = g;
          }
          uint8_t state;
          const double det_area = dts[d]->w * dts[d]->h;
          if (m == -1) {
            state = outside(det_area, a) ? kIgnored : kFalsePositive;
          } else {
            gt_taken[m] = 1;
            const int64_t gid = gts[m]->id;
            if (gt_ignored[m]) {
              state = kIgnored;
            } else if (gid == 0) {
              // pycocotools stores the GT id as the match; id 0 reads as "no match".
              state = outside(det_area, a) ? kIgnored : kFalsePositive;
            } else {
              state = kTruePositive;
            }
          }
          out[base + d].state[a][t] = state;
        }
      }
    }
  }
};

// pycocotools' accumulate() for one category, all area ranges and maxDets.
void accumulate_category(const DetRecord* recs, size_t n, const std::array<int64_t, kA>& npig,
                         int k, int K, std::vector<double>& precision,
                         std::vector<double>& recall) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return -recs[a].score < -recs[b].score; });
  std::vector<double> pr, rc;
  pr.reserve(n);
  rc.reserve(n);
  for (int a = 0; a < kA; ++a) {
    if (npig[a] == 0) continue;
    const double np = static_cast<double>(npig[a]);
    for (int m = 0; m < kM; ++m) {
      const int max_det = kMaxDets[m];
      for (int t = 0; t < kT; ++t) {
        pr.clear();
        rc.clear();
        double tp = 0, fp = 0;
        bool any = false;
        for (uint32_t idx : order) {
          const DetRecord& r = recs[idx];
          if (r.rank >= max_det) continue;
          any = true;
          const uint8_t s = r.state[a][t];
          if (s == kIgnored) continue;  // flat steps change no sampled value
          if (s == kTruePositive)
            tp += 1;
          else
            fp += 1;
          rc.push_back(tp / np);
          pr.push_back(tp / (fp + tp + 2.220446049250313e-16));
        }
        recall[((t * K + k) * kA + a) * kM + m] = any && !rc.empty() ? rc.back() : 0.0;
        for (size_t i = pr.size(); i-- > 1;)
          if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        size_t pos = 0;
        for (int r = 0; r < kR; ++r) {
          const double thr = recall_point(r);
          while (pos < rc.size() && rc[pos] < thr) ++pos;
          const double q = pos < rc.size() ? pr[pos] : 0.0;
          precision[(((t * kR + r) * K + k) * kA + a) * kM + m] = q;
        }
      }
    }
  }
}

double mean_defined(const std::vector<double>& values) {
  double sum = 0;
  int64_t n = 0;
  for (double v : values)
    if (v > -1) {
      sum += v;
      ++n;
    }
  return n == 0 ? -1.0 : sum / static_cast<double>(n);
}

}  // namespace

double iou_threshold(int t) {
  if (t == kT - 1) return 0.95;
  return static_cast<double>(t) * ((0.95 - 0.5) / 9.0) + 0.5;
}

double recall_point(int r) {
  if (r == kR - 1) return 1.0;
  return static_cast<double>(r) * (1.0 / 100.0);
}

double EvalResult::precision_at(int t, int r, int k, int a, int m) const {
  return precision[(((static_cast<size_t>(t) * kR + r) * num_categories + k) * kA + a) * kM + m];
}

double EvalResult::recall_at(int t, int k, int a, int m) const {
  return recall[((static_cast<size_t>(t) * num_categories + k) * kA + a) * kM + m];
}

Result<EvalResult> evaluate_coco(const EvalInput& input, const EvalOptions& options) {
  EvalResult result;
  // Sorted unique image and category ids, as COCOeval's params hold them.
  std::vector<int64_t> image_ids = input.image_ids;
  std::sort(image_ids.begin(), image_ids.end());
  if (std::adjacent_find(image_ids.begin(), image_ids.end()) != image_ids.end())
    return invalid_argument("ground truth lists an image id twice");
  std::vector<Category> cats = input.categories;
  std::sort(cats.begin(), cats.end(), [](auto& a, auto& b) { return a.id < b.id; });
  for (size_t i = 1; i < cats.size(); ++i)
    if (cats[i].id == cats[i - 1].id)
      return invalid_argument(fmt::format("category id {} listed twice", cats[i].id));
  const int K = static_cast<int>(cats.size());
  const size_t I = image_ids.size();
  result.num_categories = K;

  std::unordered_map<int64_t, uint32_t> image_index;
  image_index.reserve(I * 2);
  for (size_t i = 0; i < I; ++i) image_index.emplace(image_ids[i], static_cast<uint32_t>(i));
  std::unordered_map<int, int> cat_index;
  for (int k = 0; k < K; ++k) cat_index.emplace(cats[k].id, k);

  // Counting sort of GTs and detections into (category, image) cells, stable.
  const size_t cells = static_cast<size_t>(K) * I;
  std::vector<uint32_t> gt_start(cells + 1, 0), dt_start(cells + 1, 0);
  std::vector<int64_t> gt_cell(input.ground_truth.size(), -1);
  std::vector<int64_t> dt_cell(input.detections.size(), -1);
  for (size_t j = 0; j < input.ground_truth.size(); ++j) {
    const auto& g = input.ground_truth[j];
    auto ii = image_index.find(g.image_id);
    auto kk = cat_index.find(g.category_id);
    if (ii == image_index.end() || kk == cat_index.end()) {
      ++result.skipped_ground_truth;
      continue;
    }
    gt_cell[j] = static_cast<int64_t>(kk->second) * I + ii->second;
    ++gt_start[gt_cell[j] + 1];
  }
  for (size_t j = 0; j < input.detections.size(); ++j) {
    const auto& d = input.detections[j];
    auto ii = image_index.find(d.image_id);
    if (ii == image_index.end())
      return invalid_argument(fmt::format(
          "detection {} names image {} which is not in the ground truth", j, d.image_id));
    auto kk = cat_index.find(d.category_id);
    if (kk == cat_index.end()) {
      ++result.skipped_detections;
      continue;
    }
    dt_cell[j] = static_cast<int64_t>(kk->second) * I + ii->second;
    ++dt_start[dt_cell[j] + 1];
  }
  std::partial_sum(gt_start.begin(), gt_start.end(), gt_start.begin());
  std::partial_sum(dt_start.begin(), dt_start.end(), dt_start.begin());
  std::vector<const EvalGroundTruth*> gt_sorted(gt_start.back());
  std::vector<const EvalDetection*> dt_sorted(dt_start.back());
  {
    std::vector<uint32_t> fill(gt_start.begin(), gt_start.end() - 1);
    for (size_t j = 0; j < gt_cell.size(); ++j)
      if (gt_cell[j] >= 0) gt_sorted[fill[gt_cell[j]]++] = &input.ground_truth[j];
    fill.assign(dt_start.begin(), dt_start.end() - 1);
    for (size_t j = 0; j < dt_cell.size(); ++j)
      if (dt_cell[j] >= 0) dt_sorted[fill[dt_cell[j]]++] = &input.detections[j];
  }

  result.precision.assign(static_cast<size_t>(kT) * kR * K * kA * kM, -1.0);
  result.recall.assign(static_cast<size_t>(kT) * K * kA * kM, -1.0);
  result.per_class.resize(K);

  ImageEvaluator evaluator;
  std::vector<DetRecord> records;
  std::vector<const EvalGroundTruth*> gts;
  std::vector<const EvalDetection*> dts;
  for (int k = 0; k < K; ++k) {
    records.clear();
    std::array<int64_t, kA> npig{};
    for (size_t i = 0; i < I; ++i) {
      const size_t c = static_cast<size_t>(k) * I + i;
      if (gt_start[c] == gt_start[c + 1] && dt_start[c] == dt_start[c + 1]) continue;
      gts.assign(gt_sorted.begin() + gt_start[c], gt_sorted.begin() + gt_start[c + 1]);
      dts.assign(dt_sorted.begin() + dt_start[c], dt_sorted.begin() + dt_start[c + 1]);
      std::stable_sort(dts.begin(), dts.end(),
                       [](auto* a, auto* b) { return -a->score < -b->score; });
      evaluator.run(gts, dts, options.honor_ignore_flag, records, npig);
    }
    accumulate_category(records.data(), records.size(), npig, k, K, result.precision,
                        result.recall);
    ClassEval& ce = result.per_class[k];
    ce.category_id = cats[k].id;
    ce.name = cats[k].name;
    ce.num_ground_truth = static_cast<int>(npig[0]);
    ce.num_detections = static_cast<int>(dt_start[static_cast<size_t>(k + 1) * I] -
                                         dt_start[static_cast<size_t>(k) * I]);
  }

  // summarize(): means over the defined entries of slices of precision / recall.
  auto ap = [&](int t_only, int a, int m, int k_only) {
    std::vector<double> vals;
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int r = 0; r < kR; ++r)
        for (int k = 0; k < K; ++k)
          if (k_only < 0 || k == k_only) vals.push_back(result.precision_at(t, r, k, a, m));
    }
    return mean_defined(vals);
  };
  auto ar = [&](int t_only, int a, int m) {
    std::vector<double> vals;
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int k = 0; k < K; ++k) vals.push_back(result.recall_at(t, k, a, m));
    }
    return mean_defined(vals);
  };
  result.stats = {ap(-1, 0, 2, -1), ap(0, 0, 2, -1),  ap(5, 0, 2, -1), ap(-1, 1, 2, -1),
                  ap(-1, 2, 2, -1), ap(-1, 3, 2, -1), ar(-1, 0, 0),    ar(-1, 0, 1),
                  ar(-1, 0, 2),     ar(-1, 1, 2),     ar(-1, 2, 2),    ar(-1, 3, 2)};
  for (int k = 0; k < K; ++k) {
    result.per_class[k].ap = ap(-1, 0, 2, k);
    result.per_class[k].ap50 = ap(0, 0, 2, k);
  }
  return result;
}

EvalInput make_eval_input(const Dataset& ground_truth, const std::vector<ImageDetections>& dets) {
  EvalInput in;
  in.categories = ground_truth.categories;
  int64_t next_id = 1;
  for (const ImageRecord& img : ground_truth.images) {
    in.image_ids.push_back(img.id);
    for (const Annotation& a : img.annotations) {
      EvalGroundTruth g;
      g.id = a.id != 0 ? a.id : next_id;
      ++next_id;
      g.image_id = img.id;
      g.category_id = a.category_id;
      g.x = a.box.x1;
      g.y = a.box.y1;
      g.w = static_cast<double>(a.box.x2) - a.box.x1;
      g.h = static_cast<double>(a.box.y2) - a.box.y1;
      g.area = a.area >= 0 ? a.area : g.w * g.h;
      g.is_crowd = a.is_crowd;
      in.ground_truth.push_back(g);
    }
  }
  for (const ImageDetections& im : dets) {
    for (const Detection& d : im.detections) {
      EvalDetection e;
      e.image_id = im.image_id;
      e.category_id = d.category_id;
      e.x = d.box.x1;
      e.y = d.box.y1;
      e.w = static_cast<double>(d.box.x2) - d.box.x1;
      e.h = static_cast<double>(d.box.y2) - d.box.y1;
      e.score = d.score;
      in.detections.push_back(e);
    }
  }
  return in;
}

}  // namespace trellis::vision
