// PostgreSQL implementation of MetadataStore, for a team whose runs are written from
// several hosts. Same records and semantics as the SQLite store (the contract suite in
// metadata_test.cpp runs against both); schema and migrations: docs/formats/metadata.md.
// Every statement goes through PgSession (pg_session.h), which reconnects and reruns
// after a dropped connection where that is safe.
#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "metadata/pg_session.h"
#include "metadata/store_common.h"
#include "trellis/core/clock.h"
#include "trellis/metadata/metadata_store.h"

namespace trellis {
namespace {

// Migration i (1-based) brings the schema from version i-1 to i; schema_version holds one
// row per applied migration. Append only: a released migration is never edited.
// Text that is sorted or compared is COLLATE "C" (bytewise, as in SQLite).
const std::vector<std::vector<const char*>> kMigrations = {
    {
        R"sql(CREATE TABLE runs(
  flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL, status TEXT NOT NULL,
  created_ms BIGINT NOT NULL, finished_ms BIGINT NOT NULL DEFAULT 0,
  params TEXT NOT NULL, code TEXT NOT NULL, origin_run_id BIGINT NOT NULL DEFAULT 0,
  host TEXT NOT NULL DEFAULT '', orchestrator_pid BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY(flow, run_id)))sql",
        R"sql(CREATE TABLE flow_counters(
  flow TEXT COLLATE "C" PRIMARY KEY, last_run_id BIGINT NOT NULL))sql",
        R"sql(CREATE TABLE tasks(
  flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL, task_id BIGINT NOT NULL,
  step TEXT NOT NULL, status TEXT NOT NULL, foreach_stack TEXT NOT NULL, inputs TEXT NOT NULL,
  foreach_count BIGINT NOT NULL DEFAULT -1, created_ms BIGINT NOT NULL,
  started_ms BIGINT NOT NULL DEFAULT 0, finished_ms BIGINT NOT NULL DEFAULT 0,
  cloned_from TEXT NOT NULL DEFAULT '', resumed_from TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(flow, run_id, task_id)))sql",
        R"sql(CREATE TABLE checkpoints(
  flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL, task_id BIGINT NOT NULL,
  name TEXT COLLATE "C" NOT NULL, digest TEXT NOT NULL, codec TEXT NOT NULL,
  type TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY(flow, run_id, task_id, name)))sql",
        R"sql(CREATE TABLE attempts(
  flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL, task_id BIGINT NOT NULL,
  attempt INTEGER NOT NULL, started_ms BIGINT NOT NULL, finished_ms BIGINT NOT NULL,
  ok BOOLEAN NOT NULL, exit_code INTEGER NOT NULL, signal INTEGER NOT NULL,
  reason TEXT NOT NULL, log_digest TEXT NOT NULL,
  PRIMARY KEY(flow, run_id, task_id, attempt)))sql",
        R"sql(CREATE TABLE artifacts(
  flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL, task_id BIGINT NOT NULL,
  name TEXT COLLATE "C" NOT NULL, digest TEXT NOT NULL, codec TEXT NOT NULL,
  type TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY(flow, run_id, task_id, name)))sql",
        R"sql(CREATE TABLE tags(
  flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL, tag TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY(flow, run_id, tag)))sql",
        R"sql(CREATE TABLE metrics(
  id BIGSERIAL PRIMARY KEY, flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL,
  task_id BIGINT NOT NULL, name TEXT COLLATE "C" NOT NULL, step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL, time_ms BIGINT NOT NULL))sql",
        "CREATE INDEX metrics_by_task ON metrics(flow, run_id, task_id, name, step)",
        R"sql(CREATE TABLE media(
  id BIGSERIAL PRIMARY KEY, flow TEXT COLLATE "C" NOT NULL, run_id BIGINT NOT NULL,
  task_id BIGINT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, step BIGINT NOT NULL,
  digest TEXT NOT NULL, meta TEXT NOT NULL, time_ms BIGINT NOT NULL))sql",
        "CREATE INDEX media_by_task ON media(flow, run_id, task_id, id)",
        R"sql(CREATE TABLE aliases(
  alias TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL, updated_ms BIGINT NOT NULL))sql",
    },
    {
        // 2: where each attempt ran (executor, its job id, the host).
        "ALTER TABLE attempts ADD COLUMN executor TEXT NOT NULL DEFAULT '', "
        "ADD COLUMN job_id TEXT NOT NULL DEFAULT '', ADD COLUMN host TEXT NOT NULL DEFAULT ''",
    },
};
const int kSchemaVersion = static_cast<int>(kMigrations.size());

