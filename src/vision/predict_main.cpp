// trellis-predict: runs a checkpoint on images; prints COCO-style detections (--json) and/or
// writes detections.json plus drawn PNGs to --out.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "trellis/vision/detector.h"
#include "trellis/vision/runtime.h"
#include "trellis/vision/safetensors.h"
#include "vision/simple_coco.h"

namespace tv = trellis::vision;

namespace {

void draw(cv::Mat& img, const std::vector<tv::Detection>& dets, const tv::Detector& det) {
  for (const auto& d : dets) {
    const int hue = (d.category_id * 47) % 180;
    cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 220, 255)), bgr;
    cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
    const cv::Scalar colour(bgr.at<cv::Vec3b>(0)[0], bgr.at<cv::Vec3b>(0)[1], bgr.at<cv::Vec3b>(0)[2]);
    cv::rectangle(img, cv::Point(static_cast<int>(d.box.x1), static_cast<int>(d.box.y1)),
                  cv::Point(static_cast<int>(d.box.x2), static_cast<int>(d.box.y2)), colour, 2);
    char label[160];
    std::snprintf(label, sizeof(label), "%s %.2f", det.category_name(d.category_id).c_str(), d.score);
    int base = 0;
    const auto ts = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base);
    const cv::Point org(static_cast<int>(d.box.x1), std::max(ts.height + 2, static_cast<int>(d.box.y1)));
    cv::rectangle(img, org + cv::Point(0, base), org + cv::Point(ts.width, -ts.height - 2), colour,
                  cv::FILLED);
    cv::putText(img, label, org, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run a RetinaNet checkpoint on images"};
  std::string model, out, device = "cpu";
  std::vector<std::string> images;
  bool print_json = false;
  float score = 0.3f, nms = 0.5f;
  int max_dets = 100, threads = 0, batch = 8;
  app.add_option("--model", model, "checkpoint (.safetensors)")->required();
  app.add_flag("--json", print_json, "print COCO-style detections to stdout");
  app.add_option("--out", out, "folder for detections.json and drawn PNGs");
  app.add_option("--score-thresh", score, "minimum score");
  app.add_option("--nms-iou", nms, "per-class NMS IoU threshold");
  app.add_option("--max-detections", max_dets, "per image");
  app.add_option("--device", device, "cpu | cuda | cuda:N");
  app.add_option("--threads", threads, "intra-op threads (0: all cores)");
  app.add_option("--batch-size", batch, "images per forward pass");
  app.add_option("images", images, "image files")->required();
  CLI11_PARSE(app, argc, argv);
  tv::tune_cpu_allocator();

  auto det = tv::Detector::load_file(model, {.device = device, .num_threads = threads});
  if (!det.ok()) {  // 1, not 2: the command line was fine, the checkpoint is not
    std::fprintf(stderr, "trellis-predict: %s\n", det.status().to_string().c_str());
    return 1;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!out.empty() && !fs::create_directories(out, ec) && ec) {
    std::fprintf(stderr, "trellis-predict: %s: %s\n", out.c_str(), ec.message().c_str());
    return 2;
  }
  nlohmann::json results = nlohmann::json::array();
  const tv::DetectOptions opts{.score_threshold = score, .nms_iou = nms, .max_detections = max_dets};
  try {
    for (size_t start = 0; start < images.size(); start += batch) {
      std::vector<cv::Mat> mats;
      std::vector<tv::ImageView> views;
      const size_t end = std::min(images.size(), start + static_cast<size_t>(batch));
      for (size_t i = start; i < end; ++i) {
        auto img = tv::read_image_bgr(images[i]);
        if (!img.ok()) {
          std::fprintf(stderr, "trellis-predict: %s\n", img.status().to_string().c_str());
          return 2;
        }
        mats.push_back(*img);
      }
      for (const auto& m : mats) views.push_back({m.data, m.cols, m.rows, static_cast<int>(m.step), true});
      auto dets = (*det)->detect(views, opts);
      for (size_t k = 0; k < mats.size(); ++k) {
        const size_t i = start + k;
        for (const auto& d : dets[k]) {
          results.push_back({{"image_id", static_cast<int64_t>(i + 1)},
                             {"file_name", images[i]},
                             {"category_id", d.category_id},
                             {"category_name", (*det)->category_name(d.category_id)},
                             {"bbox", {d.box.x1, d.box.y1, d.box.width(), d.box.height()}},
                             {"score", d.score}});
        }
        if (!out.empty()) {
          draw(mats[k], dets[k], **det);
          const auto png = fs::path(out) / (fs::path(images[i]).stem().string() + ".png");
          if (!cv::imwrite(png.string(), mats[k])) {
            std::fprintf(stderr, "trellis-predict: %s: cannot write\n", png.c_str());
            return 1;
          }
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trellis-predict: %s\n", e.what());
    return 1;
  }
  if (print_json) std::printf("%s\n", results.dump(2).c_str());
  if (!out.empty()) {
    auto s = tv::write_file_atomic((fs::path(out) / "detections.json").string(), results.dump(2));
    if (!s.ok()) {
      std::fprintf(stderr, "trellis-predict: %s\n", s.to_string().c_str());
      return 1;
    }
  }
  return 0;
}
