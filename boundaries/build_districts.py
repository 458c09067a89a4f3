"""Rebuild geodistrict/data/districts.geojson: the district polygons geodistrict ships.

Run: python boundaries/build_districts.py

Every polygon is pure geometry from coordinates written in this script, except Melbourne City
North, which is derived from the City of Melbourne's CLUE small areas (see below). The output
is deterministic: the same inputs give the same file.

* Traced districts (22@ Barcelona, Medellín, Manchester Oxford Road, Newcastle Helix): rings of
  approximate street-intersection coordinates (lon/lat, WGS 84), each vertex named in a
  comment. They were estimated by hand, from memory of the published plans and of the cities'
  street grids; where a public layer was used to place a street (the Barcelona barris, the
  Medellín comunas and metro stops, ONS Postcode Directory centroids) it was read to *check*
  positions, never copied. Each feature's ``method`` names the streets followed and its
  ``accuracy`` says how far off the outline may be.
* Circles (London Knowledge Quarter, Cambridge city core): a centre buffered by one mile
  (1,609.344 m) in British National Grid (EPSG:27700) with 256 segments.
* Melbourne City North: the union of the CLUE small areas Carlton and Parkville, read from
  ``../shared/data`` (``GEODISTRICT_SHARED_DATA`` overrides the folder), dissolved and
  simplified to 5 m in EPSG:32755. When that file is missing, the previously built feature is
  kept from ``districts.geojson`` unchanged.

Output: RFC 7946 GeoJSON in EPSG:4326, coordinates rounded to 7 decimals (about 1 cm), every
geometry valid after rounding.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
import shapely.geometry

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "geodistrict" / "data" / "districts.geojson"  # package data: in the wheel
SHARED = Path(os.environ.get("GEODISTRICT_SHARED_DATA", HERE.parent.parent / "shared" / "data"))
CLUE = "melbourne/clue_small_areas/small-areas-for-census-of-land-use-and-employment-clue.shp"

MILE_M = 1609.344
DATE = "2026-11-27"  # when these outlines were drawn
PRECISION = 1e-7  # degrees: 7 decimals on disk
COLUMNS = [
    "id",
    "name",
    "city",
    "country",
    "published_area_ha",
    "source",
    "method",
    "accuracy",
    "date",
    "licence",
    "attribution",
    "vintage",
]

# ---------------------------------------------------------------------------------------------
# 22@ Barcelona. Cerdà-grid intersections, traced from memory of the MPGM 2000 plan. Positions
# were estimated on a model of the grid (133.3 m block pitch, street axis at a bearing of about
# 45.7° in UTM 31N); the grid's orientation and the lines of Av. Diagonal, Av. Meridiana,
# Carrer de Pere IV, Gran Via and the Rambla de Prim were checked against the Ajuntament's barri
# boundaries. Streets marked (≈) were placed by counting blocks and may be one block off.
BARCELONA_22AT = [
    (2.186953, 41.403893),  # Pl. de les Glòries Catalanes, where Av. Meridiana meets Av. Diagonal
    (2.186710, 41.393245),  # Av. Meridiana x Carrer de la Marina
    (2.189097, 41.391437),  # Carrer de la Marina x Carrer de Llull
    (2.202721, 41.401636),  # Carrer de Llull, one block south-west of the Rambla del Poblenou
    (2.199052, 41.404415),  # ... up that street to Carrer de Pere IV
    (2.200774, 41.406521),  # Carrer de Pere IV, one block north-east of the Rambla del Poblenou
    (2.204986, 41.403331),  # ... down that street to Carrer de Llull
    (2.209509, 41.406716),  # Carrer de Llull x Carrer de la Selva de Mar
    (2.206687, 41.408853),  # Carrer de la Selva de Mar x Av. Diagonal
    (2.204214, 41.410726),  # Carrer de la Selva de Mar x Carrer de Pere IV
    (2.210267, 41.418126),  # Carrer de Pere IV x Rambla de Prim
    (2.209541, 41.418676),  # Rambla de Prim, one block short of Gran Via
    (2.192536, 41.405951),  # ... that street x Carrer de la Ciutat de Granada (≈)
    (2.193183, 41.405461),  # Carrer de la Ciutat de Granada (≈) x Av. Diagonal
]

# Medellín Innovation District. Calle 67 (Barranquilla) and the Av. del Ferrocarril were placed
# with the Metro de Medellín stops (Ruta N, Hospital, Chagualo, Minorista) and the comuna 4/10
# boundary, which runs along Calle 67; numbered streets marked (≈) were counted at about 100 m
# a number from Calle 67 and from Hospital station and may be one or two numbers off.
MEDELLIN = [
    (-75.572960, 6.255475),  # Av. del Ferrocarril x Calle 58 (≈), by the Plaza Minorista
    (-75.568178, 6.264164),  # Av. del Ferrocarril x Calle 67 (Barranquilla), "Ruta N" stop
    (-75.568183, 6.268778),  # north, just west of Ruta N, to Calle 72 (≈)
    (-75.555979, 6.268791),  # Calle 72 (≈) x Carrera 46 (≈), taking in the west of San Pedro
    (-75.555974, 6.263815),  # Carrera 46 (≈) x Calle 67
    (-75.560946, 6.264082),  # Calle 67 x Carrera 50 (Palacé, ≈)
    (-75.562113, 6.256210),  # Carrera 50 (≈) x Calle 58 (≈)
]

# Manchester Oxford Road Corridor. Landmarks placed with ONS Postcode Directory centroids
# (Central Library M2 5PD, Oxford Road station M1 6FU, MMU All Saints M15 6BH, Manchester
# Royal Infirmary M13 9WL, the Whitworth M15 6ER ...); the edges between them are estimated.
MANCHESTER = [
    (-2.244655, 53.478114),  # St Peter's Square (Central Library)
    (-2.241036, 53.477582),  # Princess Street x Portland Street
    (-2.231233, 53.475804),  # London Road by Piccadilly station (Fairfield Street), north campus
    (-2.228203, 53.472664),  # London Road / Downing Street, south of the Mancunian Way
    (-2.225163, 53.467726),  # Upper Brook Street, by the Brunswick estate
    (-2.222878, 53.462787),  # Upper Brook Street x Hathersage Road
    (-2.219109, 53.462165),  # Hathersage Road, east end of the former Elizabeth Gaskell campus
    (-2.219852, 53.460096),  # ... its south-east corner
    (-2.227384, 53.460351),  # Hathersage Road x Oxford Road (the Whitworth, the Infirmary)
    (-2.227520, 53.457744),  # Oxford Road (Wilmslow Road) x Moss Lane East, south of Whitworth Park
    (-2.232644, 53.458274),  # Moss Lane East x Denmark Road, Whitworth Park's south-west corner
    (-2.237946, 53.463926),  # Denmark Road / Lloyd Street North x Higher Cambridge Street
    (-2.247743, 53.464985),  # west to the MMU Birley campus, Hulme
    (-2.247767, 53.469030),  # Birley campus, north-west corner
    (-2.242803, 53.470388),  # Cambridge Street
    (-2.244781, 53.473800),  # Cambridge Street x Whitworth Street West (Oxford Road station)
    (-2.246154, 53.476673),  # Lower Mosley Street
]

# Newcastle Helix: St James' Boulevard (east) and Barrack Road (north) placed where the NE1
# and NE4 postcode centroids meet; the south and west edges are estimated.
NEWCASTLE_HELIX = [
    (-1.626436, 54.974809),  # Barrack Road, west end of the site
    (-1.622458, 54.974213),  # Barrack Road x St James' Boulevard
    (-1.622019, 54.971021),  # St James' Boulevard, south end of the site
    (-1.626469, 54.971304),  # south-west corner of the site
]

KINGS_CROSS = (-0.1233, 51.5322)  # King's Cross station (lon, lat)
OLD_SCHOOLS = (0.1166, 52.2053)  # Old Schools, University of Cambridge (lon, lat)

PROJECT_LICENCE = "CC0 (geodistrict project geometry)"


def _ring(coords: list[tuple[float, float]]) -> shapely.Polygon:
    poly = shapely.Polygon(coords)
    if not poly.is_valid:
        raise ValueError(
            f"ring starting at {coords[0]} is invalid: {shapely.is_valid_reason(poly)}"
        )
    return poly


def _circle(lon: float, lat: float, radius_m: float) -> Any:
    """A circle of ``radius_m`` buffered in EPSG:27700 with 256 segments, as lon/lat."""
    centre = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(27700)
    return centre.buffer(radius_m, quad_segs=64).to_crs(4326).iloc[0]


def _dbf_date(shp: Path) -> str | None:
    """The last-update date stored in a shapefile's .dbf header (YYYY-MM-DD)."""
    dbf = shp.with_suffix(".dbf")
    if not dbf.exists():
        return None
    yy, mm, dd = struct.unpack("<3B", dbf.read_bytes()[1:4])
    return f"{1900 + yy:04d}-{mm:02d}-{dd:02d}"


