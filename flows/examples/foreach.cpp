// foreach: one task per item of a list, then a join that gathers the results.
#include <trellis/trellis.hpp>

#include "inject.h"

#include <numeric>

using namespace trellis;

const Key<std::vector<int64_t>> kItems{"items"};
const Key<int64_t> kSquare{"square"};
const Key<int64_t> kTotal{"total"};

int main(int argc, char** argv) {
  Flow flow("Foreach");
  auto width = flow.param<int64_t>("width", 4, "number of parallel tasks");
  flow.step("start", [&](Task& t) {
    examples::maybe_fail(t);
    std::vector<int64_t> items(static_cast<size_t>(*width));
    std::iota(items.begin(), items.end(), 1);
    t.put(kItems, items);
  }).foreach("items", "square");
  flow.step("square", [](Task& t) {
    examples::maybe_fail(t);
    const auto x = t.input<int64_t>();
    t.put(kSquare, x * x);
  }, "square one item").next("join");
  flow.join("join", [](Task& t) {
    examples::maybe_fail(t);
    int64_t total = 0;
    for (const auto& in : t.inputs()) total += in.get(kSquare);
    t.put(kTotal, total);
  }).next("end");
  flow.step("end", [](Task& t) {
    examples::maybe_fail(t); std::printf("total = %lld\n", (long long)t.get(kTotal)); });
  return trellis::main(flow, argc, argv);
}
