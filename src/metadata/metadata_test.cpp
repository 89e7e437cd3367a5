// The MetadataStore contract, run against every backend: SQLite file, in-memory SQLite and
// PostgreSQL (TRELLIS_TEST_PG_URL; skipped without it). PostgreSQL-only behaviour
// (migrations, reconnects, URLs) is in postgres_store_test.cpp.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "metadata/pg_test_schema.h"
#include "metadata/store_common.h"
#include "testing/temp_dir.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis {
namespace {

class MetadataContract : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string backend = GetParam();
    if (backend == "postgres") {
      if (!test::pg_test_url()) GTEST_SKIP() << test::kNoPgMessage;
      pg_ = std::make_unique<test::PgTestSchema>();
      ASSERT_EQ(pg_->error(), "");
      url_ = pg_->url();
    } else {
      url_ = backend == "mem" ? "mem://" : "sqlite://" + dir_.file("m.db");
    }
    md_ = open();
    ASSERT_NE(md_, nullptr);
  }
  std::unique_ptr<MetadataStore> open() {
    auto m = open_metadata(url_);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  // Processes share the database (not so for mem://).
  bool is_shared() const { return std::string(GetParam()) != "mem"; }
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
  // A run of F with one task holding one of every kind of row that names a blob.
  int64_t make_full_run(const std::string& tag) {
    const int64_t r = *md_->create_run(run("F"));
    EXPECT_TRUE(md_->create_task(task(r, 1, "start")).ok());
    EXPECT_TRUE(md_->record_attempt({"F", r, 1, 0, 1, 2, true, 0, 0, "", "log" + tag}).ok());
    EXPECT_TRUE(md_->record_attempt({"F", r, 1, 1, 1, 2, true, 0, 0, "", ""}).ok());
    EXPECT_TRUE(md_->save_checkpoint("F", r, 1, {"ckpt", "ckpt" + tag, "bytes", "", 1}).ok());
    EXPECT_TRUE(md_->add_metrics("F", r, 1, {{"loss", 0, 1.0, 1}}).ok());
    EXPECT_TRUE(md_->add_media("F", r, 1, {"img", "image", 0, "img" + tag, {}, 1}).ok());
    EXPECT_TRUE(md_->add_media("F", r, 1, {"img", "image", 1, "art" + tag, {}, 2}).ok());
    EXPECT_TRUE(md_->add_tag("F", r, "t" + tag).ok());
    EXPECT_TRUE(
        md_->finish_task(
               "F", r, 1,
               {{"a", "art" + tag, "json", "int64", 1}, {"b", "art" + tag, "json", "int64", 1}}, -1)
            .ok());
    return r;
  }
  // Waits for `n` children; their exit codes (100 + signal when killed), in exit order.
  static std::vector<int> wait_all(int n) {
    std::vector<int> codes;
    for (int i = 0; i < n; ++i) {
      int status = 0;
      wait(&status);
      codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status));
    }
    return codes;
  }

  test::TempDir dir_;
  std::unique_ptr<test::PgTestSchema> pg_;  // before md_: dropped after the store is closed
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
  EXPECT_GT(md_->get_run("F", 1)->finished_ms, 0);
}

TEST_P(MetadataContract, RunFieldsRoundTrip) {
  RunRecord r = run("F");
  r.created_ms = 1700000000123;
  r.code = {{"binary_sha256", std::string(64, 'c')}, {"git_dirty", false}};
  r.origin_run_id = 7;
  r.host = "node-3";
  r.orchestrator_pid = 4242;
  const int64_t id = *md_->create_run(r);
  ASSERT_TRUE(md_->add_tag("F", id, "b").ok());
  ASSERT_TRUE(md_->add_tag("F", id, "a").ok());
  auto got = md_->get_run("F", id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->flow, "F");
  EXPECT_EQ(got->status, RunStatus::kRunning);
  EXPECT_EQ(got->created_ms, 1700000000123);
  EXPECT_EQ(got->finished_ms, 0);
  EXPECT_EQ(got->code, r.code);
  EXPECT_EQ(got->origin_run_id, 7);
  EXPECT_EQ(got->host, "node-3");
  EXPECT_EQ(got->orchestrator_pid, 4242);
  EXPECT_EQ(got->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*md_->list_runs("F"))[0].tags, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(md_->remove_tag("F", id, "a").ok());
  EXPECT_EQ(md_->get_run("F", id)->tags, std::vector<std::string>{"b"});
}

