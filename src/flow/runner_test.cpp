// The orchestrator and the task runner in one process, over a content store
// with injected faults (testing/fault_storage.h): whatever write fails, the
// run either ends with every artifact readable or fails saying why, and resume
// never reports success over a blob it does not have.
#include "flow/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <numeric>
#include <random>

#include "testing/fault_storage.h"
#include "testing/temp_dir.h"
#include "trellis/core/fs.h"
#include "trellis/trellis.hpp"

namespace trellis {
namespace {

// Runs each job's `step` command line at once, in this process.
class InlineExecutor final : public Executor {
 public:
  InlineExecutor(Flow& flow, ContentStore& cas, MetadataStore& md)
      : flow_(flow), store_(md, cas) {}

  Status submit(const JobSpec& job) override {
    StepCommand cmd;
    cmd.step = job.argv.at(2);
    for (size_t i = 3; i + 1 < job.argv.size(); i += 2) {
      const std::string& name = job.argv[i];
      const std::string& value = job.argv[i + 1];
      if (name == "--run-id") cmd.run_id = std::stoll(value);
      if (name == "--task-id") cmd.task_id = std::stoll(value);
      if (name == "--attempt") cmd.attempt = std::stoi(value);
      if (name == "--caught-error") cmd.caught_error = value;
    }
    const int rc = run_task(flow_, cmd, store_);
    JobEvent e;
    e.kind = JobEvent::Kind::kExit;
    e.id = job.id;
    e.exit.ok = rc == 0;
    e.exit.exit_code = rc;
    e.exit.reason = rc == 0 ? "" : "exit code " + std::to_string(rc);
    events_.push_back(e);
    return {};
  }
  Result<std::vector<JobEvent>> poll(std::chrono::milliseconds) override {
    std::vector<JobEvent> out;
    out.swap(events_);
    return out;
  }
  int free_slots() const override { return 1; }
  int running() const override { return static_cast<int>(events_.size()); }
  void cancel_all() override {}
  bool cancel(const std::string&) override { return false; }

