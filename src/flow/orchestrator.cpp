// The orchestrator: turns a validated flow into tasks, launches them through an
// executor, follows their exits, retries, catches, and on resume clones what
// the origin run already finished. It never runs step code itself, so a task
// that crashes, aborts or is killed cannot take it down.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <set>

#include "flow/runner.h"
#include "trellis/core/clock.h"
#include "trellis/core/format.h"
#include "trellis/core/hash.h"
#include "trellis/core/pathspec.h"

namespace trellis {
namespace {

volatile sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

enum class State { kQueued, kBackoff, kRunning, kDone, kFailed };

struct Instance {
  std::string step;
  Json stack = Json::array();
  std::vector<int64_t> inputs;
  int64_t task_id = 0;
  State state = State::kQueued;
  int attempt = 0;           // the attempt running or next to run
  int64_t not_before_ms = 0; // backoff
  bool catching = false;     // the next attempt records the failure (catch_errors)
  std::string last_error;
  bool cloned = false;
  int64_t foreach_count = -1;
  int64_t started_ms = 0;
  Placement placement;       // where the running attempt is
};

std::string instance_key(const std::string& step, const Json& stack) {
  return step + "|" + stack.dump();
}

class Orchestrator {
 public:
  Orchestrator(const Flow& flow, const GraphInfo& graph, MetadataStore& md, ContentStore& cas,
               Executor& ex, const OrchestratorOptions& o)
      : flow_(flow), graph_(graph), md_(md), cas_(cas), ex_(ex), o_(o) {}

  int run() {
    for (const auto& [step, name] : o_.step_executors) executor_names_.insert(name);
    executor_names_.insert("local");
    if (!check_requests()) return 1;
    if (o_.origin_run_id && !settle_orphans()) return 1;
    RunRecord rec;
    rec.flow = flow_.name();
    rec.created_ms = now_unix_ms();
    rec.params = o_.params;
    rec.code = o_.code;
    rec.origin_run_id = o_.origin_run_id;
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    rec.host = host;
    rec.orchestrator_pid = getpid();
    Result<int64_t> id = md_.create_run(rec);
    if (!id.ok()) {
      tell(stderr, format_line("error: cannot create a run of %s: %s", flow_.name().c_str(),
                               id.status().to_string().c_str()));
      return 1;
    }
    run_id_ = *id;
    for (const auto& tag : o_.tags) (void)md_.add_tag(flow_.name(), run_id_, tag);
    if (o_.origin_run_id && !load_origin()) return finish(false);
    say("%s/%lld: run started%s", flow_.name().c_str(), (long long)run_id_,
        o_.origin_run_id ? (" (resuming run " + std::to_string(o_.origin_run_id) + ")").c_str()
                         : "");

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    schedule("start", Json::array(), {});
    loop();
    return finish(!failing_ && end_done_);
  }

 private:
  // One line to stdout (a console log): formatted, then escaped whole, so
  // that no name, URL or error message in it can start a line of its own.
  template <typename... Args>
  static void say(const char* fmt, Args... args) {
    tell(stdout, format_line(fmt, args...));
  }
  template <typename... Args>
  static std::string format_line(const char* fmt, Args... args) {
    const int n = std::snprintf(nullptr, 0, fmt, args...);
    std::string line(static_cast<size_t>(std::max(n, 0)) + 1, '\0');
    std::snprintf(line.data(), line.size(), fmt, args...);
    line.pop_back();
    return line;
  }
  static void tell(std::FILE* out, const std::string& line) {
    const std::string safe = escape_for_log(line) + "\n";
    std::fwrite(safe.data(), 1, safe.size(), out);
    std::fflush(out);
  }

  const std::string& executor_of(const std::string& step) const {
    static const std::string kLocal = "local";
    auto it = o_.step_executors.find(step);
    return it == o_.step_executors.end() ? kLocal : it->second;
  }