// pg_advisory_xact_lock key serializing migrations of one database ("trellis" in ASCII).
constexpr int64_t kMigrationLock = 0x7472656c6c6973;

// Rows per multi-row INSERT (PostgreSQL allows 65535 parameters per statement).
constexpr size_t kRowsPerInsert = 1000;

const std::string kSelectRunDigests =
    "SELECT d FROM (SELECT digest FROM artifacts WHERE flow = $1 AND run_id = $2 UNION "
    "SELECT digest FROM checkpoints WHERE flow = $1 AND run_id = $2 UNION "
    "SELECT log_digest FROM attempts WHERE flow = $1 AND run_id = $2 UNION "
    "SELECT digest FROM media WHERE flow = $1 AND run_id = $2) u(d) "
    "WHERE d <> '' ORDER BY d COLLATE \"C\"";

// "($1,$2,$3),($4,$5,$6)": placeholders for `rows` rows of `cols` values. Only numbers
// go into the SQL text; the values travel as parameters.
std::string placeholders(size_t rows, size_t cols) {
  std::string out;
  size_t n = 0;
  for (size_t r = 0; r < rows; ++r) {
    out += r ? ",(" : "(";
    for (size_t c = 0; c < cols; ++c) out += (c ? ",$" : "$") + std::to_string(++n);
    out += ")";
  }
  return out;
}

// INSERTs `count` rows, kRowsPerInsert per statement; add_row(i, params) adds row i's
// `cols` values.
template <typename AddRow>
Status insert_rows(PgTx& tx, const std::string& insert_values, size_t cols, size_t count,
                   AddRow add_row) {
  for (size_t first = 0; first < count; first += kRowsPerInsert) {
    const size_t n = std::min(kRowsPerInsert, count - first);
    PgParams params;
    for (size_t i = first; i < first + n; ++i) add_row(i, params);
    TRELLIS_RETURN_IF_ERROR(tx.exec(insert_values + placeholders(n, cols), params));
  }
  return {};
}

// Row i of a result, for read_run/read_task (store_common.h).
struct PgRow {
  const PgRows& rows;
  int i;
  std::string str(int col) const { return rows.str(i, col); }
  int64_t i64(int col) const { return rows.i64(i, col); }
};

class PostgresStore final : public MetadataStore {
 public:
  explicit PostgresStore(std::unique_ptr<PgSession> session) : db_(std::move(session)) {}

  // Brings the schema to kSchemaVersion. The common case (already there) costs two reads;
  // otherwise the migrations run in one transaction under an advisory lock, so that
  // processes on several hosts using a new database at once do not race.
  Status migrate() {
    Result<PgRows> has =
        db_->exec(Replay::kAlways, "SELECT to_regclass('schema_version') IS NOT NULL");
    if (!has.ok()) return has.status();
    if (has->boolean(0, 0)) {
      Result<int64_t> version = schema_version(nullptr);
      if (!version.ok()) return version.status();
      if (*version >= kSchemaVersion) return check_not_newer(*version);
    }
    return db_->transaction(Replay::kAlways, [&](PgTx& tx) -> Status {
      TRELLIS_RETURN_IF_ERROR(
          tx.exec("SELECT pg_advisory_xact_lock($1)", PgParams(kMigrationLock)));
      TRELLIS_RETURN_IF_ERROR(
          tx.exec("CREATE TABLE IF NOT EXISTS schema_version("
                  "version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)"));
      Result<int64_t> version = schema_version(&tx);
      if (!version.ok()) return version.status();
      TRELLIS_RETURN_IF_ERROR(check_not_newer(*version));
      for (int v = static_cast<int>(*version) + 1; v <= kSchemaVersion; ++v) {
        for (const char* sql : kMigrations[v - 1]) {
          TRELLIS_RETURN_IF_ERROR(
              tx.exec(sql).status().with_context("migration " + std::to_string(v)));
        }
        TRELLIS_RETURN_IF_ERROR(
            tx.exec("INSERT INTO schema_version(version, applied_ms) "
                    "VALUES($1, $2)",
                    PgParams(v, now_unix_ms())));
      }
      return {};
    });
  }

