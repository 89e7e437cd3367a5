// nested: a foreach inside a foreach (letters x numbers), joined twice.
#include <trellis/trellis.hpp>

#include "inject.h"

using namespace trellis;

const Key<std::vector<std::string>> kLetters{"letters"};
const Key<std::vector<int64_t>> kNumbers{"numbers"};
const Key<std::string> kLetter{"letter"};
const Key<std::string> kLabel{"label"};
const Key<std::vector<std::string>> kLabels{"labels"};

int main(int argc, char** argv) {
  Flow flow("Nested");
  flow.step("start", [](Task& t) {
    examples::maybe_fail(t);
    t.put(kLetters, std::vector<std::string>{"a", "b"});
  }).foreach("letters", "outer");
  flow.step("outer", [](Task& t) {
    examples::maybe_fail(t);
    t.put(kLetter, t.input<std::string>());
    t.put(kNumbers, std::vector<int64_t>{1, 2, 3});
  }).foreach("numbers", "inner");
  flow.step("inner", [](Task& t) {
    examples::maybe_fail(t);
    t.put(kLabel, t.get(kLetter) + std::to_string(t.input<int64_t>()));
  }).next("join_inner");
  flow.join("join_inner", [](Task& t) {
    examples::maybe_fail(t);
    std::vector<std::string> labels;
    for (const auto& in : t.inputs()) labels.push_back(in.get(kLabel));
    t.put(kLabels, labels);
  }).next("join_outer");
  flow.join("join_outer", [](Task& t) {
    examples::maybe_fail(t);
    std::vector<std::string> labels;
    for (const auto& in : t.inputs()) {
      for (auto& l : in.get(kLabels)) labels.push_back(l);
    }
    t.put(kLabels, labels);
  }).next("end");
  flow.step("end", [](Task& t) {
    examples::maybe_fail(t);
    std::string all;
    for (auto& l : t.get(kLabels)) all += l + " ";
    std::printf("labels = %s\n", all.c_str());
  });
  return trellis::main(flow, argc, argv);
}
