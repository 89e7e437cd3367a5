#include "trellis/client/client.h"

#include <cstdlib>
#include <filesystem>

namespace trellis {
std::string pathspec_of(const TaskRecord& t) {
  return task_pathspec(t.flow, t.run_id, t.step, t.task_id);
}

Result<std::unique_ptr<Client>> Client::open(const ClientOptions& options) {
  Result<StoreSettings> settings = resolve_stores(options);
  if (!settings.ok()) return settings.status();
  Result<Stores> stores = open_stores(*settings, OpenMode::kExisting);
  if (!stores.ok()) return stores.status();
  auto c = std::unique_ptr<Client>(new Client());
  c->stores_ = std::move(stores).value();
  return c;
}

Result<std::vector<std::string>> Client::flows() { return stores_.md->list_flows(); }

Result<std::vector<RunRecord>> Client::runs(const std::string& flow, const std::string& tag) {
  Result<std::vector<RunRecord>> all = stores_.md->list_runs(flow);
  if (!all.ok()) return all.status();
  if (all->empty()) {
    Result<std::vector<std::string>> names = stores_.md->list_flows();
    std::string known;
    if (names.ok()) {
      for (const auto& n : *names) known += (known.empty() ? "" : ", ") + n;
    }
    return not_found("no flow named '" + flow + "'" +
                     (known.empty() ? " (no runs recorded yet)" : " (known flows: " + known + ")"));
  }
  if (tag.empty()) return all;
  std::vector<RunRecord> out;
  for (auto& r : *all) {
    for (const auto& t : r.tags) {
      if (t == tag) {
        out.push_back(r);
        break;
      }
    }
  }
  return out;
}

Result<RunRecord> Client::run(const std::string& flow, int64_t run_id) {
  Result<RunRecord> r = stores_.md->get_run(flow, run_id);
  if (!r.ok() && r.status().code() == Code::kNotFound) {
    Result<std::vector<RunRecord>> all = runs(flow);
    if (!all.ok()) return all.status();
    return not_found("flow " + flow + " has no run " + std::to_string(run_id) + " (latest is " +
                     std::to_string(all->front().run_id) + ")");
  }
  return r;
}

Result<RunRecord> Client::latest_run(const std::string& flow) {
  Result<std::vector<RunRecord>> all = runs(flow);
  if (!all.ok()) return all.status();
  return all->front();
}

Result<RunRecord> Client::latest_successful_run(const std::string& flow) {
  Result<std::vector<RunRecord>> all = runs(flow);
  if (!all.ok()) return all.status();
  for (auto& r : *all) {
    if (r.status == RunStatus::kSucceeded) return r;
  }
  return not_found("flow " + flow + " has no successful run");
}

Result<std::vector<TaskRecord>> Client::tasks(const RunRecord& run) {
  return stores_.md->list_tasks(run.flow, run.run_id);
}

Result<std::vector<TaskRecord>> Client::tasks(const RunRecord& run, const std::string& step) {
  Result<std::vector<TaskRecord>> out = stores_.md->list_step_tasks(run.flow, run.run_id, step);
  if (!out.ok() || !out->empty()) return out;
  // Only on the way to an error: name the steps that did run.
  Result<std::vector<TaskRecord>> all = tasks(run);
  if (!all.ok()) return all.status();
  std::vector<std::string> steps;
  for (auto& t : *all) {
    if (steps.empty() || steps.back() != t.step) steps.push_back(t.step);
  }
  std::string known;
  for (const auto& s : steps) known += (known.empty() ? "" : ", ") + s;
  return not_found("run " + Pathspec::of_run(run.flow, run.run_id).str() + " has no step '" + step +
                   "'" + (known.empty() ? "" : " (steps that ran: " + known + ")"));
}

Result<TaskRecord> Client::task(const RunRecord& run, const std::string& step) {
  Result<std::vector<TaskRecord>> ts = tasks(run, step);
  if (!ts.ok()) return ts.status();
  if (ts->size() > 1) {
    return invalid_argument("step " + Pathspec::of_run(run.flow, run.run_id).str() + "/" + step +
                            " ran " + std::to_string(ts->size()) +
                            " tasks; name one (e.g. " + pathspec_of(ts->front()) + ")");
  }
  return ts->front();
}

Result<TaskRecord> Client::task(const RunRecord& run, int64_t task_id) {
  return stores_.md->get_task(run.flow, run.run_id, task_id);
}

Result<std::vector<ArtifactRecord>> Client::artifacts(const TaskRecord& task) {
  return stores_.md->list_artifacts(task.flow, task.run_id, task.task_id);
}

Result<ArtifactRecord> Client::artifact(const TaskRecord& task, const std::string& name) {
  return stores_.tasks->find(Pathspec::of_task(task.flow, task.run_id, task.step, task.task_id), name);
}

Result<std::string> Client::artifact_bytes(const TaskRecord& task, const std::string& name,
                                           const CodecWant& want) {
  const Pathspec at = Pathspec::of_task(task.flow, task.run_id, task.step, task.task_id);
  Result<ArtifactRecord> a = stores_.tasks->find(at, name);
  if (!a.ok()) return a.status();
  return stores_.tasks->load(*a, at, want);
}

Result<std::vector<AttemptRecord>> Client::attempts(const TaskRecord& task) {
  return stores_.md->list_attempts(task.flow, task.run_id, task.task_id);
}

Result<std::string> Client::logs(const TaskRecord& task, int attempt) {
  Result<std::vector<AttemptRecord>> at = attempts(task);
  if (!at.ok()) return at.status();
  if (at->empty()) return not_found(pathspec_of(task) + " has not run yet");
  const AttemptRecord* chosen = &at->back();
  if (attempt >= 0) {
    chosen = nullptr;
    for (auto& a : *at) {
      if (a.attempt == attempt) chosen = &a;
    }
    if (!chosen) {
      return not_found(pathspec_of(task) + " has no attempt " + std::to_string(attempt) +
                       " (attempts 0.." + std::to_string(at->back().attempt) + ")");
    }
  }
  if (chosen->log_digest.empty()) return std::string();
  return stores_.cas->get(chosen->log_digest);
}

Result<std::vector<MetricPoint>> Client::metrics(const TaskRecord& task) {
  return stores_.md->list_metrics(task.flow, task.run_id, task.task_id);
}

Result<std::vector<MediaRecord>> Client::media(const TaskRecord& task) {
  return stores_.md->list_media(task.flow, task.run_id, task.task_id);
}

Result<RunRecord> Client::resolve_run(const Pathspec& p) {
  if (p.run.empty() || p.run == "latest") return latest_run(p.flow);
  return run(p.flow, p.run_id());
}

Result<TaskRecord> Client::resolve_task(const Pathspec& p) {
  Result<RunRecord> r = resolve_run(p);
  if (!r.ok()) return r.status();
  if (p.step.empty()) return invalid_argument("pathspec names no step");
  if (p.task.empty()) return task(*r, p.step);
  Result<TaskRecord> t = task(*r, p.task_id());
  if (t.ok() && t->step != p.step) {
    return not_found("task " + p.task + " of " + Pathspec::of_run(p.flow, r->run_id).str() +
                     " belongs to step '" + t->step + "', not '" + p.step + "'");
  }
  return t;
}

}  // namespace trellis
