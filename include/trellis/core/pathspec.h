// Pathspec: the name of a thing a run made, Flow[/run[/step[/task[/artifact]]]],
// e.g. "PlantDetection/7/train/3/model". The one place pathspecs are built and
// parsed; everything that prints or stores one goes through here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trellis/core/status.h"

namespace trellis {

struct Pathspec {
  std::string flow;
  std::string run;       // "" | "7" | "latest"
  std::string step;
  std::string task;      // "" | "3"
  std::string artifact;

  // Accepts Flow, Flow/run, Flow/run/step, Flow/run/step/task,
  // Flow/run/step/artifact (a step that ran once) and Flow/run/step/task/artifact.
  // kInvalidArgument naming the text and the part that is wrong.
  static Result<Pathspec> parse(std::string_view text);
  // Parses and requires every part down to `depth`: 2 run, 4 task, 5 artifact,
  // with numeric ids ("latest" is refused: a stored pathspec names one run).
  static Result<Pathspec> parse_exact(std::string_view text, int depth);

  static Pathspec of_run(std::string_view flow, int64_t run_id);
  static Pathspec of_task(std::string_view flow, int64_t run_id, std::string_view step,
                          int64_t task_id);
  Pathspec with_artifact(std::string_view name) const;

  // The ids as numbers; 0 when absent or "latest".
  int64_t run_id() const;
  int64_t task_id() const;

  std::string str() const;
  bool operator==(const Pathspec&) const = default;
};

// "Flow/run/step/task": the common case, without building a Pathspec.
std::string task_pathspec(std::string_view flow, int64_t run_id, std::string_view step,
                          int64_t task_id);

}  // namespace trellis
