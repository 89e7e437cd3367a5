// Hostile and damaged checkpoints (issue 10, item 2): every metadata field is validated before
// a model is built, so absurd values are a Status naming the field, never an abort or a huge
// allocation.
#include "trellis/vision/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "trellis/vision/detector.h"
#include "vision/model_io.h"

namespace trellis::vision {
namespace {

using nlohmann::json;

// An untrained resnet18 RetinaNet for 2 classes at 64 px, as checkpoint bytes.
const std::string& small_checkpoint() {
  static const std::string bytes = [] {
    torch::manual_seed(0);
    Checkpoint ckpt;
    ckpt.config.backbone = "resnet18";
    ckpt.config.image_size = 64;
    ckpt.config.num_classes = 2;
    ckpt.categories = {{1, "leaf"}, {7, "spot"}};
    RetinaNet model(model_options(ckpt.config, 2));
    export_model(model, ckpt.tensors);
    return encode_checkpoint(ckpt).value();
  }();
  return bytes;
}

// The small checkpoint with one metadata entry edited: `edit` gets the safetensors container.
std::string edited(const std::function<void(SafeTensors&)>& edit) {
  SafeTensors st = decode_safetensors(small_checkpoint()).value();
  edit(st);
  return encode_safetensors(st).value();
}

std::string with_config(const std::string& key, const json& value) {
  return edited([&](SafeTensors& st) {
    json config = json::parse(st.metadata.at("config"));
    config[key] = value;
    st.metadata["config"] = config.dump();
  });
}

struct Hostile {
  const char* what;  // also a text the error must contain
  std::string bytes;
};

// Metadata a hand-edited or hostile file might carry; each must be refused by name.
std::vector<Hostile> hostile_metadata() {
  return {
      {"num_classes", with_config("num_classes", 1e9)},
      {"num_classes", with_config("num_classes", 1000000000)},
      {"num_classes", with_config("num_classes", -5)},
      {"num_classes", with_config("num_classes", 1e300)},
      {"image_size", with_config("image_size", 1073741824)},
      {"image_size", with_config("image_size", -64)},
      {"backbone", with_config("backbone", "resnet9000")},
      {"topk_candidates", with_config("topk_candidates", 2000000000)},
      {"detections_per_img", with_config("detections_per_img", 0)},
      {"score_thresh", with_config("score_thresh", 1e39)},
      {"category id", edited([](SafeTensors& st) {
         st.metadata["categories"] = R"([{"id": 1, "name": "a"}, {"id": 1, "name": "b"}])";
       })},
      {"category id", edited([](SafeTensors& st) {
         st.metadata["categories"] = R"([{"id": 4294967297, "name": "a"}])";
       })},
      {"num_classes 2 < 3 categories", edited([](SafeTensors& st) {
         st.metadata["categories"] =
             R"([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}])";
       })},
      {"epoch", edited([](SafeTensors& st) { st.metadata["epoch"] = "-1"; })},
      {"epoch", edited([](SafeTensors& st) { st.metadata["epoch"] = "3 days"; })},
      {"dtype I8", edited([](SafeTensors& st) {
         st.tensors["backbone.body.bn1.num_batches_tracked"] = {"I8", {}, std::string(1, '\0')};
       })},
  };
}

TEST(Checkpoint, TheTestCheckpointItselfLoads) {
  auto det = Detector::load(small_checkpoint());
  ASSERT_TRUE(det.ok()) << det.status().to_string();
  EXPECT_EQ((*det)->image_size(), 64);
}

TEST(Checkpoint, AbsurdMetadataIsCorruptNamingTheField) {
  for (const Hostile& h : hostile_metadata()) {
    auto ckpt = decode_checkpoint(h.bytes);
    ASSERT_FALSE(ckpt.ok()) << h.what << " was accepted";
    EXPECT_EQ(ckpt.status().code(), Code::kCorrupt) << h.what;
    EXPECT_NE(ckpt.status().message().find(h.what), std::string::npos)
        << h.what << ": " << ckpt.status().to_string();
  }
}

TEST(Detector, LoadingAHostileCheckpointIsAnErrorNotACrash) {
  for (const Hostile& h : hostile_metadata()) {
    auto det = Detector::load(h.bytes);
    ASSERT_FALSE(det.ok()) << h.what << " was loaded";
    EXPECT_NE(det.status().message().find(h.what), std::string::npos)
        << h.what << ": " << det.status().to_string();
  }
}

TEST(Detector, HeadShapesAreCheckedAgainstTheMetadataBeforeTheModelIsBuilt) {
  // Within the limits, but the file holds a 2-class head: refused before 20000 classes'
  // worth of head (1.6 GB) is allocated, and the message says which field disagrees.
  auto det = Detector::load(with_config("num_classes", 20000));
  ASSERT_FALSE(det.ok());
  EXPECT_EQ(det.status().code(), Code::kCorrupt);
  EXPECT_NE(det.status().message().find("cls_logits.weight"), std::string::npos)
      << det.status().to_string();
  EXPECT_NE(det.status().message().find("num_classes 20000"), std::string::npos)
      << det.status().to_string();
}

TEST(Detector, AWeightOfTheWrongShapeOrAMissingOneNamesTheTensor) {
  auto wrong = edited([](SafeTensors& st) {
    st.tensors["backbone.body.conv1.weight"] = {"F32", {2}, std::string(8, '\0')};
  });
  auto det = Detector::load(wrong);
  ASSERT_FALSE(det.ok());
  EXPECT_NE(det.status().message().find("backbone.body.conv1.weight"), std::string::npos)
      << det.status().to_string();
  auto missing =
      edited([](SafeTensors& st) { st.tensors.erase("backbone.fpn.layer_blocks.0.0.bias"); });
  det = Detector::load(missing);
  ASSERT_FALSE(det.ok());
  EXPECT_NE(det.status().message().find("backbone.fpn.layer_blocks.0.0.bias"), std::string::npos)
      << det.status().to_string();
}

// A safetensors file with `header` as its JSON header and no tensor data.
std::string safetensors_with_header(std::string header) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header;
}

TEST(Safetensors, ShapesWhoseByteCountOverflowsAreCorruptNotEmpty) {
  // 2^32 x 2^32 x 4 bytes wrapped to 0 and matched empty data_offsets.
  for (const char* shape : {"[4294967296, 4294967296]", "[4611686018427387904, 4]"}) {
    auto st = decode_safetensors(
        safetensors_with_header(std::string(R"({"a": {"dtype": "F32", "shape": )") + shape +
                                R"(, "data_offsets": [0, 0]}})"));
    ASSERT_FALSE(st.ok()) << shape << " was accepted";
    EXPECT_EQ(st.status().code(), Code::kCorrupt);
  }
  EXPECT_TRUE(
      decode_safetensors(
          safetensors_with_header(
              R"({"a": {"dtype": "F32", "shape": [0, 4294967296], "data_offsets": [0, 0]}})"))
          .ok());
}

TEST(Safetensors, HeaderNumbersMustBeNonNegativeIntegersAndNamesNonEmpty) {
  for (const char* header : {
           R"({"a": {"dtype": "F32", "shape": [1e300], "data_offsets": [0, 0]}})",
           R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}})",
           R"({"a": {"dtype": "F32", "shape": [0], "data_offsets": [0.5, 0]}})",
           // Decoded, but encode_safetensors refused to write it back.
           R"({"": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})",
           R"({"__metadata__": ["x"]})",
       }) {
    auto st = decode_safetensors(safetensors_with_header(header));
    ASSERT_FALSE(st.ok()) << header << " was accepted";
  }
}

// A symlink planted where the old writer put its temp file (<path>.tmp) made saving a checkpoint
// overwrite the link's target.
TEST(Safetensors, WritingNeverFollowsASymlinkPlantedAtATempName) {
  const std::string dir = ::testing::TempDir() + "trellis-symlink-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string victim = dir + "/victim", path = dir + "/model.safetensors";
  { std::ofstream(victim) << "precious"; }
  std::filesystem::create_symlink(victim, path + ".tmp");
  ASSERT_TRUE(write_file_atomic(path, "checkpoint bytes").ok());
  std::ifstream in(victim);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "precious");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trellis::vision
