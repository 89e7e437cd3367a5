#include <gtest/gtest.h>

#include "testing/temp_dir.h"
#include "trellis/client/client.h"

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

}  // namespace
}  // namespace trellis