  // Every step whose executor can refuse a request (Slurm: no such partition,
  // more GPUs than any node has) is asked before anything runs, so that a run
  // does not fail, or wait forever, hours in.
  bool check_requests() {
    bool ok = true;
    for (const auto& s : flow_.steps()) {
      JobSpec probe;
      probe.id = "step '" + s->name + "' of " + flow_.name();
      probe.argv = {o_.executable};
      probe.executor = executor_of(s->name);
      probe.resources = s->resources;
      probe.timeout = s->timeout;
      if (Status st = ex_.check(probe); !st.ok()) {
        tell(stderr, "error: " + st.message());
        ok = false;
      }
    }
    if (!ok) tell(stderr, format_line("error: nothing of %s was run", flow_.name().c_str()));
    return ok;
  }

  std::string pathspec(const Instance& in) const {
    return task_pathspec(flow_.name(), run_id_, in.step, in.task_id);
  }

  // Resume after the orchestrator was killed: its remote jobs may still be
  // queued or running. A queued one is cancelled (this run does its work); a
  // running one is waited for, so that what it finishes is cloned, not redone.
  // Their attempts are then closed in the origin run with what became of them.
  bool settle_orphans() {
    Result<std::vector<TaskRecord>> tasks = md_.list_tasks(flow_.name(), o_.origin_run_id);
    if (!tasks.ok()) return true;  // load_origin reports it
    std::map<std::string, AttemptRecord> orphans;  // by job id given to the executor
    for (const auto& t : *tasks) {
      if (t.status == TaskStatus::kDone) continue;
      Result<std::vector<AttemptRecord>> attempts = md_.list_attempts(flow_.name(), o_.origin_run_id, t.task_id);
      if (!attempts.ok() || attempts->empty()) continue;
      const AttemptRecord& a = attempts->back();
      if (a.finished_ms != 0 || a.job_id.empty() || a.executor.empty() || a.executor == "local") continue;
      const std::string path = task_pathspec(flow_.name(), o_.origin_run_id, t.step, t.task_id);
      const Placement where{a.executor, a.job_id, a.host, a.reason, ""};
      if (Status st = ex_.adopt(path, where); !st.ok()) {
        say("%s: cannot follow %s job %s (%s); this run runs the task again", path.c_str(),
            a.executor.c_str(), a.job_id.c_str(), st.message().c_str());
        continue;
      }
      if (a.reason.rfind("queued", 0) == 0) {
        ex_.cancel(path);
        say("%s: cancelling %s job %s, queued when its orchestrator was killed: this run does its work",
            path.c_str(), a.executor.c_str(), a.job_id.c_str());
      } else {
        say("%s: waiting for %s job %s, left running by the killed orchestrator: what it finishes is kept",
            path.c_str(), a.executor.c_str(), a.job_id.c_str());
      }
      orphans[path] = a;
    }
    while (!orphans.empty()) {
      Result<std::vector<JobEvent>> events = ex_.poll(std::chrono::milliseconds(1000));
      if (!events.ok()) {
        tell(stderr, "error: following the jobs the killed orchestrator left: " + events.status().to_string());
        return false;
      }
      for (const JobEvent& e : *events) {
        if (e.kind == JobEvent::Kind::kOutput) {
          const std::string line = "[" + e.id + "] " + e.text;
          std::fwrite(line.data(), 1, line.size(), stdout);
          continue;
        }
        auto it = orphans.find(e.id);
        if (e.kind != JobEvent::Kind::kExit || it == orphans.end()) continue;
        AttemptRecord a = it->second;
        a.finished_ms = now_unix_ms();
        // As for any attempt: done only if the task wrote its done record.
        Result<TaskRecord> rec = md_.get_task(flow_.name(), o_.origin_run_id, a.task_id);
        a.ok = (e.exit.ok || e.exit.lost) && rec.ok() && rec->status == TaskStatus::kDone;
        a.exit_code = e.exit.exit_code;
        a.signal = e.exit.signal;
        a.reason = "its orchestrator was killed; the job then ended: " + e.exit.reason;
        if (!e.exit.output.empty()) {
          if (Result<BlobInfo> log = cas_.put(e.exit.output); log.ok()) a.log_digest = log->digest;
        }
        (void)write_md([&] { return md_.record_attempt(a); });
        say("%s: %s job %s ended: %s", e.id.c_str(), a.executor.c_str(), a.job_id.c_str(),
            e.exit.reason.c_str());
        orphans.erase(it);
      }
      std::fflush(stdout);
    }
    return true;
  }

