"""Rebuild boundaries/districts.geojson: the first shipped district polygons.

Each district here is a circle defined by a published description ("one mile around ...").
The centre is taken from the named landmark's published coordinates (WGS 84), the circle is
buffered in British National Grid (EPSG:27700, metres, 256 segments per circle), and the result
is written as RFC 7946 GeoJSON (EPSG:4326). Run: python boundaries/build_districts.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

MILE_M = 1609.344
DISTRICTS = [
    {
        "id": "GD-LKQ",
        "name": "London Knowledge Quarter",
        "centre_name": "King's Cross station",
        "centre_lon": -0.1233,
        "centre_lat": 51.5322,
        "definition": "The Knowledge Quarter is defined as the area within a one-mile radius of King's Cross (Knowledge Quarter partnership).",
        "source": "Knowledge Quarter partnership, https://www.knowledgequarter.london/ (one-mile radius of King's Cross)",
    },
    {
        "id": "GD-CAM",
        "name": "Cambridge city core (1 mile of the Old Schools)",
        "centre_name": "Old Schools, University of Cambridge",
        "centre_lon": 0.1166,
        "centre_lat": 52.2053,
        "definition": "A one-mile circle around the University of Cambridge's Old Schools: a stand-in for the historic university core until the Districts issue draws the campuses.",
        "source": "geodistrict project definition; centre from the Old Schools' published coordinates",
    },
    {
        "id": "GD-MCR",
        "name": "Manchester Oxford Road (1 mile of Oxford Road station)",
        "centre_name": "Manchester Oxford Road station",
        "centre_lon": -2.2417,
        "centre_lat": 53.4742,
        "definition": "A one-mile circle around Manchester Oxford Road station: a stand-in for the Oxford Road Corridor (about 243 ha) until the Districts issue traces it.",
        "source": "geodistrict project definition; centre from the station's published coordinates",
    },
]


def build() -> gpd.GeoDataFrame:
    """The shipped districts as a GeoDataFrame in EPSG:4326."""
    centres = gpd.GeoSeries(
        gpd.points_from_xy(
            [d["centre_lon"] for d in DISTRICTS], [d["centre_lat"] for d in DISTRICTS]
        ),
        crs=4326,
    ).to_crs(27700)
    circles = centres.buffer(MILE_M, quad_segs=64)
    gdf = gpd.GeoDataFrame(
        [
            {
                **d,
                "radius_m": MILE_M,
                "method": "circle of the stated radius buffered in EPSG:27700 (256 segments)",
                "accuracy": "exact to the published definition; the definition itself is a radius, not a surveyed boundary",
                "licence": "CC0 (geodistrict project geometry)",
                "attribution": "geodistrict project; centres from published coordinates",
                "vintage": "2026",
            }
            for d in DISTRICTS
        ],
        geometry=circles.to_crs(4326).values,
        crs=4326,
    )
    return gdf


if __name__ == "__main__":
    out = Path(__file__).with_name("districts.geojson")
    g = build()
    g.to_file(out, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7, RFC7946="YES")
    print(f"wrote {out} ({len(g)} districts)")
