#include "trellis/vision/augment.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "trellis/vision/draw.h"
#include "vision/vision_test_util.h"

namespace trellis::vision {
namespace {

// A textured background with one solid red rectangle per box.
Sample make_sample(int w, int h, const std::vector<Box>& boxes) {
  Sample s;
  s.image = cv::Mat(h, w, CV_8UC3);
  cv::randu(s.image, cv::Scalar::all(0), cv::Scalar(120, 255, 120));  // never pure red
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box& b = boxes[i];
    cv::rectangle(s.image,
                  cv::Rect(cv::Point(int(b.x1), int(b.y1)), cv::Point(int(b.x2), int(b.y2))),
                  cv::Scalar(0, 0, 255), cv::FILLED);
    s.boxes.push_back(b);
    s.labels.push_back(static_cast<int>(i) + 1);
  }
  return s;
}

AugmentConfig geometry_only() {
  AugmentConfig c;
  c.max_hue_shift_deg = 0;
  c.saturation_min = c.saturation_max = 1;
  c.brightness_max_delta = 0;
  c.contrast_min = c.contrast_max = 1;
  return c;
}

bool same_image(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(Augment, FlippingTwiceIsIdentity) {
  const Sample s = make_sample(97, 61, {{3, 4, 50, 33}, {60, 10, 97, 61}});
  for (auto flip : {hflip, vflip}) {
    const Sample once = flip(s);
    const Sample twice = flip(once);
    EXPECT_FALSE(same_image(once.image, s.image));
    EXPECT_TRUE(same_image(twice.image, s.image));
    ASSERT_EQ(twice.boxes.size(), s.boxes.size());
    for (size_t i = 0; i < s.boxes.size(); ++i) {
      EXPECT_FLOAT_EQ(twice.boxes[i].x1, s.boxes[i].x1);
      EXPECT_FLOAT_EQ(twice.boxes[i].y2, s.boxes[i].y2);
    }
  }
  const Sample h = hflip(s);
  EXPECT_FLOAT_EQ(h.boxes[0].x1, 97 - 50);
  EXPECT_FLOAT_EQ(h.boxes[0].x2, 97 - 3);
}

TEST(Augment, SameSeedSameSampleDifferentSeedDifferentSample) {
  const Sample s = make_sample(320, 240, {{30, 40, 150, 200}});
  const AugmentConfig c;
  const Sample a = augment(s, c, 42), b = augment(s, c, 42), d = augment(s, c, 43);
  EXPECT_TRUE(same_image(a.image, b.image));
  EXPECT_FALSE(same_image(a.image, d.image));
  ASSERT_EQ(a.boxes.size(), b.boxes.size());
  for (size_t i = 0; i < a.boxes.size(); ++i) EXPECT_EQ(a.boxes[i].x1, b.boxes[i].x1);
  EXPECT_EQ(a.image.cols, 416);
  EXPECT_EQ(a.image.rows, 416);
}

TEST(Augment, BoxesStayInsideTheImageAndKeepTheirLabels) {
  const Sample s = make_sample(
      320, 200, {{0, 0, 40, 40}, {280, 160, 320, 200}, {100, 50, 220, 150}, {5, 150, 300, 195}});
  const AugmentConfig c;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const Sample a = augment(s, c, seed);
    ASSERT_EQ(a.boxes.size(), a.labels.size());
    for (size_t i = 0; i < a.boxes.size(); ++i) {
      const Box& b = a.boxes[i];
      EXPECT_GE(b.x1, 0);
      EXPECT_GE(b.y1, 0);
      EXPECT_LE(b.x2, c.output_size);
      EXPECT_LE(b.y2, c.output_size);
      EXPECT_GE(b.width(), c.min_side_px);
      EXPECT_GE(b.height(), c.min_side_px);
      EXPECT_GE(a.labels[i], 1);
      EXPECT_LE(a.labels[i], 4);
    }
  }
}

// Draw a filled rectangle, augment, and check that the new box still covers the
// rectangle's pixels (and is not much larger than them).
TEST(Augment, BoxMovesWithItsPixels) {
  const Sample s = make_sample(300, 220, {{90, 60, 170, 140}});
  const AugmentConfig c = geometry_only();
  int checked = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const Sample a = augment(s, c, seed);
    cv::Mat red;
    cv::inRange(a.image, cv::Scalar(0, 0, 200), cv::Scalar(60, 60, 255), red);
    std::vector<cv::Point> pts;
    cv::findNonZero(red, pts);
    if (pts.size() < 200) continue;  // cut away (and then the box must be gone too)
    ASSERT_EQ(a.boxes.size(), 1u) << "seed " << seed;
    const cv::Rect r = cv::boundingRect(pts);
    const Box& b = a.boxes[0];
    EXPECT_LE(b.x1, r.x + 1.5) << seed;
    EXPECT_LE(b.y1, r.y + 1.5) << seed;
    EXPECT_GE(b.x2, r.x + r.width - 1.5) << seed;
    EXPECT_GE(b.y2, r.y + r.height - 1.5) << seed;
    EXPECT_LE(b.area(), 1.15 * r.area() + 4 * (r.width + r.height)) << seed;
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

TEST(Augment, RotationKeepsBoxesAroundTheirPixels) {
  const Sample s = make_sample(200, 200, {{80, 90, 140, 120}});
  for (float deg : {-21.6f, -5.0f, 10.0f, 21.6f}) {
    const Sample r = rotate(s, deg);
    cv::Mat red;
    cv::inRange(r.image, cv::Scalar(0, 0, 200), cv::Scalar(60, 60, 255), red);
    std::vector<cv::Point> pts;
    cv::findNonZero(red, pts);
    const cv::Rect br = cv::boundingRect(pts);
    ASSERT_EQ(r.boxes.size(), 1u);
    EXPECT_NEAR(r.boxes[0].x1, br.x, 2.0) << deg;
    EXPECT_NEAR(r.boxes[0].y2, br.y + br.height, 2.0) << deg;
  }
}

TEST(Augment, MostlyCutBoxesAreDroppedWithTheirLabels) {
  std::vector<Box> boxes = {{0, 0, 10, 10}, {90, 0, 110, 10}, {95, 0, 150, 10}};
  std::vector<int> labels = {1, 2, 3};
  // Identity map on a 100-wide image: box 2 keeps half (kept), box 3 a tenth (dropped).
  transform_boxes(cv::Matx23d(1, 0, 0, 0, 1, 0), 100, 100, AugmentConfig{}, boxes, labels);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(labels, (std::vector<int>{1, 2}));
  EXPECT_FLOAT_EQ(boxes[1].x2, 100);
}

TEST(Augment, ColourJitterChangesPixelsNotBoxes) {
  const Sample s = make_sample(64, 64, {{5, 5, 30, 30}});
  AugmentParams p;
  p.hue_shift_deg = 30;
  p.saturation = 1.2f;
  p.brightness = 10;
  p.contrast = 0.9f;
  const Sample j = color_jitter(s, p);
  EXPECT_FALSE(same_image(j.image, s.image));
  EXPECT_EQ(j.boxes[0].x2, s.boxes[0].x2);
  const Sample none = color_jitter(s, AugmentParams{});
  EXPECT_TRUE(same_image(none.image, s.image));
}

TEST(Augment, LetterboxMapsBoxesBack) {
  const Sample s = make_sample(300, 150, {{30, 15, 120, 90}});
  Letterbox lb;
  const Sample l = letterbox(s, 416, &lb);
  EXPECT_EQ(l.image.cols, 416);
  EXPECT_EQ(l.image.rows, 416);
  EXPECT_NEAR(lb.pad_y, (416 - 208) / 2, 1);
  const Box back = lb.to_original(l.boxes[0]);
  EXPECT_NEAR(back.x1, 30, 0.05);
  EXPECT_NEAR(back.y2, 90, 0.05);
  // Padding is grey, the image content is where the mapping says.
  EXPECT_EQ(l.image.at<cv::Vec3b>(2, 200), cv::Vec3b(114, 114, 114));
}

TEST(Augment, MosaicKeepsEachBoxOnItsPixelsAndInItsQuadrant) {
  const Sample a = make_sample(200, 150, {{20, 20, 80, 70}});
  const Sample b = make_sample(120, 240, {{30, 100, 90, 200}});
  const Sample c = make_sample(300, 300, {{100, 100, 220, 220}});
  const Sample d = make_sample(160, 90, {{10, 10, 150, 80}});
  AugmentConfig cfg = geometry_only();
  cfg.min_visible_fraction = 0;  // keep cut boxes, so every red pixel has its box
  cfg.min_side_px = 0.5f;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    AugmentRng rng(seed);
    const Sample m = mosaic({&a, &b, &c, &d}, cfg, rng);
    ASSERT_EQ(m.image.cols, 416);
    ASSERT_EQ(m.boxes.size(), m.labels.size());
    cv::Mat red;
    cv::inRange(m.image, cv::Scalar(0, 0, 200), cv::Scalar(60, 60, 255), red);
    for (size_t i = 0; i < m.boxes.size(); ++i) {
      const Box& bx = m.boxes[i];
      EXPECT_GE(bx.x1, 0);
      EXPECT_LE(bx.x2, 416);
      // Mostly red inside each box (the filled rectangle moved with it).
      const cv::Rect r(cv::Point(int(std::ceil(bx.x1)), int(std::ceil(bx.y1))),
                       cv::Point(int(bx.x2), int(bx.y2)));
      if (r.width < 4 || r.height < 4) continue;  // slivers at quadrant edges
      EXPECT_GT(cv::countNonZero(red(r)), 0.8 * r.area()) << "seed " << seed << " box " << i;
    }
    // Every red pixel belongs to some box (up to the bilinear blur of an upscale).
    std::vector<cv::Point> pts;
    cv::findNonZero(red, pts);
    for (const cv::Point& p : pts) {
      bool inside = false;
      for (const Box& bx : m.boxes)
        inside |= p.x >= bx.x1 - 3 && p.x <= bx.x2 + 3 && p.y >= bx.y1 - 3 && p.y <= bx.y2 + 3;
      if (!inside) {
        ADD_FAILURE() << "seed " << seed << ": red pixel outside every box at " << p;
        break;
      }
    }
  }
}

TEST(Draw, BoxesAndLabelsArePaintedAndWritten) {
  const cv::Mat img(120, 160, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Mat out = draw_boxes(img, {{{20, 30, 100, 90}, 3, "leaf", 0.87f}});
  EXPECT_GT(cv::norm(out.row(60).colRange(19, 22)), 0);  // left edge painted
  EXPECT_EQ(cv::norm(out.row(60).colRange(40, 80)), 0);  // inside untouched
  EXPECT_EQ(cv::norm(img), 0);                           // input untouched
  test::TempDir dir;
  ASSERT_TRUE(write_image(dir.file("a.png"), out).ok());
  EXPECT_TRUE(same_image(cv::imread(dir.file("a.png")), out));
  EXPECT_FALSE(write_image(dir.file("a.unknown"), out).ok());
  const cv::Mat grid = make_grid({out, out, out}, 2, 4);
  EXPECT_EQ(grid.cols, 2 * 160 + 3 * 4);
  EXPECT_EQ(grid.rows, 2 * 120 + 3 * 4);
}

TEST(Draw, PredictionTileShowsGroundTruthAndConfidentDetectionsOnly) {
  const cv::Mat img(100, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  const std::vector<Annotation> gt = {{1, {10, 10, 60, 60}, 1, false, -1}};
  const std::vector<Detection> dets = {{{100, 20, 180, 80}, 0.9f, 1}, {{5, 70, 50, 95}, 0.1f, 1}};
  const cv::Mat tile = draw_prediction_tile(img, gt, dets, {{1, "leaf"}}, 200, 0.3f);
  ASSERT_EQ(tile.cols, 200);
  ASSERT_EQ(tile.rows, 200);
  // Letterbox: scale 1, 50 px of padding on top. GT left edge is white.
  const cv::Vec3b edge = tile.at<cv::Vec3b>(50 + 35, 10);  // grey-white (anti-aliased)
  EXPECT_GT(edge[0], 150);
  EXPECT_EQ(edge[0], edge[1]);
  EXPECT_EQ(edge[1], edge[2]);
  // The confident detection is drawn, the low-scoring one is not.
  EXPECT_NE(tile.at<cv::Vec3b>(50 + 50, 100), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(tile.at<cv::Vec3b>(50 + 85, 5), cv::Vec3b(0, 0, 0));
}

}  // namespace
}  // namespace trellis::vision
