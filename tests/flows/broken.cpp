// An invalid flow (a cycle and an unknown step) for the CLI's validation tests.
#include <trellis/trellis.hpp>

using namespace trellis;

int main(int argc, char** argv) {
  Flow flow("Broken");
  flow.step("start", [](Task&) {}).next("a");
  flow.step("a", [](Task&) {}).next("b");
  flow.step("b", [](Task&) {}).next("a");
  flow.step("c", [](Task&) {}).next("nowhere");
  flow.step("end", [](Task&) {});
  return trellis::main(flow, argc, argv);
}
