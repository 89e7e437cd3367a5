#include <gtest/gtest.h>

#include <map>

#include "trellis/executor/executor.h"

namespace trellis {
namespace {

struct Finished {
  std::map<std::string, JobExit> exits;
  std::map<std::string, std::vector<std::string>> lines;
  std::map<std::string, std::vector<Placement>> placements;
};

Finished run_all(Executor& ex) {
  Finished f;
  while (ex.running() > 0) {
    auto events = ex.poll(std::chrono::milliseconds(1000));
    EXPECT_TRUE(events.ok());
    for (auto& e : *events) {
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

TEST(LocalExecutor, ReportsOutputLinesAndExitCodes) {
  auto ex = make_local_executor({.max_workers = 4});
  ASSERT_TRUE(ex->submit(sh("ok", "echo one; echo two >&2; printf 'no newline'")).ok());
  ASSERT_TRUE(ex->submit(sh("bad", "exit 3")).ok());
  JobSpec env = sh("env", "echo $TRELLIS_X");
  env.env["TRELLIS_X"] = "hello";
  ASSERT_TRUE(ex->submit(env).ok());
  Finished f = run_all(*ex);
  EXPECT_TRUE(f.exits["ok"].ok);
  EXPECT_EQ(f.exits["ok"].output.find("one\n") != std::string::npos, true);
  EXPECT_NE(f.exits["ok"].output.find("no newline\n"), std::string::npos);
  EXPECT_EQ(f.lines["ok"].size(), 3u);
  EXPECT_FALSE(f.exits["bad"].ok);
  EXPECT_EQ(f.exits["bad"].exit_code, 3);
  EXPECT_EQ(f.exits["bad"].reason, "exit code 3");
  EXPECT_EQ(f.lines["env"], std::vector<std::string>{"hello\n"});
}

TEST(LocalExecutor, ProgressBarCarriageReturnsArriveAsTheyAreWritten) {
  auto ex = make_local_executor({.max_workers = 1});
  ASSERT_TRUE(ex->submit(sh("bar", "printf '10%%\\r'; sleep 0.3; printf '100%%\\n'")).ok());
  // The first segment must arrive before the job ends.
  bool saw_progress_while_running = false;
  while (ex->running() > 0) {
    auto events = ex->poll(std::chrono::milliseconds(1000));
    for (auto& e : *events) {
      if (e.kind == JobEvent::Kind::kOutput && e.text == "10%\r" && ex->running() == 1) {
        saw_progress_while_running = true;
      }
    }
  }
  EXPECT_TRUE(saw_progress_while_running);
}

TEST(LocalExecutor, SignalsAndTimeoutsAreFailuresWithReasons) {
  auto ex = make_local_executor({.max_workers = 2, .kill_grace = std::chrono::milliseconds(200)});
  ASSERT_TRUE(ex->submit(sh("abort", "kill -ABRT $$")).ok());
  JobSpec slow = sh("slow", "trap '' TERM; sleep 30");
  slow.timeout = std::chrono::milliseconds(300);
  ASSERT_TRUE(ex->submit(slow).ok());
  EXPECT_EQ(ex->submit(sh("third", "true")).code(), Code::kUnavailable);
  Finished f = run_all(*ex);
  EXPECT_FALSE(f.exits["abort"].ok);
  EXPECT_EQ(f.exits["abort"].signal, 6);
  EXPECT_FALSE(f.exits["slow"].ok);
  EXPECT_TRUE(f.exits["slow"].timed_out);
  EXPECT_NE(f.exits["slow"].reason.find("timed out"), std::string::npos);
}

TEST(LocalExecutor, GrandchildHoldingThePipeDoesNotBlockTheExit) {
  auto ex = make_local_executor({.max_workers = 1});
  ASSERT_TRUE(ex->submit(sh("daemon", "(sleep 5 &) ; echo started")).ok());
  Finished f = run_all(*ex);
  EXPECT_TRUE(f.exits["daemon"].ok);
}

TEST(LocalExecutor, BadCommandIsAnError) {
  auto ex = make_local_executor({.max_workers = 1});
  JobSpec j;
  j.id = "x";
  EXPECT_EQ(ex->submit(j).code(), Code::kInvalidArgument);
  j.argv = {"/nonexistent/binary"};
  EXPECT_EQ(ex->submit(j).code(), Code::kIoError);
}

TEST(LocalExecutor, CancelAllStopsRunningJobs) {
  auto ex = make_local_executor({.max_workers = 2, .kill_grace = std::chrono::milliseconds(100)});
  ASSERT_TRUE(ex->submit(sh("a", "sleep 30")).ok());
  ex->cancel_all();
  Finished f = run_all(*ex);
  EXPECT_FALSE(f.exits["a"].ok);
  EXPECT_EQ(f.exits["a"].signal, 15);
}

TEST(LocalExecutor, ReportsWhereEachJobRuns) {
  auto ex = make_local_executor({.max_workers = 1});
  ASSERT_TRUE(ex->submit(sh("a", "true")).ok());
  Finished f = run_all(*ex);
  ASSERT_EQ(f.placements["a"].size(), 1u);
  EXPECT_EQ(f.placements["a"][0].executor, "local");
  EXPECT_EQ(f.placements["a"][0].job_id.rfind("pid ", 0), 0u);
  EXPECT_FALSE(f.placements["a"][0].host.empty());
}

TEST(LocalExecutor, DeclaredCpusTakeThatManyWorkers) {
  auto ex = make_local_executor({.max_workers = 2});
  JobSpec one = sh("one", "sleep 0.2"), two = sh("two", "true"), big = sh("big", "true");
  two.resources.cpus = 1;
  big.resources.cpus = 2;
  EXPECT_TRUE(ex->can_accept(big));
  ASSERT_TRUE(ex->submit(one).ok());
  EXPECT_EQ(ex->free_slots(), 1);
  EXPECT_FALSE(ex->can_accept(big));  // a 2-cpu job waits for both workers
  EXPECT_EQ(ex->submit(big).code(), Code::kUnavailable);
  EXPECT_TRUE(ex->can_accept(two));   // a 1-cpu job runs beside the first
  ASSERT_TRUE(ex->submit(two).ok());
  EXPECT_FALSE(ex->can_accept(two));
  run_all(*ex);
  // More cpus than workers: it runs alone instead of never.
  JobSpec huge = sh("huge", "true");
  huge.resources.cpus = 64;
  EXPECT_TRUE(ex->can_accept(huge));
  ASSERT_TRUE(ex->submit(huge).ok());
  EXPECT_EQ(ex->free_slots(), 0);
  EXPECT_TRUE(run_all(*ex).exits["huge"].ok);
}

TEST(LocalExecutor, CancelStopsOneJob) {
  auto ex = make_local_executor({.max_workers = 2, .kill_grace = std::chrono::milliseconds(100)});
  ASSERT_TRUE(ex->submit(sh("stop", "sleep 30")).ok());
  ASSERT_TRUE(ex->submit(sh("keep", "sleep 0.3; echo kept")).ok());
  EXPECT_TRUE(ex->cancel("stop"));
  EXPECT_FALSE(ex->cancel("nobody"));
  Finished f = run_all(*ex);
  EXPECT_EQ(f.exits["stop"].signal, 15);
  EXPECT_TRUE(f.exits["keep"].ok);
}

TEST(RoutingExecutor, SendsEachJobToTheExecutorItNames) {
  std::vector<std::pair<std::string, std::unique_ptr<Executor>>> list;
  list.emplace_back("local", make_local_executor({.max_workers = 1}));
  list.emplace_back("other", make_local_executor({.max_workers = 1}));
  auto ex = make_routing_executor(std::move(list));
  JobSpec a = sh("a", "sleep 0.2; echo a"), b = sh("b", "echo b"), c = sh("c", "true");
  b.executor = "other";
  c.executor = "nowhere";
  ASSERT_TRUE(ex->submit(a).ok());  // "" goes to the first
  EXPECT_FALSE(ex->can_accept(sh("a2", "true")));  // the first is full
  EXPECT_TRUE(ex->can_accept(b));                  // the second is not
  ASSERT_TRUE(ex->submit(b).ok());
  Status bad = ex->submit(c);
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("'nowhere' (there are: local, other)"), std::string::npos)
      << bad.to_string();
  EXPECT_EQ(ex->check(c).code(), Code::kInvalidArgument);
  Finished f = run_all(*ex);
  EXPECT_EQ(f.lines["a"], std::vector<std::string>{"a\n"});
  EXPECT_EQ(f.lines["b"], std::vector<std::string>{"b\n"});
}

TEST(RoutingExecutor, WaitsInsteadOfSpinningWhenNothingRuns) {
  std::vector<std::pair<std::string, std::unique_ptr<Executor>>> list;
  list.emplace_back("local", make_local_executor({.max_workers = 1}));
  auto ex = make_routing_executor(std::move(list));
  const auto t0 = std::chrono::steady_clock::now();
  auto events = ex->poll(std::chrono::milliseconds(50));
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace trellis
