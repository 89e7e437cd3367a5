// The Slurm executor against a real cluster: scripts/test.sh starts a one-node
// Slurm (scripts/services/slurm-up.sh) and sets TRELLIS_TEST_SLURM=1.
#include <gtest/gtest.h>

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

TEST_F(SlurmExecutorTest, SbatchErrorsNameTheJob) {
  SlurmExecutorOptions bad = options_;
  bad.partition = "no-such-partition";
  auto ex = make_slurm_executor(bad);
  Status s = ex->submit(sh("F/1/x/1", "true"));
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_NE(s.message().find("sbatch refused job F/1/x/1"), std::string::npos) << s.message();
  EXPECT_EQ(ex->running(), 0);
}

}  // namespace
}  // namespace trellis
