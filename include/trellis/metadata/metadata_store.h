// The metadata seam: flows, runs, tasks, attempts, the artifact index, tags and
// metrics, as plain records. SQLite by default (many task processes of one
// machine write at once); PostgreSQL for a team (many hosts write at once).
// Schema: docs/formats/metadata.md. Implementations are safe to use from
// several processes (and hosts) at once; one instance is not shared between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trellis/core/json.h"
#include "trellis/core/status.h"

namespace trellis {

enum class RunStatus { kRunning, kSucceeded, kFailed };
enum class TaskStatus { kPending, kRunning, kDone, kFailed };

std::string_view to_string(RunStatus s);
std::string_view to_string(TaskStatus s);

struct RunRecord {
  std::string flow;
  int64_t run_id = 0;
  RunStatus status = RunStatus::kRunning;
  int64_t created_ms = 0;
  int64_t finished_ms = 0;     // 0 while running
  Json params = Json::object();
  Json code = Json::object();  // code identity: binary sha256, git commit, compiler, libraries
  int64_t origin_run_id = 0;   // the run this one resumed, 0 for a fresh run
  std::string host;
  int64_t orchestrator_pid = 0;
  std::vector<std::string> tags;
};

struct TaskRecord {
  std::string flow;
  int64_t run_id = 0;
  int64_t task_id = 0;
  std::string step;
  TaskStatus status = TaskStatus::kPending;
  Json foreach_stack = Json::array();  // [{"step","index","count"}] outermost first
  Json inputs = Json::array();         // parent task ids
  int64_t foreach_count = -1;          // items of a foreach split task, -1 otherwise
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
  std::string cloned_from;             // pathspec of the origin task when cloned by resume
  std::string resumed_from;            // resume: pathspec of the origin's task with the same
                                       // step and foreach position that is rerun here
  int attempts = 0;
};

struct AttemptRecord {
  std::string flow;
  int64_t run_id = 0;
  int64_t task_id = 0;
  int attempt = 0;
  int64_t started_ms = 0, finished_ms = 0;
  bool ok = false;
  int exit_code = -1;    // -1 when killed by a signal
  int signal = 0;
  std::string reason;    // "exit code 1", "killed by SIGKILL", "timed out after 2s"
  std::string log_digest;  // content-store digest of the attempt's output
  // Where it ran (Placement): "local" | "slurm", the executor's job id ("pid
  // 1234", a Slurm job id), the host. Recorded when the job is placed, so a
  // running attempt can be found (and cancelled) from the metadata.
  std::string executor, job_id, host;
};

struct ArtifactRecord {
  std::string name;
  std::string digest;
  std::string codec;  // "json", "npy", "bytes", ... (docs/formats/artifacts.md)
  std::string type;   // C++ type name for humans ("int64", "vector<string>")
  uint64_t size = 0;  // serialized bytes
};

// An image or table a task tracked (docs/formats/tracking.md).
struct MediaRecord {
  std::string name;
  std::string kind;     // "image" | "table"
  int64_t step = 0;
  std::string digest;   // image bytes, or the table's JSON
  Json meta = Json::object();  // images: format, size, boxes, caption
  int64_t time_ms = 0;
};

inline constexpr int64_t kSummaryStep = -1;

struct MetricPoint {
  std::string name;
  int64_t step = 0;
  double value = 0;
  int64_t time_ms = 0;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  MetadataStore() = default;
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Runs. create_run allocates the next id of `run.flow` (1, 2, ...) atomically,
  // so concurrent orchestrators never share an id.
  virtual Result<int64_t> create_run(const RunRecord& run) = 0;
  virtual Status finish_run(std::string_view flow, int64_t run_id, RunStatus status) = 0;
  // kNotFound naming flow/run.
  virtual Result<RunRecord> get_run(std::string_view flow, int64_t run_id) = 0;
  // Newest first.
  virtual Result<std::vector<RunRecord>> list_runs(std::string_view flow) = 0;
  virtual Result<std::vector<std::string>> list_flows() = 0;

