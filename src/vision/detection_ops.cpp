// Anchors, box coding, matching, losses, decoding and NMS for RetinaNet. Numerics follow
// torchvision 0.14 (AnchorGenerator, BoxCoder, Matcher, sigmoid_focal_loss, nms) so that the
// parity script can compare outputs; deliberate differences are listed in docs/vision.md.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

#include "vision/retinanet.h"

namespace trellis::vision {
namespace {

const double kBoxClip = std::log(1000.0 / 16.0);

}  // namespace

std::vector<std::vector<double>> default_anchor_sizes() {
  std::vector<std::vector<double>> sizes;
  for (double x : {32.0, 64.0, 128.0, 256.0, 512.0}) {
    // Python's int() truncates: 32 * 2^(1/3) = 40.3 -> 40.
    sizes.push_back({x, std::trunc(x * std::pow(2.0, 1.0 / 3.0)),
                     std::trunc(x * std::pow(2.0, 2.0 / 3.0))});
  }
  return sizes;
}

torch::Tensor base_anchors(const std::vector<double>& sizes, const std::vector<double>& ratios) {
  auto scales = torch::tensor(std::vector<float>(sizes.begin(), sizes.end()));
  auto ar = torch::tensor(std::vector<float>(ratios.begin(), ratios.end()));
  auto h_ratios = torch::sqrt(ar);
  auto w_ratios = 1 / h_ratios;
  auto ws = (w_ratios.unsqueeze(1) * scales.unsqueeze(0)).reshape({-1});
  auto hs = (h_ratios.unsqueeze(1) * scales.unsqueeze(0)).reshape({-1});
  return (torch::stack({-ws, -hs, ws, hs}, 1) / 2).round();
}

torch::Tensor grid_anchors(int64_t image_h, int64_t image_w,
                           const std::vector<std::pair<int64_t, int64_t>>& feature_sizes,
                           torch::Device device) {
  const auto sizes = default_anchor_sizes();
  TORCH_CHECK(feature_sizes.size() == sizes.size(), "expected ", sizes.size(),
              " feature levels, got ", feature_sizes.size());
  std::vector<torch::Tensor> all;
  for (size_t level = 0; level < feature_sizes.size(); ++level) {
    const auto [fh, fw] = feature_sizes[level];
    const int64_t stride_h = image_h / fh, stride_w = image_w / fw;
    auto base = base_anchors(sizes[level], {0.5, 1.0, 2.0});
    auto sx = torch::arange(fw, torch::kFloat32) * static_cast<float>(stride_w);
    auto sy = torch::arange(fh, torch::kFloat32) * static_cast<float>(stride_h);
    auto grid = torch::meshgrid({sy, sx}, "ij");
    auto shift_y = grid[0].reshape({-1}), shift_x = grid[1].reshape({-1});
    auto shifts = torch::stack({shift_x, shift_y, shift_x, shift_y}, 1);
    all.push_back((shifts.view({-1, 1, 4}) + base.view({1, -1, 4})).reshape({-1, 4}));
  }
  return torch::cat(all, 0).to(device);
}

torch::Tensor encode_boxes(const torch::Tensor& gt, const torch::Tensor& anchors) {
  auto aw = anchors.select(-1, 2) - anchors.select(-1, 0);
  auto ah = anchors.select(-1, 3) - anchors.select(-1, 1);
  auto ax = anchors.select(-1, 0) + 0.5 * aw;
  auto ay = anchors.select(-1, 1) + 0.5 * ah;
  auto gw = gt.select(-1, 2) - gt.select(-1, 0);
  auto gh = gt.select(-1, 3) - gt.select(-1, 1);
  auto gx = gt.select(-1, 0) + 0.5 * gw;
  auto gy = gt.select(-1, 1) + 0.5 * gh;
  return torch::stack({(gx - ax) / aw, (gy - ay) / ah, torch::log(gw / aw), torch::log(gh / ah)},
                      -1);
}

torch::Tensor decode_boxes(const torch::Tensor& deltas, const torch::Tensor& anchors) {
  auto d = deltas.to(anchors.dtype());
  auto aw = anchors.select(-1, 2) - anchors.select(-1, 0);
  auto ah = anchors.select(-1, 3) - anchors.select(-1, 1);
  auto ax = anchors.select(-1, 0) + 0.5 * aw;
  auto ay = anchors.select(-1, 1) + 0.5 * ah;
  auto dw = d.select(-1, 2).clamp_max(kBoxClip);
  auto dh = d.select(-1, 3).clamp_max(kBoxClip);
  auto cx = d.select(-1, 0) * aw + ax;
  auto cy = d.select(-1, 1) * ah + ay;
  auto half_w = 0.5 * torch::exp(dw) * aw;
  auto half_h = 0.5 * torch::exp(dh) * ah;
  return torch::stack({cx - half_w, cy - half_h, cx + half_w, cy + half_h}, -1);
}

torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b) {
  auto area = [](const torch::Tensor& t) {
    return (t.select(1, 2) - t.select(1, 0)) * (t.select(1, 3) - t.select(1, 1));
  };
  auto lt = torch::max(a.unsqueeze(1).narrow(2, 0, 2), b.unsqueeze(0).narrow(2, 0, 2));
  auto rb = torch::min(a.unsqueeze(1).narrow(2, 2, 2), b.unsqueeze(0).narrow(2, 2, 2));
  auto wh = (rb - lt).clamp_min(0);
  auto inter = wh.select(2, 0) * wh.select(2, 1);
  return inter / (area(a).unsqueeze(1) + area(b).unsqueeze(0) - inter);
}

