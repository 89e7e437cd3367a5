// Trellis: flows of steps that keep every value as a versioned artifact.
// Include this, define a Flow, and hand it to trellis::main: the binary becomes
// its own CLI (run, resume, show, check, and the hidden step command).
#pragma once

#include "trellis/flow/codec.h"
#include "trellis/flow/flow.h"
#include "trellis/flow/task.h"

namespace trellis {

// The flow binary's command line. Returns the process exit code:
// 0 success, 1 the run failed, 2 bad usage or an invalid flow.
int main(Flow& flow, int argc, char** argv);

}  // namespace trellis
