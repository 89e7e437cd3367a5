// TrainConfig <-> JSON. One field list (kFields) drives both directions.
#include "trellis/vision/train_config.h"

#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>

#include "trellis/core/json.h"

namespace trellis::vision {
namespace {

using json = nlohmann::json;

struct Field {
  const char* name;
  std::function<json(const TrainConfig&)> get;
  std::function<void(TrainConfig&, const json&)> set;  // throws nlohmann type_error
};

// Numbers are range-checked before they are converted: a checkpoint saying num_classes 1e300
// must be an error, not a float-to-int conversion with undefined behaviour.
template <typename T>
T number_as(const json& v) {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
    return v.get<T>();
  } else if constexpr (std::is_integral_v<T>) {
    auto n = json_integer(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
    if (!n) throw std::out_of_range(v.dump() + " is not an integer in range");
    return static_cast<T>(*n);
  } else {
    if (!v.is_number()) throw std::invalid_argument("expected a number, got " + v.dump());
    const double d = v.get<double>();
    if (!(std::abs(d) <= std::numeric_limits<T>::max())) {
      throw std::out_of_range(v.dump() + " is out of range");
    }
    return static_cast<T>(d);
  }
}

template <typename T>
T value_as(const json& v) {
  if constexpr (std::is_same_v<T, std::vector<int>>) {
    if (!v.is_array()) throw std::invalid_argument("expected an array, got " + v.dump());
    std::vector<int> out;
    for (const auto& e : v) out.push_back(number_as<int>(e));
    return out;
  } else {
    return number_as<T>(v);
  }
}

template <typename T>
Field field(const char* name, T TrainConfig::*member) {
  return {name, [member](const TrainConfig& c) { return json(c.*member); },
          [member](TrainConfig& c, const json& v) { c.*member = value_as<T>(v); }};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      field("backbone", &TrainConfig::backbone),
      field("backbone_weights", &TrainConfig::backbone_weights),
      field("num_classes", &TrainConfig::num_classes),
      field("image_size", &TrainConfig::image_size),
      field("box_loss", &TrainConfig::box_loss),
      field("smooth_l1_beta", &TrainConfig::smooth_l1_beta),
      field("focal_alpha", &TrainConfig::focal_alpha),
      field("focal_gamma", &TrainConfig::focal_gamma),
      field("fg_iou", &TrainConfig::fg_iou),
      field("bg_iou", &TrainConfig::bg_iou),
      field("score_thresh", &TrainConfig::score_thresh),
      field("nms_thresh", &TrainConfig::nms_thresh),
      field("topk_candidates", &TrainConfig::topk_candidates),
      field("detections_per_img", &TrainConfig::detections_per_img),
      field("optimizer", &TrainConfig::optimizer),
      field("lr", &TrainConfig::lr),
      field("momentum", &TrainConfig::momentum),
      field("weight_decay", &TrainConfig::weight_decay),
      field("grad_clip_norm", &TrainConfig::grad_clip_norm),
      field("schedule", &TrainConfig::schedule),
      field("warmup_iters", &TrainConfig::warmup_iters),
      field("warmup_factor", &TrainConfig::warmup_factor),
      field("step_milestones", &TrainConfig::step_milestones),
      field("step_gamma", &TrainConfig::step_gamma),
      field("epochs", &TrainConfig::epochs),
      field("batch_size", &TrainConfig::batch_size),
      field("seed", &TrainConfig::seed),
      field("num_threads", &TrainConfig::num_threads),
      field("device", &TrainConfig::device),
      field("amp", &TrainConfig::amp),
      field("channels_last", &TrainConfig::channels_last),
      field("early_stopping_patience", &TrainConfig::early_stopping_patience),
      field("early_stopping_metric", &TrainConfig::early_stopping_metric),
      field("progress", &TrainConfig::progress),
      field("augment", &TrainConfig::augment),
      field("mosaic_prob", &TrainConfig::mosaic_prob),
      field("loader_threads", &TrainConfig::loader_threads),
  };
  return kFields;
}

bool one_of(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (v == o) return true;
  }
  return false;
}

}  // namespace

