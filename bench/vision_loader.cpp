// bench/vision_loader: training input pipeline throughput (decode + full
// augmentation at 416x416 + normalise + batch to tensors) on 1 and 2 threads,
// against its Python peer (bench/vision_loader_baseline.py: torchvision
// transforms + DataLoader) run in the same invocation. Prints images/s and the
// ratio per thread count.
//
//   vision_loader [--coco TRAIN.json] [--images N] [--batch B] [--threads 1,2]
//                 [--python /usr/bin/python3] [--no-python]
//
// Both sides: torch/at::set_num_threads(1); OpenCV's own threading off here.
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <string>
#include <vector>

#include "trellis/vision/dataset_io.h"
#include "trellis/vision/loader.h"
#include "trellis/vision/loader_torch.h"

namespace {

using namespace trellis::vision;

struct Args {
  std::string coco;
  int images = 400;
  int batch = 16;
  std::vector<int> threads = {1, 2};
  std::string python = "/usr/bin/python3";
  bool run_python = true;
};

double run_cpp(const Dataset& ds, const Args& args, int threads) {
  LoaderOptions o;
  o.batch_size = args.batch;
  o.num_threads = threads;
  o.prefetch_batches = 4;
  o.drop_last = true;
  BatchLoader loader(ds, o);
  int done = 0;
  bool first = true;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t epoch = 0; done < args.images; ++epoch) {
    loader.start_epoch(epoch);
    while (done < args.images) {
      auto b = loader.next();
      if (!b.ok()) {
        fmt::print(stderr, "{}\n", b.status().to_string());
        std::exit(1);
      }
      if (!b->has_value()) break;
      const TensorBatch t = to_tensors(std::move(**b));
      if (t.images.size(0) != args.batch) std::exit(1);
      if (first) {  // warm-up batch (thread start-up) is not timed, as in the peer
        first = false;
        t0 = std::chrono::steady_clock::now();
        continue;
      }
      done += static_cast<int>(t.images.size(0));
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return done / s;
}

double run_python(const Args& args, int threads) {
  const std::string script =
      (std::filesystem::path(__FILE__).parent_path() / "vision_loader_baseline.py").string();
  const std::string cmd =
      fmt::format("{} {} --coco {} --threads {} --images {} --batch {}", args.python, script,
                  args.coco, threads, args.images, args.batch);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) {
    fmt::print(stderr, "python baseline failed: {}\n", cmd);
    return -1;
  }
  return nlohmann::json::parse(out)["images_per_s"].get<double>();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  const std::string full = "/work/shared/data/plantdoc/train.json";
  args.coco = std::filesystem::exists(full)
                  ? full
                  : std::string(TRELLIS_SOURCE_DIR) + "/data/plantdoc-mini/train.json";
  for (int i = 1; i < argc; ++i) {
    const std::string f = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (f == "--coco")
      args.coco = value();
    else if (f == "--images")
      args.images = std::stoi(value());
    else if (f == "--batch")
      args.batch = std::stoi(value());
    else if (f == "--python")
      args.python = value();
    else if (f == "--no-python")
      args.run_python = false;
    else if (f == "--threads") {
      args.threads.clear();
      std::string v = value();
      for (size_t pos = 0; pos < v.size();) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        args.threads.push_back(std::stoi(v.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else {
      fmt::print(stderr, "unknown flag {}\n", f);
      return 2;
    }
  }
  at::set_num_threads(1);
  cv::setNumThreads(0);
  auto ds = read_coco(args.coco);
  if (!ds.ok()) {
    fmt::print(stderr, "{}\n", ds.status().to_string());
    return 1;
  }
  fmt::print(
      "data: {} ({} images); {} timed images per run, batch {}, 416x416, full "
      "augmentation\n",
      args.coco, ds->images.size(), args.images, args.batch);
  fmt::print("{:>8} {:>14} {:>14} {:>8}\n", "threads", "C++ img/s", "Python img/s", "ratio");
  for (int t : args.threads) {
    const double cpp = run_cpp(*ds, args, t);
    const double py = args.run_python ? run_python(args, t) : -1;
    fmt::print("{:>8} {:>14.1f} {:>14.1f} {:>8}\n", t, cpp, py,
               py > 0 ? fmt::format("{:.2f}x", cpp / py) : "-");
  }
  return 0;
}
