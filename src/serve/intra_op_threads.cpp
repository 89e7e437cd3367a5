// The one torch include of the server: the intra-op thread count. LibTorch here runs its
// parallel loops on OpenMP, whose thread count is a per-thread setting, so each batching
// worker sets its own.
#include <ATen/Parallel.h>

#include "serve/batcher.h"

namespace trellis::serve {

void set_intra_op_threads(int threads) {
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace trellis::serve
