// What the HTTP layer needs of the model side, as one small interface: the model being served
// (for /version and labels), a reload, and "detect on this image". The server implements it with
// ModelManager + Batcher (serve/model_service.h); tests and the HTTP fuzzer use an in-memory one
// (testing/fake_inference.h), so the whole request path runs without LibTorch.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/detector.h"

namespace trellis::serve {

// A served model as clients see it.
struct ModelInfo {
  std::string version;  // shown in every response as "model"
  std::string digest;   // sha256 of the checkpoint bytes
  std::string source;
  std::chrono::system_clock::time_point loaded_at;
  int image_size = 0;
  std::vector<vision::Category> categories;

  // The category's name, or its id as text when the model does not name it.
  std::string label(int category_id) const;
};

struct ReloadOutcome {
  bool changed = false;  // false: the source resolved to the digest already served
  std::string version, previous_version;
};

// What one image got back, with the model that produced it.
struct InferenceResult {
  std::vector<vision::Detection> detections;
  std::shared_ptr<const ModelInfo> model;
};

class InferenceService {
 public:
  virtual ~InferenceService() = default;
  // Null until the first model is loaded.
  virtual std::shared_ptr<const ModelInfo> model() const = 0;
  virtual bool is_reloading() const = 0;
  // kUnavailable while another reload runs; any other error leaves the old model serving.
  virtual Result<ReloadOutcome> reload(bool force) = 0;
  // `owner` keeps the pixels of `image` alive until the future is ready. Never blocks on the
  // model; kUnavailable when the queue is full.
  virtual std::future<Result<InferenceResult>> submit(std::shared_ptr<const void> owner,
                                                      vision::ImageView image,
                                                      const vision::DetectOptions& options) = 0;
};

}  // namespace trellis::serve
