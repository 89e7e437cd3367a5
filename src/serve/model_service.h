// The server's InferenceService: the model ModelManager serves, run through the Batcher.
#pragma once

#include "serve/batcher.h"
#include "serve/inference.h"
#include "serve/model_manager.h"

namespace trellis::serve {

class ModelService final : public InferenceService {
 public:
  ModelService(ModelManager& models, Batcher& batcher) : models_(models), batcher_(batcher) {}

  std::shared_ptr<const ModelInfo> model() const override { return models_.current(); }
  bool is_reloading() const override { return models_.is_reloading(); }
  Result<ReloadOutcome> reload(bool force) override { return models_.reload(force); }
  std::future<Result<InferenceResult>> submit(std::shared_ptr<const void> owner,
                                              vision::ImageView image,
                                              const vision::DetectOptions& options) override {
    return batcher_.submit(std::move(owner), image, options);
  }

 private:
  ModelManager& models_;
  Batcher& batcher_;
};

}  // namespace trellis::serve
