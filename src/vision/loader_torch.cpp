#include "trellis/vision/loader_torch.h"

#include <memory>

namespace trellis::vision {

TensorBatch to_tensors(HostBatch&& batch) {
  TensorBatch out;
  // The float buffer moves into a shared block that the tensor's deleter releases.
  auto owned = std::make_shared<std::vector<float>>(std::move(batch.images));
  out.images = torch::from_blob(
      owned->data(), {batch.n, 3, batch.size, batch.size},
      [owned](void*) mutable { owned.reset(); }, torch::TensorOptions().dtype(torch::kFloat32));
  for (int i = 0; i < batch.n; ++i) {
    const auto& bx = batch.boxes[static_cast<size_t>(i)];
    const auto& lb = batch.labels[static_cast<size_t>(i)];
    const int64_t n = static_cast<int64_t>(bx.size());
    torch::Tensor boxes = torch::empty({n, 4}, torch::kFloat32);
    torch::Tensor labels = torch::empty({n}, torch::kInt64);
    float* b = boxes.data_ptr<float>();
    int64_t* l = labels.data_ptr<int64_t>();
    for (int64_t j = 0; j < n; ++j) {
      const Box& box = bx[static_cast<size_t>(j)];
      b[4 * j + 0] = box.x1;
      b[4 * j + 1] = box.y1;
      b[4 * j + 2] = box.x2;
      b[4 * j + 3] = box.y2;
      l[j] = lb[static_cast<size_t>(j)];
    }
    out.boxes.push_back(std::move(boxes));
    out.labels.push_back(std::move(labels));
  }
  out.image_ids = std::move(batch.image_ids);
  out.letterboxes = std::move(batch.letterboxes);
  return out;
}

}  // namespace trellis::vision
