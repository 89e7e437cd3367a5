// cluster: one step on the cluster, the rest where the orchestrator runs, as
// in the reference (Metaflow's @batch on the train step only). `train`
// declares executor("slurm") and what it needs; `--executor local` runs it
// here instead, for debugging. It records where it ran, so a test (or a
// person) can check the job really was a Slurm job with the GPUs it asked for
// (the test cluster declares a fake one: scripts/services/slurm-up.sh).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <trellis/trellis.hpp>

using namespace trellis;

const Key<std::string> kTrainHost{"train_host"};
const Key<std::string> kSlurmJob{"slurm_job_id"};
const Key<std::string> kSlurmCpus{"slurm_cpus_per_task"};
const Key<std::string> kGpus{"cuda_visible_devices"};
const Key<int64_t> kAttempt{"train_attempt"};
const Key<std::string> kExe{"train_executable"};  // the binary that ran: a node's cache with staged code

namespace {
std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

int main(int argc, char** argv) {
  // GPUs for train: one, as the reference's @batch(gpu=1). CLUSTER_GPUS changes
  // the request (a test asks for more than any node has).
  const int gpus = std::getenv("CLUSTER_GPUS") ? std::atoi(std::getenv("CLUSTER_GPUS")) : 1;
  Flow flow("Cluster");
  auto hold_ms = flow.param<int64_t>(
      "hold-ms", 0, "how long the first attempt of train waits (time to cancel its job)");
  flow.step("start", [](Task&) {}).next("train");
  flow.step("train", [&](Task& t) {
    if (t.attempt() == 0 && *hold_ms > 0) usleep(static_cast<useconds_t>(*hold_ms * 1000));
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    t.put(kTrainHost, std::string(host));
    t.put(kSlurmJob, env_or_empty("SLURM_JOB_ID"));
    t.put(kSlurmCpus, env_or_empty("SLURM_CPUS_PER_TASK"));
    t.put(kGpus, env_or_empty("CUDA_VISIBLE_DEVICES"));
    t.put(kAttempt, static_cast<int64_t>(t.attempt()));
    std::error_code ec;
    t.put(kExe, std::filesystem::read_symlink("/proc/self/exe", ec).string());
    std::printf("train ran on %s as Slurm job '%s'\n", host, env_or_empty("SLURM_JOB_ID").c_str());
  }, "the expensive step: on the cluster")
      .executor("slurm")
      .resources({.cpus = 1, .gpus = gpus, .memory_mb = 256})
      .retry(1, std::chrono::milliseconds(0))
      .next("end");
  flow.step("end", [](Task& t) {
    std::printf("train ran on %s\n", t.get(kTrainHost).c_str());
  });
  return trellis::main(flow, argc, argv);
}
