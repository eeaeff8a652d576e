"""The course's model: fits the penguins, missing values included, without torch."""

import subprocess
import sys

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.penguin_model import CATEGORICAL, NUMERIC


def test_columns_split_the_features_into_numbers_and_text():
    assert sorted(NUMERIC + CATEGORICAL) == sorted(PENGUIN_FEATURES)


def test_pipeline_learns_the_species_from_rows_with_missing_values(course_model):
    penguins = load_penguins()  # what course_model was fitted on
    X = penguins[PENGUIN_FEATURES]
    assert X["sex"].isna().any() and X["bill_length_mm"].isna().any()
    assert course_model.score(X, penguins["species"]) > 0.95


def test_importing_and_building_the_model_imports_no_torch():
    code = (
        "import sys; from prodml_workshop.penguin_model import penguin_pipeline; "
        "penguin_pipeline(); assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
