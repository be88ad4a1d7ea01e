"""Importing the SDK first leaves the process able to load Python's own OpenSSL modules."""
import subprocess
import sys


def test_hashlib_and_pandas_import_after_featherstone():
    p = subprocess.run([sys.executable, "-c", "import featherstone, hmac, hashlib, pandas; "
                        "print(hashlib.sha256(b'x').hexdigest()[:8])"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "2d711642"
