// PlantDetectionSweep: the hyper-parameter variant the reference's author
// wanted. start -> (foreach configuration: train_and_evaluate) -> pick -> deploy -> end
// trains every (learning rate x backbone) in parallel, evaluates each on the
// test split, and promotes the best one to the alias.
#include <opencv2/core/version.hpp>

#include <cstdio>
#include <sstream>

#include "device.h"
#include "plant_steps.h"
#include "trellis/vision/runtime.h"

using namespace plant;

namespace {

const Key<Json> kConfigs{"configs"};
const Key<std::string> kModelPathspec{"model_pathspec"};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Flow flow("PlantDetectionSweep");
  flow.set_doc("Train several configurations in parallel, evaluate each, deploy the best.");
  flow.record_library("libtorch", libtorch_version());
  flow.record_library("opencv", CV_VERSION);
  auto data = flow.param<std::string>("data", TRELLIS_DEFAULT_DATA, "COCO folder: train.json, test.json, images/");
  auto lrs = flow.param<std::string>("lrs", "1e-4,3e-4", "comma-separated learning rates");
  auto backbones = flow.param<std::string>("backbones", "resnet18", "comma-separated backbones");
  auto device = flow.param<std::string>("device", "cpu", "cpu | cuda | cuda:N");
  auto alias = flow.param<std::string>("alias", "plant/production", "registry alias to deploy to");
  auto epochs = flow.param<int64_t>("epochs", 4, "training epochs per configuration");
  auto batch_size = flow.param<int64_t>("batch-size", 8, "images per training step");
  auto image_size = flow.param<int64_t>("image-size", 416, "letterbox side in pixels");
  auto max_images = flow.param<int64_t>("max-images", 0, "use only the first N images (0: all)");
  auto parallel = flow.param<int64_t>("parallel", 2, "configurations trained at once (threads are shared out)");
  auto min_map = flow.param<double>("min-map", 0.0, "quality gate for deploy");
  auto testing = flow.param<bool>("testing", false, "quick mode: one batch, 2 epochs");

  flow.step("start", [&](Task& t) {
        Json configs = Json::array();
        const int cores = tv::intra_op_threads(0);
        const int threads = std::max(1, cores / static_cast<int>(std::max<int64_t>(1, *parallel)));
        for (const auto& bb : split_list(*backbones)) {
          for (const auto& lr_text : split_list(*lrs)) {
            ConfigOptions o{.data = *data, .backbone = bb, .device = *device, .epochs = *epochs,
                            .batch_size = *batch_size, .image_size = *image_size,
                            .max_images = *max_images, .num_threads = threads,
                            .lr = std::stod(lr_text), .testing = *testing};
            // The data is checked once; every configuration is validated.
            configs.push_back(configs.empty() ? check_and_configure(t, o)
                                              : run_config(make_train_config(o), configs[0]["data_dir"], o));
          }
        }
        if (configs.empty()) throw TaskError("--lrs and --backbones give no configuration");
        t.put(kConfigs, configs);
        std::printf("%zu configuration(s)\n", configs.size());
      }, "check the data once; one configuration per (backbone, learning rate)")
      .foreach("configs", "train_and_evaluate");
  flow.step("train_and_evaluate", [](Task& t) {
        const Json config = t.input<Json>();
        t.put(kConfig, config);
        train_model(t, config);
        evaluate_model(t, config, 2);
        t.put(kModelPathspec, t.pathspec() + "/model");
      }, "train one configuration and score it on the test split")
      .resources({.cpus = 1, .gpus = 0, .memory_mb = 8192})
      .next("pick");
  flow.join("pick", [](Task& t) {
        const Input* best = nullptr;
        TrackedTable table;
        table.columns = {"backbone", "lr", "mAP", "mAP@0.5", "model"};
        for (const auto& in : t.inputs()) {
          const Json c = in.get(kConfig);
          table.rows.push_back({c.value("backbone", ""), c.value("lr", 0.0), in.get(kMap), in.get(kMap50),
                                in.get(kModelPathspec)});
          if (!best || in.get(kMap) > best->get(kMap)) best = &in;
        }
        t.log_table("sweep", table);
        t.put(kConfig, best->get(kConfig));
        t.put(kMap, best->get(kMap));
        t.put(kMap50, best->get(kMap50));
        t.put(kModelPathspec, best->get(kModelPathspec));
        t.summary("best_map", best->get(kMap));
        std::printf("best: %s (mAP %.4f)\n", best->get(kModelPathspec).c_str(), best->get(kMap));
      }, "keep the configuration with the highest test mAP")
      .next("deploy");
  flow.step("deploy", [&](Task& t) {
        deploy_model(t, t.get(kConfig), *alias, *min_map, t.get(kModelPathspec));
      }, "promote the best model to --alias if it passes --min-map and beats the current one")
      .next("end");
  flow.step("end", [](Task& t) {
    std::printf("best mAP %.4f, deployed: %s\n", t.get(kMap),
                t.get(kDeployment).value("deployed", false) ? "yes" : "no");
    std::printf("report: %s\n", store_report(t).c_str());
  });
  return trellis::main(flow, argc, argv);
}
