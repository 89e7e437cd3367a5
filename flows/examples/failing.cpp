// failing: five steps, one of which fails (default the 4th, `evaluate`) until
// the "bug" is fixed, for resume demos and tests. The fix is simulated by the
// environment variable TRELLIS_EXAMPLE_FIXED=1 (resume keeps the parameters).
//   ./failing run                       # fails at evaluate
//   TRELLIS_EXAMPLE_FIXED=1 ./failing resume
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <trellis/trellis.hpp>

using namespace trellis;

const Key<std::vector<std::string>> kVisited{"visited"};
const Key<int64_t> kPid{"pid"};

int main(int argc, char** argv) {
  Flow flow("Failing");
  auto fail_at = flow.param<std::string>("fail-at", "evaluate", "step that fails");
  auto how = flow.param<std::string>("how", "throw",
                                     "throw | exit | abort | segv | sigkill | hang | fill-disk");
  auto sleep_ms = flow.param<int64_t>("sleep-ms", 0, "each step sleeps this long first");
  auto body = [&](const char* next_step) {
    (void)next_step;
    return [&](Task& t) {
      if (*sleep_ms > 0) usleep(static_cast<useconds_t>(*sleep_ms * 1000));
      std::vector<std::string> visited;
      if (t.has("visited")) visited = t.get(kVisited);
      visited.push_back(t.step_name());
      t.put(kVisited, visited);
      t.put(kPid, static_cast<int64_t>(getpid()));
      const char* fixed = std::getenv("TRELLIS_EXAMPLE_FIXED");
      if (t.step_name() != *fail_at || (fixed && std::string(fixed) == "1")) return;
      std::printf("%s: about to fail (%s)\n", t.step_name().c_str(), (*how).c_str());
      std::fflush(stdout);
      const std::string h = *how;
      if (h == "exit") std::exit(3);
      if (h == "abort") std::abort();
      if (h == "segv") raise(SIGSEGV);
      if (h == "sigkill") raise(SIGKILL);
      if (h == "hang") for (;;) pause();
      if (h == "fill-disk") {  // fill the store's disk, then try to store an artifact
        const char* root = std::getenv("TRELLIS_ROOT");  // set by the orchestrator
        if (!root) throw std::runtime_error("fill-disk needs TRELLIS_ROOT");
        const std::string filler = std::string(root) + "/../filler";
        std::FILE* f = std::fopen(filler.c_str(), "w");
        const std::string block(1 << 16, 'f');
        while (f && std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
        }
        if (f) std::fclose(f);
        t.put(Key<std::string>{"after_fill"}, std::string(1 << 16, 'a'));
        return;
      }
      throw std::runtime_error("simulated failure in " + t.step_name());
    };
  };
  flow.step("start", body("prepare")).next("prepare");
  flow.step("prepare", body("train")).next("train");
  flow.step("train", body("evaluate")).next("evaluate");
  flow.step("evaluate", body("end")).next("end");
  flow.step("end", body(""));
  return trellis::main(flow, argc, argv);
}
