// resilient: the per-step options at work. `flaky` fails twice then succeeds
// (retry), `slow` hangs and is stopped by its timeout, then caught, `crashy`
// aborts and is caught; the run still succeeds and the failures are artifacts.
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <trellis/trellis.hpp>

using namespace trellis;

const Key<int64_t> kSucceededOn{"succeeded_on_attempt"};
const Key<std::string> kGreeting{"greeting"};

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  Flow flow("Resilient");
  flow.step("start", [](Task&) {}).next("flaky");
  flow.step("flaky", [](Task& t) {
    if (t.attempt() < 2) throw std::runtime_error("flaky failure on attempt " + std::to_string(t.attempt()));
    t.put(kSucceededOn, static_cast<int64_t>(t.attempt()));
  }).retry(2, 50ms).next("slow");
  flow.step("slow", [](Task&) { sleep(60); }).timeout(300ms).catch_errors("slow_error").next("crashy");
  flow.step("crashy", [](Task&) { std::abort(); }).catch_errors("crash_error").next("configured");
  flow.step("configured", [](Task& t) {
    const char* g = std::getenv("GREETING");
    t.put(kGreeting, std::string(g ? g : ""));
  }).env({{"GREETING", "hello from env"}})
    .resources({.cpus = 1, .gpus = 0, .memory_mb = 256}).next("end");
  flow.step("end", [](Task&) {});
  return trellis::main(flow, argc, argv);
}