TEST_P(MetadataContract, TasksOfOneStepAreListedAlone) {
  const int64_t r = *md_->create_run(run("F"));
  const char* steps[] = {"start", "work", "work", "join", "work"};
  for (int64_t id = 1; id <= 5; ++id) ASSERT_TRUE(md_->create_task(task(r, id, steps[id - 1])).ok());
  auto work = md_->list_step_tasks("F", r, "work");
  ASSERT_TRUE(work.ok()) << work.status().to_string();
  ASSERT_EQ(work->size(), 3u);
  EXPECT_EQ((*work)[0].task_id, 2);
  EXPECT_EQ((*work)[2].task_id, 5);
  EXPECT_EQ((*work)[1].step, "work");
  EXPECT_TRUE(md_->list_step_tasks("F", r, "nope")->empty());
  EXPECT_TRUE(md_->list_step_tasks("F", r + 1, "work")->empty());
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
  auto x = md_->get_artifact("F", r, 1, "x");
  ASSERT_TRUE(x.ok()) << x.status().to_string();
  EXPECT_EQ(x->digest, std::string(64, 'a'));
  EXPECT_EQ(x->codec, "json");
  EXPECT_EQ(x->type, "int64");
  EXPECT_EQ(x->size, 2u);
  Status missing = md_->get_artifact("F", r, 1, "y").status();
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_NE(missing.message().find("'y'"), std::string::npos) << missing.message();
  // A done task cannot be marked failed by a late orchestrator update.
  ASSERT_TRUE(md_->set_task_status("F", r, 1, TaskStatus::kFailed).ok());
  EXPECT_EQ(md_->get_task("F", r, 1)->status, TaskStatus::kDone);
  EXPECT_EQ(md_->finish_task("F", r, 7, {}, -1).code(), Code::kNotFound);
}

TEST_P(MetadataContract, TaskFieldsRoundTrip) {
  const int64_t r = *md_->create_run(run("F"));
  TaskRecord t = task(r, 2, "train");
  t.foreach_stack = Json::array({{{"step", "start"}, {"index", 2}, {"count", 5}}});
  t.inputs = Json::array({1});
  t.created_ms = 11;
  t.cloned_from = "F/1/train/2";
  t.resumed_from = "F/1/train/3";
  ASSERT_TRUE(md_->create_task(t).ok());
  ASSERT_TRUE(md_->create_task(task(r, 1, "start")).ok());
  ASSERT_TRUE(md_->set_task_status("F", r, 2, TaskStatus::kRunning).ok());
  auto got = md_->get_task("F", r, 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->step, "train");
  EXPECT_EQ(got->status, TaskStatus::kRunning);
  EXPECT_EQ(got->foreach_stack, t.foreach_stack);
  EXPECT_EQ(got->inputs, t.inputs);
  EXPECT_EQ(got->foreach_count, -1);
  EXPECT_EQ(got->created_ms, 11);
  EXPECT_GT(got->started_ms, 0);
  EXPECT_EQ(got->cloned_from, "F/1/train/2");
  EXPECT_EQ(got->resumed_from, "F/1/train/3");
  auto all = md_->list_tasks("F", r);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].task_id, 1);
  EXPECT_EQ((*all)[1].task_id, 2);
  EXPECT_EQ(md_->get_task("F", r, 9).status().code(), Code::kNotFound);
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
  a.exit_code = -1;
  a.signal = 9;
  a.reason = "killed by SIGKILL";
  a.log_digest = "d";
  a.executor = "slurm";
  a.job_id = "1807";
  a.host = "gpu-node-3";
  ASSERT_TRUE(md_->record_attempt(a).ok());  // replaces attempt 1
  attempts = md_->list_attempts("F", r, 1);
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].executor, "");
  EXPECT_EQ((*attempts)[1].executor, "slurm");
  EXPECT_EQ((*attempts)[1].job_id, "1807");
  EXPECT_EQ((*attempts)[1].host, "gpu-node-3");
  EXPECT_EQ((*attempts)[1].signal, 9);
  EXPECT_EQ((*attempts)[1].exit_code, -1);
  EXPECT_EQ((*attempts)[1].reason, "killed by SIGKILL");
  EXPECT_EQ((*attempts)[1].log_digest, "d");
  EXPECT_TRUE((*attempts)[1].ok);

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

