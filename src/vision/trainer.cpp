// The training loop: data order and augmentation from (seed, epoch, image), so a run resumed
// from a checkpoint repeats the uninterrupted run's loss sequence exactly; lr from the global
// iteration (warmup, then cosine or step decay); gradient clipping; COCO-exact validation;
// best/last checkpoints; early stopping.
#include "trellis/vision/trainer.h"

#include <ATen/autocast_mode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/core/utility.hpp>
#include <random>

#include "trellis/vision/checkpoint.h"
#include "trellis/vision/coco_eval.h"
#include "trellis/vision/loader.h"
#include "trellis/vision/loader_torch.h"
#include "trellis/vision/runtime.h"
#include "vision/model_io.h"
#include "vision/retinanet.h"
#include "vision/simple_coco.h"

namespace trellis::vision {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// An image letterboxed as the Detector sees it at inference (validation, and training
// without augmentation), decoded once.
struct Prepared {
  cv::Mat rgb;            // letterboxed
  torch::Tensor boxes;    // [G, 4] model pixels
  torch::Tensor labels;   // [G] class index
  ImageSize size;
  float scale = 1;        // model pixels per source pixel
};

Result<std::vector<Prepared>> prepare(const Dataset& ds, const std::map<int, int64_t>& class_of,
                                      int image_size) {
  std::vector<Prepared> out;
  out.reserve(ds.images.size());
  for (const auto& rec : ds.images) {
    const std::string path = (std::filesystem::path(ds.image_dir) / rec.file_name).string();
    auto img = read_image_bgr(path);
    if (!img.ok()) return img.status();
    auto lb = letterbox(*img, image_size);
    std::vector<float> boxes;
    std::vector<int64_t> labels;
    for (const auto& a : rec.annotations) {
      auto it = class_of.find(a.category_id);
      if (it == class_of.end()) {
        return invalid_argument(path + ": annotation " + std::to_string(a.id) +
                                " has unknown category " + std::to_string(a.category_id));
      }
      if (a.is_crowd || a.box.width() <= 0 || a.box.height() <= 0) continue;
      for (float v : {a.box.x1, a.box.y1, a.box.x2, a.box.y2}) boxes.push_back(v * lb.scale);
      labels.push_back(it->second);
    }
    const auto g = static_cast<int64_t>(labels.size());
    out.push_back({lb.rgb, torch::tensor(boxes).view({g, 4}), torch::tensor(labels, torch::kInt64),
                   {lb.valid_height, lb.valid_width}, lb.scale});
  }
  return out;
}

double lr_at(const TrainConfig& c, int64_t iter, int64_t total_iters, int epoch) {
  double lr = c.lr;
  if (c.schedule == "cosine") {
    lr *= 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(iter) /
                                static_cast<double>(std::max<int64_t>(1, total_iters))));
  } else if (c.schedule == "step") {
    for (int m : c.step_milestones) {
      if (epoch >= m) lr *= c.step_gamma;
    }
  }
  if (iter < c.warmup_iters) {
    const double alpha = static_cast<double>(iter) / c.warmup_iters;
    lr *= c.warmup_factor * (1 - alpha) + alpha;
  }
  return lr;
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

