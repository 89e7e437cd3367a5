#include "trellis/vision/draw.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "trellis/vision/augment.h"

namespace trellis::vision {
namespace {

// Distinct, stable colours per category id (golden-ratio hue walk).
cv::Scalar colour_for(int id) {
  const double hue = std::fmod(0.13 + 0.618033988749895 * static_cast<double>(id), 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 200, 230)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return cv::Scalar(c[0], c[1], c[2]);
}

std::string category_name(const std::vector<Category>& cats, int id) {
  for (const Category& c : cats)
    if (c.id == id) return c.name;
  return std::to_string(id);
}

}  // namespace

cv::Mat draw_boxes(const cv::Mat& image, const std::vector<DrawItem>& items,
                   const DrawOptions& options) {
  cv::Mat out;
  if (image.channels() == 1)
    cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
  else
    out = image.clone();
  for (const DrawItem& it : items) {
    const cv::Scalar colour =
        it.is_ground_truth ? cv::Scalar(255, 255, 255) : colour_for(it.category_id);
    const int thickness = it.is_ground_truth ? 1 : options.thickness;
    const cv::Point p1(static_cast<int>(std::lround(it.box.x1)),
                       static_cast<int>(std::lround(it.box.y1)));
    const cv::Point p2(static_cast<int>(std::lround(it.box.x2)),
                       static_cast<int>(std::lround(it.box.y2)));
    cv::rectangle(out, p1, p2, colour, thickness, cv::LINE_AA);
    std::string text = it.label;
    if (it.score >= 0) text += fmt::format("{}{:.2f}", text.empty() ? "" : " ", it.score);
    if (text.empty()) continue;
    int baseline = 0;
    const cv::Size ts =
        cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, options.font_scale, 1, &baseline);
    // Label above the box, or inside it when the box touches the top edge.
    int y = p1.y - 2;
    if (y - ts.height - baseline < 0) y = p1.y + ts.height + baseline + 2;
    const cv::Rect bg(p1.x, y - ts.height - baseline, ts.width + 4, ts.height + baseline + 2);
    cv::rectangle(out, bg, colour, cv::FILLED);
    cv::putText(out, text, cv::Point(p1.x + 2, y - baseline), cv::FONT_HERSHEY_SIMPLEX,
                options.font_scale, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  return out;
}

std::vector<DrawItem> items_for(const std::vector<Box>& boxes, const std::vector<int>& labels,
                                const std::vector<Category>& categories) {
  std::vector<DrawItem> items;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const int id = i < labels.size() ? labels[i] : 0;
    items.push_back({boxes[i], id, category_name(categories, id), -1});
  }
  return items;
}

std::vector<DrawItem> items_for(const std::vector<Detection>& detections,
                                const std::vector<Category>& categories) {
  std::vector<DrawItem> items;
  for (const Detection& d : detections)
    items.push_back({d.box, d.category_id, category_name(categories, d.category_id), d.score});
  return items;
}

cv::Mat draw_prediction_tile(const cv::Mat& image, const std::vector<Annotation>& ground_truth,
                             const std::vector<Detection>& detections,
                             const std::vector<Category>& categories, int size, float min_score) {
  Sample s;
  s.image = image;
  for (const Annotation& a : ground_truth) s.boxes.push_back(a.box);
  std::vector<Detection> shown;
  for (const Detection& d : detections)
    if (d.score >= min_score) {
      shown.push_back(d);
      s.boxes.push_back(d.box);
    }
  const Sample boxed = letterbox(s, size);
  std::vector<DrawItem> items;
  for (size_t i = 0; i < ground_truth.size(); ++i)
    items.push_back({boxed.boxes[i], ground_truth[i].category_id, "", -1, true});
  // Low scores first, so the most confident boxes end up on top.
  std::vector<size_t> order(shown.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return shown[a].score < shown[b].score; });
  for (size_t i : order)
    items.push_back({boxed.boxes[ground_truth.size() + i], shown[i].category_id,
                     category_name(categories, shown[i].category_id), shown[i].score, false});
  return draw_boxes(boxed.image, items, {.thickness = 2, .font_scale = 0.4});
}

