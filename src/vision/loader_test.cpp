#include "trellis/vision/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "trellis/vision/dataset_io.h"
#include "trellis/vision/loader_torch.h"

namespace trellis::vision {
namespace {

const std::string kTrain = std::string(TRELLIS_SOURCE_DIR) + "/data/plantdoc-mini/train.json";

// The first `n` plantdoc-mini training images.
Dataset small_dataset(size_t n) {
  auto ds = read_coco(kTrain);
  EXPECT_TRUE(ds.ok()) << ds.status().to_string();
  ds->images.resize(n);
  return *ds;
}

LoaderOptions small_options(int threads) {
  LoaderOptions o;
  o.batch_size = 4;
  o.num_threads = threads;
  o.prefetch_batches = 2;
  o.seed = 11;
  o.augment_config.output_size = 96;
  return o;
}

std::vector<HostBatch> whole_epoch(BatchLoader& loader, uint64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<HostBatch> out;
  while (true) {
    auto b = loader.next();
    EXPECT_TRUE(b.ok()) << b.status().to_string();
    if (!b.ok() || !b->has_value()) break;
    out.push_back(std::move(**b));
  }
  return out;
}

TEST(BatchLoader, EveryImageOncePerEpochInFullBatches) {
  BatchLoader loader(small_dataset(10), small_options(2));
  EXPECT_EQ(loader.num_batches(), 3u);
  const auto batches = whole_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].n, 4);
  EXPECT_EQ(batches[2].n, 2);
  std::multiset<int64_t> ids;
  for (const auto& b : batches) {
    EXPECT_EQ(b.images.size(), static_cast<size_t>(b.n) * 3 * 96 * 96);
    for (int i = 0; i < b.n; ++i) {
      ids.insert(b.image_ids[i]);
      ASSERT_EQ(b.boxes[i].size(), b.labels[i].size());
      for (const Box& box : b.boxes[i]) {
        EXPECT_GE(box.x1, 0);
        EXPECT_LE(box.x2, 96);
      }
    }
    // Normalised values: (x/255 - mean) / std lies in about [-2.2, 2.7].
    const auto [lo, hi] = std::minmax_element(b.images.begin(), b.images.end());
    EXPECT_GE(*lo, -2.2f);
    EXPECT_LE(*hi, 2.7f);
    EXPECT_LT(*lo, 0.0f);
  }
  EXPECT_EQ(ids, (std::multiset<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(BatchLoader, BatchesDoNotDependOnThreadCount) {
  BatchLoader one(small_dataset(9), small_options(1));
  BatchLoader three(small_dataset(9), small_options(3));
  const auto a = whole_epoch(one, 2);
  const auto b = whole_epoch(three, 2);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].image_ids, b[i].image_ids);
    EXPECT_EQ(a[i].images, b[i].images);
    EXPECT_EQ(a[i].labels, b[i].labels);
  }
  // Another epoch: another order.
  const auto c = whole_epoch(one, 3);
  EXPECT_NE(a[0].image_ids, c[0].image_ids);
}

TEST(BatchLoader, MosaicSamplesAreReproducibleAndValid) {
  LoaderOptions o = small_options(2);
  o.mosaic_prob = 1;
  BatchLoader a(small_dataset(8), o);
  o.num_threads = 1;
  BatchLoader b(small_dataset(8), o);
  const auto x = whole_epoch(a, 1);
  const auto y = whole_epoch(b, 1);
  ASSERT_EQ(x.size(), 2u);
  size_t boxes = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].images, y[i].images);
    for (const auto& per_image : x[i].boxes) {
      boxes += per_image.size();
      for (const Box& bx : per_image) {
        EXPECT_GE(bx.x1, 0);
        EXPECT_LE(bx.y2, 96);
      }
    }
  }
  EXPECT_GT(boxes, 8u);  // four images' boxes per sample, minus cut ones
}

TEST(BatchLoader, RestartingMidEpochStartsOver) {
  BatchLoader loader(small_dataset(12), small_options(2));
  loader.start_epoch(0);
  ASSERT_TRUE(loader.next().ok());
  const auto batches = whole_epoch(loader, 0);  // restarts epoch 0
  EXPECT_EQ(batches.size(), 3u);
}

TEST(BatchLoader, EvaluationLetterboxMapsBoxesBack) {
  const Dataset ds = small_dataset(4);
  LoaderOptions o = small_options(2);
  o.augment = false;
  o.shuffle = false;
  o.augment_config.output_size = 160;
  BatchLoader loader(ds, o);
  const auto batches = whole_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 1u);
  const HostBatch& b = batches[0];
  for (int i = 0; i < b.n; ++i) {
    const auto& anns = ds.images[i].annotations;
    ASSERT_EQ(b.boxes[i].size(), anns.size());
    for (size_t j = 0; j < anns.size(); ++j) {
      const Box back = b.letterboxes[i].to_original(b.boxes[i][j]);
      EXPECT_NEAR(back.x1, anns[j].box.x1, 0.01);
      EXPECT_NEAR(back.y2, anns[j].box.y2, 0.01);
    }
  }
}

TEST(BatchLoader, UnreadableImageIsAnErrorNamingTheFile) {
  Dataset ds = small_dataset(6);
  ds.images[4].file_name = "images/train/does-not-exist.jpg";
  BatchLoader loader(ds, small_options(2));
  loader.start_epoch(0);
  bool saw_error = false;
  for (int i = 0; i < 2; ++i) {
    auto b = loader.next();
    if (!b.ok()) {
      saw_error = true;
      EXPECT_NE(b.status().message().find("does-not-exist.jpg"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_error);
}

TEST(BatchLoader, TensorsAliasTheBatch) {
  BatchLoader loader(small_dataset(5), small_options(2));
  const auto batches = whole_epoch(loader, 0);
  HostBatch copy = batches[0];
  const TensorBatch t = to_tensors(std::move(copy));
  EXPECT_EQ(t.images.sizes(), (std::vector<int64_t>{4, 3, 96, 96}));
  EXPECT_EQ(t.images.dtype(), torch::kFloat32);
  EXPECT_FLOAT_EQ(t.images[1][2][10][20].item<float>(),
                  batches[0].images[((1 * 3 + 2) * 96 + 10) * 96 + 20]);
  ASSERT_EQ(t.boxes.size(), 4u);
  EXPECT_EQ(t.boxes[0].size(0), static_cast<int64_t>(batches[0].boxes[0].size()));
  EXPECT_EQ(t.boxes[0].size(1), 4);
  EXPECT_EQ(t.labels[0].dtype(), torch::kInt64);
  if (!batches[0].boxes[0].empty()) {
    EXPECT_FLOAT_EQ(t.boxes[0][0][2].item<float>(), batches[0].boxes[0][0].x2);
    EXPECT_EQ(t.labels[0][0].item<int64_t>(), batches[0].labels[0][0]);
  }
}

}  // namespace
}  // namespace trellis::vision
