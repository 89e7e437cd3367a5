// Process-wide settings that make LibTorch on CPU faster; called once at startup by the
// executables that train or serve (trellis-train, trellis-predict, the model server, benches).
#pragma once

namespace trellis::vision {

// glibc malloc returns every large block (activations, gradients) to the OS with munmap and
// maps fresh zeroed pages for the next step; each training step then pays for page faults on
// hundreds of MB. Raising the mmap and trim thresholds keeps those blocks in the heap for reuse.
// Safe to call more than once; a no-op on other C libraries.
void tune_cpu_allocator();

// The intra-op thread count to give at::set_num_threads: `requested` if > 0, else every core.
// Debian's LibTorch starts with ONE thread on this kind of CPU, so "all cores" must be explicit.
int intra_op_threads(int requested);

}  // namespace trellis::vision
