// The Slurm executor against a real cluster: scripts/test.sh starts a one-node
// Slurm (scripts/services/slurm-up.sh) and sets TRELLIS_TEST_SLURM=1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "testing/temp_dir.h"
#include "trellis/executor/executor.h"

namespace trellis {
namespace {

struct Seen {
  std::map<std::string, JobExit> exits;
  std::map<std::string, std::vector<std::string>> lines;
  std::map<std::string, std::vector<Placement>> placements;
};

Seen run_all(Executor& ex, const std::function<void(const JobEvent&)>& also = {}) {
  Seen f;
  while (ex.running() > 0) {
    auto events = ex.poll(std::chrono::milliseconds(1000));
    EXPECT_TRUE(events.ok()) << events.status().to_string();
    if (!events.ok()) break;
    for (auto& e : *events) {
      if (also) also(e);
      if (e.kind == JobEvent::Kind::kOutput) f.lines[e.id].push_back(e.text);
      else if (e.kind == JobEvent::Kind::kExit) f.exits[e.id] = e.exit;
      else f.placements[e.id].push_back(e.placement);
    }
  }
  return f;
}

JobSpec sh(std::string id, std::string script) {
  JobSpec j;
  j.id = std::move(id);
  j.argv = {"/bin/sh", "-c", std::move(script)};
  return j;
}

class SlurmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("TRELLIS_TEST_SLURM")) GTEST_SKIP() << "TRELLIS_TEST_SLURM is not set";
    options_.spool_dir = dir_.path() + "/spool";
    options_.poll_interval = std::chrono::milliseconds(200);
  }
  test::TempDir dir_;
  SlurmExecutorOptions options_;
};

TEST_F(SlurmExecutorTest, RunsJobsAndReportsOutputExitAndNode) {
  auto ex = make_slurm_executor(options_);
  JobSpec ok = sh("Flow/1/start/1", "echo one; echo two >&2; printf 'no newline'");
  ok.env["TRELLIS_X"] = "it's here";
  JobSpec env = sh("Flow/1/env/2", "echo \"$TRELLIS_X\"");
  env.env["TRELLIS_X"] = "it's here";
  ASSERT_TRUE(ex->submit(ok).ok());
  ASSERT_TRUE(ex->submit(sh("Flow/1/bad/3", "exit 3")).ok());
  ASSERT_TRUE(ex->submit(env).ok());
  Seen f = run_all(*ex);
  EXPECT_TRUE(f.exits["Flow/1/start/1"].ok) << f.exits["Flow/1/start/1"].reason;
  EXPECT_NE(f.exits["Flow/1/start/1"].output.find("two\n"), std::string::npos);
  EXPECT_NE(f.exits["Flow/1/start/1"].output.find("no newline\n"), std::string::npos);
  EXPECT_FALSE(f.exits["Flow/1/bad/3"].ok);
  EXPECT_EQ(f.exits["Flow/1/bad/3"].exit_code, 3);
  EXPECT_NE(f.exits["Flow/1/bad/3"].reason.find("exit code 3 (Slurm job "), std::string::npos)
      << f.exits["Flow/1/bad/3"].reason;
  EXPECT_EQ(f.lines["Flow/1/env/2"], std::vector<std::string>{"it's here\n"});
  const auto& p = f.placements["Flow/1/start/1"];
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.front().executor, "slurm");
  EXPECT_EQ(p.front().state, "queued");
  EXPECT_FALSE(p.front().job_id.empty());
  // The job ran: its node was reported (unless it finished between two squeues).
  for (const auto& pl : p) {
    if (pl.state == "running") {
      EXPECT_FALSE(pl.host.empty());
    }
  }
}

