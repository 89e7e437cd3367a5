// ModelManager with real checkpoints in a temp folder: a reload that cannot load its checkpoint
// (issue 10, item 2: metadata saying num_classes = 1e9, an unknown backbone, ...) reports why and
// leaves the old model serving; a bad first model is an error, not an abort.
#include "serve/model_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/temp_dir.h"
#include "trellis/core/fs.h"
#include "trellis/vision/checkpoint.h"
#include "trellis/vision/trainer.h"

namespace trellis::serve {
namespace {

// One epoch on two drawn 64 px images: a small, valid checkpoint in about a second.
std::string train_small_checkpoint(const test::TempDir& dir) {
  vision::Dataset ds;
  ds.image_dir = dir.path();
  ds.categories = {{1, "block"}};
  for (int i = 0; i < 2; ++i) {
    cv::Mat img(64, 64, CV_8UC3, cv::Scalar(40, 50, 60));
    cv::rectangle(img, cv::Rect(8 + 8 * i, 10, 30, 30), cv::Scalar(30, 30, 220), cv::FILLED);
    vision::ImageRecord rec;
    rec.id = i + 1;
    rec.file_name = "img" + std::to_string(i) + ".png";
    rec.width = rec.height = 64;
    vision::Annotation a;
    a.id = i + 1;
    a.category_id = 1;
    a.box = {8.0f + 8 * i, 10, 38.0f + 8 * i, 40};
    rec.annotations.push_back(a);
    cv::imwrite(dir.file(rec.file_name), img);
    ds.images.push_back(rec);
  }
  vision::TrainConfig c;
  c.backbone = "resnet18";
  c.image_size = 64;
  c.batch_size = 2;
  c.epochs = 1;
  c.num_threads = 2;
  c.progress = false;
  c.early_stopping_patience = 0;
  auto result = vision::train_detector(c, ds, vision::Dataset{});
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  return result.ok() ? result->last_checkpoint : "";
}

// `bytes` with one field of the stored TrainConfig replaced.
std::string with_config(const std::string& bytes, const std::string& key,
                        const nlohmann::json& value) {
  auto st = vision::decode_safetensors(bytes).value();
  auto config = nlohmann::json::parse(st.metadata.at("config"));
  config[key] = value;
  st.metadata["config"] = config.dump();
  return vision::encode_safetensors(st).value();
}

class ModelManagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    good_ = new std::string(train_small_checkpoint(*dir_));
  }
  static void TearDownTestSuite() {
    delete good_;
    delete dir_;
  }
  std::string model_path() const { return dir_->file("model.safetensors"); }
  ModelManager make_manager(Metrics& metrics) const {
    return ModelManager({.kind = SourceKind::kFile, .text = model_path()}, {}, metrics);
  }

  static test::TempDir* dir_;
  static std::string* good_;
};
test::TempDir* ModelManagerTest::dir_ = nullptr;
std::string* ModelManagerTest::good_ = nullptr;

struct BadCheckpoint {
  const char* field;
  nlohmann::json value;
};
const BadCheckpoint kBad[] = {
    {"num_classes", 1e9}, {"num_classes", -5}, {"image_size", 1 << 30}, {"backbone", "resnet9000"}};

TEST_F(ModelManagerTest, AFailedReloadKeepsTheOldModelServing) {
  ASSERT_FALSE(good_->empty());
  ASSERT_TRUE(atomic_write_file(model_path(), *good_).ok());
  Metrics metrics;
  ModelManager models = make_manager(metrics);
  ASSERT_TRUE(models.load_initial().ok());
  const auto first = models.current();
  ASSERT_NE(first, nullptr);

  for (const BadCheckpoint& bad : kBad) {
    ASSERT_TRUE(atomic_write_file(model_path(), with_config(*good_, bad.field, bad.value)).ok());
    auto outcome = models.reload(/*force=*/false);
    ASSERT_FALSE(outcome.ok()) << bad.field << " " << bad.value.dump() << " was loaded";
    EXPECT_NE(outcome.status().message().find(bad.field), std::string::npos)
        << outcome.status().to_string();
    EXPECT_NE(outcome.status().message().find(model_path()), std::string::npos)
        << outcome.status().to_string();
    EXPECT_EQ(models.current(), first) << "the old model must keep serving";
    EXPECT_FALSE(models.is_reloading());
  }
  // The old model still detects, and a good checkpoint is taken again.
  const std::vector<uint8_t> pixels(64 * 64 * 3, 90);
  const vision::ImageView grey{pixels.data(), 64, 64, 0, true};
  EXPECT_NO_THROW((void)models.current()->detectors[0]->detect({grey}));
  std::string other = *good_;
  auto ckpt = vision::decode_checkpoint(other).value();
  ckpt.epoch += 1;
  ASSERT_TRUE(atomic_write_file(model_path(), vision::encode_checkpoint(ckpt).value()).ok());
  auto outcome = models.reload(false);
  ASSERT_TRUE(outcome.ok()) << outcome.status().to_string();
  EXPECT_TRUE(outcome->changed);
  EXPECT_NE(models.current(), first);
}

TEST_F(ModelManagerTest, ABadFirstModelIsAnErrorNamingTheFile) {
  for (const BadCheckpoint& bad : kBad) {
    ASSERT_TRUE(atomic_write_file(model_path(), with_config(*good_, bad.field, bad.value)).ok());
    Metrics metrics;
    ModelManager models = make_manager(metrics);
    Status s = models.load_initial();
    ASSERT_FALSE(s.ok()) << bad.field;
    EXPECT_NE(s.message().find(bad.field), std::string::npos) << s.to_string();
    EXPECT_FALSE(models.is_ready());
  }
}

}  // namespace
}  // namespace trellis::serve
