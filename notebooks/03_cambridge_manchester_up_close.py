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
# # Cambridge and Manchester up close
#
# Two of the UK's innovation places at street scale: where do the city's postcodes cluster,
# how strongly (Ripley's L inside the real city boundary, not a bounding box), how does a
# detected cluster compare with a district boundary, and does the postcode-density raster
# agree with the point count?
#
# Sources: ONS Postcode Directory (Nov 2025) and LAD May 2024 boundaries, OGL v3.0 (Contains
# OS data © Crown copyright and database right 2024); the derived 200 m postcode rasters in
# the datasets postcodes-200m-cambridge/-manchester; geodistrict's shipped district circles (CC0).

# %%

import numpy as np
import shapely

import geodistrict as gd
from geodistrict.clusters.outlines import compare_outline, dbscan_outlines, hdbscan_outlines
from geodistrict.clusters.ripley import ripley

lads = gd.read_boundaries("lad2024_lep21")  # datasets bundled with geodistrict
postcodes = gd.read_onspd("onspd")
laua = postcodes.attributes["laua"].astype("string")


def city(code: str) -> gd.PointLayer:
    """Postcodes whose own LAD code is ``code``."""
    keep = (laua == code).fillna(False).to_numpy()
    return gd.PointLayer(
        x=postcodes.x[keep], y=postcodes.y[keep], crs=postcodes.crs,
        attributes=postcodes.attributes.loc[keep].reset_index(drop=True), info=postcodes.info,
    )  # fmt: skip


manchester, cambridge = city("E08000003"), city("E07000008")
print(f"Manchester {len(manchester):,} postcodes, Cambridge {len(cambridge):,}")

# %% [markdown]
# ## Manchester: DBSCAN outlines (150 m, 30 postcodes)

# %%
man_lad = lads.data.loc[lads.data["id"] == "E08000003"]
res = dbscan_outlines(manchester, eps_m=150, min_points=30, within=man_lad)
print(res.report() if hasattr(res, "report") else res)
biggest = res.outlines.sort_values("points", ascending=False).iloc[0]
print(f"largest cluster: {biggest['points']:,} postcodes over {biggest['area_km2']:.2f} km²")

# %%
# every postcode is in exactly one cluster or in noise (or outside the city polygon)
labels = res.labels
assert len(labels) == len(manchester) and (labels >= -2).all()
assert (labels >= 0).sum() + (labels == -1).sum() + (labels == -2).sum() == len(manchester)
# the largest cluster covers the city centre: Oxford Road (E 384100 N 397200)
assert biggest.geometry.contains(shapely.Point(384_100, 397_200))

# %%
# compare with the shipped Oxford Road Corridor district (≈230 ha, traced)
districts = gd.read_boundaries("districts")
mcr = districts.data.loc[districts.data["id"] == "manchester-oxford-road"]
cmp = compare_outline(res.outlines.iloc[[res.outlines["points"].idxmax()]], mcr)
print({k: round(v, 3) for k, v in cmp.items() if isinstance(v, float)})
# The corridor is mostly university and hospital campus with few postcodes: the densest
# postcode cluster covers its northern, city-centre end only. Postcodes trace addresses, not
# jobs — a reminder to read the firms and jobs layers beside them.
assert 0.05 < cmp["district_covered_share"] < 0.6
assert shapely.contains_xy(
    res.outlines.geometry.iloc[res.outlines["points"].idxmax()], 383_800, 397_900
)  # St Peter's Square, the corridor's northern end

# %% [markdown]
# ## Cambridge: HDBSCAN, and Ripley's L inside the city boundary

# %%
cam_lad = lads.data.loc[lads.data["id"] == "E07000008"]
h = hdbscan_outlines(cambridge, min_cluster_size=60, within=cam_lad)
print(f"{len(h.outlines)} HDBSCAN clusters, {h.noise} noise postcodes")
assert len(h.outlines) >= 2

# %%
# distinct postcode locations (the directory stacks PO boxes on delivery offices)
xy = np.unique(np.column_stack([cambridge.x, cambridge.y]), axis=0)
rng = np.random.default_rng(1)
sample = xy[rng.choice(len(xy), size=min(800, len(xy)), replace=False)]
L = ripley(sample, cam_lad, function="L", distances_m=np.linspace(100, 3000, 15),
           envelopes=39, seed=1, window_crs="EPSG:27700")  # fmt: skip
print(L.summary())
# the verdict is the global test over 100 m - 3 km (maximum absolute deviation, 39
# simulations: p = 1/40 is the smallest attainable); the pointwise envelope only shows where
print(f"{L.verdict}: global p = {L.global_p:.3f}; above the pointwise envelope at",
      L.significant_clustering())  # fmt: skip
assert L.verdict == "clustered" and L.global_p <= 0.05  # postcodes cluster at these scales

# %% [markdown]
# ## The 200 m postcode raster against the point count

# %%
from geodistrict.zones import zonal_stats  # noqa: E402

cam_b = gd.prepare_boundaries(cam_lad)
z = zonal_stats(gd.datasets.path("postcodes-200m-cambridge"), cam_b, stats=("sum",), rule="centre")
raster_sum = float(z["sum"].iloc[0])
joined = gd.join_points(cambridge, cam_b).counts()[0]
print(f"raster sum {raster_sum:,.0f}; Cambridge postcodes inside the LAD polygon {joined:,}")
# the raster counts each cell whose centre is inside; the polygon counts each point: they
# differ only by the cells straddling the edge
assert abs(raster_sum - joined) / joined < 0.02
