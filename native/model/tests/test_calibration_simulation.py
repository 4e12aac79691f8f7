"""Would the INT8 bmodels the scripts make be right? Calibrates the shipped model as TPU-MLIR would
from the flags gen_int8bmodel_mlir.sh passes, fake-quantises every activation and scores 2,000
CIFAR-10 test images against the float model. Reads ../shared/data in place; skips without it."""
import os
import pickle
import shlex
import subprocess
import sys
import tempfile
import unittest

MODEL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(MODEL_DIR))
sys.path.insert(0, MODEL_DIR)
SHARED = os.environ.get("SIMCLRV2_SHARED") or os.path.join(REPO, "..", "shared")
PICKLE = os.path.join(SHARED, "data", "cifar10", "test_batch")
ONNX = os.path.join(REPO, "samples", "models", "simclrv2-r18w025-cifar10.onnx")
MANIFEST = os.path.join(REPO, "samples", "models", "simclrv2-r18w025-cifar10.manifest.json")

try:
    import json

    import numpy as np
    import torch

    import calibration_sim
    import extract_calibration
except ImportError:  # pragma: no cover - reported as a skip
    torch = None


def script_flags(calibration):
    """The preprocessing flags gen_int8bmodel_mlir.sh passes to model_transform.py (a dry run)."""
    result = subprocess.run(["bash", os.path.join(MODEL_DIR, "gen_int8bmodel_mlir.sh"), "bm1684x", "--dry-run", "--onnx", ONNX,
                             "--calibration", calibration], capture_output=True, text=True, check=True)
    argv = shlex.split(next(l for l in result.stdout.splitlines() if l.startswith("model_transform.py")))
    flag = lambda name: argv[argv.index(name) + 1]  # noqa: E731
    return ([float(v) for v in flag("--mean").split(",")], [float(v) for v in flag("--scale").split(",")], flag("--pixel_format"))


@unittest.skipIf(torch is None, "python3-torch, python3-onnx, python3-numpy or python3-pil is not installed")
@unittest.skipUnless(os.path.isfile(PICKLE), f"the CIFAR-10 test set is not at {PICKLE} (../shared/data)")
class CalibrationSimulationTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.calibration = os.path.join(cls.tmp.name, "cali_data")
        extract_calibration.main(["--input", PICKLE, "--output", cls.calibration, "--count", "100"])
        with open(PICKLE, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        with open(MANIFEST, encoding="utf-8") as f:
            pre = json.load(f)["preprocessing"]
        # 2,000 evenly spaced test images as the library feeds them: (p * scale - mean) / std, RGB, NCHW.
        index = np.arange(2000) * (len(batch[b"labels"]) // 2000)
        pixels = batch[b"data"][index].reshape(-1, 3, 32, 32).astype(np.float32)
        mean = np.asarray(pre["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
        std = np.asarray(pre["std"], dtype=np.float32).reshape(1, 3, 1, 1)
        cls.images = torch.from_numpy((pixels * pre["scale"] - mean) / std)
        cls.labels = torch.tensor(np.asarray(batch[b"labels"])[index])
        cls.graph = calibration_sim.OnnxGraph(ONNX)
        cls.float_accuracy = calibration_sim.accuracy(cls.graph, cls.images, cls.labels)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def int8_accuracy(self, mean, scale, pixel_format):
        ranges = calibration_sim.calibrate(self.graph, calibration_sim.calibration_inputs(self.calibration, mean, scale, pixel_format))
        return calibration_sim.accuracy(self.graph, self.images, self.labels, ranges)

    def test_int8_calibrated_with_the_scripts_flags_stays_within_1_5_points_of_float(self):
        mean, scale, pixel_format = script_flags(self.calibration)
        int8 = self.int8_accuracy(mean, scale, pixel_format)
        print(f"\ncalibration simulation: float {self.float_accuracy:.2f} %, INT8 calibrated with the scripts' flags {int8:.2f} % (2,000 images)")
        self.assertGreater(self.float_accuracy, 80.0)
        self.assertGreaterEqual(int8, self.float_accuracy - 1.5)

    def test_the_simulation_catches_a_calibration_on_raw_bgr_pixels(self):
        # What the scripts did before they read the manifest: no flags, so TPU-MLIR's defaults.
        broken = self.int8_accuracy([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], "bgr")
        print(f"\ncalibration simulation: INT8 calibrated on raw BGR 0..255 {broken:.2f} %")
        self.assertLess(broken, self.float_accuracy - 20.0)


if __name__ == "__main__":
    unittest.main()