TEST_P(MetadataContract, MetricsKeepEveryPointAndExactValues) {
  const int64_t r = *md_->create_run(run("F"));
  const std::vector<double> values = {
      0.1, 1.0 / 3, 1e-310, std::numeric_limits<double>::max(), -2.5e-7, 123456789.123456789};
  std::vector<MetricPoint> points;
  for (size_t i = 0; i < values.size(); ++i) {
    points.push_back({"exact", static_cast<int64_t>(i), values[i], 5});
  }
  for (int i = 0; i < 2500; ++i) points.push_back({"many", i, i * 0.5, i});  // several INSERTs
  points.push_back({"acc", kSummaryStep, 0.75, 9});
  ASSERT_TRUE(md_->add_metrics("F", r, 1, points).ok());
  ASSERT_TRUE(md_->add_metrics("F", r, 1, {}).ok());
  auto m = md_->list_metrics("F", r, 1);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), points.size());
  EXPECT_EQ((*m)[0].name, "acc");  // by name, then step
  EXPECT_EQ((*m)[0].step, kSummaryStep);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*m)[1 + i].value, values[i]) << i;
  EXPECT_EQ((*m)[1 + values.size() + 2499].step, 2499);
  EXPECT_EQ((*m)[1 + values.size() + 2499].value, 1249.5);
  EXPECT_TRUE(md_->list_metrics("F", r, 2)->empty());
}

TEST_P(MetadataContract, MetricsMayBeNanOrInfinite) {
  const double inf = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(md_->add_metrics("F", 1, 1,
                               {{"loss", 0, std::nan(""), 1},
                                {"loss", 1, inf, 1},
                                {"loss", 2, -inf, 1},
                                {"loss", 3, -0.0, 1}})
                  .ok());
  auto m = md_->list_metrics("F", 1, 1);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_EQ(m->size(), 4u);
  EXPECT_TRUE(std::isnan((*m)[0].value));
  EXPECT_EQ((*m)[1].value, inf);
  EXPECT_EQ((*m)[2].value, -inf);
  EXPECT_EQ((*m)[3].value, 0.0);
}

TEST_P(MetadataContract, CheckpointsReplaceByNameAndMediaKeepTheirOrder) {
  const int64_t r = *md_->create_run(run("F"));
  ASSERT_TRUE(md_->save_checkpoint("F", r, 1, {"model", "d1", "bytes", "Weights", 10}).ok());
  ASSERT_TRUE(md_->save_checkpoint("F", r, 1, {"model", "d2", "bytes", "Weights", 20}).ok());
  ASSERT_TRUE(md_->save_checkpoint("F", r, 1, {"a_opt", "d3", "bytes", "", 30}).ok());
  auto c = md_->list_checkpoints("F", r, 1);
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].name, "a_opt");
  EXPECT_EQ((*c)[1].digest, "d2");
  EXPECT_EQ((*c)[1].size, 20u);
  EXPECT_TRUE(md_->list_artifacts("F", r, 1)->empty());  // checkpoints are not the index

  ASSERT_TRUE(md_->add_media("F", r, 1, {"z", "image", 3, "m1", {{"w", 64}}, 7}).ok());
  ASSERT_TRUE(md_->add_media("F", r, 1, {"a", "table", 1, "m2", {}, 8}).ok());
  auto media = md_->list_media("F", r, 1);
  ASSERT_EQ(media->size(), 2u);
  EXPECT_EQ((*media)[0].name, "z");
  EXPECT_EQ((*media)[0].kind, "image");
  EXPECT_EQ((*media)[0].step, 3);
  EXPECT_EQ((*media)[0].meta["w"], 64);
  EXPECT_EQ((*media)[0].time_ms, 7);
  EXPECT_EQ((*media)[1].digest, "m2");
}

