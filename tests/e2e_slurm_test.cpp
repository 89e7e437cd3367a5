// End-to-end on a real Slurm cluster, through the real CLI: every task of a
// foreach as a Slurm job, one declared step on Slurm and the rest local, a
// request the cluster cannot satisfy, a job cancelled with scancel (the retry
// runs), Ctrl-C (the run's jobs are cancelled), and a SIGKILLed orchestrator
// (resume finishes). scripts/test.sh starts a one-node cluster
// (scripts/services/slurm-up.sh) and sets TRELLIS_TEST_SLURM; without it these
// skip. They run on both store kinds (trellis_e2e_tests and
// trellis_e2e_tests_s3_postgres).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "testing/command.h"
#include "testing/temp_dir.h"
#include "testing/test_stores.h"
#include "trellis/client/client.h"

namespace trellis {
namespace {

using test::run_command;
using namespace std::chrono_literals;

std::string this_host() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

class SlurmE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("TRELLIS_TEST_SLURM")) {
      GTEST_SKIP() << "needs a Slurm cluster: scripts/test.sh starts one and sets TRELLIS_TEST_SLURM";
    }
  }
  std::string cmd(const std::string& name, const std::string& args) {
    return test::build_path("flows/" + name) + " " + args + stores_.args();
  }
  test::CommandResult flow(const std::string& name, const std::string& args) {
    return run_command(cmd(name, args));
  }
  // Starts a flow in the background, its output to `out`; returns its pid.
  pid_t start(const std::string& name, const std::string& args, const std::string& out) {
    const auto r = run_command("exec " + cmd(name, args) + " > " + out + " 2>&1 & echo $!");
    return static_cast<pid_t>(std::stol(r.output));
  }
  static void wait_gone(pid_t pid, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(50ms);
    }
  }
  std::unique_ptr<Client> client() {
    auto c = Client::open(stores_.options());
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  // The first attempt of `step` in the latest run of `flow` once its Slurm job
  // is running (recorded at placement), or nullopt after `limit`.
  std::optional<AttemptRecord> running_attempt(const std::string& flow, const std::string& step,
                                               std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      auto c = Client::open(stores_.options());
      if (c.ok()) {
        auto run = (*c)->latest_run(flow);
        auto task = run.ok() ? (*c)->task(*run, step) : Result<TaskRecord>(run.status());
        if (task.ok()) {
          auto attempts = (*c)->attempts(*task);
          if (attempts.ok() && !attempts->empty() && attempts->front().reason == "running" &&
              !attempts->front().job_id.empty()) {
            return attempts->front();
          }
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    return std::nullopt;
  }
  static std::string squeue_state(const std::string& job) {
    return run_command("squeue --noheader --states=all --format=%T --jobs=" + job).output;
  }
  static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  test::TempDir dir_;
  test::TestStores stores_{dir_.path()};
};

TEST_F(SlurmE2E, EveryForeachTaskRunsAsASlurmJobRecordedWithItsNode) {
  auto r = flow("foreach", "run --width 4 --executor slurm");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("total = 30"), std::string::npos) << r.output;
  auto c = client();
  auto run = c->latest_run("Foreach");
  ASSERT_TRUE(run.ok());
  auto tasks = c->tasks(*run);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 7u);  // start, 4 x square, join, end
  std::set<std::string> jobs, arrays;
  for (const auto& t : *tasks) {
    auto attempts = c->attempts(t);
    ASSERT_TRUE(attempts.ok());
    ASSERT_EQ(attempts->size(), 1u) << t.step;
    const AttemptRecord& a = attempts->front();
    EXPECT_TRUE(a.ok) << t.step << ": " << a.reason;
    EXPECT_EQ(a.executor, "slurm") << t.step;
    EXPECT_EQ(a.host, this_host()) << t.step;
    jobs.insert(a.job_id);
    if (t.step == "square") {
      // The four items went together: elements of one job array, "ARRAY_INDEX".
      const auto us = a.job_id.find('_');
      ASSERT_NE(us, std::string::npos) << a.job_id;
      EXPECT_TRUE(all_digits(a.job_id.substr(0, us)) && all_digits(a.job_id.substr(us + 1))) << a.job_id;
      arrays.insert(a.job_id.substr(0, us));
    } else {
      EXPECT_TRUE(all_digits(a.job_id)) << t.step << ": job id '" << a.job_id << "'";
    }
  }
  EXPECT_EQ(jobs.size(), 7u) << "one Slurm job (or array element) per task";
  EXPECT_EQ(arrays.size(), 1u) << "the foreach was submitted as one array";
  // With arrays off, one sbatch per task.
  const std::string config = dir_.file("config.json");
  std::ofstream(config) << R"({"slurm": {"arrays": false}})";
  auto single = run_command("TRELLIS_CONFIG=" + config + " " + cmd("foreach", "run --width 3 --executor slurm"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  auto run2 = c->latest_run("Foreach");
  ASSERT_TRUE(run2.ok());
  auto squares2 = c->tasks(*run2, "square");
  ASSERT_TRUE(squares2.ok());
  EXPECT_EQ(squares2->size(), 3u);
  for (const TaskRecord& t : *squares2) {
    auto a = c->attempts(t);
    ASSERT_TRUE(a.ok() && !a->empty());
    EXPECT_TRUE(all_digits(a->front().job_id)) << a->front().job_id;
  }
  // `trellis show` names the job and the node.
  auto squares = c->tasks(*run, "square");
  ASSERT_TRUE(squares.ok() && !squares->empty());
  const TaskRecord* square = &squares->front();
  auto show = run_command(test::build_path("bin/trellis") + " show Foreach/" +
                          std::to_string(run->run_id) + "/square/" + std::to_string(square->task_id) +
                          stores_.args());
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("on slurm job "), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("node " + this_host()), std::string::npos) << show.output;
}

TEST_F(SlurmE2E, ADeclaredStepRunsOnSlurmTheRestLocallyAndLocalOverridesIt) {
  auto r = flow("cluster", "run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto c = client();
  auto run = c->latest_run("Cluster");
  ASSERT_TRUE(run.ok());
  for (const char* step : {"start", "train", "end"}) {
    auto t = c->task(*run, step);
    ASSERT_TRUE(t.ok()) << step;
    auto a = c->attempts(*t);
    ASSERT_TRUE(a.ok() && a->size() == 1u) << step;
    EXPECT_EQ(a->front().executor, std::string(step) == "train" ? "slurm" : "local") << step;
  }
  auto train = c->task(*run, "train");
  const std::string job = c->attempts(*train)->front().job_id;
  // The step itself saw the Slurm job it was recorded as, with the cpus it declared.
  EXPECT_EQ(*c->get(*train, Key<std::string>{"slurm_job_id"}), job);
  EXPECT_EQ(*c->get(*train, Key<std::string>{"slurm_cpus_per_task"}), "1");
  // Its GPU request reached the job: Slurm bound the node's one (fake) GPU.
  EXPECT_EQ(*c->get(*train, Key<std::string>{"cuda_visible_devices"}), "0");
  EXPECT_NE(r.output.find("train ran on " + this_host() + " as Slurm job '" + job + "'"),
            std::string::npos)
      << "the job's output streams back to the console\n" << r.output;

  auto local = flow("cluster", "run --executor local");
  ASSERT_EQ(local.exit_code, 0) << local.output;
  auto run2 = c->latest_run("Cluster");
  auto train2 = c->task(*run2, "train");
  EXPECT_EQ(c->attempts(*train2)->front().executor, "local");
  EXPECT_EQ(*c->get(*train2, Key<std::string>{"slurm_job_id"}), "");
}

TEST_F(SlurmE2E, AnUnsatisfiableRequestIsRefusedBeforeAnythingRuns) {
  const std::string config = dir_.file("config.json");
  std::ofstream(config) << R"({"slurm": {"partition": "no-such-partition"}})";
  auto r = run_command("TRELLIS_CONFIG=" + config + " " + cmd("cluster", "run"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("step 'train' of Cluster"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no-such-partition"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing of Cluster was run"), std::string::npos) << r.output;
  // No run was created (a fresh local store has no metadata at all).
  auto c = Client::open(stores_.options());
  if (c.ok()) {
    auto runs = (*c)->runs("Cluster");
    EXPECT_TRUE(!runs.ok() || runs->empty());
  } else {
    EXPECT_EQ(c.status().code(), Code::kNotFound) << c.status().to_string();
  }
}

TEST_F(SlurmE2E, MoreGpusThanAnyNodeHasIsRefusedWithSlurmsReason) {
  auto r = run_command("CLUSTER_GPUS=4 " + cmd("cluster", "run"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("step 'train' of Cluster"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gpus=4"), std::string::npos) << "names the request\n" << r.output;
  EXPECT_NE(r.output.find("--gres=gpu:4"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Requested node configuration is not available"), std::string::npos)
      << "gives Slurm's reason\n" << r.output;
}

TEST_F(SlurmE2E, ScancelOfARunningJobIsAFailedAttemptAndTheRetryRuns) {
  const std::string out = dir_.file("run.txt");
  const pid_t pid = start("cluster", "run --hold-ms 60000", out);
  auto first = running_attempt("Cluster", "train", 60s);
  ASSERT_TRUE(first.has_value()) << slurp(out);
  EXPECT_EQ(run_command("scancel " + first->job_id).exit_code, 0);
  wait_gone(pid, 60s);
  ASSERT_NE(::kill(pid, 0), 0) << "the run did not finish\n" << slurp(out);
  const std::string printed = slurp(out);
  auto c = client();
  auto run = c->latest_run("Cluster");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << printed;
  auto train = c->task(*run, "train");
  auto attempts = c->attempts(*train);
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 2u) << printed;
  EXPECT_FALSE((*attempts)[0].ok);
  EXPECT_NE((*attempts)[0].reason.find("cancelled (Slurm job " + first->job_id), std::string::npos)
      << (*attempts)[0].reason;
  EXPECT_TRUE((*attempts)[1].ok) << (*attempts)[1].reason;
  EXPECT_NE((*attempts)[1].job_id, first->job_id);
  EXPECT_EQ(*c->get(*train, Key<int64_t>{"train_attempt"}), 1);
}

TEST_F(SlurmE2E, CtrlCCancelsTheRunsJobs) {
  const std::string out = dir_.file("run.txt");
  const pid_t pid = start("cluster", "run --hold-ms 60000", out);
  auto a = running_attempt("Cluster", "train", 60s);
  ASSERT_TRUE(a.has_value()) << slurp(out);
  ::kill(pid, SIGINT);
  wait_gone(pid, 30s);
  ASSERT_NE(::kill(pid, 0), 0) << slurp(out);
  // Gone from the queue, or ended as cancelled, within a few seconds.
  std::string state;
  for (int i = 0; i < 100; ++i) {
    state = squeue_state(a->job_id);
    if (state.find("RUNNING") == std::string::npos && state.find("PENDING") == std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(state.find("RUNNING"), std::string::npos) << state;
  EXPECT_EQ(client()->latest_run("Cluster")->status, RunStatus::kFailed);
}

TEST_F(SlurmE2E, AKilledOrchestratorLeavesJobsAndResumeFinishesTheRun) {
  const std::string out = dir_.file("run.txt");
  const pid_t pid =
      start("foreach_work", "run --width 4 --work-ms 2500 --data-kb 16 --executor slurm", out);
  auto a_work_task_done = [&] {
    std::istringstream lines(slurp(out));
    for (std::string line; std::getline(lines, line);) {
      if (line.find("/work/") != std::string::npos && line.find(": done in") != std::string::npos) return true;
    }
    return false;
  };
  // Kill once one work task is done and another is recorded as running: the
  // first is cloned by resume, the second must be waited for, not redone.
  auto another_running = [&] {
    auto c = Client::open(stores_.options());
    if (!c.ok()) return false;
    auto run = (*c)->run("ForeachWork", 1);
    auto work = run.ok() ? (*c)->tasks(*run, "work") : Result<std::vector<TaskRecord>>(run.status());
    if (!work.ok()) return false;
    for (const auto& t : *work) {
      auto a = (*c)->attempts(t);
      if (t.status != TaskStatus::kDone && a.ok() && !a->empty() && a->back().reason == "running") return true;
    }
    return false;
  };
  for (int i = 0; i < 1200 && !(a_work_task_done() && another_running()); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(a_work_task_done() && another_running()) << slurp(out);
  ::kill(pid, SIGKILL);
  wait_gone(pid, 10s);
  // Resume without naming the executor: the left jobs are followed all the same.
  auto r = flow("foreach_work", "resume");
  ASSERT_EQ(r.exit_code, 0) << slurp(out) << "\n---- resume\n" << r.output;
  auto c = client();
  auto run = c->latest_run("ForeachWork");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  EXPECT_EQ(*c->get(*c->task(*run, "join"), Key<int64_t>{"total"}), 7 * (0 + 1 + 2 + 3));
  // The start step finished before the kill: cloned, not rerun.
  EXPECT_FALSE(c->task(*run, "start")->cloned_from.empty());
  // The jobs the kill left were waited for (running) or cancelled (queued), not
  // duplicated: what they finished is cloned. One task was done at the kill and
  // at least one other was running beside it on the two cpus.
  EXPECT_NE(r.output.find("left running by the killed orchestrator"), std::string::npos) << r.output;
  auto work = c->tasks(*run, "work");
  ASSERT_TRUE(work.ok());
  ASSERT_EQ(work->size(), 4u);
  int cloned = 0;
  for (const auto& t : *work) cloned += t.cloned_from.empty() ? 0 : 1;
  EXPECT_GE(cloned, 2) << r.output;
  // In the killed run, no attempt is left looking in flight.
  auto origin = c->run("ForeachWork", 1);
  ASSERT_TRUE(origin.ok());
  auto origin_tasks = c->tasks(*origin);
  ASSERT_TRUE(origin_tasks.ok()) << origin_tasks.status().to_string();
  for (const auto& t : *origin_tasks) {
    auto attempts = c->attempts(t);
    ASSERT_TRUE(attempts.ok());
    for (const auto& a : *attempts) {
      if (a.executor != "slurm") continue;
      EXPECT_NE(a.finished_ms, 0) << t.step << "/" << t.task_id << ": " << a.reason;
    }
  }
}

TEST_F(SlurmE2E, RunOnClusterReturnsTheRunIdAndTheRunFinishesWithoutIt) {
  auto r = flow("foreach_work", "run --width 2 --work-ms 1500 --data-kb 16 --executor slurm --on-cluster");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ForeachWork/1: run started"), std::string::npos) << r.output;
  const auto at = r.output.find("runs on the cluster as Slurm job ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string job = r.output.substr(at + 33, r.output.find_first_not_of("0123456789", at + 33) - at - 33);
  ASSERT_TRUE(all_digits(job)) << r.output;
  EXPECT_NE(r.output.find("trellis logs ForeachWork/1/STEP"), std::string::npos) << r.output;
  // The submitting command returned while the run goes on in the cluster.
  auto c = client();
  auto run = c->run("ForeachWork", 1);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  EXPECT_EQ(run->status, RunStatus::kRunning) << "returned only after the run ended\n" << r.output;
  const auto until = std::chrono::steady_clock::now() + 120s;
  while (run.ok() && run->status == RunStatus::kRunning && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(200ms);
    run = c->run("ForeachWork", 1);
  }
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  EXPECT_EQ(run->host, this_host());
  // The orchestrator was that Slurm job, and every step ran as a job of its own.
  const auto info = run_command("scontrol show job " + job).output;
  EXPECT_NE(info.find("JobName=trellis:ForeachWork/orchestrator"), std::string::npos) << info;
  auto tasks = c->tasks(*run, "work");
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(tasks->size(), 2u);
  for (const auto& t : *tasks) {
    auto a = c->attempts(t);
    ASSERT_TRUE(a.ok() && !a->empty());
    EXPECT_EQ(a->back().executor, "slurm");
    EXPECT_NE(a->back().job_id, job);
  }
}

// Nodes without the submit host's filesystem: the flow binary is staged into
// the datastore by its SHA-256 and each job runs the copy fetched into its
// node's cache. Here the "node" is this machine, so the proof is which binary
// the step ran (its /proc/self/exe) and that it matches the run's code identity.
TEST_F(SlurmE2E, StagedCodeRunsTheBinaryFetchedByItsHash) {
  const std::string cache = dir_.file("node-cache");
  const std::string config = dir_.file("config.json");
  std::ofstream(config) << Json{{"slurm", {{"code", "staged"}, {"node_cache", cache},
                                           {"trellis_bin", test::build_path("bin/trellis")}}}}.dump();
  const std::string env = "TRELLIS_CONFIG=" + config + " ";
  auto r = run_command(env + cmd("cluster", "run"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("staged the flow binary ("), std::string::npos) << r.output;
  auto c = client();
  auto run = c->latest_run("Cluster");
  ASSERT_TRUE(run.ok());
  const std::string sha = run->code.value("binary_sha256", "");
  ASSERT_EQ(sha.size(), 64u);
  auto train = c->task(*run, "train");
  ASSERT_TRUE(train.ok());
  EXPECT_EQ(*c->get(*train, Key<std::string>{"train_executable"}), cache + "/bin/" + sha);
  EXPECT_EQ(c->attempts(*train)->front().executor, "slurm");
  // The cached copy is the staged blob, byte for byte, and executable.
  auto sum = run_command("sha256sum " + cache + "/bin/" + sha);
  EXPECT_EQ(sum.output.substr(0, 64), sha) << sum.output;
  EXPECT_EQ(::access((cache + "/bin/" + sha).c_str(), X_OK), 0);
  EXPECT_TRUE(*c->content().contains(sha));
  // Local steps ran the build as usual.
  EXPECT_NE(*c->get(*c->task(*run, "end"), Key<std::string>{"train_host"}), "");
  // A second run neither stages nor fetches again.
  auto again = run_command(env + cmd("cluster", "run"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("staged the flow binary"), std::string::npos) << again.output;
  EXPECT_EQ(again.output.find("wrote "), std::string::npos) << again.output;
  // A node that cannot fetch it says so, naming the digest and the node.
  ::unlink((cache + "/bin/" + sha).c_str());
  std::ofstream(config) << Json{{"slurm", {{"code", "staged"}, {"node_cache", cache},
                                           {"trellis_bin", "/nonexistent/trellis"}}}}.dump();
  auto broken = run_command(env + cmd("cluster", "run"));
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  EXPECT_NE(broken.output.find("cannot fetch the flow binary (sha256 " + sha + ")"), std::string::npos)
      << broken.output;
}

TEST_F(SlurmE2E, RunOnClusterWithABadParameterFailsHereNotInTheQueue) {
  auto r = flow("foreach_work", "run --widht 2 --on-cluster");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown option --widht"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("submitted"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace trellis
