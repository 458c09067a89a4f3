"""Scale: national point layers on one machine, and the same pipeline on a Dask cluster.

When to use which
-----------------
* **One machine, in memory (the default).** :func:`geodistrict.metrics.profile`,
  :func:`geodistrict.clusters.kde.kde` and :func:`geodistrict.clusters.grids.count_points`
  hold a layer as two coordinate arrays and join it through a rasterised look-up table
  (:class:`geodistrict.join.grid.PolygonGrid`): all 2.7 M UK postcodes meet the 38 LEPs in about
  0.05 s (0.03 s once the table is built) and ``geodistrict profile`` runs in about 2 s and
  under 2 GB. Use it whenever the points fit in memory (16 bytes a point, plus their
  attributes): up to some tens of millions of points on a laptop.
* **Dask (``--cluster local`` or ``--cluster tcp://HOST:PORT``).** For layers larger than
  memory, layers already stored as partitioned GeoParquet, or a cluster of machines. The
  points are split into spatially compact partitions (ordered along a Hilbert curve over
  their metric coordinates) and stored as GeoParquet (native point encoding, one file a
  partition); every partition is read and processed by one task, and the tasks' results are
  combined exactly: integer counts are summed; the kernel-density binning is merged so that
  every binned cell is summed in the same order as on one machine (bit-identical surfaces).
  The boundaries go to each worker once. On one 2-core machine the Dask path is slower than
  the in-memory one for anything that fits in memory (process start-up, file round trip);
  it pays off when memory, not cores, is the limit, or with more machines.

Nothing here imports Dask until a cluster is asked for: ``import geodistrict`` stays light.
Install the extra with ``pip install "geodistrict[scale]"``.

Exactness
---------
The Dask results equal the single-machine results: counts per boundary and per grid cell,
the accounting report (matched, multi, unmatched, snapped, checks), the distinct locations
per cell and the binned kernel-density grid are identical (the tests check this on ONS
postcodes). Sums of fractional weights (``--weight`` in a profile) may differ in the last
bits, as floating-point additions in another order do; integer weights are exact.

Faults
------
A task lost with its worker is run again on another worker: the scheduler allows
``distributed.scheduler.allowed-failures`` worker deaths per task (3 by default; set it with
``dask.config.set``), and a task that raises is retried :data:`RETRIES` times. What every
task shares (the boundaries, the grid, the KDE frame) is itself a task result, which the
scheduler recomputes if its worker dies (scattered data would be lost). Results are the
same, as every task is a pure function of its partition file.
"""

from ._common import dask_client
from ._grid import grid_counts_dask, hotspots_dask
from ._kde import kde_dask
from ._partitioned import PartitionedPoints, hilbert_distance, read_partitioned, write_partitioned
from ._profile import profile_dask

__all__ = [
    "PartitionedPoints",
    "dask_client",
    "grid_counts_dask",
    "hilbert_distance",
    "hotspots_dask",
    "kde_dask",
    "profile_dask",
    "read_partitioned",
    "write_partitioned",
]
