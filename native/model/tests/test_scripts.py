"""Tests of the TPU-MLIR scripts: the preprocessing flags come from the model's manifest (TPU-MLIR's
formula), every step is validated, work files are distinct and stay in the work folder, a manifest
is written beside every bmodel, and every failure says what to do. TPU-MLIR itself is not
installable here: dry runs, and stand-in tools on PATH that record how they were called."""
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

MODEL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(MODEL_DIR))
SAMPLE_ONNX = os.path.join(REPO, "samples", "models", "simclrv2-r18w025-cifar10.onnx")
SAMPLE_MANIFEST = os.path.join(REPO, "samples", "models", "simclrv2-r18w025-cifar10.manifest.json")
SCRIPTS = {"fp32": "gen_fp32bmodel_mlir.sh", "fp16": "gen_fp16bmodel_mlir.sh", "int8": "gen_int8bmodel_mlir.sh"}
QUANTIZE = {"fp32": "F32", "fp16": "F16", "int8": "INT8"}
TOLERANCE = {"fp32": "0.99,0.99", "fp16": "0.99,0.90", "int8": "0.90,0.80"}

# A stand-in for a TPU-MLIR tool: records argv and cwd, writes the files the real one would.
STAND_IN = r'''#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["STAND_IN_LOG"], "a") as f:
    f.write(json.dumps({"tool": os.path.basename(sys.argv[0]), "cwd": os.getcwd(), "args": args}) + "\n")
def value(flag):
    return args[args.index(flag) + 1] if flag in args else None
name = os.path.basename(sys.argv[0])
if name == "model_transform.py":
    open(value("--mlir"), "w").close()
    open(value("--test_result"), "w").close()
    open(value("--model_name") + "_in_f32.npz", "w").close()
elif name == "run_calibration.py":
    open(value("-o"), "w").close()
elif name == "model_deploy.py":
    if os.environ.get("STAND_IN_FAIL_DEPLOY"):
        print("Error: compare failed: cos 0.41 < 0.90 (npz_tool.py compare)", file=sys.stderr)
        sys.exit(1)
    open(value("--model"), "w").close()
    open("simclrv2_tpu.mlir", "w").close()
'''


def run(script, *args, env=None):
    return subprocess.run(["bash", os.path.join(MODEL_DIR, script), *args], capture_output=True, text=True, env=env, check=False)


def commands(stdout, tool):
    return [shlex.split(line) for line in stdout.splitlines() if line.startswith(tool)]


def value(argv, flag):
    return argv[argv.index(flag) + 1]


class ScriptTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.cal = os.path.join(self.tmp, "cal")
        os.makedirs(self.cal)
        for name in ("b.png", "a.png"):
            open(os.path.join(self.cal, name), "wb").close()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def dry(self, precision, *extra, manifest=SAMPLE_MANIFEST):
        result = run(SCRIPTS[precision], "bm1684x", "--dry-run", "--onnx", SAMPLE_ONNX, "--manifest", manifest,
                     "--out", "/out", "--work", "/w", "--calibration", self.cal, *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def manifest(self, **preprocessing):
        with open(SAMPLE_MANIFEST, encoding="utf-8") as f:
            m = json.load(f)
        m["preprocessing"].update(preprocessing)
        for key in [k for k, v in preprocessing.items() if v is None]:
            del m["preprocessing"][key]
        path = os.path.join(self.tmp, f"m{len(os.listdir(self.tmp))}.manifest.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(m, f)
        return path, m["preprocessing"]

    def test_the_preprocessing_flags_are_the_manifests_by_tpu_mlirs_formula(self):
        with open(SAMPLE_MANIFEST, encoding="utf-8") as f:
            sample = json.load(f)["preprocessing"]
        cases = [(SAMPLE_MANIFEST, sample),
                 self.manifest(channelOrder="bgr", scale=1.0, mean=[103.9, 116.8, 123.7], std=[57.4, 57.1, 58.4]),
                 self.manifest(scale=1 / 255, mean=[0, 0, 0], std=[1, 1, 1])]
        for path, pre in cases:
            for precision in SCRIPTS:
                transforms = commands(self.dry(precision, manifest=path), "model_transform.py")
                self.assertEqual(len(transforms), 2)
                for argv in transforms:
                    mean = [float(v) for v in value(argv, "--mean").split(",")]
                    scale = [float(v) for v in value(argv, "--scale").split(",")]
                    for c in range(3):
                        self.assertAlmostEqual(mean[c], pre["mean"][c] / pre["scale"], delta=1e-6 * max(1, abs(mean[c])))
                        self.assertAlmostEqual(scale[c], pre["scale"] / pre["std"][c], delta=1e-6 * scale[c])
                    self.assertEqual(value(argv, "--pixel_format"), pre["channelOrder"])
        argv = commands(self.dry("int8"), "model_transform.py")[0]
        self.assertEqual((value(argv, "--mean"), value(argv, "--pixel_format")), ("125.307,122.961,113.8575", "rgb"))

    def test_every_step_is_validated_with_distinct_work_files(self):
        for precision in SCRIPTS:
            out = self.dry(precision)
            self.assertEqual(out.splitlines()[0], "cd /w", "the tools run inside the work folder")
            transforms, deploys = commands(out, "model_transform.py"), commands(out, "model_deploy.py")
            self.assertEqual(len(deploys), 2)
            for batch, transform, deploy in zip((1, 4), transforms, deploys):
                name = f"simclrv2_{precision}_{batch}b"
                self.assertEqual(value(transform, "--model_name"), name)
                self.assertEqual(value(transform, "--input_shapes"), f"[[{batch},3,32,32]]")
                self.assertEqual(value(transform, "--test_input"), os.path.join(self.cal, "a.png"), "the calibration folder's first image")
                self.assertEqual(value(transform, "--test_result"), f"/w/{name}_top_outputs.npz")
                self.assertEqual(value(deploy, "--mlir"), f"/w/{name}.mlir")
                self.assertEqual(value(deploy, "--quantize"), QUANTIZE[precision])
                self.assertEqual(value(deploy, "--chip"), "bm1684x")
                self.assertEqual(value(deploy, "--test_input"), f"/w/{name}_in_f32.npz")
                self.assertEqual(value(deploy, "--test_reference"), f"/w/{name}_top_outputs.npz")
                self.assertEqual(value(deploy, "--tolerance"), TOLERANCE[precision])
                self.assertEqual(value(deploy, "--model"), f"/out/{name}.bmodel")
            writes = [line for line in out.splitlines() if "mlir_manifest.py write" in line]
            self.assertEqual(len(writes), 2, "a manifest beside every bmodel")
        self.assertEqual(value(commands(self.dry("fp32", "--chip-flag", "--processor"), "model_deploy.py")[0], "--processor"), "bm1684x")
        self.assertEqual(value(commands(self.dry("fp16", "--tolerance", "0.995,0.95"), "model_deploy.py")[1], "--tolerance"), "0.995,0.95")

    def test_int8_calibrates_once_through_the_target_with_table_qtable_and_asymmetric(self):
        out = self.dry("int8", "--qtable", "/q.txt", "--asymmetric")
        calibrations = commands(out, "run_calibration.py")
        self.assertEqual(len(calibrations), 1)
        self.assertEqual(calibrations[0][1], "/w/simclrv2_int8_1b.mlir")
        self.assertEqual((value(calibrations[0], "--dataset"), value(calibrations[0], "--input_num"), value(calibrations[0], "--chip")), (self.cal, "100", "bm1684x"))
        for deploy in commands(out, "model_deploy.py"):
            self.assertEqual(value(deploy, "--calibration_table"), value(calibrations[0], "-o"))
            self.assertEqual(value(deploy, "--quantize_table"), "/q.txt")
            self.assertIn("--asymmetric", deploy)

    def test_an_nhwc_model_compiles_with_tpu_mlirs_channel_format_and_its_shape(self):
        with open(SAMPLE_MANIFEST, encoding="utf-8") as f:
            m = json.load(f)
        m["layout"] = "nhwc"
        path = os.path.join(self.tmp, "nhwc.manifest.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(m, f)
        for precision in SCRIPTS:
            out = self.dry(precision, manifest=path)
            for batch, argv in zip((1, 4), commands(out, "model_transform.py")):
                self.assertEqual(value(argv, "--channel_format"), "nhwc")
                self.assertEqual(value(argv, "--input_shapes"), f"[[{batch},32,32,3]]")
        fused = self.dry("int8", "--fuse-preprocess", manifest=path)
        self.assertEqual(value(commands(fused, "model_deploy.py")[0], "--customization_format"), "RGB_PACKED")
        nchw = self.dry("fp32")
        self.assertEqual(value(commands(nchw, "model_transform.py")[0], "--channel_format"), "nchw", "the manifest's default layout, said explicitly")
        m["layout"] = "hwc"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(m, f)
        bad = run(SCRIPTS["fp32"], "bm1684x", "--dry-run", "--onnx", SAMPLE_ONNX, "--manifest", path, "--calibration", self.cal)
        self.assertEqual(bad.returncode, 2)
        self.assertIn('use "nchw" or "nhwc"', bad.stderr)

    def test_quant_input_gives_an_int8_input_bmodel_for_bmcv_and_only_for_int8(self):
        out = self.dry("int8", "--quant-input")
        deploys = commands(out, "model_deploy.py")
        self.assertEqual(len(deploys), 2)
        for deploy in deploys:
            self.assertIn("--quant_input", deploy)
        self.assertNotIn("--quant_input", self.dry("int8"))
        for precision, extra in (("fp32", ["--quant-input"]), ("int8", ["--quant-input", "--fuse-preprocess"])):
            refused = run(SCRIPTS[precision], "bm1684x", "--dry-run", "--onnx", SAMPLE_ONNX, "--manifest", SAMPLE_MANIFEST, "--calibration", self.cal, *extra)
            self.assertEqual(refused.returncode, 2, refused.stdout)
            self.assertIn("--quant-input", refused.stderr)

    def test_fused_preprocessing_takes_pixels_and_says_so_in_the_manifest(self):
        out = self.dry("int8", "--fuse-preprocess")
        for deploy in commands(out, "model_deploy.py"):
            self.assertIn("--fuse_preprocess", deploy)
            self.assertEqual(value(deploy, "--customization_format"), "RGB_PLANAR")
            self.assertEqual(value(deploy, "--test_input"), os.path.join(self.cal, "a.png"), "a fused bmodel is validated on an image")
        self.assertEqual(out.count("--fused-preprocess"), 2)

    def stand_ins(self):
        """An environment with stand-in TPU-MLIR tools first on PATH, logging to the returned file."""
        tools = os.path.join(self.tmp, "bin")
        os.makedirs(tools, exist_ok=True)
        for tool in ("model_transform.py", "model_deploy.py", "run_calibration.py"):
            path = os.path.join(tools, tool)
            with open(path, "w", encoding="utf-8") as f:
                f.write(STAND_IN.replace("#!/usr/bin/env python3", "#!" + sys.executable))
            os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
        log = os.path.join(self.tmp, "calls.jsonl")
        return dict(os.environ, PATH=tools + os.pathsep + os.environ["PATH"], STAND_IN_LOG=log), log

    def test_a_real_run_with_stand_in_tools_stays_in_the_work_folder_and_writes_manifests(self):
        env, log = self.stand_ins()
        out_dir, caller = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "caller")
        os.makedirs(caller)
        result = subprocess.run(["bash", os.path.join(MODEL_DIR, SCRIPTS["int8"]), "bm1684x", "--onnx", SAMPLE_ONNX, "--out", out_dir, "--calibration", self.cal],
                                cwd=caller, capture_output=True, text=True, env=env, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(log, encoding="utf-8") as f:
            calls = [json.loads(line) for line in f]
        self.assertEqual([c["tool"] for c in calls], ["model_transform.py", "run_calibration.py", "model_deploy.py", "model_transform.py", "model_deploy.py"])
        self.assertEqual({c["cwd"] for c in calls}, {os.path.join(out_dir, "mlir_work")})
        self.assertEqual(os.listdir(caller), [], "nothing lands in the caller's folder")
        for batch in (1, 4):
            with open(os.path.join(out_dir, f"simclrv2_int8_{batch}b.manifest.json"), encoding="utf-8") as f:
                m = json.load(f)
            self.assertEqual((m["model"], m["inputName"], m["outputName"]), (f"simclrv2_int8_{batch}b.bmodel", "input", "logits"))
            self.assertEqual((m["embeddings"], m["defaultEmbedding"]), (["projection", "h"], "projection"), "every output is kept")
            self.assertEqual(m["preprocessing"]["mean"], [0.4914, 0.4822, 0.4465])
        env["STAND_IN_FAIL_DEPLOY"] = "1"
        failed = subprocess.run(["bash", os.path.join(MODEL_DIR, SCRIPTS["fp32"]), "bm1684x", "--onnx", SAMPLE_ONNX, "--out", out_dir, "--calibration", self.cal],
                                capture_output=True, text=True, env=env, check=False)
        self.assertNotEqual(failed.returncode, 0)
        self.assertIn("compare failed", failed.stderr, "TPU-MLIR's message reaches the user")

    def test_a_manifest_naming_embeddings_the_model_lacks_is_refused_when_the_bmodel_manifest_is_written(self):
        path, _ = self.manifest()
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
        m["embeddings"] = ["projection", "pool5"]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(m, f)
        result = subprocess.run([sys.executable, os.path.join(MODEL_DIR, "mlir_manifest.py"), "write", path, SAMPLE_ONNX,
                                 os.path.join(self.tmp, "x.bmodel")], capture_output=True, text=True, check=False)
        if "No module named 'onnx'" in result.stderr:
            self.skipTest("python3-onnx is not installed")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("['pool5'] are not outputs", result.stderr)

    def test_failures_say_what_to_do(self):
        env = dict(os.environ, PATH="/usr/bin:/bin")
        no_tools = run(SCRIPTS["fp32"], "bm1684x", "--onnx", SAMPLE_ONNX, "--calibration", self.cal, env=env)
        self.assertEqual(no_tools.returncode, 2)
        self.assertIn("TPU-MLIR is not on PATH", no_tools.stderr)
        no_manifest = run(SCRIPTS["fp32"], "bm1684x", "--dry-run", "--onnx", "/nowhere/m.onnx")
        self.assertEqual(no_manifest.returncode, 2)
        self.assertIn("manifest '/nowhere/m.manifest.json' not found", no_manifest.stderr)
        path, _ = self.manifest(std=None)
        partial = run(SCRIPTS["int8"], "bm1684x", "--dry-run", "--onnx", SAMPLE_ONNX, "--manifest", path)
        self.assertEqual(partial.returncode, 2)
        self.assertIn("lacks std", partial.stderr)
        fp16 = run(SCRIPTS["fp16"], "bm1684", "--dry-run", "--onnx", SAMPLE_ONNX)
        self.assertEqual(fp16.returncode, 2)
        self.assertIn("BM1684 cannot run FP16", fp16.stderr)
        no_cal = run(SCRIPTS["int8"], "bm1684x", "--onnx", SAMPLE_ONNX, "--out", os.path.join(self.tmp, "o"), "--calibration", "/nowhere/cal",
                     "--test-input", os.path.join(self.cal, "a.png"), env=self.stand_ins()[0])
        self.assertEqual(no_cal.returncode, 2)
        self.assertIn("/nowhere/cal", no_cal.stderr)
        self.assertIn("unknown target", run(SCRIPTS["fp16"], "bm9999", "--dry-run").stderr)
        self.assertEqual(run(SCRIPTS["fp16"]).returncode, 2)

    @unittest.skipIf(shutil.which("shellcheck") is None, "shellcheck is not installed (Debian: shellcheck)")
    def test_shellcheck_clean(self):
        result = subprocess.run(["shellcheck", "-x", *SCRIPTS.values(), "mlir_common.sh"], cwd=MODEL_DIR, capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 0, result.stdout)


if __name__ == "__main__":
    unittest.main()
