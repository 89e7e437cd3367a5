// End-to-end: the example flows through their own CLI, on a fresh store each.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "testing/command.h"
#include "testing/temp_dir.h"
#include "testing/test_stores.h"
#include "trellis/client/client.h"
#include "trellis/core/fs.h"

namespace trellis {
namespace {

using test::run_command;

class FlowE2E : public ::testing::Test {
 protected:
  // Runs example `flow` with `args` against this test's store.
  test::CommandResult flow(const std::string& name, const std::string& args,
                           const std::string& env = "") {
    return run_command(env + " " + test::build_path("flows/" + name) + " " + args + stores_.args() +
                       " --max-workers 2");
  }
  test::CommandResult resume(const std::string& name, const std::string& args = "") {
    return run_command("TRELLIS_EXAMPLE_FIXED=1 " + test::build_path("flows/" + name) +
                       " resume " + args + stores_.args());
  }
  std::unique_ptr<Client> client() {
    auto c = Client::open(stores_.options());
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  // step -> (tasks, cloned tasks) of a run
  std::map<std::string, std::pair<int, int>> task_counts(const std::string& flow, int64_t run) {
    auto c = client();
    auto r = c->run(flow, run);
    std::map<std::string, std::pair<int, int>> out;
    auto tasks = c->tasks(*r);
    EXPECT_TRUE(tasks.ok());
    if (!tasks.ok()) return out;
    for (const auto& t : tasks.value()) {
      EXPECT_EQ(t.status, TaskStatus::kDone) << pathspec_of(t);
      ++out[t.step].first;
      if (!t.cloned_from.empty()) ++out[t.step].second;
    }
    return out;
  }
  test::TempDir dir_;
  test::TestStores stores_{dir_.path()};
};

TEST_F(FlowE2E, LinearRunKeepsEveryArtifactAndCodeIdentity) {
  auto r = flow("linear", "run --start-at 10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[Linear/1/end/5] count = 13"), std::string::npos) << r.output;
  auto c = client();
  auto run = c->latest_run("Linear");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  EXPECT_EQ(run->params["start-at"], 10);
  EXPECT_EQ(run->code["binary_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(run->code["compiler"].get<std::string>().empty());
  EXPECT_TRUE(run->code["libraries"].contains("sqlite"));
  auto end = c->task(*run, "end");
  EXPECT_EQ(*c->get(*end, Key<int64_t>{"count"}), 13);
  auto two = c->task(*run, "two");
  EXPECT_EQ(*c->get(*two, Key<int64_t>{"count"}), 12);
  // Output is stored with the task.
  EXPECT_NE(c->logs(*end)->find("count = 13"), std::string::npos);
}

TEST_F(FlowE2E, BranchForeachNestedProduceTheirResults) {
  auto b = flow("branch", "run");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find("sum = 31"), std::string::npos);
  // An unchanged artifact is passed on by reference: the same content key in
  // the step that made it, both branches and the join that merged it.
  auto c = client();
  auto brun = c->latest_run("Branch");
  const std::string base = c->artifact(*c->task(*brun, "start"), "base")->digest;
  for (const char* step : {"left", "right", "join", "end"}) {
    EXPECT_EQ(c->artifact(*c->task(*brun, step), "base")->digest, base) << step;
  }
  auto f = flow("foreach", "run --width 5");
  ASSERT_EQ(f.exit_code, 0) << f.output;
  EXPECT_NE(f.output.find("total = 55"), std::string::npos);
  EXPECT_EQ(task_counts("Foreach", 1)["square"].first, 5);
  auto n = flow("nested", "run");
  ASSERT_EQ(n.exit_code, 0) << n.output;
  EXPECT_NE(n.output.find("labels = a1 a2 a3 b1 b2 b3"), std::string::npos) << n.output;
  auto counts = task_counts("Nested", 1);
  EXPECT_EQ(counts["outer"].first, 2);
  EXPECT_EQ(counts["inner"].first, 6);
  EXPECT_EQ(counts["join_inner"].first, 2);
  EXPECT_EQ(counts["join_outer"].first, 1);
}

struct Shape {
  std::string flow, name, args;
  std::vector<std::string> steps;  // in order
  std::string expect;              // printed by end
};

// For every shape, fail each step in turn, then resume: the steps before the
// failure are cloned (not rerun), the rest run, and the result is right.
TEST_F(FlowE2E, FailureAtEachStepThenResume) {
  const std::vector<Shape> shapes = {
      {"linear", "Linear", "", {"start", "one", "two", "three", "end"}, "count = 3"},
      {"branch", "Branch", "", {"start", "left", "right", "join", "end"}, "sum = 31"},
      {"foreach", "Foreach", "--width 3", {"start", "square", "square:1", "join", "end"}, "total = 14"},
      {"nested", "Nested", "", {"start", "outer:1", "inner:2", "join_inner", "join_outer", "end"},
       "labels = a1 a2 a3 b1 b2 b3"},
  };
  int64_t run = 0;
  std::map<std::string, int64_t> runs_of;
  for (const auto& shape : shapes) {
    for (const auto& fail_at : shape.steps) {
      SCOPED_TRACE(shape.name + " failing at " + fail_at);
      auto failed = flow(shape.flow, "run " + shape.args, "TRELLIS_EXAMPLE_FAIL_AT=" + fail_at);
      ASSERT_EQ(failed.exit_code, 1) << failed.output;
      const int64_t origin = ++runs_of[shape.name];
      EXPECT_NE(failed.output.find("injected failure"), std::string::npos) << failed.output;
      EXPECT_NE(failed.output.find("resume --origin-run-id " + std::to_string(origin)),
                std::string::npos) << failed.output;
      auto resumed = resume(shape.flow, "--origin-run-id " + std::to_string(origin));
      ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
      EXPECT_NE(resumed.output.find(shape.expect), std::string::npos) << resumed.output;
      run = ++runs_of[shape.name];
      auto counts = task_counts(shape.name, run);
      const std::string failed_step = fail_at.substr(0, fail_at.find(':'));
      // Every step strictly before the failing one in `steps` order was cloned.
      for (const auto& s : shape.steps) {
        const std::string step = s.substr(0, s.find(':'));
        if (step == failed_step) break;
        if (s.find(':') != std::string::npos) continue;
        EXPECT_EQ(counts[step].second, counts[step].first) << step << " should be cloned";
      }
      EXPECT_LT(counts[failed_step].second, counts[failed_step].first)
          << failed_step << " should have rerun";
      EXPECT_EQ(counts["end"].second, 0);
    }
  }
}

TEST_F(FlowE2E, ResumeFromANamedStepRerunsItAndWhatFollows) {
  ASSERT_EQ(flow("linear", "run").exit_code, 0);
  auto r = resume("linear", "two --origin-run-id 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto counts = task_counts("Linear", 2);
  EXPECT_EQ(counts["start"].second, 1);
  EXPECT_EQ(counts["one"].second, 1);
  EXPECT_EQ(counts["two"].second, 0);
  EXPECT_EQ(counts["end"].second, 0);
  auto bad = resume("linear", "nosuchstep");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("no step 'nosuchstep'"), std::string::npos);
}

TEST_F(FlowE2E, RetryTimeoutCatchAndEnv) {
  auto r = flow("resilient", "run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto c = client();
  auto run = c->latest_run("Resilient");
  auto flaky = c->task(*run, "flaky");
  EXPECT_EQ(c->attempts(*flaky)->size(), 3u);
  EXPECT_EQ(*c->get(*flaky, Key<int64_t>{"succeeded_on_attempt"}), 2);
  auto slow = c->task(*run, "slow");
  auto slow_error = c->get(*slow, Key<Json>{"slow_error"});
  ASSERT_TRUE(slow_error.ok());
  EXPECT_NE((*slow_error)["error"].get<std::string>().find("timed out"), std::string::npos);
  auto crash = c->get(*c->task(*run, "crashy"), Key<Json>{"crash_error"});
  ASSERT_TRUE(crash.ok());
  EXPECT_NE((*crash)["error"].get<std::string>().find("signal 6"), std::string::npos);
  EXPECT_EQ(*c->get(*c->task(*run, "configured"), Key<std::string>{"greeting"}), "hello from env");
}

TEST_F(FlowE2E, CrashesOfTasksAreFailedAttemptsNotOrchestratorCrashes) {
  for (std::string how : {"exit", "abort", "segv", "sigkill", "throw"}) {
    SCOPED_TRACE(how);
    auto r = flow("failing", "run --how " + how);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("run failed"), std::string::npos) << r.output;
  }
  auto c = client();
  auto runs = c->runs("Failing");
  ASSERT_EQ(runs->size(), 5u);
  auto killed = c->task((*runs)[1], "evaluate");  // the sigkill run
  auto attempts = c->attempts(*killed);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].signal, 9);
  EXPECT_EQ(killed->status, TaskStatus::kFailed);
  // The killed task wrote artifacts before dying but no done record: it is not
  // taken as done, and resume reruns it.
  auto r = resume("failing", "--origin-run-id 4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto counts = task_counts("Failing", 6);
  EXPECT_EQ(counts["train"].second, 1);
  EXPECT_EQ(counts["evaluate"].second, 0);
}

// A disk that fills up during a run: the run must end `failed`, not stay
// `running` because the metadata could not be written any more, and the error
// must name ENOSPC and the path. The disk is a small tmpfs mounted in a private
// user+mount namespace, so nothing else on the machine fills.
TEST_F(FlowE2E, ARunWhoseDiskFillsEndsFailedNamingENOSPC) {
  if (stores_.remote()) GTEST_SKIP() << "fills a local disk: the local-store suite runs it";
  if (run_command("unshare -rm true").exit_code != 0) {
    GTEST_SKIP() << "unshare -rm is not allowed here: no private tmpfs to fill";
  }
  const std::string mnt = dir_.file("small");
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  const std::string script =
      "mount -t tmpfs -o size=6m tmpfs " + mnt + " || exit 99; " +
      test::build_path("flows/failing") + " run --how fill-disk --fail-at train --root " + mnt +
      "/s > " + dir_.file("out.txt") + " 2>&1; echo \"flow exit $?\"; rm -f " + mnt + "/filler; " +
      test::build_path("bin/trellis") + " runs Failing --root " + mnt + "/s; " +
      test::build_path("bin/trellis") + " show Failing/1/train --root " + mnt + "/s";
  auto r = run_command("unshare -rm sh -c '" + script + "'");
  ASSERT_NE(r.exit_code, 99) << r.output;
  const std::string out = run_command("cat " + dir_.file("out.txt")).output;
  EXPECT_NE(r.output.find("flow exit 1"), std::string::npos) << r.output << out;
  EXPECT_NE(r.output.find("1      failed"), std::string::npos) << r.output << out;
  EXPECT_NE(out.find("(ENOSPC)"), std::string::npos) << out;
  EXPECT_NE(out.find("storing artifact 'after_fill' of Failing/1/train/3"), std::string::npos)
      << out;
  EXPECT_NE(out.find(mnt + "/s/objects/"), std::string::npos) << out;
  // The cause is recorded with the attempt, not only printed.
  EXPECT_NE(r.output.find("attempt 0  failed (exit code 1: storing artifact 'after_fill'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("(ENOSPC))"), std::string::npos) << r.output;
}

// A task killed between creating its temp file and renaming it leaves the
// temp file behind; the next run on the store removes such leftovers once
// their writer is gone (or they are hours old), and nothing else.
TEST_F(FlowE2E, ARunRemovesTempFilesLeftByKilledWriters) {
  if (stores_.remote()) GTEST_SKIP() << "temp files are a local folder's: the local-store suite runs it";
  ASSERT_EQ(flow("linear", "run").exit_code, 0);
  const pid_t dead = [] {
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status = 0;
    waitpid(pid, &status, 0);
    return pid;
  }();
  const std::string d = dir_.file("objects/ab");
  ASSERT_TRUE(make_dirs(d).ok());
  const std::string obj = d + "/ab01";
  const std::string killed = obj + ".tmp." + std::to_string(dead) + "." + temp_host_tag() + ".0f";
  const std::string live = obj + ".tmp." + std::to_string(getpid()) + "." + temp_host_tag() + ".1f";
  for (const auto& p : {killed, live}) {
    ASSERT_TRUE(atomic_write_file(p, std::string(1000, 'x')).ok());
    ASSERT_EQ(run_command("touch -d '-2 minutes' " + p).exit_code, 0);
  }
  auto r = flow("linear", "run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("removed 1 stale temp file(s) (1000 B)"), std::string::npos) << r.output;
  EXPECT_FALSE(path_exists(killed));
  EXPECT_TRUE(path_exists(live));
}

// Names, URLs and values typed by a user end up in error and log lines; a
// newline (or another control character) in them must not start a line of its
// own that reads like one the engine wrote.
TEST_F(FlowE2E, ControlCharactersInNamesAndUrlsCannotForgeLogLines) {
  ASSERT_EQ(flow("linear", "run").exit_code, 0);
  const std::string forged = "\"$(printf 'x\\nFORGED: run succeeded\\r\\033[1A')\"";
  const std::string linear = test::build_path("flows/linear");
  const std::string root = stores_.args();
  const std::vector<std::string> commands = {
      linear + " resume " + forged + root,                                        // a step name
      linear + " run --start-at " + forged + root,                                // a value
      linear + " run" + root + " --metadata sqlite:///proc/none/" + forged + "/m.db",  // a URL
      linear + " step " + forged + " --run-id 1 --task-id 1" + root,              // a task's error
      test::build_path("bin/trellis") + root + " show Linear/" + forged,          // a pathspec
      test::build_path("bin/trellis") + root + " " + forged,                      // a command
  };
  // A tag is stored as typed; listing runs and tags must not split it into lines.
  ASSERT_EQ(
      run_command(test::build_path("bin/trellis") + root + " tag add Linear/1 " + forged).exit_code,
      0);
  for (const char* listing : {" runs Linear", " tag list Linear/1", " show Linear/1"}) {
    auto r = run_command(test::build_path("bin/trellis") + root + listing);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("x\\nFORGED: run succeeded\\r\\x1b[1A"), std::string::npos) << r.output;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_NE(line.rfind("FORGED", 0), 0u) << listing << ": " << r.output;
    }
  }
  for (const auto& cmd : commands) {
    SCOPED_TRACE(cmd);
    auto r = run_command(cmd);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("x\\nFORGED: run succeeded\\r\\x1b[1A"), std::string::npos) << r.output;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_NE(line.rfind("FORGED", 0), 0u) << r.output;
      EXPECT_EQ(line.find('\r'), std::string::npos) << r.output;
      EXPECT_EQ(line.find('\033'), std::string::npos) << r.output;
    }
  }
}