  bool load_origin() {
    Result<std::vector<TaskRecord>> tasks = md_.list_tasks(flow_.name(), o_.origin_run_id);
    if (!tasks.ok()) {
      tell(stderr, "error: " + tasks.status().to_string());
      return false;
    }
    for (auto& t : *tasks) {
      const std::string key = instance_key(t.step, t.foreach_stack);
      origin_any_[key] = task_pathspec(flow_.name(), o_.origin_run_id, t.step, t.task_id);
      if (t.status == TaskStatus::kDone) origin_done_[key] = t;
    }
    return true;
  }

  void schedule(const std::string& step, Json stack, std::vector<int64_t> inputs) {
    const std::string key = instance_key(step, stack);
    if (instances_.count(key)) return;
    Instance in;
    in.step = step;
    in.stack = std::move(stack);
    in.inputs = std::move(inputs);
    in.task_id = ++last_task_id_;
    TaskRecord rec;
    rec.flow = flow_.name();
    rec.run_id = run_id_;
    rec.task_id = in.task_id;
    rec.step = step;
    rec.foreach_stack = in.stack;
    rec.inputs = in.inputs;
    rec.created_ms = now_unix_ms();
    if (Instance* cloned = try_clone(in, rec, key)) {
      on_done(*cloned);
      return;
    }
    if (auto it = origin_any_.find(key); it != origin_any_.end()) rec.resumed_from = it->second;
    if (Status s = write_md([&] { return md_.create_task(rec); }); !s.ok()) {
      fail_run("cannot record task " + pathspec(in) + ": " + s.to_string());
      return;
    }
    by_task_[in.task_id] = key;
    queue_.push_back(key);
    instances_.emplace(key, std::move(in));
  }

  // Resume: a task whose origin twin finished, whose step is not forced to
  // rerun and whose inputs were all cloned is cloned by reference.
  Instance* try_clone(Instance& in, TaskRecord& rec, const std::string& key) {
    if (!o_.origin_run_id || in.step == o_.resume_step) return nullptr;
    auto it = origin_done_.find(key);
    if (it == origin_done_.end()) return nullptr;
    for (int64_t p : in.inputs) {
      if (!instances_.at(by_task_.at(p)).cloned) return nullptr;
    }
    const TaskRecord& origin = it->second;
    rec.cloned_from = task_pathspec(flow_.name(), o_.origin_run_id, origin.step, origin.task_id);
    Result<std::vector<ArtifactRecord>> arts =
        md_.list_artifacts(flow_.name(), o_.origin_run_id, origin.task_id);
    Status s = arts.status();
    if (s.ok()) s = check_blobs(*arts, rec.cloned_from, origin.step);
    if (s.ok()) s = md_.create_task(rec);
    if (s.ok()) s = md_.finish_task(flow_.name(), run_id_, in.task_id, *arts, origin.foreach_count);
    if (s.ok()) {
      // Keep the origin's log reachable from the clone.
      Result<std::vector<AttemptRecord>> at =
          md_.list_attempts(flow_.name(), o_.origin_run_id, origin.task_id);
      AttemptRecord a;
      a.flow = flow_.name();
      a.run_id = run_id_;
      a.task_id = in.task_id;
      a.started_ms = a.finished_ms = now_unix_ms();
      a.ok = true;
      a.exit_code = 0;
      a.reason = "cloned from " + rec.cloned_from;
      if (at.ok() && !at->empty()) a.log_digest = at->back().log_digest;
      s = md_.record_attempt(a);
    }
    if (!s.ok()) {
      fail_run("cannot clone " + rec.cloned_from + ": " + s.to_string());
      rec.cloned_from.clear();  // recorded, if at all, as the task that did not run
      return nullptr;
    }
    in.cloned = true;
    in.state = State::kDone;
    in.foreach_count = origin.foreach_count;
    by_task_[in.task_id] = key;
    auto [pos, _] = instances_.emplace(key, std::move(in));
    ++cloned_;
    say("%s: cloned from %s", pathspec(pos->second).c_str(), rec.cloned_from.c_str());
    return &pos->second;
  }

