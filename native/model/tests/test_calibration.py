"""Tests of extract_calibration.py (need python3-numpy and python3-pil)."""
import os
import pickle
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import numpy as np
    from PIL import Image
    import extract_calibration
except ImportError:  # pragma: no cover - reported as a skip
    np = None


@unittest.skipIf(np is None, "numpy or Pillow is not installed (Debian: python3-numpy python3-pil)")
class CalibrationTests(unittest.TestCase):
    def test_pickle_images_are_evenly_spaced_and_keep_their_names(self):
        data = np.arange(20 * 3072, dtype=np.uint32).astype(np.uint8).reshape(20, 3072)
        batch = {b"data": data, b"labels": list(range(20)), b"filenames": [f"img_{i:02d}.png".encode() for i in range(20)]}
        with tempfile.TemporaryDirectory() as d:
            source = os.path.join(d, "test_batch")
            with open(source, "wb") as f:
                pickle.dump(batch, f, protocol=2)
            out = os.path.join(d, "cal")
            extract_calibration.main(["--input", source, "--output", out, "--count", "5"])
            self.assertEqual(sorted(os.listdir(out)), [f"img_{i:02d}.png" for i in (0, 4, 8, 12, 16)])
            pixels = np.asarray(Image.open(os.path.join(out, "img_04.png")))
            self.assertEqual(pixels.shape, (32, 32, 3))
            self.assertTrue(np.array_equal(pixels[..., 0].flatten(), data[4][:1024]), "channel-planar rows become HWC RGB")

    def test_folder_input_is_sampled_from_sorted_files(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "src", "cat")
            os.makedirs(src)
            for i in range(6):
                Image.new("RGB", (8, 8), (i, i, i)).save(os.path.join(src, f"{i}.png"))
            out = os.path.join(d, "cal")
            extract_calibration.main(["--input", os.path.join(d, "src"), "--output", out, "--count", "3"])
            self.assertEqual(sorted(os.listdir(out)), ["00000_0.png", "00001_2.png", "00002_4.png"])


if __name__ == "__main__":
    unittest.main()
