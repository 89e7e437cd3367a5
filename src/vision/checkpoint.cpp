// Checkpoint <-> safetensors bytes (docs/formats/checkpoint.md). No LibTorch here.
#include "trellis/vision/checkpoint.h"

#include <nlohmann/json.hpp>

namespace trellis::vision {

using json = nlohmann::json;

Result<std::string> encode_checkpoint(const Checkpoint& ckpt) {
  SafeTensors st;
  st.tensors = ckpt.tensors;
  json cats = json::array();
  for (const auto& c : ckpt.categories) cats.push_back({{"id", c.id}, {"name", c.name}});
  st.metadata = {{"format", kCheckpointFormat},
                 {"config", train_config_to_json(ckpt.config)},
                 {"categories", cats.dump()},
                 {"epoch", std::to_string(ckpt.epoch)},
                 {"trainer_state", ckpt.trainer_state}};
  return encode_safetensors(st);
}

Result<Checkpoint> decode_checkpoint(std::string_view bytes) {
  auto st = decode_safetensors(bytes);
  if (!st.ok()) return st.status();
  const auto& md = st->metadata;
  auto get = [&md](const std::string& key) -> const std::string* {
    auto it = md.find(key);
    return it == md.end() ? nullptr : &it->second;
  };
  const std::string* format = get("format");
  if (!format || *format != kCheckpointFormat) {
    return corrupt(std::string("checkpoint: metadata 'format' is not ") + kCheckpointFormat);
  }
  for (const char* key : {"config", "categories", "epoch"}) {
    if (!get(key)) return corrupt(std::string("checkpoint: metadata lacks '") + key + "'");
  }
  Checkpoint ckpt;
  auto config = train_config_from_json(*get("config"));
  if (!config.ok()) return corrupt("checkpoint: " + config.status().message());
  ckpt.config = *config;
  try {
    for (const auto& c : json::parse(*get("categories"))) {
      ckpt.categories.push_back({c.at("id").get<int>(), c.at("name").get<std::string>()});
    }
    ckpt.epoch = std::stoi(*get("epoch"));
  } catch (const std::exception& e) {
    return corrupt(std::string("checkpoint: bad categories or epoch: ") + e.what());
  }
  if (const std::string* s = get("trainer_state")) ckpt.trainer_state = *s;
  ckpt.tensors = std::move(st->tensors);
  return ckpt;
}

Status save_checkpoint_file(const std::string& path, const Checkpoint& ckpt) {
  auto bytes = encode_checkpoint(ckpt);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

Result<Checkpoint> load_checkpoint_file(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes.ok()) return bytes.status();
  auto ckpt = decode_checkpoint(*bytes);
  if (!ckpt.ok()) return ckpt.status().with_context(path);
  return ckpt;
}

}  // namespace trellis::vision