  // A clone copies the artifact index, not the bytes: every blob it points to
  // must still be in the store, or the resumed run would report success over
  // data it no longer has.
  Status check_blobs(const std::vector<ArtifactRecord>& arts, const std::string& origin,
                     const std::string& step) {
    std::vector<std::string> keys;  // one batch: a remote store answers them in parallel
    for (const auto& a : arts) {
      if (!is_sha256_hex(a.digest)) {
        return corrupt("artifact '" + a.name + "' of " + origin + " names a bad digest '" +
                       escape_for_log(a.digest) + "'");
      }
      keys.push_back(ContentStore::object_key(a.digest));
    }
    const std::vector<Result<bool>> present = cas_.storage().exists_batch(keys);
    for (size_t i = 0; i < arts.size(); ++i) {
      const ArtifactRecord& a = arts[i];
      const Result<bool>& there = present[i];
      if (!there.ok()) return there.status().with_context("artifact '" + a.name + "' of " + origin);
      if (!*there) {
        return not_found("artifact '" + a.name + "' of " + origin +
                         " is missing from the store (blob " + a.digest + " not in " +
                         cas_.storage().url() + "); `resume " + step + "` recomputes it");
      }
    }
    return {};
  }

  void on_done(Instance& in) {
    const StepSpec& s = *flow_.find(in.step);
    if (in.step == "end") {
      end_done_ = true;
      return;
    }
    if (s.transition == Transition::kForeach) {
      for (int64_t i = 0; i < in.foreach_count; ++i) {
        Json stack = in.stack;
        stack.push_back({{"step", in.step}, {"index", i}, {"count", in.foreach_count}});
        schedule(s.targets.front(), std::move(stack), {in.task_id});
      }
      return;
    }
    for (const auto& t : s.targets) {
      if (flow_.find(t)->is_join) {
        try_join(t, in.stack);
      } else {
        schedule(t, in.stack, {in.task_id});
      }
    }
  }

  // Called once per finished parent of `join`; schedules the join when the
  // last of its parents is done (counting, so a wide foreach stays linear).
  void try_join(const std::string& join, const Json& from_stack) {
    Json outer = from_stack;
    int64_t expected = static_cast<int64_t>(graph_.parents.at(join).size());
    const bool foreach_join = graph_.is_foreach_join(flow_, join);
    Json last;
    if (foreach_join) {
      last = outer.back();
      outer.erase(outer.size() - 1);
      expected = last["count"].get<int64_t>();
    }
    const std::string key = instance_key(join, outer);
    if (++join_arrivals_[key] < expected) return;
    std::vector<int64_t> inputs;
    if (foreach_join) {
      const std::string& parent = graph_.parents.at(join).front();
      for (int64_t i = 0; i < expected; ++i) {
        Json stack = outer;
        Json entry = last;
        entry["index"] = i;
        stack.push_back(entry);
        inputs.push_back(instances_.at(instance_key(parent, stack)).task_id);
      }
    } else {
      for (const auto& parent : graph_.parents.at(join)) {
        inputs.push_back(instances_.at(instance_key(parent, outer)).task_id);
      }
    }
    schedule(join, outer, inputs);
  }