cv::Mat make_grid(const std::vector<cv::Mat>& images, int cols, int gap) {
  if (images.empty()) return {};
  cols = std::max(1, std::min<int>(cols, static_cast<int>(images.size())));
  const int rows = (static_cast<int>(images.size()) + cols - 1) / cols;
  const cv::Size cell = images[0].size();
  cv::Mat grid(rows * cell.height + (rows + 1) * gap, cols * cell.width + (cols + 1) * gap, CV_8UC3,
               cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < images.size(); ++i) {
    cv::Mat tile = images[i];
    if (tile.channels() == 1) cv::cvtColor(tile, tile, cv::COLOR_GRAY2BGR);
    if (tile.size() != cell) cv::resize(tile, tile, cell);
    const int r = static_cast<int>(i) / cols, c = static_cast<int>(i) % cols;
    tile.copyTo(grid(cv::Rect(gap + c * (cell.width + gap), gap + r * (cell.height + gap),
                              cell.width, cell.height)));
  }
  return grid;
}

cv::Mat plot_pr_curve(const EvalResult& result, int k, int size) {
  cv::Mat img(size, size, CV_8UC3, cv::Scalar(255, 255, 255));
  const int m0 = 50, m1 = 20;  // margins: left/bottom for labels, top/right
  const int plot = size - m0 - m1;
  auto to_px = [&](double r, double p) {
    return cv::Point(m0 + static_cast<int>(r * plot), m1 + static_cast<int>((1 - p) * plot));
  };
  cv::rectangle(img, to_px(0, 1), to_px(1, 0), cv::Scalar(0, 0, 0), 1);
  for (int i = 0; i <= 10; i += 2) {
    const double v = i / 10.0;
    cv::putText(img, fmt::format("{:.1f}", v), to_px(v, 0) + cv::Point(-10, 18),
                cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    cv::putText(img, fmt::format("{:.1f}", v), to_px(0, v) + cv::Point(-32, 4),
                cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  const ClassEval& ce = result.per_class.at(static_cast<size_t>(k));
  cv::putText(
      img,
      fmt::format("{} (id {})  AP {:.3f}  AP50 {:.3f}", ce.name, ce.category_id, ce.ap, ce.ap50),
      cv::Point(m0, 14), cv::FONT_HERSHEY_SIMPLEX, 0.42, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  struct Curve {
    int t;  // -1: mean over thresholds
    cv::Scalar colour;
    const char* name;
  };
  const Curve curves[] = {{0, cv::Scalar(200, 80, 0), "IoU 0.50"},
                          {5, cv::Scalar(0, 140, 0), "IoU 0.75"},
                          {-1, cv::Scalar(0, 0, 200), "IoU 0.50:0.95"}};
  int legend_y = m1 + 16;
  for (const Curve& c : curves) {
    cv::Point prev;
    bool have_prev = false;
    for (int r = 0; r < kNumRecallPoints; ++r) {
      double p = 0;
      int n = 0;
      for (int t = 0; t < kNumIouThresholds; ++t) {
        if (c.t >= 0 && t != c.t) continue;
        const double v = result.precision_at(t, r, k, 0, kNumMaxDets - 1);
        if (v > -1) {
          p += v;
          ++n;
        }
      }
      if (n == 0) continue;
      const cv::Point pt = to_px(recall_point(r), p / n);
      if (have_prev) cv::line(img, prev, pt, c.colour, 2, cv::LINE_AA);
      prev = pt;
      have_prev = true;
    }
    cv::line(img, cv::Point(size - 150, legend_y - 4), cv::Point(size - 130, legend_y - 4),
             c.colour, 2);
    cv::putText(img, c.name, cv::Point(size - 125, legend_y), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    legend_y += 16;
  }
  cv::putText(img, "recall", cv::Point(size / 2 - 20, size - 8), cv::FONT_HERSHEY_SIMPLEX, 0.45,
              cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  return img;
}

Status write_image(const std::string& path, const cv::Mat& image) {
  bool ok = false;
  try {
    ok = cv::imwrite(path, image);
  } catch (const cv::Exception& e) {
    return io_error(fmt::format("{}: cannot write image: {}", path, e.what()));
  }
  if (!ok) return io_error(fmt::format("{}: cannot write image (unknown extension?)", path));
  return {};
}

}  // namespace trellis::vision
