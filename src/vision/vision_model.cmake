# RetinaNet, training, checkpoints, the Detector facade, trellis-train and trellis-predict.
# Included by src/vision/CMakeLists.txt. Torch appears only in the few .cpp files that need it.
find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)

# Torch-free pieces (safetensors, config JSON) are usable by the engine without LibTorch.
trellis_add_library(trellis_vision_formats
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/safetensors.cpp
          ${CMAKE_CURRENT_LIST_DIR}/train_config.cpp
  DEPS trellis_core nlohmann_json::nlohmann_json)

trellis_add_library(trellis_vision_model
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/retinanet.cpp
          ${CMAKE_CURRENT_LIST_DIR}/detection_ops.cpp
  DEPS trellis_vision_formats trellis_core
  PRIVATE_DEPS ${TORCH_LIBRARIES} ${OpenCV_LIBS})
target_include_directories(trellis_vision_model SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS} ${OpenCV_INCLUDE_DIRS})
