// Glue between RetinaNet / LibTorch optimizers and the torch-free Checkpoint: tensor <-> bytes,
// model and optimizer state export/import, and building a model from a TrainConfig.
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <map>
#include <memory>
#include <string>

#include "trellis/core/status.h"
#include "trellis/vision/checkpoint.h"
#include "vision/retinanet.h"

namespace trellis::vision {

TensorBytes tensor_to_bytes(const torch::Tensor& t);
// Throws c10::Error on a dtype LibTorch has no type for or a byte count that disagrees with the
// shape; import_model() checks both first.
torch::Tensor tensor_from_bytes(const TensorBytes& b);

RetinaNetOptions model_options(const TrainConfig& config, int num_classes);

// Checks, before a model is built, that `tensors` hold the classification head that `options`
// describe (head.classification_head.cls_logits.{weight,bias} shaped for options.num_classes
// and 9 anchors), so that metadata claiming 10^9 classes is an error instead of a huge
// allocation. kInvalidArgument naming the tensor, expected and actual shapes.
Status check_head_tensors(const std::map<std::string, TensorBytes>& tensors,
                          const RetinaNetOptions& options);
// Builds the model, converting any exception LibTorch throws (out of memory, bad options)
// into kInvalidArgument.
Result<RetinaNet> make_retinanet(const RetinaNetOptions& options);

// Parameters and buffers under their torchvision keys.
void export_model(RetinaNet& model, std::map<std::string, TensorBytes>& out);
// Copies every model tensor from `in` (keys starting with `prefix` only when prefix is set, e.g.
// "backbone.body." for pretrained backbone weights). kInvalidArgument naming the key on a
// missing key, a shape mismatch or a dtype that is not a number type LibTorch holds (checked
// before anything is allocated for the tensor).
Status import_model(const std::map<std::string, TensorBytes>& in, RetinaNet& model,
                    const std::string& prefix = "");

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& config,
                                                        RetinaNet& model);
// "optimizer.<index>.<name>" where index is the parameter's position in the optimizer.
void export_optimizer(torch::optim::Optimizer& opt, const std::string& kind,
                      std::map<std::string, TensorBytes>& out);
// kInvalidArgument naming the key when a state tensor is incomplete, of another shape than its
// parameter, or of an unsupported dtype.
Status import_optimizer(const std::map<std::string, TensorBytes>& in, const std::string& kind,
                        torch::optim::Optimizer& opt);

// Stacks equally sized CV_8UC3 RGB images into [N, 3, H, W] float in [0, 1] on `device`.
torch::Tensor rgb_to_tensor(const std::vector<cv::Mat>& rgb, torch::Device device,
                            bool channels_last);

}  // namespace trellis::vision
