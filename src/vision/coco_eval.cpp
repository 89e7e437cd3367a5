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
#include <tuple>
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
  const int row = row_of[static_cast<size_t>(k)];
  if (row < 0) return -1;
  return precision[(((static_cast<size_t>(t) * kR + r) * num_rows + row) * kA + a) * kM + m];
}

double EvalResult::recall_at(int t, int k, int a, int m) const {
  const int row = row_of[static_cast<size_t>(k)];
  if (row < 0) return -1;
  return recall[((static_cast<size_t>(t) * num_rows + row) * kA + a) * kM + m];
}

std::vector<double> EvalResult::dense_precision() const {
  const size_t K = static_cast<size_t>(num_categories);
  std::vector<double> out(static_cast<size_t>(kT) * kR * K * kA * kM);
  for (int t = 0; t < kT; ++t)
    for (int r = 0; r < kR; ++r)
      for (size_t k = 0; k < K; ++k)
        for (int a = 0; a < kA; ++a)
          for (int m = 0; m < kM; ++m)
            out[(((t * kR + r) * K + k) * kA + a) * kM + m] =
                precision_at(t, r, static_cast<int>(k), a, m);
  return out;
}

std::vector<double> EvalResult::dense_recall() const {
  const size_t K = static_cast<size_t>(num_categories);
  std::vector<double> out(static_cast<size_t>(kT) * K * kA * kM);
  for (int t = 0; t < kT; ++t)
    for (size_t k = 0; k < K; ++k)
      for (int a = 0; a < kA; ++a)
        for (int m = 0; m < kM; ++m)
          out[((t * K + k) * kA + a) * kM + m] = recall_at(t, static_cast<int>(k), a, m);
  return out;
}

