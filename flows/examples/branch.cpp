// branch: a static fan-out into two steps and a join that merges their results.
#include <trellis/trellis.hpp>

#include "inject.h"

using namespace trellis;

const Key<int64_t> kBase{"base"};
const Key<int64_t> kLeft{"left"};
const Key<int64_t> kRight{"right"};
const Key<int64_t> kSum{"sum"};

int main(int argc, char** argv) {
  Flow flow("Branch");
  flow.step("start", [](Task& t) {
    examples::maybe_fail(t); t.put(kBase, 10); }).branch({"left", "right"});
  flow.step("left", [](Task& t) {
    examples::maybe_fail(t); t.put(kLeft, t.get(kBase) + 1); }).next("join");
  flow.step("right", [](Task& t) {
    examples::maybe_fail(t); t.put(kRight, t.get(kBase) * 2); }).next("join");
  flow.join("join", [](Task& t) {
    examples::maybe_fail(t);
    t.merge_artifacts();  // base (same everywhere), left and right (one side each)
    t.put(kSum, t.get(kLeft) + t.get(kRight));
  }, "merge both sides and add them").next("end");
  flow.step("end", [](Task& t) {
    examples::maybe_fail(t); std::printf("sum = %lld\n", (long long)t.get(kSum)); });
  return trellis::main(flow, argc, argv);
}
