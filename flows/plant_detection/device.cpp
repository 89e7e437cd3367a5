// The only LibTorch include of the plant-detection flow: is a device usable?
#include "device.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include "trellis/vision/runtime.h"

namespace plant {

std::string check_device(const std::string& device) {
  if (device == "cpu") return "";
  if (device.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      return "--device " + device + " but no CUDA device is available here (LibTorch " +
             "sees none); use --device cpu or run the train step on a GPU node";
    }
    const std::string index = device.size() > 5 ? device.substr(5) : "0";
    if (std::stoi(index) >= static_cast<int>(torch::cuda::device_count())) {
      return "--device " + device + ": only " + std::to_string(torch::cuda::device_count()) +
             " CUDA device(s)";
    }
    return "";
  }
  return "--device must be cpu, cuda or cuda:N, got '" + device + "'";
}

std::string libtorch_version() { return TORCH_VERSION; }

}  // namespace plant
