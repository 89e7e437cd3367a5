// SQLite implementation of MetadataStore. WAL mode lets one writer and many
// readers work at once; writers wait (busy timeout) instead of failing, which
// is what many task processes finishing together need.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "metadata/store_common.h"
#include "trellis/core/clock.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis {
namespace {

// 2: media table, 3: checkpoints, tasks.resumed_from, 4: flow_counters (run ids never reused)
constexpr int kSchemaVersion = 5;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, status TEXT NOT NULL,
  created_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
  params TEXT NOT NULL, code TEXT NOT NULL, origin_run_id INTEGER NOT NULL DEFAULT 0,
  host TEXT NOT NULL DEFAULT '', orchestrator_pid INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(flow, run_id));
CREATE TABLE IF NOT EXISTS tasks(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, task_id INTEGER NOT NULL, step TEXT NOT NULL,
  status TEXT NOT NULL, foreach_stack TEXT NOT NULL, inputs TEXT NOT NULL,
  foreach_count INTEGER NOT NULL DEFAULT -1, created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL DEFAULT 0, finished_ms INTEGER NOT NULL DEFAULT 0,
  cloned_from TEXT NOT NULL DEFAULT '', resumed_from TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(flow, run_id, task_id));
CREATE TABLE IF NOT EXISTS checkpoints(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, task_id INTEGER NOT NULL, name TEXT NOT NULL,
  digest TEXT NOT NULL, codec TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY(flow, run_id, task_id, name));
CREATE TABLE IF NOT EXISTS attempts(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, task_id INTEGER NOT NULL, attempt INTEGER NOT NULL,
  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL, ok INTEGER NOT NULL,
  exit_code INTEGER NOT NULL, signal INTEGER NOT NULL, reason TEXT NOT NULL,
  log_digest TEXT NOT NULL, executor TEXT NOT NULL DEFAULT '', job_id TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '', PRIMARY KEY(flow, run_id, task_id, attempt));
CREATE TABLE IF NOT EXISTS artifacts(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, task_id INTEGER NOT NULL, name TEXT NOT NULL,
  digest TEXT NOT NULL, codec TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY(flow, run_id, task_id, name));
CREATE TABLE IF NOT EXISTS tags(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, tag TEXT NOT NULL,
  PRIMARY KEY(flow, run_id, tag));
