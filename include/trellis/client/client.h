// Reading runs back: the API under `trellis runs/show/get/logs/tag`, the
// dashboard and the Python module. Read-only except for tags.
//
//   auto client = Client::open().value();
//   auto run = client->latest_run("PlantDetection").value();
//   auto task = client->task(run, "evaluate").value();
//   double map = client->get(task, Key<double>{"map"}).value();
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "trellis/core/pathspec.h"
#include "trellis/datastore/content_store.h"
#include "trellis/flow/codec.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/stores/stores.h"

namespace trellis {

// Which stores to read: --root / --datastore / --metadata as a command line
// gives them; empty fields fall back to the environment, the config file and
// the defaults (trellis/stores/stores.h).
using ClientOptions = StoreFlags;

// Not thread-safe (one metadata connection).
class Client {
 public:
  static Result<std::unique_ptr<Client>> open(const ClientOptions& options = {});

  Result<std::vector<std::string>> flows();
  // Newest first; only runs carrying `tag` when it is not empty.
  Result<std::vector<RunRecord>> runs(const std::string& flow, const std::string& tag = "");
  Result<RunRecord> run(const std::string& flow, int64_t run_id);
  Result<RunRecord> latest_run(const std::string& flow);
  Result<RunRecord> latest_successful_run(const std::string& flow);
  Result<std::vector<TaskRecord>> tasks(const RunRecord& run);
  Result<std::vector<TaskRecord>> tasks(const RunRecord& run, const std::string& step);
  // The task of a step that ran once; kInvalidArgument when it ran several times.
  Result<TaskRecord> task(const RunRecord& run, const std::string& step);
  Result<TaskRecord> task(const RunRecord& run, int64_t task_id);
  Result<std::vector<ArtifactRecord>> artifacts(const TaskRecord& task);
  Result<ArtifactRecord> artifact(const TaskRecord& task, const std::string& name);
  // The artifact's bytes; `want` checks the codec it was stored with ("bytes": any).
  Result<std::string> artifact_bytes(const TaskRecord& task, const std::string& name,
                                     const CodecWant& want = {"bytes", "bytes"});
  template <typename T>
  Result<T> get(const TaskRecord& task, const Key<T>& key) {
    Result<std::string> bytes =
        artifact_bytes(task, key.name, {Codec<T>::name(), Codec<T>::type_name()});
    if (!bytes.ok()) return bytes.status();
    return Codec<T>::decode(std::move(bytes).value());
  }
  Result<std::vector<AttemptRecord>> attempts(const TaskRecord& task);
  // Output of one attempt (-1: the last one), following clones to their origin.
  Result<std::string> logs(const TaskRecord& task, int attempt = -1);
  Result<std::vector<MetricPoint>> metrics(const TaskRecord& task);
  Result<std::vector<MediaRecord>> media(const TaskRecord& task);
  // Bytes of a blob named by a media record or table cell (image, table JSON).
  Result<std::string> blob(const std::string& digest) { return stores_.cas->get(digest); }

  // Resolves Flow/run[/step[/task]] to records; run "latest" is the newest run.
  Result<RunRecord> resolve_run(const Pathspec& p);
  Result<TaskRecord> resolve_task(const Pathspec& p);

  MetadataStore& metadata() { return *stores_.md; }
  ContentStore& content() { return *stores_.cas; }
  TaskDatastore& task_datastore() { return *stores_.tasks; }
  // Which stores this client reads, and where each choice came from.
  const StoreSettings& settings() const { return stores_.settings; }

 private:
  Stores stores_;
};

std::string pathspec_of(const TaskRecord& t);  // Flow/run/step/task

}  // namespace trellis
