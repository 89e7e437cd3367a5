#include <gtest/gtest.h>

#include "testing/temp_dir.h"
#include "trellis/tracking/media.h"
#include "trellis/tracking/report.h"
#include "trellis/tracking/tensorboard.h"

namespace trellis {
namespace {

TEST(TensorBoard, Crc32cKnownValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the standard check value
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(TensorBoard, RecordsRoundTripAndCorruptionIsCaught) {
  std::string file = tfrecord(event_file_version(1.5)) + tfrecord(event_scalar(2.0, 7, "loss", 0.25f));
  auto records = read_tfrecords(file);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_NE((*records)[0].find("brain.Event:2"), std::string::npos);
  const std::string& scalar = (*records)[1];
  EXPECT_NE(scalar.find("loss"), std::string::npos);
  // Event: wall_time (0x09 + double), step (0x10 + varint 7), summary (0x2a ...).
  EXPECT_EQ(scalar[0], '\x09');
  EXPECT_EQ(scalar[9], '\x10');
  EXPECT_EQ(scalar[10], '\x07');
  EXPECT_EQ(scalar[11], '\x2a');
  file[file.size() - 7] ^= 1;
  EXPECT_EQ(read_tfrecords(file).status().code(), Code::kCorrupt);
}

TEST(Report, ShowsGraphMetricsSummariesMediaAndArtifacts) {
  test::TempDir dir;
  auto md = open_metadata("sqlite://" + dir.file("metadata.db"));
  auto storage = make_local_storage(dir.path());
  ContentStore cas(*storage);
  RunRecord r;
  r.flow = "F";
  r.params = {{"epochs", 2}};
  r.code = {{"binary_sha256", "abc"}, {"git_commit", "deadbeef"}};
  const int64_t run = *(*md)->create_run(r);
  ASSERT_TRUE((*md)->finish_run("F", run, RunStatus::kSucceeded).ok());
  for (int64_t id : {1, 2}) {
    TaskRecord t;
    t.flow = "F";
    t.run_id = run;
    t.task_id = id;
    t.step = id == 1 ? "start" : "train";
    if (id == 2) t.inputs = {1};
    ASSERT_TRUE((*md)->create_task(t).ok());
    auto blob = cas.put("0.5");
    ASSERT_TRUE((*md)->finish_task("F", run, id, {{"lr", blob->digest, "json", "double", 3}}, -1).ok());
  }
  ASSERT_TRUE((*md)->add_metrics("F", run, 2, {{"loss", 0, 2.0, 1}, {"loss", 1, 1.0, 2},
                                                {"mAP", kSummaryStep, 0.42, 3}}).ok());
  auto png = cas.put("fakepng");
  TrackedImage im;
  im.width = 10;
  im.height = 10;
  im.boxes = {{1, 1, 5, 5, "Apple <leaf>", 0.9f, "pred"}};
  ASSERT_TRUE((*md)->add_media("F", run, 2, {"preds", "image", 0, png->digest, describe_image(im), 4}).ok());
  auto table = cas.put(R"({"columns":["class","AP"],"rows":[["Apple leaf",0.5]]})");
  ASSERT_TRUE((*md)->add_media("F", run, 2, {"per_class", "table", 0, table->digest, {}, 5}).ok());

  auto client = Client::open({.root = dir.path()});
  ASSERT_TRUE(client.ok());
  auto html = render_run_report(**client, *(*client)->run("F", run));
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  for (const char* needle : {"F / run 1", "succeeded", ">start<", ">train<", "<polyline", "0.42",
                             "mAP", "data:image/png;base64,", "Apple &lt;leaf&gt; 0.9", "per_class",
                             "Apple leaf", "deadbeef", ">epochs<", "objects/"}) {
    EXPECT_NE(html->find(needle), std::string::npos) << needle;
  }
  EXPECT_EQ(html->find("Apple <leaf>"), std::string::npos) << "labels must be escaped";
  EXPECT_EQ(html->find("snapshot"), std::string::npos) << "a finished run's report is final";
  EXPECT_EQ(html->find("http"), std::string::npos) << "self-contained: no external resources";

  auto files = export_tensorboard(**client, *(*client)->run("F", run), dir.file("tb"));
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  EXPECT_EQ(*files, 1);
}

TEST(Report, ARunningRunIsMarkedAsASnapshot) {
  test::TempDir dir;
  auto md = open_metadata("sqlite://" + dir.file("metadata.db"));
  RunRecord r;
  r.flow = "F";
  const int64_t run = *(*md)->create_run(r);
  auto client = Client::open({.root = dir.path()});
  ASSERT_TRUE(client.ok());
  auto html = render_run_report(**client, *(*client)->run("F", run));
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  EXPECT_NE(html->find(">running<"), std::string::npos);
  EXPECT_NE(html->find("snapshot of "), std::string::npos);
  EXPECT_NE(html->find("trellis report F/1"), std::string::npos);
}

}  // namespace
}  // namespace trellis