std::string format_duration(double seconds) {
  const int s = static_cast<int>(seconds);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

void draw_progress(int epoch, int epochs, int64_t done, int64_t total, double loss, double ips,
                   double eta) {
  const int width = 20;
  const int filled = static_cast<int>(width * done / std::max<int64_t>(1, total));
  std::string bar(filled, '#');
  bar.append(width - filled, '.');
  std::fprintf(stderr, "\repoch %d/%d [%s] %lld/%lld loss %.4f  %.1f img/s  ETA %s   ", epoch,
               epochs, bar.c_str(), static_cast<long long>(done), static_cast<long long>(total),
               loss, ips, format_duration(eta).c_str());
  std::fflush(stderr);
}

struct Batch {
  torch::Tensor images;
  std::vector<Targets> targets;
  std::vector<ImageSize> sizes;
};

Batch make_batch(const std::vector<Prepared>& samples, const std::vector<size_t>& idx,
                 torch::Device device, bool channels_last) {
  Batch b;
  std::vector<cv::Mat> rgb;
  for (size_t i : idx) {
    rgb.push_back(samples[i].rgb);
    b.targets.push_back({samples[i].boxes.to(device), samples[i].labels.to(device)});
    b.sizes.push_back(samples[i].size);
  }
  b.images = rgb_to_tensor(rgb, device, channels_last);
  return b;
}

// A loader batch (augmented, category ids) as model input (class indices). The loader
// normalises to [0, 1] only: the model applies the ImageNet mean/std itself.
Result<Batch> to_model_batch(HostBatch&& host, const std::map<int, int64_t>& class_of,
                             torch::Device device, bool channels_last) {
  for (size_t i = 0; i < host.labels.size(); ++i) {
    for (int& label : host.labels[i]) {
      auto it = class_of.find(label);
      if (it == class_of.end()) {
        return invalid_argument("image " + std::to_string(host.image_ids[i]) +
                                ": unknown category " + std::to_string(label));
      }
      label = static_cast<int>(it->second);
    }
  }
  const int size = host.size;
  TensorBatch t = to_tensors(std::move(host));
  Batch b;
  b.images = t.images.to(device);
  if (channels_last) b.images = b.images.contiguous(torch::MemoryFormat::ChannelsLast);
  for (size_t i = 0; i < t.boxes.size(); ++i) {
    b.targets.push_back({t.boxes[i].to(device), t.labels[i].to(device)});
    b.sizes.push_back({size, size});
  }
  return b;
}

struct Validation {
  double loss = 0, map = 0, map50 = 0;
};

// Eval-mode loss, and the COCO evaluation (the same numbers as `trellis data eval` and the
// flow's evaluate step) of the validation set in its original pixels.
Result<Validation> validate_model(RetinaNet& model, const std::vector<Prepared>& samples,
                                  const Dataset& val, const TrainConfig& c, torch::Device device,
                                  const std::vector<Category>& categories) {
  Validation v;
  if (samples.empty()) return v;
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<ImageDetections> dets;
  double loss_sum = 0;
  int batches = 0;
  for (size_t start = 0; start < samples.size(); start += c.batch_size) {
    std::vector<size_t> idx;
    for (size_t i = start; i < std::min(samples.size(), start + c.batch_size); ++i) idx.push_back(i);
    auto batch = make_batch(samples, idx, device, c.channels_last);
    auto out = model->forward(batch.images);
    loss_sum += model->loss(out, batch.targets).total().item<double>();
    ++batches;
    auto raw = model->decode(out, batch.sizes);
    for (size_t k = 0; k < idx.size(); ++k) {
      const float inv = 1.0f / samples[idx[k]].scale;
      ImageDetections d{val.images[idx[k]].id, {}};
      auto rb = raw[k].boxes.to(torch::kCPU).contiguous();
      auto rs = raw[k].scores.to(torch::kCPU).contiguous();
      auto rl = raw[k].labels.to(torch::kCPU).contiguous();
      const float* pb = rb.data_ptr<float>();
      const float* ps = rs.data_ptr<float>();
      const int64_t* pl = rl.data_ptr<int64_t>();
      for (int64_t j = 0; j < rb.size(0); ++j) {
        d.detections.push_back({{pb[4 * j] * inv, pb[4 * j + 1] * inv, pb[4 * j + 2] * inv,
                                 pb[4 * j + 3] * inv},
                                ps[j],
                                categories[static_cast<size_t>(pl[j])].id});
      }
      dets.push_back(std::move(d));
    }
  }
  model->train();
  v.loss = loss_sum / batches;
  auto eval = evaluate_coco(make_eval_input(val, dets));
  if (!eval.ok()) return eval.status().with_context("validation");
  // -1 (no ground truth at all) reads as 0 for early stopping and logs.
  v.map = std::max(0.0, eval->stats[0]);
  v.map50 = std::max(0.0, eval->stats[1]);
  return v;
}

json stats_json(const EpochStats& s) {
  return {{"epoch", s.epoch},
          {"train_loss", s.train_loss},
          {"val_loss", s.val_loss},
          {"val_map", s.val_map},
          {"val_map50", s.val_map50},
          {"lr", s.lr},
          {"seconds", s.seconds},
          {"images_per_second", s.images_per_second},
          {"is_best", s.is_best}};
}

}  // namespace

