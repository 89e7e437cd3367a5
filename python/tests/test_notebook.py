"""The example notebook runs top to bottom (nbconvert --execute), on a store of its own."""

import json
import os
import subprocess

from conftest import BUILD

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "notebooks", "debug_plant_run.ipynb")


def test_debug_plant_run_notebook_executes(tmp_path):
    out = tmp_path / "executed.ipynb"
    env = dict(os.environ, TRELLIS_ROOT=str(tmp_path / "store"), TRELLIS_BUILD_DIR=BUILD,
               # This build's module, whatever trellis.pth points at.
               PYTHONPATH=os.pathsep.join([os.path.join(BUILD, "python"),
                                           os.environ.get("PYTHONPATH", "")]))
    env.pop("MPLBACKEND", None)  # the kernel's inline backend puts figures in the notebook
    env.pop("TRELLIS_DATASTORE", None)
    env.pop("TRELLIS_METADATA", None)
    r = subprocess.run(["/usr/bin/python3", "-m", "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.timeout=900", "--output", str(out), NOTEBOOK],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-4000:]
    cells = json.loads(out.read_text())["cells"]
    text = "\n".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                     for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
    assert "Run('PlantDetection/1') succeeded" in text
    assert "mAP " in text and "Detections(" in text
    assert "Detector('plant/production': alias plant/production -> PlantDetection/1/train/" in text
    images = sum(1 for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])
                 if "image/png" in o.get("data", {}))
    assert images >= 3  # loss curve, the predictions table, the re-run detection
