// Defining a flow: a named graph of steps with typed parameters and per-step
// options. A Flow is only a description; trellis::main (trellis.hpp) validates
// it and runs it (orchestrator + executor), or runs one task of it (`step`).
//
//   Flow flow("Hello");
//   auto n = flow.param<int>("n", 3, "how many");
//   flow.step("start", [&](Task& t) { t.put(kCount, *n); }).next("end");
//   flow.step("end", [](Task&) {});
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trellis/executor/executor.h"
#include "trellis/flow/task.h"

namespace trellis {

enum class Transition { kNone, kNext, kBranch, kForeach };

struct StepSpec {
  std::string name;
  std::function<void(Task&)> body;
  std::string doc;
  bool is_join = false;
  Transition transition = Transition::kNone;
  std::vector<std::string> targets;  // next: 1, branch: >= 2, foreach: 1
  std::string foreach_key;           // artifact holding the items (a JSON array)
  int retries = 0;
  std::chrono::milliseconds retry_backoff{1000};  // doubled after each failed attempt
  std::chrono::milliseconds timeout{0};
  std::string catch_key;             // empty: failures are not caught
  Resources resources;
  std::string executor;              // "" local; "slurm" (the run's --executor overrides)
  std::map<std::string, std::string> env;
};

// Fluent options of one step; returned by Flow::step / Flow::join.
class StepBuilder {
 public:
  explicit StepBuilder(StepSpec& spec) : spec_(spec) {}
  StepBuilder& next(std::string step);
  StepBuilder& branch(std::vector<std::string> steps);
  // One task of `step` per element of the JSON-array artifact `key`.
  StepBuilder& foreach(std::string key, std::string step);
  StepBuilder& retry(int times, std::chrono::milliseconds backoff = std::chrono::seconds(1));
  StepBuilder& timeout(std::chrono::milliseconds limit);
  // A failure after the last retry is stored in artifact `key` (a JSON object
  // with "error", "attempts") and the run continues.
  StepBuilder& catch_errors(std::string key);
  StepBuilder& resources(Resources r);
  // Where the step's tasks run: "local" (the default) or "slurm". The run's
  // `--executor NAME` or `--executor STEP=NAME` overrides it.
  StepBuilder& executor(std::string name);
  StepBuilder& env(std::map<std::string, std::string> vars);
  StepBuilder& doc(std::string text);

 private:
  StepSpec& spec_;
};

enum class ParamType { kInt, kDouble, kString, kBool, kJson };

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  Json default_value;
  std::string help;
  std::shared_ptr<Json> value;  // set before any step body runs
};

// Handle to a parameter's value, valid inside step bodies.
template <typename T>
class Param {
 public:
  explicit Param(std::shared_ptr<Json> v) : v_(std::move(v)) {}
  T get() const { return v_->get<T>(); }
  T operator*() const { return get(); }

 private:
  std::shared_ptr<Json> v_;
};

template <typename T> constexpr ParamType param_type_of() {
  if constexpr (std::is_same_v<T, bool>) return ParamType::kBool;
  else if constexpr (std::is_integral_v<T>) return ParamType::kInt;
  else if constexpr (std::is_floating_point_v<T>) return ParamType::kDouble;
  else if constexpr (std::is_same_v<T, std::string>) return ParamType::kString;
  else return ParamType::kJson;
}

class Flow {
 public:
  explicit Flow(std::string name);

  StepBuilder step(std::string name, std::function<void(Task&)> body, std::string doc = "");
  // A join step: closes the innermost branch or foreach; its task sees t.inputs().
  StepBuilder join(std::string name, std::function<void(Task&)> body, std::string doc = "");

  template <typename T>
  Param<T> param(std::string name, T default_value, std::string help) {
    auto value = std::make_shared<Json>(default_value);
    params_.push_back({std::move(name), param_type_of<T>(), Json(default_value), std::move(help),
                       value});
    return Param<T>(value);
  }

  // Recorded in every run's code identity ("libtorch" -> "1.13.1").
  void record_library(std::string name, std::string version);
  void set_doc(std::string text) { doc_ = std::move(text); }

  const std::string& name() const { return name_; }
  const std::string& doc() const { return doc_; }
  const std::vector<std::unique_ptr<StepSpec>>& steps() const { return steps_; }
  const StepSpec* find(std::string_view step) const;
  std::vector<ParamSpec>& params() { return params_; }
  const std::vector<ParamSpec>& params() const { return params_; }
  const std::map<std::string, std::string>& libraries() const { return libraries_; }

 private:
  std::string name_;
  std::string doc_;
  std::vector<std::unique_ptr<StepSpec>> steps_;
  std::vector<ParamSpec> params_;
  std::map<std::string, std::string> libraries_;
};

}  // namespace trellis
