#include "serve/batcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace trellis::serve {

Batcher::Batcher(ModelManager& models, BatcherOptions options, Metrics& metrics)
    : models_(models), options_(options), metrics_(metrics) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this, i] { worker_loop(i); });
  }
}

Batcher::~Batcher() { stop(); }

std::future<Result<InferenceResult>> Batcher::submit(std::shared_ptr<const void> owner,
                                                     vision::ImageView image,
                                                     const vision::DetectOptions& options) {
  Job job{std::move(owner), image, options, {}, std::chrono::steady_clock::now()};
  auto future = job.promise.get_future();
  std::unique_lock lock(mu_);
  if (is_stopping_) {
    job.promise.set_value(unavailable("the server is shutting down"));
    return future;
  }
  if (static_cast<int>(queue_.size()) >= options_.max_queue) {
    job.promise.set_value(unavailable("the server is overloaded (" + std::to_string(queue_.size()) +
                                      " images queued)"));
    return future;
  }
  queue_.push_back(std::move(job));
  metrics_.set_queue_depth(static_cast<int64_t>(queue_.size()));
  lock.unlock();
  queue_cv_.notify_one();
  return future;
}

void Batcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (is_stopping_ && workers_.empty()) return;
    is_stopping_ = true;
  }
  queue_cv_.notify_all();
  collector_cv_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
}

std::vector<Batcher::Job> Batcher::next_batch() {
  std::unique_lock lock(mu_);
  // One idle worker gathers at a time: two gathering workers would split a batch in halves.
  collector_cv_.wait(lock, [&] { return !is_collecting_ || is_stopping_; });
  is_collecting_ = true;
  queue_cv_.wait(lock, [&] { return !queue_.empty() || is_stopping_; });
  std::vector<Job> batch;
  if (!queue_.empty()) {
    const auto deadline = queue_.front().enqueued + options_.max_delay;
    while (static_cast<int>(batch.size()) < options_.max_batch) {
      if (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        continue;
      }
      if (is_stopping_ || queue_cv_.wait_until(lock, deadline, [&] {
            return !queue_.empty() || is_stopping_;
          }) == false) {
        break;
      }
    }
  }
  metrics_.set_queue_depth(static_cast<int64_t>(queue_.size()));
  is_collecting_ = false;
  lock.unlock();
  collector_cv_.notify_one();
  return batch;
}

void Batcher::worker_loop(int index) {
  set_intra_op_threads(options_.threads_per_worker);
  while (true) {
    std::vector<Job> batch = next_batch();
    if (batch.empty()) return;  // stopping and nothing left
    run_batch(index, batch);
  }
}

void Batcher::run_batch(int index, std::vector<Job>& batch) {
  auto model = models_.current();
  if (!model) {
    for (auto& job : batch) job.promise.set_value(unavailable("no model is loaded yet"));
    return;
  }
  // One forward pass serves requests with different thresholds: run at the loosest and filter
  // each image's detections (sorted by score) down to what its request asked for.
  vision::DetectOptions loosest = batch.front().options;
  std::vector<vision::ImageView> views;
  for (const auto& job : batch) {
    loosest.score_threshold = std::min(loosest.score_threshold, job.options.score_threshold);
    loosest.max_detections = std::max(loosest.max_detections, job.options.max_detections);
    views.push_back(job.image);
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::vector<vision::Detection>> results;
  try {
    results = model->detectors[static_cast<size_t>(index)]->detect(views, loosest);
  } catch (const std::exception& e) {
    spdlog::error("batch of {} on {} failed: {}", batch.size(), model->version, e.what());
    for (auto& job : batch) {
      job.promise.set_value(internal_error(std::string("inference failed: ") + e.what()));
    }
    return;
  }
  metrics_.record_batch(
      static_cast<int>(batch.size()),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& want = batch[i].options;
    InferenceResult r;
    r.model = model;
    for (const auto& d : results[i]) {
      if (d.score < want.score_threshold) continue;
      if (static_cast<int>(r.detections.size()) >= want.max_detections) break;
      r.detections.push_back(d);
    }
    batch[i].owner.reset();
    batch[i].promise.set_value(std::move(r));
  }
}

}  // namespace trellis::serve
