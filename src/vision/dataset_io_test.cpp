#include "trellis/vision/dataset_io.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "trellis/vision/dataset_tools.h"
#include "trellis/vision/validate.h"
#include "vision/vision_test_util.h"

namespace trellis::vision {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::write_test_image;
using test::write_text;

const fs::path kData = fs::path(TRELLIS_SOURCE_DIR) / "data/plantdoc-mini";
const fs::path kOfficial = fs::path(TRELLIS_SOURCE_DIR) / "tests/data/plantdoc-annotations";

bool has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

void expect_same_boxes(const Dataset& a, const Dataset& b, float tol) {
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    const auto& ia = a.images[i];
    const auto& ib = b.images[i];
    EXPECT_EQ(ia.width, ib.width);
    EXPECT_EQ(ia.height, ib.height);
    ASSERT_EQ(ia.annotations.size(), ib.annotations.size()) << "image " << i;
    for (size_t j = 0; j < ia.annotations.size(); ++j) {
      const Box& x = ia.annotations[j].box;
      const Box& y = ib.annotations[j].box;
      EXPECT_NEAR(x.x1, y.x1, tol);
      EXPECT_NEAR(x.y1, y.y1, tol);
      EXPECT_NEAR(x.x2, y.x2, tol);
      EXPECT_NEAR(x.y2, y.y2, tol);
    }
  }
}

std::string category_name(const Dataset& ds, int id) {
  for (const auto& c : ds.categories)
    if (c.id == id) return c.name;
  return "?";
}

// --- COCO -------------------------------------------------------------------

TEST(CocoReader, ReadsPlantdocMini) {
  auto ds = read_coco((kData / "train.json").string());
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  EXPECT_EQ(ds->images.size(), 60u);
  EXPECT_EQ(ds->categories.size(), 30u);
  EXPECT_EQ(compute_stats(*ds).num_boxes, 195);
  EXPECT_EQ(ds->image_dir, kData.string());
  // First annotation: bbox [0.8, 18.5, 315.2, 257.4] -> corners.
  const Box& b = ds->images[0].annotations[0].box;
  EXPECT_FLOAT_EQ(b.x1, 0.8f);
  EXPECT_FLOAT_EQ(b.y2, 18.5f + 257.4f);
  EXPECT_TRUE(fs::exists(image_path(*ds, ds->images[0])));
}

TEST(CocoReader, RoundTripsThroughTheWriter) {
  TempDir dir;
  auto ds = read_coco((kData / "test.json").string());
  ASSERT_TRUE(ds.ok());
  ASSERT_TRUE(write_coco(*ds, dir.file("out.json")).ok());
  auto back = read_coco(dir.file("out.json"));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_same_boxes(*ds, *back, 1e-4f);
  EXPECT_EQ(back->images[3].file_name, ds->images[3].file_name);
  EXPECT_EQ(back->images[3].annotations[0].id, ds->images[3].annotations[0].id);
  EXPECT_EQ(back->categories.size(), ds->categories.size());
}

TEST(CocoReader, EachBrokenInputGetsItsError) {
  struct Case {
    const char* json;
    const char* expect;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {R"({"annotations":[],"categories":[]})", "no \"images\""},
      {R"({"images":[{"id":1},{"id":1}],"annotations":[],"categories":[]})", "image id 1 repeated"},
      {R"({"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"image_id":9,"category_id":1,"bbox":[0,0,1,1]}]})",
       "image_id 9 is not in"},
      {R"({"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,1]}]})",
       "\"bbox\" must be"},
      {R"({"images":[{"id":1}],"categories":[],"annotations":[{"image_id":1,"category_id":1,"bbox":[0,0,1,1]}]})",
       "annotations[0]: missing or non-numeric \"id\""},
      // Numbers that used to wrap or overflow into another value.
      {R"({"images":[{"id":1,"width":4294967396,"height":5}],"annotations":[],"categories":[]})",
       "images[0]: \"width\" 4294967396 is out of range"},
      {R"({"images":[{"id":1,"width":5,"height":1e300}],"annotations":[],"categories":[]})",
       "images[0]: \"height\" 1e+300 is out of range"},
      {R"({"images":[{"id":1e300}],"annotations":[],"categories":[]})",
       "images[0]: \"id\" 1e+300 is out of range"},
      {R"({"images":[],"annotations":[],"categories":[{"id":4294967297,"name":"a"}]})",
       "categories[0]: \"id\" 4294967297 is out of range"},
      {R"({"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"image_id":1,"category_id":-4294967295,"bbox":[0,0,1,1]}]})",
       "annotations[0]: \"category_id\" -4294967295 is out of range"},
      // Found by the coco_reader fuzzer: a height of 3e117 became an infinite box edge, which
      // the writer cannot write back (JSON has no infinity).
      {R"({"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[10,10,20,3e117]}]})",
       "annotations[0]: \"bbox\" [10, 10, 20, 3e+117] is beyond the range of a box"},
      {R"({"images":[{"id":1}],"categories":[],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[3e38,0,3e38,1]}]})",
       "is beyond the range of a box"},
  };
  for (const Case& c : cases) {
    auto r = parse_coco(c.json, "bad.json");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_TRUE(has(r.status(), "bad.json")) << r.status().message();
    EXPECT_TRUE(has(r.status(), c.expect)) << r.status().message();
  }
  EXPECT_EQ(read_coco("/nonexistent/x.json").status().code(), Code::kNotFound);
}

