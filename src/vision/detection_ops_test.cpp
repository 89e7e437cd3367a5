// Unit tests of the pure pieces: anchors, box coding, matching, focal/GIoU loss, NMS against a
// brute-force reference, safetensors and the config JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "trellis/vision/checkpoint.h"
#include "trellis/vision/safetensors.h"
#include "trellis/vision/train_config.h"
#include "vision/model_io.h"
#include "vision/retinanet.h"

namespace trellis::vision {
namespace {

TEST(Anchors, DefaultSizesMatchTorchvision) {
  auto sizes = default_anchor_sizes();
  ASSERT_EQ(sizes.size(), 5u);
  EXPECT_EQ(sizes[0], (std::vector<double>{32, 40, 50}));
  EXPECT_EQ(sizes[1], (std::vector<double>{64, 80, 101}));
  EXPECT_EQ(sizes[4], (std::vector<double>{512, 645, 812}));
}

TEST(Anchors, BaseAnchorsAreRoundedRatioMajor) {
  auto a = base_anchors({32, 40, 50}, {0.5, 1.0, 2.0});
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{9, 4}));
  // ratio 1, size 32 is row 3*1 + 0: a centred 32x32 square.
  EXPECT_TRUE(torch::equal(a[3], torch::tensor({-16.f, -16.f, 16.f, 16.f})));
  // ratio 0.5 (h/w), size 32: w = 32*sqrt(2) = 45.25, h = 22.63 -> halves rounded 23, 11.
  EXPECT_TRUE(torch::equal(a[0], torch::tensor({-23.f, -11.f, 23.f, 11.f})));
  // ratio 2, size 50: w = 35.36, h = 70.71 -> 18, 35.
  EXPECT_TRUE(torch::equal(a[8], torch::tensor({-18.f, -35.f, 18.f, 35.f})));
}

TEST(Anchors, GridIsLevelLocationAnchorOrdered) {
  auto a = grid_anchors(416, 416, {{52, 52}, {26, 26}, {13, 13}, {7, 7}, {4, 4}});
  EXPECT_EQ(a.size(0), (52 * 52 + 26 * 26 + 13 * 13 + 7 * 7 + 4 * 4) * 9);
  auto base = base_anchors({32, 40, 50}, {0.5, 1.0, 2.0});
  // Level 0, row 1, column 2, anchor 4: shift (x=16, y=8).
  const int64_t idx = (1 * 52 + 2) * 9 + 4;
  EXPECT_TRUE(torch::equal(a[idx], base[4] + torch::tensor({16.f, 8.f, 16.f, 8.f})));
  // P6 stride is 416 // 7 = 59 (integer division, as torchvision).
  const int64_t p6 = (52 * 52 + 26 * 26 + 13 * 13) * 9;
  auto b6 = base_anchors(default_anchor_sizes()[3], {0.5, 1.0, 2.0});
  EXPECT_TRUE(torch::equal(a[p6 + 9], b6[0] + torch::tensor({59.f, 0.f, 59.f, 0.f})));
}

TEST(BoxCoding, RoundTripsRandomBoxes) {
  torch::manual_seed(1);
  auto xy = torch::rand({100, 2}) * 300;
  auto wh = torch::rand({100, 2}) * 200 + 2;
  auto gt = torch::cat({xy, xy + wh}, 1);
  auto axy = torch::rand({100, 2}) * 300;
  auto awh = torch::rand({100, 2}) * 200 + 8;
  auto anchors = torch::cat({axy, axy + awh}, 1);
  auto back = decode_boxes(encode_boxes(gt, anchors), anchors);
  EXPECT_TRUE(torch::allclose(back, gt, 1e-4, 1e-3));
}

