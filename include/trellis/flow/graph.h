// Graph checks and structure of a Flow, computed once before anything runs:
// start/end present, every target known, every step reachable, no cycles,
// every split (branch, foreach) closed by exactly one join, joins joining
// related branches only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "trellis/flow/flow.h"

namespace trellis {

struct GraphInfo {
  std::vector<std::string> order;                            // topological, start first
  std::map<std::string, std::vector<std::string>> parents;   // step -> steps leading to it
  std::map<std::string, std::string> join_split;             // join -> the split it closes
  std::map<std::string, std::string> split_join;             // split -> its join

  bool is_foreach_join(const Flow& flow, const std::string& join) const;
  // Steps reachable from `from`, including it.
  std::vector<std::string> descendants(const Flow& flow, const std::string& from) const;
};

// Every problem, one line each, naming the step(s). Empty when the flow is valid.
std::vector<std::string> validate_flow(const Flow& flow);

// The structure of a valid flow; kInvalidArgument with all problems otherwise.
Result<GraphInfo> analyze_flow(const Flow& flow);

}  // namespace trellis
