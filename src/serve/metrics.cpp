#include "serve/metrics.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace trellis::serve {
namespace {

// Label values are paths and versions: escape what the text format requires.
std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string format_bound(double b) { return fmt::format("{}", b); }

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(const std::string& name, const std::string& labels, std::string& out) const {
  std::lock_guard lock(mu_);
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? format_bound(bounds_[i]) : "+Inf";
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_, name, braces, count_);
}

Metrics::Metrics()
    : invocation_seconds_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      batch_size_({1, 2, 4, 8, 16, 32, 64}),
      inference_seconds_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

void Metrics::record_request(const std::string& path, int status, double seconds) {
  {
    std::lock_guard lock(mu_);
    ++requests_[{path, status}];
  }
  if (path == "/invocations") invocation_seconds_.observe(seconds);
}

void Metrics::record_batch(int size, double seconds) {
  batch_size_.observe(size);
  inference_seconds_.observe(seconds);
  images_ += static_cast<uint64_t>(size);
}

void Metrics::record_reload(bool ok) {
  std::lock_guard lock(mu_);
  ++(ok ? reloads_ok_ : reloads_failed_);
}

void Metrics::set_model(const std::string& version, const std::string& digest) {
  std::lock_guard lock(mu_);
  model_version_ = version;
  model_digest_ = digest;
}

std::string Metrics::render() const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out += "# HELP trellis_serve_requests_total HTTP requests by path and status code.\n";
    out += "# TYPE trellis_serve_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      out += fmt::format("trellis_serve_requests_total{{path=\"{}\",code=\"{}\"}} {}\n",
                         escape_label(key.first), key.second, n);
    }
    out += "# HELP trellis_serve_errors_total HTTP responses with status >= 400 by code.\n";
    out += "# TYPE trellis_serve_errors_total counter\n";
    std::map<int, uint64_t> errors;
    for (const auto& [key, n] : requests_) {
      if (key.second >= 400) errors[key.second] += n;
    }
    for (const auto& [code, n] : errors) {
      out += fmt::format("trellis_serve_errors_total{{code=\"{}\"}} {}\n", code, n);
    }
    out += "# HELP trellis_serve_model_info The model being served (value 1).\n";
    out += "# TYPE trellis_serve_model_info gauge\n";
    if (!model_version_.empty()) {
      out += fmt::format("trellis_serve_model_info{{version=\"{}\",digest=\"{}\"}} 1\n",
                         escape_label(model_version_), escape_label(model_digest_));
    }
    out += "# HELP trellis_serve_model_reloads_total Model reloads by result.\n";
    out += "# TYPE trellis_serve_model_reloads_total counter\n";
    out += fmt::format("trellis_serve_model_reloads_total{{result=\"ok\"}} {}\n", reloads_ok_);
    out +=
        fmt::format("trellis_serve_model_reloads_total{{result=\"error\"}} {}\n", reloads_failed_);
  }
  out += "# HELP trellis_serve_request_duration_seconds Latency of POST /invocations.\n";
  out += "# TYPE trellis_serve_request_duration_seconds histogram\n";
  invocation_seconds_.render("trellis_serve_request_duration_seconds", "path=\"/invocations\"",
                             out);
  out += "# HELP trellis_serve_batch_size Images per forward pass.\n";
  out += "# TYPE trellis_serve_batch_size histogram\n";
  batch_size_.render("trellis_serve_batch_size", "", out);
  out += "# HELP trellis_serve_inference_duration_seconds Time of one batched forward pass.\n";
  out += "# TYPE trellis_serve_inference_duration_seconds histogram\n";
  inference_seconds_.render("trellis_serve_inference_duration_seconds", "", out);
  out += "# HELP trellis_serve_images_total Images run through the model.\n";
  out += "# TYPE trellis_serve_images_total counter\n";
  out += fmt::format("trellis_serve_images_total {}\n", images_.load());
  out += "# HELP trellis_serve_queue_depth Images waiting for a worker.\n";
  out += "# TYPE trellis_serve_queue_depth gauge\n";
  out += fmt::format("trellis_serve_queue_depth {}\n", queue_depth_.load());
  out += "# HELP trellis_serve_ready 1 once a model is loaded and warmed up.\n";
  out += "# TYPE trellis_serve_ready gauge\n";
  out += fmt::format("trellis_serve_ready {}\n", ready_.load() ? 1 : 0);
  out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
  out += "# TYPE process_resident_memory_bytes gauge\n";
  out += fmt::format("process_resident_memory_bytes {}\n", resident_memory_bytes());
  out += "# HELP process_start_time_seconds Start time of the process since the epoch.\n";
  out += "# TYPE process_start_time_seconds gauge\n";
  out += fmt::format(
      "process_start_time_seconds {}\n",
      std::chrono::duration_cast<std::chrono::seconds>(started_.time_since_epoch()).count());
  return out;
}

int64_t resident_memory_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages_total = 0, pages_resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<int64_t>(pages_resident) * ::sysconf(_SC_PAGESIZE);
}

}  // namespace trellis::serve
