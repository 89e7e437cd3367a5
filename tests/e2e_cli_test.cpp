// End-to-end: the `trellis` CLI reading back what example flows stored.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/command.h"
#include "testing/temp_dir.h"
#include "testing/test_stores.h"
#include "trellis/core/fs.h"
#include "trellis/core/ndarray.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/tracking/tensorboard.h"

namespace trellis {
namespace {

using test::run_command;

class CliE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    stores_ = new test::TestStores(dir_->path());
    for (const char* cmd : {"linear run", "foreach run --width 3", "artifacts run --mb 1",
                            "tracking run"}) {
      auto r = run_command(test::build_path("flows/") + cmd + stores_->args());
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
  }
  static void TearDownTestSuite() {
    delete stores_;
    delete dir_;
  }
  test::CommandResult trellis(const std::string& args) {
    return run_command(test::build_path("bin/trellis") + stores_->args() + " " + args);
  }
  static test::TempDir* dir_;
  static test::TestStores* stores_;
};
test::TempDir* CliE2E::dir_ = nullptr;
test::TestStores* CliE2E::stores_ = nullptr;

TEST_F(CliE2E, RunsShowGet) {
  auto runs = trellis("runs Linear");
  EXPECT_EQ(runs.exit_code, 0);
  EXPECT_NE(runs.output.find("succeeded"), std::string::npos) << runs.output;
  auto flows = trellis("flows");
  EXPECT_NE(flows.output.find("Foreach"), std::string::npos);
  auto show = trellis("show Linear/1");
  EXPECT_NE(show.output.find("parameters {\"start-at\":0}"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("sha256"), std::string::npos);
  auto task = trellis("show Linear/latest/end");
  EXPECT_NE(task.output.find("count"), std::string::npos) << task.output;
  EXPECT_NE(task.output.find("int64"), std::string::npos);
  auto step = trellis("show Foreach/1/square");
  EXPECT_NE(step.output.find("3 tasks"), std::string::npos) << step.output;
  auto get = trellis("get Linear/1/end/count");
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_EQ(get.output, "3\n");
  auto ambiguous = trellis("get Foreach/1/square/square");
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.output.find("ran 3 tasks"), std::string::npos) << ambiguous.output;
}

TEST_F(CliE2E, GetArrayAsNpyFile) {
  auto summary = trellis("get Artifacts/1/read/array");
  EXPECT_NE(summary.output.find("\"dtype\":\"float32\""), std::string::npos) << summary.output;
  const std::string out = dir_->file("array.npy");
  auto get = trellis("get Artifacts/1/read/array --out " + out);
  ASSERT_EQ(get.exit_code, 0) << get.output;
  auto arr = parse_npy(*read_file(out));
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ(arr->shape, std::vector<int64_t>{1 << 18});
}

TEST_F(CliE2E, FriendlyErrors) {
  auto flow = trellis("runs Nope");
  EXPECT_EQ(flow.exit_code, 1);
  EXPECT_NE(flow.output.find("no flow named 'Nope'"), std::string::npos);
  auto run = trellis("show Linear/99");
  EXPECT_NE(run.output.find("has no run 99"), std::string::npos) << run.output;
  auto step = trellis("show Linear/1/trian");
  EXPECT_NE(step.output.find("no step 'trian'"), std::string::npos) << step.output;
  auto art = trellis("get Linear/1/end/nope");
  EXPECT_NE(art.output.find("it has: count, visited"), std::string::npos) << art.output;
  auto bad = trellis("show Linear/x");
  EXPECT_EQ(bad.exit_code, 2);
  auto ext = trellis("frobnicate");
  EXPECT_EQ(ext.exit_code, 2);
  EXPECT_NE(ext.output.find("no trellis-frobnicate"), std::string::npos);
  auto none = run_command(test::build_path("bin/trellis") + " --root " + dir_->file("empty") + " runs X");
  EXPECT_NE(none.output.find("no trellis data"), std::string::npos) << none.output;
}

TEST_F(CliE2E, LogsAndTags) {
  auto logs = trellis("logs Linear/1/end");
  EXPECT_EQ(logs.output, "count = 3\n");
  EXPECT_EQ(trellis("tag add Linear/1 golden").exit_code, 0);
  EXPECT_EQ(trellis("tag list Linear/1").output, "golden\n");
  EXPECT_NE(trellis("runs Linear --tag golden").output.find("golden"), std::string::npos);
  EXPECT_EQ(trellis("tag remove Linear/1 golden").exit_code, 0);
  auto again = trellis("tag remove Linear/1 golden");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("has no tag 'golden'"), std::string::npos);
}