  Result<int64_t> create_run(const RunRecord& run) override {
    int64_t id = 0;
    Status st = db_->transaction(Replay::kBeforeCommit, [&](PgTx& tx) -> Status {
      Result<PgRows> next = tx.exec(
          "INSERT INTO flow_counters(flow, last_run_id) VALUES($1, 1) ON CONFLICT(flow) "
          "DO UPDATE SET last_run_id = flow_counters.last_run_id + 1 RETURNING last_run_id",
          PgParams(run.flow));
      if (!next.ok()) return next.status();
      id = next->i64(0, 0);
      return tx
          .exec(
              "INSERT INTO runs(flow, run_id, status, created_ms, params, code, "
              "origin_run_id, host, orchestrator_pid) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
              PgParams(run.flow, id, to_string(run.status), run.created_ms, json_column(run.params),
                       json_column(run.code), run.origin_run_id, run.host, run.orchestrator_pid))
          .status();
    });
    if (!st.ok()) return st.with_context("create run of flow " + run.flow);
    return id;
  }

  Status finish_run(std::string_view flow, int64_t run_id, RunStatus status) override {
    return write(Replay::kAlways,
                 "UPDATE runs SET status = $1, finished_ms = $2 WHERE flow = $3 AND run_id = $4",
                 PgParams(to_string(status), now_unix_ms(), flow, run_id));
  }

  Result<RunRecord> get_run(std::string_view flow, int64_t run_id) override {
    Result<PgRows> r = db_->exec(Replay::kAlways, kSelectRun + " WHERE flow = $1 AND run_id = $2",
                                 PgParams(flow, run_id));
    if (!r.ok()) return r.status();
    if (r->empty()) return not_found("no run " + run_name(flow, run_id));
    PgRow row{*r, 0};
    RunRecord run = read_run(row);
    Result<PgRows> tags = db_->exec(Replay::kAlways,
                                    "SELECT tag FROM tags WHERE flow = $1 AND run_id = $2 "
                                    "ORDER BY tag",
                                    PgParams(flow, run_id));
    if (!tags.ok()) return tags.status();
    for (int i = 0; i < tags->size(); ++i) run.tags.push_back(tags->str(i, 0));
    return run;
  }

  Result<std::vector<RunRecord>> list_runs(std::string_view flow) override {
    Result<PgRows> r = db_->exec(
        Replay::kAlways, kSelectRun + " WHERE flow = $1 ORDER BY run_id DESC", PgParams(flow));
    if (!r.ok()) return r.status();
    Result<PgRows> tags =
        db_->exec(Replay::kAlways, "SELECT run_id, tag FROM tags WHERE flow = $1 ORDER BY tag",
                  PgParams(flow));
    if (!tags.ok()) return tags.status();
    std::vector<RunRecord> out;
    std::unordered_map<int64_t, size_t> index;  // run id -> position in out
    for (int i = 0; i < r->size(); ++i) {
      PgRow row{*r, i};
      out.push_back(read_run(row));
      index[out.back().run_id] = out.size() - 1;
    }
    for (int i = 0; i < tags->size(); ++i) {
      auto it = index.find(tags->i64(i, 0));
      if (it != index.end()) out[it->second].tags.push_back(tags->str(i, 1));
    }
    return out;
  }

