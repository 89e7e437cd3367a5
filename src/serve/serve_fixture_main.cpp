// trellis-serve-fixture: a small RetinaNet checkpoint for tests, the browser test and demos,
// trained on images drawn here (coloured blocks on noise: red, green, blue), plus sample
// images. --epochs 1 gives a fixed-seed, barely trained model in about a second; ~30 epochs
// give one that finds the blocks.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "trellis/core/fs.h"
#include "trellis/vision/checkpoint.h"
#include "trellis/vision/trainer.h"

namespace tv = trellis::vision;
namespace fs = std::filesystem;

namespace {

const cv::Scalar kColours[] = {{40, 40, 220}, {40, 200, 40}, {220, 60, 30}};  // BGR

// A size x size image: noise plus 1-2 blocks, left and right half (so they never overlap).
cv::Mat draw_blocks(int size, std::mt19937& rng, std::vector<tv::Annotation>* annotations) {
  cv::Mat img(size, size, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(120));
  const int count = 1 + static_cast<int>(rng() % 2);
  for (int k = 0; k < count; ++k) {
    const int cls = static_cast<int>(rng() % 3);
    const int w = size / 4 + static_cast<int>(rng() % (size / 4));
    const int h = size / 4 + static_cast<int>(rng() % (size / 3));
    const int half = size / 2;
    const int x = k * half + static_cast<int>(rng() % std::max(1, half - w));
    const int y = static_cast<int>(rng() % (size - h));
    cv::rectangle(img, cv::Rect(x, y, w, h), kColours[cls], cv::FILLED);
    if (annotations) {
      tv::Annotation a;
      a.id = static_cast<int64_t>(annotations->size()) + 1;
      a.box = {static_cast<float>(x), static_cast<float>(y), static_cast<float>(x + w),
               static_cast<float>(y + h)};
      a.category_id = cls + 1;
      annotations->push_back(a);
    }
  }
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a small detector checkpoint and sample images for serving tests"};
  std::string out, images_dir;
  int epochs = 1, seed = 1, train_images = 8, size = 64, threads = 2;
  std::string backbone = "resnet18";
  app.add_option("--out", out, "checkpoint file to write")->required();
  app.add_option("--images", images_dir, "also write sample.jpg / sample.png (480 px) here");
  app.add_option("--epochs", epochs, "training epochs (1: a barely trained model)");
  app.add_option("--seed", seed, "model and data seed");
  app.add_option("--train-images", train_images, "synthetic training images");
  app.add_option("--size", size, "model input side (multiple of 32)");
  app.add_option("--backbone", backbone, "resnet18 | resnet34 | resnet50");
  app.add_option("--threads", threads, "training threads");
  CLI11_PARSE(app, argc, argv);

  const fs::path work =
      fs::temp_directory_path() / ("trellis-serve-fixture-" + std::to_string(::getpid()));
  fs::create_directories(work);
  tv::Dataset ds;
  ds.image_dir = work.string();
  ds.categories = {{1, "red block"}, {2, "green block"}, {3, "blue block"}};
  std::mt19937 rng(static_cast<uint32_t>(seed));
  for (int i = 0; i < train_images; ++i) {
    tv::ImageRecord rec;
    rec.id = i + 1;
    rec.file_name = "train" + std::to_string(i) + ".png";
    rec.width = rec.height = size;
    cv::imwrite((work / rec.file_name).string(), draw_blocks(size, rng, &rec.annotations));
    ds.images.push_back(rec);
  }
  tv::TrainConfig c;
  c.backbone = backbone;
  c.image_size = size;
  c.batch_size = 4;
  c.lr = 1e-3;
  c.schedule = epochs > 1 ? "cosine" : "constant";
  c.warmup_iters = 10;
  c.epochs = epochs;
  c.seed = seed;
  c.num_threads = threads;
  c.progress = false;
  c.early_stopping_patience = 0;
  auto result = tv::train_detector(c, ds, tv::Dataset{});
  fs::remove_all(work);
  if (!result.ok()) {
    std::fprintf(stderr, "trellis-serve-fixture: %s\n", result.status().to_string().c_str());
    return 1;
  }
  // Serving needs the model only: drop the optimizer state (two thirds of the bytes).
  auto ckpt = tv::decode_checkpoint(result->last_checkpoint);
  if (!ckpt.ok()) {
    std::fprintf(stderr, "trellis-serve-fixture: %s\n", ckpt.status().to_string().c_str());
    return 1;
  }
  std::erase_if(ckpt->tensors, [](const auto& kv) { return kv.first.rfind("optimizer.", 0) == 0; });
  auto bytes = tv::encode_checkpoint(*ckpt);
  if (!bytes.ok()) {
    std::fprintf(stderr, "trellis-serve-fixture: %s\n", bytes.status().to_string().c_str());
    return 1;
  }
  if (auto s = trellis::atomic_write_file(out, *bytes); !s.ok()) {
    std::fprintf(stderr, "trellis-serve-fixture: %s\n", s.to_string().c_str());
    return 1;
  }
  if (!images_dir.empty()) {
    fs::create_directories(images_dir);
    std::mt19937 sample_rng(static_cast<uint32_t>(seed) + 1000);
    const cv::Mat small = draw_blocks(size, sample_rng, nullptr);
    cv::Mat big;
    cv::resize(small, big, cv::Size(480, 480), 0, 0, cv::INTER_NEAREST);
    cv::imwrite(images_dir + "/sample.jpg", big, {cv::IMWRITE_JPEG_QUALITY, 92});
    cv::imwrite(images_dir + "/sample.png", big);
  }
  std::printf("%s: %s, %d epochs, loss %.4f\n", out.c_str(), backbone.c_str(), epochs,
              result->history.empty() ? 0.0 : result->history.back().train_loss);
  return 0;
}
