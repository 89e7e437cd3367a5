// bench/vision_eval: COCO bbox evaluation speed on a COCO-val-sized case.
// A seeded generator writes 5,000 images of 640x480 with 1-14 ground-truth boxes
// each over 80 categories and 100 detections per image (noisy copies of the
// ground truth plus clutter) as COCO JSON text; we then time parsing that text
// and evaluate_coco() separately, single-threaded.
//
//   vision_eval [--images N] [--dets-per-image N] [--seed S] [--repeat R] [--write DIR]
//
// --write DIR also saves gt.json and dt.json so pycocotools can be run on the same case.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "trellis/vision/coco_eval.h"

namespace {

using trellis::vision::EvalInput;

struct Case {
  std::string gt_json;
  std::string dt_json;
};

Case generate(int num_images, int dets_per_image, uint64_t seed) {
  constexpr int kCategories = 80;
  constexpr double kW = 640, kH = 480;
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
  };
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto random_box = [&](double out[4]) {
    // Log-uniform sizes so small, medium and large areas all occur.
    const double w = std::exp(uniform(std::log(4.0), std::log(kW * 0.9)));
    const double h = std::exp(uniform(std::log(4.0), std::log(kH * 0.9)));
    out[0] = uniform(0, kW - w);
    out[1] = uniform(0, kH - h);
    out[2] = w;
    out[3] = h;
  };
  std::string gt = "{\"images\": [";
  std::string anns;
  std::string dt = "[";
  int64_t ann_id = 1;
  for (int img = 1; img <= num_images; ++img) {
    gt += fmt::format(
        "{}{{\"id\": {}, \"width\": 640, \"height\": 480, \"file_name\": "
        "\"{:012d}.jpg\"}}",
        img == 1 ? "" : ", ", img, img);
    const int n_gt = 1 + pick(14);
    struct G {
      double b[4];
      int cat;
    };
    std::vector<G> gts(n_gt);
    for (G& g : gts) {
      random_box(g.b);
      g.cat = 1 + pick(kCategories);
      const bool crowd = pick(100) == 0;
      anns += fmt::format(
          "{}{{\"id\": {}, \"image_id\": {}, \"category_id\": {}, \"bbox\": "
          "[{:.2f}, {:.2f}, {:.2f}, {:.2f}], \"area\": {:.2f}, \"iscrowd\": {}}}",
          ann_id == 1 ? "" : ", ", ann_id, img, g.cat, g.b[0], g.b[1], g.b[2], g.b[3],
          g.b[2] * g.b[3], crowd ? 1 : 0);
      ++ann_id;
    }
    for (int d = 0; d < dets_per_image; ++d) {
      double b[4];
      int cat;
      double score;
      if (d < 3 * n_gt) {  // a noisy copy of a GT, sometimes with the wrong class
        const G& g = gts[d % n_gt];
        const double s = uniform(0.0, 0.3);
        b[0] = g.b[0] + uniform(-s, s) * g.b[2];
        b[1] = g.b[1] + uniform(-s, s) * g.b[3];
        b[2] = g.b[2] * (1 + uniform(-s, s));
        b[3] = g.b[3] * (1 + uniform(-s, s));
        cat = pick(5) == 0 ? 1 + pick(kCategories) : g.cat;
        score = uniform(0.3, 1.0);
      } else {
        random_box(b);
        cat = 1 + pick(kCategories);
        score = uniform(0.0, 0.6);
      }
      dt += fmt::format(
          "{}{{\"image_id\": {}, \"category_id\": {}, \"bbox\": [{:.2f}, {:.2f}, "
          "{:.2f}, {:.2f}], \"score\": {:.3f}}}",
          dt.size() == 1 ? "" : ", ", img, cat, b[0], b[1], b[2], b[3], score);
    }
  }
  gt += "], \"annotations\": [" + anns + "], \"categories\": [";
  for (int c = 1; c <= kCategories; ++c)
    gt += fmt::format("{}{{\"id\": {}, \"name\": \"class{}\"}}", c == 1 ? "" : ", ", c, c);
  gt += "]}";
  dt += "]";
  return {std::move(gt), std::move(dt)};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int num_images = 5000, dets_per_image = 100, repeat = 3;
  uint64_t seed = 2024;
  std::string write_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--images")
      num_images = std::atoi(v);
    else if (flag == "--dets-per-image")
      dets_per_image = std::atoi(v);
    else if (flag == "--seed")
      seed = std::strtoull(v, nullptr, 10);
    else if (flag == "--repeat")
      repeat = std::atoi(v);
    else if (flag == "--write")
      write_dir = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  const Case c = generate(num_images, dets_per_image, seed);
  if (!write_dir.empty()) {
    std::ofstream(write_dir + "/gt.json") << c.gt_json;
    std::ofstream(write_dir + "/dt.json") << c.dt_json;
  }
  double best_parse = 1e9, best_eval = 1e9;
  trellis::Result<trellis::vision::EvalResult> result = trellis::internal_error("not run");
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto input = trellis::vision::parse_coco_eval_input(c.gt_json, c.dt_json);
    if (!input.ok()) {
      std::fprintf(stderr, "%s\n", input.status().to_string().c_str());
      return 1;
    }
    best_parse = std::min(best_parse, seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    result = trellis::vision::evaluate_coco(*input);
    best_eval = std::min(best_eval, seconds_since(t0));
    if (!result.ok()) {
      std::fprintf(stderr, "%s\n", result.status().to_string().c_str());
      return 1;
    }
  }
  fmt::print("{}", trellis::vision::format_summary(*result));
  auto counts = trellis::vision::parse_coco_eval_input(c.gt_json, "[]");
  size_t crowd = 0;
  for (const auto& g : counts->ground_truth) crowd += g.is_crowd ? 1 : 0;
  fmt::print(
      "case: {} images, {} GT boxes ({} crowd), {} detections/image, seed {}; "
      "gt {:.1f} MB, dt {:.1f} MB JSON\n",
      num_images, counts->ground_truth.size(), crowd, dets_per_image, seed, c.gt_json.size() / 1e6,
      c.dt_json.size() / 1e6);
  fmt::print(
      "best of {}: parse JSON {:.3f} s, evaluate {:.3f} s, total {:.3f} s "
      "(target < 3 s; pycocotools reference 68 s)\n",
      repeat, best_parse, best_eval, best_parse + best_eval);
  return 0;
}