 private:
  Flow& flow_;
  TaskDatastore store_;
  std::vector<JobEvent> events_;
};

const Key<std::vector<int64_t>> kItems{"items"};
const Key<Bytes> kBlob{"blob"};
const Key<int64_t> kSquare{"square"};
const Key<std::string> kNote{"note"};
const Key<int64_t> kTotal{"total"};

std::string noise(size_t n) {
  std::mt19937 rng(11);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// start -> foreach square (3) -> join -> end, every step retried once.
Flow make_flow() {
  using std::chrono::milliseconds;
  Flow f("Faulty");
  f.step("start",
         [](Task& t) {
           t.put(kItems, std::vector<int64_t>{1, 2, 3});
           t.put(kBlob, Bytes{noise(20000)});
         })
      .retry(1, milliseconds(0))
      .foreach ("items", "square");
  f.step("square",
         [](Task& t) {
           const auto x = t.input<int64_t>();
           t.put(kSquare, x * x);
           t.put(kNote, "item " + std::to_string(x) + std::string(3000, 'n'));
         })
      .retry(1, milliseconds(0))
      .next("join");
  f.join("join",
         [](Task& t) {
           int64_t total = 0;
           for (const auto& in : t.inputs()) total += in.get(kSquare);
           t.put(kTotal, total);
         })
      .retry(1, milliseconds(0))
      .next("end");
  f.step("end", [](Task& t) {
    if (t.get(kTotal) != 14) throw TaskError("wrong total");
  });
  return f;
}

class Runner : public ::testing::Test {
 protected:
  void SetUp() override {
    graph_ = std::move(analyze_flow(flow_)).value();
    md_ = std::move(open_metadata("mem://")).value();
  }
  int orchestrate_run(int64_t origin = 0) {
    InlineExecutor ex(flow_, cas_, *md_);
    OrchestratorOptions o;
    o.executable = "inline";
    o.origin_run_id = origin;
    return orchestrate(flow_, graph_, *md_, cas_, ex, o);
  }
  // Every artifact of every task of `run` reads back (re-hashed by the store).
  void expect_all_artifacts_readable(int64_t run) {
    auto tasks = md_->list_tasks("Faulty", run);
    ASSERT_TRUE(tasks.ok());
    EXPECT_EQ(tasks->size(), 6u);
    for (const auto& t : *tasks) {
      EXPECT_EQ(t.status, TaskStatus::kDone) << t.step;
      auto arts = md_->list_artifacts("Faulty", run, t.task_id);
      ASSERT_TRUE(arts.ok());
      for (const auto& a : *arts) {
        Status s = cas_.verify(a.digest);
        EXPECT_TRUE(s.ok()) << t.step << "/" << a.name << ": " << s.to_string();
      }
    }
  }

  test::TempDir dir_;
  std::unique_ptr<Storage> files_ = make_local_storage(dir_.path());
  test::FaultStorage faulty_{*files_};
  ContentStore cas_{faulty_};
  Flow flow_ = make_flow();
  GraphInfo graph_;
  std::unique_ptr<MetadataStore> md_;
};

TEST_F(Runner, AnyFailedWriteIsRetriedAndTheRunEndsComplete) {
  ASSERT_EQ(orchestrate_run(), 0);
  const int writes = faulty_.writes();
  ASSERT_GT(writes, 8);
  for (int n = 1; n <= writes; ++n) {
    SCOPED_TRACE("write " + std::to_string(n) + " fails");
    test::TempDir fresh;  // a store where nothing exists yet
    auto files = make_local_storage(fresh.path());
    test::FaultStorage faulty(*files);
    ContentStore cas(faulty);
    auto md = std::move(open_metadata("mem://")).value();
    faulty.set_faults({.fail_write = n});
    InlineExecutor ex(flow_, cas, *md);
    OrchestratorOptions o;
    o.executable = "inline";
    ASSERT_EQ(orchestrate(flow_, graph_, *md, cas, ex, o), 0);
    EXPECT_EQ(faulty.failed_writes(), 1);
    EXPECT_EQ(md->get_run("Faulty", 1)->status, RunStatus::kSucceeded);
  }
}

// A torn write leaves a visible, wrong object under the blob's key (a backend
// that broke its all-or-nothing promise). The retry writes the same content:
// it must replace the torn object, not take it as already stored.
TEST_F(Runner, ATornArtifactWriteIsRepairedByTheRetry) {
  for (int n = 1; n <= 10; ++n) {
    SCOPED_TRACE("write " + std::to_string(n) + " is torn");
    md_ = std::move(open_metadata("mem://")).value();
    std::filesystem::remove_all(dir_.path() + "/objects");
    faulty_.set_faults({.tear_write = n});
    ASSERT_EQ(orchestrate_run(), 0);
    expect_all_artifacts_readable(1);
  }
}

TEST_F(Runner, RunningOutOfSpaceFailsTheRunNamingENOSPC) {
  faulty_.set_faults({.space = 5000});  // start's 20 KB blob does not fit
  testing::internal::CaptureStderr();
  const int rc = orchestrate_run();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(md_->get_run("Faulty", 1)->status, RunStatus::kFailed);
  EXPECT_NE(err.find("ENOSPC"), std::string::npos) << err;
  EXPECT_NE(err.find("storing artifact 'blob'"), std::string::npos) << err;
  auto start = md_->get_task("Faulty", 1, 1);
  EXPECT_EQ(start->status, TaskStatus::kFailed);
  EXPECT_TRUE(md_->list_artifacts("Faulty", 1, 1)->empty());  // no done record, no index
}

TEST_F(Runner, AFullCloneResumeFailsNamingAMissingBlob) {
  ASSERT_EQ(orchestrate_run(), 0);
  ASSERT_EQ(orchestrate_run(1), 0);  // everything present: all cloned, success
  auto clones = md_->list_tasks("Faulty", 2);
  ASSERT_TRUE(clones.ok());
  for (const auto& t : *clones) EXPECT_FALSE(t.cloned_from.empty());

  // Lose the blob of one foreach task's own artifact.
  auto squares = md_->list_tasks("Faulty", 1);
  const TaskRecord& second = (*squares)[2];
  ASSERT_EQ(second.step, "square");
  std::string digest;
  auto arts = md_->list_artifacts("Faulty", 1, second.task_id);
  ASSERT_TRUE(arts.ok());
  for (const auto& a : *arts) {
    if (a.name == "note") digest = a.digest;
  }
  ASSERT_EQ(::unlink((dir_.path() + "/" + ContentStore::object_key(digest)).c_str()), 0);

  testing::internal::CaptureStderr();
  const int rc = orchestrate_run(1);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(md_->get_run("Faulty", 3)->status, RunStatus::kFailed);
  EXPECT_NE(err.find("artifact 'note' of Faulty/1/square/" + std::to_string(second.task_id)),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(digest), std::string::npos) << err;
  EXPECT_NE(err.find("`resume square`"), std::string::npos) << err;
}

// A typed read checks the codec the artifact was stored with; a value a task
// put is readable in the same task before it is stored (small values are
// stored in one batch at the task's end), and its later readers see it stored.
TEST(TaskArtifacts, TypedReadsCheckTheCodecAndBatchedValuesReadBack) {
  Flow f("Typed");
  const Key<int64_t> kCount{"count"};
  const Key<NDArray> kCountAsArray{"count"};
  std::string error;
  f.step("start", [&](Task& t) {
     t.put(kCount, 41);
     t.put(kCount, 42);  // replaced before it was ever stored
     if (t.get(kCount) != 42) throw TaskError("own value not visible");
   }).next("end");
  f.step("end", [&](Task& t) {
    if (t.get(kCount) != 42) throw TaskError("parent value wrong");
    try {
      (void)t.get(kCountAsArray);
    } catch (const TaskError& e) {
      error = e.what();
    }
  });
  GraphInfo graph = std::move(analyze_flow(f)).value();
  auto md = std::move(open_metadata("mem://")).value();
  auto storage = make_memory_storage();
  ContentStore cas(*storage);
  InlineExecutor ex(f, cas, *md);
  OrchestratorOptions o;
  o.executable = "inline";
  ASSERT_EQ(orchestrate(f, graph, *md, cas, ex, o), 0);
  EXPECT_NE(error.find("artifact Typed/1/start/1/count was stored as int64 with codec 'json' and "
                       "cannot be read as ndarray (codec 'npy')"),
            std::string::npos)
      << error;
  auto rec = md->get_artifact("Typed", 1, 1, "count");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(*cas.get(rec->digest), "42");
}

}  // namespace
}  // namespace trellis