TEST_F(FlowE2E, TimeoutOfAHangingTask) {
  // failing --how hang with no timeout would hang; resilient covers timeouts,
  // here a hang is stopped by SIGTERM to the orchestrator and recorded.
  const std::string cmd = test::build_path("flows/failing") + " run --how hang" + stores_.args() +
                          " > " + dir_.file("out.txt") + " 2>&1 & echo $!";
  auto started = run_command(cmd);
  const pid_t pid = std::stoi(started.output);
  for (int i = 0; i < 200; ++i) {
    auto out = run_command("cat " + dir_.file("out.txt"));
    if (out.output.find("about to fail") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto c = client();
  auto run = c->latest_run("Failing");
  EXPECT_EQ(run->status, RunStatus::kFailed);
  auto out = run_command("cat " + dir_.file("out.txt"));
  EXPECT_NE(out.output.find("interrupted"), std::string::npos) << out.output;
}

TEST_F(FlowE2E, OrchestratorKilledWithSigkillThenResumed) {
  const std::string cmd = test::build_path("flows/failing") +
                          " run --sleep-ms 400 --fail-at none " + stores_.args() + " > " +
                          dir_.file("out.txt") + " 2>&1 & echo $!";
  auto started = run_command(cmd);
  const pid_t pid = std::stoi(started.output);
  // Wait until `train` has started, then kill the orchestrator outright.
  for (int i = 0; i < 400; ++i) {
    auto out = run_command("cat " + dir_.file("out.txt"));
    if (out.output.find("Failing/1/prepare/2: done") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // let the orphaned task end
  auto runs = run_command(test::build_path("bin/trellis") + " runs Failing " + stores_.args());
  EXPECT_NE(runs.output.find("killed"), std::string::npos) << runs.output;
  auto r = resume("failing", "--origin-run-id 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto counts = task_counts("Failing", 2);
  EXPECT_EQ(counts["start"].second, 1);
  EXPECT_EQ(counts["prepare"].second, 1);
  EXPECT_EQ(counts["end"].second, 0);
  auto c = client();
  auto end = c->task(*c->run("Failing", 2), "end");
  EXPECT_EQ(c->get(*end, Key<std::vector<std::string>>{"visited"})->size(), 5u);
}

TEST_F(FlowE2E, CheckpointsCarryALongStepAcrossRetryAndResume) {
  // Retry: attempt 0 dies after epoch 2, attempt 1 continues at epoch 3.
  auto retried = flow("checkpointed", "run --epochs 4 --die-after 2");
  ASSERT_EQ(retried.exit_code, 0) << retried.output;
  auto c = client();
  auto t = c->task(*c->run("Checkpointed", 1), "train");
  EXPECT_EQ(*c->get(*t, Key<std::vector<int64_t>>{"epochs_run_here"}), (std::vector<int64_t>{3, 4}));
  // Resume: both attempts are killed (after epochs 1 and 2), the run fails; the
  // rerun in the resumed run continues from the last checkpoint, at epoch 3.
  auto killed = flow("checkpointed", "run --epochs 4 --die-after 1 --die-attempts 2");
  ASSERT_EQ(killed.exit_code, 1) << killed.output;
  EXPECT_NE(killed.output.find("signal 9"), std::string::npos) << killed.output;
  auto resumed = resume("checkpointed", "--origin-run-id 2");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  auto t3 = c->task(*c->run("Checkpointed", 3), "train");
  EXPECT_EQ(t3->resumed_from, "Checkpointed/2/train/2");
  EXPECT_EQ(*c->get(*t3, Key<std::vector<int64_t>>{"epochs_run_here"}), (std::vector<int64_t>{3, 4}));
}

TEST_F(FlowE2E, TwoRunsAtOnceDoNotMix) {
  const std::string base = test::build_path("flows/foreach") + " run " + stores_.args();
  auto r = run_command("(" + base + " --width 6 > " + dir_.file("a.txt") + " 2>&1 & " + base +
                       " --width 9 > " + dir_.file("b.txt") + " 2>&1; wait)");
  auto a = run_command("cat " + dir_.file("a.txt"));
  auto b = run_command("cat " + dir_.file("b.txt"));
  auto c = client();
  auto runs = c->runs("Foreach");
  ASSERT_EQ(runs->size(), 2u);
  std::set<int64_t> totals;
  for (const auto& run : *runs) {
    EXPECT_EQ(run.status, RunStatus::kSucceeded) << a.output << b.output;
    auto end = c->task(run, "end");
    totals.insert(*c->get(*end, Key<int64_t>{"total"}));
    const int64_t width = run.params["width"].get<int64_t>();
    EXPECT_EQ(c->tasks(run, "square")->size(), static_cast<size_t>(width));
  }
  EXPECT_EQ(totals, (std::set<int64_t>{91, 285}));
}

// gc while a run is in progress, over and over: the older run goes, the
// running one keeps every blob it stored or reused (equal values are shared
// across runs, so the second run reuses blobs the first made), and it ends with
// every artifact readable.
TEST_F(FlowE2E, GcDuringARunKeepsEverythingTheRunNeeds) {
  const std::string work = test::build_path("flows/foreach_work");
  ASSERT_EQ(run_command(work + " run --width 6 --work-ms 20 --data-kb 64" + stores_.args()).exit_code, 0);
  const std::string out = dir_.file("run2.txt");
  const auto started = run_command(work + " run --width 12 --work-ms 300 --data-kb 64" + stores_.args() +
                                   " --max-workers 2 > " + out + " 2>&1 & echo $!");
  const pid_t pid = std::stoi(started.output);
  const std::string gc = test::build_path("bin/trellis") + stores_.args() +
                         " gc --keep-runs 1 --grace-hours 0 --delete";
  // Bounded by time, not by a count of rounds: a fast gc ran out of rounds
  // before the run ended (CI, 2026-12-04), and the run was then read unfinished.
  int rounds = 0;
  std::string last;
  // The run is the shell's child, not ours: it is gone when kill(pid, 0) fails,
  // or it has said how it ended (where nothing reaps orphans, a zombie stays).
  auto alive = [&] {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid || ::kill(pid, 0) != 0) return false;
    const std::string said = run_command("cat " + out).output;
    return said.find("run succeeded") == std::string::npos && said.find("run failed") == std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (alive() && std::chrono::steady_clock::now() < deadline) {
    auto r = run_command(gc);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    last = r.output;
    ++rounds;
  }
  if (alive()) {
    ::kill(pid, SIGKILL);
    FAIL() << "the run did not end within 120 s of gc rounds: " << run_command("cat " + out).output;
  }
  EXPECT_GE(rounds, 2) << "gc ran while the run was in progress";
  EXPECT_NE(run_command("cat " + out).output.find("run succeeded"), std::string::npos)
      << run_command("cat " + out).output;
  auto c = client();
  EXPECT_EQ(c->run("ForeachWork", 1).status().code(), Code::kNotFound) << "run 1 was collected";
  auto run = c->run("ForeachWork", 2);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  int artifacts = 0;
  auto tasks = c->tasks(*run);
  ASSERT_TRUE(tasks.ok()) << tasks.status().to_string();
  for (const auto& t : *tasks) {
    auto arts = c->artifacts(t);
    ASSERT_TRUE(arts.ok()) << arts.status().to_string();
    for (const auto& a : *arts) {
      auto bytes = c->artifact_bytes(t, a.name);
      EXPECT_TRUE(bytes.ok()) << pathspec_of(t) << "/" << a.name << ": " << bytes.status().to_string();
      ++artifacts;
    }
    EXPECT_TRUE(c->logs(t).ok()) << pathspec_of(t);
  }
  EXPECT_GT(artifacts, 20);
  // Once it is done, gc with the same rules frees nothing more of it.
  auto after = run_command(gc);
  EXPECT_NE(after.output.find("deleted 0 run(s)"), std::string::npos) << after.output << last;
}

TEST_F(FlowE2E, ValidationAndParameterErrorsExitWithCode2) {
  auto broken = run_command(test::build_path("flows/broken_flow") + " check");
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.output.find("cycle: a -> b -> a"), std::string::npos) << broken.output;
  EXPECT_NE(broken.output.find("unknown step 'nowhere'"), std::string::npos);
  auto run_broken = run_command(test::build_path("flows/broken_flow") + " run " + stores_.args());
  EXPECT_EQ(run_broken.exit_code, 2);

  auto type = flow("linear", "run --start-at abc");
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_NE(type.output.find("--start-at: 'abc' is not an integer"), std::string::npos) << type.output;
  auto unknown = flow("linear", "run --epochs 3");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("unknown option --epochs (parameters of Linear: --start-at)"),
            std::string::npos) << unknown.output;
  auto missing = flow("linear", "run --start-at");
  EXPECT_EQ(missing.exit_code, 2);
  auto cmd = flow("linear", "fly");
  EXPECT_EQ(cmd.exit_code, 2);
  auto show = run_command(test::build_path("flows/foreach") + " show");
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.output.find("foreach items -> square"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("--width (int, default 4) number of parallel tasks"),
            std::string::npos) << show.output;
}

TEST_F(FlowE2E, LargeArrayArtifactRoundTrips) {
  auto r = flow("artifacts", "run --mb 24");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto c = client();
  auto t = c->task(*c->latest_run("Artifacts"), "read");
  auto a = c->get(*t, Key<NDArray>{"array"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shape, std::vector<int64_t>{24 << 18});
  EXPECT_EQ(a->dtype, DType::kFloat32);
}

}  // namespace
}  // namespace trellis
