// Trains a RetinaNet detector on a Dataset (TrainConfig decides everything; options only say
// where results go and how much of the run to do now). Produces checkpoints as bytes (the
// engine stores them as artifacts) and, when out_dir is set, as files plus a metrics log.
// Model code: throws on LibTorch errors; data and file problems come back as a Status.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/train_config.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

struct EpochStats {
  int epoch = 0;              // 1-based
  double train_loss = 0;      // mean over the epoch's iterations
  double val_loss = 0;        // eval-mode loss on the validation set (0 without one)
  double val_map = 0;         // COCO mAP@[.5:.95] on the validation set (0 without one)
  double val_map50 = 0;       // COCO mAP@0.5 on the validation set (0 without one)
  double lr = 0;              // at the end of the epoch
  double seconds = 0;
  double images_per_second = 0;
  bool is_best = false;
};

struct TrainOptions {
  std::string out_dir{};          // "": write no files; else last.safetensors, best.safetensors,
                                  // metrics.jsonl, config.json
  std::string resume_checkpoint{};  // checkpoint bytes to continue from; "" starts fresh
  int stop_after_epochs = 0;      // > 0: return after this many epochs of this call
  std::function<void(const EpochStats&)> on_epoch{};
  std::function<void(int64_t iteration, double loss)> on_iteration{};  // after each step
};

struct TrainResult {
  std::string last_checkpoint;  // bytes (docs/formats/checkpoint.md)
  std::string best_checkpoint;  // bytes; equals last when there is no validation set
  std::vector<EpochStats> history;
  int best_epoch = 0;
  bool stopped_early = false;
};

// `val` may be empty (no images): then no early stopping and best == last.
// Errors: kInvalidArgument (config, empty training set, bad resume checkpoint),
// kNotFound / kIoError (images, out_dir), naming the path.
Result<TrainResult> train_detector(const TrainConfig& config, const Dataset& train,
                                   const Dataset& val, const TrainOptions& options = {});

}  // namespace trellis::vision