TEST_F(SlurmExecutorTest, ImpossibleRequestsAreRefusedBeforeSubmitting) {
  auto ex = make_slurm_executor(options_);
  JobSpec gpus = sh("Flow/1/train/2", "true");
  gpus.resources.gpus = 64;
  Status s = ex->check(gpus);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("Flow/1/train/2 (cpus=1 gpus=64"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--gres=gpu:64"), std::string::npos) << s.message();
  JobSpec cpus = sh("Flow/1/train/3", "true");
  cpus.resources.cpus = 4096;
  EXPECT_EQ(ex->check(cpus).code(), Code::kInvalidArgument);
  SlurmExecutorOptions bad = options_;
  bad.partition = "no-such-partition";
  Status p = make_slurm_executor(bad)->check(sh("Flow/1/x/4", "true"));
  EXPECT_NE(p.message().find("artition"), std::string::npos) << p.message();
  EXPECT_TRUE(ex->check(sh("Flow/1/fine/5", "true")).ok());
  EXPECT_EQ(ex->running(), 0);
}

TEST_F(SlurmExecutorTest, CancelAndTimeoutEndJobsWithReasons) {
  auto ex = make_slurm_executor(options_);
  JobSpec slow = sh("F/1/slow/1", "echo started; sleep 60");
  slow.timeout = std::chrono::milliseconds(1500);
  ASSERT_TRUE(ex->submit(slow).ok());
  ASSERT_TRUE(ex->submit(sh("F/1/stop/2", "echo started; sleep 60")).ok());
  bool cancelled = false;
  Seen f = run_all(*ex, [&](const JobEvent& e) {
    if (e.kind == JobEvent::Kind::kOutput && e.id == "F/1/stop/2" && !cancelled) {
      cancelled = ex->cancel("F/1/stop/2");
    }
  });
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(f.exits["F/1/stop/2"].ok);
  EXPECT_NE(f.exits["F/1/stop/2"].reason.find("cancelled"), std::string::npos)
      << f.exits["F/1/stop/2"].reason;
  EXPECT_TRUE(f.exits["F/1/slow/1"].timed_out) << f.exits["F/1/slow/1"].reason;
  EXPECT_FALSE(ex->cancel("F/1/stop/2"));
}

TEST_F(SlurmExecutorTest, SbatchErrorsEndTheJobsNamingThem) {
  SlurmExecutorOptions bad = options_;
  bad.partition = "no-such-partition";
  auto ex = make_slurm_executor(bad);
  ASSERT_TRUE(ex->submit(sh("F/1/x/1", "true")).ok());  // queued: sbatch runs at the next poll
  Seen f = run_all(*ex);
  ASSERT_EQ(f.exits.count("F/1/x/1"), 1u);
  EXPECT_FALSE(f.exits["F/1/x/1"].ok);
  EXPECT_NE(f.exits["F/1/x/1"].reason.find("sbatch refused job F/1/x/1"), std::string::npos)
      << f.exits["F/1/x/1"].reason;
  EXPECT_NE(f.exits["F/1/x/1"].reason.find("artition"), std::string::npos) << f.exits["F/1/x/1"].reason;
  EXPECT_EQ(ex->running(), 0);
}

TEST_F(SlurmExecutorTest, JobsWithOneRequestGoAsOneThrottledArray) {
  options_.array_throttle = 1;
  auto ex = make_slurm_executor(options_);
  for (int i = 0; i < 3; ++i) {
    JobSpec j = sh("F/1/w/" + std::to_string(i + 10),
                   "echo item $ITEM; date +%s%N; sleep 0.3; date +%s%N");
    j.env["ITEM"] = std::to_string(i);
    ASSERT_TRUE(ex->submit(j).ok());
  }
  JobSpec big = sh("F/1/big/20", "echo big");
  big.resources.cpus = 2;  // another request: a job of its own
  ASSERT_TRUE(ex->submit(big).ok());
  Seen f = run_all(*ex);
  std::string array;
  std::vector<std::pair<long long, long long>> spans;  // when each element ran (ns)
  for (int i = 0; i < 3; ++i) {
    const std::string id = "F/1/w/" + std::to_string(i + 10);
    EXPECT_TRUE(f.exits[id].ok) << id << ": " << f.exits[id].reason;
    const auto& lines = f.lines[id];
    ASSERT_EQ(lines.size(), 3u) << id;
    EXPECT_EQ(lines[0], "item " + std::to_string(i) + "\n") << id;
    spans.emplace_back(std::stoll(lines[1]), std::stoll(lines[2]));
    ASSERT_FALSE(f.placements[id].empty());
    const std::string job = f.placements[id].front().job_id;
    if (array.empty()) array = job.substr(0, job.find('_'));
    EXPECT_EQ(job, array + "_" + std::to_string(i));
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    EXPECT_GE(spans[i].first, spans[i - 1].second) << "--array=0-2%1 runs one element at a time";
  }
  EXPECT_TRUE(f.exits["F/1/big/20"].ok) << f.exits["F/1/big/20"].reason;
  ASSERT_FALSE(f.placements["F/1/big/20"].empty());
  EXPECT_EQ(f.placements["F/1/big/20"].front().job_id.find('_'), std::string::npos);
}

// A resumed orchestrator follows the jobs its killed predecessor left.
TEST_F(SlurmExecutorTest, AdoptedJobsReportTheirExitAndUnknownOnesAreLost) {
  auto ex = make_slurm_executor(options_);
  // Its output, written before and after the adoption, becomes the exit's.
  const std::string out = dir_.path() + "/left.out";
  FILE* p = ::popen(("sbatch --parsable -o " + out + " --wrap 'echo before; sleep 1; echo after; exit 3'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
  ::pclose(p);
  std::string job(buf);
  while (!job.empty() && (job.back() == '\n' || job.back() == ' ')) job.pop_back();
  ASSERT_TRUE(ex->adopt("F/1/left/1", {"slurm", job, "", "running", ""}).ok());
  ASSERT_TRUE(ex->adopt("F/1/gone/2", {"slurm", "987654321", "", "running", ""}).ok());
  EXPECT_EQ(ex->adopt("F/1/bad/3", {"slurm", "pid 42", "", "running", ""}).code(), Code::kInvalidArgument);
  EXPECT_EQ(ex->running(), 2);
  Seen f = run_all(*ex);
  EXPECT_FALSE(f.exits["F/1/left/1"].ok);
  EXPECT_EQ(f.exits["F/1/left/1"].exit_code, 3) << f.exits["F/1/left/1"].reason;
  EXPECT_EQ(f.exits["F/1/left/1"].output, "before\nafter\n");
  EXPECT_TRUE(f.exits["F/1/gone/2"].lost) << f.exits["F/1/gone/2"].reason;
}

}  // namespace
}  // namespace trellis
