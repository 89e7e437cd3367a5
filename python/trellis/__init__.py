"""Trellis from Python: read runs as Metaflow's Client does, start runs, run the detector.

    import trellis
    run = trellis.Flow("PlantDetection").latest_run
    run["train"].task.data.history          # an artifact's value
    run["evaluate"].task["per_class_ap"]    # the artifact: size, codec, digest
    trellis.Runner("build/flows/plant_detection").run(epochs=2, image_size=256)
    trellis.vision.Detector("plant/production").detect(image)

docs/notebooks.md is the guide.
"""

from ._core import Corrupt, NotFound, TrellisError, Unavailable
from ._client import (DataArtifact, Flow, Metrics, Run, Step, Table, Task, TrackedImage, alias,
                      aliases, connect, default_namespace, flows, get_namespace, namespace, settings)
from ._runner import ExecutingRun, Runner, RunnerError

__all__ = [
    "Corrupt", "DataArtifact", "ExecutingRun", "Flow", "Metrics", "NotFound", "Run", "Runner",
    "RunnerError", "Step", "Table", "Task", "TrackedImage", "TrellisError", "Unavailable", "alias",
    "aliases", "connect", "default_namespace", "flows", "get_namespace", "namespace", "settings",
    "vision",
]


def __getattr__(name):
    # trellis.vision loads LibTorch: only when asked for.
    if name == "vision":
        import importlib
        return importlib.import_module(".vision", __name__)
    raise AttributeError(f"module 'trellis' has no attribute '{name}'")