Result<TrainResult> train_detector(const TrainConfig& config, const Dataset& train,
                                   const Dataset& val, const TrainOptions& options) {
  TRELLIS_RETURN_IF_ERROR(validate(config));
  if (train.images.empty()) return invalid_argument("training set has no images");
  at::set_num_threads(intra_op_threads(config.num_threads));
  const torch::Device device(config.device);
  if (device.is_cuda() && !torch::cuda::is_available()) {
    return invalid_argument("device " + config.device + ": CUDA is not available");
  }
  const bool channels_last = config.channels_last;
  const bool amp = config.amp && device.is_cuda();

  std::vector<Category> categories = train.categories;
  std::map<int, int64_t> class_of;
  for (size_t i = 0; i < categories.size(); ++i) class_of[categories[i].id] = static_cast<int64_t>(i);
  const int num_classes = config.num_classes > 0 ? config.num_classes
                                                 : static_cast<int>(categories.size());
  if (num_classes < static_cast<int>(categories.size())) {
    return invalid_argument("num_classes " + std::to_string(num_classes) + " < " +
                            std::to_string(categories.size()) + " categories in the data");
  }

  // Training data: the threaded loader with augmentation, or letterboxed images in memory.
  std::unique_ptr<BatchLoader> loader;
  std::vector<Prepared> fixed_samples;
  if (config.augment) {
    cv::setNumThreads(0);  // the loader's workers are the parallelism; no nested OpenCV pools
    LoaderOptions lo;
    lo.batch_size = config.batch_size;
    lo.num_threads = config.loader_threads;
    lo.prefetch_batches = 2;
    lo.shuffle = true;
    lo.seed = static_cast<uint64_t>(config.seed);
    lo.augment = true;
    lo.augment_config.output_size = config.image_size;
    lo.mosaic_prob = config.mosaic_prob;
    lo.mean = {0, 0, 0};
    lo.std = {1, 1, 1};
    loader = std::make_unique<BatchLoader>(train, lo);
  } else {
    auto prepared = prepare(train, class_of, config.image_size);
    if (!prepared.ok()) return prepared.status();
    fixed_samples = std::move(prepared).value();
  }
  auto val_samples = prepare(val, class_of, config.image_size);
  if (!val_samples.ok()) return val_samples.status();

  torch::manual_seed(config.seed);
  RetinaNet model(model_options(config, num_classes));
  if (!config.backbone_weights.empty()) {
    auto st = read_safetensors_file(config.backbone_weights);
    if (!st.ok()) return st.status();
    auto s = import_model(st->tensors, model, "backbone.body.");
    if (!s.ok()) return s.with_context(config.backbone_weights);
  }
  model->to(device);
  auto optimizer = make_optimizer(config, model);

  TrainResult result;
  int start_epoch = 0;
  int64_t iteration = 0;
  double best_metric = std::numeric_limits<double>::quiet_NaN();
  int bad_epochs = 0;
  if (!options.resume_checkpoint.empty()) {
    auto ckpt = decode_checkpoint(options.resume_checkpoint);
    if (!ckpt.ok()) return ckpt.status().with_context("resume checkpoint");
    auto s = import_model(ckpt->tensors, model);
    if (!s.ok()) return s.with_context("resume checkpoint");
    s = import_optimizer(ckpt->tensors, config.optimizer, *optimizer);
    if (!s.ok()) return s.with_context("resume checkpoint");
    start_epoch = ckpt->epoch;
    try {
      auto state = json::parse(ckpt->trainer_state);
      iteration = state.value("iteration", int64_t{0});
      best_metric = state.value("best_metric", best_metric);
      bad_epochs = state.value("epochs_without_improvement", 0);
      result.best_epoch = state.value("best_epoch", 0);
    } catch (const std::exception& e) {
      return corrupt(std::string("resume checkpoint: trainer_state: ") + e.what());
    }
  }
  if (channels_last) {
    // Applies to the conv weights (4-d); other tensors are unaffected.
    for (auto& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }

  if (!options.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    if (ec) return io_error(options.out_dir + ": " + ec.message());
    TRELLIS_RETURN_IF_ERROR(write_file_atomic(options.out_dir + "/config.json",
                                              train_config_to_json(config)));
  }

  const auto num_train = static_cast<int64_t>(train.images.size());
  const int64_t per_epoch = (num_train + config.batch_size - 1) / config.batch_size;
  const int64_t total_iters = per_epoch * config.epochs;
  const bool lower_is_better = config.early_stopping_metric == "val_loss";
  const bool has_val = !val_samples->empty();
  auto make_checkpoint = [&](int epoch, const json& state) {
    Checkpoint ckpt;
    ckpt.config = config;
    ckpt.config.num_classes = num_classes;
    ckpt.categories = categories;
    ckpt.epoch = epoch;
    ckpt.trainer_state = state.dump();
    export_model(model, ckpt.tensors);
    export_optimizer(*optimizer, config.optimizer, ckpt.tensors);
    return encode_checkpoint(ckpt);
  };

  model->train();
  int epochs_run = 0;
  for (int epoch = start_epoch; epoch < config.epochs; ++epoch) {
    if (options.stop_after_epochs > 0 && epochs_run == options.stop_after_epochs) break;
    const auto t0 = Clock::now();
    std::vector<size_t> order(fixed_samples.size());
    if (loader) {
      loader->start_epoch(static_cast<uint64_t>(epoch));
    } else {
      std::iota(order.begin(), order.end(), 0);
      std::mt19937_64 rng(static_cast<uint64_t>(config.seed) * 1000003u + static_cast<uint64_t>(epoch));
      std::shuffle(order.begin(), order.end(), rng);
    }
    double loss_sum = 0;
    double lr = config.lr;
    for (int64_t b = 0; b < per_epoch; ++b) {
      Batch batch;
      if (loader) {
        auto host = loader->next();
        if (!host.ok()) return host.status();
        if (!*host) return internal_error("loader: epoch ended after " + std::to_string(b) + " batches");
        auto made = to_model_batch(std::move(**host), class_of, device, channels_last);
        if (!made.ok()) return made.status();
        batch = std::move(made).value();
      } else {
        std::vector<size_t> idx(order.begin() + b * config.batch_size,
                                order.begin() + std::min<int64_t>(order.size(), (b + 1) * config.batch_size));
        batch = make_batch(fixed_samples, idx, device, channels_last);
      }
      lr = lr_at(config, iteration, total_iters, epoch);
      set_lr(*optimizer, lr);
      optimizer->zero_grad();
      torch::Tensor loss;
      {
        // bf16 autocast needs no gradient scaler (LibTorch 1.13 C++ has none).
        if (amp) {
          at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
          at::autocast::set_enabled(true);
        }
        auto out = model->forward(batch.images);
        if (amp) {
          at::autocast::set_enabled(false);
          at::autocast::clear_cache();
        }
        loss = model->loss(out, batch.targets).total();
      }
      loss.backward();
      if (config.grad_clip_norm > 0) {
        torch::nn::utils::clip_grad_norm_(model->parameters(), config.grad_clip_norm);
      }
      optimizer->step();
      ++iteration;
      const double l = loss.item<double>();
      loss_sum += l;
      if (options.on_iteration) options.on_iteration(iteration, l);
      if (config.progress) {
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        const double ips = static_cast<double>((b + 1) * config.batch_size) / std::max(secs, 1e-9);
        const double eta = secs / static_cast<double>(b + 1) * static_cast<double>(total_iters - iteration);
        draw_progress(epoch + 1, config.epochs, b + 1, per_epoch, loss_sum / (b + 1), ips, eta);
      }
    }
    EpochStats stats;
    stats.epoch = epoch + 1;
    stats.train_loss = loss_sum / static_cast<double>(per_epoch);
    stats.lr = lr;
    const double train_secs = std::chrono::duration<double>(Clock::now() - t0).count();
    stats.images_per_second = static_cast<double>(num_train) / std::max(train_secs, 1e-9);
    if (has_val) {
      auto v = validate_model(model, *val_samples, val, config, device, categories);
      if (!v.ok()) return v.status();
      stats.val_loss = v->loss;
      stats.val_map = v->map;
      stats.val_map50 = v->map50;
    }
    stats.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double metric = lower_is_better                          ? stats.val_loss
                          : config.early_stopping_metric == "map" ? stats.val_map
                                                                  : stats.val_map50;
    stats.is_best = !has_val || std::isnan(best_metric) ||
                    (lower_is_better ? metric < best_metric : metric > best_metric);
    if (stats.is_best) {
      best_metric = metric;
      result.best_epoch = stats.epoch;
      bad_epochs = 0;
    } else {
      ++bad_epochs;
    }
    if (config.progress) {
      std::fprintf(stderr,
                   "\repoch %d/%d loss %.4f val_loss %.4f val_mAP %.4f val_mAP@0.5 %.4f lr %.2e "
                   "%.1f img/s %s%s\n",
                   stats.epoch, config.epochs, stats.train_loss, stats.val_loss, stats.val_map,
                   stats.val_map50, stats.lr, stats.images_per_second, format_duration(stats.seconds).c_str(),
                   stats.is_best ? " *" : "");
    }
    json state = {{"iteration", iteration},
                  {"best_metric", std::isnan(best_metric) ? json(nullptr) : json(best_metric)},
                  {"best_epoch", result.best_epoch},
                  {"epochs_without_improvement", bad_epochs}};
    if (std::isnan(best_metric)) state.erase("best_metric");
    auto bytes = make_checkpoint(stats.epoch, state);
    if (!bytes.ok()) return bytes.status();
    result.last_checkpoint = *bytes;
    if (stats.is_best) result.best_checkpoint = *bytes;
    if (!options.out_dir.empty()) {
      TRELLIS_RETURN_IF_ERROR(write_file_atomic(options.out_dir + "/last.safetensors", *bytes));
      if (stats.is_best) {
        TRELLIS_RETURN_IF_ERROR(write_file_atomic(options.out_dir + "/best.safetensors", *bytes));
      }
      std::ofstream log(options.out_dir + "/metrics.jsonl", std::ios::app);
      log << stats_json(stats).dump() << "\n";
      if (!log) return io_error(options.out_dir + "/metrics.jsonl: write failed");
    }
    result.history.push_back(stats);
    if (options.on_epoch) options.on_epoch(stats);
    ++epochs_run;
    if (has_val && config.early_stopping_patience > 0 &&
        bad_epochs >= config.early_stopping_patience) {
      result.stopped_early = true;
      break;
    }
  }
  if (result.best_checkpoint.empty()) result.best_checkpoint = result.last_checkpoint;
  return result;
}

}  // namespace trellis::vision
