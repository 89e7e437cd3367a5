#include "trellis/tracking/tensorboard.h"

#include <cstring>
#include <filesystem>

#include "trellis/core/fs.h"

namespace trellis {
namespace {

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
struct Crc32cTable {
  uint32_t t[256];
  Crc32cTable() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
  }
};

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_tag(std::string& out, int field, int wire) { put_varint(out, (uint64_t(field) << 3) | wire); }

void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}

void put_fixed(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }

std::string event_header(double wall_time, int64_t step) {
  std::string e;
  put_tag(e, 1, 1);  // wall_time: double
  put_fixed(e, &wall_time, 8);
  if (step != 0) {
    put_tag(e, 2, 0);  // step: int64
    put_varint(e, static_cast<uint64_t>(step));
  }
  return e;
}

std::string event_with_value(double wall_time, int64_t step, const std::string& value) {
  std::string summary;
  put_bytes(summary, 1, value);  // Summary.value
  std::string e = event_header(wall_time, step);
  put_bytes(e, 5, summary);  // Event.summary
  return e;
}

std::string safe_name(std::string s) {
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return s;
}

}  // namespace

uint32_t crc32c(std::string_view data) {
  static const Crc32cTable table;
  uint32_t c = 0xffffffffu;
  for (unsigned char b : data) c = table.t[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t masked_crc32c(std::string_view data) {
  const uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfrecord(std::string_view data) {
  std::string out;
  const uint64_t len = data.size();
  char len_bytes[8];
  std::memcpy(len_bytes, &len, 8);  // little-endian on every platform we build for
  out.append(len_bytes, 8);
  const uint32_t len_crc = masked_crc32c(std::string_view(len_bytes, 8));
  put_fixed(out, &len_crc, 4);
  out.append(data);
  const uint32_t data_crc = masked_crc32c(data);
  put_fixed(out, &data_crc, 4);
  return out;
}

std::string event_file_version(double wall_time) {
  std::string e = event_header(wall_time, 0);
  put_bytes(e, 3, "brain.Event:2");
  return e;
}

std::string event_scalar(double wall_time, int64_t step, const std::string& tag, float value) {
  std::string v;
  put_bytes(v, 1, tag);  // Value.tag
  put_tag(v, 2, 5);      // Value.simple_value: float
  put_fixed(v, &value, 4);
  return event_with_value(wall_time, step, v);
}

std::string event_image(double wall_time, int64_t step, const std::string& tag, int width,
                        int height, std::string_view encoded) {
  std::string image;
  put_tag(image, 1, 0);
  put_varint(image, static_cast<uint64_t>(height));
  put_tag(image, 2, 0);
  put_varint(image, static_cast<uint64_t>(width));
  put_tag(image, 3, 0);
  put_varint(image, 3);  // colorspace: RGB
  put_bytes(image, 4, encoded);
  std::string v;
  put_bytes(v, 1, tag);
  put_bytes(v, 4, image);  // Value.image
  return event_with_value(wall_time, step, v);
}

Result<std::vector<std::string>> read_tfrecords(std::string_view file) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < file.size()) {
    if (file.size() - pos < 12) return corrupt("record " + std::to_string(out.size()) + ": truncated header");
    uint64_t len;
    std::memcpy(&len, file.data() + pos, 8);
    uint32_t len_crc;
    std::memcpy(&len_crc, file.data() + pos + 8, 4);
    if (masked_crc32c(file.substr(pos, 8)) != len_crc) {
      return corrupt("record " + std::to_string(out.size()) + ": length CRC mismatch");
    }
    if (file.size() - pos - 12 < len + 4) return corrupt("record " + std::to_string(out.size()) + ": truncated data");
    std::string_view data = file.substr(pos + 12, len);
    uint32_t data_crc;
    std::memcpy(&data_crc, file.data() + pos + 12 + len, 4);
    if (masked_crc32c(data) != data_crc) {
      return corrupt("record " + std::to_string(out.size()) + ": data CRC mismatch");
    }
    out.emplace_back(data);
    pos += 12 + len + 4;
  }
  return out;
}

Result<int> export_tensorboard(Client& client, const RunRecord& run, const std::string& dir) {
  Result<std::vector<TaskRecord>> tasks = client.tasks(run);
  if (!tasks.ok()) return tasks.status();
  int files = 0;
  for (const auto& t : *tasks) {
    Result<std::vector<MetricPoint>> metrics = client.metrics(t);
    if (!metrics.ok()) return metrics.status();
    Result<std::vector<MediaRecord>> media = client.media(t);
    if (!media.ok()) return media.status();
    std::string body = tfrecord(event_file_version(run.created_ms / 1000.0));
    size_t events = 0;
    for (const auto& p : *metrics) {
      const std::string tag = p.step == kSummaryStep ? "summary/" + p.name : p.name;
      body += tfrecord(event_scalar(p.time_ms / 1000.0, std::max<int64_t>(p.step, 0), tag,
                                    static_cast<float>(p.value)));
      ++events;
    }
    for (const auto& m : *media) {
      if (m.kind != "image") continue;
      Result<std::string> bytes = client.blob(m.digest);
      if (!bytes.ok()) return bytes.status();
      body += tfrecord(event_image(m.time_ms / 1000.0, m.step, m.name, m.meta.value("width", 0),
                                   m.meta.value("height", 0), *bytes));
      ++events;
    }
    if (events == 0) continue;
    const std::string folder = dir + "/" + safe_name(t.step) + "-" + std::to_string(t.task_id);
    const std::string path = folder + "/events.out.tfevents." +
                             std::to_string(run.created_ms / 1000) + ".trellis";
    TRELLIS_RETURN_IF_ERROR(atomic_write_file(path, body));
    ++files;
  }
  return files;
}

}  // namespace trellis
