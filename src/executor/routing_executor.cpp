// Several executors behind one: the orchestrator drives one Executor, and the
// step's declared executor name picks which one takes each job.
#include <algorithm>
#include <map>
#include <thread>

#include "trellis/executor/executor.h"

namespace trellis {
namespace {

class RoutingExecutor final : public Executor {
 public:
  explicit RoutingExecutor(std::vector<std::pair<std::string, std::unique_ptr<Executor>>> e)
      : executors_(std::move(e)) {}

  Status submit(const JobSpec& job) override {
    Result<Executor*> ex = route(job);
    if (!ex.ok()) return ex.status();
    TRELLIS_RETURN_IF_ERROR((*ex)->submit(job));
    owner_[job.id] = *ex;
    return {};
  }

  bool can_accept(const JobSpec& job) const override {
    Result<Executor*> ex = route(job);
    // An unknown name is accepted so that submit reports it as the task's failure.
    return !ex.ok() || (*ex)->can_accept(job);
  }

  Status check(const JobSpec& job) override {
    Result<Executor*> ex = route(job);
    if (!ex.ok()) return ex.status();
    return (*ex)->check(job);
  }

  Result<std::vector<JobEvent>> poll(std::chrono::milliseconds wait) override {
    std::vector<Executor*> busy;
    for (auto& [name, ex] : executors_) {
      if (ex->running() > 0) busy.push_back(ex.get());
    }
    std::vector<JobEvent> events;
    if (busy.empty()) {
      // Nothing runs (a retry backs off): wait as asked rather than spin.
      for (auto& [name, ex] : executors_) {
        Result<std::vector<JobEvent>> got = ex->poll(std::chrono::milliseconds(0));
        if (!got.ok()) return got.status();
        for (auto& e : *got) events.push_back(std::move(e));
      }
      if (events.empty()) std::this_thread::sleep_for(wait);
      return events;
    }
    // One busy executor waits the whole time; several share it in short slices
    // so that none of them delays the others' events by more than a slice.
    const auto slice = busy.size() == 1 ? wait : std::min(wait, std::chrono::milliseconds(50));
    // Once one has something to report, the rest are only asked what they
    // already have, so a chatty job never starves the others.
    for (Executor* ex : busy) {
      Result<std::vector<JobEvent>> got =
          ex->poll(events.empty() ? slice : std::chrono::milliseconds(0));
      if (!got.ok()) return got.status();
      for (auto& e : *got) {
        if (e.kind == JobEvent::Kind::kExit) owner_.erase(e.id);
        events.push_back(std::move(e));
      }
    }
    return events;
  }

  int free_slots() const override {
    int n = 0;
    for (const auto& [name, ex] : executors_) n += std::max(0, ex->free_slots());
    return n;
  }
  int running() const override {
    int n = 0;
    for (const auto& [name, ex] : executors_) n += ex->running();
    return n;
  }
  void cancel_all() override {
    for (auto& [name, ex] : executors_) ex->cancel_all();
  }
  bool cancel(const std::string& id) override {
    auto it = owner_.find(id);
    return it != owner_.end() && it->second->cancel(id);
  }

  Status adopt(const std::string& id, const Placement& where) override {
    JobSpec by_name;
    by_name.id = id;
    by_name.executor = where.executor;
    Result<Executor*> ex = route(by_name);
    if (!ex.ok()) return ex.status();
    TRELLIS_RETURN_IF_ERROR((*ex)->adopt(id, where));
    owner_[id] = *ex;
    return {};
  }

 private:
  Result<Executor*> route(const JobSpec& job) const {
    if (executors_.empty()) return invalid_argument("no executor configured");
    if (job.executor.empty()) return executors_.front().second.get();
    std::string names;
    for (const auto& [name, ex] : executors_) {
      if (name == job.executor) return ex.get();
      names += (names.empty() ? "" : ", ") + name;
    }
    return invalid_argument("job " + job.id + " asks for executor '" + job.executor +
                            "' (there are: " + names + ")");
  }

  std::vector<std::pair<std::string, std::unique_ptr<Executor>>> executors_;
  std::map<std::string, Executor*> owner_;
};

}  // namespace

std::string describe(const Resources& r) {
  std::string s = "cpus=" + std::to_string(r.cpus);
  if (r.gpus) s += " gpus=" + std::to_string(r.gpus) + (r.gpu_type.empty() ? "" : ":" + r.gpu_type);
  if (r.memory_mb) s += " memory_mb=" + std::to_string(r.memory_mb);
  return s;
}

std::unique_ptr<Executor> make_routing_executor(
    std::vector<std::pair<std::string, std::unique_ptr<Executor>>> executors) {
  return std::make_unique<RoutingExecutor>(std::move(executors));
}

}  // namespace trellis
