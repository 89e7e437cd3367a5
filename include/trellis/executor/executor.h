// Executors run command lines somewhere (local child processes, Slurm jobs) and
// report where each job was placed, its output and its exit. They know nothing
// of flows: the orchestrator turns a task into a JobSpec (the hidden `step`
// command line) and picks the executor by the step's declared name.
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
  std::string gpu_type;   // "" any; Slurm: --gres=gpu:TYPE:N
};

// "cpus=2 gpus=1 memory_mb=4096", for messages.
std::string describe(const Resources& r);

struct JobSpec {
  std::string id;                            // unique among running jobs (a pathspec)
  std::vector<std::string> argv;             // argv[0] is an absolute path
  std::map<std::string, std::string> env;    // added to the executor's environment
  std::chrono::milliseconds timeout{0};      // 0: none
  Resources resources;
  std::string executor;                      // routing (make_routing_executor); "" default
};

struct JobExit {
  bool ok = false;          // exited with code 0
  int exit_code = -1;       // -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  std::string reason;       // "exit code 3", "killed by signal 9 (Killed)", "timed out after 2s"
  std::string output;       // everything the job wrote, stdout and stderr interleaved
  // The executor lost track of the job (a Slurm job purged from the queue, a
  // node that died): whether the task finished is for its own done record to say.
  bool lost = false;
};

// Where a job runs: the executor, its own id for the job, the host.
struct Placement {
  std::string executor;     // "local", "slurm"
  std::string job_id;       // "pid 1234", "1807" (Slurm job id)
  std::string host;         // "" while queued
  std::string state;        // "queued", "running"
  std::string output_path;  // Slurm: the file the job's output goes to (on the shared spool)
};

struct JobEvent {
  // kPlaced: the job was queued or started (again with the host once known).
  enum class Kind { kPlaced, kOutput, kExit };
  Kind kind = Kind::kOutput;
  std::string id;
  std::string text;         // kOutput: one line, with its terminator ('\n' or '\r')
  Placement placement;      // kPlaced
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
  // kUnavailable when it cannot take the job now (see can_accept), kIoError
  // when it cannot start.
  virtual Status submit(const JobSpec& job) = 0;
  // Whether submit would take this job now (free slots for its cpus).
  virtual bool can_accept(const JobSpec& job) const { return free_slots() > 0 && !job.argv.empty(); }
  // Whether the job could ever run here, asked before a run starts so that an
  // impossible request fails at once (Slurm: sbatch --test-only). The message
  // says what was asked and why it cannot be had.
  virtual Status check(const JobSpec& job) { (void)job; return {}; }
  // Waits up to `wait` for something to happen and returns what did: output
  // lines as they arrive and exits (the exit of a job comes after its output).
  virtual Result<std::vector<JobEvent>> poll(std::chrono::milliseconds wait) = 0;
  virtual int free_slots() const = 0;
  virtual int running() const = 0;
  // Stops every running job (SIGTERM, then SIGKILL); their exits are still reported.
  virtual void cancel_all() = 0;
  // Stops one job; its exit is still reported. False when no such job runs.
  virtual bool cancel(const std::string& id) = 0;
  // Follows, as job `id`, a job this kind of executor started for an earlier
  // orchestrator (its placement, as recorded on the attempt): its exit is
  // reported like any other (its output is not). kInvalidArgument where jobs
  // do not outlive their orchestrator (local child processes).
  virtual Status adopt(const std::string& id, const Placement& where) {
    return invalid_argument("cannot follow job " + where.job_id + " of executor '" + where.executor +
                            "' for " + id);
  }
};

struct LocalExecutorOptions {
  int max_workers = 0;                            // 0: number of cores
  std::chrono::milliseconds kill_grace{2000};     // SIGTERM to SIGKILL on timeout/cancel
  size_t max_captured_output = 64u << 20;         // kept per job; the console sees all
};

// Runs each job as a child process in its own process group (so a timeout
// kills the whole tree), output through pipes. A job's declared cpus take that
// many of the max_workers slots (capped at max_workers), so two 1-cpu jobs run
// together on 2 workers and a 2-cpu job runs alone.
std::unique_ptr<Executor> make_local_executor(const LocalExecutorOptions& options = {});

struct SlurmExecutorOptions {
  std::string spool_dir;           // job scripts and output files; must be visible to the nodes
  std::string partition, account, qos, constraint;
  std::vector<std::string> extra_args;          // more sbatch arguments, as given
  std::chrono::milliseconds poll_interval{500}; // squeue at most this often
  int max_jobs = 256;                           // submitted and not yet finished
  std::string bin_dir;             // where sbatch/squeue/scancel are; "" PATH
  // Jobs submitted together with the same request go as one job array
  // (--array=0-N%K): one sbatch, one scheduler entry. false: one sbatch each.
  bool arrays = true;
  int array_throttle = 0;          // K: elements of one array running at once; 0 no limit
  // Staged code, for nodes that do not share the submit host's filesystem: a
  // job whose argv[0] is `path` runs the copy in the node's cache instead,
  // named by its SHA-256; a missing copy is fetched first by `fetch` + the
  // destination (`trellis blob get SHA --mode 0755 --out`, which checks the hash).
  struct Staged {
    std::string path;                 // "" off: the nodes see argv[0] themselves
    std::string sha256;
    std::vector<std::string> fetch;
    std::string node_cache;           // "" ${TMPDIR:-/tmp}/trellis-cache-$(id -u)
  } staged;
};

// Runs each job with sbatch (resources as --cpus-per-task, --mem,
// --gres=gpu[:type]:N, --time), follows it with squeue, streams its output
// file and cancels with scancel. docs/user-guide.md, "Slurm". submit() only
// queues: the next poll() hands every queued job to sbatch, those with the
// same request as one array (job ids "ARRAY_INDEX"); a job sbatch refuses ends
// with a kExit naming it and Slurm's reason.
std::unique_ptr<Executor> make_slurm_executor(const SlurmExecutorOptions& options);

// One executor over several: a job goes to the one its JobSpec names
// ("" the first). Polling waits on all of them.
std::unique_ptr<Executor> make_routing_executor(
    std::vector<std::pair<std::string, std::unique_ptr<Executor>>> executors);

}  // namespace trellis
