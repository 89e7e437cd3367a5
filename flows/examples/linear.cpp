// linear: five steps in a row, each adding to a counter artifact.
#include <trellis/trellis.hpp>

#include "inject.h"

using namespace trellis;

const Key<int64_t> kCount{"count"};
const Key<std::vector<std::string>> kVisited{"visited"};

int main(int argc, char** argv) {
  Flow flow("Linear");
  flow.set_doc("Five steps in a row; each adds one to `count`.");
  auto start_at = flow.param<int64_t>("start-at", 0, "initial value of count");
  auto visit = [](Task& t) {
    examples::maybe_fail(t);
    t.put(kCount, t.get(kCount) + 1);
    auto v = t.get(kVisited);
    v.push_back(t.step_name());
    t.put(kVisited, v);
  };
  flow.step("start", [&](Task& t) {
    examples::maybe_fail(t);
    t.put(kCount, *start_at);
    t.put(kVisited, std::vector<std::string>{"start"});
  }, "set count to --start-at").next("one");
  flow.step("one", visit).next("two");
  flow.step("two", visit).next("three");
  flow.step("three", visit).next("end");
  flow.step("end", [](Task& t) {
    examples::maybe_fail(t); std::printf("count = %lld\n", (long long)t.get(kCount)); });
  return trellis::main(flow, argc, argv);
}
