// trellis gc on a local store and, when the test servers are up
// (TRELLIS_TEST_STORES=remote in scripts/test.sh), on S3 + PostgreSQL.
#include "trellis/client/gc.h"

#include <gtest/gtest.h>

#include <thread>

#include "testing/temp_dir.h"
#include "testing/test_stores.h"
#include "trellis/core/clock.h"
#include "trellis/core/hash.h"

namespace trellis {
namespace {

class Gc : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const bool remote = std::string(GetParam()) == "remote";
    if (remote && (!std::getenv("TRELLIS_TEST_S3_ENDPOINT") || !std::getenv("TRELLIS_TEST_PG_URL"))) {
      GTEST_SKIP() << "S3 + PostgreSQL: set TRELLIS_TEST_S3_ENDPOINT and TRELLIS_TEST_PG_URL "
                      "(scripts/test.sh does)";
    }
    stores_ = std::make_unique<test::TestStores>(dir_.path(), remote);
    auto settings = resolve_stores(stores_->options());
    ASSERT_TRUE(settings.ok()) << settings.status().to_string();
    auto opened = open_stores(*settings, OpenMode::kCreate);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    s_ = std::move(opened).value();
  }
  // A finished (or running) run of F whose one task kept `values` as artifacts.
  int64_t run_with(const std::vector<std::string>& values, RunStatus status = RunStatus::kSucceeded,
                   int64_t task_started_ms = 0) {
    RunRecord r;
    r.flow = "F";
    r.created_ms = now_unix_ms();
    const int64_t id = *s_.md->create_run(r);
    TaskRecord t;
    t.flow = "F";
    t.run_id = id;
    t.task_id = 1;
    t.step = "start";
    t.created_ms = t.started_ms = task_started_ms ? task_started_ms : now_unix_ms();
    EXPECT_TRUE(s_.md->create_task(t).ok());
    std::vector<EncodedArtifact> arts;
    for (size_t i = 0; i < values.size(); ++i) {
      arts.push_back({"a" + std::to_string(i), {values[i]}, "bytes", "bytes"});
    }
    auto recs = s_.tasks->save_batch(arts, Pathspec::of_task("F", id, "start", 1));
    EXPECT_TRUE(recs.ok()) << recs.status().to_string();
    if (status != RunStatus::kRunning) {
      EXPECT_TRUE(s_.md->finish_task("F", id, 1, *recs, -1).ok());
      EXPECT_TRUE(s_.md->finish_run("F", id, status).ok());
    }
    return id;
  }
  std::unique_ptr<Client> client() {
    auto c = Client::open(stores_->options());
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  bool blob_exists(const std::string& value) {
    return *s_.storage->exists(ContentStore::object_key(sha256_hex(value)));
  }

  test::TempDir dir_;
  std::unique_ptr<test::TestStores> stores_;
  Stores s_;
};

TEST_P(Gc, KeepsNewestRunsAndAliasedOnesAndFreesOnlyWhatNothingNames) {
  run_with({"only in run 1", "shared"});
  run_with({"only in run 2"});
  run_with({"only in run 3"});
  run_with({"shared", "only in run 4"});
  run_with({"only in run 5"});
  ASSERT_TRUE(s_.md->set_alias("prod", Json{{"pathspec", "F/3/start/1"}, {"artifact", "a0"}}).ok());
  auto c = client();
  GcOptions o;
  o.keep_runs = 2;
  o.grace = std::chrono::milliseconds(0);
  o.now_ms = now_unix_ms() + 3000;  // every blob is old enough
  auto dry = collect_garbage(*c, o);
  ASSERT_TRUE(dry.ok()) << dry.status().to_string();
  EXPECT_EQ(dry->runs_deleted, (std::vector<std::string>{"F/2", "F/1"}));
  EXPECT_EQ(dry->runs_kept_by_alias, (std::vector<std::string>{"F/3"}));
  EXPECT_EQ(dry->blobs_deleted, 2u);  // "only in run 1", "only in run 2"
  EXPECT_EQ(dry->bytes_freed, 2 * (13 + 8));  // content + the 8-byte trailer each
  EXPECT_TRUE(blob_exists("only in run 1")) << "a dry run changes nothing";
  EXPECT_TRUE(s_.md->get_run("F", 1).ok());

  o.dry_run = false;
  auto done = collect_garbage(*c, o);
  ASSERT_TRUE(done.ok()) << done.status().to_string();
  EXPECT_EQ(done->blobs_deleted, 2u);
  EXPECT_FALSE(blob_exists("only in run 1"));
  EXPECT_FALSE(blob_exists("only in run 2"));
  for (const char* kept : {"shared", "only in run 3", "only in run 4", "only in run 5"}) {
    EXPECT_TRUE(blob_exists(kept)) << kept;
  }
  EXPECT_EQ(s_.md->get_run("F", 1).status().code(), Code::kNotFound);
  EXPECT_TRUE(s_.md->get_run("F", 3).ok());
  // Everything kept still reads back.
  EXPECT_EQ(*s_.tasks->load(Pathspec::of_task("F", 4, "start", 1).with_artifact("a0")), "shared");
  auto again = collect_garbage(*c, o);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->runs_deleted.empty());
  EXPECT_EQ(again->blobs_deleted, 0u);
}

// A running task's blobs are in no done record yet: anything stored after the
// oldest running task started stays, whatever the rules say.
TEST_P(Gc, NeverRemovesWhatARunningTaskMayHaveStored) {
  const int64_t orphan_old = run_with({"orphan before"});
  ASSERT_TRUE(s_.md->delete_run("F", orphan_old).ok());  // its blob now belongs to nothing
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // S3 times have whole seconds
  const int64_t started = now_unix_ms();
  run_with({"written by a running task"}, RunStatus::kRunning, started);
  auto c = client();
  GcOptions o;
  o.keep_runs = 0;
  o.grace = std::chrono::milliseconds(0);
  o.dry_run = false;
  auto r = collect_garbage(*c, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->runs_running, (std::vector<std::string>{"F/2"}));
  EXPECT_LE(r->cutoff_ms, started);
  EXPECT_FALSE(blob_exists("orphan before"));
  EXPECT_TRUE(blob_exists("written by a running task"));
  EXPECT_EQ(r->blobs_too_new, 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, Gc, ::testing::Values("local", "remote"));

}  // namespace
}  // namespace trellis
