// checkpointed: a long step that saves a checkpoint after every "epoch", so a
// crash, a kill or a retry continues where it stopped instead of at epoch 1.
//   ./checkpointed run --epochs 4 --die-after 1 --die-attempts 2
//        # attempt 0 is killed (SIGKILL) after epoch 1, its retry after epoch 2
//   TRELLIS_EXAMPLE_FIXED=1 ./checkpointed resume   # train continues at epoch 3
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <trellis/trellis.hpp>

using namespace trellis;

const Key<int64_t> kDone{"epochs_done"};                 // checkpoint
const Key<std::vector<int64_t>> kRan{"epochs_run_here"};  // artifact

int main(int argc, char** argv) {
  Flow flow("Checkpointed");
  auto epochs = flow.param<int64_t>("epochs", 3, "epochs to train");
  auto die_after = flow.param<int64_t>("die-after", 0,
                                       "SIGKILL itself once an epoch >= this one is done (0: never)");
  auto die_attempts = flow.param<int64_t>("die-attempts", 1, "attempts that die (train retries once)");
  flow.step("start", [](Task&) {}).next("train");
  flow.step("train", [&](Task& t) {
    const char* fixed = std::getenv("TRELLIS_EXAMPLE_FIXED");
    const bool may_die = *die_after > 0 && !(fixed && std::string(fixed) == "1") &&
                         t.attempt() < *die_attempts;
    const int64_t first = t.load_checkpoint(kDone).value_or(0) + 1;
    std::vector<int64_t> ran;
    for (int64_t e = first; e <= *epochs; ++e) {
      std::printf("epoch %lld\n", static_cast<long long>(e));
      ran.push_back(e);
      t.log("loss", 1.0 / static_cast<double>(e), e);
      t.save_checkpoint(kDone, e);
      if (may_die && e >= *die_after) raise(SIGKILL);
    }
    t.put(kRan, ran);
  }).retry(1, std::chrono::milliseconds(10)).next("end");
  flow.step("end", [](Task&) {});
  return trellis::main(flow, argc, argv);
}
