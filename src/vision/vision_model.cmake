# RetinaNet, training, checkpoints, the Detector facade, trellis-train and trellis-predict.
# Included by src/vision/CMakeLists.txt. Torch appears only in the few .cpp files that need it.
find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
set(_vm ${CMAKE_CURRENT_LIST_DIR})

# Torch-free pieces (safetensors, checkpoint container, config JSON): the engine can read and
# store checkpoints without linking LibTorch.
trellis_add_library(trellis_vision_formats
  SOURCES ${_vm}/safetensors.cpp ${_vm}/train_config.cpp ${_vm}/checkpoint.cpp
  DEPS trellis_core nlohmann_json::nlohmann_json)

# Fuzz target (TRELLIS_FUZZ=ON): safetensors and checkpoint metadata, without LibTorch.
trellis_add_fuzzer(safetensors SOURCES ${_vm}/safetensors_fuzz.cpp LIBS trellis_vision_formats)

# The model, trainer and Detector facade. simple_coco.cpp: the letterbox the Detector and
# validation share (inference pads right/bottom so boxes map back by one scale).
trellis_add_library(trellis_vision_model
  SOURCES ${_vm}/retinanet.cpp ${_vm}/detection_ops.cpp ${_vm}/model_io.cpp
          ${_vm}/trainer.cpp ${_vm}/detector.cpp ${_vm}/simple_coco.cpp
          ${_vm}/runtime.cpp
  DEPS trellis_vision_formats trellis_vision_eval trellis_vision_loader trellis_core
  PRIVATE_DEPS nlohmann_json::nlohmann_json)
# Torch and OpenCV are linked publicly (static library), their headers marked SYSTEM.
target_link_libraries(trellis_vision_model PUBLIC ${TORCH_LIBRARIES} ${OpenCV_LIBS})
target_include_directories(trellis_vision_model SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS}
                                                              ${OpenCV_INCLUDE_DIRS})

trellis_add_test(trellis_vision_model_tests LABEL unit
  SOURCES ${_vm}/detection_ops_test.cpp ${_vm}/training_test.cpp ${_vm}/checkpoint_test.cpp
  DEPS trellis_vision_model)

add_executable(trellis-train ${_vm}/train_main.cpp)
target_link_libraries(trellis-train PRIVATE trellis_vision_model CLI11::CLI11)
target_include_directories(trellis-train PRIVATE ${PROJECT_SOURCE_DIR}/src)
set_target_properties(trellis-train PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
trellis_warnings(trellis-train)

add_executable(trellis-predict ${_vm}/predict_main.cpp)
target_link_libraries(trellis-predict PRIVATE trellis_vision_model CLI11::CLI11
                                              nlohmann_json::nlohmann_json)
target_include_directories(trellis-predict PRIVATE ${PROJECT_SOURCE_DIR}/src)
set_target_properties(trellis-predict PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
trellis_warnings(trellis-predict)