def melbourne_city_north() -> dict[str, Any]:
    """City North = CLUE Carlton + Parkville, from the shared data or the previous build."""
    shp = SHARED / CLUE
    if not shp.exists():
        # read as plain JSON so that properties come back exactly as written (no date parsing)
        prev = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
        for feat in prev.get("features", []):
            if feat["properties"].get("id") == "melbourne-city-north":
                print(
                    f"{shp} not found: keeping the Melbourne City North polygon of {OUT.name}",
                    file=sys.stderr,
                )
                props = feat["properties"]
                return {
                    **{c: props.get(c) for c in COLUMNS},
                    "geometry": shapely.geometry.shape(feat["geometry"]),
                }
        raise SystemExit(
            f"{shp} not found and {OUT.name} holds no melbourne-city-north feature: set "
            "GEODISTRICT_SHARED_DATA to the folder that holds melbourne/clue_small_areas/."
        )
    clue = gpd.read_file(shp, engine="pyogrio")
    parts = clue[clue["featurenam"].isin(["Carlton", "Parkville"])]
    if sorted(parts["featurenam"]) != ["Carlton", "Parkville"]:
        raise SystemExit(f"{shp}: expected one Carlton and one Parkville small area (featurenam).")
    metric = parts.to_crs(32755)
    union = shapely.union_all(shapely.make_valid(metric.geometry.values))
    simple = shapely.simplify(union, 5.0, preserve_topology=True)
    change = (simple.area - union.area) / union.area
    geom = gpd.GeoSeries([simple], crs=32755).to_crs(4326).iloc[0]
    exported = _dbf_date(shp)
    return {
        "id": "melbourne-city-north",
        "name": "Melbourne City North (Carlton + Parkville)",
        "city": "Melbourne",
        "country": "Australia",
        "published_area_ha": None,
        "source": (
            "City of Melbourne Open Data, 'Small areas for Census of Land Use and Employment "
            "(CLUE)': the small areas Carlton and Parkville, which hold the City North precinct "
            "of the Melbourne Innovation Districts (University of Melbourne, RMIT, City of Melbourne)"
        ),
        "method": (
            "Union of the CLUE small areas Carlton and Parkville (featurenam), dissolved and "
            "simplified to 5 m (topology-preserving Douglas-Peucker) in EPSG:32755, written in "
            "EPSG:4326; a derived polygon, rebuilt by boundaries/build_districts.py from the "
            "CLUE shapefile"
        ),
        "accuracy": (
            f"Exact to the CLUE small areas up to the 5 m simplification (area change "
            f"{change:+.2%}). City North has no separately published boundary: the CLUE small "
            "areas follow CLUE block edges, so the district is the two suburbs, not a precinct "
            "line. {measured}"
        ),
        "date": DATE,
        "licence": "CC BY 4.0",
        "attribution": "City of Melbourne Open Data, CC BY 4.0",
        "vintage": exported[:4] if exported else None,
        "geometry": geom,
    }


