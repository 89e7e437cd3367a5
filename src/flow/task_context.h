// Private to src/flow: the runner's side of a Task.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trellis/core/pathspec.h"
#include "trellis/flow/task.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/stores/task_datastore.h"

namespace trellis {

// The artifacts one task ended with, readable through the task datastore.
struct ArtifactView {
  std::map<std::string, ArtifactRecord> records;
  TaskDatastore* store = nullptr;
  Pathspec task;
  // Throws TaskError naming the artifact when absent, of another codec, or unreadable.
  std::string read(const std::string& name, const CodecWant& want) const;
};

class TaskContext {
 public:
  std::string flow, step;
  int64_t run_id = 0, task_id = 0;
  int attempt = 0;
  Json params;
  Json foreach_stack = Json::array();
  std::string resumed_from;  // origin task's pathspec when this task reruns one
  std::string foreach_key;  // artifact of the innermost foreach split, for input()
  TaskDatastore* store = nullptr;
  MetadataStore* md = nullptr;

  std::shared_ptr<ArtifactView> parent;              // non-join tasks: the parent's artifacts
  std::map<std::string, ArtifactRecord> own;         // set by this task
  // Small values put by this task and not stored yet: written together, many
  // in flight, before the done record (flush_artifacts), so a task of many
  // small artifacts pays one batch of round trips to a remote store, not one each.
  std::map<std::string, std::string> pending;
  size_t pending_bytes = 0;
  std::vector<Input> inputs;                         // join tasks
  std::vector<std::shared_ptr<ArtifactView>> input_views;
  std::vector<MetricPoint> metrics;
  mutable Json item;                                 // foreach item, parsed on first use
  mutable bool item_loaded = false;

  std::string pathspec() const { return task_pathspec(flow, run_id, step, task_id); }
  // The artifact index this task finishes with: inherited + own.
  std::vector<ArtifactRecord> final_artifacts() const;
  void flush_metrics();
  void flush_artifacts();  // throws TaskError
};

}  // namespace trellis
