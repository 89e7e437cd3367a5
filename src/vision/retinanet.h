// RetinaNet on LibTorch (private to src/vision): ResNet backbone, FPN P3-P7, shared heads,
// anchors, box coding, matching, focal loss, decoding and batched per-class NMS.
// Module and parameter names follow torchvision's retinanet_resnet50_fpn state_dict keys
// ("backbone.body.layer1.0.conv1.weight", "head.classification_head.cls_logits.bias", ...)
// so weights move between the two (see docs/vision.md for every default and difference).
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace trellis::vision {

// ---------------------------------------------------------------- model options

enum class BoxLoss { kL1, kSmoothL1, kGiou };

struct RetinaNetOptions {
  std::string backbone = "resnet50";  // resnet18 | resnet34 | resnet50
  int num_classes = 91;               // sigmoid classes, no background class
  int fpn_channels = 256;
  int head_convs = 4;
  float prior_probability = 0.01f;
  // Matching and loss.
  float fg_iou = 0.5f;
  float bg_iou = 0.4f;
  bool allow_low_quality_matches = true;
  float focal_alpha = 0.25f;
  float focal_gamma = 2.0f;
  BoxLoss box_loss = BoxLoss::kL1;
  float smooth_l1_beta = 1.0f;
  // Decoding.
  float score_thresh = 0.05f;
  int topk_candidates = 1000;  // per level and image
  float nms_thresh = 0.5f;
  int detections_per_img = 300;
};

// ---------------------------------------------------------------- backbone

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct BottleneckImpl : torch::nn::Module {
  BottleneckImpl(int64_t in, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

// ResNet without avgpool/fc; forward returns C3, C4, C5.
struct ResNetImpl : torch::nn::Module {
  explicit ResNetImpl(const std::string& depth);
  std::vector<torch::Tensor> forward(const torch::Tensor& x);
  std::vector<int64_t> out_channels;  // C3, C4, C5
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(ResNet);

// FPN over C3-C5 with P6/P7 computed from P5 (torchvision's LastLevelP6P7(256, 256)).
struct FpnImpl : torch::nn::Module {
  FpnImpl(const std::vector<int64_t>& in_channels, int64_t out_channels);
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& c);
  torch::nn::ModuleList inner_blocks{nullptr}, layer_blocks{nullptr};
  torch::nn::Conv2d p6{nullptr}, p7{nullptr};
};
TORCH_MODULE(Fpn);

struct BackboneImpl : torch::nn::Module {
  BackboneImpl(const std::string& depth, int64_t fpn_channels);
  std::vector<torch::Tensor> forward(const torch::Tensor& x);
  ResNet body{nullptr};
  Fpn fpn{nullptr};
};
TORCH_MODULE(Backbone);

// Shared head: `num_convs` 3x3 conv+ReLU layers then a 3x3 conv to anchors*outputs.
struct HeadBranchImpl : torch::nn::Module {
  HeadBranchImpl(int64_t channels, int64_t num_convs, int64_t outputs, const std::string& last,
                 float last_bias, bool last_bias_const);
  // Returns [N, sum(H*W*A), outputs/A] for the given levels.
  torch::Tensor forward(const std::vector<torch::Tensor>& levels, int64_t per_anchor);
  torch::nn::ModuleList conv{nullptr};
  torch::nn::Conv2d last{nullptr};
};
TORCH_MODULE(HeadBranch);

struct HeadOutputs {
  torch::Tensor cls_logits;  // [N, A_total, K]
  torch::Tensor box_deltas;  // [N, A_total, 4]
};

struct RetinaHeadImpl : torch::nn::Module {
  RetinaHeadImpl(int64_t channels, int64_t num_anchors, int64_t num_classes, int64_t num_convs,
                 float prior);
  HeadOutputs forward(const std::vector<torch::Tensor>& levels);
  int64_t num_anchors, num_classes;
  HeadBranch classification_head{nullptr}, regression_head{nullptr};
};
TORCH_MODULE(RetinaHead);

struct RawOutputs {
  HeadOutputs head;
  std::vector<int64_t> level_sizes;  // anchors per level (H*W*A)
  torch::Tensor anchors;             // [A_total, 4] for this padded input size
};

struct Targets {
  torch::Tensor boxes;   // [G, 4] in input pixels (x1, y1, x2, y2)
  torch::Tensor labels;  // [G] int64 class index in [0, K)
};

struct Losses {
  torch::Tensor classification;
  torch::Tensor box_regression;
  torch::Tensor total() const { return classification + box_regression; }
};

struct ImageSize {
  int64_t height = 0, width = 0;  // valid (unpadded) area of the input tensor
};

struct RawDetections {
  torch::Tensor boxes;   // [D, 4] float, input pixels
  torch::Tensor scores;  // [D]
  torch::Tensor labels;  // [D] int64 class index
};

class RetinaNetImpl : public torch::nn::Module {
 public:
  explicit RetinaNetImpl(RetinaNetOptions options);
  // `images`: [N, 3, H, W] float in [0, 1] (RGB), H and W multiples of 32 recommended.
  // Normalizes with ImageNet mean/std inside, runs backbone + heads.
  RawOutputs forward(const torch::Tensor& images);
  Losses loss(const RawOutputs& out, const std::vector<Targets>& targets);
  std::vector<RawDetections> decode(const RawOutputs& out, const std::vector<ImageSize>& sizes);
  const RetinaNetOptions& options() const { return options_; }
  RetinaNetOptions& mutable_options() { return options_; }

  Backbone backbone{nullptr};
  RetinaHead head{nullptr};

 private:
  torch::Tensor anchors_for(const torch::Tensor& images, const std::vector<torch::Tensor>& feats);
  RetinaNetOptions options_;
  torch::Tensor mean_, std_;
  // Anchor cache for the last input size (anchors depend only on sizes and device).
  std::vector<int64_t> cached_key_;
  torch::Tensor cached_anchors_;
};
TORCH_MODULE(RetinaNet);

// ---------------------------------------------------------------- pure detection ops

// Base anchors of one level centred at 0: rows (ratio-major, scale-minor), rounded to
// integers as torchvision does. sizes: e.g. {32, 40, 50}; ratios {0.5, 1, 2} (h/w).
torch::Tensor base_anchors(const std::vector<double>& sizes, const std::vector<double>& ratios);
// torchvision's default sizes per level: (x, int(x*2^(1/3)), int(x*2^(2/3))) for 32..512.
std::vector<std::vector<double>> default_anchor_sizes();
// Anchors for a padded input of image_h x image_w and one feature map per level;
// stride = image // feature (integer division), shifts at stride*index (top-left).
// Order: level, then location (row-major), then base anchor.
torch::Tensor grid_anchors(int64_t image_h, int64_t image_w,
                           const std::vector<std::pair<int64_t, int64_t>>& feature_sizes,
                           torch::Device device = torch::kCPU);

// BoxCoder with weights (1, 1, 1, 1) and dw/dh clamp log(1000/16).
torch::Tensor encode_boxes(const torch::Tensor& gt, const torch::Tensor& anchors);
torch::Tensor decode_boxes(const torch::Tensor& deltas, const torch::Tensor& anchors);

torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b);  // [A, B]

// Matched gt index per anchor: >= 0 foreground, -1 background, -2 ignored.
// iou: [G, A]. With no gt every anchor is background.
torch::Tensor match_anchors(const torch::Tensor& iou, float fg_iou, float bg_iou,
                            bool allow_low_quality_matches);
constexpr int64_t kBackground = -1;
constexpr int64_t kIgnore = -2;

// Elementwise sigmoid focal loss (torchvision.ops.sigmoid_focal_loss, reduction none).
torch::Tensor sigmoid_focal_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                 float alpha, float gamma);
// Elementwise 1 - GIoU of matched box pairs [M, 4].
torch::Tensor giou_loss(const torch::Tensor& pred, const torch::Tensor& gt);

// Greedy NMS within each class: keeps a box unless a kept box of the same class with a higher
// score has IoU strictly greater than `iou_thresh`. Ties in score keep input order.
// Returns kept indices (int64) sorted by decreasing score. Boxes on any device (runs on CPU).
torch::Tensor batched_nms(const torch::Tensor& boxes, const torch::Tensor& scores,
                          const torch::Tensor& classes, float iou_thresh);

// Folds every backbone BatchNorm (running statistics) into the conv before it; the BN layers are
// skipped afterwards. Inference only: call after moving the model to its device, and never
// export or train the fused model.
void fuse_batchnorm_for_inference(RetinaNet& model);

}  // namespace trellis::vision