TEST_P(MetadataContract, JsonRoundTripsExactly) {
  const Json params = {
      {"name", "Grüße, 世界 🌱 \"quoted\" back\\slash\nnewline \u0001"},
      {"nested", {{"list", {1, {{"deep", {{"deeper", Json::array()}}}}, nullptr, true}}}},
      {"big", std::numeric_limits<uint64_t>::max()},
      {"small", std::numeric_limits<int64_t>::min()},
      {"max_int64", std::numeric_limits<int64_t>::max()},
      {"float", 0.1},
      {"tiny", 5e-324},
      {"empty", Json::object()},
      {"nul", std::string("a\0b", 3)}};
  RunRecord r = run("F");
  r.params = params;
  const int64_t id = *md_->create_run(r);
  auto got = md_->get_run("F", id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->params, params);
  EXPECT_EQ(got->params.dump(), params.dump());
  EXPECT_TRUE(got->params["big"].is_number_unsigned());
  ASSERT_TRUE(md_->set_alias("ünï/côdé", params).ok());
  EXPECT_EQ(*md_->get_alias("ünï/côdé"), params);
  ASSERT_TRUE(md_->add_media("F", id, 1, {"m", "table", 0, "d", params, 0}).ok());
  EXPECT_EQ((*md_->list_media("F", id, 1))[0].meta, params);
}

TEST_P(MetadataContract, ListAliasesIsSortedByAlias) {
  EXPECT_TRUE(md_->list_aliases()->empty());
  ASSERT_TRUE(md_->set_alias("plant/staging", {{"pathspec", "P/2/train/1"}}).ok());
  ASSERT_TRUE(md_->set_alias("Plant/production", {{"pathspec", "P/1/train/1"}}).ok());
  ASSERT_TRUE(md_->set_alias("plant/production", {{"pathspec", "P/1/train/2"}}).ok());
  ASSERT_TRUE(md_->set_alias("plant/production", {{"pathspec", "P/3/train/2"}}).ok());
  auto aliases = md_->list_aliases();
  ASSERT_TRUE(aliases.ok());
  ASSERT_EQ(aliases->size(), 3u);
  EXPECT_EQ((*aliases)[0].first, "Plant/production");  // bytewise: upper case first
  EXPECT_EQ((*aliases)[1].first, "plant/production");
  EXPECT_EQ((*aliases)[1].second["pathspec"], "P/3/train/2");
  EXPECT_EQ((*aliases)[2].first, "plant/staging");
}

TEST_P(MetadataContract, DeleteRunRemovesEveryRowOfThatRunOnly) {
  const int64_t doomed = make_full_run("1");
  const int64_t kept = make_full_run("2");
  ASSERT_TRUE(md_->create_run(run("G")).ok());  // run 1 of another flow
  ASSERT_TRUE(md_->delete_run("F", doomed).ok());
  EXPECT_EQ(md_->get_run("F", doomed).status().code(), Code::kNotFound);
  EXPECT_TRUE(md_->list_tasks("F", doomed)->empty());
  EXPECT_TRUE(md_->list_attempts("F", doomed, 1)->empty());
  EXPECT_TRUE(md_->list_artifacts("F", doomed, 1)->empty());
  EXPECT_TRUE(md_->list_checkpoints("F", doomed, 1)->empty());
  EXPECT_TRUE(md_->list_metrics("F", doomed, 1)->empty());
  EXPECT_TRUE(md_->list_media("F", doomed, 1)->empty());
  EXPECT_EQ(md_->remove_tag("F", doomed, "t1").code(), Code::kNotFound);
  EXPECT_EQ(md_->run_digests("F", doomed).status().code(), Code::kNotFound);
  // The other runs are whole.
  EXPECT_EQ(md_->get_run("F", kept)->tags, std::vector<std::string>{"t2"});
  EXPECT_EQ(md_->list_tasks("F", kept)->size(), 1u);
  EXPECT_EQ(md_->list_artifacts("F", kept, 1)->size(), 2u);
  EXPECT_EQ(md_->list_media("F", kept, 1)->size(), 2u);
  EXPECT_TRUE(md_->get_run("G", doomed).ok());
  EXPECT_EQ(md_->list_runs("F")->size(), 1u);

  Status again = md_->delete_run("F", doomed);
  EXPECT_EQ(again.code(), Code::kNotFound);
  EXPECT_NE(again.message().find("F/" + std::to_string(doomed)), std::string::npos)
      << again.message();
}

