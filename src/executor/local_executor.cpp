#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "trellis/core/clock.h"
#include "line_splitter.h"
#include "trellis/executor/executor.h"

extern char** environ;

namespace trellis {
namespace {

struct Pipe {
  int fd = -1;
  LineSplitter lines;
};

struct Job {
  std::string id;
  int cpus = 1;               // slots taken
  pid_t pid = -1;
  int pidfd = -1;
  Pipe out, err;
  int64_t deadline_ms = 0;     // 0: none
  int64_t kill_at_ms = 0;      // SIGKILL after a SIGTERM that was not obeyed
  int64_t timeout_ms = 0;
  bool timed_out = false;
  bool exited = false;
  int wait_status = 0;
  std::string output;
  bool output_truncated = false;
};

std::string describe_exit(const Job& j) {
  if (j.timed_out) return "timed out after " + std::to_string(j.timeout_ms / 1000.0).substr(0, 5) + "s";
  if (WIFEXITED(j.wait_status)) return "exit code " + std::to_string(WEXITSTATUS(j.wait_status));
  if (WIFSIGNALED(j.wait_status)) {
    const int sig = WTERMSIG(j.wait_status);
    std::string r = "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    if (sig == SIGKILL) r += "; out of memory or killed by hand";
    return r;
  }
  return "unknown exit";
}

class LocalExecutor final : public Executor {
 public:
  explicit LocalExecutor(const LocalExecutorOptions& o) : options_(o) {
    if (options_.max_workers <= 0) {
      options_.max_workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }
  }

  ~LocalExecutor() override {
    for (auto& j : jobs_) {
      ::kill(-j.pid, SIGKILL);
      ::waitpid(j.pid, nullptr, 0);
      close_job_fds(j);
    }
  }

  Status submit(const JobSpec& spec) override {
    if (spec.argv.empty()) return invalid_argument("job " + spec.id + ": empty command line");
    if (!can_accept(spec)) return unavailable("no free worker for job " + spec.id);
    for (const auto& j : jobs_) {
      if (j.id == spec.id) return invalid_argument("job " + spec.id + " is already running");
    }
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return io_error(std::string("pipe: ") + strerror(errno));
    if (::pipe2(err, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      return io_error(std::string("pipe: ") + strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string_view::npos && spec.env.count(std::string(kv.substr(0, eq)))) continue;
      env_strings.emplace_back(kv);
    }
    for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, argv;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = spec.argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
      ::close(out[0]);
      ::close(err[0]);
      return io_error("start " + spec.argv[0] + " for job " + spec.id + ": " + strerror(rc));
    }
    Job j;
    j.id = spec.id;
    j.cpus = slots_for(spec);
    j.pid = pid;
    j.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    j.out.fd = out[0];
    j.err.fd = err[0];
    j.timeout_ms = spec.timeout.count();
    if (j.timeout_ms > 0) j.deadline_ms = monotonic_ms() + j.timeout_ms;
    jobs_.push_back(std::move(j));
    JobEvent placed;
    placed.kind = JobEvent::Kind::kPlaced;
    placed.id = spec.id;
    placed.placement = {"local", "pid " + std::to_string(pid), host_name(), "running"};
    pending_.push_back(std::move(placed));
    return {};
  }

  Result<std::vector<JobEvent>> poll(std::chrono::milliseconds wait) override {
    std::vector<JobEvent> events = std::move(pending_);
    pending_.clear();
    if (jobs_.empty()) return events;
    const int64_t now = monotonic_ms();
    int64_t wait_ms = wait.count();
    for (const auto& j : jobs_) {
      for (int64_t t : {j.deadline_ms, j.kill_at_ms}) {
        if (t > 0) wait_ms = std::min(wait_ms, std::max<int64_t>(0, t - now));
      }
    }
    std::vector<pollfd> fds;
    for (const auto& j : jobs_) {
      if (j.out.fd >= 0) fds.push_back({j.out.fd, POLLIN, 0});
      if (j.err.fd >= 0) fds.push_back({j.err.fd, POLLIN, 0});
      if (j.pidfd >= 0) fds.push_back({j.pidfd, POLLIN, 0});
    }
    // Without pidfd (old kernels) exits are noticed by periodic waitpid.
    const bool has_pidfds = std::all_of(jobs_.begin(), jobs_.end(),
                                        [](const Job& j) { return j.pidfd >= 0; });
    if (!has_pidfds) wait_ms = std::min<int64_t>(wait_ms, 20);
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
    if (n < 0 && errno != EINTR) return io_error(std::string("poll: ") + strerror(errno));

    for (auto& j : jobs_) {
      drain(j, j.out, events);
      drain(j, j.err, events);
      enforce_deadlines(j);
      if (!j.exited) {
        int st = 0;
        pid_t r = ::waitpid(j.pid, &st, WNOHANG);
        if (r == j.pid) {
          j.exited = true;
          j.wait_status = st;
          // The process is gone; read what is left in the pipes (a grandchild
          // holding them open must not keep us waiting).
          drain(j, j.out, events, /*final=*/true);
          drain(j, j.err, events, /*final=*/true);
        }
      }
    }
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (!it->exited) {
        ++it;
        continue;
      }
      JobEvent ev;
      ev.kind = JobEvent::Kind::kExit;
      ev.id = it->id;
      ev.exit.exit_code = WIFEXITED(it->wait_status) ? WEXITSTATUS(it->wait_status) : -1;
      ev.exit.signal = WIFSIGNALED(it->wait_status) ? WTERMSIG(it->wait_status) : 0;
      ev.exit.timed_out = it->timed_out;
      ev.exit.ok = !it->timed_out && WIFEXITED(it->wait_status) && ev.exit.exit_code == 0;
      ev.exit.reason = describe_exit(*it);
      ev.exit.output = std::move(it->output);
      if (it->output_truncated) ev.exit.output += "\n[trellis: output truncated]\n";
      close_job_fds(*it);
      events.push_back(std::move(ev));
      it = jobs_.erase(it);
    }
    return events;
  }

