// trellis-data: dataset and evaluation tools (run as `trellis data ...`).
//   convert  between COCO JSON, Pascal VOC XML folders and YOLO txt labels
//   stats    images, boxes per class, box sizes, images without boxes
//   check    every problem with its file and reason (exit 1 when any)
//   split    seeded train/val split keeping identical image files on one side
//   eval     COCO bbox metrics, identical to pycocotools
//   augment  --preview OUT.png: a grid of augmented samples with their boxes
// Results go to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 failure/problems
// found, 2 usage error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "trellis/vision/augment.h"
#include "trellis/vision/coco_eval.h"
#include "trellis/vision/dataset_io.h"
#include "trellis/vision/dataset_tools.h"
#include "trellis/vision/draw.h"
#include "trellis/vision/validate.h"

namespace trellis::vision {
namespace {

namespace fs = std::filesystem;

// Where a dataset comes from, shared by every dataset subcommand.
struct Source {
  std::string input;     // COCO: JSON file; VOC: folder; YOLO: images folder
  std::string format;    // coco | voc | yolo; empty: guessed from input
  std::string data_dir;  // relative paths are resolved against it
  std::string images;    // COCO/VOC: image folder override
  std::string labels;    // YOLO: label folder (default: sibling "labels")
  std::string names;     // YOLO (required) / VOC (optional): class-names file
  std::string policy = "fail";
  bool no_images = false;  // do not open image files (annotation-only datasets)
};

void add_source_options(CLI::App& cmd, Source& s) {
  cmd.add_option("input", s.input, "COCO JSON file, VOC folder, or YOLO images folder")->required();
  cmd.add_option("--format", s.format, "coco, voc or yolo (default: guessed)")
      ->check(CLI::IsMember({"coco", "voc", "yolo"}));
  cmd.add_option("--data", s.data_dir, "resolve relative paths against this folder")
      ->envname("TRELLIS_DATA");
  cmd.add_option("--images", s.images, "image folder (default: next to the annotations)");
  cmd.add_option("--labels", s.labels, "YOLO label folder (default: ../labels)");
  cmd.add_option("--names", s.names,
                 "class-names file (YOLO: required; VOC: id order, default DIR/classes.txt)");
  cmd.add_option("--policy", s.policy, "invalid data: fail (default) or skip with counts")
      ->check(CLI::IsMember({"fail", "skip"}));
  cmd.add_flag("--no-images", s.no_images, "do not open image files (annotation-only data)");
}

std::string resolve(const Source& s, const std::string& p) {
  if (p.empty() || s.data_dir.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(s.data_dir) / p).string();
}

Result<DatasetFormat> guess_format(const Source& s, const std::string& input) {
  if (!s.format.empty()) return parse_dataset_format(s.format);
  if (fs::path(input).extension() == ".json") return DatasetFormat::kCoco;
  if (fs::is_directory(input)) {
    if (fs::is_directory(fs::path(input) / "Annotations")) return DatasetFormat::kVoc;
    for (const auto& e : fs::directory_iterator(input))
      if (e.path().extension() == ".xml") return DatasetFormat::kVoc;
    return DatasetFormat::kYolo;
  }
  return invalid_argument(fmt::format("{}: cannot guess the format; pass --format", input));
}

// Reads the dataset (structure errors fail) and applies the validation policy.
Result<Dataset> load_dataset(const Source& s, bool validate = true) {
  const std::string input = resolve(s, s.input);
  auto format = guess_format(s, input);
  if (!format.ok()) return format.status();
  Result<Dataset> ds = internal_error("unreachable");
  switch (*format) {
    case DatasetFormat::kCoco:
      ds = read_coco(input, {.image_dir = resolve(s, s.images)});
      break;
    case DatasetFormat::kVoc: {
      VocReadOptions opts;
      opts.image_dir = resolve(s, s.images);
      // Class order: --names, else a classes.txt that `convert --to voc` wrote.
      std::string names_file = resolve(s, s.names);
      for (const char* sub : {"", "Annotations"})
        if (names_file.empty() && fs::exists(fs::path(input) / sub / "classes.txt"))
          names_file = (fs::path(input) / sub / "classes.txt").string();
      if (!names_file.empty()) {
        auto names = read_class_names(names_file);
        if (!names.ok()) return names.status();
        opts.class_names = *names;
      }
      ds = read_voc(input, opts);
      break;
    }
    case DatasetFormat::kYolo: {
      if (s.names.empty()) return invalid_argument("YOLO input needs --names FILE");
      std::string labels = resolve(s, s.labels);
      if (labels.empty()) labels = (fs::path(input).parent_path() / "labels").string();
      ds =
          read_yolo({.images_dir = input, .labels_dir = labels, .names_file = resolve(s, s.names)});
      break;
    }
  }
  if (!ds.ok() || !validate) return ds;
  const InvalidDataPolicy policy =
      s.policy == "skip" ? InvalidDataPolicy::kSkip : InvalidDataPolicy::kFail;
  CleanReport report;
  auto clean = validate_dataset(*ds, policy, {.open_images = !s.no_images}, &report);
  if (clean.ok() && (report.dropped_images > 0 || report.dropped_boxes > 0))
    fmt::print(stderr, "{}: {}\n", input, report.summary());
  return clean;
}

int fail(const Status& s) {
  fmt::print(stderr, "trellis data: {}\n", s.to_string());
  return 1;
}

// File names relative to `out_dir`, so a written COCO file finds its images.
Dataset relocate(const Dataset& ds, const std::string& out_dir) {
  Dataset out = ds;
  const fs::path base = fs::absolute(out_dir.empty() ? "." : out_dir);
  for (ImageRecord& im : out.images) {
    if (im.file_name.empty()) continue;
    im.file_name = fs::absolute(image_path(ds, im)).lexically_relative(base).string();
  }
  out.image_dir = base.string();
  return out;
}

Status write_coco_near(const Dataset& ds, const std::string& path) {
  return write_coco(relocate(ds, fs::path(path).parent_path().string()), path);
}

// One name per line in category order (VOC keeps no ids; this preserves them).
Status write_class_names(const Dataset& ds, const std::string& path) {
  std::string text;
  for (size_t i = 0; i < ds.categories.size(); ++i) {
    if (ds.categories[i].id != static_cast<int>(i) + 1)
      fmt::print(stderr, "note: category ids are not 1..N; VOC/YOLO readers renumber them\n");
    text += ds.categories[i].name + "\n";
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return io_error(fmt::format("{}: write failed", path));
  return {};
}

// --- subcommands ---------------------------------------------------------------

int run_convert(const Source& src, const std::string& to, const std::string& output,
                const std::string& names_out) {
  auto ds = load_dataset(src);
  if (!ds.ok()) return fail(ds.status());
  auto format = parse_dataset_format(to);
  if (!format.ok()) return fail(format.status());
  Status st;
  switch (*format) {
    case DatasetFormat::kCoco:
      st = write_coco_near(*ds, output);
      break;
    case DatasetFormat::kVoc:
      st = write_voc(*ds, output);
      if (st.ok())
        st = write_class_names(
            *ds, names_out.empty() ? (fs::path(output) / "classes.txt").string() : names_out);
      break;
    case DatasetFormat::kYolo:
      st = write_yolo(*ds, output,
                      names_out.empty() ? (fs::path(output) / "classes.txt").string() : names_out);
      break;
  }
  if (!st.ok()) return fail(st);
  size_t boxes = 0;
  for (const auto& im : ds->images) boxes += im.annotations.size();
  fmt::print("wrote {} images, {} boxes, {} categories as {} to {}\n", ds->images.size(), boxes,
             ds->categories.size(), to, output);
  return 0;
}

int run_stats(const Source& src, bool json) {
  auto ds = load_dataset(src);
  if (!ds.ok()) return fail(ds.status());
  const DatasetStats stats = compute_stats(*ds);
  fmt::print("{}\n", json ? stats_json(*ds, stats) : format_stats(*ds, stats));
  return 0;
}

int run_check(const Source& src, bool decode, float tolerance) {
  auto ds = load_dataset(src, /*validate=*/false);
  if (!ds.ok()) return fail(ds.status());
  const auto issues = check_dataset(
      *ds,
      {.open_images = !src.no_images, .decode_images = decode, .outside_tolerance_px = tolerance});
  for (const DataIssue& i : issues)
    fmt::print("{}: {}: {}\n", i.file, issue_kind_name(i.kind), i.message);
  CleanReport report;
  auto cleaned = apply_policy(*ds, issues, InvalidDataPolicy::kSkip, &report);
  (void)cleaned;
  fmt::print("{} images checked, {} problem(s); skipping them would leave {} images ({})\n",
             ds->images.size(), issues.size(), ds->images.size() - report.dropped_images,
             report.summary());
  return issues.empty() ? 0 : 1;
}

int run_split(const Source& src, double val_fraction, uint64_t seed, const std::string& train_out,
              const std::string& val_out) {
  auto ds = load_dataset(src);
  if (!ds.ok()) return fail(ds.status());
  auto split = split_dataset(*ds, {.val_fraction = val_fraction, .seed = seed});
  if (!split.ok()) return fail(split.status());
  if (Status s = write_coco_near(split->train, train_out); !s.ok()) return fail(s);
  if (Status s = write_coco_near(split->val, val_out); !s.ok()) return fail(s);
  fmt::print(
      "train: {} images -> {}\nval: {} images -> {}\n"
      "groups of identical files kept together: {}\n",
      split->train.images.size(), train_out, split->val.images.size(), val_out,
      split->identical_groups);
  return 0;
}

struct GalleryOptions {
  std::string path;  // empty: no gallery
  std::string image_dir;
  int count = 12;
  float min_score = 0.3f;
};

// Ground truth (white) and detections on the first images that have either.
Status write_gallery(const std::string& gt_path, const EvalInput& input,
                     const GalleryOptions& options) {
  auto gt = read_coco(gt_path, {.image_dir = options.image_dir});
  if (!gt.ok()) return gt.status();
  std::map<int64_t, std::vector<Detection>> dets;
  for (const EvalDetection& d : input.detections)
    dets[d.image_id].push_back({Box{static_cast<float>(d.x), static_cast<float>(d.y),
                                    static_cast<float>(d.x + d.w), static_cast<float>(d.y + d.h)},
                                static_cast<float>(d.score), d.category_id});
  std::vector<const ImageRecord*> images;
  for (const ImageRecord& im : gt->images)
    if (!im.annotations.empty() || dets.count(im.id)) images.push_back(&im);
  std::sort(images.begin(), images.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::vector<cv::Mat> tiles;
  for (const ImageRecord* im : images) {
    if (static_cast<int>(tiles.size()) >= options.count) break;
    const cv::Mat img = cv::imread(image_path(*gt, *im), cv::IMREAD_COLOR);
    if (img.empty()) {
      fmt::print(stderr, "{}: cannot read image, left out of the gallery\n", image_path(*gt, *im));
      continue;
    }
    tiles.push_back(draw_prediction_tile(img, im->annotations, dets[im->id], gt->categories, 320,
                                         options.min_score));
  }
  if (tiles.empty()) return not_found("no image could be read for the gallery");
  return write_image(options.path, make_grid(tiles, 4));
}

int run_eval(const std::string& gt, const std::string& dt, bool json, bool per_class,
             const std::string& pr_dir, const GalleryOptions& gallery) {
  auto input = read_coco_eval_input(gt, dt);
  if (!input.ok()) return fail(input.status());
  auto result = evaluate_coco(*input);
  if (!result.ok()) return fail(result.status());
  if (result->skipped_detections > 0)
    fmt::print(stderr, "{}: {} detection(s) with categories not in {} were not evaluated\n", dt,
               result->skipped_detections, gt);
  if (result->skipped_ground_truth > 0)
    fmt::print(stderr, "{}: {} annotation(s) with unknown image or category were not evaluated\n",
               gt, result->skipped_ground_truth);
  if (json) {
    fmt::print("{}\n", format_json(*result));
  } else {
    fmt::print("{}", format_summary(*result));
    if (per_class) {
      fmt::print("\n{:>5}  {:<38} {:>6} {:>6} {:>7} {:>7}\n", "id", "category", "gt", "dets", "AP",
                 "AP50");
      for (const ClassEval& c : result->per_class)
        fmt::print("{:>5}  {:<38} {:>6} {:>6} {:>7.3f} {:>7.3f}\n", c.category_id, c.name,
                   c.num_ground_truth, c.num_detections, c.ap, c.ap50);
    }
  }
  if (!pr_dir.empty()) {
    std::error_code ec;
    fs::create_directories(pr_dir, ec);
    for (size_t k = 0; k < result->per_class.size(); ++k) {
      if (result->per_class[k].ap < 0) continue;
      const std::string path =
          (fs::path(pr_dir) / fmt::format("pr_{}.png", result->per_class[k].category_id)).string();
      if (Status s = write_image(path, plot_pr_curve(*result, static_cast<int>(k))); !s.ok())
        return fail(s);
    }
  }
  if (!gallery.path.empty())
    if (Status s = write_gallery(gt, *input, gallery); !s.ok()) return fail(s);
  return 0;
}

Result<Sample> read_sample(const Dataset& ds, const ImageRecord& im) {
  Sample s;
  s.image = cv::imread(image_path(ds, im), cv::IMREAD_COLOR);
  if (s.image.empty()) return io_error(fmt::format("{}: cannot decode image", image_path(ds, im)));
  for (const Annotation& a : im.annotations) {
    s.boxes.push_back(a.box);
    s.labels.push_back(a.category_id);
  }
  return s;
}

int run_augment(const Source& src, const std::string& preview, int count, int cols, uint64_t seed,
                const AugmentConfig& config, float mosaic_prob) {
  auto ds = load_dataset(src);
  if (!ds.ok()) return fail(ds.status());
  if (ds->images.empty()) return fail(invalid_argument("the dataset has no images"));
  std::vector<cv::Mat> tiles;
  AugmentRng pick(seed);
  auto random_sample = [&]() {
    return read_sample(*ds, ds->images[pick.next() % ds->images.size()]);
  };
  for (int i = 0; i < count; ++i) {
    AugmentRng rng(sample_seed(seed, 0, static_cast<uint64_t>(i)));
    const AugmentParams params = draw_augment_params(config, rng);
    Sample out;
    if (mosaic_prob > 0 && rng.chance(mosaic_prob)) {  // as the loader does it
      std::array<Sample, 4> parts;
      for (Sample& part : parts) {
        auto s = random_sample();
        if (!s.ok()) return fail(s.status());
        part = std::move(*s);
      }
      out = color_jitter(mosaic({&parts[0], &parts[1], &parts[2], &parts[3]}, config, rng), params);
    } else {
      auto s = random_sample();
      if (!s.ok()) return fail(s.status());
      out = apply_augment(*s, config, params);
    }
    tiles.push_back(draw_boxes(out.image, items_for(out.boxes, out.labels, ds->categories)));
  }
  if (Status s = write_image(preview, make_grid(tiles, cols)); !s.ok()) return fail(s);
  fmt::print("wrote {} augmented samples to {}\n", count, preview);
  return 0;
}

}  // namespace
}  // namespace trellis::vision

int main(int argc, char** argv) {
  using namespace trellis::vision;
  CLI::App app{"trellis data: datasets, augmentation previews and COCO evaluation"};
  app.require_subcommand(1);

  Source convert_src, stats_src, check_src, split_src, augment_src;
  std::string to, output, names_out;
  auto* convert = app.add_subcommand("convert", "convert between coco, voc and yolo");
  add_source_options(*convert, convert_src);
  convert->add_option("--to", to, "output format")
      ->required()
      ->check(CLI::IsMember({"coco", "voc", "yolo"}));
  convert->add_option("-o,--output", output, "COCO: JSON file; VOC/YOLO: folder")->required();
  convert->add_option("--names-out", names_out,
                      "VOC/YOLO: class-names file (default OUTPUT/classes.txt)");

  bool stats_json = false;
  auto* stats = app.add_subcommand("stats", "images, boxes per class, box sizes");
  add_source_options(*stats, stats_src);
  stats->add_flag("--json", stats_json, "print JSON");

  bool decode = false;
  float tolerance = 0;
  auto* check = app.add_subcommand("check", "report every problem with file and reason");
  add_source_options(*check, check_src);
  check->add_flag("--decode", decode, "decode every image fully (slower, catches truncation)");
  check->add_option("--tolerance", tolerance, "pixels a box may extend past the image");

  double val_fraction = 0.2;
  uint64_t split_seed = 0;
  std::string train_out, val_out;
  auto* split = app.add_subcommand("split", "seeded train/val split (identical files together)");
  add_source_options(*split, split_src);
  split->add_option("--val-fraction", val_fraction, "fraction of images for val")
      ->capture_default_str();
  split->add_option("--seed", split_seed, "shuffle seed")->capture_default_str();
  split->add_option("--train-out", train_out, "train COCO JSON")->required();
  split->add_option("--val-out", val_out, "val COCO JSON")->required();

  std::string gt, dt, pr_dir;
  bool eval_json = false, per_class = false;
  auto* eval = app.add_subcommand("eval", "COCO bbox evaluation (pycocotools numbers)");
  eval->add_option("--gt", gt, "ground-truth COCO JSON")->required();
  eval->add_option("--dt", dt, "detections, COCO results JSON")->required();
  eval->add_flag("--json", eval_json, "print {\"stats\": ..., \"per_class\": ...}");
  eval->add_flag("--per-class", per_class, "also print per-class AP and AP50");
  eval->add_option("--pr-curves", pr_dir, "write a PR-curve PNG per class into this folder");
  GalleryOptions gallery;
  eval->add_option("--gallery", gallery.path, "grid PNG/JPEG: GT (white) and detections");
  eval->add_option("--images", gallery.image_dir, "gallery images (default: the GT's folder)");
  eval->add_option("--gallery-count", gallery.count, "images in the gallery")
      ->capture_default_str();
  eval->add_option("--min-score", gallery.min_score, "gallery: lowest score drawn")
      ->capture_default_str();

  std::string preview;
  int count = 16, cols = 4;
  uint64_t augment_seed = 0;
  AugmentConfig aug;
  auto* augment_cmd = app.add_subcommand("augment", "preview the training augmentation");
  add_source_options(*augment_cmd, augment_src);
  augment_cmd->add_option("--preview", preview, "grid PNG/JPEG to write")->required();
  augment_cmd->add_option("--count", count, "samples")->capture_default_str();
  augment_cmd->add_option("--cols", cols, "grid columns")->capture_default_str();
  augment_cmd->add_option("--seed", augment_seed, "seed")->capture_default_str();
  augment_cmd->add_option("--size", aug.output_size, "output side")->capture_default_str();
  augment_cmd->add_option("--max-rotation", aug.max_rotation_deg, "degrees")->capture_default_str();
  augment_cmd->add_option("--scale-min", aug.scale_min, "jitter")->capture_default_str();
  augment_cmd->add_option("--scale-max", aug.scale_max, "jitter")->capture_default_str();
  float mosaic_prob = 0;
  augment_cmd->add_option("--mosaic-prob", mosaic_prob, "share of mosaic samples")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*convert) return run_convert(convert_src, to, output, names_out);
  if (*stats) return run_stats(stats_src, stats_json);
  if (*check) return run_check(check_src, decode, tolerance);
  if (*split) return run_split(split_src, val_fraction, split_seed, train_out, val_out);
  if (*eval) return run_eval(gt, dt, eval_json, per_class, pr_dir, gallery);
  if (*augment_cmd)
    return run_augment(augment_src, preview, count, cols, augment_seed, aug, mosaic_prob);
  return 2;
}
