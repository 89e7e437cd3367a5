// artifacts: one step stores an array of --mb MB of random float32, the next
// reads it back and checks it (benchmarks of large artifacts use this flow).
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <random>
#include <trellis/trellis.hpp>

using namespace trellis;

const Key<NDArray> kArray{"array"};
const Key<int64_t> kChecksum{"checksum"};
const Key<double> kWriteSeconds{"write_seconds"};

namespace {
int64_t checksum(const NDArray& a) {  // over the bits: random floats include NaNs
  const uint32_t* p = a.as<uint32_t>();
  int64_t s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += p[i];
  return s;
}
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}
}  // namespace

int main(int argc, char** argv) {
  Flow flow("Artifacts");
  auto mb = flow.param<int64_t>("mb", 16, "array size in MB");
  auto seed = flow.param<int64_t>("seed", 0, "random seed (0: a new one each run, so nothing dedupes)");
  flow.step("start", [&](Task& t) {
    const int64_t n = *mb * (1 << 20) / 4;
    NDArray a = NDArray::zeros(DType::kFloat32, {n});
    std::mt19937 rng(*seed ? static_cast<uint32_t>(*seed) : std::random_device{}());
    auto* words = reinterpret_cast<uint32_t*>(a.data.data());
    for (int64_t i = 0; i < n; ++i) words[i] = rng();  // incompressible bits
    t.put(kChecksum, checksum(a));
    auto t0 = std::chrono::steady_clock::now();
    t.put(kArray, a);
    const double secs = seconds_since(t0);
    t.put(kWriteSeconds, secs);
    std::printf("write %lld MB: %.3f s (%.0f MB/s), peak RSS %.0f MB\n", (long long)*mb, secs,
                *mb / secs, peak_rss_mb());
  }).next("read");
  flow.step("read", [](Task& t) {
    auto t0 = std::chrono::steady_clock::now();
    NDArray a = t.get(kArray);
    const double secs = seconds_since(t0);
    const double mb = a.data.size() / double(1 << 20);
    std::printf("read %.0f MB: %.3f s (%.0f MB/s)\n", mb, secs, mb / secs);
    if (checksum(a) != t.get(kChecksum)) throw std::runtime_error("array changed in storage");
  }).next("end");
  flow.step("end", [](Task&) {});
  return trellis::main(flow, argc, argv);
}
