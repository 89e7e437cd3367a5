// File helpers with the durability rules of the engine: a file is either
// entirely written or absent (temp file + fsync + rename), never half there.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis {

// Writes the concatenation of `parts` to `path` atomically: a temp file in the
// same folder, fsync, rename, fsync of the folder. Creates missing parent folders.
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

// mkdir -p. Errors: kIoError.
Status make_dirs(const std::string& path);

bool path_exists(const std::string& path);

// Absolute path of the running executable (/proc/self/exe).
std::string self_exe_path();

}  // namespace trellis
