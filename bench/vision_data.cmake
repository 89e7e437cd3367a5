# Vision I benchmarks (issue 3). Results: bench/RESULTS.md, section "Vision I".
if(TARGET trellis_vision_eval)
  add_executable(vision_eval vision_eval.cpp)
  target_link_libraries(vision_eval PRIVATE trellis_vision_eval nlohmann_json::nlohmann_json fmt::fmt)
  trellis_warnings(vision_eval)
  set_target_properties(vision_eval PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
