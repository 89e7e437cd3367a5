// `trellis gc`: retention of runs and removal of blobs nothing refers to, on
// any store (local folder or S3).
//
// Runs: a run is kept when it is one of the newest `keep_runs` of its flow, or
// younger than `keep_days` (either rule keeps it; a rule not given keeps
// nothing by itself). Whatever the rules say, a run that is still running, or
// that a registry alias points into, is kept. Deleting a run deletes its
// metadata rows.
// Blobs: a blob is removed only when no row of a kept run (artifacts,
// checkpoints, logs, media, the images inside logged tables) names it, it is
// older than `grace`, and it is older than the start of every task still
// running (a running task's blobs are not in its done record yet). Each one is
// re-checked just before removal, so a task that reuses it meanwhile keeps it.
// Dry run by default: nothing changes, the report says what would be freed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "trellis/client/client.h"

namespace trellis {

struct GcOptions {
  int64_t keep_runs = -1;  // newest runs kept per flow; -1: no count rule
  int64_t keep_days = -1;  // runs younger than this are kept; -1: no age rule
  std::chrono::milliseconds grace{std::chrono::hours(1)};
  bool dry_run = true;
  int64_t now_ms = 0;  // 0: the clock (tests pass a time)
};

struct GcReport {
  std::vector<std::string> runs_deleted;  // "Flow/7" (or that would be, in a dry run)
  std::vector<std::string> runs_kept_by_alias;
  std::vector<std::string> runs_running;
  uint64_t blobs_total = 0, blobs_referenced = 0;
  uint64_t blobs_deleted = 0, bytes_freed = 0;  // or that would be
  uint64_t blobs_too_new = 0;                   // unreferenced but within the grace window
  int64_t cutoff_ms = 0;                        // blobs modified after this are kept
};

Result<GcReport> collect_garbage(Client& client, const GcOptions& options);

}  // namespace trellis
