// Everything one detector training run needs to know, as one plain struct that round-trips
// through JSON, so a run records exactly what it trained with (it is stored in every
// checkpoint's metadata). Defaults and their origin are listed in docs/vision.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis::vision {

struct TrainConfig {
  // Model.
  std::string backbone = "resnet50";    // resnet18 | resnet34 | resnet50
  std::string backbone_weights;         // optional safetensors file with "backbone.body.*" keys
  int num_classes = 0;                  // 0: taken from the training data
  int image_size = 416;                 // letterbox side, a multiple of 32
  std::string box_loss = "l1";          // l1 | smooth_l1 | giou
  float smooth_l1_beta = 1.0f;
  float focal_alpha = 0.25f;
  float focal_gamma = 2.0f;
  float fg_iou = 0.5f;
  float bg_iou = 0.4f;
  // Decoding (inference defaults; a Detector may override them per call).
  float score_thresh = 0.05f;
  float nms_thresh = 0.5f;
  int topk_candidates = 1000;
  int detections_per_img = 300;
  // Optimisation.
  std::string optimizer = "adamw";      // sgd | adamw
  double lr = 1e-4;
  double momentum = 0.9;                // sgd only
  double weight_decay = 1e-4;
  double grad_clip_norm = 10.0;         // global L2 norm; 0 disables
  std::string schedule = "cosine";      // cosine | step | constant (after warmup)
  int warmup_iters = 100;               // linear warmup from warmup_factor * lr
  double warmup_factor = 0.001;
  std::vector<int> step_milestones;     // epochs at which step decay multiplies lr by step_gamma
  double step_gamma = 0.1;
  // Loop.
  int epochs = 40;
  int batch_size = 8;
  int seed = 0;
  int num_threads = 0;                  // 0: all cores
  std::string device = "cpu";           // cpu | cuda | cuda:N
  bool amp = true;                      // mixed precision, CUDA only
  bool channels_last = false;           // NHWC convs; measured slower on CPU here (bench/RESULTS.md)
  int early_stopping_patience = 6;      // epochs without improvement; 0 disables
  // val_loss (lower is better) | map (COCO mAP@[.5:.95]) | map50 (COCO mAP@0.5), higher is better
  std::string early_stopping_metric = "val_loss";
  bool progress = true;                 // progress bar on stderr
  // Data. augment: the training recipe of augment.h (jittered resize 0.8-1.25 + crop/pad, flips,
  // rotation up to 21.6 degrees, HSV/brightness/contrast), drawn from (seed, epoch, image), read
  // by the threaded loader; false: letterbox only, every image decoded once and kept in memory.
  bool augment = true;
  float mosaic_prob = 0.0f;             // augment only: share of samples made as a 4-image mosaic
  int loader_threads = 1;               // decode + augment workers (one keeps ahead of 2 cores)
};

// Bounds validate() enforces, so that no config (or checkpoint carrying one) asks for an absurd
// model or buffer.
inline constexpr int kMaxImageSize = 4096;     // letterbox side
inline constexpr int kMaxNumClasses = 100000;  // num_classes
inline constexpr int kMaxCandidates = 100000;  // topk_candidates, detections_per_img

std::string train_config_to_json(const TrainConfig& config);
// Missing keys keep their defaults; unknown keys and wrong types are kInvalidArgument errors
// that name the key, so a typo never trains silently with a default.
Result<TrainConfig> train_config_from_json(std::string_view text);
// Checks values (backbone, losses, optimizer, schedule, sizes and their bounds above,
// thresholds in [0, 1]); kInvalidArgument naming the field.
Status validate(const TrainConfig& config);

}  // namespace trellis::vision
