#include <gtest/gtest.h>

#include "testing/temp_dir.h"
#include "trellis/client/alias_watcher.h"
#include "trellis/client/client.h"

#include <atomic>
#include <mutex>
#include <thread>

namespace trellis {
namespace {

TEST(Client, ReadsWhatWasRecorded) {
  test::TempDir dir;
  auto md = open_metadata("sqlite://" + dir.file("metadata.db"));
  ASSERT_TRUE(md.ok());
  auto storage = make_local_storage(dir.path());
  ContentStore cas(*storage);
  RunRecord r;
  r.flow = "F";
  const int64_t run = *(*md)->create_run(r);
  TaskRecord t;
  t.flow = "F";
  t.run_id = run;
  t.task_id = 1;
  t.step = "start";
  ASSERT_TRUE((*md)->create_task(t).ok());
  auto blob = cas.put("42");
  ASSERT_TRUE((*md)->finish_task("F", run, 1, {{"answer", blob->digest, "json", "int64", 2}}, -1).ok());

  auto client = Client::open({.root = dir.path()});
  ASSERT_TRUE(client.ok()) << client.status().to_string();
  auto latest = (*client)->latest_run("F");
  ASSERT_TRUE(latest.ok());
  auto task = (*client)->task(*latest, "start");
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(*(*client)->get(*task, Key<int64_t>{"answer"}), 42);
  auto missing = (*client)->artifact(*task, "nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("it has: answer"), std::string::npos);
  auto no_flow = (*client)->runs("G");
  EXPECT_NE(no_flow.status().message().find("known flows: F"), std::string::npos);
  EXPECT_NE((*client)->tasks(*latest, "train").status().message().find("steps that ran: start"),
            std::string::npos);
}

TEST(Client, MissingRootIsAClearError) {
  test::TempDir dir;
  auto client = Client::open({.root = dir.file("nothing-here")});
  EXPECT_EQ(client.status().code(), Code::kNotFound);
}

TEST(AliasWatcher, CallsBackWhenTheAliasMovesAndOnlyThen) {
  test::TempDir dir;
  auto md = std::move(open_metadata("sqlite://" + dir.file("metadata.db"))).value();
  const Json first = {{"pathspec", "F/1/train/2"}}, second = {{"pathspec", "F/2/train/5"}};
  ASSERT_TRUE(md->set_alias("plant/production", first).ok());
  std::mutex mu;
  std::vector<Json> seen;
  AliasWatcher w({.root = dir.path()}, "plant/production", std::chrono::milliseconds(20),
                 [&](const Json& v) {
                   std::lock_guard lock(mu);
                   seen.push_back(v);
                   return true;
                 });
  w.start(first);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(seen.empty()) << "no change yet";
  }
  ASSERT_TRUE(md->set_alias("plant/production", second).ok());  // another process deploys
  for (int i = 0; i < 250; ++i) {
    {
      std::lock_guard lock(mu);
      if (!seen.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(md->set_alias("plant/production", second).ok());  // the same value again
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  w.stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], second);
}

// A change the callback could not act on (a reload was running) is offered again.
TEST(AliasWatcher, OffersAChangeAgainUntilItIsTaken) {
  test::TempDir dir;
  auto md = std::move(open_metadata("sqlite://" + dir.file("metadata.db"))).value();
  ASSERT_TRUE(md->set_alias("a", Json{{"pathspec", "F/1/s/1"}}).ok());
  std::atomic<int> offers{0};
  AliasWatcher w({.root = dir.path()}, "a", std::chrono::milliseconds(10),
                 [&](const Json&) { return ++offers >= 3; });
  w.start(Json{{"pathspec", "F/0/s/1"}});
  for (int i = 0; i < 300 && offers.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  w.stop();
  EXPECT_EQ(offers.load(), 3) << "offered until taken, then no more";
}

TEST(AliasWatcher, ReportsAFailingStoreOnceAndKeepsWatching) {
  test::TempDir dir;
  std::atomic<int> errors{0};
  AliasWatcher w({.root = dir.file("no-store-here")}, "a", std::chrono::milliseconds(10),
                 [](const Json&) { return true; }, [&](const Status& s) {
                   EXPECT_NE(s.message().find("watching alias a"), std::string::npos) << s.message();
                   ++errors;
                 });
  w.start(Json());
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  w.stop();
  EXPECT_EQ(errors.load(), 1);
}

}  // namespace
}  // namespace trellis
