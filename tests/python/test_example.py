"""The example script runs end to end (examples/python/churn.py)."""

import subprocess
import sys

import shop


def test_churn_example_runs(tmp_path):
    script = shop.REPO_ROOT / "examples" / "python" / "churn.py"
    p = subprocess.run([sys.executable, str(script), "--customers", "400", "--repo",
                        str(tmp_path / "churn")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "test AUC" in p.stdout
    assert "churn_probability" in p.stdout
    assert "materialized: {'customer_features':" in p.stdout