  // Tasks: the orchestrator creates them and records attempts; a task process
  // finishes its own task with finish_task (its done record, written last).
  virtual Status create_task(const TaskRecord& task) = 0;
  virtual Status set_task_status(std::string_view flow, int64_t run_id, int64_t task_id,
                                 TaskStatus status) = 0;
  // Atomically stores the task's artifact index and marks it done. kAlreadyExists
  // when the task is already done (a second writer never overwrites the first).
  virtual Status finish_task(std::string_view flow, int64_t run_id, int64_t task_id,
                             const std::vector<ArtifactRecord>& artifacts,
                             int64_t foreach_count) = 0;
  virtual Result<TaskRecord> get_task(std::string_view flow, int64_t run_id, int64_t task_id) = 0;
  // In task id order.
  virtual Result<std::vector<TaskRecord>> list_tasks(std::string_view flow, int64_t run_id) = 0;
  // The tasks of one step of a run, in task id order: what list_tasks would
  // give for that step, without reading the rest (a foreach of 1000 tasks).
  virtual Result<std::vector<TaskRecord>> list_step_tasks(std::string_view flow, int64_t run_id,
                                                          std::string_view step) = 0;

  virtual Status record_attempt(const AttemptRecord& attempt) = 0;  // insert or replace
  virtual Result<std::vector<AttemptRecord>> list_attempts(std::string_view flow, int64_t run_id,
                                                           int64_t task_id) = 0;

  // Checkpoints: artifacts a task saves while it runs, recorded at once (not
  // at its done record), so a later attempt or a resumed run continues from
  // them. One row per (task, name); saving again replaces it.
  virtual Status save_checkpoint(std::string_view flow, int64_t run_id, int64_t task_id,
                                 const ArtifactRecord& checkpoint) = 0;
  virtual Result<std::vector<ArtifactRecord>> list_checkpoints(std::string_view flow,
                                                               int64_t run_id,
                                                               int64_t task_id) = 0;

  virtual Result<std::vector<ArtifactRecord>> list_artifacts(std::string_view flow,
                                                             int64_t run_id, int64_t task_id) = 0;
  // One artifact of the index by name (one lookup). kNotFound when the task has none.
  virtual Result<ArtifactRecord> get_artifact(std::string_view flow, int64_t run_id,
                                              int64_t task_id, std::string_view name) = 0;

  virtual Status add_tag(std::string_view flow, int64_t run_id, std::string_view tag) = 0;
  virtual Status remove_tag(std::string_view flow, int64_t run_id, std::string_view tag) = 0;

  // Scalar metrics logged by a task (tracking); appended in batches. Summary
  // values (t.summary) are points with step kSummaryStep.
  virtual Status add_metrics(std::string_view flow, int64_t run_id, int64_t task_id,
                             const std::vector<MetricPoint>& points) = 0;
  virtual Result<std::vector<MetricPoint>> list_metrics(std::string_view flow, int64_t run_id,
                                                        int64_t task_id) = 0;

  virtual Status add_media(std::string_view flow, int64_t run_id, int64_t task_id,
                           const MediaRecord& media) = 0;
  // In the order they were added.
  virtual Result<std::vector<MediaRecord>> list_media(std::string_view flow, int64_t run_id,
                                                      int64_t task_id) = 0;

  // Model/alias registry entries ("plant/production" -> artifact pathspec + info).
  virtual Status set_alias(std::string_view alias, const Json& value) = 0;
  virtual Result<Json> get_alias(std::string_view alias) = 0;  // kNotFound when unset
  // Every registry alias with its value, sorted by alias (bytewise).
  virtual Result<std::vector<std::pair<std::string, Json>>> list_aliases() = 0;

  // Removes the run and every row that belongs to it (tasks, attempts, artifacts,
  // checkpoints, metrics, media, tags), in one transaction. kNotFound when absent.
  // Blobs are the caller's business (trellis gc). A deleted run's id is not reused.
  virtual Status delete_run(std::string_view flow, int64_t run_id) = 0;
  // Every content digest the rows of this run name: artifacts, checkpoints, attempt
  // log digests, media digests. Sorted, unique, without empty strings. kNotFound
  // when the run is absent.
  virtual Result<std::vector<std::string>> run_digests(std::string_view flow,
                                                       int64_t run_id) = 0;

  // The URL the store was opened with, without any password (safe to log).
  virtual std::string url() const = 0;
};

// Opens (and on first use creates or migrates) a metadata database:
// - "sqlite:///abs/path/metadata.db" or a path without a scheme (e.g. ending in .db);
// - "mem://": a private in-memory SQLite database (tests, throwaway runs in one process);
// - "postgresql://..." or "postgres://...": a libpq connection URI; PG* environment
//   variables fill in what it leaves out ("postgresql:///flow", "postgresql://").
// Any other scheme is kInvalidArgument naming the URL. A database written by a newer
// trellis is kInvalidArgument; an unreachable server is kUnavailable naming the URL.
Result<std::unique_ptr<MetadataStore>> open_metadata(std::string_view url);

}  // namespace trellis
