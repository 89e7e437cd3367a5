#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "testing/temp_dir.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis {
namespace {

class MetadataContract : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    url_ = std::string(GetParam()) == "mem" ? "mem://" : "sqlite://" + dir_.file("m.db");
    auto m = open_metadata(url_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    md_ = std::move(m).value();
  }
  RunRecord run(const std::string& flow) {
    RunRecord r;
    r.flow = flow;
    r.params = {{"epochs", 3}};
    return r;
  }
  TaskRecord task(int64_t run_id, int64_t id, const std::string& step) {
    TaskRecord t;
    t.flow = "F";
    t.run_id = run_id;
    t.task_id = id;
    t.step = step;
    return t;
  }
  test::TempDir dir_;
  std::string url_;
  std::unique_ptr<MetadataStore> md_;
};

TEST_P(MetadataContract, RunIdsCountPerFlow) {
  EXPECT_EQ(*md_->create_run(run("F")), 1);
  EXPECT_EQ(*md_->create_run(run("F")), 2);
  EXPECT_EQ(*md_->create_run(run("G")), 1);
  auto runs = md_->list_runs("F");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, 2);
  EXPECT_EQ((*runs)[0].params["epochs"], 3);
  EXPECT_EQ(*md_->list_flows(), (std::vector<std::string>{"F", "G"}));
  EXPECT_EQ(md_->get_run("F", 9).status().code(), Code::kNotFound);
  ASSERT_TRUE(md_->finish_run("F", 1, RunStatus::kFailed).ok());
  EXPECT_EQ(md_->get_run("F", 1)->status, RunStatus::kFailed);
}

TEST_P(MetadataContract, FinishTaskIsTheDoneRecordAndHappensOnce) {
  const int64_t r = *md_->create_run(run("F"));
  ASSERT_TRUE(md_->create_task(task(r, 1, "start")).ok());
  EXPECT_EQ(md_->create_task(task(r, 1, "start")).code(), Code::kAlreadyExists);
  ASSERT_TRUE(md_->set_task_status("F", r, 1, TaskStatus::kRunning).ok());
  std::vector<ArtifactRecord> arts = {{"x", std::string(64, 'a'), "json", "int64", 2}};
  ASSERT_TRUE(md_->finish_task("F", r, 1, arts, 3).ok());
  auto t = md_->get_task("F", r, 1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, TaskStatus::kDone);
  EXPECT_EQ(t->foreach_count, 3);
  EXPECT_EQ(md_->finish_task("F", r, 1, {}, -1).code(), Code::kAlreadyExists);
  EXPECT_EQ(md_->list_artifacts("F", r, 1)->size(), 1u);  // the first writer's index stays
  // A done task cannot be marked failed by a late orchestrator update.
  ASSERT_TRUE(md_->set_task_status("F", r, 1, TaskStatus::kFailed).ok());
  EXPECT_EQ(md_->get_task("F", r, 1)->status, TaskStatus::kDone);
  EXPECT_EQ(md_->finish_task("F", r, 7, {}, -1).code(), Code::kNotFound);
}

TEST_P(MetadataContract, AttemptsTagsMetricsAliases) {
  const int64_t r = *md_->create_run(run("F"));
  ASSERT_TRUE(md_->create_task(task(r, 1, "start")).ok());
  AttemptRecord a{"F", r, 1, 0, 10, 20, false, 1, 0, "exit code 1", ""};
  ASSERT_TRUE(md_->record_attempt(a).ok());
  a.attempt = 1;
  a.ok = true;
  ASSERT_TRUE(md_->record_attempt(a).ok());
  auto attempts = md_->list_attempts("F", r, 1);
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_FALSE((*attempts)[0].ok);
  EXPECT_EQ(md_->get_task("F", r, 1)->attempts, 2);

  ASSERT_TRUE(md_->add_tag("F", r, "prod").ok());
  ASSERT_TRUE(md_->add_tag("F", r, "prod").ok());
  EXPECT_EQ(md_->get_run("F", r)->tags, std::vector<std::string>{"prod"});
  EXPECT_EQ(md_->remove_tag("F", r, "nope").code(), Code::kNotFound);
  EXPECT_EQ(md_->add_tag("F", 99, "x").code(), Code::kNotFound);

  ASSERT_TRUE(md_->add_metrics("F", r, 1, {{"loss", 0, 1.5, 1}, {"loss", 1, 1.0, 2}}).ok());
  auto m = md_->list_metrics("F", r, 1);
  ASSERT_EQ(m->size(), 2u);
  EXPECT_DOUBLE_EQ((*m)[1].value, 1.0);

  EXPECT_EQ(md_->get_alias("plant/production").status().code(), Code::kNotFound);
  ASSERT_TRUE(md_->set_alias("plant/production", {{"pathspec", "P/1/train/2"}}).ok());
  EXPECT_EQ((*md_->get_alias("plant/production"))["pathspec"], "P/1/train/2");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, MetadataContract, ::testing::Values("mem", "sqlite"));

TEST(SqliteMetadata, ConcurrentProcessesNeverShareARunId) {
  test::TempDir dir;
  const std::string url = "sqlite://" + dir.file("m.db");
  ASSERT_TRUE(open_metadata(url).ok());
  constexpr int kProcs = 4, kRuns = 10;
  for (int p = 0; p < kProcs; ++p) {
    if (fork() == 0) {
      auto md = open_metadata(url);
      if (!md.ok()) _exit(1);
      for (int i = 0; i < kRuns; ++i) {
        RunRecord r;
        r.flow = "F";
        if (!(*md)->create_run(r).ok()) _exit(2);
      }
      _exit(0);
    }
  }
  for (int p = 0; p < kProcs; ++p) {
    int status = 0;
    wait(&status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto md = open_metadata(url);
  auto runs = (*md)->list_runs("F");
  std::set<int64_t> ids;
  for (auto& r : *runs) ids.insert(r.run_id);
  EXPECT_EQ(ids.size(), size_t(kProcs * kRuns));
  EXPECT_EQ(*ids.rbegin(), kProcs * kRuns);
}

TEST(SqliteMetadata, BadUrlIsRejected) {
  EXPECT_EQ(open_metadata("postgres://x").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace trellis
