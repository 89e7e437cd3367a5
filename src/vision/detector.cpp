// Detector facade: checkpoint -> eval-mode RetinaNet (BN folded, channels-last), letterbox,
// batched forward, decode, boxes mapped back to source pixels.
#include "trellis/vision/detector.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "trellis/vision/checkpoint.h"
#include "vision/model_io.h"
#include "vision/retinanet.h"
#include "vision/simple_coco.h"

namespace trellis::vision {

struct Detector::Impl {
  Checkpoint ckpt;  // tensors dropped after loading
  RetinaNet model{nullptr};
  torch::Device device{torch::kCPU};
  bool channels_last = true;
};

Detector::Detector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Detector::~Detector() = default;

Result<std::unique_ptr<Detector>> Detector::load(std::string_view bytes,
                                                 const DetectorOptions& options) {
  // decode_checkpoint() validates every metadata field; the head's shapes are checked against
  // them before the model is allocated; whatever LibTorch still throws becomes a Status.
  auto ckpt = decode_checkpoint(bytes);
  if (!ckpt.ok()) return ckpt.status();
  auto impl = std::make_unique<Impl>();
  impl->ckpt = std::move(*ckpt);
  try {
    impl->device = torch::Device(options.device);
  } catch (const std::exception& e) {
    return invalid_argument("device '" + options.device + "': " + e.what());
  }
  if (impl->device.is_cuda() && !torch::cuda::is_available()) {
    return invalid_argument("device " + options.device + ": CUDA is not available");
  }
  if (options.num_threads > 0) at::set_num_threads(options.num_threads);
  const auto model_opts = model_options(impl->ckpt.config, checkpoint_num_classes(impl->ckpt));
  if (auto s = check_head_tensors(impl->ckpt.tensors, model_opts); !s.ok()) {
    return corrupt("checkpoint: " + s.message());
  }
  try {
    auto model = make_retinanet(model_opts);
    if (!model.ok()) return corrupt("checkpoint: " + model.status().message());
    impl->model = std::move(model).value();
    auto s = import_model(impl->ckpt.tensors, impl->model);
    if (!s.ok()) return corrupt("checkpoint: " + s.message());
    impl->ckpt.tensors.clear();
    impl->model->eval();
    impl->model->to(impl->device);
    if (options.fuse_batchnorm) fuse_batchnorm_for_inference(impl->model);
    impl->channels_last = options.channels_last;
    if (options.channels_last) {
      torch::NoGradGuard no_grad;
      for (auto& p : impl->model->parameters()) {
        if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
      }
    }
  } catch (const std::exception& e) {
    return internal_error(std::string("cannot load the model: ") + e.what());
  }
  return std::unique_ptr<Detector>(new Detector(std::move(impl)));
}

Result<std::unique_ptr<Detector>> Detector::load_file(const std::string& path,
                                                      const DetectorOptions& options) {
  auto bytes = read_file_bytes(path);
  if (!bytes.ok()) return bytes.status();
  auto d = load(*bytes, options);
  if (!d.ok()) return d.status().with_context(path);
  return d;
}

std::vector<std::vector<Detection>> Detector::detect(const std::vector<ImageView>& images,
                                                     const DetectOptions& options) {
  if (images.empty()) return {};
  const int size = impl_->ckpt.config.image_size;
  std::vector<cv::Mat> rgb;
  std::vector<Letterboxed> boxes_info;
  for (const auto& v : images) {
    if (!v.data || v.width <= 0 || v.height <= 0) {
      throw std::invalid_argument("Detector::detect: empty image view");
    }
    const size_t stride = v.stride > 0 ? static_cast<size_t>(v.stride) : static_cast<size_t>(v.width) * 3;
    cv::Mat view(v.height, v.width, CV_8UC3, const_cast<uint8_t*>(v.data), stride);
    cv::Mat bgr = view;
    if (!v.is_bgr) cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
    auto lb = letterbox(bgr, size);
    rgb.push_back(lb.rgb);
    boxes_info.push_back(lb);
  }
  torch::NoGradGuard no_grad;
  auto& opts = impl_->model->mutable_options();
  opts.score_thresh = options.score_threshold;
  opts.nms_thresh = options.nms_iou;
  opts.detections_per_img = options.max_detections;
  opts.topk_candidates = options.topk_candidates;
  auto x = rgb_to_tensor(rgb, impl_->device, impl_->channels_last);
  auto out = impl_->model->forward(x);
  std::vector<ImageSize> sizes;
  for (const auto& lb : boxes_info) sizes.push_back({lb.valid_height, lb.valid_width});
  auto raw = impl_->model->decode(out, sizes);
  std::vector<std::vector<Detection>> result(images.size());
  const auto& cats = impl_->ckpt.categories;
  for (size_t i = 0; i < images.size(); ++i) {
    auto b = raw[i].boxes.to(torch::kCPU).contiguous();
    auto s = raw[i].scores.to(torch::kCPU).contiguous();
    auto l = raw[i].labels.to(torch::kCPU).contiguous();
    const float inv = 1.0f / boxes_info[i].scale;
    const float w = static_cast<float>(images[i].width), h = static_cast<float>(images[i].height);
    const float* bp = b.data_ptr<float>();
    for (int64_t j = 0; j < b.size(0); ++j) {
      const int64_t label = l[j].item<int64_t>();
      Detection d;
      d.box = {std::min(bp[4 * j] * inv, w), std::min(bp[4 * j + 1] * inv, h),
               std::min(bp[4 * j + 2] * inv, w), std::min(bp[4 * j + 3] * inv, h)};
      d.score = s[j].item<float>();
      d.category_id = label < static_cast<int64_t>(cats.size()) ? cats[label].id : static_cast<int>(label);
      result[i].push_back(d);
    }
  }
  return result;
}

Result<std::vector<Detection>> Detector::detect_encoded(std::string_view image_bytes,
                                                        const DetectOptions& options) {
  cv::Mat buf(1, static_cast<int>(image_bytes.size()), CV_8UC1,
              const_cast<char*>(image_bytes.data()));
  cv::Mat img = cv::imdecode(buf, cv::IMREAD_COLOR);
  if (img.empty()) return invalid_argument("image bytes are not a decodable image");
  ImageView v{img.data, img.cols, img.rows, static_cast<int>(img.step), true};
  return detect({v}, options)[0];
}

const std::vector<Category>& Detector::categories() const { return impl_->ckpt.categories; }

std::string Detector::category_name(int category_id) const {
  for (const auto& c : impl_->ckpt.categories) {
    if (c.id == category_id) return c.name;
  }
  return "";
}

int Detector::image_size() const { return impl_->ckpt.config.image_size; }

std::string Detector::config_json() const { return train_config_to_json(impl_->ckpt.config); }

}  // namespace trellis::vision
