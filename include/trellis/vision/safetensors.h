// The safetensors container (https://github.com/huggingface/safetensors), written from its
// spec and free of LibTorch so that the engine and Python can read checkpoints: 8-byte
// little-endian header length N, N bytes of JSON {"name": {"dtype", "shape",
// "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the raw tensor bytes.
// Layout details and our conventions are in docs/formats/checkpoint.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/core/status.h"

namespace trellis::vision {

// One tensor: dtype as safetensors spells it ("F32", "F16", "BF16", "I64", "I32", "U8",
// "BOOL", ...), row-major shape, and the little-endian element bytes.
struct TensorBytes {
  std::string dtype;
  std::vector<int64_t> shape;
  std::string data;
};

struct SafeTensors {
  std::map<std::string, TensorBytes> tensors;      // sorted by name, as written
  std::map<std::string, std::string> metadata;     // "__metadata__"
};

// Bytes per element of a safetensors dtype; 0 when unknown.
int64_t dtype_size(std::string_view dtype);

// Serializes to bytes. Tensors are laid out in name order, the header is padded with spaces
// to a multiple of 8 bytes. Fails (kInvalidArgument) when a tensor's byte count does not match
// its dtype and shape, or a name is empty or "__metadata__".
Result<std::string> encode_safetensors(const SafeTensors& st);
// Parses bytes. Fails with kCorrupt naming the reason (short file, bad JSON, offsets out of
// range, overlapping or non-contiguous data, size mismatch with dtype and shape).
Result<SafeTensors> decode_safetensors(std::string_view bytes);

// Byte-file helpers: temp file + rename, so a reader never sees half a file. Errors name the
// path (kNotFound, kIoError).
Status write_file_atomic(const std::string& path, std::string_view bytes);
Result<std::string> read_file_bytes(const std::string& path);

// File helpers: errors name the path (kNotFound, kIoError, kCorrupt).
Status write_safetensors_file(const std::string& path, const SafeTensors& st);
Result<SafeTensors> read_safetensors_file(const std::string& path);

}  // namespace trellis::vision
