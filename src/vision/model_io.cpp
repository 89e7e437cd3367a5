#include "vision/model_io.h"

#include <cstring>
#include <optional>
#include <utility>

namespace trellis::vision {
namespace {

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "F32";
    case torch::kFloat64: return "F64";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: TORCH_CHECK(false, "checkpoint: unsupported dtype ", t);
  }
}

std::optional<torch::ScalarType> find_scalar_type(const std::string& dtype) {
  if (dtype == "F32") return torch::kFloat32;
  if (dtype == "F64") return torch::kFloat64;
  if (dtype == "F16") return torch::kFloat16;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "I64") return torch::kInt64;
  if (dtype == "I32") return torch::kInt32;
  if (dtype == "U8") return torch::kUInt8;
  if (dtype == "BOOL") return torch::kBool;
  return std::nullopt;
}

torch::ScalarType scalar_type(const std::string& dtype) {
  auto t = find_scalar_type(dtype);
  TORCH_CHECK(t.has_value(), "checkpoint: unsupported dtype ", dtype);
  return *t;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The checks tensor_from_bytes() would throw on, plus the shape the destination has, as a Status.
Status check_tensor(const std::string& key, const TensorBytes& b,
                    const std::vector<int64_t>& expected_shape) {
  if (!find_scalar_type(b.dtype)) {
    return invalid_argument("'" + key + "': dtype " + b.dtype + " is not supported");
  }
  if (b.shape != expected_shape) {
    return invalid_argument("'" + key + "': shape " + shape_text(b.shape) + " but the model has " +
                            shape_text(expected_shape));
  }
  return {};
}

// LibTorch keys optimizer state by the parameter's TensorImpl address.
std::string state_key(const torch::Tensor& p) {
  return c10::guts::to_string(p.unsafeGetTensorImpl());
}

std::vector<torch::Tensor> all_params(torch::optim::Optimizer& opt) {
  std::vector<torch::Tensor> ps;
  for (auto& g : opt.param_groups()) {
    for (auto& p : g.params()) ps.push_back(p);
  }
  return ps;
}

}  // namespace

TensorBytes tensor_to_bytes(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).contiguous();
  TensorBytes b;
  b.dtype = dtype_name(c.scalar_type());
  b.shape = c.sizes().vec();
  b.data.assign(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  return b;
}

torch::Tensor tensor_from_bytes(const TensorBytes& b) {
  auto t = torch::empty(b.shape, torch::TensorOptions().dtype(scalar_type(b.dtype)));
  TORCH_CHECK(static_cast<size_t>(t.numel() * t.element_size()) == b.data.size(),
              "checkpoint: tensor byte count mismatch");
  std::memcpy(t.data_ptr(), b.data.data(), b.data.size());
  return t;
}

Status check_head_tensors(const std::map<std::string, TensorBytes>& tensors,
                          const RetinaNetOptions& o) {
  constexpr int64_t kAnchors = 9;  // RetinaNetImpl: 3 scales x 3 aspect ratios
  const int64_t outputs = kAnchors * o.num_classes;
  const std::string base = "head.classification_head.cls_logits.";
  const std::pair<std::string, std::vector<int64_t>> expected[] = {
      {base + "weight", {outputs, o.fpn_channels, 3, 3}}, {base + "bias", {outputs}}};
  for (const auto& [key, shape] : expected) {
    auto it = tensors.find(key);
    if (it == tensors.end()) return invalid_argument("weights lack '" + key + "'");
    Status s = check_tensor(key, it->second, shape);
    if (!s.ok()) {
      return invalid_argument(s.message() + " (num_classes " + std::to_string(o.num_classes) + ")");
    }
  }
  return {};
}

Result<RetinaNet> make_retinanet(const RetinaNetOptions& options) {
  try {
    return RetinaNet(options);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("cannot build the model: ") + e.what());
  }
}

RetinaNetOptions model_options(const TrainConfig& c, int num_classes) {
  RetinaNetOptions o;
  o.backbone = c.backbone;
  o.num_classes = num_classes;
  o.fg_iou = c.fg_iou;
  o.bg_iou = c.bg_iou;
  o.focal_alpha = c.focal_alpha;
  o.focal_gamma = c.focal_gamma;
  o.box_loss = c.box_loss == "giou"        ? BoxLoss::kGiou
               : c.box_loss == "smooth_l1" ? BoxLoss::kSmoothL1
                                           : BoxLoss::kL1;
  o.smooth_l1_beta = c.smooth_l1_beta;
  o.score_thresh = c.score_thresh;
  o.nms_thresh = c.nms_thresh;
  o.topk_candidates = c.topk_candidates;
  o.detections_per_img = c.detections_per_img;
  return o;
}