namespace {

// A box placed in its (category, image) cell; `index` is its position in the input, so sorting
// by (category, image, index) keeps file order inside a cell.
struct CellItem {
  uint32_t category;  // index into the sorted categories
  uint32_t image;     // index into the sorted image ids
  uint32_t index;
  bool operator<(const CellItem& o) const {
    return std::tie(category, image, index) < std::tie(o.category, o.image, o.index);
  }
};

}  // namespace

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
  result.per_class.resize(K);
  for (int k = 0; k < K; ++k) {
    result.per_class[k].category_id = cats[k].id;
    result.per_class[k].name = cats[k].name;
  }

  std::unordered_map<int64_t, uint32_t> image_index;
  image_index.reserve(I * 2);
  for (size_t i = 0; i < I; ++i) image_index.emplace(image_ids[i], static_cast<uint32_t>(i));
  std::unordered_map<int, uint32_t> cat_index;
  cat_index.reserve(static_cast<size_t>(K) * 2);
  for (int k = 0; k < K; ++k) cat_index.emplace(cats[k].id, static_cast<uint32_t>(k));

  // Only (category, image) cells that hold something exist: sorted lists of their boxes.
  std::vector<CellItem> gt_items, dt_items;
  gt_items.reserve(input.ground_truth.size());
  dt_items.reserve(input.detections.size());
  for (size_t j = 0; j < input.ground_truth.size(); ++j) {
    const auto& g = input.ground_truth[j];
    auto ii = image_index.find(g.image_id);
    auto kk = cat_index.find(g.category_id);
    if (ii == image_index.end() || kk == cat_index.end()) {
      ++result.skipped_ground_truth;
      continue;
    }
    gt_items.push_back({kk->second, ii->second, static_cast<uint32_t>(j)});
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
    dt_items.push_back({kk->second, ii->second, static_cast<uint32_t>(j)});
    ++result.per_class[kk->second].num_detections;
  }
  std::sort(gt_items.begin(), gt_items.end());
  std::sort(dt_items.begin(), dt_items.end());

  // Rows: the categories with ground truth, in id order. pycocotools leaves every other
  // category at -1 (accumulate() skips it), whatever its detections.
  result.row_of.assign(static_cast<size_t>(K), -1);
  std::vector<uint32_t> row_category;
  for (const CellItem& g : gt_items) {
    if (result.row_of[g.category] < 0) {
      result.row_of[g.category] = static_cast<int>(row_category.size());
      row_category.push_back(g.category);
    }
  }
  const int E = static_cast<int>(row_category.size());
  result.num_rows = E;
  result.precision.assign(static_cast<size_t>(kT) * kR * E * kA * kM, -1.0);
  result.recall.assign(static_cast<size_t>(kT) * E * kA * kM, -1.0);

  ImageEvaluator evaluator;
  std::vector<DetRecord> records;
  std::vector<const EvalGroundTruth*> gts;
  std::vector<const EvalDetection*> dts;
  const auto by_category = [](const CellItem& item, uint32_t k) { return item.category < k; };
  for (int e = 0; e < E; ++e) {
    const uint32_t k = row_category[e];
    auto g = std::lower_bound(gt_items.begin(), gt_items.end(), k, by_category);
    auto d = std::lower_bound(dt_items.begin(), dt_items.end(), k, by_category);
    const auto g_end = std::lower_bound(g, gt_items.end(), k + 1, by_category);
    const auto d_end = std::lower_bound(d, dt_items.end(), k + 1, by_category);
    records.clear();
    std::array<int64_t, kA> npig{};
    // Images in id order, as pycocotools concatenates them: every image with a GT or a
    // detection of this category.
    while (g != g_end || d != d_end) {
      const uint32_t image =
          std::min(g != g_end ? g->image : UINT32_MAX, d != d_end ? d->image : UINT32_MAX);
      gts.clear();
      dts.clear();
      for (; g != g_end && g->image == image; ++g) gts.push_back(&input.ground_truth[g->index]);
      for (; d != d_end && d->image == image; ++d) dts.push_back(&input.detections[d->index]);
      std::stable_sort(dts.begin(), dts.end(),
                       [](auto* a, auto* b) { return -a->score < -b->score; });
      evaluator.run(gts, dts, options.honor_ignore_flag, records, npig);
    }
    accumulate_category(records.data(), records.size(), npig, e, E, result.precision,
                        result.recall);
    result.per_class[k].num_ground_truth = static_cast<int>(npig[0]);
  }

  // summarize(): means over the defined entries of slices of precision / recall. Categories
  // without a row hold no defined entry, so leaving them out changes neither sum nor order.
  auto ap = [&](int t_only, int a, int m, int e_only) {
    std::vector<double> vals;
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int r = 0; r < kR; ++r)
        for (int e = 0; e < E; ++e)
          if (e_only < 0 || e == e_only)
            vals.push_back(
                result.precision[(((static_cast<size_t>(t) * kR + r) * E + e) * kA + a) * kM + m]);
    }
    return mean_defined(vals);
  };
  auto ar = [&](int t_only, int a, int m) {
    std::vector<double> vals;
    for (int t = 0; t < kT; ++t) {
      if (t_only >= 0 && t != t_only) continue;
      for (int e = 0; e < E; ++e)
        vals.push_back(result.recall[((static_cast<size_t>(t) * E + e) * kA + a) * kM + m]);
    }
    return mean_defined(vals);
  };
  result.stats = {ap(-1, 0, 2, -1), ap(0, 0, 2, -1),  ap(5, 0, 2, -1), ap(-1, 1, 2, -1),
                  ap(-1, 2, 2, -1), ap(-1, 3, 2, -1), ar(-1, 0, 0),    ar(-1, 0, 1),
                  ar(-1, 0, 2),     ar(-1, 1, 2),     ar(-1, 2, 2),    ar(-1, 3, 2)};
  for (int e = 0; e < E; ++e) {
    ClassEval& ce = result.per_class[row_category[e]];
    ce.ap = ap(-1, 0, 2, e);
    ce.ap50 = ap(0, 0, 2, e);
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
