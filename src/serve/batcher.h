// Dynamic batching: images submitted by concurrent requests wait in one queue; an idle worker
// takes the oldest and gathers more until it has `max_batch` or the oldest has waited
// `max_delay`, then runs them through the current model as one forward pass. One worker per
// Detector of the LoadedModel; each takes the model pointer when its batch starts, so a model
// swap never changes a batch under way. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "serve/metrics.h"
#include "serve/model_manager.h"
#include "trellis/core/status.h"
#include "trellis/vision/detector.h"

namespace trellis::serve {

struct BatcherOptions {
  int workers = 1;             // = ModelManagerOptions::num_detectors
  int threads_per_worker = 1;  // intra-op threads of each worker's forward passes
  int max_batch = 8;
  std::chrono::microseconds max_delay{std::chrono::milliseconds(5)};
  int max_queue = 256;  // images; beyond it submit() answers kUnavailable
};

class Batcher {
 public:
  Batcher(ModelManager& models, BatcherOptions options, Metrics& metrics);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues one image; `image.owner` keeps its pixels alive until the result is set. The future
  // holds the detections, or kUnavailable (queue full, stopping, no model) / kInternal (the
  // model threw). Never blocks on the model.
  std::future<Result<InferenceResult>> submit(std::shared_ptr<const void> owner,
                                              vision::ImageView image,
                                              const vision::DetectOptions& options);
  // Stops taking new work, runs everything already queued, joins the workers. Idempotent.
  void stop();

 private:
  struct Job {
    std::shared_ptr<const void> owner;
    vision::ImageView image;
    vision::DetectOptions options;
    std::promise<Result<InferenceResult>> promise;
    std::chrono::steady_clock::time_point enqueued;
  };

  void worker_loop(int index);
  std::vector<Job> next_batch();  // empty: stopped and drained
  void run_batch(int index, std::vector<Job>& batch);

  ModelManager& models_;
  const BatcherOptions options_;
  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable queue_cv_;      // the collecting worker waits here for jobs
  std::condition_variable collector_cv_;  // other idle workers wait here for their turn
  std::deque<Job> queue_;                 // guarded by mu_
  bool is_collecting_ = false;            // guarded by mu_; one idle worker gathers a batch
  bool is_stopping_ = false;              // guarded by mu_
  std::vector<std::thread> workers_;
};

// Sets the intra-op thread count of the calling thread's forward passes (OpenMP is per thread).
void set_intra_op_threads(int threads);

}  // namespace trellis::serve
