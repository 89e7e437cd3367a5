// trellis-train: trains a RetinaNet on a COCO folder (train.json, test.json, images/) and
// writes last/best checkpoints, config.json and metrics.jsonl to --out.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "trellis/vision/runtime.h"
#include "trellis/vision/safetensors.h"
#include "trellis/vision/trainer.h"
#include "vision/simple_coco.h"

namespace tv = trellis::vision;

int main(int argc, char** argv) {
  CLI::App app{"Train a RetinaNet detector on a COCO dataset folder"};
  std::string data, out, config_path, resume;
  tv::TrainConfig config;
  config.num_threads = 0;
  app.add_option("--data", data, "folder with train.json, test.json and images/")->required();
  app.add_option("--out", out, "output folder for checkpoints and metrics")->required();
  app.add_option("--config", config_path, "TrainConfig JSON; flags below override it");
  app.add_option("--resume", resume, "checkpoint to continue from (e.g. OUT/last.safetensors)");
  int epochs = -1, batch = -1, image_size = -1, seed = -1, threads = -1;
  double lr = -1;
  std::string backbone, device, optimizer;
  app.add_option("--epochs", epochs, "training epochs");
  app.add_option("--batch-size", batch, "images per step");
  app.add_option("--image-size", image_size, "letterbox side (multiple of 32)");
  app.add_option("--backbone", backbone, "resnet18 | resnet34 | resnet50");
  app.add_option("--lr", lr, "peak learning rate");
  app.add_option("--optimizer", optimizer, "adamw | sgd");
  app.add_option("--device", device, "cpu | cuda | cuda:N");
  app.add_option("--seed", seed, "random seed");
  app.add_option("--threads", threads, "intra-op threads (0: all cores)");
  int loader_threads = -1;
  app.add_option("--loader-threads", loader_threads, "decode + augmentation workers");
  bool quiet = false, no_augment = false;
  app.add_flag("--no-augment", no_augment, "train on plain letterboxed images (kept in memory)");
  app.add_flag("--quiet", quiet, "no progress bar");
  CLI11_PARSE(app, argc, argv);
  tv::tune_cpu_allocator();

  if (!config_path.empty()) {
    auto text = tv::read_file_bytes(config_path);
    if (!text.ok()) {
      std::fprintf(stderr, "trellis-train: %s\n", text.status().to_string().c_str());
      return 2;
    }
    auto parsed = tv::train_config_from_json(*text);
    if (!parsed.ok()) {
      std::fprintf(stderr, "trellis-train: %s: %s\n", config_path.c_str(),
                   parsed.status().to_string().c_str());
      return 2;
    }
    config = *parsed;
  }
  if (epochs >= 0) config.epochs = epochs;
  if (batch > 0) config.batch_size = batch;
  if (image_size > 0) config.image_size = image_size;
  if (seed >= 0) config.seed = seed;
  if (threads >= 0) config.num_threads = threads;
  if (lr > 0) config.lr = lr;
  if (!backbone.empty()) config.backbone = backbone;
  if (!device.empty()) config.device = device;
  if (!optimizer.empty()) config.optimizer = optimizer;
  if (loader_threads > 0) config.loader_threads = loader_threads;
  if (no_augment) config.augment = false;
  if (quiet) config.progress = false;

  namespace fs = std::filesystem;
  // File names are relative to DIR ("images/a.jpg") or to DIR/images ("a.jpg").
  auto train = tv::read_coco_simple((fs::path(data) / "train.json").string(), data);
  if (!train.ok()) {
    std::fprintf(stderr, "trellis-train: %s\n", train.status().to_string().c_str());
    return 2;
  }
  std::string images = data;
  if (!train->images.empty() && !fs::exists(fs::path(data) / train->images[0].file_name)) {
    images = (fs::path(data) / "images").string();
  }
  train->image_dir = images;
  tv::Dataset val;
  const auto test_json = fs::path(data) / "test.json";
  if (fs::exists(test_json)) {
    auto v = tv::read_coco_simple(test_json.string(), images);
    if (!v.ok()) {
      std::fprintf(stderr, "trellis-train: %s\n", v.status().to_string().c_str());
      return 2;
    }
    val = *v;
  }
  tv::TrainOptions options;
  options.out_dir = out;
  if (!resume.empty()) {
    auto bytes = tv::read_file_bytes(resume);
    if (!bytes.ok()) {
      std::fprintf(stderr, "trellis-train: %s\n", bytes.status().to_string().c_str());
      return 2;
    }
    options.resume_checkpoint = *bytes;
  }
  try {
    auto result = tv::train_detector(config, *train, val, options);
    if (!result.ok()) {
      std::fprintf(stderr, "trellis-train: %s\n", result.status().to_string().c_str());
      return 1;
    }
    std::printf("best epoch %d%s; checkpoints in %s\n", result->best_epoch,
                result->stopped_early ? " (stopped early)" : "", out.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trellis-train: %s\n", e.what());
    return 1;
  }
  return 0;
}
