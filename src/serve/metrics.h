// Counters, gauges and histograms of the model server, rendered as Prometheus text
// (docs/serving.md lists every series). Thread-safe: handlers and workers record concurrently.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace trellis::serve {

// Cumulative histogram with fixed upper bounds (Prometheus "le" buckets plus +Inf).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Appends the _bucket/_sum/_count lines of `name` with `labels` ("" or `path="/x"`).
  void render(const std::string& name, const std::string& labels, std::string& out) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // guarded by mu_; one per bound plus +Inf
  double sum_ = 0;                // guarded by mu_
  uint64_t count_ = 0;            // guarded by mu_
};

class Metrics {
 public:
  Metrics();

  void record_request(const std::string& path, int status, double seconds);
  void record_batch(int size, double seconds);
  void record_reload(bool ok);
  void set_queue_depth(int64_t depth) { queue_depth_.store(depth); }
  void set_model(const std::string& version, const std::string& digest);
  void set_ready(bool ready) { ready_.store(ready); }

  // The whole exposition text (text/plain; version=0.0.4).
  std::string render() const;

 private:
  const std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // guarded by mu_; (path, status)
  std::string model_version_, model_digest_;                  // guarded by mu_
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;              // guarded by mu_
  Histogram invocation_seconds_;
  Histogram batch_size_;
  Histogram inference_seconds_;
  std::atomic<uint64_t> images_{0};
  std::atomic<int64_t> queue_depth_{0};
  std::atomic<bool> ready_{false};
};

// Resident set size of this process in bytes (from /proc/self/statm), 0 when unknown.
int64_t resident_memory_bytes();

}  // namespace trellis::serve