TEST_P(MetadataContract, RunIdsAreNotReusedAfterADelete) {
  ASSERT_EQ(*md_->create_run(run("F")), 1);
  ASSERT_EQ(*md_->create_run(run("F")), 2);
  ASSERT_TRUE(md_->delete_run("F", 2).ok());
  EXPECT_EQ(*md_->create_run(run("F")), 3);
  ASSERT_TRUE(md_->delete_run("F", 1).ok());
  ASSERT_TRUE(md_->delete_run("F", 3).ok());
  EXPECT_TRUE(md_->list_flows()->empty());
  EXPECT_EQ(*md_->create_run(run("F")), 4);
}

TEST_P(MetadataContract, RunDigestsNameEveryBlobOnceSorted) {
  const int64_t r = make_full_run("1");
  make_full_run("2");
  auto digests = md_->run_digests("F", r);
  ASSERT_TRUE(digests.ok()) << digests.status().to_string();
  // artifacts a and b share "art1", which a media row names too; attempt 1 has no log.
  EXPECT_EQ(*digests, (std::vector<std::string>{"art1", "ckpt1", "img1", "log1"}));
  const int64_t empty = *md_->create_run(run("F"));
  EXPECT_TRUE(md_->run_digests("F", empty)->empty());
  EXPECT_EQ(md_->run_digests("F", 99).status().code(), Code::kNotFound);
}

TEST_P(MetadataContract, ConcurrentProcessesNeverShareARunId) {
  if (!is_shared()) GTEST_SKIP() << "mem:// is private to one process";
  constexpr int kProcs = 4, kRuns = 10;
  for (int p = 0; p < kProcs; ++p) {
    if (fork() == 0) {
      auto md = open_metadata(url_);
      if (!md.ok()) _exit(1);
      for (int i = 0; i < kRuns; ++i) {
        if (!(*md)->create_run(run("F")).ok()) _exit(2);
      }
      _exit(0);
    }
  }
  EXPECT_EQ(wait_all(kProcs), std::vector<int>(kProcs, 0));
  auto runs = md_->list_runs("F");
  ASSERT_TRUE(runs.ok());
  std::set<int64_t> ids;
  for (auto& r : *runs) ids.insert(r.run_id);
  EXPECT_EQ(ids.size(), size_t(kProcs * kRuns));  // distinct and consecutive: 1..40
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), kProcs * kRuns);
}

TEST_P(MetadataContract, ConcurrentFinishersOneWinsTheOthersSeeAlreadyExists) {
  if (!is_shared()) GTEST_SKIP() << "mem:// is private to one process";
  const int64_t r = *md_->create_run(run("F"));
  ASSERT_TRUE(md_->create_task(task(r, 1, "start")).ok());
  constexpr int kProcs = 5;
  for (int p = 0; p < kProcs; ++p) {
    if (fork() == 0) {
      auto md = open_metadata(url_);
      if (!md.ok()) _exit(1);
      const std::string d = std::to_string(p);
      Status st =
          (*md)->finish_task("F", r, 1, {{"x", d, "json", "", 1}, {"y", d, "json", "", 1}}, p);
      if (st.ok()) _exit(0);
      _exit(st.code() == Code::kAlreadyExists ? 10 : 2);
    }
  }
  std::vector<int> codes = wait_all(kProcs);
  std::sort(codes.begin(), codes.end());
  std::vector<int> expected(kProcs, 10);
  expected[0] = 0;
  EXPECT_EQ(codes, expected);
  // The winner's index, whole: both artifacts name its digest, foreach_count is its number.
  auto t = md_->get_task("F", r, 1);
  auto arts = md_->list_artifacts("F", r, 1);
  ASSERT_EQ(arts->size(), 2u);
  EXPECT_EQ((*arts)[0].digest, std::to_string(t->foreach_count));
  EXPECT_EQ((*arts)[1].digest, std::to_string(t->foreach_count));
}

TEST_P(MetadataContract, ReopeningKeepsEverything) {
  if (!is_shared()) GTEST_SKIP() << "mem:// is gone once closed";
  const int64_t r = make_full_run("1");
  md_.reset();
  md_ = open();
  ASSERT_NE(md_, nullptr);
  EXPECT_EQ(md_->list_artifacts("F", r, 1)->size(), 2u);
  EXPECT_EQ(*md_->create_run(run("F")), r + 1);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, MetadataContract,
                         ::testing::Values("mem", "sqlite", "postgres"));

