"""Would the INT8 bmodels the scripts make be right? The simulation of TPU-MLIR's default INT8
(KL-divergence thresholds over 2048-bin histograms, per-channel symmetric weights, batch norm folded,
ReLU fused) checked piece by piece, then the shipped model calibrated from the flags
gen_int8bmodel_mlir.sh passes and scored on 2,000 CIFAR-10 test images against the float model.
The accuracy tests read ../shared/data in place and skip without it."""
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

NEEDS = "python3-torch, python3-onnx, python3-numpy or python3-pil is not installed"


def script_flags(calibration):
    """The preprocessing flags gen_int8bmodel_mlir.sh passes to model_transform.py (a dry run)."""
    result = subprocess.run(["bash", os.path.join(MODEL_DIR, "gen_int8bmodel_mlir.sh"), "bm1684x", "--dry-run", "--onnx", ONNX,
                             "--calibration", calibration], capture_output=True, text=True, check=True)
    argv = shlex.split(next(l for l in result.stdout.splitlines() if l.startswith("model_transform.py")))
    flag = lambda name: argv[argv.index(name) + 1]  # noqa: E731
    return ([float(v) for v in flag("--mean").split(",")], [float(v) for v in flag("--scale").split(",")], flag("--pixel_format"))


@unittest.skipIf(torch is None, NEEDS)
class KldThresholdTests(unittest.TestCase):
    def threshold(self, values):
        values = torch.as_tensor(values)
        peak = float(values.abs().max())
        hist, width = calibration_sim.histogram(values, peak)
        return calibration_sim.kld_threshold(hist.numpy(), width), peak

    def test_a_flat_distribution_keeps_its_whole_range(self):
        threshold, peak = self.threshold(np.random.default_rng(1).uniform(-1, 1, 200_000))
        self.assertGreater(threshold, 0.9 * peak)

    def test_rare_outliers_are_clipped(self):
        rng = np.random.default_rng(2)
        values = np.concatenate([rng.normal(0, 1, 200_000), rng.uniform(40, 50, 20)])
        threshold, peak = self.threshold(values)
        self.assertLess(threshold, 0.5 * peak, "a handful of outliers does not set the scale")
        self.assertGreater(threshold, 3.0, "the bulk of the distribution stays inside")

    def test_the_histogram_follows_tpu_mlirs_binning(self):
        hist, width = calibration_sim.histogram(torch.tensor([0.0, 1.0, -1.0, 0.5, 2047.0]), 2047.0)
        self.assertEqual(width, 1.0)
        self.assertEqual((int(hist[0]), int(hist[1]), int(hist[2047])), (0, 3, 1), "zeros are left out; 0.5 and 1 both go to bin 1")


@unittest.skipIf(torch is None, NEEDS)
class CanonicalisationTests(unittest.TestCase):
    def test_folding_the_projection_heads_batch_norm_keeps_the_float_outputs(self):
        graph = calibration_sim.OnnxGraph(ONNX)
        x = torch.randn(16, 3, 32, 32)
        with torch.no_grad():
            before = graph.run(x)
            self.assertEqual(calibration_sim.fold_batch_norm(graph), 1, "MatMul + BatchNormalization of the projection head")
            after = graph.run(x)
        self.assertNotIn("BatchNormalization", [n.op_type for n in graph.nodes])
        self.assertLess(float((before - after).abs().max()), 1e-4)

    def test_only_what_a_relu_does_not_consume_alone_is_stored(self):
        graph = calibration_sim.OnnxGraph(ONNX)
        names = calibration_sim.quantised_names(graph)
        relus = [n for n in graph.nodes if n.op_type == "Relu"]
        self.assertTrue(all(n.output[0] in names for n in relus))
        fused = [n.input[0] for n in relus if len(graph.consumers(n.input[0])) == 1]
        self.assertTrue(fused and not any(name in names for name in fused))
        self.assertIn(graph.input, names)

    def test_per_channel_weights_lose_less_than_per_tensor(self):
        graph = calibration_sim.OnnxGraph(ONNX)
        per_channel = calibration_sim.quantise_weights(graph, per_channel=True)
        per_tensor = calibration_sim.quantise_weights(graph, per_channel=False)
        errors = []
        for node in graph.nodes:
            if node.op_type == "Conv":
                w = graph.weights[node.input[1]]
                errors.append((float((per_channel[node.input[1]] - w).pow(2).mean()), float((per_tensor[node.input[1]] - w).pow(2).mean())))
        self.assertEqual(len(errors), 20)
        self.assertTrue(all(c <= t + 1e-12 for c, t in errors))
        self.assertLess(sum(c for c, _ in errors), 0.8 * sum(t for _, t in errors))


@unittest.skipIf(torch is None, NEEDS)
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
        calibration_sim.fold_batch_norm(cls.graph)  # TPU-MLIR's canonicalisation (float outputs unchanged)
        cls.weights = calibration_sim.quantise_weights(cls.graph)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def int8_accuracy(self, mean, scale, pixel_format, method="kld", weights=True):
        inputs = calibration_sim.calibration_inputs(self.calibration, mean, scale, pixel_format)
        ranges = calibration_sim.calibrate(self.graph, inputs, method)
        return calibration_sim.accuracy(self.graph, self.images, self.labels, ranges, self.weights if weights else None)

    def test_tpu_mlirs_default_int8_with_the_scripts_flags_stays_within_1_5_points_of_float(self):
        mean, scale, pixel_format = script_flags(self.calibration)
        default = self.int8_accuracy(mean, scale, pixel_format)
        abs_max = self.int8_accuracy(mean, scale, pixel_format, method="max", weights=False)
        print(f"\ncalibration simulation (2,000 images): float {self.float_accuracy:.2f} %, TPU-MLIR default INT8 "
              f"(KLD thresholds, per-channel weights) {default:.2f} %, abs-max per tensor with float weights {abs_max:.2f} %")
        self.assertGreater(self.float_accuracy, 80.0)
        self.assertGreaterEqual(default, self.float_accuracy - 1.5)

    def test_the_simulation_catches_a_calibration_on_raw_bgr_pixels(self):
        # What the scripts did before they read the manifest: no flags, so TPU-MLIR's defaults.
        broken = self.int8_accuracy([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], "bgr")
        print(f"\ncalibration simulation: INT8 calibrated on raw BGR 0..255 {broken:.2f} %")
        self.assertLess(broken, self.float_accuracy - 20.0)


if __name__ == "__main__":
    unittest.main()
