// Private to src/metadata: what the SQLite and PostgreSQL stores share (status names,
// JSON columns, message helpers) and the factories open_metadata() dispatches to.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trellis/metadata/metadata_store.h"

namespace trellis {

// The columns read_run/read_task of both stores expect, in this order (portable SQL).
extern const std::string kSelectRun;
extern const std::string kSelectTask;  // with the task's attempt count last

// The tables delete_run() empties, `runs` last, so that its row count says whether the run
// existed.
inline constexpr const char* kRunTables[] = {"tags",        "metrics",  "media", "artifacts",
                                             "checkpoints", "attempts", "tasks", "runs"};

RunStatus run_status_from(std::string_view s);
TaskStatus task_status_from(std::string_view s);

// "F/3/task 7", as named in error messages.
std::string task_name(std::string_view flow, int64_t run_id, int64_t task_id);
// "F/3".
std::string run_name(std::string_view flow, int64_t run_id);

// JSON columns are stored as text: dumped compactly (invalid UTF-8 becomes U+FFFD instead of
// throwing) and read back with null for text that does not parse.
std::string json_column(const Json& value);
Json json_from_column(std::string_view text);

// One row of kSelectRun / kSelectTask, read through `row`: anything with str(col) and
// i64(col).
template <typename Row>
RunRecord read_run(Row& row) {
  RunRecord r;
  r.flow = row.str(0);
  r.run_id = row.i64(1);
  r.status = run_status_from(row.str(2));
  r.created_ms = row.i64(3);
  r.finished_ms = row.i64(4);
  r.params = json_from_column(row.str(5));
  r.code = json_from_column(row.str(6));
  r.origin_run_id = row.i64(7);
  r.host = row.str(8);
  r.orchestrator_pid = row.i64(9);
  return r;
}

template <typename Row>
TaskRecord read_task(Row& row) {
  TaskRecord t;
  t.flow = row.str(0);
  t.run_id = row.i64(1);
  t.task_id = row.i64(2);
  t.step = row.str(3);
  t.status = task_status_from(row.str(4));
  t.foreach_stack = json_from_column(row.str(5));
  t.inputs = json_from_column(row.str(6));
  t.foreach_count = row.i64(7);
  t.created_ms = row.i64(8);
  t.started_ms = row.i64(9);
  t.finished_ms = row.i64(10);
  t.cloned_from = row.str(11);
  t.resumed_from = row.str(12);
  t.attempts = static_cast<int>(row.i64(13));
  return t;
}

// `url` without a password: the one in "scheme://user:password@host" and any
// "password=" query parameter are dropped.
std::string url_without_password(std::string_view url);

// `path` is a file path or ":memory:"; `url` is what url() reports.
Result<std::unique_ptr<MetadataStore>> open_sqlite_store(const std::string& path, std::string url);
// `url` is a postgresql:// or postgres:// libpq connection URI.
Result<std::unique_ptr<MetadataStore>> open_postgres_store(std::string_view url);

}  // namespace trellis