TEST_F(CliE2E, MetricsReportAndTensorBoardExport) {
  auto metrics = trellis("metrics Tracking/1/train --json");
  ASSERT_EQ(metrics.exit_code, 0) << metrics.output;
  auto j = Json::parse(metrics.output);
  EXPECT_EQ(j["loss"].size(), 20u);
  EXPECT_EQ(j["final_loss"][0][0], kSummaryStep);

  const std::string html_path = dir_->file("report.html");
  auto report = trellis("report Tracking/1 -o " + html_path);
  ASSERT_EQ(report.exit_code, 0) << report.output;
  auto html = read_file(html_path);
  ASSERT_TRUE(html.ok());
  for (const char* needle : {"Tracking / run 1", "train · loss", "qualitative", "Apple rust leaf",
                             "data:image/png;base64,"}) {
    EXPECT_NE(html->find(needle), std::string::npos) << needle;
  }
  // A real browser renders it (headless Chromium, when installed).
  if (::access("/usr/bin/chromium", X_OK) == 0) {
    const std::string png = dir_->file("report.png");
    auto shot = run_command(
        "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
        "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
        "--user-data-dir=" + dir_->file("chromium") + " --window-size=1280,1600 --screenshot=" + png +
        " file://" + html_path);
    auto bytes = read_file(png);
    ASSERT_TRUE(bytes.ok()) << shot.output;
    EXPECT_GT(bytes->size(), 20000u) << "a blank page compresses to almost nothing";
  }

  const std::string tb = dir_->file("tb");
  auto exported = trellis("export-tensorboard Tracking/1 " + tb);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  int files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(tb)) {
    if (!e.is_regular_file()) continue;
    ++files;
    auto records = read_tfrecords(*read_file(e.path().string()));
    ASSERT_TRUE(records.ok()) << records.status().to_string();
    EXPECT_GE(records->size(), 2u);
  }
  EXPECT_EQ(files, 2);  // train (scalars) and evaluate (images, summaries)
}

TEST_F(CliE2E, CorruptBlobIsReportedNotReturned) {
  test::TempDir own;
  ASSERT_EQ(run_command(test::build_path("flows/linear") + " run --root " + own.path()).exit_code, 0);
  // Find the blob of Linear/1/end/count ("3") and flip its content.
  auto show = run_command(test::build_path("bin/trellis") + " --root " + own.path() + " get Linear/1/end/count");
  ASSERT_EQ(show.output, "3\n");
  bool flipped = false;
  for (auto& e : std::filesystem::recursive_directory_iterator(own.path() + "/objects")) {
    auto bytes = read_file(e.path().string());
    if (bytes.ok() && bytes->size() == 9 && (*bytes)[0] == '3') {
      std::string b = *bytes;
      b[0] = '4';
      std::ofstream(e.path(), std::ios::binary) << b;
      flipped = true;
    }
  }
  ASSERT_TRUE(flipped);
  auto get = run_command(test::build_path("bin/trellis") + " --root " + own.path() + " get Linear/1/end/count");
  EXPECT_EQ(get.exit_code, 1);
  EXPECT_NE(get.output.find("corrupt"), std::string::npos) << get.output;
  EXPECT_NE(get.output.find("objects/"), std::string::npos) << get.output;
  EXPECT_EQ(get.output.find("4\n"), std::string::npos);
  // A task reading it fails with the same clear error instead of using bad data.
  auto resumed = run_command(test::build_path("flows/linear") + " resume end --root " + own.path());
  EXPECT_EQ(resumed.exit_code, 1);
  EXPECT_NE(resumed.output.find("corrupt"), std::string::npos) << resumed.output;
}

}  // namespace
}  // namespace trellis