  Result<std::vector<std::string>> list_flows() override {
    Result<PgRows> r = db_->exec(Replay::kAlways, "SELECT DISTINCT flow FROM runs ORDER BY flow");
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->str(i, 0));
    return out;
  }

  Status create_task(const TaskRecord& t) override {
    return write(Replay::kBeforeCommit,
                 "INSERT INTO tasks(flow, run_id, task_id, step, status, foreach_stack, inputs, "
                 "foreach_count, created_ms, started_ms, finished_ms, cloned_from, resumed_from) "
                 "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
                 PgParams(t.flow, t.run_id, t.task_id, t.step, to_string(t.status),
                          json_column(t.foreach_stack), json_column(t.inputs), t.foreach_count,
                          t.created_ms, t.started_ms, t.finished_ms, t.cloned_from, t.resumed_from))
        .with_context(task_name(t.flow, t.run_id, t.task_id));
  }

  Status set_task_status(std::string_view flow, int64_t run_id, int64_t task_id,
                         TaskStatus status) override {
    const char* sql =
        status == TaskStatus::kRunning
            ? "UPDATE tasks SET status = $1, started_ms = CASE WHEN started_ms = 0 THEN $2 ELSE "
              "started_ms END WHERE flow = $3 AND run_id = $4 AND task_id = $5 AND status <> 'done'"
            : "UPDATE tasks SET status = $1, finished_ms = $2 WHERE flow = $3 AND run_id = $4 AND "
              "task_id = $5 AND status <> 'done'";
    return write(Replay::kAlways, sql,
                 PgParams(to_string(status), now_unix_ms(), flow, run_id, task_id));
  }

  // The done record. The UPDATE takes the task's row lock: a concurrent finisher waits for
  // this transaction, then finds the task done and gets kAlreadyExists.
  Status finish_task(std::string_view flow, int64_t run_id, int64_t task_id,
                     const std::vector<ArtifactRecord>& artifacts, int64_t foreach_count) override {
    const std::string name = task_name(flow, run_id, task_id);
    Status st = db_->transaction(Replay::kBeforeCommit, [&](PgTx& tx) -> Status {
      Result<PgRows> done = tx.exec(
          "UPDATE tasks SET status = 'done', finished_ms = $1, foreach_count = $2 "
          "WHERE flow = $3 AND run_id = $4 AND task_id = $5 AND status <> 'done'",
          PgParams(now_unix_ms(), foreach_count, flow, run_id, task_id));
      if (!done.ok()) return done.status().with_context(name);
      if (done->affected() == 0) {
        Result<PgRows> exists =
            tx.exec("SELECT 1 FROM tasks WHERE flow = $1 AND run_id = $2 AND task_id = $3",
                    PgParams(flow, run_id, task_id));
        if (!exists.ok()) return exists.status().with_context(name);
        if (exists->empty()) return not_found("no task " + name);
        return already_exists(name + " is already done");
      }
      TRELLIS_RETURN_IF_ERROR(
          tx.exec("DELETE FROM artifacts WHERE flow = $1 AND run_id = $2 "
                  "AND task_id = $3",
                  PgParams(flow, run_id, task_id)));
      return insert_rows(tx,
                         "INSERT INTO artifacts(flow, run_id, task_id, name, digest, codec, type, "
                         "size) VALUES ",
                         8, artifacts.size(),
                         [&](size_t i, PgParams& p) {
                           const ArtifactRecord& a = artifacts[i];
                           p.add(flow)
                               .add(run_id)
                               .add(task_id)
                               .add(a.name)
                               .add(a.digest)
                               .add(a.codec)
                               .add(a.type)
                               .add(static_cast<int64_t>(a.size));
                         })
          .with_context(name);
    });
    // The connection dropped while COMMIT was in flight. Done with exactly this index means
    // it committed (or a finisher with the same index did): what the caller wanted.
    if (!st.ok() && db_->outcome_unknown() &&
        is_done_with(flow, run_id, task_id, artifacts, foreach_count)) {
      return {};
    }
    return st;
  }

  Result<TaskRecord> get_task(std::string_view flow, int64_t run_id, int64_t task_id) override {
    Result<PgRows> r = db_->exec(
        Replay::kAlways, kSelectTask + " WHERE t.flow = $1 AND t.run_id = $2 AND t.task_id = $3",
        PgParams(flow, run_id, task_id));
    if (!r.ok()) return r.status();
    if (r->empty()) return not_found("no task " + task_name(flow, run_id, task_id));
    PgRow row{*r, 0};
    return read_task(row);
  }

  Result<std::vector<TaskRecord>> list_tasks(std::string_view flow, int64_t run_id) override {
    Result<PgRows> r = db_->exec(
        Replay::kAlways, kSelectTask + " WHERE t.flow = $1 AND t.run_id = $2 ORDER BY t.task_id",
        PgParams(flow, run_id));
    if (!r.ok()) return r.status();
    std::vector<TaskRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      PgRow row{*r, i};
      out.push_back(read_task(row));
    }
    return out;
  }

  Result<std::vector<TaskRecord>> list_step_tasks(std::string_view flow, int64_t run_id,
                                                  std::string_view step) override {
    Result<PgRows> r = db_->exec(
        Replay::kAlways,
        kSelectTask + " WHERE t.flow = $1 AND t.run_id = $2 AND t.step = $3 ORDER BY t.task_id",
        PgParams(flow, run_id, step));
    if (!r.ok()) return r.status();
    std::vector<TaskRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      PgRow row{*r, i};
      out.push_back(read_task(row));
    }
    return out;
  }

  Status record_attempt(const AttemptRecord& a) override {
    return write(Replay::kAlways,
                 "INSERT INTO attempts(flow, run_id, task_id, attempt, started_ms, finished_ms, "
                 "ok, exit_code, signal, reason, log_digest, executor, job_id, host) "
                 "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) "
                 "ON CONFLICT(flow, run_id, task_id, attempt) DO UPDATE SET "
                 "started_ms = EXCLUDED.started_ms, finished_ms = EXCLUDED.finished_ms, "
                 "ok = EXCLUDED.ok, exit_code = EXCLUDED.exit_code, signal = EXCLUDED.signal, "
                 "reason = EXCLUDED.reason, log_digest = EXCLUDED.log_digest, "
                 "executor = EXCLUDED.executor, job_id = EXCLUDED.job_id, host = EXCLUDED.host",
                 PgParams(a.flow, a.run_id, a.task_id, a.attempt, a.started_ms, a.finished_ms,
                          a.ok ? "true" : "false", a.exit_code, a.signal, a.reason, a.log_digest,
                          a.executor, a.job_id, a.host));
  }

  Result<std::vector<AttemptRecord>> list_attempts(std::string_view flow, int64_t run_id,
                                                   int64_t task_id) override {
    Result<PgRows> r = db_->exec(
        Replay::kAlways,
        "SELECT attempt, started_ms, finished_ms, ok, exit_code, signal, reason, log_digest, "
        "executor, job_id, host "
        "FROM attempts WHERE flow = $1 AND run_id = $2 AND task_id = $3 ORDER BY attempt",
        PgParams(flow, run_id, task_id));
    if (!r.ok()) return r.status();
    std::vector<AttemptRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      AttemptRecord a;
      a.flow = flow;
      a.run_id = run_id;
      a.task_id = task_id;
      a.attempt = static_cast<int>(r->i64(i, 0));
      a.started_ms = r->i64(i, 1);
      a.finished_ms = r->i64(i, 2);
      a.ok = r->boolean(i, 3);
      a.exit_code = static_cast<int>(r->i64(i, 4));
      a.signal = static_cast<int>(r->i64(i, 5));
      a.reason = r->str(i, 6);
      a.log_digest = r->str(i, 7);
      a.executor = r->str(i, 8);
      a.job_id = r->str(i, 9);
      a.host = r->str(i, 10);
      out.push_back(std::move(a));
    }
    return out;
  }

  Status save_checkpoint(std::string_view flow, int64_t run_id, int64_t task_id,
                         const ArtifactRecord& a) override {
    return write(Replay::kAlways,
                 "INSERT INTO checkpoints(flow, run_id, task_id, name, digest, codec, type, "
                 "size) VALUES($1,$2,$3,$4,$5,$6,$7,$8) "
                 "ON CONFLICT(flow, run_id, task_id, name) DO UPDATE SET "
                 "digest = EXCLUDED.digest, codec = EXCLUDED.codec, type = EXCLUDED.type, "
                 "size = EXCLUDED.size",
                 PgParams(flow, run_id, task_id, a.name, a.digest, a.codec, a.type,
                          static_cast<int64_t>(a.size)));
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
    Result<PgRows> r = db_->exec(Replay::kAlways,
                                 "SELECT name, digest, codec, type, size FROM artifacts WHERE "
                                 "flow = $1 AND run_id = $2 AND task_id = $3 AND name = $4",
                                 PgParams(flow, run_id, task_id, name));
    if (!r.ok()) return r.status();
    if (r->empty()) {
      return not_found(task_name(flow, run_id, task_id) + " has no artifact '" + std::string(name) +
                       "'");
    }
    return ArtifactRecord{r->str(0, 0), r->str(0, 1), r->str(0, 2), r->str(0, 3),
                          static_cast<uint64_t>(r->i64(0, 4))};
  }

  Status add_tag(std::string_view flow, int64_t run_id, std::string_view tag) override {
    TRELLIS_RETURN_IF_ERROR(require_run(flow, run_id));
    return write(Replay::kAlways,
                 "INSERT INTO tags(flow, run_id, tag) VALUES($1,$2,$3) ON CONFLICT DO NOTHING",
                 PgParams(flow, run_id, tag));
  }

  Status remove_tag(std::string_view flow, int64_t run_id, std::string_view tag) override {
    Result<PgRows> r = db_->exec(Replay::kBeforeCommit,
                                 "DELETE FROM tags WHERE flow = $1 AND run_id = $2 AND tag = $3",
                                 PgParams(flow, run_id, tag));
    if (!r.ok()) return r.status();
    if (r->affected() == 0) {
      return not_found("run " + run_name(flow, run_id) + " has no tag '" + std::string(tag) + "'");
    }
    return {};
  }

  Status add_metrics(std::string_view flow, int64_t run_id, int64_t task_id,
                     const std::vector<MetricPoint>& points) override {
    if (points.empty()) return {};
    return db_->transaction(Replay::kBeforeCommit, [&](PgTx& tx) {
      return insert_rows(
          tx, "INSERT INTO metrics(flow, run_id, task_id, name, step, value, time_ms) VALUES ", 7,
          points.size(), [&](size_t i, PgParams& p) {
            const MetricPoint& m = points[i];
            p.add(flow).add(run_id).add(task_id).add(m.name).add(m.step).add(m.value).add(
                m.time_ms);
          });
    });
  }

  Result<std::vector<MetricPoint>> list_metrics(std::string_view flow, int64_t run_id,
                                                int64_t task_id) override {
    Result<PgRows> r = db_->exec(Replay::kAlways,
                                 "SELECT name, step, value, time_ms FROM metrics WHERE flow = $1 "
                                 "AND run_id = $2 AND task_id = $3 ORDER BY name, step, id",
                                 PgParams(flow, run_id, task_id));
    if (!r.ok()) return r.status();
    std::vector<MetricPoint> out;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({r->str(i, 0), r->i64(i, 1), r->f64(i, 2), r->i64(i, 3)});
    }
    return out;
  }

  Status add_media(std::string_view flow, int64_t run_id, int64_t task_id,
                   const MediaRecord& m) override {
    return write(Replay::kBeforeCommit,
                 "INSERT INTO media(flow, run_id, task_id, name, kind, step, digest, meta, "
                 "time_ms) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                 PgParams(flow, run_id, task_id, m.name, m.kind, m.step, m.digest,
                          json_column(m.meta), m.time_ms));
  }

  Result<std::vector<MediaRecord>> list_media(std::string_view flow, int64_t run_id,
                                              int64_t task_id) override {
    Result<PgRows> r = db_->exec(Replay::kAlways,
                                 "SELECT name, kind, step, digest, meta, time_ms FROM media WHERE "
                                 "flow = $1 AND run_id = $2 AND task_id = $3 ORDER BY id",
                                 PgParams(flow, run_id, task_id));
    if (!r.ok()) return r.status();
    std::vector<MediaRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({r->str(i, 0), r->str(i, 1), r->i64(i, 2), r->str(i, 3),
                     json_from_column(r->str(i, 4)), r->i64(i, 5)});
    }
    return out;
  }

  Status set_alias(std::string_view alias, const Json& value) override {
    return write(Replay::kAlways,
                 "INSERT INTO aliases(alias, value, updated_ms) VALUES($1,$2,$3) "
                 "ON CONFLICT(alias) DO UPDATE SET value = EXCLUDED.value, "
                 "updated_ms = EXCLUDED.updated_ms",
                 PgParams(alias, json_column(value), now_unix_ms()));
  }

  Result<Json> get_alias(std::string_view alias) override {
    Result<PgRows> r =
        db_->exec(Replay::kAlways, "SELECT value FROM aliases WHERE alias = $1", PgParams(alias));
    if (!r.ok()) return r.status();
    if (r->empty()) return not_found("no alias '" + std::string(alias) + "'");
    return json_from_column(r->str(0, 0));
  }

  Result<std::vector<std::pair<std::string, Json>>> list_aliases() override {
    Result<PgRows> r =
        db_->exec(Replay::kAlways, "SELECT alias, value FROM aliases ORDER BY alias");
    if (!r.ok()) return r.status();
    std::vector<std::pair<std::string, Json>> out;
    for (int i = 0; i < r->size(); ++i)
      out.emplace_back(r->str(i, 0), json_from_column(r->str(i, 1)));
    return out;
  }

  Status delete_run(std::string_view flow, int64_t run_id) override {
    const std::string name = run_name(flow, run_id);
    return db_->transaction(Replay::kBeforeCommit, [&](PgTx& tx) -> Status {
      for (const char* table : kRunTables) {
        Result<PgRows> r =
            tx.exec(std::string("DELETE FROM ") + table + " WHERE flow = $1 AND run_id = $2",
                    PgParams(flow, run_id));
        if (!r.ok()) return r.status().with_context("delete run " + name);
        if (table == std::string_view("runs") && r->affected() == 0) {
          return not_found("no run " + name);
        }
      }
      return {};
    });
  }

  Result<std::vector<std::string>> run_digests(std::string_view flow, int64_t run_id) override {
    TRELLIS_RETURN_IF_ERROR(require_run(flow, run_id));
    Result<PgRows> r = db_->exec(Replay::kAlways, kSelectRunDigests, PgParams(flow, run_id));
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->str(i, 0));
    return out;
  }

  std::string url() const override { return db_->url(); }

 private:
  // The highest applied migration, through `tx` when given.
  Result<int64_t> schema_version(PgTx* tx) {
    const std::string sql = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
    Result<PgRows> r = tx ? tx->exec(sql) : db_->exec(Replay::kAlways, sql);
    if (!r.ok()) return r.status();
    return r->i64(0, 0);
  }

  Status check_not_newer(int64_t version) const {
    if (version <= kSchemaVersion) return {};
    return invalid_argument("postgres " + db_->url() + ": metadata schema " +
                            std::to_string(version) + " is newer than this trellis understands (" +
                            std::to_string(kSchemaVersion) + ")");
  }

  Status require_run(std::string_view flow, int64_t run_id) {
    Result<PgRows> r =
        db_->exec(Replay::kAlways, "SELECT 1 FROM runs WHERE flow = $1 AND run_id = $2",
                  PgParams(flow, run_id));
    if (!r.ok()) return r.status();
    if (r->empty()) return not_found("no run " + run_name(flow, run_id));
    return {};
  }

  Result<std::vector<ArtifactRecord>> list_records(const std::string& table, std::string_view flow,
                                                   int64_t run_id, int64_t task_id) {
    Result<PgRows> r =
        db_->exec(Replay::kAlways,
                  "SELECT name, digest, codec, type, size FROM " + table +
                      " WHERE flow = $1 AND run_id = $2 AND task_id = $3 ORDER BY name",
                  PgParams(flow, run_id, task_id));
    if (!r.ok()) return r.status();
    std::vector<ArtifactRecord> out;
    for (int i = 0; i < r->size(); ++i) {
      out.push_back({r->str(i, 0), r->str(i, 1), r->str(i, 2), r->str(i, 3),
                     static_cast<uint64_t>(r->i64(i, 4))});
    }
    return out;
  }

  bool is_done_with(std::string_view flow, int64_t run_id, int64_t task_id,
                    std::vector<ArtifactRecord> artifacts, int64_t foreach_count) {
    Result<TaskRecord> task = get_task(flow, run_id, task_id);
    Result<std::vector<ArtifactRecord>> stored = list_artifacts(flow, run_id, task_id);
    if (!task.ok() || !stored.ok() || task->status != TaskStatus::kDone ||
        task->foreach_count != foreach_count || stored->size() != artifacts.size()) {
      return false;
    }
    auto key = [](const ArtifactRecord& a) {
      return std::tie(a.name, a.digest, a.codec, a.type, a.size);
    };
    std::sort(artifacts.begin(), artifacts.end(),
              [&](const auto& a, const auto& b) { return key(a) < key(b); });
    return std::equal(artifacts.begin(), artifacts.end(), stored->begin(),
                      [&](const auto& a, const auto& b) { return key(a) == key(b); });
  }

  // One statement whose rows do not matter.
  Status write(Replay replay, const std::string& sql, const PgParams& params) {
    return db_->exec(replay, sql, params).status();
  }

  std::unique_ptr<PgSession> db_;
};

}  // namespace

Result<std::unique_ptr<MetadataStore>> open_postgres_store(std::string_view url) {
  Result<std::unique_ptr<PgSession>> session = PgSession::open(url);
  if (!session.ok()) return session.status().with_context("open metadata");
  auto store = std::make_unique<PostgresStore>(std::move(session).value());
  TRELLIS_RETURN_IF_ERROR(store->migrate().with_context("open metadata"));
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace trellis