  void launch(Instance& in) {
    const StepSpec& s = *flow_.find(in.step);
    JobSpec job;
    job.id = pathspec(in);
    job.argv = {o_.executable, "step", in.step, "--run-id", std::to_string(run_id_),
                "--task-id", std::to_string(in.task_id), "--attempt", std::to_string(in.attempt)};
    job.argv.insert(job.argv.end(), o_.store_args.begin(), o_.store_args.end());
    if (in.catching) {
      job.argv.push_back("--caught-error");
      job.argv.push_back(in.last_error);
    }
    job.env = s.env;
    job.env["TRELLIS_PATHSPEC"] = job.id;
    for (const auto& [k, v] : o_.store_env) job.env[k] = v;
    job.timeout = in.catching ? std::chrono::milliseconds(0) : s.timeout;
    job.resources = s.resources;
    job.executor = executor_of(in.step);
    in.placement = {};
    if (Status st = ex_.submit(job); !st.ok()) {
      in.last_error = st.to_string();
      on_failed_attempt(in, st.to_string(), "");
      return;
    }
    in.state = State::kRunning;
    in.started_ms = monotonic_ms();
    attempt_started_[in.task_id] = now_unix_ms();
    (void)md_.set_task_status(flow_.name(), run_id_, in.task_id, TaskStatus::kRunning);
  }

  AttemptRecord attempt_record(const Instance& in) {
    AttemptRecord a;
    a.flow = flow_.name();
    a.run_id = run_id_;
    a.task_id = in.task_id;
    a.attempt = in.attempt;
    a.started_ms = attempt_started_[in.task_id];
    a.executor = in.placement.executor;
    a.job_id = in.placement.job_id;
    a.host = in.placement.host;
    return a;
  }

  // A job was queued or started somewhere. Local jobs start at once and are
  // recorded with their exit; a remote job is recorded now, so that its job id
  // is in the metadata while it waits or runs (to follow or cancel it).
  void on_placed(Instance& in, const Placement& p) {
    const bool new_host = !p.host.empty() && p.host != in.placement.host;
    in.placement = p;
    if (p.executor == "local") return;
    AttemptRecord a = attempt_record(in);
    a.reason = p.state;
    if (Status s = write_md([&] { return md_.record_attempt(a); }); !s.ok()) {
      say("%s: cannot record attempt %d: %s", pathspec(in).c_str(), in.attempt,
          s.to_string().c_str());
    }
    const std::string job = (p.executor == "slurm" ? "Slurm" : p.executor) + " job " + p.job_id;
    if (p.state == "running" && new_host) {
      say("%s: running on %s (%s)", pathspec(in).c_str(), p.host.c_str(), job.c_str());
    } else if (p.state != "running") {
      say("%s: %s as %s", pathspec(in).c_str(), p.state.c_str(), job.c_str());
    }
  }

  void on_exit(Instance& in, const JobExit& exit) {
    AttemptRecord a = attempt_record(in);
    a.finished_ms = now_unix_ms();
    a.exit_code = exit.exit_code;
    a.signal = exit.signal;
    a.reason = exit.reason;
    // A task that printed nothing has no log blob (an empty digest reads as "").
    if (!exit.output.empty()) {
      Result<BlobInfo> log = cas_.put(exit.output);
      if (log.ok()) a.log_digest = log->digest;
    }

    bool done = false;
    // A job the executor lost track of may still have finished: its own done
    // record says so.
    if (exit.ok || exit.lost) {
      Result<TaskRecord> rec = md_.get_task(flow_.name(), run_id_, in.task_id);
      done = rec.ok() && rec->status == TaskStatus::kDone;
      if (done) in.foreach_count = rec->foreach_count;
      if (!done && exit.ok) a.reason = "exited with code 0 but wrote no done record";
      if (!done && exit.lost) a.reason += " and the task wrote no done record";
    }
    a.ok = done;
    std::string detail;
    const std::string reason = a.reason;
    if (!done) {
      detail = last_line(exit.output);
      const std::string own_prefix = "error: " + pathspec(in) + ": ";  // printed by run_task
      if (detail.rfind(own_prefix, 0) == 0) detail = detail.substr(own_prefix.size());
      // Kept with the attempt too: the output blob may be lost (a full disk).
      constexpr size_t kMaxDetail = 1000;
      if (!detail.empty()) a.reason += ": " + detail.substr(0, kMaxDetail);
    }
    if (Status s = write_md([&] { return md_.record_attempt(a); }); !s.ok()) {
      say("%s: cannot record attempt %d: %s", pathspec(in).c_str(), in.attempt,
          s.to_string().c_str());
    }
    const double secs = (monotonic_ms() - in.started_ms) / 1000.0;
    if (done) {
      in.state = State::kDone;
      say("%s: done in %.2fs", pathspec(in).c_str(), secs);
      on_done(in);
      return;
    }
    on_failed_attempt(in, reason, detail);
  }