// --- VOC --------------------------------------------------------------------

TEST(VocReader, OfficialPlantdocLabelsRoundTripThroughVoc) {
  auto ds = read_coco((kOfficial / "test.json").string());
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  ASSERT_EQ(ds->images.size(), 236u);
  TempDir dir;
  ASSERT_TRUE(write_voc(*ds, dir.file("Annotations")).ok());
  std::vector<std::string> names;
  for (const auto& c : ds->categories) names.push_back(c.name);
  auto back = read_voc(dir.path().string(), {.class_names = names, .image_dir = ""});
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(compute_stats(*back).num_boxes, 452);
  // The XML files are read in name order; match images by size and boxes.
  Dataset sorted = *ds;
  std::vector<std::pair<std::string, size_t>> order;
  for (size_t i = 0; i < ds->images.size(); ++i)
    order.push_back({"image_" + std::to_string(ds->images[i].id), i});
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i) sorted.images[i] = ds->images[order[i].second];
  expect_same_boxes(sorted, *back, 1e-3f);
  for (size_t i = 0; i < sorted.images.size(); ++i)
    for (size_t j = 0; j < sorted.images[i].annotations.size(); ++j)
      EXPECT_EQ(category_name(sorted, sorted.images[i].annotations[j].category_id),
                category_name(*back, back->images[i].annotations[j].category_id));
}

TEST(VocReader, ReadsFilenameSizeAndObjects) {
  TempDir dir;
  write_text(dir.file("a.xml"), R"(<annotation><folder>TRAIN</folder>
  <filename>leaf 1.jpg</filename><size><width>500</width><height>375</height><depth>3</depth></size>
  <object><name>Apple leaf</name><difficult>0</difficult>
    <bndbox><xmin>10</xmin><ymin>20.5</ymin><xmax>110</xmax><ymax>220</ymax></bndbox></object>
  <object><name>Apple Scab Leaf</name>
    <bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>
</annotation>)");
  auto ds = read_voc(dir.path().string());
  ASSERT_TRUE(ds.ok()) << ds.status().to_string();
  ASSERT_EQ(ds->images.size(), 1u);
  EXPECT_EQ(ds->images[0].file_name, "leaf 1.jpg");
  EXPECT_EQ(ds->images[0].width, 500);
  ASSERT_EQ(ds->images[0].annotations.size(), 2u);
  EXPECT_FLOAT_EQ(ds->images[0].annotations[0].box.y1, 20.5f);
  // Without a class list, names are sorted: "Apple Scab Leaf" < "Apple leaf".
  EXPECT_EQ(ds->images[0].annotations[0].category_id, 2);
  EXPECT_EQ(ds->image_dir, dir.path().string());
}

