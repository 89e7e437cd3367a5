#include <cstdio>
#include <iostream>

#include "flow/runner.h"
#include "flow/task_context.h"
#include "trellis/core/format.h"

namespace trellis {
namespace {

// One line, whatever the message holds: the orchestrator reports the last line
// of a failed task's output as the reason.
int fail(const std::string& pathspec, const std::string& message) {
  std::fprintf(stderr, "%s\n", escape_for_log("error: " + pathspec + ": " + message).c_str());
  return 1;
}

std::shared_ptr<ArtifactView> load_view(TaskDatastore& store, const std::string& flow,
                                        int64_t run_id, const TaskRecord& task) {
  auto view = std::make_shared<ArtifactView>();
  view->store = &store;
  view->task = Pathspec::of_task(flow, run_id, task.step, task.task_id);
  Result<std::vector<ArtifactRecord>> arts = store.metadata().list_artifacts(flow, run_id, task.task_id);
  if (!arts.ok()) throw TaskError("artifacts of " + view->task.str() + ": " + arts.status().to_string());
  for (auto& a : *arts) view->records[a.name] = a;
  return view;
}

}  // namespace

int run_task(Flow& flow, const StepCommand& cmd, TaskDatastore& store) {
  MetadataStore& md = store.metadata();
  // Prints reach the console as they happen, not at exit; unbuffered rather than
  // line-buffered so a progress bar redrawn with '\r' shows too.
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  TaskContext ctx;
  ctx.flow = flow.name();
  ctx.step = cmd.step;
  ctx.run_id = cmd.run_id;
  ctx.task_id = cmd.task_id;
  ctx.attempt = cmd.attempt;
  ctx.store = &store;
  ctx.md = &md;
  const std::string pathspec = ctx.pathspec();
  const StepSpec* spec = flow.find(cmd.step);
  if (!spec) return fail(pathspec, "flow " + flow.name() + " has no step '" + cmd.step + "'");

  Result<RunRecord> run = md.get_run(flow.name(), cmd.run_id);
  if (!run.ok()) return fail(pathspec, run.status().to_string());
  Result<TaskRecord> task = md.get_task(flow.name(), cmd.run_id, cmd.task_id);
  if (!task.ok()) return fail(pathspec, task.status().to_string());
  if (task->step != cmd.step) {
    return fail(pathspec, "task " + std::to_string(cmd.task_id) + " belongs to step '" +
                              task->step + "'");
  }
  ctx.params = run->params;
  for (auto& p : flow.params()) {
    if (run->params.contains(p.name)) *p.value = run->params[p.name];
  }
  ctx.foreach_stack = task->foreach_stack;
  ctx.resumed_from = task->resumed_from;
  if (!ctx.foreach_stack.empty()) {
    const std::string split = ctx.foreach_stack.back()["step"].get<std::string>();
    if (const StepSpec* s = flow.find(split)) ctx.foreach_key = s->foreach_key;
  }

  try {
    std::vector<TaskRecord> parents;
    for (const auto& id : task->inputs) {
      Result<TaskRecord> p = md.get_task(flow.name(), cmd.run_id, id.get<int64_t>());
      if (!p.ok()) return fail(pathspec, "input: " + p.status().to_string());
      if (p->status != TaskStatus::kDone) {
        return fail(pathspec, "input task " + std::to_string(p->task_id) + " is not done");
      }
      parents.push_back(std::move(p).value());
    }
    if (spec->is_join) {
      for (const auto& p : parents) {
        auto view = load_view(store, flow.name(), cmd.run_id, p);
        ctx.input_views.push_back(view);
        ctx.inputs.emplace_back(p.step, view->task.str(), view);
      }
    } else if (!parents.empty()) {
      ctx.parent = load_view(store, flow.name(), cmd.run_id, parents.front());
    }

    Task t(ctx);
    if (cmd.caught_error) {
      const Json err = {{"error", *cmd.caught_error}, {"attempts", cmd.attempt}};
      t.put(Key<Json>{spec->catch_key}, err);
      std::fprintf(stderr, "%s\n",
                   escape_for_log(pathspec + ": failure caught in artifact '" + spec->catch_key +
                                  "': " + *cmd.caught_error)
                       .c_str());
    } else if (spec->body) {
      spec->body(t);
    }
    std::fflush(stdout);
    std::cout.flush();

    int64_t foreach_count = -1;
    if (spec->transition == Transition::kForeach) {
      if (!t.has(spec->foreach_key)) {
        return fail(pathspec, "foreach step must set artifact '" + spec->foreach_key + "'");
      }
      std::string bytes = t.get(Key<Bytes>{spec->foreach_key}).data;
      Result<Json> arr = parse_json(bytes, "foreach artifact '" + spec->foreach_key + "'");
      if (!arr.ok() || !arr->is_array()) {
        return fail(pathspec, "foreach artifact '" + spec->foreach_key +
                                  "' must be a JSON array (a vector)");
      }
      if (arr->empty()) {
        return fail(pathspec, "foreach artifact '" + spec->foreach_key + "' is empty");
      }
      foreach_count = static_cast<int64_t>(arr->size());
    }
    ctx.flush_artifacts();
    ctx.flush_metrics();
    Status done = md.finish_task(flow.name(), cmd.run_id, cmd.task_id, ctx.final_artifacts(),
                                 foreach_count);
    if (!done.ok()) return fail(pathspec, "done record: " + done.to_string());
  } catch (const std::exception& e) {
    std::fflush(stdout);
    return fail(pathspec, e.what());
  }
  return 0;
}

}  // namespace trellis
