// Jobs as Slurm batch jobs, driven through Slurm's own commands (sbatch,
// squeue, scancel) rather than its C API: they are what every cluster has,
// they speak a stable text format, and they need no build-time dependency.
// Output goes to a file in the spool directory (shared with the nodes), which
// is tailed while the job runs.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "line_splitter.h"
#include "subprocess.h"
#include "trellis/core/clock.h"
#include "trellis/core/format.h"
#include "trellis/core/fs.h"
#include "trellis/executor/executor.h"

namespace trellis {
namespace {

constexpr std::chrono::milliseconds kCommandLimit{30000};  // one sbatch/squeue/scancel
constexpr std::chrono::milliseconds kTailInterval{100};    // output files re-read
constexpr int64_t kControllerGraceMs = 120000;  // squeue failing this long fails the poll
constexpr int kMissesBeforeLost = 3;            // squeue rounds a job may be absent from
constexpr size_t kMaxCapturedOutput = 64u << 20;

struct SlurmJob {
  std::string id;              // the orchestrator's (a pathspec)
  std::string slurm_id;        // "1807", or "1807_3": element 3 of array 1807
  std::string base_id;         // "1807": what squeue is asked for
  bool submitted = false;
  JobSpec spec;                // until submitted
  std::string output_path;
  std::string script_path;
  off_t offset = 0;
  LineSplitter lines;
  std::string output;
  bool truncated = false;
  std::string state = "PENDING";
  std::string reason;
  std::string node;
  int64_t timeout_ms = 0;
  int64_t deadline_ms = 0;     // set once running
  bool timed_out = false;
  bool cancel_sent = false;
  bool reported_running = false;
  int misses = 0;
  bool done = false;
  JobExit exit;
};

bool terminal(const std::string& state) {
  static const std::set<std::string> kTerminal = {
      "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
      "BOOT_FAIL", "DEADLINE", "PREEMPTED", "SPECIAL_EXIT", "REVOKED"};
  return kTerminal.count(state) > 0;
}

// Pending reasons that only mean "the cluster is busy": not worth a line each.
bool ordinary_wait(const std::string& reason) {
  return reason == "None" || reason == "Priority" || reason == "Resources" ||
         reason == "JobArrayTaskLimit";  // our own throttle (--array=...%K)
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// sbatch's stderr without its "sbatch: error: " prefixes, on one line.
std::string slurm_message(const std::string& err) {
  std::istringstream in(err);
  std::string line, out;
  while (std::getline(in, line)) {
    for (const char* prefix : {"sbatch: error: ", "sbatch: ", "squeue: error: ", "scancel: error: "}) {
      if (line.rfind(prefix, 0) == 0) {
        line = line.substr(std::strlen(prefix));
        break;
      }
    }
    line = trim(line);
    if (line.empty()) continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  return out.empty() ? "no message" : out;
}

// A name for files in the spool directory: the job id with '/' and other
// unsafe bytes replaced, plus what makes it unique across orchestrators.
std::string file_stem(const std::string& id, uint64_t serial) {
  std::string s;
  for (char c : id) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '.';
  if (s.size() > 120) s = s.substr(s.size() - 120);
  return s + "." + std::to_string(::getpid()) + "." + std::to_string(serial);
}

class SlurmExecutor final : public Executor {
 public:
  explicit SlurmExecutor(const SlurmExecutorOptions& o) : o_(o) {}

  Status submit(const JobSpec& spec) override {
    if (spec.argv.empty()) return invalid_argument("job " + spec.id + ": empty command line");
    if (!can_accept(spec)) return unavailable("already " + std::to_string(jobs_.size()) +
                                              " Slurm jobs in flight (max_jobs) for job " + spec.id);
    for (const auto& j : jobs_) {
      if (j.id == spec.id) return invalid_argument("job " + spec.id + " is already running");
    }
    SlurmJob j;
    j.id = spec.id;
    j.timeout_ms = spec.timeout.count();
    j.spec = spec;
    jobs_.push_back(std::move(j));
    return {};
  }

  Status adopt(const std::string& id, const Placement& where) override {
    const std::string base = where.job_id.substr(0, where.job_id.find('_'));
    const std::string index = where.job_id.find('_') == std::string::npos
                                  ? "0" : where.job_id.substr(where.job_id.find('_') + 1);
    if (!all_digits(base) || !all_digits(index)) {
      return invalid_argument("'" + where.job_id + "' is not a Slurm job id (for " + id + ")");
    }
    for (const auto& j : jobs_) {
      if (j.id == id) return invalid_argument("job " + id + " is already followed");
    }
    SlurmJob j;
    j.id = id;
    j.slurm_id = where.job_id;
    j.base_id = base;
    j.submitted = true;
    j.node = where.host;
    j.reported_running = true;  // its placement is on record already
    j.output_path = output_file_of(j.slurm_id, base, index);
    jobs_.push_back(std::move(j));
    last_squeue_ms_ = 0;
    return {};
  }

  // Where a job Slurm still knows writes its output (scontrol's StdOut=, with
  // the array patterns filled in): the adopted job's log is read from there.
  // Empty when Slurm no longer knows it; squeue then reports it lost.
  std::string output_file_of(const std::string& slurm_id, const std::string& base,
                             const std::string& index) {
    Result<CommandOutput> r = run_command({tool("scontrol"), "show", "job", "-o", slurm_id}, kCommandLimit);
    if (!r.ok() || r->exit_code != 0) return "";
    std::map<std::string, std::string> field;
    std::istringstream words(r->out);
    for (std::string w; words >> w;) {
      const size_t eq = w.find('=');
      if (eq != std::string::npos) field.emplace(w.substr(0, eq), w.substr(eq + 1));
    }
    std::string path = field["StdOut"];
    const std::pair<const char*, std::string> patterns[] = {{"%a", index}, {"%A", base}, {"%j", field["JobId"]}};
    for (const auto& [pattern, value] : patterns) {
      for (size_t at; (at = path.find(pattern)) != std::string::npos;) path.replace(at, 2, value);
    }
    return path;
  }

  bool can_accept(const JobSpec& job) const override {
    return !job.argv.empty() && static_cast<int>(jobs_.size()) < o_.max_jobs;
  }

  Status check(const JobSpec& spec) override {
    std::vector<std::string> argv = {tool("sbatch"), "--test-only", "--job-name=trellis-check"};
    append_request(argv, spec);
    argv.insert(argv.end(), {"--output=/dev/null", "--wrap", "true"});
    Result<CommandOutput> r = run_command(argv, kCommandLimit);
    if (!r.ok()) return unavailable("sbatch --test-only: " + r.status().message());
    if (r->exit_code != 0) {
      std::string asked;
      for (size_t i = 3; i + 3 < argv.size(); ++i) asked += (asked.empty() ? "" : " ") + argv[i];
      return invalid_argument("Slurm cannot run " + spec.id + " (" + describe(spec.resources) +
                              (asked.empty() ? "" : "; sbatch " + asked) + "): " +
                              slurm_message(r->err));
    }
    return {};
  }

  Result<std::vector<JobEvent>> poll(std::chrono::milliseconds wait) override {
    flush();
    std::vector<JobEvent> events = std::move(pending_);
    pending_.clear();
    const int64_t until = monotonic_ms() + wait.count();
    while (true) {
      for (auto& j : jobs_) tail(j, events);
      if (monotonic_ms() - last_squeue_ms_ >= o_.poll_interval.count()) {
        TRELLIS_RETURN_IF_ERROR(refresh(events));
      }
      enforce_deadlines();
      finish_done(events);
      const int64_t now = monotonic_ms();
      if (!events.empty() || now >= until || jobs_.empty()) break;
      const int64_t next_squeue = last_squeue_ms_ + o_.poll_interval.count();
      const int64_t nap = std::min({until, next_squeue, now + kTailInterval.count()}) - now;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(nap, 1)));
    }
    return events;
  }

  int free_slots() const override { return o_.max_jobs - static_cast<int>(jobs_.size()); }
  int running() const override { return static_cast<int>(jobs_.size()); }

  void cancel_all() override {
    std::vector<std::string> argv = {tool("scancel")};
    for (auto& j : jobs_) {
      if (j.cancel_sent || j.done) continue;
      j.cancel_sent = true;
      if (!j.submitted) {
        never_submitted(j, "cancelled before it was submitted");
        continue;
      }
      argv.push_back(j.slurm_id);
    }
    if (argv.size() > 1) (void)run_command(argv, kCommandLimit);
    last_squeue_ms_ = 0;
  }

  bool cancel(const std::string& id) override {
    for (auto& j : jobs_) {
      if (j.id != id || j.done) continue;
      if (!j.submitted) {
        j.cancel_sent = true;
        never_submitted(j, "cancelled before it was submitted");
        return true;
      }
      if (!j.cancel_sent) {
        j.cancel_sent = true;
        (void)run_command({tool("scancel"), j.slurm_id}, kCommandLimit);
      }
      last_squeue_ms_ = 0;
      return true;
    }
    return false;
  }

 private:
  std::string tool(const char* name) const {
    return o_.bin_dir.empty() ? name : o_.bin_dir + "/" + name;
  }

  // Slurm job names show in squeue; the pathspec is what a person looks for.
  static std::string job_name(const std::string& id) {
    std::string n;
    for (char c : id) n += (c == ' ' || c == '\n' || c == '\'' || c == '"') ? '_' : c;
    return "trellis:" + n.substr(0, 200);
  }

  // The resources and site options of a job as sbatch arguments.
  void append_request(std::vector<std::string>& argv, const JobSpec& spec) const {
    const Resources& r = spec.resources;
    argv.push_back("--ntasks=1");
    argv.push_back("--cpus-per-task=" + std::to_string(std::max(1, r.cpus)));
    if (r.memory_mb > 0) argv.push_back("--mem=" + std::to_string(r.memory_mb) + "M");
    if (r.gpus > 0) {
      argv.push_back("--gres=gpu:" + (r.gpu_type.empty() ? "" : r.gpu_type + ":") +
                     std::to_string(r.gpus));
    }
    if (spec.timeout.count() > 0) {
      // Slurm counts whole minutes; our own deadline (enforce_deadlines) is exact.
      const int64_t minutes = (spec.timeout.count() + 59999) / 60000;
      argv.push_back("--time=" + std::to_string(minutes));
    }
    if (!o_.partition.empty()) argv.push_back("--partition=" + o_.partition);
    if (!o_.account.empty()) argv.push_back("--account=" + o_.account);
    if (!o_.qos.empty()) argv.push_back("--qos=" + o_.qos);
    if (!o_.constraint.empty()) argv.push_back("--constraint=" + o_.constraint);
    argv.insert(argv.end(), o_.extra_args.begin(), o_.extra_args.end());
  }

  // The environment, then the command line, of one job, as shell text. With
  // staged code the flow binary is the node's cached copy, fetched if missing
  // (written under a temporary name and renamed, so concurrent jobs on one
  // node never run a half-written file).
  std::string command(const JobSpec& spec, const std::string& indent) const {
    std::string s;
    for (const auto& [k, v] : spec.env) s += indent + "export " + k + "=" + shell_quote(v) + "\n";
    const auto& st = o_.staged;
    const bool staged = !st.path.empty() && spec.argv.front() == st.path;
    if (staged) {
      const std::string cache = st.node_cache.empty() ? "\"${TMPDIR:-/tmp}/trellis-cache-$(id -u)\""
                                                      : shell_quote(st.node_cache);
      s += indent + "trellis_bin=" + cache + "/bin/" + st.sha256 + "\n";
      s += indent + "if [ ! -x \"$trellis_bin\" ]; then\n" + indent + " ";
      for (const auto& a : st.fetch) s += " " + shell_quote(a);
      s += " \"$trellis_bin\" >&2 || { echo \"trellis: cannot fetch the flow binary (sha256 " +
           st.sha256 + ") into $trellis_bin on $(hostname)\" >&2; exit 96; }\n" + indent + "fi\n";
    }
    s += indent + "exec";
    for (size_t i = 0; i < spec.argv.size(); ++i) {
      s += " " + (i == 0 && staged ? std::string("\"$trellis_bin\"") : shell_quote(spec.argv[i]));
    }
    return s + "\n";
  }

  // The batch script. One job: its command. An array: each element picks its
  // own by SLURM_ARRAY_TASK_ID. sbatch also exports the submitting environment
  // (its default --export=ALL).
  std::string script(const std::vector<SlurmJob*>& group) const {
    std::string s = "#!/bin/sh\n# written by trellis for " + escape_for_log(group.front()->id) +
                    (group.size() > 1 ? " and " + std::to_string(group.size() - 1) + " more" : "") +
                    "\n";
    if (group.size() == 1) return s + command(group.front()->spec, "");
    s += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
    for (size_t i = 0; i < group.size(); ++i) {
      s += std::to_string(i) + ")\n" + command(group[i]->spec, "  ") + "  ;;\n";
    }
    return s + "esac\necho \"trellis: no command for array index $SLURM_ARRAY_TASK_ID\" >&2\nexit 97\n";
  }

  // Every queued job to sbatch: those with the same request (resources,
  // timeout, site options) as one array.
  void flush() {
    std::map<std::vector<std::string>, std::vector<SlurmJob*>> groups;
    for (auto& j : jobs_) {
      if (j.submitted || j.done) continue;
      std::vector<std::string> request;
      append_request(request, j.spec);
      groups[o_.arrays ? request : std::vector<std::string>{j.id}].push_back(&j);
    }
    for (auto& [request, group] : groups) submit_group(group);
  }

  void submit_group(const std::vector<SlurmJob*>& group) {
    SlurmJob& first = *group.front();
    const bool array = group.size() > 1;
    auto refuse = [&](const std::string& why) {
      for (SlurmJob* j : group) never_submitted(*j, why);
    };
    if (Status st = make_dirs(o_.spool_dir); !st.ok()) return refuse("Slurm spool directory: " + st.message());
    const std::string stem = o_.spool_dir + "/" + file_stem(first.id, ++serial_);
    const std::string script_path = stem + ".sh";
    if (Status st = atomic_write_file(script_path, script(group)); !st.ok()) return refuse(st.message());
    std::vector<std::string> argv = {tool("sbatch"), "--parsable",
                                     "--job-name=" + job_name(first.id) + (array ? "+" : ""),
                                     "--output=" + stem + (array ? ".%a" : "") + ".out",
                                     "--open-mode=append"};
    if (array) {
      argv.push_back("--array=0-" + std::to_string(group.size() - 1) +
                     (o_.array_throttle > 0 ? "%" + std::to_string(o_.array_throttle) : ""));
    }
    append_request(argv, first.spec);
    argv.push_back(script_path);
    const std::string what = array ? "jobs " + first.id + " and " + std::to_string(group.size() - 1) +
                                         " more (one array)"
                                   : "job " + first.id;
    Result<CommandOutput> r = run_command(argv, kCommandLimit);
    std::string base;
    if (!r.ok()) {
      ::unlink(script_path.c_str());
      return refuse("sbatch for " + what + ": " + r.status().message());
    }
    if (r->exit_code != 0) {
      ::unlink(script_path.c_str());
      return refuse("sbatch refused " + what + " (" + describe(first.spec.resources) + "): " +
                    slurm_message(r->err));
    }
    base = trim(r->out);
    base = base.substr(0, base.find(';'));  // "ID;cluster" on federated setups
    if (!all_digits(base)) {
      ::unlink(script_path.c_str());
      return refuse("sbatch for " + what + " printed no job id ('" + escape_for_log(trim(r->out)) + "')");
    }
    for (size_t i = 0; i < group.size(); ++i) {
      SlurmJob& j = *group[i];
      j.submitted = true;
      j.base_id = base;
      j.slurm_id = array ? base + "_" + std::to_string(i) : base;
      j.output_path = stem + (array ? "." + std::to_string(i) : "") + ".out";
      // The script is shared by the array: removed with its last element.
      j.script_path = script_path;
      j.spec = {};
      placed(j, "queued");
    }
    scripts_[script_path] += static_cast<int>(group.size());
    last_squeue_ms_ = 0;  // learn the new jobs' state at the next poll
  }

  // A job that never reached Slurm ends here, with why.
  void never_submitted(SlurmJob& j, const std::string& why) {
    j.exit = {};
    j.exit.reason = why;
    j.done = true;
    j.spec = {};
  }

  static bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  }

