// Private to src/executor: cutting a job's output stream into lines as it
// arrives (pipes for local jobs, a growing file for Slurm jobs).
#pragma once

#include <string>
#include <string_view>

namespace trellis {

class LineSplitter {
 public:
  // Calls emit(line) for every complete line in what has arrived so far; a
  // line keeps its terminator ('\n' or '\r'). A bare '\r' (a progress bar
  // returning to column 0 before redrawing) is not a line of its own.
  template <typename Emit>
  void feed(std::string_view data, Emit&& emit) {
    size_t start = 0;
    for (size_t i = 0; i < data.size(); ++i) {
      if (data[i] != '\n' && data[i] != '\r') continue;
      partial_.append(data.substr(start, i + 1 - start));
      if (partial_ != "\r") emit(std::move(partial_));
      partial_.clear();
      start = i + 1;
    }
    partial_.append(data.substr(start));
  }
  // The stream ended: a last line without terminator gets one.
  template <typename Emit>
  void finish(Emit&& emit) {
    if (!partial_.empty()) emit(std::move(partial_) + "\n");
    partial_.clear();
  }

 private:
  std::string partial_;
};

}  // namespace trellis
