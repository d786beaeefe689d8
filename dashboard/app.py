"""The dashboard app: three pages (Explore, Compare, Results) as Solara routes.

Served by `python run.py dashboard` (dashboard/serve.py), or `solara run dashboard.app`.
"""

from __future__ import annotations

import solara

from dashboard.compare import ComparePage
from dashboard.explore import ExplorePage
from dashboard.results import ResultsPage
from dashboard.session import SESSION, use_new_session

# The settings in the sidebar: each label on its own line above its slider, and the
# slider's value always shown on its handle (Mesa's inputs show it only while dragging).
CSS = """
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-input__slot > .v-label {
    flex: 1 0 100%; white-space: normal; height: auto; line-height: 1.25;
    font-size: 0.85em; margin: 0 0 36px 0 !important; }
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.v-navigation-drawer .v-slider__thumb-label { display: flex !important; }
.v-navigation-drawer .v-slider__thumb-label > div { font-size: 11px; }
.live-figure, .live-figure img { width: 100%; height: auto; }
.results-table table { border-collapse: collapse; font-size: 0.9em; }
.results-table td:first-child, .results-table th:first-child {
    min-width: 18em; text-align: left !important; }
.results-table td, .results-table th { border: 1px solid #ddd; padding: 3px 6px; }
.value-table td:first-child, .value-table th:first-child {
    min-width: 3em; text-align: right !important; }
.value-table td:nth-child(2), .value-table td:nth-child(6),
.value-table th:nth-child(2), .value-table th:nth-child(6) { text-align: left !important; }
.value-table td:nth-child(2) { min-width: 16em; }
.value-table td:nth-child(6) { min-width: 18em; }
"""


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's layout signature)
    """Solara's app layout, with the pages' tabs named by their labels, and the browser
    session's state: the layout lives as long as the session, the pages only while shown."""
    SESSION.provide(use_new_session())
    route, all_routes = solara.use_route()
    router = solara.use_router()
    index = all_routes.index(route) if route in all_routes else 0
    paths = [solara.resolve_path(r, level=0) for r in all_routes]  # needs the render

    def go(i: int) -> None:
        router.push(paths[i])

    tabs = solara.lab.Tabs(value=index, on_value=go, align="center",
                           children=[solara.lab.Tab(r.label) for r in all_routes])
    bar = solara.AppBar(children=[tabs, solara.Style(CSS)])  # a style applies page-wide
    return solara.AppLayout(children=[bar, *children], title="SME alliance ecosystem")


# the root route's layout is every page's layout
routes = [
    solara.Route(path="/", component=ExplorePage, label="Explore", layout=Layout),
    solara.Route(path="compare", component=ComparePage, label="Compare"),
    solara.Route(path="results", component=ResultsPage, label="Results"),
]
