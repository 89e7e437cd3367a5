// Task: what a step body sees. Artifacts in and out, parameters, the foreach
// item, the inputs of a join, metrics. Step bodies may throw; any exception
// fails the attempt with its message (the task runner catches it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <type_traits>
#include <string>
#include <vector>

#include "trellis/flow/codec.h"
#include "trellis/metadata/metadata_store.h"
#include "trellis/stores/task_datastore.h"
#include "trellis/tracking/media.h"

namespace trellis {

// Thrown by the Task API on misuse or storage failure (missing artifact, ...).
class TaskError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ContentStore;
struct ArtifactView;

// One parent of a join task, read-only.
class Input {
 public:
  Input(std::string step, std::string pathspec, std::shared_ptr<ArtifactView> view);
  const std::string& step() const { return step_; }
  const std::string& pathspec() const { return pathspec_; }
  bool has(const std::string& name) const;
  template <typename T> T get(const Key<T>& key) const {
    return decode<T>(key.name, bytes(key.name, {Codec<T>::name(), Codec<T>::type_name()}));
  }

 private:
  template <typename T> static T decode(const std::string& name, std::string b) {
    Result<T> v = Codec<T>::decode(std::move(b));
    if (!v.ok()) throw TaskError("artifact '" + name + "': " + v.status().message());
    return std::move(v).value();
  }
  std::string bytes(const std::string& name, const CodecWant& want) const;
  std::string step_, pathspec_;
  std::shared_ptr<ArtifactView> view_;
};

class TaskContext;  // the runner's side

class Task {
 public:
  explicit Task(TaskContext& ctx) : ctx_(ctx) {}

  template <typename T> void put(const Key<T>& key, const std::type_identity_t<T>& value) {
    Encoded e = Codec<T>::encode(value);
    put_encoded(key.name, e, Codec<T>::name(), Codec<T>::type_name());
  }
  // The artifact as this task sees it: its own value, else its parent's.
  // Throws TaskError when absent or not decodable as T.
  template <typename T> T get(const Key<T>& key) const {
    Result<T> v = Codec<T>::decode(get_bytes(key.name, {Codec<T>::name(), Codec<T>::type_name()}));
    if (!v.ok()) throw TaskError("artifact '" + key.name + "': " + v.status().message());
    return std::move(v).value();
  }
  bool has(const std::string& name) const;
  std::vector<std::string> artifact_names() const;

  // Checkpoints for long steps: saved durably at once (not at the task's end),
  // so when this task is retried, or rerun by `resume` after a crash or kill,
  // load_checkpoint returns the last value saved by the earlier attempt (this
  // run first, then the run it resumes). nullopt when there is none.
  template <typename T> void save_checkpoint(const Key<T>& key, const std::type_identity_t<T>& value) {
    Encoded e = Codec<T>::encode(value);
    save_checkpoint_encoded(key.name, e, Codec<T>::name(), Codec<T>::type_name());
  }
  template <typename T> std::optional<T> load_checkpoint(const Key<T>& key) const {
    std::optional<std::string> bytes =
        load_checkpoint_bytes(key.name, {Codec<T>::name(), Codec<T>::type_name()});
    if (!bytes) return std::nullopt;
    Result<T> v = Codec<T>::decode(std::move(*bytes));
    if (!v.ok()) throw TaskError("checkpoint '" + key.name + "': " + v.status().message());
    return std::move(v).value();
  }

  // Inside a foreach: this task's item (element `index()` of the split's array).
  template <typename T> T input() const {
    try {
      return input_json().get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw TaskError(std::string("foreach item: ") + e.what());
    }
  }
  int64_t index() const;       // foreach index of the innermost foreach, -1 outside
  int64_t num_splits() const;  // number of items of the innermost foreach, -1 outside

  // Join tasks: one Input per parent task.
  const std::vector<Input>& inputs() const;
  // Takes every artifact that all inputs agree on (same content) or that only
  // one input has. Throws TaskError naming an artifact the inputs disagree on,
  // unless it is in `exclude` or already set by this task.
  void merge_artifacts(const std::set<std::string>& exclude = {});

  // Tracking: a scalar per step (buffered, written when the task finishes or
  // every few thousand points; cheap enough to call every iteration).
  void log(const std::string& name, double value, int64_t step);
  // One headline value of the task (the run report and `trellis metrics` show it).
  void summary(const std::string& name, double value);
  // An image with boxes, or a table whose cells may be images; stored at once.
  // Throws TaskError when storing fails.
  void log_image(const std::string& name, const TrackedImage& image, int64_t step = 0);
  void log_table(const std::string& name, const TrackedTable& table, int64_t step = 0);

  // The model registry: named pointers such as "plant/production" -> JSON
  // ({"pathspec": ..., "artifact": ..., ...}). Shared by all flows of a store.
  std::optional<Json> get_alias(const std::string& alias) const;
  void set_alias(const std::string& alias, const Json& value);
  // Bytes of an artifact of any done task: "Flow/run/step/task/name". Throws
  // TaskError naming the pathspec when it does not exist.
  std::string read_artifact(const std::string& pathspec) const;

  const std::string& flow_name() const;
  int64_t run_id() const;
  const std::string& step_name() const;
  int64_t task_id() const;
  int attempt() const;
  std::string pathspec() const;  // Flow/run/step/task
  const Json& params() const;

 private:
  void put_encoded(const std::string& name, const Encoded& e, const std::string& codec,
                   const std::string& type);
  std::string get_bytes(const std::string& name, const CodecWant& want) const;
  void save_checkpoint_encoded(const std::string& name, const Encoded& e, const std::string& codec,
                               const std::string& type);
  std::optional<std::string> load_checkpoint_bytes(const std::string& name,
                                                   const CodecWant& want) const;
  const Json& input_json() const;
  TaskContext& ctx_;
};

}  // namespace trellis
