// The steps of the plant-detection flows (docs/plant-detection.md), written
// once and used by plant_detection (one model) and plant_detection_sweep
// (several configurations in parallel). Step code: throws TaskError.
#pragma once

#include <cstdint>
#include <string>
#include <trellis/trellis.hpp>

#include "trellis/vision/train_config.h"

namespace plant {

using namespace trellis;
namespace tv = trellis::vision;

inline const Key<Json> kConfig{"config"};            // TrainConfig + data location
inline const Key<Json> kDataStats{"dataset_stats"};
inline const Key<Bytes> kModel{"model"};             // best checkpoint, safetensors
inline const Key<Bytes> kLastCheckpoint{"last_checkpoint"};
inline const Key<Bytes> kBestCheckpoint{"best_checkpoint"};
inline const Key<Json> kHistory{"history"};          // per-epoch metrics
inline const Key<Json> kMetrics{"metrics"};          // 12 COCO numbers + per class
inline const Key<Json> kDetections{"detections"};    // COCO results list on the test split
inline const Key<double> kMap{"map"};
inline const Key<double> kMap50{"map50"};
inline const Key<Json> kDeployment{"deployment"};

struct ConfigOptions {
  std::string data;             // COCO folder
  std::string backbone = "resnet18";
  std::string device = "cpu";
  int64_t epochs = 4, batch_size = 8, image_size = 416, seed = 0, max_images = 0;
  int num_threads = 0;          // 0: all cores
  double lr = 1e-4;
  bool testing = false;         // the reference's quick mode: one batch, 2 epochs
  bool augment = true;          // training augmentation (flips, rotation, scale, colour)
};

tv::TrainConfig make_train_config(const ConfigOptions& o);
// The run's config artifact: the TrainConfig as JSON plus data_dir, testing, max_images.
Json run_config(const tv::TrainConfig& config, const std::string& data_dir, const ConfigOptions& o);

// start: checks the data (every image and box), the device and the config;
// stores dataset_stats; returns the run config. Fails fast naming the problem.
Json check_and_configure(Task& t, const ConfigOptions& o);
// train: trains with a checkpoint after every epoch (continues from an earlier
// attempt's or run's); stores model (best) and history; logs per-epoch metrics.
void train_model(Task& t, const Json& config);
// evaluate: COCO metrics of `model` on the test split; metrics, map, map50,
// detections; per-class AP table, predictions table, PR curves.
void evaluate_model(Task& t, const Json& config, int64_t gallery);
// deploy: promotes `model_pathspec` (Flow/run/step/task/model) to `alias` when
// its map passes `min_map` and beats the alias's current model on the same data.
void deploy_model(Task& t, const Json& config, const std::string& alias, double min_map,
                  const std::string& model_pathspec);

// end: renders the run report (as far as the run got), keeps it as the `report`
// artifact and writes <root>/reports/<Flow>-<run>.html; returns that path.
std::string store_report(Task& t);

}  // namespace plant