def traced_districts() -> list[dict[str, Any]]:
    """The districts drawn from coordinates in this script (order as shipped)."""
    return [
        {
            "id": "22at-barcelona",
            "name": "22@Barcelona (Poblenou)",
            "city": "Barcelona",
            "country": "Spain",
            "published_area_ha": 198.26,
            "source": (
                "Ajuntament de Barcelona, 'Modificació del PGM per a la renovació de les zones "
                "industrials del Poblenou - districte d'activitats 22@BCN' (2000): 198.26 ha, "
                "115 blocks, a discontinuous area between Gran Via and the Ronda del Litoral and "
                "between the Vila Olímpica (Carrer de la Marina) and the Rambla de Prim; "
                "https://ajuntament.barcelona.cat/digital/ca/22barcelona"
            ),
            "method": (
                "Traced by hand from memory of the MPGM 2000 plan map, clockwise along streets: "
                "Pl. de les Glòries Catalanes - Av. Meridiana (south-west) - Carrer de la Marina "
                "(south-east) - Carrer de Llull (north-east) with a notch one block either side of "
                "the Rambla del Poblenou up to Carrer de Pere IV (the residential core) - Carrer de "
                "la Selva de Mar (north-west, across Av. Diagonal) - Carrer de Pere IV (north-east) "
                "- Rambla de Prim (north-west) - the street one block below Gran Via (south-west, "
                "leaving out the blocks fronting Gran Via) - Carrer de la Ciutat de Granada (≈) - "
                "Av. Diagonal back to Glòries. Intersections estimated on a model of the Cerdà "
                "grid (133.3 m pitch, axis bearing about 45.7° in UTM 31N) whose orientation and "
                "the lines of Av. Diagonal, Av. Meridiana and Carrer de Pere IV were checked "
                "against the Ajuntament's barri boundaries"
            ),
            "accuracy": (
                "Approximate: edges within about one to two blocks (130-270 m) of the plan's. "
                "The plan area is discontinuous (existing housing blocks are excluded); this "
                "single outline stands in for it with two exclusions, so block-level counts are "
                "unreliable. {measured} Streets marked (≈) were placed by counting blocks and may "
                "be one block off. About 1 % of the outline lies outside the five Poblenou barris "
                "(66, 67, 68, 69, 71)."
            ),
            "date": DATE,
            "licence": "CC BY 4.0",
            "attribution": (
                "geodistrict project; street lines checked against Ajuntament de Barcelona / "
                "CartoBCN barris, CC BY 4.0"
            ),
            "vintage": "2000",
            "geometry": _ring(BARCELONA_22AT),
        },
        {
            "id": "medellin-innovation-district",
            "name": "Medellín Innovation District (Distrito de Innovación)",
            "city": "Medellín",
            "country": "Colombia",
            "published_area_ha": 168.0,
            "source": (
                "Alcaldía de Medellín, Plan de Ordenamiento Territorial (Acuerdo 48 de 2014): the "
                "Distrito de Innovación, 168 ha around Ruta N (Calle 67 #52-20) in the barrios "
                "Chagualo, Jesús Nazareno, Sevilla and part of San Pedro (an earlier version "
                "covered 114 ha); led by Ruta N"
            ),
            "method": (
                "Traced by hand along streets, clockwise: Av. del Ferrocarril from the Plaza "
                "Minorista (Calle 58, ≈) north-east to Calle 67 (Barranquilla) at the Metroplús "
                "'Ruta N' stop - north, just west of Ruta N, to Calle 72 (≈) - east along Calle 72 "
                "(≈) to Carrera 46 (≈) through Sevilla and the west of San Pedro - south to Calle "
                "67 - west along Calle 67 to Carrera 50 (Palacé, ≈) - south along Carrera 50 (≈) "
                "through Jesús Nazareno to Calle 58 (≈) - west along Calle 58 (≈) through Chagualo "
                "to the Av. del Ferrocarril. Calle 67 and the Av. del Ferrocarril placed with the "
                "Metro de Medellín stops and the comuna 4/10 boundary (checked, not copied)"
            ),
            "accuracy": (
                "Approximate: the POT polygon was not available; edges likely within 100-200 m "
                "of the plan's, numbered streets marked (≈) may be one or two numbers off. "
                "{measured} North of Calle 67 lies in comuna 4 (Aranjuez), south of it in comuna "
                "10 (La Candelaria)."
            ),
            "date": DATE,
            "licence": PROJECT_LICENCE,
            "attribution": (
                "geodistrict project; street positions checked against Alcaldía de Medellín, "
                "GeoMedellín open data (comunas, metro stations)"
            ),
            "vintage": "2014",
            "geometry": _ring(MEDELLIN),
        },
        melbourne_city_north(),
        {
            "id": "manchester-oxford-road",
            "name": "Manchester Oxford Road Corridor",
            "city": "Manchester",
            "country": "United Kingdom",
            "published_area_ha": 243.0,
            "source": (
                "Oxford Road Corridor partnership, 'Oxford Road Corridor: facts and figures' "
                "(243 ha; https://oxfordroadcorridor.com); extent as described for the Oxford Road "
                "Strategic Development Framework (2007, 595 acres): from St Peter's Square in the "
                "north to Whitworth Park in the south, between Cambridge Street and Upper Brook "
                "Street"
            ),
            "method": (
                "Traced by hand along streets, clockwise: St Peter's Square - Princess Street / "
                "Portland Street - London Road by Piccadilly (taking in the University of "
                "Manchester's north campus) - London Road / Downing Street - Upper Brook Street "
                "south to Hathersage Road - the former Elizabeth Gaskell campus - Hathersage Road "
                "west to Oxford Road (Manchester Royal Infirmary, the Whitworth) - Oxford Road / "
                "Wilmslow Road south to Moss Lane East - Whitworth Park (Moss Lane East, Denmark "
                "Road) - Lloyd Street North / Higher Cambridge Street - west to the MMU Birley "
                "campus (Hulme) - Cambridge Street - Whitworth Street West - Lower Mosley Street "
                "back to St Peter's Square. Landmarks placed with ONS Postcode Directory centroids"
            ),
            "accuracy": (
                "Approximate: edges likely within 50-150 m of the partnership's line, which was "
                "not available; the Birley campus, north campus and Elizabeth Gaskell campus "
                "extensions follow later descriptions of the corridor and may differ from the "
                "243 ha figure's extent. {measured}"
            ),
            "date": DATE,
            "licence": PROJECT_LICENCE,
            "attribution": (
                "geodistrict project; landmarks placed with the ONS Postcode Directory (Source: "
                "Office for National Statistics licensed under the Open Government Licence v3.0. "
                "Contains OS data © Crown copyright and database right)"
            ),
            "vintage": "2019",
            "geometry": _ring(MANCHESTER),
        },
        {
            "id": "cambridge",
            "name": "Cambridge city core (1 mile of the Old Schools)",
            "city": "Cambridge",
            "country": "United Kingdom",
            "published_area_ha": None,
            "source": (
                "geodistrict project definition: Cambridge publishes no innovation-district "
                "boundary (its cluster is city-wide); centre: the University of Cambridge's Old "
                "Schools"
            ),
            "method": (
                "Circle of one mile (1,609.344 m) around the Old Schools (0.1166, 52.2053), "
                "buffered in EPSG:27700 with 256 segments, written in EPSG:4326"
            ),
            "accuracy": (
                "Exact to its project definition; a stand-in for the historic university core, "
                "not a published district. Chosen over a traced Cambridge Biomedical Campus "
                "(about 70 ha): without the campus's published outline, a tracing from memory "
                "would be off by about 100 m along each edge, a quarter of its area, worse than "
                "a clearly labelled stand-in. {measured}"
            ),
            "date": DATE,
            "licence": PROJECT_LICENCE,
            "attribution": "geodistrict project",
            "vintage": "2026",
            "geometry": _circle(*OLD_SCHOOLS, MILE_M),
        },
        {
            "id": "newcastle-helix",
            "name": "Newcastle Helix",
            "city": "Newcastle upon Tyne",
            "country": "United Kingdom",
            "published_area_ha": 9.71,
            "source": (
                "Newcastle Helix (Newcastle City Council, Newcastle University, Legal & General): "
                "the 24-acre (9.71 ha) site of the former Scottish & Newcastle Tyne Brewery, "
                "with St James' Boulevard on its east side and Barrack Road on its north side; "
                "https://newcastlehelix.com"
            ),
            "method": (
                "Traced by hand: Barrack Road (north) - St James' Boulevard (east) - the site's "
                "southern edge - its western edge. The Boulevard and Barrack Road placed where "
                "the NE1 (city centre) and NE4 (Helix) postcode centroids of the ONS Postcode "
                "Directory meet; the on-site postcodes (NE4 5TG, NE4 5TF, NE4 5BX, NE4 5BZ, "
                "NE4 5TR) lie inside"
            ),
            "accuracy": (
                "Approximate quadrilateral: the east and north edges placed from postcode "
                "centroids (perhaps 30-50 m off), the south and west edges estimated (perhaps "
                "50-100 m off). {measured}"
            ),
            "date": DATE,
            "licence": PROJECT_LICENCE,
            "attribution": (
                "geodistrict project; positions checked with the ONS Postcode Directory (OGL v3; "
                "contains OS data © Crown copyright and database right)"
            ),
            "vintage": "2019",
            "geometry": _ring(NEWCASTLE_HELIX),
        },
        {
            "id": "london-knowledge-quarter",
            "name": "London Knowledge Quarter",
            "city": "London",
            "country": "United Kingdom",
            "published_area_ha": None,
            "source": (
                "Knowledge Quarter partnership, https://www.knowledgequarter.london/: 'the area "
                "within a one-mile radius of King's Cross'"
            ),
            "method": (
                "Circle of one mile (1,609.344 m) around King's Cross station (-0.1233, 51.5322), "
                "buffered in EPSG:27700 with 256 segments, written in EPSG:4326"
            ),
            "accuracy": (
                "Exact to the published definition (a radius, not a surveyed boundary); the "
                "256-gon falls short of the circle's area by 0.01 %. {measured}"
            ),
            "date": DATE,
            "licence": PROJECT_LICENCE,
            "attribution": "geodistrict project; centre from published coordinates",
            "vintage": "2026",
            "geometry": _circle(*KINGS_CROSS, MILE_M),
        },
    ]


