#include "serve/model_manager.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "serve/batcher.h"

namespace trellis::serve {

ModelManager::ModelManager(ModelSpec spec, ModelManagerOptions options, Metrics& metrics)
    : spec_(std::move(spec)), options_(std::move(options)), metrics_(metrics) {}

ModelManager::~ModelManager() {
  std::lock_guard lock(background_mu_);
  if (background_.joinable()) background_.join();
}

std::shared_ptr<const LoadedModel> ModelManager::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void ModelManager::publish(std::shared_ptr<const LoadedModel> model) {
  metrics_.set_model(model->version, model->digest);
  std::lock_guard lock(mu_);
  current_ = std::move(model);
}

Result<std::shared_ptr<const LoadedModel>> ModelManager::load(ModelBytes bytes) const {
  // Nothing a checkpoint holds may take the server down: a reload that fails here keeps the
  // old model serving (Detector::load returns a Status; this catches what is left, e.g. an
  // allocation failure in the warm-up).
  const std::string source = bytes.source;
  try {
    return load_unguarded(std::move(bytes));
  } catch (const std::exception& e) {
    return internal_error(source + ": cannot load the model: " + e.what());
  }
}

Result<std::shared_ptr<const LoadedModel>> ModelManager::load_unguarded(ModelBytes bytes) const {
  const auto started = std::chrono::steady_clock::now();
  // glibc keeps the freed weights of a swapped-out model in its arenas: without a trim, RSS grew
  // by a model's size with every swap (bench/serve_soak.sh: 347 MB -> 2.1 GB in 19 swaps).
  std::shared_ptr<LoadedModel> model(new LoadedModel, [](LoadedModel* m) {
    delete m;
    ::malloc_trim(0);
  });
  model->version = bytes.version;
  model->digest = bytes.digest;
  model->source = bytes.source;
  for (int i = 0; i < std::max(1, options_.num_detectors); ++i) {
    auto det = vision::Detector::load(
        bytes.bytes, {.device = options_.device, .channels_last = options_.channels_last});
    if (!det.ok()) return det.status().with_context(bytes.source);
    model->detectors.push_back(std::move(det).value());
  }
  model->image_size = model->detectors[0]->image_size();
  model->categories = model->detectors[0]->categories();
  // Warm-up: the first forward pass allocates and picks kernels; do it here, not on a request,
  // with the thread count the workers use (kernels picked for another count ran ~8x slower).
  set_intra_op_threads(options_.threads_per_worker);
  const int side = model->image_size;
  std::vector<uint8_t> grey(static_cast<size_t>(side) * side * 3, 114);
  const vision::ImageView view{grey.data(), side, side, 0, true};
  try {
    for (auto& det : model->detectors) (void)det->detect({view});
  } catch (const std::exception& e) {
    return internal_error(bytes.source + ": warm-up failed: " + e.what());
  }
  model->loaded_at = std::chrono::system_clock::now();
  spdlog::info("model {} loaded from {} ({} workers) in {:.2f} s", model->version, model->source,
               model->detectors.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

Status ModelManager::load_initial() {
  std::lock_guard reload_lock(reload_mu_);
  auto bytes = resolve_model(spec_, options_.client);
  if (!bytes.ok()) return bytes.status();
  auto model = load(std::move(bytes).value());
  if (!model.ok()) return model.status();
  publish(std::move(model).value());
  metrics_.set_ready(true);
  return Status::ok_status();
}

Result<ReloadOutcome> ModelManager::reload(bool force) {
  std::unique_lock reload_lock(reload_mu_, std::try_to_lock);
  if (!reload_lock.owns_lock()) return unavailable("a model reload is already running");
  reloading_ = true;
  struct Reset {
    std::atomic<bool>& flag;
    ~Reset() { flag = false; }
  } reset{reloading_};

  const auto old = current();
  ReloadOutcome outcome;
  outcome.previous_version = old ? old->version : "";
  auto bytes = resolve_model(spec_, options_.client);
  if (!bytes.ok()) {
    metrics_.record_reload(false);
    spdlog::error("reload: {}", bytes.status().to_string());
    return bytes.status();
  }
  if (old && old->digest == bytes->digest && !force) {
    outcome.version = old->version;
    spdlog::info("reload: {} is unchanged (digest {})", old->version, old->digest.substr(0, 12));
    return outcome;
  }
  auto model = load(std::move(bytes).value());
  if (!model.ok()) {
    metrics_.record_reload(false);
    spdlog::error("reload: {} (still serving {})", model.status().to_string(),
                  outcome.previous_version);
    return model.status();
  }
  outcome.version = (*model)->version;
  outcome.changed = true;
  publish(std::move(model).value());
  metrics_.record_reload(true);
  spdlog::info("reload: now serving {} (was {})", outcome.version, outcome.previous_version);
  return outcome;
}

bool ModelManager::reload_in_background() {
  std::lock_guard lock(background_mu_);
  if (reloading_.load()) {
    spdlog::warn("reload requested while one is running; ignored");
    return false;
  }
  if (background_.joinable()) background_.join();
  background_ = std::thread([this] { (void)reload(false); });
  return true;
}

}  // namespace trellis::serve
