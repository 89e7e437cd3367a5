# Vision I (issue 3): evaluation, datasets, augmentation, drawing, loader, trellis-data.
# Owned by the vision-data work; included from src/vision/CMakeLists.txt.

# COCO evaluation: plain C++, no OpenCV, no LibTorch.
trellis_add_library(trellis_vision_eval
  SOURCES coco_eval.cpp coco_eval_io.cpp
  DEPS trellis_core
  PRIVATE_DEPS nlohmann_json::nlohmann_json fmt::fmt)

trellis_add_test(trellis_vision_eval_tests LABEL unit
  SOURCES coco_eval_test.cpp coco_eval_reference_test.cpp
  DEPS trellis_vision_eval nlohmann_json::nlohmann_json)
if(TARGET trellis_vision_eval_tests)
  target_compile_definitions(trellis_vision_eval_tests PRIVATE
    TRELLIS_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
endif()

# Datasets (COCO / VOC / YOLO), validation, stats/split; OpenCV for image headers
# and decoding, expat for VOC XML.
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
find_package(EXPAT REQUIRED)
trellis_add_library(trellis_vision_data
  SOURCES coco_dataset.cpp voc_dataset.cpp yolo_dataset.cpp validate.cpp dataset_tools.cpp
          augment.cpp draw.cpp
  DEPS trellis_core trellis_vision_eval opencv_core opencv_imgproc opencv_imgcodecs
  PRIVATE_DEPS nlohmann_json::nlohmann_json fmt::fmt EXPAT::EXPAT)
# augment.h and draw.h expose cv::Mat, so OpenCV's headers are public (and SYSTEM).
target_include_directories(trellis_vision_data SYSTEM PUBLIC ${OpenCV_INCLUDE_DIRS})

trellis_add_test(trellis_vision_data_tests LABEL unit
  SOURCES dataset_io_test.cpp augment_test.cpp
  DEPS trellis_vision_data)
if(TARGET trellis_vision_data_tests)
  target_include_directories(trellis_vision_data_tests SYSTEM PRIVATE ${OpenCV_INCLUDE_DIRS})
  target_compile_definitions(trellis_vision_data_tests PRIVATE
    TRELLIS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

# trellis-data: `trellis data ...` runs it (DESIGN.md: git-style external subcommands).
add_executable(trellis-data tools/trellis_data.cpp)
target_link_libraries(trellis-data PRIVATE trellis_vision_data trellis_vision_eval CLI11::CLI11
                                           fmt::fmt)
trellis_warnings(trellis-data)
set_target_properties(trellis-data PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
if(TRELLIS_BUILD_TESTS)
  set(_vectors ${PROJECT_SOURCE_DIR}/tests/data/eval-vectors)
  add_test(NAME trellis_data_eval_cli
           COMMAND trellis-data eval --gt ${_vectors}/tiny/gt.json --dt ${_vectors}/tiny/dt.json)
  set_tests_properties(trellis_data_eval_cli PROPERTIES LABELS integration
    PASS_REGULAR_EXPRESSION "Average Precision  \\(AP\\) @\\[ IoU=0.50:0.95 \\| area=   all \\| maxDets=100 \\] = 0.526")
  add_test(NAME trellis_data_check_cli
           COMMAND trellis-data check ${PROJECT_SOURCE_DIR}/data/plantdoc-mini/train.json --decode)
  set_tests_properties(trellis_data_check_cli PROPERTIES LABELS integration)
endif()

# Fuzz targets (TRELLIS_FUZZ=ON, scripts/fuzz.sh): the readers without LibTorch.
trellis_add_fuzzer(coco_reader SOURCES coco_reader_fuzz.cpp LIBS trellis_vision_data)
trellis_add_fuzzer(voc_reader SOURCES voc_reader_fuzz.cpp LIBS trellis_vision_data)
trellis_add_fuzzer(yolo_reader SOURCES yolo_reader_fuzz.cpp LIBS trellis_vision_data)
trellis_add_fuzzer(coco_results SOURCES coco_results_fuzz.cpp LIBS trellis_vision_eval)

# Threaded loader (no LibTorch) and its tensor adapter (the one LibTorch file here).
trellis_add_library(trellis_vision_loader_core
  SOURCES loader.cpp
  DEPS trellis_vision_data Threads::Threads
  PRIVATE_DEPS fmt::fmt)
find_package(Torch REQUIRED)
trellis_add_library(trellis_vision_loader
  SOURCES loader_torch.cpp
  DEPS trellis_vision_loader_core ${TORCH_LIBRARIES})
target_include_directories(trellis_vision_loader SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
trellis_add_test(trellis_vision_loader_tests LABEL unit
  SOURCES loader_test.cpp
  DEPS trellis_vision_loader)
if(TARGET trellis_vision_loader_tests)
  target_compile_definitions(trellis_vision_loader_tests PRIVATE
    TRELLIS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
