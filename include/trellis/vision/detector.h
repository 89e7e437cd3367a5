// Detector: a trained RetinaNet behind plain types, for the model server, flows and
// trellis-predict. Load once from checkpoint bytes, then detect on batches of decoded images or
// on encoded image bytes. Boxes come back in the source image's pixels, with COCO category
// ids and names from the checkpoint. Not thread-safe: one Detector per thread (or a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"
#include "trellis/vision/types.h"

namespace trellis::vision {

struct DetectorOptions {
  std::string device = "cpu";  // cpu | cuda | cuda:N
  int num_threads = 0;         // > 0: at::set_num_threads (process-wide)
  bool fuse_batchnorm = true;  // fold BN into convs (inference only, same outputs up to fp error)
  bool channels_last = false;  // NHWC; measured slower on CPU here, try it on CUDA
};

struct DetectOptions {
  float score_threshold = 0.3f;  // evaluation wants ~0.05, serving higher
  float nms_iou = 0.5f;          // per class, strict > suppression
  int max_detections = 100;      // per image
  int topk_candidates = 1000;    // per feature level, before NMS
};

// A decoded 8-bit, 3-channel image the caller owns for the duration of the call
// (e.g. a cv::Mat: {mat.data, mat.cols, mat.rows, static_cast<int>(mat.step)}).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  int stride = 0;         // bytes per row; 0 means width * 3
  bool is_bgr = true;     // OpenCV order; false: RGB
};

class Detector {
 public:
  // kCorrupt when the bytes are not a valid RetinaNet checkpoint (every metadata field is
  // checked, and the tensors' shapes against it, before the model is built), kInvalidArgument
  // for a bad device, kInternal when LibTorch fails anyway (e.g. out of memory). Never throws.
  static Result<std::unique_ptr<Detector>> load(std::string_view checkpoint_bytes,
                                                const DetectorOptions& options = {});
  // As load(); errors name the path.
  static Result<std::unique_ptr<Detector>> load_file(const std::string& path,
                                                     const DetectorOptions& options = {});
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // One result per image, sorted by decreasing score. Images may differ in size. Throws
  // std::invalid_argument on an empty or malformed view.
  std::vector<std::vector<Detection>> detect(const std::vector<ImageView>& images,
                                             const DetectOptions& options = {});
  // Decodes JPEG/PNG/... bytes first; kInvalidArgument when they are not an image.
  Result<std::vector<Detection>> detect_encoded(std::string_view image_bytes,
                                                const DetectOptions& options = {});

  const std::vector<Category>& categories() const;
  // "" when the id is unknown.
  std::string category_name(int category_id) const;
  int image_size() const;           // letterbox side the model was trained at
  std::string config_json() const;  // the TrainConfig the checkpoint was trained with

 private:
  struct Impl;
  explicit Detector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trellis::vision
