// Private to src/flow: running one task (the hidden `step` command) and
// orchestrating a whole run (`run`, `resume`).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trellis/datastore/content_store.h"
#include "trellis/executor/executor.h"
#include "trellis/flow/flow.h"
#include "trellis/flow/graph.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/stores/task_datastore.h"

namespace trellis {

struct StepCommand {
  std::string step;
  int64_t run_id = 0;
  int64_t task_id = 0;
  int attempt = 0;
  std::optional<std::string> caught_error;  // catch mode: record this failure, run nothing
};

// Runs one task in this process; returns the process exit code.
int run_task(Flow& flow, const StepCommand& cmd, TaskDatastore& store);

struct OrchestratorOptions {
  std::string executable;                // absolute path of the flow binary
  std::vector<std::string> store_args;   // "--datastore X --metadata Y", passed to every task
  // Environment that names the same stores (TRELLIS_DATASTORE, ...), for
  // steps that read other runs (a report, the model registry).
  std::map<std::string, std::string> store_env;
  std::string resume_hint_args;          // extra args shown in the printed resume command
  Json params = Json::object();
  std::vector<std::string> tags;
  Json code = Json::object();
  int64_t origin_run_id = 0;             // resume: the run to clone from
  std::string resume_step;               // resume: rerun from this step (empty: from failures)
  // The executor of each step ("local", "slurm"): the step's declaration
  // overridden by --executor. A step not named here runs on "local".
  std::map<std::string, std::string> step_executors;
  // Frees disk space set aside for the records of a failure (a full disk);
  // true when it freed some. Empty: there is no reserve.
  std::function<bool()> release_reserve;
};

// Creates a run and drives it to the end; returns 0 on success, 1 on failure.
int orchestrate(const Flow& flow, const GraphInfo& graph, MetadataStore& md, ContentStore& cas,
                Executor& executor, const OrchestratorOptions& options);

// The code identity of this binary (docs/formats/metadata.md).
Json code_identity(const Flow& flow);

}  // namespace trellis
