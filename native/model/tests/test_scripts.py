"""Tests of the TPU-MLIR scripts: dry runs print the right commands; shellcheck finds nothing."""
import os
import shutil
import subprocess
import unittest

MODEL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = ["gen_fp32bmodel_mlir.sh", "gen_fp16bmodel_mlir.sh", "gen_int8bmodel_mlir.sh"]


def run(*args):
    return subprocess.run(["bash", os.path.join(MODEL_DIR, args[0]), *args[1:]], capture_output=True, text=True, check=False)


class ScriptTests(unittest.TestCase):
    def test_dry_runs_build_batch_1_and_4_with_the_reference_names(self):
        for script, precision, quantize in zip(SCRIPTS, ("fp32", "fp16", "int8"), ("F32", "F16", "INT8")):
            result = run(script, "bm1684x", "--dry-run", "--out", "/out", "--onnx", "/m.onnx")
            self.assertEqual(result.returncode, 0, result.stderr)
            lines = result.stdout.splitlines()
            deploys = [l for l in lines if l.startswith("model_deploy.py")]
            self.assertEqual(len(deploys), 2, script)
            for batch, line in zip((1, 4), deploys):
                self.assertIn(f"--model /out/simclrv2_{precision}_{batch}b.bmodel", line)
                self.assertIn(f"--quantize {quantize}", line)
                self.assertIn("--processor bm1684x", line)
            self.assertEqual(len([l for l in lines if l.startswith("model_transform.py")]), 2)

    def test_int8_calibrates_once_and_passes_the_table_and_qtable(self):
        result = run("gen_int8bmodel_mlir.sh", "bm1684x", "--dry-run", "--work", "/w", "--qtable", "/q.txt", "--calibration", "/cal")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("run_calibration.py"), 1)
        self.assertIn("--dataset /cal --input_num 100 -o /w/simclrv2_cali_table", result.stdout)
        self.assertEqual(result.stdout.count("--calibration_table /w/simclrv2_cali_table --quantize_table /q.txt"), 2)

    def test_missing_tpu_mlir_or_bad_arguments_say_what_to_do(self):
        env = dict(os.environ, PATH="/usr/bin:/bin")
        result = subprocess.run(["bash", os.path.join(MODEL_DIR, "gen_fp32bmodel_mlir.sh"), "bm1684x"], capture_output=True, text=True, env=env, check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("TPU-MLIR is not on PATH", result.stderr)
        self.assertIn("unknown target", run("gen_fp16bmodel_mlir.sh", "bm9999", "--dry-run").stderr)
        self.assertEqual(run("gen_fp16bmodel_mlir.sh").returncode, 2)

    @unittest.skipIf(shutil.which("shellcheck") is None, "shellcheck is not installed (Debian: shellcheck)")
    def test_shellcheck_clean(self):
        result = subprocess.run(["shellcheck", "-x", *SCRIPTS, "mlir_common.sh"], cwd=MODEL_DIR, capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 0, result.stdout)


if __name__ == "__main__":
    unittest.main()
