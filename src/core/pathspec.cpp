#include "trellis/core/pathspec.h"

#include <charconv>
#include <vector>

namespace trellis {
namespace {

bool is_id(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int64_t to_id(std::string_view s) {
  int64_t v = 0;
  if (!is_id(s)) return 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

Status bad(std::string_view text, const std::string& why) {
  return invalid_argument("bad pathspec '" + std::string(text) + "' (" + why + ")");
}

}  // namespace

Result<Pathspec> Pathspec::parse(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();  // "Flow/7/"
  for (auto p : parts) {
    if (p.empty()) return bad(text, "empty part");
  }
  if (parts.size() > 5) return bad(text, "expected Flow[/run[/step[/task[/artifact]]]]");
  Pathspec p;
  p.flow = parts[0];
  if (parts.size() > 1) {
    p.run = parts[1];
    if (!is_id(p.run) && p.run != "latest") {
      return bad(text, "run '" + p.run + "' is not a number or 'latest'");
    }
  }
  if (parts.size() > 2) p.step = parts[2];
  if (parts.size() == 4) {
    if (is_id(parts[3])) p.task = parts[3];
    else p.artifact = parts[3];
  }
  if (parts.size() == 5) {
    if (!is_id(parts[3])) return bad(text, "task '" + std::string(parts[3]) + "' is not a number");
    p.task = parts[3];
    p.artifact = parts[4];
  }
  return p;
}

Result<Pathspec> Pathspec::parse_exact(std::string_view text, int depth) {
  Result<Pathspec> p = parse(text);
  if (!p.ok()) return p;
  static constexpr const char* kShapes[] = {"", "Flow", "Flow/run", "Flow/run/step",
                                            "Flow/run/step/task", "Flow/run/step/task/artifact"};
  const bool ok = (depth < 2 || is_id(p->run)) && (depth < 3 || !p->step.empty()) &&
                  (depth < 4 || is_id(p->task)) && (depth < 5 || !p->artifact.empty()) &&
                  (depth >= 5 || p->artifact.empty()) && (depth >= 4 || p->task.empty()) &&
                  (depth >= 3 || p->step.empty()) && (depth >= 2 || p->run.empty());
  if (depth < 1 || depth > 5 || !ok) {
    return bad(text, std::string("expected ") + kShapes[depth < 1 || depth > 5 ? 0 : depth]);
  }
  return p;
}

Pathspec Pathspec::of_run(std::string_view flow, int64_t run_id) {
  Pathspec p;
  p.flow = flow;
  p.run = std::to_string(run_id);
  return p;
}

Pathspec Pathspec::of_task(std::string_view flow, int64_t run_id, std::string_view step,
                           int64_t task_id) {
  Pathspec p = of_run(flow, run_id);
  p.step = step;
  p.task = std::to_string(task_id);
  return p;
}

Pathspec Pathspec::with_artifact(std::string_view name) const {
  Pathspec p = *this;
  p.artifact = name;
  return p;
}

int64_t Pathspec::run_id() const { return to_id(run); }
int64_t Pathspec::task_id() const { return to_id(task); }

std::string Pathspec::str() const {
  std::string out = flow;
  for (const std::string* part : {&run, &step, &task, &artifact}) {
    if (!part->empty()) out += "/" + *part;
  }
  return out;
}

std::string task_pathspec(std::string_view flow, int64_t run_id, std::string_view step,
                          int64_t task_id) {
  return Pathspec::of_task(flow, run_id, step, task_id).str();
}

}  // namespace trellis
