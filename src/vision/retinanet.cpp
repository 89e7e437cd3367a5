// RetinaNet modules. Initialisation follows torchvision: ResNet convs kaiming_normal(fan_out),
// BN weight 1 / bias 0; FPN convs kaiming_uniform(a=1), bias 0; head convs normal(0, 0.01),
// bias 0, classification bias -log((1 - p) / p).
#include "vision/retinanet.h"

#include <cmath>
#include <stdexcept>

namespace trellis::vision {
namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}

void init_resnet_conv(nn::Conv2d& c) {
  torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
}

nn::BatchNorm2d bn(int64_t c) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(c)); }

nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  nn::Sequential seq;
  auto c = conv(in, out, 1, stride, 0, false);
  init_resnet_conv(c);
  seq->push_back(c);
  seq->push_back(bn(out));
  return seq;
}

// Applies BN unless it was folded into the conv before it (inference fast path).
torch::Tensor conv_bn(nn::Conv2d& c, nn::BatchNorm2d& b, const torch::Tensor& x) {
  auto y = c->forward(x);
  return c->bias.defined() ? y : b->forward(y);
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t planes, int64_t stride) {
  conv1 = register_module("conv1", conv(in, planes, 3, stride, 1, false));
  bn1 = register_module("bn1", bn(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1, false));
  bn2 = register_module("bn2", bn(planes));
  init_resnet_conv(conv1);
  init_resnet_conv(conv2);
  if (stride != 1 || in != planes) {
    downsample = register_module("downsample", make_downsample(in, planes, stride));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = (conv_bn(conv1, bn1, x)).relu_();
  out = conv_bn(conv2, bn2, out);
  torch::Tensor identity = x;
  if (downsample) {
    auto c = downsample[0]->as<nn::Conv2d>();
    identity = c->bias.defined() ? c->forward(x) : downsample->forward(x);
  }
  return (out += identity).relu_();
}

BottleneckImpl::BottleneckImpl(int64_t in, int64_t planes, int64_t stride) {
  conv1 = register_module("conv1", conv(in, planes, 1, 1, 0, false));
  bn1 = register_module("bn1", bn(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1, false));
  bn2 = register_module("bn2", bn(planes));
  conv3 = register_module("conv3", conv(planes, planes * 4, 1, 1, 0, false));
  bn3 = register_module("bn3", bn(planes * 4));
  init_resnet_conv(conv1);
  init_resnet_conv(conv2);
  init_resnet_conv(conv3);
  if (stride != 1 || in != planes * 4) {
    downsample = register_module("downsample", make_downsample(in, planes * 4, stride));
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = (conv_bn(conv1, bn1, x)).relu_();
  out = (conv_bn(conv2, bn2, out)).relu_();
  out = conv_bn(conv3, bn3, out);
  torch::Tensor identity = x;
  if (downsample) {
    auto c = downsample[0]->as<nn::Conv2d>();
    identity = c->bias.defined() ? c->forward(x) : downsample->forward(x);
  }
  return (out += identity).relu_();
}

ResNetImpl::ResNetImpl(const std::string& depth) {
  std::vector<int> blocks;
  bool bottleneck = false;
  if (depth == "resnet18") {
    blocks = {2, 2, 2, 2};
  } else if (depth == "resnet34") {
    blocks = {3, 4, 6, 3};
  } else if (depth == "resnet50") {
    blocks = {3, 4, 6, 3};
    bottleneck = true;
  } else {
    throw std::invalid_argument("unknown backbone '" + depth +
                                "' (expected resnet18, resnet34 or resnet50)");
  }
  conv1 = register_module("conv1", conv(3, 64, 7, 2, 3, false));
  init_resnet_conv(conv1);
  bn1 = register_module("bn1", bn(64));
  const int64_t expansion = bottleneck ? 4 : 1;
  int64_t in = 64;
  auto make_layer = [&](int64_t planes, int count, int64_t stride) {
    nn::Sequential seq;
    for (int i = 0; i < count; ++i) {
      const int64_t s = i == 0 ? stride : 1;
      if (bottleneck) {
        seq->push_back(Bottleneck(in, planes, s));
      } else {
        seq->push_back(BasicBlock(in, planes, s));
      }
      in = planes * expansion;
    }
    return seq;
  };
  layer1 = register_module("layer1", make_layer(64, blocks[0], 1));
  layer2 = register_module("layer2", make_layer(128, blocks[1], 2));
  layer3 = register_module("layer3", make_layer(256, blocks[2], 2));
  layer4 = register_module("layer4", make_layer(512, blocks[3], 2));
  out_channels = {128 * expansion, 256 * expansion, 512 * expansion};
}

std::vector<torch::Tensor> ResNetImpl::forward(const torch::Tensor& x) {
  auto y = (conv_bn(conv1, bn1, x)).relu_();
  y = torch::max_pool2d(y, 3, 2, 1);
  y = layer1->forward<torch::Tensor>(y);
  torch::Tensor c3 = layer2->forward(y);
  torch::Tensor c4 = layer3->forward(c3);
  torch::Tensor c5 = layer4->forward(c4);
  return {c3, c4, c5};
}

FpnImpl::FpnImpl(const std::vector<int64_t>& in_channels, int64_t out) {
  inner_blocks = register_module("inner_blocks", nn::ModuleList());
  layer_blocks = register_module("layer_blocks", nn::ModuleList());
  auto init = [](nn::Conv2d& c) {
    torch::nn::init::kaiming_uniform_(c->weight, 1.0);
    torch::nn::init::zeros_(c->bias);
  };
  for (int64_t in : in_channels) {
    // Wrapped in a Sequential so keys read "inner_blocks.0.0.weight" as in torchvision.
    auto inner = conv(in, out, 1, 1, 0, true);
    auto layer = conv(out, out, 3, 1, 1, true);
    init(inner);
    init(layer);
    inner_blocks->push_back(nn::Sequential(inner));
    layer_blocks->push_back(nn::Sequential(layer));
  }
  // torchvision keeps P6/P7 in a submodule: "fpn.extra_blocks.p6.weight".
  auto extra = register_module("extra_blocks", std::make_shared<nn::Module>());
  p6 = extra->register_module("p6", conv(out, out, 3, 2, 1, true));
  p7 = extra->register_module("p7", conv(out, out, 3, 2, 1, true));
  init(p6);
  init(p7);
}

std::vector<torch::Tensor> FpnImpl::forward(const std::vector<torch::Tensor>& c) {
  const int64_t n = static_cast<int64_t>(c.size());
  std::vector<torch::Tensor> results(n);
  auto last_inner = inner_blocks[n - 1]->as<nn::Sequential>()->forward(c[n - 1]);
  results[n - 1] = layer_blocks[n - 1]->as<nn::Sequential>()->forward(last_inner);
  for (int64_t i = n - 2; i >= 0; --i) {
    auto lateral = inner_blocks[i]->as<nn::Sequential>()->forward(c[i]);
    auto top_down = F::interpolate(
        last_inner, F::InterpolateFuncOptions()
                        .size(std::vector<int64_t>{lateral.size(2), lateral.size(3)})
                        .mode(torch::kNearest));
    last_inner = lateral + top_down;
    results[i] = layer_blocks[i]->as<nn::Sequential>()->forward(last_inner);
  }
  auto r6 = p6->forward(results.back());
  auto r7 = p7->forward(torch::relu(r6));
  results.push_back(r6);
  results.push_back(r7);
  return results;
}

BackboneImpl::BackboneImpl(const std::string& depth, int64_t fpn_channels) {
  body = register_module("body", ResNet(depth));
  // The FPN lives under "fpn" with P6/P7 under "fpn.extra_blocks" (torchvision keys).
  fpn = register_module("fpn", Fpn(body->out_channels, fpn_channels));
}

std::vector<torch::Tensor> BackboneImpl::forward(const torch::Tensor& x) {
  return fpn->forward(body->forward(x));
}

HeadBranchImpl::HeadBranchImpl(int64_t channels, int64_t num_convs, int64_t outputs,
                               const std::string& last_name, float last_bias, bool) {
  conv = register_module("conv", nn::ModuleList());
  for (int64_t i = 0; i < num_convs; ++i) {
    auto c = ::trellis::vision::conv(channels, channels, 3, 1, 1, true);
    torch::nn::init::normal_(c->weight, 0.0, 0.01);
    torch::nn::init::zeros_(c->bias);
    conv->push_back(nn::Sequential(c));
  }
  last = register_module(last_name, ::trellis::vision::conv(channels, outputs, 3, 1, 1, true));
  torch::nn::init::normal_(last->weight, 0.0, 0.01);
  torch::nn::init::constant_(last->bias, last_bias);
}

torch::Tensor HeadBranchImpl::forward(const std::vector<torch::Tensor>& levels,
                                      int64_t per_anchor) {
  std::vector<torch::Tensor> outs;
  outs.reserve(levels.size());
  for (const auto& level : levels) {
    auto y = level;
    for (const auto& m : *conv) {
      y = (m->as<nn::Sequential>()->forward(y)).relu_();
    }
    y = last->forward(y);
    const int64_t n = y.size(0), h = y.size(2), w = y.size(3);
    const int64_t a = y.size(1) / per_anchor;
    // [N, A*K, H, W] -> [N, H, W, A, K] -> [N, H*W*A, K]
    outs.push_back(y.view({n, a, per_anchor, h, w}).permute({0, 3, 4, 1, 2}).reshape(
        {n, h * w * a, per_anchor}));
  }
  return torch::cat(outs, 1);
}

RetinaHeadImpl::RetinaHeadImpl(int64_t channels, int64_t anchors, int64_t classes,
                               int64_t num_convs, float prior)
    : num_anchors(anchors), num_classes(classes) {
  const float cls_bias = -std::log((1.0f - prior) / prior);
  classification_head = register_module(
      "classification_head",
      HeadBranch(channels, num_convs, anchors * classes, "cls_logits", cls_bias, true));
  regression_head = register_module(
      "regression_head", HeadBranch(channels, num_convs, anchors * 4, "bbox_reg", 0.0f, true));
}

HeadOutputs RetinaHeadImpl::forward(const std::vector<torch::Tensor>& levels) {
  return {classification_head->forward(levels, num_classes),
          regression_head->forward(levels, 4)};
}

RetinaNetImpl::RetinaNetImpl(RetinaNetOptions options) : options_(std::move(options)) {
  backbone = register_module("backbone", Backbone(options_.backbone, options_.fpn_channels));
  head = register_module("head", RetinaHead(options_.fpn_channels, 9, options_.num_classes,
                                            options_.head_convs, options_.prior_probability));
  // Not buffers: torchvision's state_dict has no such keys; moved lazily in forward().
  mean_ = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
  std_ = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
}

RawOutputs RetinaNetImpl::forward(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3,
              "RetinaNet expects images [N, 3, H, W], got ", images.sizes());
  if (mean_.device() != images.device() || mean_.dtype() != images.dtype()) {
    mean_ = mean_.to(images.device(), images.scalar_type());
    std_ = std_.to(images.device(), images.scalar_type());
  }
  auto x = (images - mean_) / std_;
  auto feats = backbone->forward(x);
  RawOutputs out;
  out.head = head->forward(feats);
  for (const auto& f : feats) out.level_sizes.push_back(f.size(2) * f.size(3) * 9);
  out.anchors = anchors_for(images, feats);
  return out;
}

torch::Tensor RetinaNetImpl::anchors_for(const torch::Tensor& images,
                                         const std::vector<torch::Tensor>& feats) {
  std::vector<int64_t> key = {images.size(2), images.size(3),
                              static_cast<int64_t>(images.device().type()),
                              images.device().index()};
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (const auto& f : feats) {
    sizes.emplace_back(f.size(2), f.size(3));
    key.push_back(f.size(2));
    key.push_back(f.size(3));
  }
  if (key != cached_key_ || !cached_anchors_.defined()) {
    cached_anchors_ = grid_anchors(images.size(2), images.size(3), sizes, images.device());
    cached_key_ = key;
  }
  return cached_anchors_;
}

}  // namespace trellis::vision
