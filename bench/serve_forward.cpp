// serve_forward: images per second of the Detector's forward pass at several batch sizes and
// settings, to choose trellis-serve's defaults (workers x threads, channels-last).
//   serve_forward MODEL IMAGE [--batches 1,4,8] [--threads 2] [--workers 1] [--seconds 10]
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "serve/batcher.h"
#include "serve/image_input.h"
#include "trellis/core/fs.h"
#include "trellis/vision/detector.h"

namespace tv = trellis::vision;

int main(int argc, char** argv) {
  CLI::App app{"Detector forward-pass throughput"};
  std::string model, image;
  std::vector<int> batches = {1, 4, 8};
  int threads = 2, workers = 1, channels_last = 1, fuse = 1;
  double seconds = 10;
  app.add_option("model", model)->required();
  app.add_option("image", image)->required();
  app.add_option("--batches", batches)->delimiter(',');
  app.add_option("--threads", threads, "intra-op threads per worker");
  app.add_option("--workers", workers, "concurrent detectors");
  app.add_option("--channels-last", channels_last);
  app.add_option("--fuse", fuse);
  app.add_option("--seconds", seconds);
  CLI11_PARSE(app, argc, argv);
  auto bytes = trellis::read_file(image);
  if (!bytes.ok()) return 1;
  auto img = trellis::serve::decode_image(*bytes);
  if (!img.ok()) return 1;
  for (int b : batches) {
    std::atomic<int64_t> images{0};
    std::atomic<int64_t> busy_us{0};  // summed over workers: each worker's timed loop
    std::vector<std::thread> ts;
    for (int w = 0; w < workers; ++w) {
      ts.emplace_back([&] {
        trellis::serve::set_intra_op_threads(threads);
        auto det = tv::Detector::load_file(
            model, {.fuse_batchnorm = fuse != 0, .channels_last = channels_last != 0});
        if (!det.ok()) return;
        std::vector<tv::ImageView> views(static_cast<size_t>(b), img->view);
        (void)(*det)->detect(views);  // warm-up
        const auto t0 = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() - t0 < std::chrono::duration<double>(seconds)) {
          (void)(*det)->detect(views);
          images += b;
        }
        busy_us += std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
      });
    }
    for (auto& t : ts) t.join();
    // Images over the mean worker's timed span (the last pass may run past `seconds`).
    const double span = busy_us.load() / 1e6 / workers;
    std::printf(
        "batch %d workers %d threads %d channels_last %d fuse %d: %.3f images/s "
        "(%lld images in %.1f s)\n",
        b, workers, threads, channels_last, fuse, span > 0 ? images.load() / span : 0.0,
        static_cast<long long>(images.load()), span);
    std::fflush(stdout);
  }
  return 0;
}
