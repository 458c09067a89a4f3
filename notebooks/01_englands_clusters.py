# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Where are England's clusters?
#
# Activity leaves a trace in the postcode map: every address cluster gets a postcode. Here the
# 2.7 M postcode centroids of the ONS Postcode Directory (Nov 2025) and the 166
# higher-education providers are turned into density surfaces in metres (binned kernel
# density, not a browser heatmap) and into Getis–Ord Gi* hot spots on a 5 km grid with the
# false discovery rate controlled, then summarised per LEP (May 2021).
#
# Sources: ONS Postcode Directory and LEP boundaries, OGL v3.0 (Contains OS data © Crown
# copyright and database right 2024); UKRLP learning providers, OGL v3.0.

# %%
import os
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

import geodistrict as gd
from geodistrict.clusters.kde import kde
from geodistrict.clusters.local import hotspots

OUT = Path(os.environ.get("GEODISTRICT_NOTEBOOK_OUT", "."))
leps = gd.read_boundaries("lep2021")  # a dataset bundled with geodistrict (geodistrict datasets list)
postcodes = gd.read_onspd("onspd:E")
unis = gd.read_points("learning-providers", name="universities")
print(f"{len(postcodes):,} English postcodes with a grid reference; {len(unis)} universities placed")

# %% [markdown]
# ## Density of postcodes: 5 km quartic kernel on the default 625 m cells
#
# The default cell is an eighth of the bandwidth: the grid then lowers a peak by about 1 %
# (at 1 km cells, 2.7 %; at half the bandwidth, 17 %).

# %%
surface = kde(postcodes, bandwidth_m=5000, kernel="quartic", within=leps)
print(surface.edge)
print(f"integral {surface.integral():,.0f} of {surface.n_points:,} points")
assert abs(surface.integral() - surface.n_points) / surface.n_points < 0.01
surface.to_geotiff(OUT / "england_postcode_density.tif")

# %%
level = surface.top_share_level(0.01)
top = surface.contours({"top 1 %": level})
top = top.sort_values("area_km2", ascending=False).reset_index(drop=True)
print(f"top 1 % of cells: density >= {level:,.0f} postcodes per km²")
top[["label", "level", "area_km2", "points"]].head()

# %%
# the largest top-1 % patch is central London (Trafalgar Square, E 530000 N 180400)
trafalgar = shapely.Point(530_000, 180_400)
assert top.geometry.iloc[0].contains(trafalgar)
# the patches also include the other big city cores, e.g. Manchester and Birmingham
for name, xy in {"Manchester": (383_800, 398_000), "Birmingham": (406_800, 286_800)}.items():
    assert top.geometry.contains(shapely.Point(*xy)).any(), name

# %% [markdown]
# ## Hot spots: Gi* on a 5 km grid, Benjamini–Hochberg FDR 5 %
#
# The statistic is computed on distinct postcode locations per cell: the directory stacks
# hundreds of PO-box and large-user postcodes on single delivery offices, which would
# otherwise dominate the variance.

# %%
cells = hotspots(postcodes, within=leps, cell_m=5000, statistic="gi", value="locations")
rep = cells.attrs["hotspots"]
print({k: rep[k] for k in ("n_tests", "p_threshold", "correction") if k in rep})
assert rep["n_tests"] == len(cells)
print(cells["hot_cold"].value_counts())

# %%
# hot cells per LEP (a cell counts in the LEP holding its centre)
centres = cells.geometry.centroid
assign = gd.assign_points(centres.x.to_numpy(), centres.y.to_numpy(), leps.metric).sorted()
per_lep = pd.DataFrame({"lep": leps.names[assign.polygon], "hot": cells["hot_cold"].to_numpy()[assign.point] == "hot"})
share = per_lep.groupby("lep")["hot"].agg(["sum", "mean"]).rename(columns={"sum": "hot_cells", "mean": "hot_share"})
share = share.sort_values("hot_cells", ascending=False)
share.head(10)

# %%
assert share.index[0] == "London"
assert share.loc["London", "hot_share"] > 0.5
# a rural LEP has few or no hot cells
assert share.loc["Cornwall and Isles of Scilly", "hot_share"] < 0.1

# %% [markdown]
# ## Universities: where is higher education densest?

# %%
uni_surface = kde(unis, bandwidth_m=10_000, cell_m=1000, within=leps)
peak = np.unravel_index(np.nanargmax(uni_surface.array), uni_surface.array.shape)
px, py = uni_surface.transform * (peak[1] + 0.5, peak[0] + 0.5)
peak_lep = leps.names[gd.assign_points(np.array([px]), np.array([py]), leps.metric).polygon]
print(f"peak {np.nanmax(uni_surface.array):.2f} universities per km² at E {px:.0f} N {py:.0f} ({peak_lep})")
assert list(peak_lep) == ["London"]
