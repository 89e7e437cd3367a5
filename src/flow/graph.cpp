#include "trellis/flow/graph.h"

#include <algorithm>
#include <functional>
#include <set>

namespace trellis {
namespace {

bool is_split(const StepSpec& s) {
  return s.transition == Transition::kBranch || s.transition == Transition::kForeach;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

}  // namespace

// Checks `flow` and fills `g` as far as the checks got.
static std::vector<std::string> check_flow(const Flow& flow, GraphInfo& g) {
  std::vector<std::string> errors;
  const StepSpec* start = flow.find("start");
  const StepSpec* end = flow.find("end");
  if (!start) errors.push_back("flow " + flow.name() + " has no 'start' step");
  if (!end) errors.push_back("flow " + flow.name() + " has no 'end' step");

  std::set<std::string> seen;
  for (const auto& s : flow.steps()) {
    if (!seen.insert(s->name).second) errors.push_back("step '" + s->name + "' is defined twice");
    if (s->name == "end") {
      if (s->transition != Transition::kNone) {
        errors.push_back("step 'end' must not lead anywhere");
      }
      continue;
    }
    if (s->transition == Transition::kNone) {
      errors.push_back("step '" + s->name + "' has no transition (next, branch or foreach)");
    }
    if (s->transition == Transition::kBranch && s->targets.size() < 2) {
      errors.push_back("step '" + s->name + "': branch needs at least two steps (use next)");
    }
    if (s->transition == Transition::kForeach && s->foreach_key.empty()) {
      errors.push_back("step '" + s->name + "': foreach needs an artifact name");
    }
    for (const auto& t : s->targets) {
      if (!flow.find(t)) errors.push_back("step '" + s->name + "' leads to unknown step '" + t + "'");
      if (t == "start") errors.push_back("step '" + s->name + "' leads back to 'start'");
    }
    if (s->retries < 0) errors.push_back("step '" + s->name + "': retry count is negative");
  }
  if (start && start->is_join) errors.push_back("step 'start' cannot be a join");
  if (!start) return errors;
  const bool shape_errors = !errors.empty();

  // Reachability and cycles (iterative DFS with colours).
  std::map<std::string, int> colour;  // 0 new, 1 on stack, 2 done
  std::function<void(const StepSpec&, std::vector<std::string>&)> visit =
      [&](const StepSpec& s, std::vector<std::string>& path) {
        colour[s.name] = 1;
        path.push_back(s.name);
        for (const auto& t : s.targets) {
          if (!flow.find(t)) continue;  // reported above
          if (colour[t] == 1) {
            auto from = std::find(path.begin(), path.end(), t);
            std::vector<std::string> cycle(from, path.end());
            cycle.push_back(t);
            std::string text;
            for (const auto& c : cycle) text += (text.empty() ? "" : " -> ") + c;
            errors.push_back("cycle: " + text);
          } else if (colour[t] == 0) {
            visit(*flow.find(t), path);
          }
        }
        path.pop_back();
        colour[s.name] = 2;
      };
  std::vector<std::string> path;
  visit(*start, path);
  for (const auto& s : flow.steps()) {
    if (colour[s->name] == 0) errors.push_back("step '" + s->name + "' is not reachable from 'start'");
  }
  if (shape_errors || !errors.empty()) return errors;

  // Split/join structure: each step's stack of open splits must be the same on
  // every path to it; a join pops the split its parents share.
  std::map<std::string, std::vector<std::string>>& parents = g.parents;
  for (const auto& s : flow.steps()) {
    for (const auto& t : s->targets) parents[t].push_back(s->name);
  }
  // Topological order (Kahn), stable in definition order.
  std::map<std::string, size_t> indegree;
  for (const auto& s : flow.steps()) indegree[s->name] = parents[s->name].size();
  std::vector<std::string> order, ready = {"start"};
  while (!ready.empty()) {
    std::string n = ready.front();
    ready.erase(ready.begin());
    order.push_back(n);
    for (const auto& t : flow.find(n)->targets) {
      if (--indegree[t] == 0) ready.push_back(t);
    }
  }
  g.order = order;
  std::map<std::string, std::vector<std::string>> stack_of;
  std::map<std::string, std::set<std::string>> joins_of_split;
  for (const auto& name : order) {
    const StepSpec& s = *flow.find(name);
    const auto& ps = parents[name];
    if (name == "start") {
      stack_of[name] = {};
      continue;
    }
    // The stack each parent hands down.
    std::vector<std::vector<std::string>> incoming;
    for (const auto& p : ps) {
      auto st = stack_of[p];
      if (is_split(*flow.find(p))) st.push_back(p);
      incoming.push_back(std::move(st));
    }
    if (s.is_join) {
      std::set<std::string> tops;
      bool empty = false;
      for (const auto& st : incoming) {
        if (st.empty()) empty = true;
        else tops.insert(st.back());
      }
      if (empty) {
        errors.push_back("join '" + name + "' has nothing to join (no open branch or foreach above it)");
        continue;
      }
      if (tops.size() > 1) {
        errors.push_back("join '" + name + "' joins unrelated branches (of splits " +
                         join_names({tops.begin(), tops.end()}) + ")");
        continue;
      }
      std::set<std::vector<std::string>> distinct(incoming.begin(), incoming.end());
      if (distinct.size() > 1) {
        errors.push_back("join '" + name + "' joins branches of different nesting (parents " +
                         join_names(ps) + ")");
        continue;
      }
      const std::string split = *tops.begin();
      const StepSpec& sp = *flow.find(split);
      if (sp.transition == Transition::kBranch && ps.size() < sp.targets.size()) {
        // Each branch must arrive here through its own parent.
        errors.push_back("join '" + name + "' gets " + std::to_string(ps.size()) +
                         " parent(s) but split '" + split + "' has " +
                         std::to_string(sp.targets.size()) + " branches");
      }
      if (sp.transition == Transition::kForeach && ps.size() != 1) {
        errors.push_back("join '" + name + "' closes foreach '" + split +
                         "' and must have exactly one parent, has " + join_names(ps));
      }
      joins_of_split[split].insert(name);
      g.join_split[name] = split;
      g.split_join[split] = name;
      auto st = incoming.front();
      st.pop_back();
      stack_of[name] = st;
    } else {
      if (ps.size() > 1) {
        errors.push_back("step '" + name + "' has several parents " + join_names(ps) +
                         " but is not a join (define it with flow.join)");
        continue;
      }
      stack_of[name] = incoming.front();
    }
  }
  for (const auto& s : flow.steps()) {
    if (!is_split(*s)) continue;
    auto it = joins_of_split.find(s->name);
    if (it == joins_of_split.end()) {
      errors.push_back("split '" + s->name + "' has no join");
    } else if (it->second.size() > 1) {
      errors.push_back("split '" + s->name + "' is joined by several steps " +
                       join_names({it->second.begin(), it->second.end()}));
    }
  }
  if (errors.empty() && end && !stack_of["end"].empty()) {
    errors.push_back("split '" + stack_of["end"].back() + "' is not joined before 'end'");
  }
  return errors;
}

std::vector<std::string> validate_flow(const Flow& flow) {
  GraphInfo g;
  return check_flow(flow, g);
}

Result<GraphInfo> analyze_flow(const Flow& flow) {
  GraphInfo g;
  std::vector<std::string> errors = check_flow(flow, g);
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return invalid_argument(msg);
  }
  return g;
}

bool GraphInfo::is_foreach_join(const Flow& flow, const std::string& join) const {
  auto it = join_split.find(join);
  return it != join_split.end() && flow.find(it->second)->transition == Transition::kForeach;
}

std::vector<std::string> GraphInfo::descendants(const Flow& flow, const std::string& from) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<std::string> todo = {from};
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    out.push_back(n);
    if (const StepSpec* s = flow.find(n)) {
      for (const auto& t : s->targets) todo.push_back(t);
    }
  }
  return out;
}

}  // namespace trellis