TEST(BoxCoding, KnownValues) {
  auto anchor = torch::tensor({{0.f, 0.f, 10.f, 20.f}});
  auto gt = torch::tensor({{5.f, 0.f, 25.f, 10.f}});  // centre (15, 5), 20x10
  auto d = encode_boxes(gt, anchor);
  EXPECT_NEAR(d[0][0].item<float>(), (15 - 5) / 10.0, 1e-6);
  EXPECT_NEAR(d[0][1].item<float>(), (5 - 10) / 20.0, 1e-6);
  EXPECT_NEAR(d[0][2].item<float>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(d[0][3].item<float>(), std::log(0.5), 1e-6);
  // Decoding clamps dw/dh at log(1000/16).
  auto big = decode_boxes(torch::tensor({{0.f, 0.f, 100.f, 0.f}}), anchor);
  EXPECT_NEAR((big[0][2] - big[0][0]).item<float>(), 10 * 1000.0 / 16.0, 1e-2);
}

TEST(Matching, ForegroundBackgroundIgnoreAndLowQuality) {
  // gt 0 overlaps anchor 0 with IoU 1, anchor 1 with IoU 0.45 (ignored), anchor 2 not at all.
  // gt 1 overlaps anchor 3 with its best IoU 0.2: a low-quality match keeps anchor 3.
  auto gt = torch::tensor({{0.f, 0.f, 10.f, 10.f}, {100.f, 100.f, 110.f, 110.f}});
  auto anchors = torch::tensor({{0.f, 0.f, 10.f, 10.f},
                                {0.f, 0.f, 10.f, 4.5f},
                                {50.f, 50.f, 60.f, 60.f},
                                {105.f, 100.f, 125.f, 110.f}});
  auto iou = box_iou(gt, anchors);
  EXPECT_NEAR(iou[0][1].item<float>(), 0.45, 1e-6);
  EXPECT_NEAR(iou[1][3].item<float>(), 0.2, 1e-6);
  auto m = match_anchors(iou, 0.5, 0.4, true);
  EXPECT_EQ(m[0].item<int64_t>(), 0);
  EXPECT_EQ(m[1].item<int64_t>(), kIgnore);
  EXPECT_EQ(m[2].item<int64_t>(), kBackground);
  EXPECT_EQ(m[3].item<int64_t>(), 1);
  auto strict = match_anchors(iou, 0.5, 0.4, false);
  EXPECT_EQ(strict[3].item<int64_t>(), kBackground);
}

TEST(Matching, NoGroundTruthMeansAllBackground) {
  auto m = match_anchors(torch::zeros({0, 5}), 0.5, 0.4, true);
  EXPECT_TRUE(torch::equal(m, torch::full({5}, kBackground, torch::kInt64)));
}

TEST(Matching, GtWithZeroOverlapClaimsNothing) {
  auto iou = torch::zeros({1, 3});
  auto m = match_anchors(iou, 0.5, 0.4, true);
  EXPECT_TRUE(torch::equal(m, torch::full({3}, kBackground, torch::kInt64)));
}

TEST(FocalLoss, MatchesDirectFormula) {
  torch::manual_seed(2);
  auto x = torch::randn({7, 5}) * 3;
  auto t = (torch::rand({7, 5}) > 0.7).to(torch::kFloat32);
  auto loss = sigmoid_focal_loss(x, t, 0.25f, 2.0f);
  for (int i = 0; i < 7; ++i) {
    for (int j = 0; j < 5; ++j) {
      const double xv = x[i][j].item<double>(), tv = t[i][j].item<double>();
      const double p = 1 / (1 + std::exp(-xv));
      const double expected = tv > 0 ? -0.25 * std::pow(1 - p, 2) * std::log(p)
                                     : -0.75 * std::pow(p, 2) * std::log(1 - p);
      EXPECT_NEAR(loss[i][j].item<double>(), expected, 1e-5 * std::max(1.0, expected));
    }
  }
}

TEST(GiouLoss, IdenticalIsZeroDisjointAboveOne) {
  auto a = torch::tensor({{0.f, 0.f, 10.f, 10.f}, {0.f, 0.f, 10.f, 10.f}});
  auto b = torch::tensor({{0.f, 0.f, 10.f, 10.f}, {20.f, 0.f, 30.f, 10.f}});
  auto l = giou_loss(a, b);
  EXPECT_NEAR(l[0].item<float>(), 0.0, 1e-6);
  // IoU 0, enclosing 300, union 200: GIoU = -1/3, loss 4/3.
  EXPECT_NEAR(l[1].item<float>(), 4.0 / 3.0, 1e-5);
}

// The textbook algorithm: visit in score order, keep, suppress every later box of the same
// class with IoU > t.
std::vector<int64_t> reference_nms(const std::vector<std::array<float, 4>>& boxes,
                                   const std::vector<float>& scores,
                                   const std::vector<int64_t>& classes, float t) {
  const size_t n = boxes.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<bool> suppressed(n, false);
  std::vector<int64_t> keep;
  auto iou = [&](size_t a, size_t b) {
    const auto &p = boxes[a], &q = boxes[b];
    const float w = std::max(0.f, std::min(p[2], q[2]) - std::max(p[0], q[0]));
    const float h = std::max(0.f, std::min(p[3], q[3]) - std::max(p[1], q[1]));
    const float inter = w * h;
    return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter);
  };
  for (size_t a = 0; a < n; ++a) {
    const size_t i = order[a];
    if (suppressed[i]) continue;
    keep.push_back(static_cast<int64_t>(i));
    for (size_t b = a + 1; b < n; ++b) {
      const size_t j = order[b];
      if (classes[j] == classes[i] && iou(i, j) > t) suppressed[j] = true;
    }
  }
  return keep;
}

