// FakeInference: an in-memory InferenceService for tests and the HTTP fuzzer. Each image gets one
// detection covering its left half, labelled with the first category; a model swap, a reload
// failure, a full queue or held results (to keep images in flight) are set by the test.
#pragma once

#include <mutex>
#include <utility>
#include <vector>

#include "serve/inference.h"

namespace trellis::test {

class FakeInference final : public serve::InferenceService {
 public:
  FakeInference() { set_model("fake@1"); }

  void set_model(const std::string& version) {
    auto m = std::make_shared<serve::ModelInfo>();
    m->version = version;
    m->digest = std::string(64, 'a');
    m->source = "fake";
    m->image_size = 64;
    m->categories = {{1, "leaf"}, {2, "spot"}};
    std::lock_guard lock(mu_);
    model_ = std::move(m);
  }
  void unload() {
    std::lock_guard lock(mu_);
    model_.reset();
  }
  // Results wait until release(); the images stay alive (and counted) until then.
  void hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void release() {
    std::vector<Pending> pending;
    {
      std::lock_guard lock(mu_);
      holding_ = false;
      pending.swap(pending_);
    }
    for (auto& p : pending) p.promise.set_value(result_for(p.width, p.height));
  }
  void fail_submits(bool on) {
    std::lock_guard lock(mu_);
    queue_full_ = on;
  }
  void fail_reloads(bool on) {
    std::lock_guard lock(mu_);
    reload_fails_ = on;
  }
  int submitted() const {
    std::lock_guard lock(mu_);
    return submitted_;
  }
  ~FakeInference() override { release(); }

  std::shared_ptr<const serve::ModelInfo> model() const override {
    std::lock_guard lock(mu_);
    return model_;
  }
  bool is_reloading() const override { return false; }
  Result<serve::ReloadOutcome> reload(bool force) override {
    std::lock_guard lock(mu_);
    if (reload_fails_) return invalid_argument("fake: the new checkpoint is broken");
    serve::ReloadOutcome out;
    out.previous_version = model_ ? model_->version : "";
    out.version = out.previous_version;
    out.changed = force;
    return out;
  }
  std::future<Result<serve::InferenceResult>> submit(std::shared_ptr<const void> owner,
                                                     vision::ImageView image,
                                                     const vision::DetectOptions&) override {
    std::promise<Result<serve::InferenceResult>> promise;
    auto future = promise.get_future();
    std::unique_lock lock(mu_);
    ++submitted_;
    if (queue_full_) {
      lock.unlock();
      promise.set_value(unavailable("fake: the queue is full"));
      return future;
    }
    if (holding_) {
      pending_.push_back({std::move(owner), image.width, image.height, std::move(promise)});
      return future;
    }
    lock.unlock();
    promise.set_value(result_for(image.width, image.height));
    return future;
  }

 private:
  struct Pending {
    std::shared_ptr<const void> owner;
    int width, height;
    std::promise<Result<serve::InferenceResult>> promise;
  };

  Result<serve::InferenceResult> result_for(int width, int height) const {
    serve::InferenceResult r;
    r.model = model();
    if (!r.model) return unavailable("fake: no model");
    r.detections.push_back({{0, 0, width / 2.0f, static_cast<float>(height)}, 0.9f, 1});
    return r;
  }

  mutable std::mutex mu_;
  std::shared_ptr<const serve::ModelInfo> model_;
  bool holding_ = false, queue_full_ = false, reload_fails_ = false;
  int submitted_ = 0;
  std::vector<Pending> pending_;
};

}  // namespace trellis::test