TEST(VocReader, EachBrokenInputGetsItsError) {
  struct Case {
    const char* xml;
    const char* expect;
  };
  const Case cases[] = {
      {"<annotation><size><width>5</width>", "XML error"},
      {"<other/>", "no <annotation> root"},
      {"<annotation><filename>a.jpg</filename></annotation>", "missing <width>"},
      {"<annotation><size><width>x</width><height>5</height></size></annotation>",
       "<width> is not a number"},
      {"<annotation><size><width>5</width><height>5</height></size><object><name>a</name>"
       "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax></bndbox></object></annotation>",
       "object 0: missing <ymax>"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    write_text(dir.file("broken.xml"), c.xml);
    auto r = read_voc(dir.path().string());
    ASSERT_FALSE(r.ok()) << c.xml;
    EXPECT_TRUE(has(r.status(), "broken.xml")) << r.status().message();
    EXPECT_TRUE(has(r.status(), c.expect)) << r.status().message();
  }
  TempDir dir;
  write_text(dir.file("x.xml"),
             "<annotation><size><width>5</width><height>5</height></size><object><name>zebra"
             "</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
             "</object></annotation>");
  auto r = read_voc(dir.path().string(), {.class_names = {"leaf"}, .image_dir = ""});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.status(), "class \"zebra\" is not in the class list"));
}

TEST(VocReader, DeeplyNestedXmlIsAnErrorNamingTheFileNotACrash) {
  // 300,000 levels (2.1 MB) overflowed the stack of `trellis data check/stats`.
  std::string xml = "<annotation><size><width>5</width><height>5</height></size>";
  for (int i = 0; i < 300000; ++i) xml += "<a>";
  for (int i = 0; i < 300000; ++i) xml += "</a>";
  xml += "</annotation>";
  TempDir dir;
  write_text(dir.file("deep.xml"), xml);
  auto r = read_voc(dir.path().string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(has(r.status(), "deep.xml")) << r.status().message();
  EXPECT_TRUE(has(r.status(), "nested deeper than 64")) << r.status().message();
  // Real files are four levels deep; sixty are still fine.
  std::string ok = "<annotation><size><width>5</width><height>5</height></size>";
  for (int i = 0; i < 60; ++i) ok += "<a>";
  for (int i = 0; i < 60; ++i) ok += "</a>";
  ok += "</annotation>";
  EXPECT_TRUE(parse_voc_annotation(ok, "ok.xml").ok());
}

TEST(VocReader, ImageSizesBeyond32BitsAreRefusedNotWrapped) {
  for (const char* size : {"4294967396", "2147483648", "-1", "1e300"}) {
    TempDir dir;
    write_text(dir.file("big.xml"), std::string("<annotation><size><width>") + size +
                                        "</width><height>5</height></size></annotation>");
    auto r = read_voc(dir.path().string());
    ASSERT_FALSE(r.ok()) << size << " read as " << r->images[0].width;
    EXPECT_TRUE(has(r.status(), "big.xml")) << r.status().message();
    EXPECT_TRUE(has(r.status(), "<width>")) << r.status().message();
  }
  auto max = parse_voc_annotation(
      "<annotation><size><width>2147483647</width><height>0</height></size></annotation>", "m");
  ASSERT_TRUE(max.ok()) << max.status().to_string();
  EXPECT_EQ(max->width, 2147483647);
}

// --- YOLO -------------------------------------------------------------------

TEST(YoloReader, RoundTripsWithRealImageSizes) {
  TempDir dir;
  fs::create_directories(dir.path() / "images");
  Dataset ds;
  ds.image_dir = (dir.path() / "images").string();
  ds.categories = {{1, "leaf"}, {2, "spot"}};
  for (int i = 0; i < 3; ++i) {
    ImageRecord im;
    im.id = i + 1;
    im.file_name = "img" + std::to_string(i) + (i == 1 ? ".png" : ".jpg");
    im.width = 64 + 16 * i;
    im.height = 48;
    write_test_image(image_path(ds, im), im.width, im.height, i);
    if (i != 2) {  // the last image has no boxes (and gets an empty label file)
      Annotation a;
      a.id = i + 1;
      a.category_id = 1 + i % 2;
      a.box = {4.0f + i, 5, 30, 40.5f};
      im.annotations.push_back(a);
    }
    ds.images.push_back(im);
  }
  ASSERT_TRUE(write_yolo(ds, dir.file("labels"), dir.file("names.txt")).ok());
  auto back = read_yolo({.images_dir = ds.image_dir,
                         .labels_dir = dir.file("labels"),
                         .names_file = dir.file("names.txt")});
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_same_boxes(ds, *back, 1e-3f);
  EXPECT_EQ(back->images[1].annotations[0].category_id, 2);
  EXPECT_EQ(back->categories[1].name, "spot");
}

TEST(YoloReader, BadLinesNameFileAndLine) {
  TempDir dir;
  fs::create_directories(dir.path() / "images");
  fs::create_directories(dir.path() / "labels");
  write_test_image(dir.file("images/a.jpg"), 32, 32);
  write_text(dir.file("names.txt"), "leaf\n");
  const YoloReadOptions opts{.images_dir = dir.file("images"),
                             .labels_dir = dir.file("labels"),
                             .names_file = dir.file("names.txt")};
  write_text(dir.file("labels/a.txt"), "0 0.5 0.5 0.2 0.2\n0 0.5 oops\n");
  auto r = read_yolo(opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.status(), "a.txt:2")) << r.status().message();
  write_text(dir.file("labels/a.txt"), "3 0.5 0.5 0.2 0.2\n");
  r = read_yolo(opts);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has(r.status(), "class 3 is not in")) << r.status().message();
}

