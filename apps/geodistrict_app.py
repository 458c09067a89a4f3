"""Thin ``panel serve`` entry to the geodistrict app (the app is :mod:`geodistrict.app.pages`).

Usage::

    panel serve apps/geodistrict_app.py --warm --websocket-max-message-size 104857600

``geodistrict app`` (installed with the package) does the same without this file.
"""

from geodistrict.app.pages import TITLE, create_app

if __name__.startswith("bokeh"):
    create_app().servable(title=TITLE)
