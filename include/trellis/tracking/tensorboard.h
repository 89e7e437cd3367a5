// TensorBoard export: scalars and tracked images of a run as TensorBoard event
// files, written from the format's spec (TFRecord framing with masked CRC32C,
// Event/Summary protobufs). One folder per task, so TensorBoard shows tasks as runs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/client/client.h"

namespace trellis {

uint32_t crc32c(std::string_view data);
uint32_t masked_crc32c(std::string_view data);

// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
std::string tfrecord(std::string_view data);

// Event protobufs (tensorflow/core/util/event.proto, summary.proto).
std::string event_file_version(double wall_time);
std::string event_scalar(double wall_time, int64_t step, const std::string& tag, float value);
std::string event_image(double wall_time, int64_t step, const std::string& tag, int width,
                        int height, std::string_view encoded_png_or_jpeg);

// Writes <dir>/<step>-<task>/events.out.tfevents.<time>.trellis for every task
// with scalars or images. Returns the number of files written.
Result<int> export_tensorboard(Client& client, const RunRecord& run, const std::string& dir);

// Splits an event file back into records, checking both CRCs of each
// (kCorrupt naming the record). For tests and tools.
Result<std::vector<std::string>> read_tfrecords(std::string_view file);

}  // namespace trellis
