"""The README's "Use it on your own model" example runs as written and does what it says.

The block is read from ``README.md`` (the fenced ``python`` block after the
``<!-- readme-own-model: ... -->`` marker, in that section) and executed in a temporary folder
on a real server; the test then checks what it printed and what it left: the package and its
reference, the server's answers, the log's quality column and the drift found. Change the
example and this test follows it; break it (or the toolkit under it) and this test fails.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.monitoring import logged_inputs
from prodml_workshop.packaging import REFERENCE_PROFILE, read_manifest, read_profile

pytestmark = pytest.mark.server

SECTION = "## Use it on your own model"
MARKER = "<!-- readme-own-model:"


def readme_example(readme: Path) -> str:
    """Return the code of the example block: the ``python`` fence right after the marker."""
    text = readme.read_text(encoding="utf-8")
    assert text.count(MARKER) == 1, f"{readme} must hold the marker {MARKER!r} once"
    assert text.count(SECTION) == 1, f"{readme} must hold the section {SECTION!r} once"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    assert MARKER in section, f"the marked block must be in the section {SECTION!r}"
    block = re.match(r"[^\n]*-->\n```python\n(.*?)\n```\n", section.split(MARKER, 1)[1], re.S)
    assert block, f"no ```python block right after {MARKER!r}"
    return block.group(1)


def test_readme_example_is_found_in_its_section(root):
    code = readme_example(root / "README.md")
    assert "serve(" in code and "read_log(" in code and "save_model(" in code
    assert len(code.splitlines()) <= 40  # short: one screen


def test_readme_example_refuses_a_readme_without_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"{SECTION}\n\n{MARKER} x -->\nno code here\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="no ```python block"):
        readme_example(readme)


def test_readme_own_model_example_runs(root, tmp_path, monkeypatch, capsys, no_bentoml_left):
    code = readme_example(root / "README.md")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, "README.md: Use it on your own model", "exec"), namespace)
    printed = capsys.readouterr().out

    # A model the course does not use, on columns with spaces.
    model, train, new = namespace["model"], namespace["train"], namespace["new"]
    assert type(model).__name__ == "HistGradientBoostingRegressor"
    assert all(" " in column for column in train.columns)
    assert re.search(r"^skops\s+True", printed, re.M)
    assert re.search(r"^onnx\s+True", printed, re.M)

    # The package holds the model and the training rows' profile, listed with its checksum.
    package = tmp_path / "models" / "flats"
    assert REFERENCE_PROFILE in read_manifest(package)["artifacts"]
    profile = read_profile(package)
    assert list(profile["features"]) == list(train.columns)
    area = profile["features"]["floor area m2"]
    assert area["min"] == train["floor area m2"].min()
    assert area["max"] == train["floor area m2"].max()

    # The server answered the model's own predictions, and stopped.
    server = namespace["server"]
    assert not server.running
    np.testing.assert_allclose(namespace["prices"], model.predict(new), rtol=1e-6)
    assert len(namespace["prices"]) == len(new) == 100

    # The log holds what was sent, each record flagged for the feature in square feet.
    log = namespace["log"]
    assert len(log) == len(new)
    assert (log["quality"] == "floor area m2").all()
    served = logged_inputs(log).drop(columns="timestamp").reset_index(drop=True)
    pd.testing.assert_frame_equal(served, new.reset_index(drop=True), check_dtype=False)
    assert re.search(r"^floor area m2\s+100$", printed, re.M)

    # Drift: the changed feature and no other.
    assert namespace["drift"].drifted_columns == ["floor area m2"]
    assert "['floor area m2']" in printed
