// Executors run command lines somewhere (local child processes now, Slurm jobs
// later) and report their output and exit. They know nothing of flows: the
// orchestrator turns a task into a JobSpec (the hidden `step` command line).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

struct Resources {
  int cpus = 1;
  int gpus = 0;
  int64_t memory_mb = 0;  // 0: no request
};

struct JobSpec {
  std::string id;                            // unique among running jobs (a pathspec)
  std::vector<std::string> argv;             // argv[0] is an absolute path
  std::map<std::string, std::string> env;    // added to the executor's environment
  std::chrono::milliseconds timeout{0};      // 0: none
  Resources resources;
};

struct JobExit {
  bool ok = false;          // exited with code 0
  int exit_code = -1;       // -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  std::string reason;       // "exit code 3", "killed by signal 9 (Killed)", "timed out after 2s"
  std::string output;       // everything the job wrote, stdout and stderr interleaved
};

struct JobEvent {
  enum class Kind { kOutput, kExit };
  Kind kind = Kind::kOutput;
  std::string id;
  std::string text;         // kOutput: one line, with its terminator ('\n' or '\r')
  JobExit exit;             // kExit
};

// Not thread-safe: one orchestrator thread drives it.
class Executor {
 public:
  virtual ~Executor() = default;
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Starts a job. kInvalidArgument for an empty argv or duplicate id,
  // kUnavailable when no slot is free (see free_slots), kIoError when it cannot start.
  virtual Status submit(const JobSpec& job) = 0;
  // Waits up to `wait` for something to happen and returns what did: output
  // lines as they arrive and exits (the exit of a job comes after its output).
  virtual Result<std::vector<JobEvent>> poll(std::chrono::milliseconds wait) = 0;
  virtual int free_slots() const = 0;
  virtual int running() const = 0;
  // Stops every running job (SIGTERM, then SIGKILL); their exits are still reported.
  virtual void cancel_all() = 0;
};

struct LocalExecutorOptions {
  int max_workers = 0;                            // 0: number of cores
  std::chrono::milliseconds kill_grace{2000};     // SIGTERM to SIGKILL on timeout/cancel
  size_t max_captured_output = 64u << 20;         // kept per job; the console sees all
};

// Runs each job as a child process in its own process group (so a timeout
// kills the whole tree), output through pipes.
std::unique_ptr<Executor> make_local_executor(const LocalExecutorOptions& options = {});

}  // namespace trellis
