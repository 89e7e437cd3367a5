// The stores an end-to-end test runs against. By default a fresh local folder
// (`--root DIR`). With TRELLIS_TEST_STORES=remote: a fresh prefix in the test
// S3 bucket (TRELLIS_TEST_S3_ENDPOINT, TRELLIS_TEST_S3_BUCKET, credentials from
// AWS_*) and a fresh PostgreSQL schema (TRELLIS_TEST_PG_URL), dropped after the
// test. scripts/test.sh starts both servers and runs the e2e suites both ways.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "testing/command.h"
#include "trellis/stores/stores.h"

namespace trellis::test {

class TestStores {
 public:
  // `remote` unset: as TRELLIS_TEST_STORES says.
  explicit TestStores(const std::string& local_dir, std::optional<bool> remote = std::nullopt) {
    const char* mode = std::getenv("TRELLIS_TEST_STORES");
    remote_ = remote.value_or(mode && std::string(mode) == "remote");
    if (!remote_) {
      options_.root = local_dir;
      args_ = " --root " + local_dir;
      return;
    }
    const char* endpoint = std::getenv("TRELLIS_TEST_S3_ENDPOINT");
    const char* pg = std::getenv("TRELLIS_TEST_PG_URL");
    if (!endpoint || !pg) {
      ADD_FAILURE() << "TRELLIS_TEST_STORES=remote needs TRELLIS_TEST_S3_ENDPOINT and "
                       "TRELLIS_TEST_PG_URL (scripts/test.sh sets them)";
      return;
    }
    const char* bucket = std::getenv("TRELLIS_TEST_S3_BUCKET");
    std::random_device rd;
    const std::string id = std::to_string(rd()) + std::to_string(rd());
    schema_ = "e2e_" + id;
    pg_admin_ = pg;
    const CommandResult made = run_command("psql '" + pg_admin_ + "' -qc 'CREATE SCHEMA " + schema_ + "'");
    EXPECT_EQ(made.exit_code, 0) << made.output;
    options_.datastore = std::string("s3://") + (bucket ? bucket : "flow") + "/e2e-" + id +
                         "?endpoint=" + endpoint;
    options_.metadata = pg_admin_ + (pg_admin_.find('?') == std::string::npos ? "?" : "&") +
                        "options=-csearch_path%3D" + schema_;
    args_ = " --datastore '" + options_.datastore + "' --metadata '" + options_.metadata + "'";
  }
  ~TestStores() {
    if (!schema_.empty()) run_command("psql '" + pg_admin_ + "' -qc 'DROP SCHEMA " + schema_ + " CASCADE'");
  }
  TestStores(const TestStores&) = delete;
  TestStores& operator=(const TestStores&) = delete;

  bool remote() const { return remote_; }
  // Command-line flags naming the stores, with a leading space.
  const std::string& args() const { return args_; }
  const StoreFlags& options() const { return options_; }

 private:
  bool remote_ = false;
  StoreFlags options_;
  std::string args_, schema_, pg_admin_;
};

}  // namespace trellis::test