std::string train_config_to_json(const TrainConfig& config) {
  json j = json::object();
  for (const auto& f : fields()) j[f.name] = f.get(config);
  return j.dump(2);
}

Result<TrainConfig> train_config_from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("train config: not JSON: ") + e.what());
  }
  if (!j.is_object()) return invalid_argument("train config: expected a JSON object");
  TrainConfig config;
  for (const auto& [key, value] : j.items()) {
    const Field* match = nullptr;
    for (const auto& f : fields()) {
      if (key == f.name) match = &f;
    }
    if (!match) return invalid_argument("train config: unknown key '" + key + "'");
    try {
      match->set(config, value);
    } catch (const std::exception& e) {
      return invalid_argument("train config: " + key + ": " + e.what());
    }
  }
  return config;
}

Status validate(const TrainConfig& c) {
  if (!one_of(c.backbone, {"resnet18", "resnet34", "resnet50"})) {
    return invalid_argument("backbone: '" + c.backbone + "' is not resnet18, resnet34 or resnet50");
  }
  if (!one_of(c.box_loss, {"l1", "smooth_l1", "giou"})) {
    return invalid_argument("box_loss: '" + c.box_loss + "' is not l1, smooth_l1 or giou");
  }
  if (!one_of(c.optimizer, {"sgd", "adamw"})) {
    return invalid_argument("optimizer: '" + c.optimizer + "' is not sgd or adamw");
  }
  if (!one_of(c.schedule, {"cosine", "step", "constant"})) {
    return invalid_argument("schedule: '" + c.schedule + "' is not cosine, step or constant");
  }
  if (!one_of(c.early_stopping_metric, {"val_loss", "map", "map50"})) {
    return invalid_argument("early_stopping_metric: '" + c.early_stopping_metric +
                            "' is not val_loss, map or map50");
  }
  if (c.image_size < 64 || c.image_size > kMaxImageSize || c.image_size % 32 != 0) {
    return invalid_argument("image_size: " + std::to_string(c.image_size) +
                            " is not a multiple of 32 in [64, " + std::to_string(kMaxImageSize) +
                            "]");
  }
  if (c.num_classes < 0 || c.num_classes > kMaxNumClasses) {
    return invalid_argument("num_classes: " + std::to_string(c.num_classes) + " is not in [0, " +
                            std::to_string(kMaxNumClasses) + "] (0: from the data)");
  }
  if (c.topk_candidates < 1 || c.topk_candidates > kMaxCandidates) {
    return invalid_argument("topk_candidates: must be in [1, " + std::to_string(kMaxCandidates) +
                            "]");
  }
  if (c.detections_per_img < 1 || c.detections_per_img > kMaxCandidates) {
    return invalid_argument("detections_per_img: must be in [1, " + std::to_string(kMaxCandidates) +
                            "]");
  }
  for (auto [name, v] : {std::pair{"score_thresh", c.score_thresh},
                         std::pair{"nms_thresh", c.nms_thresh}, std::pair{"fg_iou", c.fg_iou},
                         std::pair{"bg_iou", c.bg_iou}, std::pair{"focal_alpha", c.focal_alpha}}) {
    if (!(v >= 0 && v <= 1)) return invalid_argument(std::string(name) + ": must be in [0, 1]");
  }
  if (!(std::isfinite(c.focal_gamma) && c.focal_gamma >= 0)) {
    return invalid_argument("focal_gamma: must be a finite number >= 0");
  }
  if (c.batch_size < 1) return invalid_argument("batch_size: must be >= 1");
  if (c.epochs < 0) return invalid_argument("epochs: must be >= 0");
  if (c.lr <= 0) return invalid_argument("lr: must be > 0");
  if (!(c.mosaic_prob >= 0 && c.mosaic_prob <= 1)) return invalid_argument("mosaic_prob: must be in [0, 1]");
  if (c.loader_threads < 1) return invalid_argument("loader_threads: must be >= 1");
  if (c.bg_iou > c.fg_iou) return invalid_argument("bg_iou: must not exceed fg_iou");
  return {};
}

}  // namespace trellis::vision
