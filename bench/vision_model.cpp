// C++ side of bench/vision_model: times RetinaNet training steps and inference (forward + decode
// + NMS) and prints `name value` lines; vision_model.py runs torchvision on the same weights
// and prints the ratios. --dump-parity writes weights, inputs and outputs for
// vision_model_parity.py.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>

#include "trellis/vision/runtime.h"
#include "trellis/vision/safetensors.h"
#include "vision/model_io.h"
#include "vision/retinanet.h"

namespace tv = trellis::vision;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int threads = 2;
  std::string backbone = "resnet18";
  int classes = 30;
  int size = 416;
  int steps = 3;
  std::string weights;  // write the model's weights here (torchvision keys)
  std::string only;     // train2 | train4 | infer1 | infer8 | mem4 | "" (all but mem4)
  bool channels_last_train = false;
  bool channels_last_infer = false;
  bool fuse_bn = true;
  std::string dump_parity;
  bool plain_malloc = false;
  std::string clock = "wall";
};

tv::RetinaNet make_model(const Args& a) {
  torch::manual_seed(0);
  tv::RetinaNetOptions o;
  o.backbone = a.backbone;
  o.num_classes = a.classes;
  tv::RetinaNet m(o);
  // Random heads score ~0.01 everywhere, which would leave decode and NMS nothing to do; a
  // prior of ~0.08 gives thousands of candidates per image, as a half-trained model does.
  torch::NoGradGuard g;
  m->head->classification_head->last->bias.fill_(-2.5);
  return m;
}

std::vector<tv::Targets> make_targets(int batch) {
  std::vector<tv::Targets> t;
  for (int i = 0; i < batch; ++i) {
    t.push_back({torch::tensor({{30.f + i, 40.f, 200.f, 220.f}, {220.f, 100.f, 400.f, 300.f}}),
                 torch::tensor({1 + i % 5, 7}, torch::kInt64)});
  }
  return t;
}

// Wall-clock seconds, or process CPU seconds with --clock cpu: on a shared machine CPU time
// is not inflated by other processes (meaningful with --threads 1, where no worker spins).
bool g_cpu_clock = false;

