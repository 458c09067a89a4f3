"""Cluster analytics: density surfaces, grids, local statistics, point patterns, outlines.

Each submodule imports its heavy dependencies (scipy, esda, libpysal, pointpats, scikit-learn,
h3, rasterio) inside the functions that need them, so ``import geodistrict`` stays light.
"""