torch::Tensor match_anchors(const torch::Tensor& iou, float fg_iou, float bg_iou,
                            bool allow_low_quality_matches) {
  const int64_t num_anchors = iou.size(1);
  if (iou.size(0) == 0) {
    return torch::full({num_anchors}, kBackground, iou.options().dtype(torch::kInt64));
  }
  auto [best, matches] = iou.max(0);
  auto all_matches = matches.clone();
  matches.masked_fill_(best < bg_iou, kBackground);
  matches.masked_fill_((best >= bg_iou) & (best < fg_iou), kIgnore);
  if (allow_low_quality_matches) {
    // Every anchor that ties for a gt's best IoU becomes foreground. Unlike torchvision we skip
    // gts whose best IoU is 0 (degenerate boxes), which would otherwise claim every anchor.
    auto best_per_gt = std::get<0>(iou.max(1));
    auto is_best = (iou == best_per_gt.unsqueeze(1)) & (best_per_gt.unsqueeze(1) > 0);
    auto anchors = is_best.any(0).nonzero().select(1, 0);
    if (anchors.numel() > 0) matches.index_put_({anchors}, all_matches.index({anchors}));
  }
  return matches;
}

torch::Tensor sigmoid_focal_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                                 float alpha, float gamma) {
  auto p = torch::sigmoid(logits);
  auto ce = torch::binary_cross_entropy_with_logits(logits, targets, {}, {},
                                                    at::Reduction::None);
  auto p_t = p * targets + (1 - p) * (1 - targets);
  auto loss = ce * torch::pow(1 - p_t, gamma);
  if (alpha >= 0) loss = loss * (alpha * targets + (1 - alpha) * (1 - targets));
  return loss;
}

torch::Tensor giou_loss(const torch::Tensor& pred, const torch::Tensor& gt) {
  const double eps = 1e-7;
  auto x1 = torch::max(pred.select(1, 0), gt.select(1, 0));
  auto y1 = torch::max(pred.select(1, 1), gt.select(1, 1));
  auto x2 = torch::min(pred.select(1, 2), gt.select(1, 2));
  auto y2 = torch::min(pred.select(1, 3), gt.select(1, 3));
  auto inter = (x2 - x1).clamp_min(0) * (y2 - y1).clamp_min(0);
  auto area_p = (pred.select(1, 2) - pred.select(1, 0)) * (pred.select(1, 3) - pred.select(1, 1));
  auto area_g = (gt.select(1, 2) - gt.select(1, 0)) * (gt.select(1, 3) - gt.select(1, 1));
  auto uni = area_p + area_g - inter;
  auto iou = inter / (uni + eps);
  auto cx1 = torch::min(pred.select(1, 0), gt.select(1, 0));
  auto cy1 = torch::min(pred.select(1, 1), gt.select(1, 1));
  auto cx2 = torch::max(pred.select(1, 2), gt.select(1, 2));
  auto cy2 = torch::max(pred.select(1, 3), gt.select(1, 3));
  auto area_c = (cx2 - cx1) * (cy2 - cy1);
  return 1 - (iou - (area_c - uni) / (area_c + eps));
}