def local_epsg(geom: Any, country: str) -> int:
    """EPSG code of the metric CRS an area is measured in: BNG in the UK, else the UTM zone."""
    if country == "United Kingdom":
        return 27700
    c = geom.centroid
    zone = int((c.x + 180.0) // 6.0) % 60 + 1
    return (32600 if c.y >= 0 else 32700) + zone


def area_ha(geom: Any, epsg: int) -> float:
    """Planar area of a lon/lat geometry in hectares, measured in ``epsg``."""
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(epsg).area.iloc[0]) / 1e4


def _published(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def build() -> gpd.GeoDataFrame:
    """The shipped districts as a GeoDataFrame in EPSG:4326, rounded to 7 decimals.

    ``{measured}`` in an ``accuracy`` text is replaced by the area measured here (in the local
    metric CRS) and its gap to the published area.
    """
    rows = traced_districts()
    # pointwise rounding keeps each ring's vertex order (a kept polygon is written back as read)
    geom = shapely.set_precision([r["geometry"] for r in rows], PRECISION, mode="pointwise")
    for r, g in zip(rows, geom, strict=True):
        if not g.is_valid or g.is_empty or g.geom_type != "Polygon":
            raise SystemExit(f"{r['id']}: not a valid polygon after rounding to 7 decimals")
        epsg = local_epsg(g, r["country"])
        ha = area_ha(g, epsg)
        pub = _published(r["published_area_ha"])
        measured = f"Area measured in EPSG:{epsg}: {ha:.1f} ha"
        if pub is not None:
            measured += f" against {pub:g} ha published ({ha / pub - 1:+.1%})."
        else:
            measured += "."
        r["accuracy"] = str(r["accuracy"]).replace("{measured}", measured)
        r["published_area_ha"] = pub
    gdf = gpd.GeoDataFrame(
        [{c: r[c] for c in COLUMNS} for r in rows], geometry=list(geom), crs=4326
    )
    if gdf["id"].duplicated().any():
        raise SystemExit("district ids must be unique")
    return gdf


def main() -> None:
    """Write boundaries/districts.geojson and print each district's area."""
    g = build()
    g.to_file(OUT, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7, RFC7946="YES")
    for _, row in g.iterrows():
        epsg = local_epsg(row.geometry, row["country"])
        ha = area_ha(row.geometry, epsg)
        pub = row["published_area_ha"]
        vs = f", published {pub:g} ha ({ha / pub - 1:+.1%})" if _published(pub) else ""
        print(f"{row['id']:30s} {ha:8.1f} ha in EPSG:{epsg}{vs}")
    print(f"wrote {OUT} ({len(g)} districts)")


if __name__ == "__main__":
    main()
