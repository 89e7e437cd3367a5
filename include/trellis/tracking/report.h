// The run report: one self-contained HTML page (no CDN, no scripts needed)
// that shows what a run did: its graph with step states and durations,
// parameters, code identity, metric charts (inline SVG), summary values,
// tracked tables and images with boxes, and every task's artifacts.
#pragma once

#include <string>

#include "trellis/client/client.h"

namespace trellis {

// kNotFound etc. from the client when the run's records cannot be read.
Result<std::string> render_run_report(Client& client, const RunRecord& run);

}  // namespace trellis
