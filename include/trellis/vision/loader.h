// A multi-threaded training/evaluation loader: worker threads decode images,
// augment them (augment.h) or letterbox them, normalise them into a batch
// buffer (NCHW float, RGB, (x/255 - mean) / std) and hand whole batches over in
// order, a few batches ahead of the consumer (prefetch). This header has no
// LibTorch in it; loader_torch.h turns a HostBatch into tensors without copying.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/augment.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

struct LoaderOptions {
  int batch_size = 8;
  int num_threads = 2;       // decode + augment workers
  int prefetch_batches = 4;  // batches prepared ahead of next()
  bool shuffle = true;       // seeded order per epoch
  bool drop_last = false;    // drop a final partial batch
  uint64_t seed = 0;         // order and augmentation; same seed, same batches
  // true: the training augmentation (AugmentConfig); false: letterbox to
  // augment_config.output_size (evaluation).
  bool augment = true;
  AugmentConfig augment_config;
  // Training only: probability that a sample is a mosaic of itself and three
  // other (seeded) images instead of the single-image augmentation.
  float mosaic_prob = 0;
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // RGB
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
};

// One batch in host memory. `images` holds n x 3 x size x size floats.
struct HostBatch {
  int n = 0;
  int size = 0;
  std::vector<float> images;
  std::vector<std::vector<Box>> boxes;   // per image, in output pixels
  std::vector<std::vector<int>> labels;  // per image, category ids
  std::vector<int64_t> image_ids;
  std::vector<Letterbox> letterboxes;  // evaluation mode: maps boxes back
};

// Iterates over a dataset in batches. Not thread-safe: one consumer calls
// start_epoch() and next(). Images that fail to decode stop the epoch with an
// error naming the file (validate the dataset first; see validate.h).
class BatchLoader {
 public:
  BatchLoader(Dataset dataset, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts (or restarts) epoch `epoch`; batches of the previous epoch not yet
  // taken are discarded.
  void start_epoch(uint64_t epoch);
  // The next batch of the current epoch; std::nullopt at its end; an error
  // (kIoError / kCorrupt naming the image) when an image cannot be read.
  Result<std::optional<HostBatch>> next();

  size_t num_batches() const;
  const Dataset& dataset() const { return dataset_; }

 private:
  struct Slot;
  void worker();
  void stop_workers();
  Result<Sample> read_sample(size_t index) const;
  Status load_into(size_t sample, Slot& slot, int position, uint64_t epoch);

  Dataset dataset_;
  LoaderOptions options_;
  std::array<std::array<float, 256>, 3> lut_{};  // value -> normalised, per RGB channel

  std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait for work / window
  std::condition_variable done_cv_;  // consumer waits for a finished batch
  // Guarded by mu_:
  std::vector<size_t> order_;  // sample indices of this epoch
  uint64_t epoch_ = 0;
  uint64_t generation_ = 0;                  // bumped by start_epoch; stale work is dropped
  size_t next_sample_ = 0;                   // next position in order_ to hand out
  size_t next_batch_ = 0;                    // next batch next() returns
  std::deque<std::shared_ptr<Slot>> slots_;  // batches next_batch_ .. in flight (shared:
                                             // a worker keeps its slot across a restart)
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace trellis::vision