TEST(ImageSize, ReadsJpegAndPngHeaders) {
  TempDir dir;
  write_test_image(dir.file("a.jpg"), 123, 45);
  write_test_image(dir.file("b.png"), 7, 300);
  auto a = read_image_size(dir.file("a.jpg"));
  auto b = read_image_size(dir.file("b.png"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->width, 123);
  EXPECT_EQ(a->height, 45);
  EXPECT_EQ(b->width, 7);
  EXPECT_EQ(b->height, 300);
  write_text(dir.file("c.jpg"), "not an image at all");
  EXPECT_EQ(read_image_size(dir.file("c.jpg")).status().code(), Code::kCorrupt);
  EXPECT_EQ(read_image_size(dir.file("none.jpg")).status().code(), Code::kNotFound);
}

// --- validation -------------------------------------------------------------

TEST(Validate, PlantdocMiniIsClean) {
  auto ds = read_coco((kData / "train.json").string());
  ASSERT_TRUE(ds.ok());
  const auto issues = check_dataset(*ds, {.decode_images = true});
  for (const auto& i : issues) ADD_FAILURE() << i.file << ": " << i.message;
}

TEST(Validate, EveryProblemIsReportedWithFileAndReason) {
  TempDir dir;
  Dataset ds;
  ds.image_dir = dir.path().string();
  ds.categories = {{1, "leaf"}};
  auto add = [&](const std::string& name, int w, int h, std::vector<Box> boxes, int cat = 1) {
    ImageRecord im;
    im.id = static_cast<int64_t>(ds.images.size()) + 1;
    im.file_name = name;
    im.width = w;
    im.height = h;
    for (const Box& b : boxes) {
      Annotation a;
      a.id =
          static_cast<int64_t>(ds.images.size()) * 10 + static_cast<int64_t>(im.annotations.size());
      a.box = b;
      a.category_id = cat;
      im.annotations.push_back(a);
    }
    ds.images.push_back(im);
  };
  write_test_image(dir.file("good.jpg"), 40, 30);
  write_test_image(dir.file("small.jpg"), 20, 30);
  write_text(dir.file("garbage.jpg"), "xxxxxxxx");
  add("good.jpg", 40, 30, {{1, 1, 10, 10}, {30, 20, 45, 29}, {5, 5, 5, 9}});  // ok, outside, empty
  add("missing.jpg", 40, 30, {{1, 1, 10, 10}});
  add("garbage.jpg", 40, 30, {});
  add("small.jpg", 40, 30, {});  // annotation says 40 wide, file is 20
  ds.images[0].annotations.push_back({99, {2, 2, 8, 8}, 7, false, -1});  // unknown category

  const auto issues = check_dataset(ds);
  std::map<IssueKind, int> count;
  for (const auto& i : issues) {
    ++count[i.kind];
    EXPECT_FALSE(i.file.empty());
    EXPECT_FALSE(i.message.empty());
  }
  EXPECT_EQ(count[IssueKind::kBoxOutsideImage], 1);
  EXPECT_EQ(count[IssueKind::kDegenerateBox], 1);
  EXPECT_EQ(count[IssueKind::kUnknownCategory], 1);
  EXPECT_EQ(count[IssueKind::kMissingImage], 1);
  EXPECT_EQ(count[IssueKind::kUnreadableImage], 1);
  EXPECT_EQ(count[IssueKind::kSizeMismatch], 1);
  EXPECT_EQ(issues.size(), 6u);

  auto failed = apply_policy(ds, issues, InvalidDataPolicy::kFail);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(has(failed.status(), "missing.jpg: missing_image"));
  EXPECT_TRUE(has(failed.status(), "box_outside_image"));

  CleanReport report;
  auto cleaned = apply_policy(ds, issues, InvalidDataPolicy::kSkip, &report);
  ASSERT_TRUE(cleaned.ok());
  EXPECT_EQ(report.dropped_images, 3);
  EXPECT_EQ(report.dropped_boxes, 3);
  ASSERT_EQ(cleaned->images.size(), 1u);
  EXPECT_EQ(cleaned->images[0].annotations.size(), 1u);
  EXPECT_TRUE(check_dataset(*cleaned).empty());
  EXPECT_NE(report.summary().find("dropped 3 images, 3 boxes"), std::string::npos);
}

TEST(Validate, ToleranceAllowsSlightOverhang) {
  Dataset ds;
  ds.categories = {{1, "leaf"}};
  ds.images.push_back({1, "x.jpg", 40, 30, {{1, {-0.4f, 0, 40.3f, 30}, 1, false, -1}}});
  EXPECT_EQ(check_dataset(ds, {.open_images = false}).size(), 1u);
  EXPECT_TRUE(check_dataset(ds, {.open_images = false, .outside_tolerance_px = 0.5f}).empty());
}

// --- stats and split ---------------------------------------------------------

TEST(Stats, CountsBoxesPerClassAndEmptyImages) {
  Dataset ds;
  ds.categories = {{1, "leaf"}, {2, "spot"}, {3, "unused"}};
  ds.images.push_back({1,
                       "a",
                       100,
                       100,
                       {{1, {0, 0, 10, 10}, 1, false, -1},
                        {2, {0, 0, 50, 50}, 1, false, -1},
                        {3, {0, 0, 100, 100}, 2, false, -1}}});
  ds.images.push_back({2, "b", 100, 100, {}});
  const DatasetStats s = compute_stats(ds);
  EXPECT_EQ(s.num_boxes, 3);
  EXPECT_EQ(s.images_without_boxes, 1);
  EXPECT_EQ(s.boxes_per_category.at(1), 2);
  EXPECT_EQ(s.images_per_category.at(1), 1);
  EXPECT_EQ(s.boxes_per_category.at(3), 0);
  EXPECT_EQ(s.boxes_by_coco_area[0], 1);
  EXPECT_EQ(s.boxes_by_coco_area[1], 1);
  EXPECT_EQ(s.boxes_by_coco_area[2], 1);
  EXPECT_EQ(s.boxes_by_side[1], 1);  // side 10 in [8, 16)
  EXPECT_NE(format_stats(ds, s).find("unused"), std::string::npos);
}

TEST(Split, KeepsIdenticalFilesTogetherAndIsSeeded) {
  TempDir dir;
  Dataset ds;
  ds.image_dir = dir.path().string();
  for (int i = 0; i < 40; ++i) {
    const std::string name = "img" + std::to_string(i) + ".png";
    // Images 0-9 are copies of 10 distinct images 10-19 (byte-identical).
    write_test_image(dir.file(name), 8, 8, i < 10 ? i + 10 : i);
    ds.images.push_back({i + 1, name, 8, 8, {}});
  }
  auto a = split_dataset(ds, {.val_fraction = 0.25, .seed = 7});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->identical_groups, 10);
  EXPECT_EQ(a->train.images.size() + a->val.images.size(), 40u);
  EXPECT_EQ(a->val.images.size(), 10u);
  std::set<int64_t> val_ids;
  for (const auto& im : a->val.images) val_ids.insert(im.id);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(val_ids.count(i + 1), val_ids.count(i + 11)) << "copies split apart: " << i;
  auto b = split_dataset(ds, {.val_fraction = 0.25, .seed = 7});
  auto c = split_dataset(ds, {.val_fraction = 0.25, .seed = 8});
  ASSERT_TRUE(b.ok() && c.ok());
  std::vector<int64_t> va, vb, vc;
  for (const auto& im : a->val.images) va.push_back(im.id);
  for (const auto& im : b->val.images) vb.push_back(im.id);
  for (const auto& im : c->val.images) vc.push_back(im.id);
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
}

}  // namespace
}  // namespace trellis::vision