// Runs `sql` on the SQLite database at `path` behind the store's back.
void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(SqliteMetadata, ASchema3DatabaseKeepsCountingRunIdsAfterTheUpgrade) {
  test::TempDir dir;
  const std::string path = dir.file("m.db");
  {
    auto md = open_metadata("sqlite://" + path);
    ASSERT_TRUE(md.ok());
    RunRecord r;
    r.flow = "F";
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*md)->create_run(r).ok());
  }
  // What trellis with schema 3 left: no flow_counters; run ids were MAX(run_id) + 1.
  sqlite_exec(path, "DROP TABLE flow_counters; PRAGMA user_version=3;");
  auto md = open_metadata("sqlite://" + path);
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  RunRecord r;
  r.flow = "F";
  EXPECT_EQ(*(*md)->create_run(r), 4);
}

TEST(SqliteMetadata, ASchema4DatabaseGainsWhereAttemptsRan) {
  test::TempDir dir;
  const std::string path = dir.file("m.db");
  ASSERT_TRUE(open_metadata("sqlite://" + path).ok());
  // What trellis with schema 4 left: attempts without executor, job_id, host.
  sqlite_exec(path,
              "DROP TABLE attempts; CREATE TABLE attempts(flow TEXT NOT NULL, run_id INTEGER NOT "
              "NULL, task_id INTEGER NOT NULL, attempt INTEGER NOT NULL, started_ms INTEGER NOT "
              "NULL, finished_ms INTEGER NOT NULL, ok INTEGER NOT NULL, exit_code INTEGER NOT "
              "NULL, signal INTEGER NOT NULL, reason TEXT NOT NULL, log_digest TEXT NOT NULL, "
              "PRIMARY KEY(flow, run_id, task_id, attempt)); "
              "INSERT INTO attempts VALUES('F', 1, 1, 0, 1, 2, 1, 0, 0, '', 'old');"
              "PRAGMA user_version=4;");
  auto md = open_metadata("sqlite://" + path);
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  AttemptRecord a{"F", 1, 1, 1, 3, 4, true, 0, 0, "", ""};
  a.executor = "slurm";
  a.job_id = "42";
  ASSERT_TRUE((*md)->record_attempt(a).ok());
  auto attempts = (*md)->list_attempts("F", 1, 1);
  ASSERT_TRUE(attempts.ok()) << attempts.status().to_string();
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].log_digest, "old");
  EXPECT_EQ((*attempts)[0].job_id, "");
  EXPECT_EQ((*attempts)[1].job_id, "42");
}

TEST(SqliteMetadata, ASchemaFromANewerTrellisIsRefused) {
  test::TempDir dir;
  const std::string path = dir.file("m.db");
  ASSERT_TRUE(open_metadata("sqlite://" + path).ok());
  sqlite_exec(path, "PRAGMA user_version=99;");
  auto md = open_metadata("sqlite://" + path);
  EXPECT_EQ(md.status().code(), Code::kInvalidArgument);
  EXPECT_NE(md.status().message().find("99"), std::string::npos) << md.status().message();
}

TEST(OpenMetadata, AnUnknownSchemeIsInvalidArgumentNamingTheUrlWithoutPassword) {
  auto md = open_metadata("mysql://me:secret@db/flow");
  ASSERT_EQ(md.status().code(), Code::kInvalidArgument);
  EXPECT_NE(md.status().message().find("mysql://me@db/flow"), std::string::npos)
      << md.status().message();
  EXPECT_EQ(md.status().message().find("secret"), std::string::npos);
}

TEST(OpenMetadata, UrlWithoutPassword) {
  EXPECT_EQ(url_without_password("postgresql://flow:pw@127.0.0.1:5432/flow"),
            "postgresql://flow@127.0.0.1:5432/flow");
  EXPECT_EQ(url_without_password("postgresql://flow@h/db?password=pw&sslmode=require"),
            "postgresql://flow@h/db?sslmode=require");
  EXPECT_EQ(url_without_password("postgres://u:p%40ss@h1:1,h2:2/db?password=x"),
            "postgres://u@h1:1,h2:2/db");
  EXPECT_EQ(url_without_password("postgresql://"), "postgresql://");
  EXPECT_EQ(url_without_password("postgresql:///flow"), "postgresql:///flow");
  EXPECT_EQ(url_without_password("sqlite:///a/b.db"), "sqlite:///a/b.db");
  EXPECT_EQ(url_without_password("/a/b.db"), "/a/b.db");
}

}  // namespace
}  // namespace trellis
