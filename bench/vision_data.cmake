# Vision I benchmarks (issue 3). Results: bench/RESULTS.md, section "Vision I".
if(TARGET trellis_vision_eval)
  add_executable(vision_eval vision_eval.cpp)
  target_link_libraries(vision_eval PRIVATE trellis_vision_eval nlohmann_json::nlohmann_json fmt::fmt)
  trellis_warnings(vision_eval)
  set_target_properties(vision_eval PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
if(TARGET trellis_vision_loader)
  # Imported targets are folder-scoped: find them here too.
  find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
  find_package(Torch REQUIRED)
  add_executable(vision_loader vision_loader.cpp)
  target_link_libraries(vision_loader PRIVATE trellis_vision_loader nlohmann_json::nlohmann_json
                                              fmt::fmt)
  target_compile_definitions(vision_loader PRIVATE TRELLIS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  trellis_warnings(vision_loader)
  set_target_properties(vision_loader PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