TEST(Nms, MatchesBruteForceOnRandomBoxes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0, 100), size(1, 40), score(0, 1);
  std::uniform_int_distribution<int> cls(0, 3);
  for (int trial = 0; trial < 30; ++trial) {
    const int n = 5 + trial * 7;
    std::vector<std::array<float, 4>> boxes;
    std::vector<float> scores;
    std::vector<int64_t> classes;
    std::vector<float> flat;
    for (int i = 0; i < n; ++i) {
      const float x = pos(rng), y = pos(rng);
      boxes.push_back({x, y, x + size(rng), y + size(rng)});
      // Quantized scores create ties, which both sides break by input order.
      scores.push_back(std::round(score(rng) * 20) / 20);
      classes.push_back(cls(rng));
      flat.insert(flat.end(), boxes.back().begin(), boxes.back().end());
    }
    for (float t : {0.0f, 0.3f, 0.5f, 0.7f}) {
      auto keep = batched_nms(torch::tensor(flat).view({n, 4}), torch::tensor(scores),
                              torch::tensor(classes, torch::kInt64), t);
      const auto expected = reference_nms(boxes, scores, classes, t);
      std::vector<int64_t> got(keep.data_ptr<int64_t>(), keep.data_ptr<int64_t>() + keep.numel());
      EXPECT_EQ(got, expected) << "trial " << trial << " threshold " << t;
    }
  }
}

TEST(Nms, SuppressionIsStrict) {
  // Two boxes with IoU exactly 0.5: at threshold 0.5 both survive.
  auto boxes = torch::tensor({{0.f, 0.f, 10.f, 10.f}, {0.f, 0.f, 10.f, 5.f}});
  auto keep = batched_nms(boxes, torch::tensor({0.9f, 0.8f}), torch::zeros({2}, torch::kInt64), 0.5f);
  EXPECT_EQ(keep.numel(), 2);
  keep = batched_nms(boxes, torch::tensor({0.9f, 0.8f}), torch::zeros({2}, torch::kInt64), 0.49f);
  EXPECT_EQ(keep.numel(), 1);
}

TEST(Loss, ImageWithoutBoxesHasOnlyClassificationLoss) {
  torch::manual_seed(3);
  RetinaNetOptions o;
  o.backbone = "resnet18";
  o.num_classes = 2;
  RetinaNet model(o);
  auto out = model->forward(torch::rand({2, 3, 64, 64}));
  Targets empty{torch::zeros({0, 4}), torch::zeros({0}, torch::kInt64)};
  auto l = model->loss(out, {empty, empty});
  EXPECT_EQ(l.box_regression.item<float>(), 0.0f);
  EXPECT_GT(l.classification.item<float>(), 0.0f);
  Targets one{torch::tensor({{8.f, 8.f, 40.f, 40.f}}), torch::tensor({1}, torch::kInt64)};
  auto l2 = model->loss(out, {one, empty});
  EXPECT_GT(l2.box_regression.item<float>(), 0.0f);
  EXPECT_TRUE(std::isfinite(l2.total().item<float>()));
}

