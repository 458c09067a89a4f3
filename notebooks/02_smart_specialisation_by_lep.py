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
# # Smart specialisation by LEP
#
# The Smart Specialisation Hub profiled the innovation strengths of all 38 Local Enterprise
# Partnerships. Its core measure is the **location quotient**: a sector's share of a place's
# enterprises divided by its share nationally. Here we compute it from the UK Business Counts
# (Nomis, ONS; enterprises by SIC 2007 broad industry group, 2022) for the 38 LEPs against
# England, list each LEP's top specialisms and chart a few.
#
# A *specialism* here is an LQ of at least 1.25 backed by at least 100 enterprises. Counts are
# enterprises, not jobs: a sector of few, large firms (public administration) can show a high
# LQ from a few hundred units.
#
# Source: ONS UK Business Counts via Nomis, Crown Copyright, Open Government Licence v3.0.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

from geodistrict import read_nomis
from geodistrict.metrics.specialisation import (
    location_quotients,
    nomis_sector_counts,
    specialisation_indices,
    specialisms,
)

OUT = Path(os.environ.get("GEODISTRICT_NOTEBOOK_OUT", "."))
# a dataset bundled with geodistrict (geodistrict datasets info ubc-industry-2022)
table = read_nomis("ubc-industry-2022")
table

# %% [markdown]
# ## Location quotients, 2022, against England

# %%
counts, england = nomis_sector_counts(table, geography_type="lep", year=2022)
lq = location_quotients(counts, reference=england)
print(f"{lq['area'].nunique()} LEPs x {lq['sector'].nunique()} sectors")
lq.head()

# %%
# every LQ row carries the counts behind it
assert lq["area"].nunique() == 38
assert lq[["count", "area_total", "reference_count", "reference_total"]].notna().all().all()
assert (lq["reference_total"] == england.sum()).all()

# %% [markdown]
# ## Top specialisms of each LEP

# %%
top = specialisms(lq, min_lq=1.25, min_count=100)
best = top.groupby("area").head(3)
best[["area", "sector", "sector_label", "count", "lq"]].head(30)

# %%
london = top[top["area"] == "London"].reset_index(drop=True)
print(london[["sector", "sector_label", "count", "lq"]])
# London's leading specialism is Information & communication (J), ahead of professional
# services (M) and finance (K)
assert london.loc[0, "sector"] == "J"
assert {"J", "M", "K"} <= set(london["sector"].head(3))
tvb = top[top["area"] == "Thames Valley Berkshire"]
assert tvb.iloc[0]["sector"] == "J" and tvb.iloc[0]["lq"] > 2

# %% [markdown]
# ## How specialised, how diverse
#
# The Krugman index sums the absolute differences between a LEP's sector shares and
# England's (0 = the same mix); Shannon entropy measures diversity.

# %%
idx = specialisation_indices(lq).sort_values("krugman", ascending=False)
idx[["area", "area_total", "krugman", "hhi", "shannon", "n_specialisms", "top_specialisms"]].head(10)

# %%
assert idx["krugman"].between(0, 2).all()
# London's mix differs from England's more than most LEPs' do
assert idx.reset_index(drop=True).index[idx["area"].to_numpy() == "London"][0] < 10

# %%
pick = ["London", "Thames Valley Berkshire", "Greater Cambridge and Greater Peterborough",
        "Greater Manchester", "Cornwall and Isles of Scilly"]  # fmt: skip
wide = lq[lq["area"].isin(pick)].pivot(index="sector", columns="area", values="lq")
ax = wide.plot.barh(figsize=(8, 9), width=0.8)
ax.axvline(1.0, color="k", lw=0.8)
ax.axvline(1.25, color="grey", lw=0.8, ls="--")
ax.set_xlabel("location quotient (enterprises, 2022, against England)")
ax.set_title("Sector specialisation of five LEPs")
ax.figure.text(0.01, 0.005, "Source: ONS UK Business Counts (Nomis), OGL v3.0", fontsize=7)
ax.figure.tight_layout()
ax.figure.savefig(OUT / "lq_five_leps.png", dpi=100)
assert (OUT / "lq_five_leps.png").stat().st_size > 10_000
plt.show()
