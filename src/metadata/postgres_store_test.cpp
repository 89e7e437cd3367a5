// PostgreSQL-only behaviour of the metadata store: migrations, reconnects, URLs. The
// shared contract is in metadata_test.cpp. Needs TRELLIS_TEST_PG_URL; skipped without it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "metadata/pg_test_schema.h"
#include "testing/flaky_proxy.h"
#include "metadata/store_common.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis {
namespace {

class PostgresMetadata : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::pg_test_url()) GTEST_SKIP() << test::kNoPgMessage;
    pg_ = std::make_unique<test::PgTestSchema>();
    ASSERT_EQ(pg_->error(), "");
  }
  std::unique_ptr<MetadataStore> open(const std::string& url) {
    auto md = open_metadata(url);
    EXPECT_TRUE(md.ok()) << md.status().to_string();
    return md.ok() ? std::move(md).value() : nullptr;
  }
  // The value of `keyword` in the test server's URL ("" when absent).
  std::string conninfo(const char* keyword) {
    PQconninfoOption* options = PQconninfoParse(pg_->base_url().c_str(), nullptr);
    std::string out;
    for (PQconninfoOption* o = options; o && o->keyword; ++o) {
      if (o->val && std::string(o->keyword) == keyword) out = o->val;
    }
    PQconninfoFree(options);
    return out;
  }
  // True once the store's backend waits for a lock that the admin session holds (polled,
  // for at most 5 s).
  bool store_waits_for_a_lock() {
    const std::string waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                                pg_->name() + "' AND wait_event_type = 'Lock'";
    for (int i = 0; i < 500; ++i) {
      (void)pg_->exec("SELECT pg_stat_clear_snapshot()");  // else a snapshot within a transaction
      if (pg_->exec(waiting) == "1") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  TaskRecord task(int64_t id) {
    TaskRecord t;
    t.flow = "F";
    t.run_id = 1;
    t.task_id = id;
    t.step = "start";
    return t;
  }
  // A URL for this test's schema through `proxy`; empty when the test server is not on
  // 127.0.0.1 over TCP.
  std::string via(const test::FlakyProxy& proxy) {
    const std::string host = conninfo("host");
    if (!host.empty() && host != "127.0.0.1" && host != "localhost") return "";
    auto encoded = [](const std::string& v) {
      std::string out;
      for (unsigned char c : v) {
        static const char* hex = "0123456789ABCDEF";
        if (std::isalnum(c))
          out += static_cast<char>(c);
        else
          out += std::string("%") + hex[c >> 4] + hex[c & 15];
      }
      return out;
    };
    std::string url = "postgresql://127.0.0.1:" + std::to_string(proxy.port()) + "/" +
                      encoded(conninfo("dbname")) + "?sslmode=disable&options=-csearch_path%3D" +
                      pg_->name() + "&application_name=" + pg_->name();
    for (const char* keyword : {"user", "password"}) {
      if (!conninfo(keyword).empty())
        url += std::string("&") + keyword + "=" + encoded(conninfo(keyword));
    }
    return url;
  }
  int upstream_port() {
    const std::string port = conninfo("port");
    return port.empty() ? 5432 : std::stoi(port);
  }
  RunRecord run(const std::string& flow) {
    RunRecord r;
    r.flow = flow;
    return r;
  }

  std::unique_ptr<test::PgTestSchema> pg_;
};

TEST_F(PostgresMetadata, MigrationsAreIdempotentAndSafeForConcurrentFirstUsers) {
  constexpr int kProcs = 6;
  for (int p = 0; p < kProcs; ++p) {
    if (fork() == 0) {
      auto md = open_metadata(pg_->url());  // all race to create the schema
      if (!md.ok()) _exit(1);
      _exit((*md)->create_run(run("F")).ok() ? 0 : 2);
    }
  }
  for (int p = 0; p < kProcs; ++p) {
    int status = 0;
    wait(&status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  const std::string schema = pg_->name() + ".schema_version";
  const std::string applied = pg_->exec("SELECT count(*) FROM " + schema);
  EXPECT_EQ(applied, pg_->exec("SELECT max(version) FROM " + schema));  // once each
  EXPECT_NE(applied, "0");
  auto md = open(pg_->url());
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->list_runs("F")->size(), size_t(kProcs));
  md = open(pg_->url());  // and again: nothing to do
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(pg_->exec("SELECT count(*) FROM " + schema), applied);
}

TEST_F(PostgresMetadata, ASchemaFromANewerTrellisIsRefused) {
  ASSERT_NE(open(pg_->url()), nullptr);
  ASSERT_EQ(pg_->exec("INSERT INTO " + pg_->name() + ".schema_version VALUES(999, 0)"), "");
  auto md = open_metadata(pg_->url());
  ASSERT_EQ(md.status().code(), Code::kInvalidArgument);
  EXPECT_NE(md.status().message().find("999"), std::string::npos) << md.status().message();
  EXPECT_NE(md.status().message().find(url_without_password(pg_->url())), std::string::npos)
      << md.status().message();
}

TEST_F(PostgresMetadata, ReconnectsAfterItsBackendIsTerminated) {
  auto md = open(pg_->url());
  ASSERT_NE(md, nullptr);
  ASSERT_EQ(*md->create_run(run("F")), 1);
  ASSERT_EQ(pg_->terminate_stores(), 1);
  auto got = md->get_run("F", 1);  // a read
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(pg_->terminate_stores(), 1);
  auto id = md->create_run(run("F"));  // a transaction that must not be doubled
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(*id, 2);
  ASSERT_EQ(pg_->terminate_stores(), 1);
  ASSERT_TRUE(md->create_task(task(1)).ok());  // a single non-idempotent statement
  ASSERT_EQ(pg_->terminate_stores(), 1);
  ASSERT_TRUE(md->finish_task("F", 1, 1, {{"x", "d", "json", "", 1}}, -1).ok());
  EXPECT_EQ(md->list_runs("F")->size(), 2u);
  EXPECT_EQ(md->get_task("F", 1, 1)->status, TaskStatus::kDone);
}

TEST_F(PostgresMetadata, ATransactionCutOffMidwayIsRerunWhole) {
  auto md = open(pg_->url());
  ASSERT_NE(md, nullptr);
  ASSERT_EQ(*md->create_run(run("F")), 1);
  ASSERT_TRUE(md->create_task(task(1)).ok());
  // Another session holds the task's row, so finish_task stops inside its transaction.
  ASSERT_EQ(pg_->exec("BEGIN"), "");
  ASSERT_EQ(pg_->exec("SELECT 1 FROM " + pg_->name() + ".tasks FOR UPDATE"), "1");
  Status finished;
  std::thread finisher([&] {
    finished = md->finish_task("F", 1, 1, {{"x", "d", "json", "", 1}}, 4);
  });
  EXPECT_TRUE(store_waits_for_a_lock());
  EXPECT_EQ(pg_->terminate_stores(), 1);  // cut off before COMMIT: rerun from BEGIN
  EXPECT_TRUE(store_waits_for_a_lock());
  EXPECT_EQ(pg_->exec("ROLLBACK"), "");
  finisher.join();
  ASSERT_TRUE(finished.ok()) << finished.to_string();
  EXPECT_EQ(md->get_task("F", 1, 1)->foreach_count, 4);
  EXPECT_EQ(md->list_artifacts("F", 1, 1)->size(), 1u);
}

TEST_F(PostgresMetadata, AStatementThatMayHaveCommittedIsNotRerun) {
  auto md = open(pg_->url());
  ASSERT_NE(md, nullptr);
  // An uncommitted row with the same key makes create_task wait inside its INSERT.
  ASSERT_EQ(pg_->exec("BEGIN"), "");
  ASSERT_EQ(pg_->exec("INSERT INTO " + pg_->name() +
                      ".tasks(flow, run_id, task_id, step, status, "
                      "foreach_stack, inputs, created_ms) VALUES('F', 1, 1, 's', 'pending', "
                      "'[]', '[]', 0)"),
            "");
  Status created;
  std::thread creator([&] { created = md->create_task(task(1)); });
  EXPECT_TRUE(store_waits_for_a_lock());
  EXPECT_EQ(pg_->terminate_stores(), 1);
  creator.join();
  EXPECT_EQ(pg_->exec("ROLLBACK"), "");
  EXPECT_EQ(created.code(), Code::kUnavailable);
  EXPECT_NE(created.message().find("not rerun"), std::string::npos) << created.message();
  EXPECT_NE(created.message().find("F/1/task 1"), std::string::npos) << created.message();
  ASSERT_TRUE(md->create_task(task(1)).ok());  // the store itself is fine again
}

TEST_F(PostgresMetadata, AFinishTaskWhoseCommitAnswerIsLostIsDoneAnyway) {
  test::FlakyProxy proxy(upstream_port(), 0, test::ProxyFault::kReset);
  const std::string url = via(proxy);
  if (url.empty()) GTEST_SKIP() << "the test server is not on 127.0.0.1";
  auto md = open(url);
  ASSERT_NE(md, nullptr);
  ASSERT_EQ(*md->create_run(run("F")), 1);
  ASSERT_TRUE(md->create_task(task(1)).ok());
  proxy.lose_answer_to("COMMIT");
  Status done =
      md->finish_task("F", 1, 1, {{"b", "d2", "json", "", 2}, {"a", "d1", "json", "", 1}}, 3);
  EXPECT_EQ(proxy.answers_lost(), 1);
  EXPECT_TRUE(done.ok()) << done.to_string();  // it looked: the task is done with its index
  EXPECT_EQ(md->get_task("F", 1, 1)->status, TaskStatus::kDone);
  EXPECT_EQ(md->finish_task("F", 1, 1, {}, -1).code(), Code::kAlreadyExists);
}

TEST_F(PostgresMetadata, ACreateRunWhoseCommitAnswerIsLostSaysItMayHaveHappened) {
  test::FlakyProxy proxy(upstream_port(), 0, test::ProxyFault::kReset);
  const std::string url = via(proxy);
  if (url.empty()) GTEST_SKIP() << "the test server is not on 127.0.0.1";
  auto md = open(url);
  ASSERT_NE(md, nullptr);
  proxy.lose_answer_to("COMMIT");
  auto id = md->create_run(run("F"));
  EXPECT_EQ(proxy.answers_lost(), 1);
  ASSERT_EQ(id.status().code(), Code::kUnavailable);
  EXPECT_NE(id.status().message().find("may have taken effect"), std::string::npos)
      << id.status().message();
  EXPECT_EQ(pg_->exec("SELECT count(*) FROM " + pg_->name() + ".runs"), "1");  // it had
  EXPECT_EQ(*md->create_run(run("F")), 2);  // not rerun: no second run 1
}

TEST_F(PostgresMetadata, AnUnreachableServerIsAFastErrorNamingTheUrl) {
  const auto start = std::chrono::steady_clock::now();
  auto md = open_metadata("postgresql://flow:s3cret@127.0.0.1:1/flow");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(md.ok());
  EXPECT_EQ(md.status().code(), Code::kUnavailable);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_NE(md.status().message().find("postgresql://flow@127.0.0.1:1/flow"), std::string::npos)
      << md.status().message();
  EXPECT_EQ(md.status().message().find("s3cret"), std::string::npos);
}

TEST_F(PostgresMetadata, UrlHidesThePassword) {
  const std::string password = conninfo("password");
  const std::string url = pg_->url() + "&password=" + (password.empty() ? "x" : password);
  auto md = open(url);
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->url().find("password"), std::string::npos) << md->url();
  if (!password.empty()) {
    EXPECT_EQ(md->url().find(":" + password + "@"), std::string::npos) << md->url();
  }
  EXPECT_EQ(md->url(), url_without_password(pg_->url()));
}

TEST_F(PostgresMetadata, EnvironmentFillsInWhatTheUriLeavesOut) {
  const char* keys[][2] = {{"host", "PGHOST"},
                           {"port", "PGPORT"},
                           {"user", "PGUSER"},
                           {"password", "PGPASSWORD"},
                           {"dbname", "PGDATABASE"}};
  for (auto& [keyword, var] : keys) {
    const std::string v = conninfo(keyword);
    if (!v.empty()) setenv(var, v.c_str(), 1);
  }
  const std::string query = "?options=-csearch_path%3D" + pg_->name();
  auto bare = open_metadata("postgresql://" + query);
  auto other_scheme = open_metadata("postgres://" + query);
  for (auto& [keyword, var] : keys) unsetenv(var);
  ASSERT_TRUE(bare.ok()) << bare.status().to_string();
  ASSERT_TRUE(other_scheme.ok()) << other_scheme.status().to_string();
  EXPECT_EQ(*(*bare)->create_run(run("F")), 1);
  EXPECT_EQ((*other_scheme)->get_run("F", 1)->run_id, 1);
  EXPECT_EQ((*bare)->url(), "postgresql://" + query);
}

}  // namespace
}  // namespace trellis