CREATE TABLE IF NOT EXISTS metrics(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, task_id INTEGER NOT NULL, name TEXT NOT NULL,
  step INTEGER NOT NULL, value REAL NOT NULL, time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS metrics_by_task ON metrics(flow, run_id, task_id);
CREATE TABLE IF NOT EXISTS media(
  flow TEXT NOT NULL, run_id INTEGER NOT NULL, task_id INTEGER NOT NULL, name TEXT NOT NULL,
  kind TEXT NOT NULL, step INTEGER NOT NULL, digest TEXT NOT NULL, meta TEXT NOT NULL,
  time_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS media_by_task ON media(flow, run_id, task_id);
CREATE TABLE IF NOT EXISTS aliases(
  alias TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS flow_counters(flow TEXT PRIMARY KEY, last_run_id INTEGER NOT NULL);
)sql";

const std::string kSelectRunDigests =
    "SELECT digest FROM artifacts WHERE flow = ? AND run_id = ? UNION "
    "SELECT digest FROM checkpoints WHERE flow = ? AND run_id = ? UNION "
    "SELECT log_digest FROM attempts WHERE flow = ? AND run_id = ? UNION "
    "SELECT digest FROM media WHERE flow = ? AND run_id = ? "
    "EXCEPT SELECT '' ORDER BY 1";

// One prepared statement; binds by position, steps, finalizes on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(std::string_view v) {
    sqlite3_bind_text(stmt_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(const char* v) { return bind(std::string_view(v)); }
  Stmt& bind(const std::string& v) { return bind(std::string_view(v)); }
  Stmt& bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++n_, v);
    return *this;
  }
  Stmt& bind(int v) { return bind(static_cast<int64_t>(v)); }
  // SQLite stores a NaN REAL as NULL; it is kept as the text 'NaN' instead (a REAL column
  // keeps text that is not a number as text), which f64() reads back.
  Stmt& bind(double v) {
    if (std::isnan(v)) return bind("NaN");
    sqlite3_bind_double(stmt_, ++n_, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_) : rc_; }
  Status run() {
    int rc = step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return error(rc);
    return {};
  }
  Status error(int rc) const {
    std::string msg = std::string("sqlite: ") + sqlite3_errmsg(db_);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return unavailable(msg);
    if (rc == SQLITE_CONSTRAINT) return already_exists(msg);
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return corrupt(msg);
    return io_error(msg);
  }
  int64_t i64(int col) { return sqlite3_column_int64(stmt_, col); }
  double f64(int col) {
    if (sqlite3_column_type(stmt_, col) == SQLITE_TEXT) return std::nan("");
    return sqlite3_column_double(stmt_, col);
  }
  std::string str(int col) {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  Json json(int col) { return json_from_column(str(col)); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
  int n_ = 0;
};

class SqliteStore final : public MetadataStore {
 public:
  SqliteStore(sqlite3* db, std::string url) : db_(db), url_(std::move(url)) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  // Processes opening a new database together can see SQLITE_BUSY without the
  // busy handler being consulted (the switch to WAL, first-time recovery):
  // the whole initialization is retried for a while.
  Status init() {
    sqlite3_busy_timeout(db_, 30000);
    Status st;
    for (int i = 0; i < 2000; ++i) {
      st = try_init();
      if (st.code() != Code::kUnavailable) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(2 + i % 10));
    }
    return st;
  }

  Status try_init() {
    TRELLIS_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
    Stmt v(db_, "PRAGMA user_version");
    const int rc = v.step();
    if (rc != SQLITE_ROW) return v.error(rc);
    const int64_t version = v.i64(0);
    if (version == kSchemaVersion) return {};
    if (version > kSchemaVersion) {
      return invalid_argument("metadata schema " + std::to_string(version) +
                              " is newer than this trellis understands (" +
                              std::to_string(kSchemaVersion) + ")");
    }
    TRELLIS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status s = exec(kSchema);
    if (s.ok() && version >= 1 && version < 3) {
      s = exec("ALTER TABLE tasks ADD COLUMN resumed_from TEXT NOT NULL DEFAULT ''");
    }
    if (s.ok() && version < 4) {
      s = exec("INSERT OR IGNORE INTO flow_counters(flow, last_run_id) "
               "SELECT flow, MAX(run_id) FROM runs GROUP BY flow");
    }
    if (s.ok() && version >= 1 && version < 5) {
      for (const char* column : {"executor", "job_id", "host"}) {
        Result<bool> has = has_column("attempts", column);
        s = has.status();
        if (s.ok() && !*has) {
          s = exec(std::string("ALTER TABLE attempts ADD COLUMN ") + column +
                   " TEXT NOT NULL DEFAULT ''");
        }
        if (!s.ok()) break;
      }
    }
    if (s.ok()) s = exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    if (!s.ok()) {
      (void)exec("ROLLBACK");
      return s;
    }
    return exec("COMMIT");
  }

  Result<bool> has_column(const std::string& table, const std::string& column) {
    Stmt q(db_, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?");
    q.bind(table).bind(column);
    const int rc = q.step();
    if (rc != SQLITE_ROW) return q.error(rc);
    return q.i64(0) > 0;
  }

  Result<int64_t> create_run(const RunRecord& run) override {
    TRELLIS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Stmt next(db_,
              "INSERT INTO flow_counters(flow, last_run_id) VALUES(?, 1) ON CONFLICT(flow) "
              "DO UPDATE SET last_run_id = last_run_id + 1 RETURNING last_run_id");
    next.bind(run.flow);
    int rc = next.step();
    if (rc != SQLITE_ROW) return rollback(next.error(rc));
    const int64_t id = next.i64(0);
    rc = next.step();  // finishes the statement, which COMMIT needs
    if (rc != SQLITE_DONE) return rollback(next.error(rc));
    Stmt ins(db_,
             "INSERT INTO runs(flow, run_id, status, created_ms, params, code, origin_run_id, "
             "host, orchestrator_pid) VALUES(?,?,?,?,?,?,?,?,?)");
    ins.bind(run.flow).bind(id).bind(to_string(run.status)).bind(run.created_ms)
        .bind(json_column(run.params)).bind(json_column(run.code)).bind(run.origin_run_id).bind(run.host)
        .bind(run.orchestrator_pid);
    Status s = ins.run();
    if (!s.ok()) return rollback(s);
    TRELLIS_RETURN_IF_ERROR(exec("COMMIT"));
    return id;
  }

  Status finish_run(std::string_view flow, int64_t run_id, RunStatus status) override {
    Stmt s(db_, "UPDATE runs SET status = ?, finished_ms = ? WHERE flow = ? AND run_id = ?");
    s.bind(to_string(status)).bind(now_unix_ms()).bind(flow).bind(run_id);
    return s.run();
  }

  Result<RunRecord> get_run(std::string_view flow, int64_t run_id) override {
    Stmt s(db_, kSelectRun + " WHERE flow = ? AND run_id = ?");
    s.bind(flow).bind(run_id);
    int rc = s.step();
    if (rc == SQLITE_DONE) {
      return not_found("no run " + run_name(flow, run_id));
    }
    if (rc != SQLITE_ROW) return s.error(rc);
    RunRecord r = read_run(s);
    TRELLIS_RETURN_IF_ERROR(load_tags(r));
    return r;
  }

  Result<std::vector<RunRecord>> list_runs(std::string_view flow) override {
    Stmt s(db_, kSelectRun + " WHERE flow = ? ORDER BY run_id DESC");
    s.bind(flow);
    std::vector<RunRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_run(s));
    if (rc != SQLITE_DONE) return s.error(rc);
    for (auto& r : out) TRELLIS_RETURN_IF_ERROR(load_tags(r));
    return out;
  }

  Result<std::vector<std::string>> list_flows() override {
    Stmt s(db_, "SELECT DISTINCT flow FROM runs ORDER BY flow");
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.str(0));
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status create_task(const TaskRecord& t) override {
    Stmt s(db_,
           "INSERT INTO tasks(flow, run_id, task_id, step, status, foreach_stack, inputs, "
           "foreach_count, created_ms, started_ms, finished_ms, cloned_from, resumed_from) "
           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(t.flow).bind(t.run_id).bind(t.task_id).bind(t.step).bind(to_string(t.status))
        .bind(json_column(t.foreach_stack)).bind(json_column(t.inputs)).bind(t.foreach_count)
        .bind(t.created_ms).bind(t.started_ms).bind(t.finished_ms).bind(t.cloned_from)
        .bind(t.resumed_from);
    return s.run().with_context(task_name(t.flow, t.run_id, t.task_id));
  }

  Status set_task_status(std::string_view flow, int64_t run_id, int64_t task_id,
                         TaskStatus status) override {
    const char* sql = status == TaskStatus::kRunning
        ? "UPDATE tasks SET status = ?, started_ms = CASE WHEN started_ms = 0 THEN ? ELSE "
          "started_ms END WHERE flow = ? AND run_id = ? AND task_id = ? AND status != 'done'"
        : "UPDATE tasks SET status = ?, finished_ms = ? WHERE flow = ? AND run_id = ? AND "
          "task_id = ? AND status != 'done'";
    Stmt s(db_, sql);
    s.bind(to_string(status)).bind(now_unix_ms()).bind(flow).bind(run_id).bind(task_id);
    return s.run();
  }

  Status finish_task(std::string_view flow, int64_t run_id, int64_t task_id,
                     const std::vector<ArtifactRecord>& artifacts,
                     int64_t foreach_count) override {
    TRELLIS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Stmt check(db_, "SELECT status FROM tasks WHERE flow = ? AND run_id = ? AND task_id = ?");
    check.bind(flow).bind(run_id).bind(task_id);
    int rc = check.step();
    if (rc == SQLITE_DONE) {
      return rollback(not_found("no task " + task_name(flow, run_id, task_id)));
    }
    if (rc != SQLITE_ROW) return rollback(check.error(rc));
    if (check.str(0) == "done") {
      return rollback(already_exists(task_name(flow, run_id, task_id) + " is already done"));
    }
    Stmt del(db_, "DELETE FROM artifacts WHERE flow = ? AND run_id = ? AND task_id = ?");
    del.bind(flow).bind(run_id).bind(task_id);
    if (Status s = del.run(); !s.ok()) return rollback(s);
    for (const auto& a : artifacts) {
      Stmt ins(db_,
               "INSERT INTO artifacts(flow, run_id, task_id, name, digest, codec, type, size) "
               "VALUES(?,?,?,?,?,?,?,?)");
      ins.bind(flow).bind(run_id).bind(task_id).bind(a.name).bind(a.digest).bind(a.codec)
          .bind(a.type).bind(static_cast<int64_t>(a.size));
      if (Status s = ins.run(); !s.ok()) return rollback(s.with_context("artifact " + a.name));
    }
    Stmt done(db_,
              "UPDATE tasks SET status = 'done', finished_ms = ?, foreach_count = ? "
              "WHERE flow = ? AND run_id = ? AND task_id = ?");
    done.bind(now_unix_ms()).bind(foreach_count).bind(flow).bind(run_id).bind(task_id);
    if (Status s = done.run(); !s.ok()) return rollback(s);
    return exec("COMMIT");
  }

  Result<TaskRecord> get_task(std::string_view flow, int64_t run_id, int64_t task_id) override {
    Stmt s(db_, kSelectTask + " WHERE t.flow = ? AND t.run_id = ? AND t.task_id = ?");
    s.bind(flow).bind(run_id).bind(task_id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return not_found("no task " + task_name(flow, run_id, task_id));
    if (rc != SQLITE_ROW) return s.error(rc);
    return read_task(s);
  }

  Result<std::vector<TaskRecord>> list_tasks(std::string_view flow, int64_t run_id) override {
    Stmt s(db_, kSelectTask + " WHERE t.flow = ? AND t.run_id = ? ORDER BY t.task_id");
    s.bind(flow).bind(run_id);
    std::vector<TaskRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_task(s));
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Result<std::vector<TaskRecord>> list_step_tasks(std::string_view flow, int64_t run_id,
                                                  std::string_view step) override {
    Stmt s(db_, kSelectTask + " WHERE t.flow = ? AND t.run_id = ? AND t.step = ? ORDER BY t.task_id");
    s.bind(flow).bind(run_id).bind(step);
    std::vector<TaskRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_task(s));
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status record_attempt(const AttemptRecord& a) override {
    Stmt s(db_,
           "INSERT OR REPLACE INTO attempts(flow, run_id, task_id, attempt, started_ms, "
           "finished_ms, ok, exit_code, signal, reason, log_digest, executor, job_id, host) "
           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(a.flow).bind(a.run_id).bind(a.task_id).bind(a.attempt).bind(a.started_ms)
        .bind(a.finished_ms).bind(a.ok ? 1 : 0).bind(a.exit_code).bind(a.signal).bind(a.reason)
        .bind(a.log_digest).bind(a.executor).bind(a.job_id).bind(a.host);
    return s.run();
  }

  Result<std::vector<AttemptRecord>> list_attempts(std::string_view flow, int64_t run_id,
                                                   int64_t task_id) override {
    Stmt s(db_,
           "SELECT attempt, started_ms, finished_ms, ok, exit_code, signal, reason, log_digest, "
           "executor, job_id, host "
           "FROM attempts WHERE flow = ? AND run_id = ? AND task_id = ? ORDER BY attempt");
    s.bind(flow).bind(run_id).bind(task_id);
    std::vector<AttemptRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      AttemptRecord a;
      a.flow = flow;
      a.run_id = run_id;
      a.task_id = task_id;
      a.attempt = static_cast<int>(s.i64(0));
      a.started_ms = s.i64(1);
      a.finished_ms = s.i64(2);
      a.ok = s.i64(3) != 0;
      a.exit_code = static_cast<int>(s.i64(4));
      a.signal = static_cast<int>(s.i64(5));
      a.reason = s.str(6);
      a.log_digest = s.str(7);
      a.executor = s.str(8);
      a.job_id = s.str(9);
      a.host = s.str(10);
      out.push_back(std::move(a));
    }
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status save_checkpoint(std::string_view flow, int64_t run_id, int64_t task_id,
                         const ArtifactRecord& a) override {
    Stmt s(db_,
           "INSERT OR REPLACE INTO checkpoints(flow, run_id, task_id, name, digest, codec, type, "
           "size) VALUES(?,?,?,?,?,?,?,?)");
    s.bind(flow).bind(run_id).bind(task_id).bind(a.name).bind(a.digest).bind(a.codec)
        .bind(a.type).bind(static_cast<int64_t>(a.size));
    return s.run();
  }

  Result<std::vector<ArtifactRecord>> list_checkpoints(std::string_view flow, int64_t run_id,
                                                       int64_t task_id) override {
    return list_records("checkpoints", flow, run_id, task_id);
  }

  Result<std::vector<ArtifactRecord>> list_artifacts(std::string_view flow, int64_t run_id,
                                                     int64_t task_id) override {
    return list_records("artifacts", flow, run_id, task_id);
  }

  Result<ArtifactRecord> get_artifact(std::string_view flow, int64_t run_id, int64_t task_id,
                                      std::string_view name) override {
    Stmt s(db_,
           "SELECT name, digest, codec, type, size FROM artifacts WHERE flow = ? AND run_id = ? "
           "AND task_id = ? AND name = ?");
    s.bind(flow).bind(run_id).bind(task_id).bind(name);
    const int rc = s.step();
    if (rc == SQLITE_ROW) {
      return ArtifactRecord{s.str(0), s.str(1), s.str(2), s.str(3), static_cast<uint64_t>(s.i64(4))};
    }
    if (rc != SQLITE_DONE) return s.error(rc);
    return not_found(task_name(flow, run_id, task_id) + " has no artifact '" + std::string(name) + "'");
  }

  Result<std::vector<ArtifactRecord>> list_records(const std::string& table, std::string_view flow,
                                                   int64_t run_id, int64_t task_id) {
    Stmt s(db_,
           "SELECT name, digest, codec, type, size FROM " + table + " WHERE flow = ? AND "
           "run_id = ? AND task_id = ? ORDER BY name");
    s.bind(flow).bind(run_id).bind(task_id);
    std::vector<ArtifactRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back({s.str(0), s.str(1), s.str(2), s.str(3), static_cast<uint64_t>(s.i64(4))});
    }
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status add_tag(std::string_view flow, int64_t run_id, std::string_view tag) override {
    TRELLIS_RETURN_IF_ERROR(get_run(flow, run_id));
    Stmt s(db_, "INSERT OR IGNORE INTO tags(flow, run_id, tag) VALUES(?,?,?)");
    s.bind(flow).bind(run_id).bind(tag);
    return s.run();
  }

  Status remove_tag(std::string_view flow, int64_t run_id, std::string_view tag) override {
    Stmt s(db_, "DELETE FROM tags WHERE flow = ? AND run_id = ? AND tag = ?");
    s.bind(flow).bind(run_id).bind(tag);
    TRELLIS_RETURN_IF_ERROR(s.run());
    if (sqlite3_changes(db_) == 0) {
      return not_found("run " + run_name(flow, run_id) + " has no tag '" + std::string(tag) + "'");
    }
    return {};
  }

  Status add_metrics(std::string_view flow, int64_t run_id, int64_t task_id,
                     const std::vector<MetricPoint>& points) override {
    if (points.empty()) return {};
    TRELLIS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    for (const auto& p : points) {
      Stmt ins(db_, "INSERT INTO metrics(flow, run_id, task_id, name, step, value, time_ms) "
                    "VALUES(?,?,?,?,?,?,?)");
      ins.bind(flow).bind(run_id).bind(task_id).bind(p.name).bind(p.step).bind(p.value)
          .bind(p.time_ms);
      if (Status st = ins.run(); !st.ok()) return rollback(st);
    }
    return exec("COMMIT");
  }

  Result<std::vector<MetricPoint>> list_metrics(std::string_view flow, int64_t run_id,
                                                int64_t task_id) override {
    Stmt s(db_, "SELECT name, step, value, time_ms FROM metrics WHERE flow = ? AND run_id = ? "
                "AND task_id = ? ORDER BY name, step, rowid");
    s.bind(flow).bind(run_id).bind(task_id);
    std::vector<MetricPoint> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back({s.str(0), s.i64(1), s.f64(2), s.i64(3)});
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status add_media(std::string_view flow, int64_t run_id, int64_t task_id,
                   const MediaRecord& m) override {
    Stmt s(db_, "INSERT INTO media(flow, run_id, task_id, name, kind, step, digest, meta, time_ms) "
                "VALUES(?,?,?,?,?,?,?,?,?)");
    s.bind(flow).bind(run_id).bind(task_id).bind(m.name).bind(m.kind).bind(m.step).bind(m.digest)
        .bind(json_column(m.meta)).bind(m.time_ms);
    return s.run();
  }

  Result<std::vector<MediaRecord>> list_media(std::string_view flow, int64_t run_id,
                                              int64_t task_id) override {
    Stmt s(db_, "SELECT name, kind, step, digest, meta, time_ms FROM media WHERE flow = ? AND "
                "run_id = ? AND task_id = ? ORDER BY rowid");
    s.bind(flow).bind(run_id).bind(task_id);
    std::vector<MediaRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back({s.str(0), s.str(1), s.i64(2), s.str(3), s.json(4), s.i64(5)});
    }
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status set_alias(std::string_view alias, const Json& value) override {
    Stmt s(db_, "INSERT OR REPLACE INTO aliases(alias, value, updated_ms) VALUES(?,?,?)");
    s.bind(alias).bind(json_column(value)).bind(now_unix_ms());
    return s.run();
  }

  Result<Json> get_alias(std::string_view alias) override {
    Stmt s(db_, "SELECT value FROM aliases WHERE alias = ?");
    s.bind(alias);
    int rc = s.step();
    if (rc == SQLITE_DONE) return not_found("no alias '" + std::string(alias) + "'");
    if (rc != SQLITE_ROW) return s.error(rc);
    return s.json(0);
  }

  Result<std::vector<std::pair<std::string, Json>>> list_aliases() override {
    Stmt s(db_, "SELECT alias, value FROM aliases ORDER BY alias");
    std::vector<std::pair<std::string, Json>> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(s.str(0), s.json(1));
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  Status delete_run(std::string_view flow, int64_t run_id) override {
    TRELLIS_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    for (const char* table : kRunTables) {
      Stmt del(db_, std::string("DELETE FROM ") + table + " WHERE flow = ? AND run_id = ?");
      del.bind(flow).bind(run_id);
      if (Status st = del.run(); !st.ok()) return rollback(st.with_context(run_name(flow, run_id)));
    }
    if (sqlite3_changes(db_) == 0) return rollback(not_found("no run " + run_name(flow, run_id)));
    return exec("COMMIT");
  }

  Result<std::vector<std::string>> run_digests(std::string_view flow, int64_t run_id) override {
    TRELLIS_RETURN_IF_ERROR(get_run(flow, run_id));
    Stmt s(db_, kSelectRunDigests);
    for (int i = 0; i < 4; ++i) s.bind(flow).bind(run_id);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.str(0));
    if (rc != SQLITE_DONE) return s.error(rc);
    return out;
  }

  std::string url() const override { return url_; }

 private:
  Status load_tags(RunRecord& r) {
    Stmt s(db_, "SELECT tag FROM tags WHERE flow = ? AND run_id = ? ORDER BY tag");
    s.bind(r.flow).bind(r.run_id);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) r.tags.push_back(s.str(0));
    if (rc != SQLITE_DONE) return s.error(rc);
    return {};
  }

  Status exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return {};
    std::string msg = std::string("sqlite: ") + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return unavailable(msg);
    return io_error(msg + " (" + url_ + ")");
  }

  Status rollback(Status s) {
    (void)exec("ROLLBACK");
    return s;
  }

  sqlite3* db_;
  const std::string url_;
};

}  // namespace

Result<std::unique_ptr<MetadataStore>> open_sqlite_store(const std::string& path,
                                                         std::string url) {
  if (path != ":memory:") {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "open metadata " + path + ": " + sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return io_error(msg);
  }
  auto store = std::make_unique<SqliteStore>(db, std::move(url));
  Status st = store->init();
  if (!st.ok()) return st.with_context("open metadata " + path);
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace trellis