  int free_slots() const override {
    int used = 0;
    for (const auto& j : jobs_) used += j.cpus;
    return options_.max_workers - used;
  }
  bool can_accept(const JobSpec& job) const override {
    return !job.argv.empty() && free_slots() >= slots_for(job);
  }
  int running() const override { return static_cast<int>(jobs_.size()); }

  bool cancel(const std::string& id) override {
    for (auto& j : jobs_) {
      if (j.id != id || j.exited) continue;
      if (!j.kill_at_ms) {
        ::kill(-j.pid, SIGTERM);
        j.kill_at_ms = monotonic_ms() + options_.kill_grace.count();
      }
      return true;
    }
    return false;
  }

  void cancel_all() override {
    const int64_t now = monotonic_ms();
    for (auto& j : jobs_) {
      if (j.exited || j.kill_at_ms) continue;
      ::kill(-j.pid, SIGTERM);
      j.kill_at_ms = now + options_.kill_grace.count();
    }
  }

 private:
  // A job asking for more cpus than there are workers runs alone rather than never.
  int slots_for(const JobSpec& job) const {
    return std::clamp(job.resources.cpus, 1, options_.max_workers);
  }

  static std::string host_name() {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return host;
  }

  void enforce_deadlines(Job& j) {
    if (j.exited) return;
    const int64_t now = monotonic_ms();
    if (j.deadline_ms && now >= j.deadline_ms && !j.timed_out) {
      j.timed_out = true;
      ::kill(-j.pid, SIGTERM);
      j.kill_at_ms = now + options_.kill_grace.count();
    }
    if (j.kill_at_ms && now >= j.kill_at_ms) {
      ::kill(-j.pid, SIGKILL);
      j.kill_at_ms = 0;
    }
  }

  void drain(Job& j, Pipe& p, std::vector<JobEvent>& events, bool final = false) {
    char buf[65536];
    while (p.fd >= 0) {
      struct pollfd one{p.fd, POLLIN, 0};
      if (::poll(&one, 1, 0) <= 0) break;
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(p.fd);
        p.fd = -1;
        break;
      }
      p.lines.feed(std::string_view(buf, static_cast<size_t>(n)),
                   [&](std::string line) { emit(j, std::move(line), events); });
    }
    if (final) {
      p.lines.finish([&](std::string line) { emit(j, std::move(line), events); });
      if (p.fd >= 0) {
        ::close(p.fd);
        p.fd = -1;
      }
    }
  }

  void emit(Job& j, std::string line, std::vector<JobEvent>& events) {
    if (j.output.size() + line.size() <= options_.max_captured_output) {
      j.output += line;
    } else {
      j.output_truncated = true;
    }
    JobEvent ev;
    ev.kind = JobEvent::Kind::kOutput;
    ev.id = j.id;
    ev.text = std::move(line);
    events.push_back(std::move(ev));
  }

  static void close_job_fds(Job& j) {
    for (int* fd : {&j.out.fd, &j.err.fd, &j.pidfd}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }

  LocalExecutorOptions options_;
  std::vector<Job> jobs_;
  std::vector<JobEvent> pending_;  // placements, reported by the next poll
};

}  // namespace

std::unique_ptr<Executor> make_local_executor(const LocalExecutorOptions& options) {
  return std::make_unique<LocalExecutor>(options);
}

}  // namespace trellis
