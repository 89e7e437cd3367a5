#include "trellis/core/fs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "trellis/core/buffer.h"
#include "trellis/core/hash.h"

namespace trellis {
namespace {

Status errno_status(std::string_view what, const std::string& path, int e) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(e);
  // Named as well as described: "No space left on device" is what people
  // read, ENOSPC is what they search for.
  if (e == ENOSPC) msg += " (ENOSPC)";
  if (e == EDQUOT) msg += " (EDQUOT)";
  if (e == ENOENT) return not_found(msg);
  return io_error(msg);
}
Status errno_status(std::string_view what, const std::string& path) {
  return errno_status(what, path, errno);
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

std::string hex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

// 64 bits nobody can guess, so that nobody can plant anything at a temp name
// before we create it (and O_EXCL catches it if they do).
std::string random_hex() {
  unsigned char buf[8];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = ::getrandom(buf + got, sizeof buf - got, 0);
    if (n < 0 && errno == EINTR) continue;
    TRELLIS_CHECK(n > 0, "getrandom failed");
    got += static_cast<size_t>(n);
  }
  return hex(buf, sizeof buf);
}

// Creates a temp file beside `path` named `<path>.tmp.<pid>.<host>.<random>`
// (format in docs/formats/datastore.md: the pid and host let the sweep tell a
// dead writer's leftovers from a live writer's file). O_EXCL|O_NOFOLLOW: if
// anything already sits at the name, above all a symlink to a file we must not
// touch, the open fails instead of writing through it. Returns the fd, or -1
// with errno set.
int create_temp_file(const std::string& path, int extra_flags, std::string* tmp) {
  const std::string stem =
      path + ".tmp." + std::to_string(::getpid()) + "." + temp_host_tag() + ".";
  for (int tries = 0; tries < 16; ++tries) {
    *tmp = stem + random_hex();
    int fd = ::open(tmp->c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | extra_flags, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;  // errno is EEXIST: sixteen collisions of 64 random bits is an attack
}

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
bool write_direct(const std::string& path, std::string* tmp_out,
                  const std::vector<std::string_view>& parts, size_t total, Status* st) {
  std::string& tmp = *tmp_out;
  int fd = create_temp_file(path, O_DIRECT, &tmp);
  if (fd < 0) return false;
  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, kDirectChunk) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  char* buf = static_cast<char*>(raw);
  size_t fill = 0, written = 0;
  int err = 0;  // errno of the first failure: later calls (free) may change errno
  auto flush = [&](size_t n) -> bool {
    const size_t padded = (n + 4095) & ~size_t(4095);
    std::memset(buf + n, 0, padded - n);
    size_t off = 0;
    while (off < padded) {
      ssize_t w = ::write(fd, buf + off, padded - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : ENOSPC;  // a write of 0 bytes: the device is full
        return false;
      }
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
          refused = written == 0 && err == EINVAL;
          ok = false;
        }
        fill = 0;
      }
    }
  }
  if (ok && fill > 0 && !flush(fill)) {
    refused = written == 0 && err == EINVAL;
    ok = false;
  }
  std::free(raw);
  if (refused) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  if (ok && ::ftruncate(fd, static_cast<off_t>(total)) != 0) {  // drop the padding
    err = errno;
    ok = false;
  }
  if (ok && ::fsync(fd) != 0) {
    err = errno;
    ok = false;
  }
  if (!ok) *st = errno_status("write", tmp, err);
  if (::close(fd) != 0 && ok) *st = errno_status("close", tmp);
  return true;
}

// Reads all of `out.size()` bytes of `path` with O_DIRECT in large aligned
// requests (a cold read through the page cache crawls along with small
// read-ahead). Returns false, having read nothing, when O_DIRECT is refused.
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
  // Fault the destination's pages in while this thread waits for the disk.
  std::optional<PageFaulter> faulter(std::in_place, out.data(), out.size());
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
  faulter.reset();
  std::free(raw);
  ::close(fd);
  if (!ok) return false;
  *got = done;
  return true;
}

}  // namespace

Status atomic_write_file(const std::string& path, const std::vector<std::string_view>& parts) {
  const std::string dir = parent_of(path);
  std::string tmp;
  size_t total = 0;
  for (auto p : parts) total += p.size();
  if (total >= kDirectMin) {
    // On a VM, filling the page cache costs more than the disk write itself.
    if (!path_exists(dir)) TRELLIS_RETURN_IF_ERROR(make_dirs(dir));
    Status st;
    if (write_direct(path, &tmp, parts, total, &st)) {
      if (st.ok()) return publish(tmp, path, dir);
      ::unlink(tmp.c_str());
      return st;
    }
  }
  int fd = create_temp_file(path, 0, &tmp);
  if (fd < 0 && errno == ENOENT) {
    TRELLIS_RETURN_IF_ERROR(make_dirs(dir));
    fd = create_temp_file(path, 0, &tmp);
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
  // Large files: skip zero-filling a buffer the read overwrites at once (the
  // fill alone costs ~0.15 s per 256 MB here).
  std::string out = uninitialized_string(static_cast<size_t>(st.st_size));
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

const std::string& temp_host_tag() {
  static const std::string tag = [] {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return sha256_hex(host).substr(0, 8);
  }();
  return tag;
}

namespace {

// A temp file's writer, from `<name>.tmp.<pid>.<host>.<random>` (or the
// older `<name>.tmp.<pid>.<n>`, which has no host). pid 0: not a temp file.
struct TempWriter {
  pid_t pid = 0;
  std::string host;
};

TempWriter parse_temp_name(const std::string& name) {
  TempWriter w;
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos) return w;
  const std::string rest = name.substr(at + 5);
  const auto dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos || dot > 9) return w;
  for (size_t i = 0; i < dot; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return w;
  }
  const std::string tail = rest.substr(dot + 1);
  if (tail.empty()) return w;
  w.pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
  if (const auto d2 = tail.find('.'); d2 != std::string::npos) w.host = tail.substr(0, d2);
  return w;
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

Result<TempSweepResult> remove_stale_temp_files(const std::string& root,
                                                const TempSweepOptions& options) {
  namespace fs = std::filesystem;
  TempSweepResult result;
  std::error_code ec;
  if (!fs::exists(root, ec)) return result;
  const auto now = fs::file_time_type::clock::now();
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (!it->is_regular_file(fec) || it->is_symlink(fec)) continue;
    const std::string name = it->path().filename().string();
    const TempWriter writer = parse_temp_name(name);
    if (writer.pid <= 0) continue;
    const auto mtime = fs::last_write_time(it->path(), fec);
    if (fec) continue;  // gone already (its writer renamed it)
    const auto age = now - mtime;
    const bool dead_writer = writer.host == temp_host_tag() && !process_exists(writer.pid);
    if (age < options.max_age && !(dead_writer && age >= options.dead_writer_grace)) continue;
    const uint64_t size = it->file_size(fec);
    if (::unlink(it->path().c_str()) == 0) {
      ++result.removed;
      result.bytes += fec ? 0 : size;
    }
  }
  if (ec) return io_error("sweep temp files under " + root + ": " + ec.message());
  return result;
}

Status reserve_space(const std::string& path, uint64_t bytes) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_blocks) * 512 >= bytes) {
    return {};
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("create", path);
  const int e = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  ::close(fd);
  if (e != 0) {
    ::unlink(path.c_str());
    return errno_status("reserve space in", path, e);
  }
  return {};
}

bool release_space(const std::string& path) { return ::unlink(path.c_str()) == 0; }

std::string self_exe_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace trellis
