#include <gtest/gtest.h>

#include <map>

#include "trellis/executor/executor.h"

namespace trellis {
namespace {

struct Finished {
  std::map<std::string, JobExit> exits;
  std::map<std::string, std::vector<std::string>> lines;
};

Finished run_all(Executor& ex) {
  Finished f;
  while (ex.running() > 0) {
    auto events = ex.poll(std::chrono::milliseconds(1000));
    EXPECT_TRUE(events.ok());
    for (auto& e : *events) {
      if (e.kind == JobEvent::Kind::kOutput) f.lines[e.id].push_back(e.text);
      else f.exits[e.id] = e.exit;
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

}  // namespace
}  // namespace trellis