torch::Tensor batched_nms(const torch::Tensor& boxes_in, const torch::Tensor& scores_in,
                          const torch::Tensor& classes_in, float iou_thresh) {
  auto boxes = boxes_in.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  auto scores = scores_in.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  auto classes = classes_in.detach().to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t n = boxes.size(0);
  const float* b = boxes.data_ptr<float>();
  const float* s = scores.data_ptr<float>();
  const int64_t* c = classes.data_ptr<int64_t>();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [s](int64_t i, int64_t j) { return s[i] > s[j]; });
  // Sort by class too (stable), so each class's candidates are contiguous and score-ordered;
  // suppression only compares a box with the kept boxes of its own class.
  std::vector<int64_t> by_class = order;
  std::stable_sort(by_class.begin(), by_class.end(),
                   [c](int64_t i, int64_t j) { return c[i] < c[j]; });
  std::vector<char> keep(n, 0);
  std::vector<int64_t> kept;  // kept boxes of the current class
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = by_class[k];
    if (k == 0 || c[by_class[k - 1]] != c[i]) kept.clear();
    const float* bi = b + 4 * i;
    const float area_i = (bi[2] - bi[0]) * (bi[3] - bi[1]);
    bool suppressed = false;
    for (int64_t j : kept) {
      const float* bj = b + 4 * j;
      const float w = std::max(0.0f, std::min(bi[2], bj[2]) - std::max(bi[0], bj[0]));
      const float h = std::max(0.0f, std::min(bi[3], bj[3]) - std::max(bi[1], bj[1]));
      const float inter = w * h;
      const float area_j = (bj[2] - bj[0]) * (bj[3] - bj[1]);
      if (inter / (area_i + area_j - inter) > iou_thresh) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) {
      kept.push_back(i);
      keep[i] = 1;
    }
  }
  std::vector<int64_t> result;
  for (int64_t i : order) {
    if (keep[i]) result.push_back(i);
  }
  return torch::tensor(result, torch::kInt64).to(boxes_in.device());
}

Losses RetinaNetImpl::loss(const RawOutputs& out, const std::vector<Targets>& targets) {
  const auto& logits = out.head.cls_logits;
  const auto& deltas = out.head.box_deltas;
  const int64_t n = logits.size(0), num_classes = logits.size(2);
  TORCH_CHECK(static_cast<int64_t>(targets.size()) == n, "loss: ", n, " images but ",
              targets.size(), " targets");
  const auto& anchors = out.anchors;
  std::vector<torch::Tensor> matched_all, gt_boxes_all, gt_labels_all;
  for (int64_t i = 0; i < n; ++i) {
    const auto& t = targets[i];
    const int64_t g = t.boxes.defined() ? t.boxes.size(0) : 0;
    if (g == 0) {
      matched_all.push_back(torch::full({anchors.size(0)}, kBackground,
                                        anchors.options().dtype(torch::kInt64)));
      gt_boxes_all.push_back(torch::zeros_like(anchors));
      gt_labels_all.push_back(torch::zeros({anchors.size(0)}, matched_all.back().options()));
      continue;
    }
    auto boxes = t.boxes.to(anchors.device(), torch::kFloat32);
    auto labels = t.labels.to(anchors.device(), torch::kInt64);
    auto matched = match_anchors(box_iou(boxes, anchors), options_.fg_iou, options_.bg_iou,
                                 options_.allow_low_quality_matches);
    auto idx = matched.clamp_min(0);
    matched_all.push_back(matched);
    gt_boxes_all.push_back(boxes.index_select(0, idx));
    gt_labels_all.push_back(labels.index_select(0, idx));
  }
  auto matched = torch::stack(matched_all);                 // [N, A]
  auto fg = matched >= 0;                                    // [N, A]
  auto valid = (matched != kIgnore).to(torch::kFloat32);     // [N, A]
  auto num_fg = fg.sum(1).clamp_min(1).to(torch::kFloat32);  // [N]
  auto labels = torch::stack(gt_labels_all);
  auto cls_target = torch::one_hot(labels, num_classes).to(torch::kFloat32) *
                    fg.unsqueeze(2).to(torch::kFloat32);
  auto focal = sigmoid_focal_loss(logits.to(torch::kFloat32), cls_target, options_.focal_alpha,
                                  options_.focal_gamma);
  auto cls_loss = (focal.sum(2) * valid).sum(1) / num_fg;

  auto gt_boxes = torch::stack(gt_boxes_all);  // [N, A, 4]
  torch::Tensor box_loss;
  auto d = deltas.to(torch::kFloat32);
  if (options_.box_loss == BoxLoss::kGiou) {
    auto idx = fg.reshape({-1}).nonzero().select(1, 0);
    auto anc = anchors.unsqueeze(0).expand({n, -1, -1}).reshape({-1, 4}).index_select(0, idx);
    auto pred = decode_boxes(d.reshape({-1, 4}).index_select(0, idx), anc);
    auto per_fg = giou_loss(pred, gt_boxes.reshape({-1, 4}).index_select(0, idx));
    auto image_of = idx.div(anchors.size(0), "floor");
    box_loss = torch::zeros({n}, d.options()).index_add_(0, image_of, per_fg) / num_fg;
  } else {
    // Encoding every anchor (not only fg) keeps this one vectorized op; bg rows are masked.
    auto target = encode_boxes(gt_boxes, anchors.unsqueeze(0));
    auto diff = (d - target).abs();
    if (options_.box_loss == BoxLoss::kSmoothL1) {
      const float beta = options_.smooth_l1_beta;
      diff = torch::where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta);
    }
    // Background anchors may encode a zero box (log 0 = -inf): zero them before summing.
    diff = torch::where(fg.unsqueeze(2), diff, torch::zeros_like(diff));
    box_loss = diff.sum({1, 2}) / num_fg;
  }
  return {cls_loss.mean(), box_loss.mean()};
}

