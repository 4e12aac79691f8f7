"""Tests of the model definitions and the export (need python3-torch, python3-torchvision, python3-onnx)."""
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

try:
    import torch
    import simclr_models
    import export_onnx
except ImportError as error:  # pragma: no cover - reported as a skip
    torch = None
    IMPORT_ERROR = error


@unittest.skipIf(torch is None, "PyTorch is not installed (Debian: python3-torch python3-torchvision python3-onnx)")
class ReferenceModelTests(unittest.TestCase):
    def test_state_dict_keys_are_the_reference_layout(self):
        keys = simclr_models.ReferenceSimCLR(projection_head=True).state_dict().keys()
        self.assertIn("f.0.weight", keys)                 # conv1, 3x3
        self.assertIn("f.1.running_mean", keys)           # bn1
        for i in (3, 4, 5, 6):                            # layer1..layer4
            self.assertTrue(any(k.startswith(f"f.{i}.0.conv1") for k in keys), i)
        self.assertIn("g.0.weight", keys)
        self.assertIn("fc.weight", keys)
        self.assertFalse(any(k.startswith("f.7.") and "weight" in k for k in keys), "avgpool has no weights")

    def test_cifar_stem_and_no_max_pool(self):
        model = simclr_models.ReferenceSimCLR()
        self.assertEqual(tuple(model.f[0].kernel_size), (3, 3))
        self.assertEqual(tuple(model.f[0].stride), (1, 1))
        self.assertFalse(any(isinstance(m, torch.nn.MaxPool2d) for m in model.modules()))
        self.assertEqual(tuple(model.eval()(torch.zeros(2, 3, 32, 32)).shape), (2, 10))

    def test_full_checkpoint_with_projection_head_loads(self):
        source = simclr_models.ReferenceSimCLR(projection_head=True)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "simclrv2.pth")
            torch.save({"state_dict": {"module." + k: v for k, v in source.state_dict().items()}}, path)
            target = simclr_models.ReferenceSimCLR()
            ignored = simclr_models.load_checkpoint(target, path)
        self.assertTrue(all(k.startswith("g.") for k in ignored))
        self.assertTrue(torch.equal(target.fc.weight, source.fc.weight))

    def test_checkpoint_without_encoder_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.pth")
            torch.save({"fc.weight": torch.zeros(10, 2048)}, path)
            with self.assertRaises(ValueError):
                simclr_models.load_checkpoint(simclr_models.ReferenceSimCLR(), path)


@unittest.skipIf(torch is None, "PyTorch is not installed")
class SimCLRv2ModelTests(unittest.TestCase):
    def test_widths_depths_and_selective_kernels(self):
        for depth, width, sk, features in ((18, 0.25, False, 128), (18, 0.5, True, 256), (50, 0.25, True, 512)):
            model = simclr_models.SimCLRv2ResNet(depth=depth, width=width, sk=sk).eval()
            self.assertEqual(model.feature_dim, features)
            self.assertEqual(tuple(model(torch.zeros(2, 3, 32, 32)).shape), (2, 10))

    def test_imagenet_stem_downsamples(self):
        model = simclr_models.SimCLRv2ResNet(depth=18, width=0.25, cifar_stem=False).eval()
        self.assertIsInstance(model.stem[-1], torch.nn.MaxPool2d)
        self.assertEqual(tuple(model(torch.zeros(1, 3, 64, 64)).shape), (1, 10))


@unittest.skipIf(torch is None, "PyTorch is not installed")
class ExportTests(unittest.TestCase):
    def test_export_writes_a_checked_model_manifest_and_check_data(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "m.onnx")
            export_onnx.main(["--arch", "simclrv2", "--depth", "18", "--width", "0.25", "--random-init",
                              "--batch", "4", "--input-name", "images", "--output", out, "--check-data"])
            with open(os.path.join(d, "m.manifest.json")) as f:
                manifest = json.load(f)
            with open(out + ".check.json") as f:
                check = json.load(f)
        self.assertEqual(manifest["inputName"], "images")
        self.assertNotIn("mean", manifest["preprocessing"], "SimCLRv2 convention: [0, 1], no mean/std")
        self.assertEqual(check["inputShape"], [4, 3, 32, 32])
        self.assertEqual(len(check["output"]), 40)

    def test_export_adds_the_embedding_outputs_and_names_them_in_the_manifest(self):
        import onnx
        for arch, expected in ((["--arch", "simclrv2", "--depth", "18", "--width", "0.25"], ["projection", "h"]),
                               (["--arch", "reference"], ["h"])):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "m.onnx")
                export_onnx.main(arch + ["--random-init", "--batch", "dynamic", "--output", out])
                with open(os.path.join(d, "m.manifest.json")) as f:
                    manifest = json.load(f)
                model = onnx.load(out)
            outputs = {o.name: [x.dim_value or x.dim_param for x in o.type.tensor_type.shape.dim] for o in model.graph.output}
            self.assertEqual(manifest["embeddings"], expected, arch)
            self.assertEqual(manifest["defaultEmbedding"], expected[0])
            self.assertEqual(list(outputs), ["logits"] + expected)
            width = 128 if arch[1] == "simclrv2" else 2048
            for name in expected:
                self.assertEqual(outputs[name], ["N", width], (arch, name))

    def test_the_graph_edit_adds_outputs_without_changing_a_node_or_weight(self):
        import onnx
        import embedding_outputs
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "plain.onnx")
            export_onnx.main(["--arch", "simclrv2", "--depth", "18", "--width", "0.25", "--random-init",
                              "--no-embeddings", "--output", out])
            edited_path = os.path.join(d, "edited.onnx")
            embedding_outputs.main([out, edited_path])
            plain, edited = onnx.load(out), onnx.load(edited_path)
            with open(os.path.join(d, "edited.manifest.json")) as f:
                manifest = json.load(f)
            with self.assertRaises(SystemExit):
                embedding_outputs.main([edited_path, os.path.join(d, "again.onnx"), "--logits", "projection"])
        self.assertEqual([o.name for o in plain.graph.output], ["logits"])
        self.assertEqual([o.name for o in edited.graph.output], ["logits", "projection", "h"])
        self.assertEqual([n.op_type for n in plain.graph.node], [n.op_type for n in edited.graph.node])
        self.assertEqual([i.SerializeToString() for i in plain.graph.initializer], [i.SerializeToString() for i in edited.graph.initializer])
        self.assertEqual(manifest["embeddings"], ["projection", "h"])

    def test_weights_and_random_init_are_exclusive(self):
        with self.assertRaises(SystemExit):
            export_onnx.main(["--output", "x.onnx"])


if __name__ == "__main__":
    unittest.main()