  static std::string last_line(const std::string& out) {
    size_t end = out.find_last_not_of("\r\n");
    if (end == std::string::npos) return "";
    size_t start = out.find_last_of("\r\n", end);
    return out.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
  }

  void on_failed_attempt(Instance& in, const std::string& reason, const std::string& detail) {
    const StepSpec& s = *flow_.find(in.step);
    const std::string error = detail.empty() ? reason : reason + ": " + detail;
    say("%s: attempt %d failed (%s)", pathspec(in).c_str(), in.attempt, error.c_str());
    if (in.catching) {  // even recording the failure failed
      return give_up(in, error);
    }
    if (in.attempt < s.retries && !failing_) {
      const int64_t delay = s.retry_backoff.count() << std::min(in.attempt, 6);
      ++in.attempt;
      in.state = State::kBackoff;
      in.not_before_ms = monotonic_ms() + delay;
      queue_.push_back(instance_key(in.step, in.stack));
      say("%s: retrying in %.1fs (attempt %d of %d)", pathspec(in).c_str(), delay / 1000.0,
          in.attempt, s.retries);
      return;
    }
    if (!s.catch_key.empty() && !failing_) {
      ++in.attempt;
      in.catching = true;
      in.last_error = error;
      in.state = State::kQueued;
      queue_.push_back(instance_key(in.step, in.stack));
      return;
    }
    give_up(in, error);
  }

  void give_up(Instance& in, const std::string& error) {
    in.state = State::kFailed;
    (void)write_md([&] {
      return md_.set_task_status(flow_.name(), run_id_, in.task_id, TaskStatus::kFailed);
    });
    fail_run("step '" + in.step + "' failed: " + pathspec(in) + ": " + error);
  }

  // A metadata write that fails with an I/O error may have met a full disk
  // (SQLite: "database or disk is full"): the reserve set aside for this is
  // freed once and the write tried again, so that at least the records saying
  // what failed get through and the run does not stay "running" forever.
  template <typename F>
  Status write_md(F&& write) {
    Status s = write();
    if (s.ok() || s.code() != Code::kIoError || reserve_released_ || !o_.release_reserve) return s;
    reserve_released_ = true;
    if (!o_.release_reserve()) return s;
    say("%s/%lld: a metadata write failed (%s): released the disk space reserve",
        flow_.name().c_str(), (long long)run_id_, s.to_string().c_str());
    return write();
  }

  void fail_run(const std::string& why) {
    if (!failing_) {
      failing_ = true;
      first_error_ = why;
      if (ex_.running() > 0) say("%s/%lld: stopping: waiting for %d running task(s)",
                                 flow_.name().c_str(), (long long)run_id_, ex_.running());
    }
  }

