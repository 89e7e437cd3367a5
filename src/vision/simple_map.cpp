#include "vision/simple_map.h"

#include <algorithm>
#include <map>

namespace trellis::vision {

float iou(const Box& a, const Box& b) {
  const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float inter = w * h;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

double mean_ap50(const std::vector<ImageRecord>& images,
                 const std::vector<std::vector<Detection>>& detections) {
  struct Scored {
    float score;
    size_t image;
    Box box;
  };
  std::map<int, int> gt_count;
  std::map<int, std::vector<Scored>> by_class;
  for (size_t i = 0; i < images.size(); ++i) {
    for (const auto& a : images[i].annotations) {
      if (!a.is_crowd) ++gt_count[a.category_id];
    }
    if (i < detections.size()) {
      for (const auto& d : detections[i]) by_class[d.category_id].push_back({d.score, i, d.box});
    }
  }
  double sum = 0;
  for (const auto& [cat, total] : gt_count) {
    auto dets = by_class[cat];
    std::stable_sort(dets.begin(), dets.end(),
                     [](const Scored& a, const Scored& b) { return a.score > b.score; });
    std::map<size_t, std::vector<char>> used;
    std::vector<double> precision, recall;
    int tp = 0, fp = 0;
    for (const auto& d : dets) {
      const auto& anns = images[d.image].annotations;
      auto& u = used[d.image];
      u.resize(anns.size(), 0);
      int best = -1;
      float best_iou = 0.5f;
      for (size_t k = 0; k < anns.size(); ++k) {
        if (anns[k].category_id != cat || anns[k].is_crowd || u[k]) continue;
        const float v = iou(d.box, anns[k].box);
        if (v >= best_iou) {
          best_iou = v;
          best = static_cast<int>(k);
        }
      }
      if (best >= 0) {
        u[best] = 1;
        ++tp;
      } else {
        ++fp;
      }
      precision.push_back(static_cast<double>(tp) / (tp + fp));
      recall.push_back(static_cast<double>(tp) / total);
    }
    // Make precision monotone, then sample at 101 recall points.
    for (int k = static_cast<int>(precision.size()) - 2; k >= 0; --k) {
      precision[k] = std::max(precision[k], precision[k + 1]);
    }
    double ap = 0;
    for (int r = 0; r <= 100; ++r) {
      const double target = r / 100.0;
      auto it = std::lower_bound(recall.begin(), recall.end(), target);
      if (it != recall.end()) ap += precision[it - recall.begin()];
    }
    sum += ap / 101.0;
  }
  return gt_count.empty() ? 0.0 : sum / static_cast<double>(gt_count.size());
}

}  // namespace trellis::vision
