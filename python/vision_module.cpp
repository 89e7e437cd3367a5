// trellis._vision: the RetinaNet Detector (trellis/vision/detector.h) for Python, loaded the
// way `trellis serve` loads its model (a checkpoint file, a model folder, an artifact
// pathspec or a registry alias: serve/model_source.h). A separate extension from _core so
// that reading runs never loads LibTorch; `import trellis.vision` does.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "serve/model_source.h"
#include "trellis/vision/detector.h"

namespace py = pybind11;
using namespace trellis;

namespace {

[[noreturn]] void raise(const Status& s) {
  // The same exception types as trellis._core (imported, so `except trellis.NotFound` works).
  py::module_ core = py::module_::import("trellis._core");
  const char* name = "TrellisError";
  PyObject* builtin = nullptr;
  switch (s.code()) {
    case Code::kNotFound:
      name = "NotFound";
      break;
    case Code::kCorrupt:
      name = "Corrupt";
      break;
    case Code::kUnavailable:
      name = "Unavailable";
      break;
    case Code::kInvalidArgument:
      builtin = PyExc_ValueError;
      break;
    default:
      break;
  }
  py::object type = builtin ? py::reinterpret_borrow<py::object>(builtin) : core.attr(name);
  PyErr_SetString(type.ptr(), s.message().c_str());
  throw py::error_already_set();
}

class PyDetector {
 public:
  PyDetector(const std::string& model, const std::string& root, const std::string& datastore,
             const std::string& metadata, const std::string& device, int threads) {
    Result<serve::ModelSpec> spec = serve::parse_model_spec(model);
    if (!spec.ok()) raise(spec.status());
    Result<serve::ModelBytes> bytes = serve::resolve_model(*spec, ClientOptions{root, datastore, metadata});
    if (!bytes.ok()) raise(bytes.status());
    vision::DetectorOptions o;
    o.device = device;
    o.num_threads = threads;
    Result<std::unique_ptr<vision::Detector>> d = [&] {
      py::gil_scoped_release unlocked;  // building the model takes a while
      return vision::Detector::load(bytes->bytes, o);
    }();
    if (!d.ok()) raise(d.status().with_context(bytes->source));
    detector_ = std::move(d).value();
    version_ = bytes->version;
    digest_ = bytes->digest;
    source_ = bytes->source;
  }

  // `image`: HxWx3 uint8, RGB, rows may be strided (a crop), pixels must be packed.
  py::dict detect(py::buffer image, float score_threshold, float nms_iou, int max_detections) {
    py::buffer_info info = image.request();
    if (info.format != py::format_descriptor<uint8_t>::format() || info.ndim != 3 || info.shape[2] != 3) {
      throw py::value_error("detect wants an HxWx3 uint8 RGB array, not shape " + shape_text(info) +
                            " of format '" + info.format + "'");
    }
    if (info.strides[2] != 1 || info.strides[1] != 3 || info.strides[0] < info.shape[1] * 3) {
      throw py::value_error("detect wants the pixels of each row packed (numpy.ascontiguousarray)");
    }
    if (info.shape[0] < 1 || info.shape[1] < 1) throw py::value_error("detect: the image is empty");
    vision::ImageView view{static_cast<const uint8_t*>(info.ptr), static_cast<int>(info.shape[1]),
                           static_cast<int>(info.shape[0]), static_cast<int>(info.strides[0]),
                           /*is_bgr=*/false};
    vision::DetectOptions opts;
    opts.score_threshold = score_threshold;
    opts.nms_iou = nms_iou;
    opts.max_detections = max_detections;
    std::vector<vision::Detection> found;
    {
      // The buffer stays alive (held by `image`); other Python threads run meanwhile.
      py::gil_scoped_release unlocked;
      std::lock_guard<std::mutex> one_at_a_time(mu_);
      found = detector_->detect({view}, opts).front();
    }
    return to_dict(found);
  }

  py::dict detect_encoded(py::bytes data, float score_threshold, float nms_iou, int max_detections) {
    std::string bytes = data;
    vision::DetectOptions opts;
    opts.score_threshold = score_threshold;
    opts.nms_iou = nms_iou;
    opts.max_detections = max_detections;
    Result<std::vector<vision::Detection>> found = [&] {
      py::gil_scoped_release unlocked;
      std::lock_guard<std::mutex> one_at_a_time(mu_);
      return detector_->detect_encoded(bytes, opts);
    }();
    if (!found.ok()) raise(found.status());
    return to_dict(*found);
  }

  py::list categories() const {
    py::list out;
    for (const vision::Category& c : detector_->categories()) out.append(py::make_tuple(c.id, c.name));
    return out;
  }
  int image_size() const { return detector_->image_size(); }
  std::string config_json() const { return detector_->config_json(); }
  const std::string& version() const { return version_; }
  const std::string& digest() const { return digest_; }
  const std::string& source() const { return source_; }

 private:
  static std::string shape_text(const py::buffer_info& info) {
    std::string s = "(";
    for (size_t i = 0; i < info.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(info.shape[i]);
    return s + ")";
  }

  py::dict to_dict(const std::vector<vision::Detection>& found) const {
    const py::ssize_t n = static_cast<py::ssize_t>(found.size());
    py::array_t<float> boxes({n, py::ssize_t{4}});
    py::array_t<float> scores(n);
    py::array_t<int32_t> ids(n);
    auto b = boxes.mutable_unchecked<2>();
    auto s = scores.mutable_unchecked<1>();
    auto c = ids.mutable_unchecked<1>();
    py::list labels;
    for (py::ssize_t i = 0; i < n; ++i) {
      const vision::Detection& d = found[static_cast<size_t>(i)];
      b(i, 0) = d.box.x1;
      b(i, 1) = d.box.y1;
      b(i, 2) = d.box.x2;
      b(i, 3) = d.box.y2;
      s(i) = d.score;
      c(i) = d.category_id;
      labels.append(detector_->category_name(d.category_id));
    }
    py::dict out;
    out["boxes"] = boxes;
    out["scores"] = scores;
    out["category_ids"] = ids;
    out["labels"] = labels;
    return out;
  }

  std::unique_ptr<vision::Detector> detector_;
  std::mutex mu_;  // a Detector is not thread-safe
  std::string version_, digest_, source_;
};

}  // namespace

PYBIND11_MODULE(_vision, m) {
  m.doc() = "Trellis detector internals; use trellis.vision.Detector";
  py::class_<PyDetector>(m, "Detector")
      .def(py::init<const std::string&, const std::string&, const std::string&, const std::string&,
                    const std::string&, int>(),
           py::arg("model"), py::arg("root") = "", py::arg("datastore") = "", py::arg("metadata") = "",
           py::arg("device") = "cpu", py::arg("threads") = 0)
      .def("detect", &PyDetector::detect, py::arg("image"), py::arg("score_threshold"), py::arg("nms_iou"),
           py::arg("max_detections"))
      .def("detect_encoded", &PyDetector::detect_encoded, py::arg("data"), py::arg("score_threshold"),
           py::arg("nms_iou"), py::arg("max_detections"))
      .def_property_readonly("categories", &PyDetector::categories)
      .def_property_readonly("image_size", &PyDetector::image_size)
      .def_property_readonly("config_json", &PyDetector::config_json)
      .def_property_readonly("version", &PyDetector::version)
      .def_property_readonly("digest", &PyDetector::digest)
      .def_property_readonly("source", &PyDetector::source);
}
