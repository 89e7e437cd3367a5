// Private to src/metadata: a thin layer over libpq's C API for the PostgreSQL store.
// PgSession owns one connection and runs parameterized statements (PQexecParams, text
// parameters) singly or as a transaction; when the connection drops it reconnects and
// reruns the statement or the whole transaction a bounded number of times, where that is
// safe. Not thread-safe: one session per MetadataStore instance.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

// Positional text parameters $1, $2, ... of one statement.
class PgParams {
 public:
  PgParams() = default;
  template <typename... Args>
  explicit PgParams(const Args&... args) {
    (add(args), ...);
  }
  PgParams& add(std::string_view v);
  PgParams& add(const std::string& v) { return add(std::string_view(v)); }
  PgParams& add(const char* v) { return add(std::string_view(v)); }
  PgParams& add(int64_t v);
  PgParams& add(int v) { return add(static_cast<int64_t>(v)); }
  PgParams& add(double v);  // exact: shortest round-trip text, NaN and infinities included
  size_t size() const { return values_.size(); }
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::string> values_;
};

// The rows of a statement's result (text format).
class PgRows {
 public:
  explicit PgRows(PGresult* result) : result_(result) {}
  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  std::string str(int row, int col) const;
  int64_t i64(int row, int col) const;
  double f64(int row, int col) const;
  bool boolean(int row, int col) const { return str(row, col) == "t"; }
  // Rows an INSERT, UPDATE or DELETE touched.
  int64_t affected() const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// Whether an operation may be rerun when the connection drops while its commit is in
// flight (the server may or may not have committed it).
enum class Replay {
  kAlways,        // idempotent: reads, upserts, "set to" updates
  kBeforeCommit,  // rerun only when the loss happened before COMMIT was sent
};

struct PgSessionOptions {
  int max_tries = 6;                            // attempts per operation, reconnects included
  std::chrono::milliseconds first_backoff{50};  // doubles after each lost connection
  std::chrono::milliseconds max_backoff{1000};
};

class PgSession;

// The statements of one transaction (PgSession::transaction).
class PgTx {
 public:
  Result<PgRows> exec(const std::string& sql, const PgParams& params = {});

 private:
  friend class PgSession;
  explicit PgTx(PgSession& session) : session_(session) {}
  PgSession& session_;
};

class PgSession {
 public:
  // Connects to the libpq URI `url`. kUnavailable naming the URL (without password)
  // when the server cannot be reached within its connect_timeout (default 5 s).
  static Result<std::unique_ptr<PgSession>> open(std::string_view url,
                                                 PgSessionOptions options = {});
  // Not connected yet; open() is the way in.
  PgSession(std::string_view url, PgSessionOptions options);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // One statement in autocommit mode.
  Result<PgRows> exec(Replay replay, const std::string& sql, const PgParams& params = {});
  // `body` between BEGIN and COMMIT; rolled back when it returns an error. After a lost
  // connection, a deadlock or a serialization failure the whole body runs again.
  Status transaction(Replay replay, const std::function<Status(PgTx&)>& body);

  // True when the last exec() or transaction() failed because the connection dropped while
  // it committed: it may have taken effect. The caller may look and see.
  bool outcome_unknown() const { return outcome_unknown_; }

  const std::string& url() const { return url_; }

 private:
  friend class PgTx;
  Status connect();
  Status ensure_connected();
  // Runs one statement; notes a lost connection or a retryable failure in lost_/retryable_.
  Result<PgRows> run(const std::string& sql, const PgParams& params);
  Status error_from(PGresult* result, std::string_view sql);
  // Calls `once` (after reconnecting when needed) until it succeeds, fails for a reason a
  // rerun cannot fix, or options_.max_tries are spent. `once` sets its argument when the
  // failure may have come while committing.
  Status with_retries(Replay replay, const std::function<Status(bool&)>& once);
  void backoff(int attempt) const;

  const std::string conninfo_;  // the URI as given (password included)
  const std::string url_;       // without password
  const PgSessionOptions options_;
  PGconn* conn_ = nullptr;
  bool lost_ = false;       // the last statement failed because the connection dropped
  bool retryable_ = false;  // ... or because of a deadlock or serialization failure
  bool outcome_unknown_ = false;
};

}  // namespace trellis