void export_model(RetinaNet& model, std::map<std::string, TensorBytes>& out) {
  for (const auto& p : model->named_parameters()) out[p.key()] = tensor_to_bytes(p.value());
  for (const auto& b : model->named_buffers()) out[b.key()] = tensor_to_bytes(b.value());
}

Status import_model(const std::map<std::string, TensorBytes>& in, RetinaNet& model,
                    const std::string& prefix) {
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& key, torch::Tensor& dst) -> Status {
    if (!prefix.empty() && key.rfind(prefix, 0) != 0) return {};
    auto it = in.find(key);
    if (it == in.end()) return invalid_argument("weights lack '" + key + "'");
    TRELLIS_RETURN_IF_ERROR(check_tensor(key, it->second, dst.sizes().vec()));
    dst.copy_(tensor_from_bytes(it->second));
    return {};
  };
  for (auto& p : model->named_parameters()) TRELLIS_RETURN_IF_ERROR(copy(p.key(), p.value()));
  for (auto& b : model->named_buffers()) TRELLIS_RETURN_IF_ERROR(copy(b.key(), b.value()));
  return {};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, RetinaNet& model) {
  if (c.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        model->parameters(),
        torch::optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  }
  return std::make_unique<torch::optim::AdamW>(
      model->parameters(), torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay));
}

void export_optimizer(torch::optim::Optimizer& opt, const std::string& kind,
                      std::map<std::string, TensorBytes>& out) {
  auto params = all_params(opt);
  auto& state = opt.state();
  for (size_t i = 0; i < params.size(); ++i) {
    auto it = state.find(state_key(params[i]));
    if (it == state.end()) continue;
    const std::string base = "optimizer." + std::to_string(i) + ".";
    if (kind == "sgd") {
      auto& s = static_cast<torch::optim::SGDParamState&>(*it->second);
      if (s.momentum_buffer().defined()) out[base + "momentum_buffer"] = tensor_to_bytes(s.momentum_buffer());
    } else {
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      out[base + "step"] = tensor_to_bytes(torch::tensor(s.step(), torch::kInt64));
      out[base + "exp_avg"] = tensor_to_bytes(s.exp_avg());
      out[base + "exp_avg_sq"] = tensor_to_bytes(s.exp_avg_sq());
    }
  }
}

Status import_optimizer(const std::map<std::string, TensorBytes>& in, const std::string& kind,
                        torch::optim::Optimizer& opt) {
  auto params = all_params(opt);
  auto& state = opt.state();
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string base = "optimizer." + std::to_string(i) + ".";
    const auto device = params[i].device();
    Status error;
    // A missing entry is an undefined tensor; a malformed one sets `error`.
    auto get = [&](const std::string& name, const std::vector<int64_t>& shape) -> torch::Tensor {
      auto it = in.find(base + name);
      if (it == in.end()) return {};
      error = check_tensor(base + name, it->second, shape);
      if (!error.ok()) return {};
      return tensor_from_bytes(it->second).to(device);
    };
    const std::vector<int64_t> shape = params[i].sizes().vec();
    if (kind == "sgd") {
      auto buf = get("momentum_buffer", shape);
      if (!error.ok()) return error;
      if (!buf.defined()) continue;
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(buf);
      state[state_key(params[i])] = std::move(s);
    } else {
      auto step = get("step", {});
      if (!error.ok()) return error;
      if (!step.defined()) continue;
      auto avg = get("exp_avg", shape);
      if (!error.ok()) return error;
      auto avg_sq = get("exp_avg_sq", shape);
      if (!error.ok()) return error;
      if (!avg.defined() || !avg_sq.defined()) {
        return invalid_argument("optimizer state " + base + "* is incomplete");
      }
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      s->step(step.item<int64_t>());
      s->exp_avg(avg);
      s->exp_avg_sq(avg_sq);
      state[state_key(params[i])] = std::move(s);
    }
  }
  return {};
}

torch::Tensor rgb_to_tensor(const std::vector<cv::Mat>& rgb, torch::Device device,
                            bool channels_last) {
  TORCH_CHECK(!rgb.empty(), "rgb_to_tensor: no images");
  const int h = rgb[0].rows, w = rgb[0].cols;
  auto batch = torch::empty({static_cast<int64_t>(rgb.size()), h, w, 3}, torch::kUInt8);
  for (size_t i = 0; i < rgb.size(); ++i) {
    TORCH_CHECK(rgb[i].type() == CV_8UC3 && rgb[i].rows == h && rgb[i].cols == w,
                "rgb_to_tensor: image ", i, " is not ", w, "x", h, " CV_8UC3");
    cv::Mat dst(h, w, CV_8UC3, batch[static_cast<int64_t>(i)].data_ptr());
    rgb[i].copyTo(dst);
  }
  // NHWC bytes are already channels-last; permute is free and the float conversion keeps it.
  auto x = batch.to(device).permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f);
  return channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x.contiguous();
}

}  // namespace trellis::vision
