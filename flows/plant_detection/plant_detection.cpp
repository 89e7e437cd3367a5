// PlantDetection: the product's main job. start -> train -> evaluate -> deploy -> end
// trains a RetinaNet on PlantDoc leaf-disease photos (COCO folder: train.json,
// test.json, images/), evaluates it with COCO metrics, logs what a person needs
// to judge it, and promotes it to a registry alias that `trellis serve` serves.
// See docs/plant-detection.md.
#include <opencv2/core/version.hpp>

#include <cstdio>

#include "device.h"
#include "plant_steps.h"

using namespace plant;

int main(int argc, char** argv) {
  Flow flow("PlantDetection");
  flow.set_doc("Train a RetinaNet on PlantDoc leaf photos, evaluate it, deploy it behind an alias.");
  flow.record_library("libtorch", libtorch_version());
  flow.record_library("opencv", CV_VERSION);
  auto data = flow.param<std::string>("data", TRELLIS_DEFAULT_DATA, "COCO folder: train.json, test.json, images/");
  auto backbone = flow.param<std::string>("backbone", "resnet18", "resnet18 | resnet34 | resnet50");
  auto device = flow.param<std::string>("device", "cpu", "cpu | cuda | cuda:N");
  auto alias = flow.param<std::string>("alias", "plant/production", "registry alias to deploy to");
  auto epochs = flow.param<int64_t>("epochs", 4, "training epochs (early stopping may end sooner)");
  auto batch_size = flow.param<int64_t>("batch-size", 8, "images per training step");
  auto image_size = flow.param<int64_t>("image-size", 416, "letterbox side in pixels, a multiple of 32");
  auto seed = flow.param<int64_t>("seed", 0, "random seed");
  auto gallery = flow.param<int64_t>("gallery", 6, "test images in the predictions table");
  auto max_images = flow.param<int64_t>("max-images", 0, "use only the first N train and test images (0: all)");
  auto lr = flow.param<double>("lr", 1e-4, "learning rate (AdamW)");
  auto min_map = flow.param<double>("min-map", 0.0, "quality gate: deploy only at or above this test mAP");
  auto testing = flow.param<bool>("testing", false, "quick mode: one batch, 2 epochs");
  auto augment = flow.param<bool>("augment", true,
                                  "augment training images (scale, crop, flips, rotation, colour)");

  flow.step("start", [&](Task& t) {
        if (*min_map < 0 || *min_map > 1) throw TaskError("--min-map must be in [0, 1]");
        ConfigOptions o{.data = *data, .backbone = *backbone, .device = *device, .epochs = *epochs,
                        .batch_size = *batch_size, .image_size = *image_size, .seed = *seed,
                        .max_images = *max_images, .lr = *lr, .testing = *testing, .augment = *augment};
        t.put(kConfig, check_and_configure(t, o));
      }, "check the data, the device and the parameters; record config and dataset stats")
      .next("train");
  flow.step("train", [](Task& t) {
        train_model(t, t.get(kConfig));
        t.put(Key<std::string>{"model_pathspec"}, t.pathspec() + "/model");
      }, "train with augmentation; a checkpoint every epoch; keep the best as `model`")
      .resources({.cpus = 2, .gpus = 0, .memory_mb = 8192})
      .next("evaluate");
  flow.step("evaluate", [&](Task& t) { evaluate_model(t, t.get(kConfig), *gallery); },
            "COCO metrics on the test split, per-class AP, predictions table, PR curves")
      .next("deploy");
  flow.step("deploy", [&](Task& t) {
        deploy_model(t, t.get(kConfig), *alias, *min_map, t.get(Key<std::string>{"model_pathspec"}));
      }, "promote the model to --alias if it passes --min-map and beats the current one")
      .next("end");
  flow.step("end", [](Task& t) {
    const Json d = t.get(kDeployment);
    std::printf("mAP %.4f  mAP@0.5 %.4f  deployed: %s\n", t.get(kMap), t.get(kMap50),
                d.value("deployed", false) ? "yes" : "no");
    std::printf("report: %s\n", store_report(t).c_str());
  });
  return trellis::main(flow, argc, argv);
}