  void loop() {
    while (true) {
      if (g_interrupted && !interrupted_) {
        interrupted_ = true;
        fail_run("interrupted");
        ex_.cancel_all();
      }
      int64_t next_wakeup = 1000;
      if (!failing_) {
        const int64_t now = monotonic_ms();
        std::deque<std::string> later;
        // First come, first served per executor: once a job does not fit (a
        // 2-cpu task with one worker free), later jobs of that executor wait
        // behind it rather than overtake it forever.
        std::set<std::string> blocked;
        while (!queue_.empty() && blocked.size() < executor_names_.size()) {
          std::string key = queue_.front();
          queue_.pop_front();
          Instance& in = instances_.at(key);
          if (in.state == State::kBackoff && in.not_before_ms > now) {
            next_wakeup = std::min(next_wakeup, in.not_before_ms - now);
            later.push_back(key);
            continue;
          }
          const std::string& name = executor_of(in.step);
          JobSpec probe;
          probe.argv = {o_.executable};
          probe.executor = name;
          probe.resources = flow_.find(in.step)->resources;
          if (blocked.count(name) || !ex_.can_accept(probe)) {
            blocked.insert(name);
            later.push_back(key);
            continue;
          }
          launch(in);
        }
        for (auto it = later.rbegin(); it != later.rend(); ++it) queue_.push_front(*it);
      }
      if (ex_.running() == 0 && (failing_ || queue_.empty())) break;
      Result<std::vector<JobEvent>> events = ex_.poll(std::chrono::milliseconds(next_wakeup));
      if (!events.ok()) {
        fail_run(events.status().to_string());
        ex_.cancel_all();
        continue;
      }
      for (auto& e : *events) {
        if (e.kind == JobEvent::Kind::kOutput) {
          std::string line = "[" + e.id + "] " + e.text;
          std::fwrite(line.data(), 1, line.size(), stdout);
        } else if (Instance* it = by_job_id(e.id)) {
          if (e.kind == JobEvent::Kind::kPlaced) on_placed(*it, e.placement);
          else on_exit(*it, e.exit);
        }
      }
      std::fflush(stdout);
    }
  }

  Instance* by_job_id(const std::string& job_id) {
    const auto slash = job_id.rfind('/');
    const int64_t task_id = std::stoll(job_id.substr(slash + 1));
    auto it = by_task_.find(task_id);
    return it == by_task_.end() ? nullptr : &instances_.at(it->second);
  }

  int finish(bool ok) {
    if (!ok && !failing_) {
      failing_ = true;
      first_error_ = "the run ended before reaching 'end'";
    }
    const RunStatus status = ok ? RunStatus::kSucceeded : RunStatus::kFailed;
    if (Status s = write_md([&] { return md_.finish_run(flow_.name(), run_id_, status); });
        !s.ok()) {
      const std::string why = std::string("cannot record that the run ") +
                              (ok ? "succeeded" : "failed") + ": " + s.to_string();
      if (ok) {
        failing_ = true;
        first_error_ = why;
        ok = false;
      } else {
        first_error_ += "; " + why;
      }
    }
    if (ok) {
      say("%s/%lld: run succeeded (%lld task(s), %lld cloned)", flow_.name().c_str(),
          (long long)run_id_, (long long)last_task_id_, (long long)cloned_);
      return 0;
    }
    tell(stderr, format_line("%s/%lld: run failed: %s", flow_.name().c_str(), (long long)run_id_,
                             first_error_.c_str()));
    std::fprintf(stderr, "to resume it after fixing the problem:\n");
    tell(stderr, format_line("  %s resume --origin-run-id %lld%s", o_.executable.c_str(),
                             (long long)run_id_, o_.resume_hint_args.c_str()));
    return 1;
  }

  const Flow& flow_;
  const GraphInfo& graph_;
  MetadataStore& md_;
  ContentStore& cas_;
  Executor& ex_;
  const OrchestratorOptions& o_;

  int64_t run_id_ = 0;
  int64_t last_task_id_ = 0;
  int64_t cloned_ = 0;
  std::map<std::string, Instance> instances_;
  std::map<int64_t, std::string> by_task_;
  std::map<int64_t, int64_t> attempt_started_;
  std::deque<std::string> queue_;
  std::map<std::string, TaskRecord> origin_done_;
  std::map<std::string, std::string> origin_any_;  // key -> origin pathspec, done or not
  std::map<std::string, int64_t> join_arrivals_;  // join instance -> parents done so far
  std::set<std::string> executor_names_;          // those the steps use
  bool failing_ = false;
  bool interrupted_ = false;
  bool end_done_ = false;
  bool reserve_released_ = false;
  std::string first_error_;
};

}  // namespace

int orchestrate(const Flow& flow, const GraphInfo& graph, MetadataStore& md, ContentStore& cas,
                Executor& executor, const OrchestratorOptions& options) {
  Orchestrator o(flow, graph, md, cas, executor, options);
  return o.run();
}

}  // namespace trellis
