#include "trellis/flow/flow.h"

namespace trellis {

StepBuilder& StepBuilder::next(std::string step) {
  spec_.transition = Transition::kNext;
  spec_.targets = {std::move(step)};
  return *this;
}

StepBuilder& StepBuilder::branch(std::vector<std::string> steps) {
  spec_.transition = Transition::kBranch;
  spec_.targets = std::move(steps);
  return *this;
}

StepBuilder& StepBuilder::foreach(std::string key, std::string step) {
  spec_.transition = Transition::kForeach;
  spec_.foreach_key = std::move(key);
  spec_.targets = {std::move(step)};
  return *this;
}

StepBuilder& StepBuilder::retry(int times, std::chrono::milliseconds backoff) {
  spec_.retries = times;
  spec_.retry_backoff = backoff;
  return *this;
}

StepBuilder& StepBuilder::timeout(std::chrono::milliseconds limit) {
  spec_.timeout = limit;
  return *this;
}

StepBuilder& StepBuilder::catch_errors(std::string key) {
  spec_.catch_key = std::move(key);
  return *this;
}

StepBuilder& StepBuilder::resources(Resources r) {
  spec_.resources = r;
  return *this;
}

StepBuilder& StepBuilder::executor(std::string name) {
  spec_.executor = std::move(name);
  return *this;
}

StepBuilder& StepBuilder::env(std::map<std::string, std::string> vars) {
  spec_.env = std::move(vars);
  return *this;
}

StepBuilder& StepBuilder::doc(std::string text) {
  spec_.doc = std::move(text);
  return *this;
}

Flow::Flow(std::string name) : name_(std::move(name)) {}

StepBuilder Flow::step(std::string name, std::function<void(Task&)> body, std::string doc) {
  auto spec = std::make_unique<StepSpec>();
  spec->name = std::move(name);
  spec->body = std::move(body);
  spec->doc = std::move(doc);
  steps_.push_back(std::move(spec));
  return StepBuilder(*steps_.back());
}

StepBuilder Flow::join(std::string name, std::function<void(Task&)> body, std::string doc) {
  StepBuilder b = step(std::move(name), std::move(body), std::move(doc));
  steps_.back()->is_join = true;
  return b;
}

void Flow::record_library(std::string name, std::string version) {
  libraries_[std::move(name)] = std::move(version);
}

const StepSpec* Flow::find(std::string_view step) const {
  for (const auto& s : steps_) {
    if (s->name == step) return s.get();
  }
  return nullptr;
}

}  // namespace trellis
