// PostgreSQL-only behaviour of the metadata store: migrations, reconnects, URLs. The
// shared contract is in metadata_test.cpp. Needs TRELLIS_TEST_PG_URL; skipped without it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "metadata/pg_test_schema.h"
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
  TaskRecord t;
  t.flow = "F";
  t.run_id = 2;
  t.task_id = 1;
  t.step = "start";
  ASSERT_EQ(pg_->terminate_stores(), 1);
  ASSERT_TRUE(md->create_task(t).ok());  // a single non-idempotent statement
  ASSERT_EQ(pg_->terminate_stores(), 1);
  ASSERT_TRUE(md->finish_task("F", 2, 1, {{"x", "d", "json", "", 1}}, -1).ok());
  EXPECT_EQ(md->list_runs("F")->size(), 2u);
  EXPECT_EQ(md->get_task("F", 2, 1)->status, TaskStatus::kDone);
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
  const char* keys[][2] = {{"host", "PGHOST"}, {"port", "PGPORT"}, {"user", "PGUSER"},
                           {"password", "PGPASSWORD"}, {"dbname", "PGDATABASE"}};
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