std::vector<RawDetections> RetinaNetImpl::decode(const RawOutputs& out,
                                                 const std::vector<ImageSize>& sizes) {
  const auto& logits = out.head.cls_logits;
  const int64_t n = logits.size(0), num_classes = logits.size(2);
  TORCH_CHECK(static_cast<int64_t>(sizes.size()) == n, "decode: ", n, " images but ",
              sizes.size(), " sizes");
  // Threshold in logit space: sigmoid only for the candidates that pass.
  const double p = options_.score_thresh;
  const float logit_thresh =
      p <= 0 ? -std::numeric_limits<float>::infinity() : static_cast<float>(std::log(p / (1 - p)));
  std::vector<RawDetections> result;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<torch::Tensor> boxes, scores, labels;
    int64_t start = 0;
    for (int64_t level_size : out.level_sizes) {
      auto lg = logits[i].narrow(0, start, level_size).reshape({-1});
      auto cand = (lg > logit_thresh).nonzero().select(1, 0);
      auto cand_logits = lg.index_select(0, cand);
      const int64_t k = std::min<int64_t>(options_.topk_candidates, cand.size(0));
      auto [top_logits, top] = cand_logits.topk(k);
      auto flat = cand.index_select(0, top);
      auto anchor_idx = flat.div(num_classes, "floor");
      auto lvl_deltas = out.head.box_deltas[i].narrow(0, start, level_size).index_select(0, anchor_idx);
      auto lvl_anchors = out.anchors.narrow(0, start, level_size).index_select(0, anchor_idx);
      auto b = decode_boxes(lvl_deltas, lvl_anchors);
      const double w = static_cast<double>(sizes[i].width), h = static_cast<double>(sizes[i].height);
      b = torch::stack({b.select(1, 0).clamp(0, w), b.select(1, 1).clamp(0, h),
                        b.select(1, 2).clamp(0, w), b.select(1, 3).clamp(0, h)},
                       1);
      boxes.push_back(b);
      scores.push_back(torch::sigmoid(top_logits.to(torch::kFloat32)));
      labels.push_back(flat.remainder(num_classes));
      start += level_size;
    }
    auto all_boxes = torch::cat(boxes), all_scores = torch::cat(scores);
    auto all_labels = torch::cat(labels);
    auto keep = batched_nms(all_boxes, all_scores, all_labels, options_.nms_thresh);
    keep = keep.narrow(0, 0, std::min<int64_t>(keep.size(0), options_.detections_per_img));
    result.push_back({all_boxes.index_select(0, keep), all_scores.index_select(0, keep),
                      all_labels.index_select(0, keep)});
  }
  return result;
}

namespace {

void fold(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn) {
  torch::NoGradGuard no_grad;
  auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  auto w = conv->weight * scale.view({-1, 1, 1, 1});
  auto b = bn->bias - bn->running_mean * scale;
  conv->weight.set_data(w);
  // A plain member, not a registered parameter (the name is taken by the empty bias): the fused
  // model is for inference only and is never exported or moved afterwards.
  conv->bias = b;
}

template <typename Block>
void fold_block(Block& blk) {
  fold(blk->conv1, blk->bn1);
  fold(blk->conv2, blk->bn2);
  if constexpr (std::is_same_v<Block, Bottleneck>) fold(blk->conv3, blk->bn3);
  if (blk->downsample) {
    torch::nn::Conv2d conv(
        std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(blk->downsample[0]));
    torch::nn::BatchNorm2d bn(
        std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(blk->downsample[1]));
    fold(conv, bn);
  }
}

}  // namespace

void fuse_batchnorm_for_inference(RetinaNet& model) {
  auto& body = model->backbone->body;
  fold(body->conv1, body->bn1);
  for (auto* layer : {&body->layer1, &body->layer2, &body->layer3, &body->layer4}) {
    for (const auto& m : **layer) {
      if (auto basic = std::dynamic_pointer_cast<BasicBlockImpl>(m.ptr())) {
        BasicBlock blk(basic);
        fold_block(blk);
      } else if (auto bottle = std::dynamic_pointer_cast<BottleneckImpl>(m.ptr())) {
        Bottleneck blk(bottle);
        fold_block(blk);
      }
    }
  }
}

}  // namespace trellis::vision
