// tracking: what a step can record for people to look at. A toy "training"
// logs a loss curve per epoch, summaries, an image with boxes and a table
// with image cells; `trellis report` turns them into one HTML page.
#include <cmath>
#include <cstdint>
#include <string>
#include <trellis/trellis.hpp>

#include "tiny_png.h"

using namespace trellis;

const Key<double> kFinalLoss{"final_loss"};

int main(int argc, char** argv) {
  Flow flow("Tracking");
  auto epochs = flow.param<int64_t>("epochs", 20, "toy training epochs");
  flow.step("start", [](Task&) {}).next("train");
  flow.step("train", [&](Task& t) {
    double loss = 0;
    for (int64_t e = 0; e < *epochs; ++e) {
      loss = 2.0 * std::exp(-0.15 * static_cast<double>(e)) + 0.1;
      t.log("loss", loss, e);
      t.log("val_loss", loss * 1.1 + 0.02 * std::sin(static_cast<double>(e)), e);
    }
    t.put(kFinalLoss, loss);
    t.summary("final_loss", loss);
  }, "fit a toy curve, logging every epoch").next("evaluate");
  flow.step("evaluate", [](Task& t) {
    TrackedImage image{examples::gradient_png(160, 120), "png", 160, 120, {}, "a test image"};
    image.boxes = {{20, 20, 90, 80, "Apple leaf", -1, "gt"},
                   {24, 18, 94, 84, "Apple leaf", 0.91f, "pred"},
                   {100, 60, 150, 110, "Apple rust leaf", 0.47f, "pred"}};
    t.log_image("predictions", image);
    TrackedTable table;
    table.columns = {"image", "ground truth", "predicted", "AP@0.5"};
    table.rows.push_back({image, std::string("Apple leaf"), std::string("Apple leaf 0.91"), 0.83});
    t.log_table("qualitative", table);
    t.summary("mAP", 0.412);
    t.summary("mAP@0.5", 0.655);
  }).next("end");
  flow.step("end", [](Task&) {});
  return trellis::main(flow, argc, argv);
}
