// A trained (or half-trained) detector as one value: model weights, optimizer state, the
// TrainConfig, class list and training progress, stored as safetensors bytes
// (docs/formats/checkpoint.md). Bytes so the engine can keep it as an artifact; files for the
// command-line tools. Model tensors use torchvision's state_dict keys.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/safetensors.h"
#include "trellis/vision/train_config.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

inline constexpr const char* kCheckpointFormat = "trellis.retinanet.v1";

struct Checkpoint {
  TrainConfig config;
  std::vector<Category> categories;  // class index i of the model is categories[i]
  int epoch = 0;                     // completed epochs
  std::string trainer_state = "{}";  // JSON: iteration, best metric, patience, history
  // "backbone.*", "head.*": model; "optimizer.<param index>.<state>": optimizer state.
  std::map<std::string, TensorBytes> tensors;
};

// The number of classes a model built from `ckpt` has: config.num_classes, or the number of
// categories when that is 0.
int checkpoint_num_classes(const Checkpoint& ckpt);

// Checks every metadata field before anything is built from it, so that a hostile or damaged
// file is an error rather than a crash or an enormous allocation: the config (validate() of
// train_config.h: backbone, sizes, thresholds), the class count (1..kMaxNumClasses of
// train_config.h and not below the number of categories), unique category ids, a non-negative
// epoch, and that every tensor has a dtype a model can hold (F32, F64, F16, BF16, I64, I32, U8,
// BOOL). Tensor shapes are checked against the model where one is built (Detector::load, resume).
// kCorrupt naming the field.
Status validate_checkpoint(const Checkpoint& ckpt);

Result<std::string> encode_checkpoint(const Checkpoint& ckpt);
// kCorrupt when the bytes are not safetensors, lack our metadata ("format", "config", ...) or
// fail validate_checkpoint().
Result<Checkpoint> decode_checkpoint(std::string_view bytes);
Status save_checkpoint_file(const std::string& path, const Checkpoint& ckpt);
// Errors name the path: kNotFound, kIoError, kCorrupt.
Result<Checkpoint> load_checkpoint_file(const std::string& path);

}  // namespace trellis::vision
