// Test-only: one fresh PostgreSQL schema per test case, so that cases (and several test
// binaries) share a server without seeing each other's rows. The server comes from
// TRELLIS_TEST_PG_URL (scripts/services/postgres-up.sh prints one); without it the
// PostgreSQL cases skip.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>

namespace trellis::test {

inline const char* pg_test_url() {
  const char* url = std::getenv("TRELLIS_TEST_PG_URL");
  return url && *url ? url : nullptr;
}

inline constexpr const char* kNoPgMessage =
    "TRELLIS_TEST_PG_URL is not set; start PostgreSQL with scripts/services/postgres-up.sh "
    "and set it to the URL it prints to run the PostgreSQL cases";

class PgTestSchema {
 public:
  // Creates schema t_<random> on the server of pg_test_url() (which must be set).
  PgTestSchema() : base_(pg_test_url()) {
    std::random_device rd;
    name_ = "t_" + std::to_string(getpid()) + "_" + std::to_string(rd() % 1000000000u);
    admin_ = PQconnectdb(base_.c_str());
    error_ = exec("CREATE SCHEMA " + name_);
    url_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           name_ + "&application_name=" + name_;
  }
  ~PgTestSchema() {
    (void)exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    PQfinish(admin_);
  }
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  // Empty when the schema was created, else what went wrong.
  const std::string& error() const { return error_; }
  // A libpq URI whose search_path is this schema and whose application_name is its name.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  const std::string& base_url() const { return base_; }

  // Runs `sql` on a separate (admin) connection; returns the first value of the first row,
  // or "ERROR: ..." when it failed.
  std::string exec(const std::string& sql) {
    if (PQstatus(admin_) != CONNECTION_OK) return std::string("ERROR: ") + PQerrorMessage(admin_);
    PGresult* r = PQexec(admin_, sql.c_str());
    std::string out;
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    } else if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }

  // Terminates the server backends of every store opened on url() and waits until they are
  // gone; returns how many there were.
  int terminate_stores() {
    return std::stoi("0" + exec("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
                                "FROM pg_stat_activity WHERE application_name = '" +
                                name_ + "'"));
  }

 private:
  std::string base_;
  std::string name_;
  std::string url_;
  std::string error_;
  PGconn* admin_ = nullptr;
};

}  // namespace trellis::test