double now_s() {
  if (g_cpu_clock) {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// Best-of-N seconds per training step.
double time_train(const Args& a, int batch) {
  auto model = make_model(a);
  model->train();
  if (a.channels_last_train) {
    for (auto& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  torch::optim::SGD opt(model->parameters(),
                        torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(1e-4));
  torch::manual_seed(1);
  auto images = torch::rand({batch, 3, a.size, a.size});
  if (a.channels_last_train) images = images.contiguous(torch::MemoryFormat::ChannelsLast);
  auto targets = make_targets(batch);
  double best = 1e30;
  for (int s = 0; s < a.steps + 1; ++s) {
    const double t0 = now_s();
    opt.zero_grad();
    auto out = model->forward(images);
    auto loss = model->loss(out, targets).total();
    loss.backward();
    opt.step();
    if (s > 0) best = std::min(best, now_s() - t0);  // step 0 warms up allocators
  }
  return best;
}

double time_infer(const Args& a, int batch, int* num_dets) {
  auto model = make_model(a);
  model->eval();
  if (a.fuse_bn) tv::fuse_batchnorm_for_inference(model);
  if (a.channels_last_infer) {
    for (auto& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  torch::manual_seed(1);
  auto images = torch::rand({batch, 3, a.size, a.size});
  std::vector<tv::ImageSize> sizes(batch, {a.size, a.size});
  torch::NoGradGuard g;
  double best = 1e30;
  for (int s = 0; s < a.steps + 1; ++s) {
    const double t0 = now_s();
    auto x = a.channels_last_infer ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images;
    auto out = model->forward(x);
    auto dets = model->decode(out, sizes);
    if (s > 0) best = std::min(best, now_s() - t0);
    *num_dets = static_cast<int>(dets[0].scores.size(0));
  }
  return best;
}

long peak_rss_mb() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss / 1024;
}

int dump_parity(const Args& a) {
  auto model = make_model(a);
  model->eval();
  tv::SafeTensors st;
  tv::export_model(model, st.tensors);
  torch::manual_seed(5);
  auto images = torch::rand({2, 3, a.size, a.size});
  torch::NoGradGuard g;
  auto out = model->forward(images);
  auto dets = model->decode(out, {{a.size, a.size}, {a.size, a.size}});
  st.tensors["input.images"] = tv::tensor_to_bytes(images);
  st.tensors["output.cls_logits"] = tv::tensor_to_bytes(out.head.cls_logits);
  st.tensors["output.bbox_regression"] = tv::tensor_to_bytes(out.head.box_deltas);
  st.tensors["output.anchors"] = tv::tensor_to_bytes(out.anchors);
  for (size_t i = 0; i < dets.size(); ++i) {
    const std::string p = "output.det" + std::to_string(i) + ".";
    st.tensors[p + "boxes"] = tv::tensor_to_bytes(dets[i].boxes);
    st.tensors[p + "scores"] = tv::tensor_to_bytes(dets[i].scores);
    st.tensors[p + "labels"] = tv::tensor_to_bytes(dets[i].labels);
  }
  // The fused, channels-last inference path must agree with the plain one.
  tv::fuse_batchnorm_for_inference(model);
  for (auto& p : model->parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  auto fast = model->forward(images.contiguous(torch::MemoryFormat::ChannelsLast));
  st.tensors["output.fast.cls_logits"] = tv::tensor_to_bytes(fast.head.cls_logits);
  st.tensors["output.fast.bbox_regression"] = tv::tensor_to_bytes(fast.head.box_deltas);
  st.metadata = {{"backbone", a.backbone}, {"num_classes", std::to_string(a.classes)},
                 {"image_size", std::to_string(a.size)}};
  auto s = tv::write_safetensors_file(a.dump_parity, st);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"RetinaNet speed (C++ side of bench/vision_model)"};
  Args a;
  app.add_option("--threads", a.threads);
  app.add_option("--backbone", a.backbone);
  app.add_option("--classes", a.classes);
  app.add_option("--size", a.size);
  app.add_option("--steps", a.steps, "timed repetitions (best is reported)");
  app.add_option("--weights", a.weights, "write the benchmark weights (safetensors) here");
  app.add_option("--only", a.only, "train2 | train4 | infer1 | infer8 | mem4");
  app.add_option("--channels-last-train", a.channels_last_train);
  app.add_option("--channels-last-infer", a.channels_last_infer);
  app.add_option("--fuse-bn", a.fuse_bn);
  app.add_option("--clock", a.clock, "wall | cpu (process CPU time)");
  app.add_flag("--plain-malloc", a.plain_malloc, "keep glibc's default malloc thresholds");
  app.add_option("--dump-parity", a.dump_parity, "write weights, inputs and outputs here");
  CLI11_PARSE(app, argc, argv);
  at::set_num_threads(a.threads);
  g_cpu_clock = a.clock == "cpu";
  // As trellis-train and trellis-predict do; --plain-malloc measures without it.
  if (!a.plain_malloc) tv::tune_cpu_allocator();
  if (!a.dump_parity.empty()) return dump_parity(a);
  if (!a.weights.empty()) {
    auto model = make_model(a);
    tv::SafeTensors st;
    tv::export_model(model, st.tensors);
    auto s = tv::write_safetensors_file(a.weights, st);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      return 1;
    }
  }
  auto want = [&](const char* name) { return a.only.empty() ? std::string(name) != "mem4" : a.only == name; };
  std::printf("cpp_threads %d\n", at::get_num_threads());
  for (int batch : {2, 4}) {
    const std::string name = "train" + std::to_string(batch);
    if (!want(name.c_str())) continue;
    const double s = time_train(a, batch);
    std::printf("cpp_%s_step_s %.4f\ncpp_%s_img_per_s %.3f\n", name.c_str(), s, name.c_str(), batch / s);
    std::fflush(stdout);
  }
  if (want("mem4")) {
    time_train(a, 4);
    std::printf("cpp_train4_peak_rss_mb %ld\n", peak_rss_mb());
  }
  int dets = 0;
  if (want("infer1")) {
    const double s = time_infer(a, 1, &dets);
    std::printf("cpp_infer1_latency_ms %.2f\ncpp_infer1_dets %d\n", s * 1000, dets);
    std::fflush(stdout);
  }
  if (want("infer8")) {
    const double s = time_infer(a, 8, &dets);
    std::printf("cpp_infer8_img_per_s %.3f\n", 8 / s);
  }
  return 0;
}
