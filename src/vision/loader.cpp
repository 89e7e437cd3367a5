// Worker threads claim sample positions in epoch order, but only within a window
// of `prefetch_batches` batches ahead of the consumer, and write each sample
// straight into its batch's buffer. Augmentation seeds depend on (seed, epoch,
// sample), never on which thread ran it, so batches are reproducible.
#include "trellis/vision/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <opencv2/imgcodecs.hpp>

#include "trellis/vision/dataset_io.h"

namespace trellis::vision {

struct BatchLoader::Slot {
  HostBatch batch;
  int remaining = 0;  // samples not yet written; guarded by mu_
  Status error;       // first failure; guarded by mu_
};

BatchLoader::BatchLoader(Dataset dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  options_.batch_size = std::max(1, options_.batch_size);
  options_.num_threads = std::max(1, options_.num_threads);
  options_.prefetch_batches = std::max(1, options_.prefetch_batches);
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v)
      lut_[c][v] = (static_cast<float>(v) / 255.0f - options_.mean[c]) / options_.std[c];
  for (int i = 0; i < options_.num_threads; ++i) threads_.emplace_back([this] { worker(); });
}

BatchLoader::~BatchLoader() { stop_workers(); }

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

size_t BatchLoader::num_batches() const {
  const size_t n = dataset_.images.size(), bs = static_cast<size_t>(options_.batch_size);
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

void BatchLoader::start_epoch(uint64_t epoch) {
  std::vector<size_t> order(dataset_.images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (options_.shuffle) {
    AugmentRng rng(sample_seed(options_.seed, epoch, ~0ull));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
  }
  if (options_.drop_last) order.resize(num_batches() * static_cast<size_t>(options_.batch_size));
  {
    std::lock_guard<std::mutex> lock(mu_);
    order_ = std::move(order);
    epoch_ = epoch;
    ++generation_;
    next_sample_ = 0;
    next_batch_ = 0;
    slots_.clear();  // workers still holding an old slot finish into the void
  }
  work_cv_.notify_all();
}

Result<std::optional<HostBatch>> BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (generation_ == 0) {
    lock.unlock();
    start_epoch(0);
    lock.lock();
  }
  const size_t bs = static_cast<size_t>(options_.batch_size);
  if (next_batch_ * bs >= order_.size()) return std::optional<HostBatch>();
  done_cv_.wait(lock, [&] { return !slots_.empty() && slots_.front()->remaining == 0; });
  std::shared_ptr<Slot> slot = std::move(slots_.front());
  slots_.pop_front();
  ++next_batch_;
  lock.unlock();
  work_cv_.notify_all();
  if (!slot->error.ok()) return slot->error;
  return std::optional<HostBatch>(std::move(slot->batch));
}

void BatchLoader::worker() {
  const size_t bs = static_cast<size_t>(options_.batch_size);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] {
      return stopping_ ||
             (next_sample_ < order_.size() &&
              next_sample_ / bs < next_batch_ + static_cast<size_t>(options_.prefetch_batches));
    });
    if (stopping_) return;
    const size_t pos = next_sample_++;
    const size_t b = pos / bs;
    if (b - next_batch_ == slots_.size()) {  // first sample of a new batch
      auto slot = std::make_shared<Slot>();
      const int n = static_cast<int>(std::min(bs, order_.size() - b * bs));
      const int S = options_.augment_config.output_size;
      slot->remaining = n;
      slot->batch.n = n;
      slot->batch.size = S;
      slot->batch.images.resize(static_cast<size_t>(n) * 3 * S * S);
      slot->batch.boxes.resize(n);
      slot->batch.labels.resize(n);
      slot->batch.image_ids.resize(n);
      slot->batch.letterboxes.resize(n);
      slots_.push_back(std::move(slot));
    }
    std::shared_ptr<Slot> slot = slots_[b - next_batch_];
    const size_t sample = order_[pos];
    const uint64_t epoch = epoch_;
    lock.unlock();
    Status st = load_into(sample, *slot, static_cast<int>(pos % bs), epoch);
    lock.lock();
    if (!st.ok() && slot->error.ok()) slot->error = st;
    if (--slot->remaining == 0) done_cv_.notify_all();
  }
}

Result<Sample> BatchLoader::read_sample(size_t index) const {
  const ImageRecord& rec = dataset_.images[index];
  const std::string path = image_path(dataset_, rec);
  Sample in;
  try {
    in.image = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return corrupt(fmt::format("{}: cannot decode image: {}", path, e.what()));
  }
  if (in.image.empty()) return io_error(fmt::format("{}: cannot read or decode image", path));
  for (const Annotation& a : rec.annotations) {
    if (a.is_crowd) continue;  // crowd regions are not training targets
    in.boxes.push_back(a.box);
    in.labels.push_back(a.category_id);
  }
  return in;
}

Status BatchLoader::load_into(size_t sample, Slot& slot, int position, uint64_t epoch) {
  auto in = read_sample(sample);
  if (!in.ok()) return in.status();
  const AugmentConfig& cfg = options_.augment_config;
  Sample out;
  Letterbox lb;
  // Brightness and contrast are per-value maps, so they are folded into the
  // normalisation table instead of making another pass over the image.
  std::array<std::array<float, 256>, 3> lut = lut_;
  if (options_.augment) {
    AugmentRng rng(sample_seed(options_.seed, epoch, sample));
    AugmentParams p = draw_augment_params(cfg, rng);
    const float brightness = p.brightness, contrast = p.contrast;
    p.brightness = 0;
    p.contrast = 1;
    // Drawn only when enabled, so mosaic_prob = 0 leaves every other draw as it was.
    if (options_.mosaic_prob > 0 && rng.chance(options_.mosaic_prob)) {
      std::array<Sample, 4> parts;
      parts[0] = std::move(*in);
      for (int i = 1; i < 4; ++i) {
        auto other = read_sample(rng.next() % dataset_.images.size());
        if (!other.ok()) return other.status();
        parts[i] = std::move(*other);
      }
      out = color_jitter(mosaic({&parts[0], &parts[1], &parts[2], &parts[3]}, cfg, rng), p);
    } else {
      out = apply_augment(*in, cfg, p);
    }
    for (int c = 0; c < 3; ++c)
      for (int v = 0; v < 256; ++v) {
        const int adj = cv::saturate_cast<uint8_t>((v - 128) * contrast + 128 + brightness);
        lut[c][v] = lut_[c][adj];
      }
  } else {
    out = letterbox(*in, cfg.output_size, &lb, cfg.pad_value);
  }
  const int S = slot.batch.size;
  float* dst = slot.batch.images.data() + static_cast<size_t>(position) * 3 * S * S;
  float* r = dst;
  float* g = dst + static_cast<size_t>(S) * S;
  float* b = dst + 2 * static_cast<size_t>(S) * S;
  for (int y = 0; y < S; ++y) {
    const uint8_t* p = out.image.ptr<uint8_t>(y);
    const size_t row = static_cast<size_t>(y) * S;
    for (int x = 0; x < S; ++x, p += 3) {  // BGR in, RGB planes out
      b[row + x] = lut[2][p[0]];
      g[row + x] = lut[1][p[1]];
      r[row + x] = lut[0][p[2]];
    }
  }
  slot.batch.boxes[position] = std::move(out.boxes);
  slot.batch.labels[position] = std::move(out.labels);
  slot.batch.image_ids[position] = dataset_.images[sample].id;
  slot.batch.letterboxes[position] = lb;
  return {};
}

}  // namespace trellis::vision
