// File helpers with the durability rules of the engine: a file is either
// entirely written or absent (temp file + fsync + rename), never half there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

// Writes the concatenation of `parts` to `path` atomically: a temp file in the
// same folder, fsync, rename, fsync of the folder. Creates missing parent folders.
// The temp file is `<path>.tmp.<pid>.<host>.<random>`, created with
// O_EXCL|O_NOFOLLOW: nothing planted in the folder (a symlink to another file)
// is ever written through. Overwrites `path` (a symlink at `path` itself is
// replaced, not followed).
// Large files (>= 8 MB) bypass the page cache (O_DIRECT) where the file system
// allows it: on a VM, filling the page cache costs more than the disk write.
// Errors: kIoError naming the path.
Status atomic_write_file(const std::string& path, const std::vector<std::string_view>& parts);
inline Status atomic_write_file(const std::string& path, std::string_view bytes) {
  return atomic_write_file(path, std::vector<std::string_view>{bytes});
}

// Reads a whole file. Errors: kNotFound when missing, kIoError otherwise.
// `on_chunk`, when given, is called after each chunk (8 MB) lands in the result
// buffer with a view of all bytes read so far, so a caller can work on a large
// file (hash it) while the rest is still being read. The view's data pointer is
// stable for the whole read.
Result<std::string> read_file(const std::string& path,
                              const std::function<void(std::string_view)>& on_chunk = {});

// Leftovers of atomic_write_file: a writer killed between creating its temp
// file and renaming it leaves the temp file behind. A temp file is stale when
// it was not modified for `max_age`, or when its name says it was written on
// this host by a process that no longer exists and it was not modified for
// `dead_writer_grace`. Files of live writers are never touched.
struct TempSweepOptions {
  std::chrono::seconds max_age{std::chrono::hours(6)};
  std::chrono::seconds dead_writer_grace{std::chrono::minutes(1)};
};
struct TempSweepResult {
  int removed = 0;
  uint64_t bytes = 0;
};
// Removes stale temp files anywhere under `root` (symlinks are not followed).
// A missing root is not an error. Errors: kIoError naming the folder.
Result<TempSweepResult> remove_stale_temp_files(const std::string& root,
                                                const TempSweepOptions& options = {});

// This host's tag in temp file names: 8 hex digits of the SHA-256 of its name.
const std::string& temp_host_tag();

// Disk space set aside in a file so that, when the disk fills, the records
// saying so can still be written. reserve_space makes `path` (a regular file,
// never followed if a symlink) hold `bytes` allocated bytes; kIoError naming
// the path when the space is not there. release_space deletes it and returns
// true when it existed.
Status reserve_space(const std::string& path, uint64_t bytes);
bool release_space(const std::string& path);

// mkdir -p. Errors: kIoError.
Status make_dirs(const std::string& path);

bool path_exists(const std::string& path);

// Absolute path of the running executable (/proc/self/exe).
std::string self_exe_path();

}  // namespace trellis
