// The model being served and its replacement: loads one Detector per batching worker from the
// resolved checkpoint, warms each up, then publishes the set as one immutable LoadedModel
// behind a shared_ptr. A reload builds the next LoadedModel on the side and swaps the pointer;
// batches already running keep their reference and finish on the old model, which is freed
// when the last of them is done. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve/inference.h"
#include "serve/metrics.h"
#include "serve/model_source.h"
#include "trellis/core/status.h"
#include "trellis/vision/detector.h"

namespace trellis::serve {

struct LoadedModel : ModelInfo {
  // One per batching worker: worker i alone calls detectors[i] (a Detector is not thread-safe).
  std::vector<std::unique_ptr<vision::Detector>> detectors;
};

struct ModelManagerOptions {
  int num_detectors = 1;       // = batching workers
  int threads_per_worker = 1;  // the warm-up runs with the workers' intra-op thread count
  std::string device = "cpu";
  bool channels_last = true;  // DetectorOptions::channels_last
  ClientOptions client;       // for artifact and alias sources
};

class ModelManager {
 public:
  ModelManager(ModelSpec spec, ModelManagerOptions options, Metrics& metrics);
  ~ModelManager();  // waits for a background reload

  // Resolves, loads and warms up the first model. Errors name the source.
  Status load_initial();
  // The model to run a batch on; null before load_initial() succeeded.
  std::shared_ptr<const LoadedModel> current() const;
  bool is_ready() const { return current() != nullptr; }

  // Re-resolves the source (an alias may point elsewhere now), loads and warms the new version
  // next to the old one and swaps. Same digest: nothing changes unless `force`. kUnavailable when
  // another reload is running; on any error the old model keeps serving.
  Result<ReloadOutcome> reload(bool force);
  // reload(false) on a background thread (SIGHUP); a request while one runs is logged and
  // dropped (false).
  bool reload_in_background();
  bool is_reloading() const { return reloading_.load(); }

 private:
  Result<std::shared_ptr<const LoadedModel>> load(ModelBytes bytes) const;  // never throws
  Result<std::shared_ptr<const LoadedModel>> load_unguarded(ModelBytes bytes) const;
  void publish(std::shared_ptr<const LoadedModel> model);

  const ModelSpec spec_;
  const ModelManagerOptions options_;
  Metrics& metrics_;
  mutable std::mutex mu_;
  std::shared_ptr<const LoadedModel> current_;  // guarded by mu_
  std::mutex reload_mu_;                        // held for the whole of a reload
  std::atomic<bool> reloading_{false};
  std::mutex background_mu_;
  std::thread background_;  // guarded by background_mu_
};

}  // namespace trellis::serve