TEST(ModelIo, BackboneWeightsLoadIntoTheBodyOnly) {
  RetinaNetOptions o;
  o.backbone = "resnet18";
  o.num_classes = 3;
  torch::manual_seed(1);
  RetinaNet source(o);
  torch::manual_seed(2);
  RetinaNet target(o);
  std::map<std::string, TensorBytes> weights;
  export_model(source, weights);
  EXPECT_TRUE(weights.count("backbone.body.layer1.0.conv1.weight"));
  EXPECT_TRUE(weights.count("backbone.fpn.extra_blocks.p6.weight"));
  EXPECT_TRUE(weights.count("head.classification_head.conv.0.0.weight"));
  EXPECT_TRUE(weights.count("backbone.body.bn1.num_batches_tracked"));
  ASSERT_TRUE(import_model(weights, target, "backbone.body.").ok());
  EXPECT_TRUE(torch::equal(source->backbone->body->conv1->weight, target->backbone->body->conv1->weight));
  EXPECT_FALSE(torch::equal(source->head->classification_head->last->weight,
                            target->head->classification_head->last->weight));
  weights.erase("backbone.body.conv1.weight");
  auto s = import_model(weights, target, "backbone.body.");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("backbone.body.conv1.weight"), std::string::npos);
}

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  SafeTensors st;
  st.tensors["b"] = {"F32", {2}, std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8)};
  st.tensors["a"] = {"I64", {1, 1}, std::string(8, '\x01')};
  st.metadata["config"] = "{\"x\": 1}";
  auto bytes = encode_safetensors(st);
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  uint64_t n = 0;
  std::memcpy(&n, bytes->data(), 8);  // little-endian host
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes->size(), 8 + n + 16);
  auto back = decode_safetensors(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->metadata, st.metadata);
  EXPECT_EQ(back->tensors["b"].data, st.tensors["b"].data);
  EXPECT_EQ(back->tensors["a"].shape, (std::vector<int64_t>{1, 1}));
}

TEST(Safetensors, RejectsDamage) {
  SafeTensors st;
  st.tensors["w"] = {"F32", {2}, std::string(8, '\0')};
  auto bytes = *encode_safetensors(st);
  EXPECT_EQ(decode_safetensors(bytes.substr(0, 5)).status().code(), Code::kCorrupt);
  EXPECT_EQ(decode_safetensors(bytes.substr(0, bytes.size() - 1)).status().code(), Code::kCorrupt);
  EXPECT_EQ(decode_safetensors(bytes + "x").status().code(), Code::kCorrupt);
  st.tensors["w"].data = std::string(7, '\0');
  EXPECT_EQ(encode_safetensors(st).status().code(), Code::kInvalidArgument);
}

TEST(Safetensors, MissingFileNamesThePath) {
  auto r = read_safetensors_file("/nonexistent/x.safetensors");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/x.safetensors"), std::string::npos);
}

TEST(TrainConfig, RoundTripsThroughJson) {
  TrainConfig c;
  c.backbone = "resnet18";
  c.lr = 0.02;
  c.step_milestones = {8, 11};
  c.amp = false;
  auto back = train_config_from_json(train_config_to_json(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(train_config_to_json(*back), train_config_to_json(c));
  EXPECT_EQ(back->step_milestones, c.step_milestones);
}

TEST(TrainConfig, UnknownKeysAndBadValuesAreErrors) {
  auto r = train_config_from_json(R"({"learning_rate": 0.1})");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("learning_rate"), std::string::npos);
  EXPECT_FALSE(train_config_from_json(R"({"lr": "fast"})").ok());
  TrainConfig c;
  c.image_size = 100;
  EXPECT_FALSE(validate(c).ok());
}

TEST(TrainConfig, DataAndStoppingFieldsAreChecked) {
  const auto field_error = [](TrainConfig c) {
    Status s = validate(c);
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    return s.message();
  };
  TrainConfig c;
  EXPECT_TRUE(validate(c).ok());
  c.mosaic_prob = 1.5f;
  EXPECT_NE(field_error(c).find("mosaic_prob"), std::string::npos);
  c = {};
  c.loader_threads = 0;
  EXPECT_NE(field_error(c).find("loader_threads"), std::string::npos);
  c = {};
  c.early_stopping_metric = "f1";
  EXPECT_NE(field_error(c).find("early_stopping_metric"), std::string::npos);
  for (const char* m : {"val_loss", "map", "map50"}) {
    c.early_stopping_metric = m;
    EXPECT_TRUE(validate(c).ok()) << m;
  }
  auto parsed =
      train_config_from_json(R"({"augment": false, "mosaic_prob": 0.25, "loader_threads": 3})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->augment);
  EXPECT_FLOAT_EQ(parsed->mosaic_prob, 0.25f);
  EXPECT_EQ(parsed->loader_threads, 3);
}

TEST(Checkpoint, CorruptMetadataIsReported) {
  SafeTensors st;
  st.metadata["format"] = "something.else";
  auto bytes = *encode_safetensors(st);
  EXPECT_EQ(decode_checkpoint(bytes).status().code(), Code::kCorrupt);
}

}  // namespace
}  // namespace trellis::vision
