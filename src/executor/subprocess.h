// Private to src/executor: running a short command (sbatch, squeue, scancel)
// and collecting what it printed, with a time limit so that a hung Slurm
// controller cannot hang the orchestrator.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

struct CommandOutput {
  int exit_code = -1;     // -1: killed (the time limit) or by a signal
  std::string out, err;
};

// argv[0] is looked up on PATH. kIoError when it cannot start; a non-zero exit
// is not an error here (the caller reads exit_code and err).
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds limit);

}  // namespace trellis
