// foreach_work: a foreach whose tasks take a while and store several
// artifacts, one of them large, all deterministic. The kill-and-resume harness
// (bench/kill_resume.py) SIGKILLs its orchestrator or one of its tasks at a
// random moment, resumes, and compares the result with a clean run's.
#include <unistd.h>

#include <cstring>
#include <numeric>
#include <random>
#include <trellis/trellis.hpp>

using namespace trellis;

const Key<std::vector<int64_t>> kItems{"items"};
const Key<Bytes> kSeedBlob{"seed_blob"};
const Key<int64_t> kFirst{"first"};
const Key<Bytes> kData{"data"};
const Key<std::string> kLast{"last"};
const Key<int64_t> kTotal{"total"};
const Key<std::vector<std::string>> kLasts{"lasts"};

namespace {
std::string pseudo_random(size_t n, uint64_t seed) {  // incompressible, the same every run
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}
void sleep_ms(int64_t ms) {
  if (ms > 0) usleep(static_cast<useconds_t>(ms * 1000));
}
}  // namespace

int main(int argc, char** argv) {
  Flow flow("ForeachWork");
  auto width = flow.param<int64_t>("width", 8, "number of foreach tasks");
  auto work_ms = flow.param<int64_t>("work-ms", 100, "how long each foreach task works");
  auto data_kb = flow.param<int64_t>("data-kb", 1024, "size of each task's large artifact");
  flow.step("start",
            [&](Task& t) {
              std::vector<int64_t> items(static_cast<size_t>(*width));
              std::iota(items.begin(), items.end(), 0);
              t.put(kItems, items);
              t.put(kSeedBlob, Bytes{pseudo_random(256 << 10, 1)});
            })
      .foreach ("items", "work");
  flow.step(
          "work",
          [&](Task& t) {
            const int64_t x = t.input<int64_t>();
            t.put(kFirst, x * 7);
            sleep_ms(*work_ms / 2);
            t.put(kData, Bytes{pseudo_random(static_cast<size_t>(*data_kb) << 10, 1000 + x)});
            sleep_ms(*work_ms / 2);
            t.put(kLast, "item " + std::to_string(x));
          },
          "work on one item")
      .next("join");
  flow.join("join",
            [](Task& t) {
              int64_t total = 0;
              std::vector<std::string> lasts;
              for (const auto& in : t.inputs()) {
                total += in.get(kFirst);
                lasts.push_back(in.get(kLast));
              }
              t.put(kTotal, total);
              t.put(kLasts, lasts);
            })
      .next("end");
  flow.step("end", [&](Task& t) { std::printf("total = %lld\n", (long long)t.get(kTotal)); });
  return trellis::main(flow, argc, argv);
}
