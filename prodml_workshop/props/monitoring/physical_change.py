"""Concept drift from a physical change: salted roads freeze at a lower temperature.

A model learns when a road is icy from its surface temperature: below 0 °C, ice. Then the
city starts spreading salt. Brine freezes below 0 °C (freezing-point depression,
``ΔT = i · K_f · m``: van 't Hoff factor ``i`` = 2 for sodium chloride, water's cryoscopic
constant ``K_f`` = 1.86 K·kg/mol, ``m`` the salt's molality). The winter is the same, so the
temperatures the model sees do not drift at all, but the same temperature now comes with
another answer: concept drift, invisible to every statistic on the inputs.
:func:`freezing_point` gives the physics (the ideal dilute-solution law: a first
approximation), :func:`road_readings` a winter of readings.

The opposite case is a change of the measurement, not of the world: a sensor re-calibrated
(or replaced) reads every temperature a fixed offset higher. The roads freeze as before, but
the readings move: data drift, which the statistics on the inputs see (``sensor_offset_c``).

Examples
--------
>>> round(freezing_point(0.0), 2), round(freezing_point(1.5), 2)
(0.0, -5.58)
>>> readings = road_readings(1000, salt_mol_per_kg=1.5, seed=0)
>>> readings.columns.tolist()
['surface_temp_c', 'icy']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CRYOSCOPIC_CONSTANT", "freezing_point", "road_readings"]

#: Water's cryoscopic constant K_f, in K·kg/mol.
CRYOSCOPIC_CONSTANT = 1.86
# Sodium chloride splits into two ions: van 't Hoff factor 2.
_NACL_IONS = 2


def freezing_point(salt_mol_per_kg: float) -> float:
    """Return the freezing point of salted water in °C (ideal freezing-point depression).

    Parameters
    ----------
    salt_mol_per_kg : float
        Molality of sodium chloride, in moles per kg of water (0: fresh water). The ideal law
        is a fair approximation up to about 2 mol/kg.

    Returns
    -------
    float
        ``-2 * 1.86 * salt_mol_per_kg``, in °C.

    Raises
    ------
    ValueError
        If the molality is negative.

    Examples
    --------
    >>> freezing_point(1.0)
    -3.72
    """
    if salt_mol_per_kg < 0:
        raise ValueError(f"salt_mol_per_kg must be 0 or more, not {salt_mol_per_kg}.")
    return 0.0 - _NACL_IONS * CRYOSCOPIC_CONSTANT * salt_mol_per_kg  # 0.0, not -0.0


def road_readings(
    n: int,
    *,
    salt_mol_per_kg: float = 0.0,
    mean_c: float = -1.0,
    spread_c: float = 4.0,
    sensor_offset_c: float = 0.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Draw a winter of road-surface temperatures and whether the road was icy.

    Parameters
    ----------
    n : int
        Number of readings.
    salt_mol_per_kg : float, default=0.0
        Salt on the road (see :func:`freezing_point`); 0 for an unsalted road.
    mean_c, spread_c : float, default=-1.0, 4.0
        Mean and standard deviation of the surface temperature, in °C: the same winter
        whatever the salt.
    sensor_offset_c : float, default=0.0
        What the sensor adds to every reading, in °C: a calibration change. The roads freeze
        as before; only the readings move.
    seed : int or None, default=0
        Seed of the random generator.

    Returns
    -------
    pandas.DataFrame
        ``surface_temp_c`` (float, the sensor's reading) and ``icy`` ("ice" or "clear"): ice
        when the surface is below the freezing point; the reading is the surface temperature
        plus 0.3 °C of sensor noise and ``sensor_offset_c``.

    Examples
    --------
    >>> fresh = road_readings(5000, seed=1)
    >>> salted = road_readings(5000, salt_mol_per_kg=1.5, seed=1)
    >>> bool((fresh["icy"] == "ice").mean() > (salted["icy"] == "ice").mean())
    True
    """
    rng = np.random.default_rng(seed)
    surface = rng.normal(mean_c, spread_c, n)
    sensed = surface + rng.normal(0.0, 0.3, n) + sensor_offset_c  # the label: the true surface
    icy = np.where(surface < freezing_point(salt_mol_per_kg), "ice", "clear")
    return pd.DataFrame({"surface_temp_c": sensed, "icy": icy})
