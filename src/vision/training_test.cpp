// Learning, checkpoint and resume tests on images drawn in the test: coloured rectangles on
// noise, one colour per class.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "trellis/vision/checkpoint.h"
#include "trellis/vision/detector.h"
#include "trellis/vision/trainer.h"
#include "trellis/vision/coco_eval.h"

namespace trellis::vision {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("trellis_vm_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

// `n` images of size x size: noise plus 1-2 filled rectangles; category 1 red, 2 green, 3 blue.
Dataset make_rectangles(const std::string& dir, int n, int size, uint32_t seed) {
  Dataset ds;
  ds.image_dir = dir;
  ds.categories = {{1, "red"}, {2, "green"}, {3, "blue"}};
  std::mt19937 rng(seed);
  const cv::Scalar colours[] = {{0, 0, 230}, {0, 210, 0}, {230, 0, 0}};  // BGR
  int64_t ann_id = 1;
  for (int i = 0; i < n; ++i) {
    cv::Mat img(size, size, CV_8UC3);
    cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(120));
    ImageRecord rec;
    rec.id = i + 1;
    rec.file_name = "img" + std::to_string(i) + ".png";
    rec.width = rec.height = size;
    const int count = 1 + static_cast<int>(rng() % 2);
    for (int k = 0; k < count; ++k) {
      const int cls = static_cast<int>(rng() % 3);
      // At least size/3 so that even at 64 px a box overlaps a 32 px anchor with IoU >= 0.5.
      const int w = size / 3 + static_cast<int>(rng() % (size / 4));
      const int h = size / 3 + static_cast<int>(rng() % (size / 4));
      // Left and right halves keep two rectangles of one image apart.
      const int half = size / 2;
      const int x = k * half + static_cast<int>(rng() % std::max(1, half - w / 2));
      const int y = static_cast<int>(rng() % (size - h));
      const int x2 = std::min(size, x + w);
      cv::rectangle(img, cv::Rect(x, y, x2 - x, h), colours[cls], cv::FILLED);
      Annotation a;
      a.id = ann_id++;
      a.box = {static_cast<float>(x), static_cast<float>(y), static_cast<float>(x2),
               static_cast<float>(y + h)};
      a.category_id = cls + 1;
      rec.annotations.push_back(a);
    }
    cv::imwrite(dir + "/" + rec.file_name, img);
    ds.images.push_back(rec);
  }
  return ds;
}

TrainConfig tiny_config() {
  TrainConfig c;
  c.backbone = "resnet18";
  c.image_size = 128;
  c.batch_size = 4;
  c.optimizer = "adamw";
  c.lr = 1e-3;
  c.weight_decay = 1e-4;
  c.schedule = "constant";
  c.warmup_iters = 10;
  c.grad_clip_norm = 10;
  c.num_threads = 2;
  c.progress = false;
  c.early_stopping_patience = 0;
  c.augment = false;  // exact overfitting; the augmented path has its own tests
  return c;
}

std::vector<std::vector<Detection>> detect_all(Detector& det, const Dataset& ds, float thresh) {
  std::vector<cv::Mat> mats;
  std::vector<ImageView> views;
  for (const auto& r : ds.images) mats.push_back(cv::imread(ds.image_dir + "/" + r.file_name));
  for (const auto& m : mats) views.push_back({m.data, m.cols, m.rows, static_cast<int>(m.step), true});
  return det.detect(views, {.score_threshold = thresh, .nms_iou = 0.5f, .max_detections = 100});
}

// COCO mAP@0.5 of a detector on `ds`.
double map50_of(Detector& det, const Dataset& ds) {
  auto all = detect_all(det, ds, 0.05f);
  std::vector<ImageDetections> dets;
  for (size_t i = 0; i < all.size(); ++i) dets.push_back({ds.images[i].id, all[i]});
  auto eval = evaluate_coco(make_eval_input(ds, dets));
  EXPECT_TRUE(eval.ok()) << eval.status().to_string();
  return eval.ok() ? eval->stats[1] : -1;
}

TEST(Training, ResNet18OverfitsColouredRectangles) {
  TempDir dir;
  // 64 px keeps this under a minute on 2 cores; P7 is then 1x1 and anchors start at 32 px.
  const int size = 64;
  const Dataset ds = make_rectangles(dir.path(), 8, size, 11);
  TrainConfig c = tiny_config();
  c.image_size = size;
  c.epochs = 40;          // 80 iterations at batch 4
  c.schedule = "cosine";  // a calm end; with a constant lr eval-mode BN statistics lag behind
  auto result = train_detector(c, ds, Dataset{});
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const auto& h = result->history;
  ASSERT_EQ(static_cast<int>(h.size()), c.epochs);
  EXPECT_LT(h.back().train_loss, h.front().train_loss * 0.3);
  auto det = Detector::load(result->last_checkpoint, {.num_threads = 2});
  ASSERT_TRUE(det.ok()) << det.status().to_string();
  const double map = map50_of(**det, ds);
  std::printf("train loss %.4f -> %.4f, mAP@0.5 %.3f\n", h.front().train_loss,
              h.back().train_loss, map);
  EXPECT_GE(map, 0.9);
}

TEST(Training, AugmentedTrainingLearnsAndReportsCocoValidation) {
  TempDir dir;
  const Dataset ds = make_rectangles(dir.path(), 8, 64, 3);
  TrainConfig c = tiny_config();
  c.image_size = 64;
  c.epochs = 12;
  c.schedule = "cosine";
  c.augment = true;
  auto result = train_detector(c, ds, ds);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const auto& h = result->history;
  ASSERT_EQ(static_cast<int>(h.size()), c.epochs);
  EXPECT_LT(h.back().train_loss, h.front().train_loss * 0.7);
  for (const auto& e : h) {
    EXPECT_GE(e.val_map50, 0.0);
    EXPECT_LE(e.val_map50, 1.0);
    EXPECT_LE(e.val_map, e.val_map50 + 1e-9);
  }
  // The validation numbers are the COCO evaluation of the checkpoint's own predictions.
  auto det = Detector::load(result->last_checkpoint, {.num_threads = 2});
  ASSERT_TRUE(det.ok()) << det.status().to_string();
  EXPECT_NEAR(map50_of(**det, ds), h.back().val_map50, 0.02);
  std::printf("augmented: loss %.4f -> %.4f, val mAP %.3f mAP@0.5 %.3f\n", h.front().train_loss,
              h.back().train_loss, h.back().val_map, h.back().val_map50);
}

TEST(Checkpoint, SaveLoadGivesIdenticalPredictions) {
  TempDir dir;
  const Dataset ds = make_rectangles(dir.path(), 4, 96, 5);
  TrainConfig c = tiny_config();
  c.image_size = 96;
  c.epochs = 2;
  auto result = train_detector(c, ds, Dataset{}, {.out_dir = dir.path() + "/out"});
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  auto from_bytes = Detector::load(result->last_checkpoint, {.num_threads = 2});
  auto from_file = Detector::load_file(dir.path() + "/out/last.safetensors", {.num_threads = 2});
  auto unfused = Detector::load(result->last_checkpoint,
                                {.num_threads = 2, .fuse_batchnorm = false, .channels_last = true});
  ASSERT_TRUE(from_bytes.ok() && from_file.ok() && unfused.ok());
  auto a = detect_all(**from_bytes, ds, 0.0f);
  auto b = detect_all(**from_file, ds, 0.0f);
  auto u = detect_all(**unfused, ds, 0.0f);
  ASSERT_EQ(a.size(), b.size());
  size_t total = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size());
    total += a[i].size();
    for (size_t j = 0; j < a[i].size(); ++j) {
      EXPECT_EQ(a[i][j].score, b[i][j].score);
      EXPECT_EQ(a[i][j].category_id, b[i][j].category_id);
      EXPECT_EQ(a[i][j].box.x1, b[i][j].box.x1);
      EXPECT_EQ(a[i][j].box.y2, b[i][j].box.y2);
    }
    // Fused BN + NCHW agrees with plain BN + NHWC up to float rounding on the top detections.
    ASSERT_FALSE(u[i].empty());
    EXPECT_NEAR(a[i][0].score, u[i][0].score, 1e-4);
    EXPECT_NEAR(a[i][0].box.x1, u[i][0].box.x1, 1e-2);
  }
  EXPECT_GT(total, 0u);
  EXPECT_EQ((*from_file)->category_name(2), "green");
  EXPECT_EQ((*from_file)->image_size(), 96);
  auto missing = Detector::load_file(dir.path() + "/nope.safetensors");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST(Checkpoint, ResumeRepeatsTheUninterruptedLossSequence) {
  TempDir dir;
  const Dataset ds = make_rectangles(dir.path(), 4, 64, 9);
  TrainConfig c = tiny_config();
  c.image_size = 64;
  c.batch_size = 2;
  c.epochs = 4;
  c.schedule = "cosine";
  c.warmup_iters = 3;
  c.seed = 42;
  // adamw through the augmenting loader (threads, prefetch), sgd through in-memory letterboxes.
  for (const std::string opt : {"adamw", "sgd"}) {
    c.optimizer = opt;
    c.augment = opt == "adamw";
    c.loader_threads = 2;
    c.lr = opt == "sgd" ? 0.01 : 1e-3;
    std::vector<double> full, resumed;
    auto run = train_detector(c, ds, ds, {.on_iteration = [&](int64_t, double l) { full.push_back(l); }});
    ASSERT_TRUE(run.ok()) << run.status().to_string();
    auto first = train_detector(c, ds, ds, {.stop_after_epochs = 2,
        .on_iteration = [&](int64_t, double l) { resumed.push_back(l); }});
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->history.size(), 2u);
    // Through bytes, as the engine will store it.
    auto second = train_detector(c, ds, ds, {.resume_checkpoint = first->last_checkpoint,
        .on_iteration = [&](int64_t, double l) { resumed.push_back(l); }});
    ASSERT_TRUE(second.ok()) << second.status().to_string();
    ASSERT_EQ(second->history.size(), 2u);
    EXPECT_EQ(second->history[0].epoch, 3);
    ASSERT_EQ(full.size(), resumed.size());
    for (size_t i = 0; i < full.size(); ++i) EXPECT_EQ(full[i], resumed[i]) << opt << " iteration " << i;
    EXPECT_EQ(run->history.back().val_loss, second->history.back().val_loss);
  }
}

TEST(Checkpoint, ResumeRejectsGarbage) {
  TempDir dir;
  const Dataset ds = make_rectangles(dir.path(), 2, 64, 1);
  TrainConfig c = tiny_config();
  c.image_size = 64;
  c.epochs = 1;
  auto r = train_detector(c, ds, Dataset{}, {.resume_checkpoint = "not a checkpoint"});
  EXPECT_EQ(r.status().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace trellis::vision
