// Checkpoint <-> safetensors bytes (docs/formats/checkpoint.md). No LibTorch here.
#include "trellis/vision/checkpoint.h"

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "trellis/core/json.h"

namespace trellis::vision {

using json = nlohmann::json;

int checkpoint_num_classes(const Checkpoint& ckpt) {
  return ckpt.config.num_classes > 0 ? ckpt.config.num_classes
                                     : static_cast<int>(ckpt.categories.size());
}

Status validate_checkpoint(const Checkpoint& ckpt) {
  if (Status s = validate(ckpt.config); !s.ok())
    return corrupt("checkpoint: config: " + s.message());
  if (ckpt.categories.size() > static_cast<size_t>(kMaxNumClasses)) {
    return corrupt("checkpoint: " + std::to_string(ckpt.categories.size()) +
                   " categories, more than " + std::to_string(kMaxNumClasses));
  }
  const int num_classes = checkpoint_num_classes(ckpt);
  if (num_classes < 1) return corrupt("checkpoint: no categories and num_classes 0");
  if (num_classes < static_cast<int>(ckpt.categories.size())) {
    return corrupt("checkpoint: num_classes " + std::to_string(num_classes) + " < " +
                   std::to_string(ckpt.categories.size()) + " categories");
  }
  std::set<int> ids;
  for (const auto& c : ckpt.categories) {
    if (!ids.insert(c.id).second) {
      return corrupt("checkpoint: category id " + std::to_string(c.id) + " repeated");
    }
  }
  if (ckpt.epoch < 0) return corrupt("checkpoint: epoch " + std::to_string(ckpt.epoch) + " < 0");
  for (const auto& [name, t] : ckpt.tensors) {
    static const std::set<std::string, std::less<>> kModelDtypes = {"F32", "F64", "F16", "BF16",
                                                                    "I64", "I32", "U8",  "BOOL"};
    if (!kModelDtypes.contains(t.dtype)) {
      return corrupt("checkpoint: tensor '" + name + "' has dtype " + t.dtype +
                     ", which no model tensor has");
    }
  }
  return {};
}

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
    const json cats = json::parse(*get("categories"));
    if (!cats.is_array()) return corrupt("checkpoint: metadata 'categories' is not an array");
    for (const auto& c : cats) {
      const auto id = json_integer(c.at("id"), std::numeric_limits<int>::min(),
                                   std::numeric_limits<int>::max());
      if (!id) return corrupt("checkpoint: category id " + c.at("id").dump() + " is not an int");
      ckpt.categories.push_back({static_cast<int>(*id), c.at("name").get<std::string>()});
    }
  } catch (const std::exception& e) {
    return corrupt(std::string("checkpoint: bad categories: ") + e.what());
  }
  const std::string& epoch = *get("epoch");
  const auto [end, ec] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), ckpt.epoch);
  if (ec != std::errc() || end != epoch.data() + epoch.size()) {
    return corrupt("checkpoint: metadata 'epoch' is not an integer: '" + epoch + "'");
  }
  if (const std::string* s = get("trainer_state")) ckpt.trainer_state = *s;
  ckpt.tensors = std::move(st->tensors);
  TRELLIS_RETURN_IF_ERROR(validate_checkpoint(ckpt));
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
