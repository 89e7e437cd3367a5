# bench/vision_model: RetinaNet speed against torchvision (vision_model.py drives both sides)
# and the weights/outputs dump used by vision_model_parity.py.
if(TARGET trellis_vision_model)
  # Imported targets are directory-scoped: find them again here.
  find_package(Torch REQUIRED)
  find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
  add_executable(vision_model_bench ${CMAKE_CURRENT_LIST_DIR}/vision_model.cpp)
  target_link_libraries(vision_model_bench PRIVATE trellis_vision_model CLI11::CLI11)
  # The bench drives the private model API (src/vision/retinanet.h) directly.
  target_include_directories(vision_model_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set_target_properties(vision_model_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  trellis_warnings(vision_model_bench)
endif()

# Parity with torchvision (needs Debian's python3-torchvision; skipped when absent).
if(TARGET vision_model_bench AND TRELLIS_BUILD_TESTS)
  add_test(NAME vision_model_parity
           COMMAND sh -c "/usr/bin/python3 -c 'import torchvision' 2>/dev/null || exit 77; exec /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/vision_model_parity.py $<TARGET_FILE:vision_model_bench>")
  set_tests_properties(vision_model_parity PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
endif()
