#include "trellis/core/fs.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace trellis {
namespace {

Status errno_status(std::string_view what, const std::string& path) {
  const int e = errno;
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(e);
  if (e == ENOENT) return not_found(msg);
  return io_error(msg);
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_all(int fd, const std::vector<std::string_view>& parts, const std::string& path) {
  // writev in batches; partial writes advance through the parts.
  size_t part = 0, offset = 0;
  while (part < parts.size()) {
    iovec iov[64];
    int n = 0;
    for (size_t p = part, off = offset; p < parts.size() && n < 64; ++p, off = 0) {
      if (parts[p].size() == off) continue;
      iov[n].iov_base = const_cast<char*>(parts[p].data() + off);
      iov[n].iov_len = parts[p].size() - off;
      ++n;
    }
    if (n == 0) break;
    ssize_t written = ::writev(fd, iov, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno_status("write", path);
    }
    size_t left = static_cast<size_t>(written);
    while (part < parts.size() && left >= parts[part].size() - offset) {
      left -= parts[part].size() - offset;
      ++part;
      offset = 0;
    }
    offset += left;
  }
  return {};
}

}  // namespace

Status make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return io_error("create folder " + path + ": " + ec.message());
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}


namespace {

// Renames a fully written and synced temp file into place and syncs the folder.
Status publish(const std::string& tmp, const std::string& path, const std::string& dir) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = errno_status("rename", path);
    ::unlink(tmp.c_str());
    return st;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

constexpr size_t kDirectMin = 8u << 20;
constexpr size_t kDirectChunk = 4u << 20;  // a multiple of any block size

// Writes `parts` through an aligned bounce buffer with O_DIRECT. Returns false
// (and leaves nothing behind) when the file system refuses O_DIRECT.
bool write_direct(const std::string& tmp, const std::vector<std::string_view>& parts, size_t total,
                  Status* st) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
  if (fd < 0) return false;
  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, kDirectChunk) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  char* buf = static_cast<char*>(raw);
  size_t fill = 0, written = 0;
  auto flush = [&](size_t n) -> bool {
    const size_t padded = (n + 4095) & ~size_t(4095);
    std::memset(buf + n, 0, padded - n);
    size_t off = 0;
    while (off < padded) {
      ssize_t w = ::write(fd, buf + off, padded - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    written += n;
    return true;
  };
  bool ok = true, refused = false;
  for (auto part : parts) {
    while (ok && !part.empty()) {
      const size_t n = std::min(part.size(), kDirectChunk - fill);
      std::memcpy(buf + fill, part.data(), n);
      fill += n;
      part.remove_prefix(n);
      if (fill == kDirectChunk) {
        if (!flush(fill)) {
          refused = written == 0 && errno == EINVAL;
          ok = false;
        }
        fill = 0;
      }
    }
  }
  if (ok && fill > 0 && !flush(fill)) {
    refused = written == 0 && errno == EINVAL;
    ok = false;
  }
  std::free(raw);
  if (refused) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  if (ok && ::ftruncate(fd, static_cast<off_t>(total)) != 0) ok = false;  // drop the padding
  if (ok && ::fsync(fd) != 0) ok = false;
  if (!ok) *st = errno_status("write", tmp);
  if (::close(fd) != 0 && ok) *st = errno_status("close", tmp);
  return true;
}

// Reads all of `out.size()` bytes of `path` with O_DIRECT in large aligned
// requests (a cold read through the page cache crawls along with small
// read-ahead). Returns false, having read nothing, when O_DIRECT is refused.
constexpr int kMadvPopulateWrite = 23;  // MADV_POPULATE_WRITE, Linux 5.14

bool read_direct(const std::string& path, std::string& out,
                 const std::function<void(std::string_view)>& on_chunk, size_t* got) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  if (fd < 0) return false;
  constexpr size_t kChunk = 8u << 20;
  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, kChunk) != 0) {
    ::close(fd);
    return false;
  }
  char* buf = static_cast<char*>(raw);
  // Fault the destination's pages in on a second thread while this one waits
  // for the disk: first-touch faults of a fresh 256 MB buffer cost about as
  // much as the read itself on this kind of VM.
  // MADV_POPULATE_WRITE maps pages without changing their contents, so it is
  // safe on pages the copy below has already filled.
  std::atomic<bool> stop{false};
  std::thread toucher([&out, &stop, kChunk] {
    constexpr uintptr_t kPage = 4096;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(out.data()) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(out.data()) + out.size()) & ~(kPage - 1);
    for (uintptr_t a = begin; a < end && !stop.load(std::memory_order_relaxed); a += kChunk) {
      if (::madvise(reinterpret_cast<void*>(a), std::min<uintptr_t>(kChunk, end - a),
                    kMadvPopulateWrite) != 0) {
        break;  // not supported (kernel < 5.14): the copy faults pages in itself
      }
    }
  });
  size_t done = 0;
  bool ok = true;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, buf, kChunk, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0 || done > 0;  // EINVAL before any byte: fall back to buffered
      break;
    }
    const size_t take = std::min(static_cast<size_t>(n), out.size() - done);
    std::memcpy(out.data() + done, buf, take);
    done += take;
    if (on_chunk) on_chunk(std::string_view(out.data(), done));
    if (static_cast<size_t>(n) < kChunk) break;
  }
  stop = true;
  toucher.join();
  std::free(raw);
  ::close(fd);
  if (!ok) return false;
  *got = done;
  return true;
}

}  // namespace

Status atomic_write_file(const std::string& path, const std::vector<std::string_view>& parts) {
  static std::atomic<unsigned> counter{0};
  const std::string dir = parent_of(path);
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  size_t total = 0;
  for (auto p : parts) total += p.size();
  if (total >= kDirectMin) {
    // On a VM, filling the page cache costs more than the disk write itself.
    if (!path_exists(dir)) TRELLIS_RETURN_IF_ERROR(make_dirs(dir));
    Status st;
    if (write_direct(tmp, parts, total, &st)) {
      if (st.ok()) return publish(tmp, path, dir);
      ::unlink(tmp.c_str());
      return st;
    }
  }
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    TRELLIS_RETURN_IF_ERROR(make_dirs(dir));
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (fd < 0) return errno_status("create", tmp);
  Status st = write_all(fd, parts, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = errno_status("fsync", tmp);
  if (::close(fd) != 0 && st.ok()) st = errno_status("close", tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return publish(tmp, path, dir);
}

Result<std::string> read_file(const std::string& path,
                              const std::function<void(std::string_view)>& on_chunk) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = errno_status("stat", path);
    ::close(fd);
    return s;
  }
  std::string out;
  // Large files: skip zero-filling a buffer the read overwrites at once (the
  // fill alone costs ~0.15 s per 256 MB here). fs.cpp is built as C++23 for this.
#if defined(__cpp_lib_string_resize_and_overwrite)
  out.resize_and_overwrite(static_cast<size_t>(st.st_size), [](char*, size_t n) { return n; });
#else
  out.resize(static_cast<size_t>(st.st_size));
#endif
  size_t got = 0;
  constexpr size_t kChunk = 8u << 20;
  if (out.size() >= kDirectMin && read_direct(path, out, on_chunk, &got)) {
    ::close(fd);
    return out;
  }
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, std::min(kChunk, out.size() - got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = errno_status("read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (on_chunk) on_chunk(std::string_view(out.data(), got));
  }
  ::close(fd);
  out.resize(got);  // a file that shrank while we read
  return out;
}

std::string self_exe_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace trellis
