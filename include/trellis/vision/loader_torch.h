// HostBatch -> LibTorch tensors, without copying the image data. The only
// loader header that includes LibTorch (include it from training code only).
#pragma once

#include <torch/types.h>

#include <vector>

#include "trellis/vision/loader.h"

namespace trellis::vision {

struct TensorBatch {
  torch::Tensor images;               // float32 [N, 3, S, S], normalised RGB
  std::vector<torch::Tensor> boxes;   // per image: float32 [n_i, 4], x1 y1 x2 y2 pixels
  std::vector<torch::Tensor> labels;  // per image: int64 [n_i], category ids
  std::vector<int64_t> image_ids;
  std::vector<Letterbox> letterboxes;
};

// Takes ownership of the batch; `images` aliases its buffer (freed with the tensor).
TensorBatch to_tensors(HostBatch&& batch);

}  // namespace trellis::vision
