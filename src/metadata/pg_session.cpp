// libpq sessions with bounded reconnect-and-rerun (see pg_session.h).
#include "metadata/pg_session.h"

#include <poll.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <thread>

#include "metadata/store_common.h"

namespace trellis {
namespace {

// libpq's messages on one line: "...failed: Connection refused\n\tIs the server running..."
// becomes "...failed: Connection refused; Is the server running...".
std::string one_line(std::string_view s) {
  std::string out;
  bool gap = false;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out += "; ";
    gap = false;
    out += c;
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// True when the session's socket has bytes (or an EOF) waiting while no statement runs:
// in that state the server only speaks when it is about to close the connection.
bool has_pending_input(PGconn* conn) {
  pollfd p{.fd = PQsocket(conn), .events = POLLIN, .revents = 0};
  return poll(&p, 1, 0) > 0;
}

}  // namespace

PgParams& PgParams::add(std::string_view v) {
  values_.emplace_back(v);
  return *this;
}

PgParams& PgParams::add(int64_t v) {
  values_.push_back(std::to_string(v));
  return *this;
}

PgParams& PgParams::add(double v) {
  if (std::isnan(v)) return add("NaN");
  if (std::isinf(v)) return add(v > 0 ? "Infinity" : "-Infinity");
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  values_.emplace_back(buf, end);
  return *this;
}

std::vector<const char*> PgParams::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v.c_str());
  return out;
}

std::string PgRows::str(int row, int col) const {
  return std::string(PQgetvalue(result_.get(), row, col),
                     static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

int64_t PgRows::i64(int row, int col) const {
  const char* p = PQgetvalue(result_.get(), row, col);
  int64_t v = 0;
  std::from_chars(p, p + PQgetlength(result_.get(), row, col), v);
  return v;
}

double PgRows::f64(int row, int col) const {
  const std::string s = str(row, col);
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return HUGE_VAL;
  if (s == "-Infinity") return -HUGE_VAL;
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t PgRows::affected() const {
  const char* p = PQcmdTuples(result_.get());
  int64_t v = 0;
  std::from_chars(p, p + std::char_traits<char>::length(p), v);
  return v;
}

Result<PgRows> PgTx::exec(const std::string& sql, const PgParams& params) {
  return session_.run(sql, params);
}

Result<std::unique_ptr<PgSession>> PgSession::open(std::string_view url, PgSessionOptions options) {
  auto session = std::make_unique<PgSession>(url, options);
  TRELLIS_RETURN_IF_ERROR(session->connect());
  return session;
}

PgSession::PgSession(std::string_view url, PgSessionOptions options)
    : conninfo_(url), url_(url_without_password(url)), options_(options) {}

PgSession::~PgSession() {
  if (conn_) PQfinish(conn_);
}

Status PgSession::connect() {
  if (conn_) PQfinish(conn_);
  // Defaults before "dbname" (the URI), which may override them; PG* variables win over
  // defaults we would otherwise set. client_encoding after it: our text is UTF-8.
  std::vector<const char*> keys, values;
  auto set = [&](const char* key, const char* value) {
    keys.push_back(key);
    values.push_back(value);
  };
  if (!std::getenv("PGAPPNAME")) set("application_name", "trellis");
  if (!std::getenv("PGCONNECT_TIMEOUT")) set("connect_timeout", "5");
  // A server that vanishes without closing the connection (host down, network cut) is
  // noticed within about a minute instead of the kernel's hours: keepalive probes after
  // 30 s of silence, and sent data unacknowledged for 60 s.
  set("keepalives_idle", "30");
  set("keepalives_interval", "10");
  set("keepalives_count", "3");
  set("tcp_user_timeout", "60000");
  set("dbname", conninfo_.c_str());
  set("client_encoding", "UTF8");
  set(nullptr, nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return {};
  }
  const std::string msg = conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory";
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  return unavailable("postgres " + url_ + ": cannot connect: " + msg);
}

Status PgSession::ensure_connected() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    // A terminated backend leaves a FATAL message and then EOF; reading both can take
    // two calls.
    for (int i = 0; i < 4 && has_pending_input(conn_); ++i) {
      if (!PQconsumeInput(conn_)) break;
    }
    if (PQstatus(conn_) == CONNECTION_OK) return {};
  }
  return connect();
}

Result<PgRows> PgSession::run(const std::string& sql, const PgParams& params) {
  lost_ = retryable_ = false;
  const std::vector<const char*> values = params.pointers();
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return PgRows(r);
  Status s = error_from(r, sql);
  PQclear(r);
  return s;
}

Status PgSession::error_from(PGresult* result, std::string_view sql) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string msg = one_line(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (msg.empty()) msg = one_line(PQerrorMessage(conn_));
  msg = "postgres " + url_ + ": " + msg;
  // Connection exceptions (08), operator intervention (57P01-57P03: shutdown, crash).
  lost_ = PQstatus(conn_) != CONNECTION_OK || starts_with(sqlstate, "08") ||
          starts_with(sqlstate, "57P0");
  if (lost_) return unavailable(msg);
  if (sqlstate == "40001" || sqlstate == "40P01") {  // serialization failure, deadlock
    retryable_ = true;
    return unavailable(msg);
  }
  if (sqlstate == "23505") return already_exists(msg);
  if (starts_with(sqlstate, "53")) return unavailable(msg);  // out of connections, disk, memory
  const std::string_view verb = sql.substr(0, sql.find(' '));
  return io_error(msg + " (in " + std::string(verb) + ")");
}

void PgSession::backoff(int attempt) const {
  auto wait = options_.first_backoff * (1 << std::min(attempt - 1, 16));
  std::this_thread::sleep_for(std::min(wait, options_.max_backoff));
}

Status PgSession::with_retries(Replay replay, const std::function<Status(bool&)>& once) {
  outcome_unknown_ = false;
  for (int attempt = 1;; ++attempt) {
    Status st = ensure_connected();
    if (st.ok()) {
      bool committing = false;
      st = once(committing);
      if (st.ok() || (!lost_ && !retryable_)) return st;
      if (lost_ && committing && replay == Replay::kBeforeCommit) {
        outcome_unknown_ = true;
        return unavailable(st.message() +
                           " (the connection dropped while it committed; it may "
                           "have taken effect, so it is not rerun)");
      }
    }
    if (attempt >= options_.max_tries) {
      return unavailable(st.message() + " (gave up after " + std::to_string(attempt) + " tries)");
    }
    backoff(attempt);
  }
}

Result<PgRows> PgSession::exec(Replay replay, const std::string& sql, const PgParams& params) {
  std::optional<PgRows> rows;
  Status st = with_retries(replay, [&](bool& committing) {
    committing = true;  // in autocommit mode the statement is its own commit
    Result<PgRows> r = run(sql, params);
    if (!r.ok()) return r.status();
    rows.emplace(std::move(r).value());
    return Status();
  });
  if (!st.ok()) return st;
  return std::move(*rows);
}

Status PgSession::transaction(Replay replay, const std::function<Status(PgTx&)>& body) {
  return with_retries(replay, [&](bool& committing) {
    TRELLIS_RETURN_IF_ERROR(run("BEGIN", {}));
    PgTx tx(*this);
    Status st = body(tx);
    if (st.ok()) {
      committing = true;
      return run("COMMIT", {}).status();
    }
    if (!lost_) {  // keep what the failed statement said about rerunning
      const bool retryable = retryable_;
      (void)run("ROLLBACK", {});
      retryable_ = retryable;
      lost_ = false;
    }
    return st;
  });
}

}  // namespace trellis