  void placed(const SlurmJob& j, const std::string& state) {
    JobEvent e;
    e.kind = JobEvent::Kind::kPlaced;
    e.id = j.id;
    e.placement = {"slurm", j.slurm_id, j.node, state, j.output_path};
    pending_.push_back(std::move(e));
  }

  void tail(SlurmJob& j, std::vector<JobEvent>& events) {
    const int fd = ::open(j.output_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;  // not started yet
    char buf[65536];
    while (true) {
      const ssize_t n = ::pread(fd, buf, sizeof buf, j.offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      j.offset += n;
      j.lines.feed(std::string_view(buf, static_cast<size_t>(n)),
                   [&](std::string line) { emit(j, std::move(line), events); });
    }
    ::close(fd);
  }

  void emit(SlurmJob& j, std::string line, std::vector<JobEvent>& events) {
    if (j.output.size() + line.size() <= kMaxCapturedOutput) {
      j.output += line;
    } else {
      j.truncated = true;
    }
    JobEvent e;
    e.kind = JobEvent::Kind::kOutput;
    e.id = j.id;
    e.text = std::move(line);
    events.push_back(std::move(e));
  }

  // One squeue for all jobs in flight: state, node, pending reason, exit status.
  Status refresh(std::vector<JobEvent>& events) {
    last_squeue_ms_ = monotonic_ms();
    std::set<std::string> bases;
    for (const auto& j : jobs_) {
      if (!j.done && j.submitted) bases.insert(j.base_id);
    }
    std::string ids;
    for (const auto& b : bases) ids += (ids.empty() ? "" : ",") + b;
    if (ids.empty()) return {};
    // --array: one row per array element, pending ones too; JobArrayID names
    // an element "1807_3" (JobID would give the array's id for pending ones).
    Result<CommandOutput> r =
        run_command({tool("squeue"), "--noheader", "--array", "--states=all", "--jobs=" + ids,
                     "--Format=JobArrayID:|,State:|,NodeList:|,Reason:|,exit_code:|"},
                    kCommandLimit);
    const bool one_unknown_id = r.ok() && r->exit_code != 0 && ids.find(',') == std::string::npos &&
                                r->err.find("Invalid job id") != std::string::npos;
    if (!r.ok() || (r->exit_code != 0 && !one_unknown_id)) {
      // The controller may be restarting: keep the jobs and ask again, for a while.
      if (!squeue_failing_since_) squeue_failing_since_ = monotonic_ms();
      if (monotonic_ms() - squeue_failing_since_ < kControllerGraceMs) return {};
      return unavailable("squeue has failed for " + std::to_string(kControllerGraceMs / 1000) +
                         "s: " + (r.ok() ? slurm_message(r->err) : r.status().message()));
    }
    squeue_failing_since_ = 0;
    std::map<std::string, std::vector<std::string>> rows;
    std::istringstream in(r->out);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::string field;
      std::istringstream fs(line);
      while (std::getline(fs, field, '|')) f.push_back(trim(field));
      if (f.size() >= 5) rows[f[0]] = f;
    }
    for (auto& j : jobs_) {
      if (j.done || !j.submitted) continue;
      auto it = rows.find(j.slurm_id);
      if (it == rows.end()) {
        if (++j.misses >= kMissesBeforeLost) lost(j);
        continue;
      }
      j.misses = 0;
      const std::vector<std::string>& f = it->second;
      const std::string& state = f[1];
      const std::string node = f[2] == "(null)" ? "" : f[2];
      if (state == "RUNNING" && !j.deadline_ms && j.timeout_ms > 0) {
        j.deadline_ms = monotonic_ms() + j.timeout_ms;
      }
      // A job seen only once it ended ran too: where it ran is reported all the same.
      if ((state == "RUNNING" || terminal(state)) && !j.reported_running && !node.empty()) {
        j.node = node;
        j.reported_running = true;
        placed(j, "running");
      } else if (state == "PENDING" && f[3] != j.reason && !ordinary_wait(f[3])) {
        placed(j, "queued (" + f[3] + ")");  // why it waits, when that needs a person
      }
      j.state = state;
      j.reason = f[3];
      if (!node.empty()) j.node = node;
      if (terminal(state)) finished(j, state, f[4]);
    }
    for (auto& e : pending_) events.push_back(std::move(e));
    pending_.clear();
    return {};
  }

  void finished(SlurmJob& j, const std::string& state, const std::string& exit_field) {
    char* end = nullptr;
    const long status = std::strtol(exit_field.c_str(), &end, 10);
    const bool parsed = !exit_field.empty() && end && *end == '\0';
    JobExit& x = j.exit;
    const std::string where = "Slurm job " + j.slurm_id + (j.node.empty() ? "" : " on " + j.node);
    if (parsed && WIFSIGNALED(static_cast<int>(status))) {
      x.signal = WTERMSIG(static_cast<int>(status));
    } else if (parsed) {
      x.exit_code = WEXITSTATUS(static_cast<int>(status));
    }
    x.timed_out = j.timed_out || state == "TIMEOUT" || state == "DEADLINE";
    x.ok = state == "COMPLETED" && x.exit_code == 0;
    if (x.timed_out) {
      x.reason = "timed out after " + std::to_string(j.timeout_ms / 1000.0).substr(0, 5) + "s (" +
                 where + ")";
    } else if (state == "COMPLETED" || (state == "FAILED" && x.signal == 0)) {
      x.reason = "exit code " + std::to_string(x.exit_code) + " (" + where + ")";
    } else if (state == "CANCELLED") {
      x.reason = "cancelled (" + where + (j.cancel_sent ? ", by trellis" : ", scancel") + ")";
    } else if (state == "OUT_OF_MEMORY") {
      x.reason = "out of memory (" + where + ")";
    } else {
      x.reason = "Slurm job state " + state + " (" + where + ")";
      if (x.signal) x.reason += ", signal " + std::to_string(x.signal);
    }
    j.done = true;
  }

  void lost(SlurmJob& j) {
    j.exit.lost = true;
    j.exit.reason = "Slurm job " + j.slurm_id + " is no longer known to the controller";
    j.done = true;
  }

  // Our own, exact deadline: Slurm's --time is whole minutes.
  void enforce_deadlines() {
    const int64_t now = monotonic_ms();
    for (auto& j : jobs_) {
      if (j.done || j.timed_out || !j.deadline_ms || now < j.deadline_ms) continue;
      j.timed_out = true;
      cancel(j.id);
    }
  }

  void finish_done(std::vector<JobEvent>& events) {
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      tail(*it, events);  // what the job wrote last
      it->lines.finish([&](std::string line) { emit(*it, std::move(line), events); });
      JobEvent e;
      e.kind = JobEvent::Kind::kExit;
      e.id = it->id;
      e.exit = std::move(it->exit);
      e.exit.output = std::move(it->output);
      if (it->truncated) e.exit.output += "\n[trellis: output truncated]\n";
      events.push_back(std::move(e));
      if (!it->script_path.empty() && --scripts_[it->script_path] <= 0) {
        ::unlink(it->script_path.c_str());
        scripts_.erase(it->script_path);
      }
      if (!it->output_path.empty()) ::unlink(it->output_path.c_str());  // kept in the datastore as the attempt's log
      it = jobs_.erase(it);
    }
  }

  SlurmExecutorOptions o_;
  std::vector<SlurmJob> jobs_;
  std::vector<JobEvent> pending_;
  std::map<std::string, int> scripts_;  // batch script -> its elements not yet finished
  uint64_t serial_ = 0;
  int64_t last_squeue_ms_ = 0;
  int64_t squeue_failing_since_ = 0;
};

}  // namespace

std::unique_ptr<Executor> make_slurm_executor(const SlurmExecutorOptions& options) {
  return std::make_unique<SlurmExecutor>(options);
}

}  // namespace trellis
