"""A large penguin-like dataset in Parquet files, for batch scoring.

:func:`make_scoring_dataset` resamples the Palmer penguins with a little noise and writes the
rows as partitions, ``part-00000.parquet``, ``part-00001.parquet``, ...: what
:func:`~prodml_workshop.scaling.score_parquet` scores, one file per task.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["make_scoring_dataset"]

#: Relative noise added to each numeric feature when resampling penguins.
_JITTER = 0.03


def make_scoring_dataset(
    path: str | Path,
    n_rows: int = 1_000_000,
    *,
    n_partitions: int = 10,
    seed: int = 0,
) -> Path:
    """Write a large penguin-like dataset as Parquet files, to be scored in batch.

    Rows are drawn with replacement from the Palmer penguins, and every numeric feature is
    moved by a small Gaussian jitter (3% of its standard deviation) and rounded as in the
    original data, so rows are new but realistic. Missing values stay missing, at the rate of
    the real data.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder, created if needed; files ``part-00000.parquet``, ... are written in it.
        Existing ``part-*.parquet`` files there are removed first.
    n_rows : int, default=1_000_000
        Rows in all.
    n_partitions : int, default=10
        Files; each holds ``n_rows / n_partitions`` rows (100,000 by default).
    seed : int, default=0
        Seed of the sampling and the jitter.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    ValueError
        If ``n_partitions`` is not between 1 and ``n_rows``.

    Examples
    --------
    >>> folder = make_scoring_dataset("penguins", 1_000, n_partitions=4)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())[0]  # doctest: +SKIP
    'part-00000.parquet'
    """
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins

    if not 1 <= n_partitions <= n_rows:
        raise ValueError(f"n_partitions must be between 1 and n_rows, got {n_partitions}.")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    penguins = load_penguins()[PENGUIN_FEATURES]
    numeric = penguins.select_dtypes("number").columns
    scale = penguins[numeric].std() * _JITTER
    decimals = {"bill_length_mm": 1, "bill_depth_mm": 1, "flipper_length_mm": 0, "body_mass_g": 0}
    rng = np.random.default_rng(seed)
    for i, rows in enumerate(np.array_split(np.arange(n_rows), n_partitions)):
        part = penguins.iloc[rng.integers(0, len(penguins), size=len(rows))].reset_index(drop=True)
        noise = rng.normal(size=(len(part), len(numeric))) * scale.to_numpy()
        part[numeric] = (part[numeric] + noise).round(decimals)
        part.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return folder
