"""Charts and images that every reader can use: an accessible name, a one-sentence summary and a "Show the data" table
for each chart; alt text for each image; the error overlays' legend and their outline mode.

``chart(fig, name=..., summary=...)`` replaces ``st.plotly_chart(fig)``: the chart gets ``name`` and ``summary`` as its
accessible name (Streamlit's ``alt``), the summary shows below it, and an expander holds the figure's numbers as an HTML
table (:func:`lib.figures.tables.chart_table`). A swipe over the chart scrolls the page on a phone: dragging does not
zoom (the modebar's zoom still does) and the wheel never zooms. ``picture(...)`` is ``st.image`` with its alt
text required.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from lib.figures.palette import ERROR_NAMES, ERRORS, hex_colour
from lib.figures.tables import chart_table, outcome_counts
from lib.text import plain

# No zoom on a drag or the wheel (a phone's swipe scrolls the page instead); hover, the legend and fullscreen still work.
CONFIG = {"scrollZoom": False, "displaylogo": False,
          "modeBarButtonsToRemove": ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]}
MAX_ROWS = 200  # a table longer than this shows its first rows and says how many it left out


def chart(fig, *, name: str, summary: str, data: Sequence[dict] | None = None, key: str | None = None,
          target=None, **kwargs):
    """Draw ``fig`` with its accessible name, its one-sentence ``summary`` (shown below it) and a "Show the data"
    table (``data``: rows as dicts; by default the figure's own traces). ``target``: a column or container (default
    ``st``). Returns what ``st.plotly_chart`` returns."""
    target = target if target is not None else st
    selecting = kwargs.get("on_select") not in (None, "ignore")
    if fig.layout.dragmode is None and not selecting:
        fig.update_layout(dragmode=False)  # a touch drag scrolls the page rather than zooming the chart
    # a chart whose points can be chosen keeps plotly's own buttons: Streamlit's selection needs them
    config = {**({"scrollZoom": False} if selecting else CONFIG), **kwargs.pop("config", {})}
    event = target.plotly_chart(fig, key=key, config=config, alt=f"{name}. {summary}", **kwargs)
    target.caption(summary)
    rows = list(data) if data is not None else chart_table(fig)
    if rows:
        with target.expander(f"Show the data: {name}"):
            target_table(rows)
    return event


def target_table(rows: Sequence[dict]) -> None:
    """Rows as a plain HTML table (``st.table``: real table markup a screen reader can walk), at most MAX_ROWS."""
    shown = list(rows)[:MAX_ROWS]
    st.table(shown)
    if len(rows) > MAX_ROWS:
        st.caption(f"The first {MAX_ROWS} of {len(rows)} rows.")


def picture(target, img, *, alt: str | Sequence[str], caption: str | Sequence[str] | None = None, **kwargs) -> None:
    """``st.image`` (or a column's) with alt text: what the picture shows (photo ID, level, score; slice, IoU)."""
    if isinstance(alt, str):
        alt = plain(alt, limit=300)
    else:
        alt = [plain(a, limit=300) for a in alt]
    target.image(img, caption=caption, alt=alt, **kwargs)


def error_legend(*, outline: bool = False) -> None:
    """The error overlays' legend: each colour named (the swatches are decoration for a screen reader)."""
    style = "border:3px solid {c};background:transparent" if outline else "background:{c}"
    items = [f"<span aria-hidden='true' style='{style.format(c=hex_colour(rgb))};display:inline-block;width:22px;"
             f"height:16px;border-radius:3px;margin-right:6px;vertical-align:middle'></span>{ERROR_NAMES[key]}"
             for key, rgb in ERRORS.items()]
    st.markdown("<div role='list' aria-label='Colours of the error overlay' style='font-size:18px;display:flex;"
                "flex-wrap:wrap;gap:6px 22px'>" + "".join(f"<span role='listitem'>{item}</span>" for item in items)
                + "</div>", unsafe_allow_html=True)


def outline_toggle(key: str, target=None) -> bool:
    """The overlays' outline mode: only the borders of the regions coloured, the CT inside them visible."""
    target = target if target is not None else st
    return target.toggle("Outlines only", key=key,
                         help="Draw only the border of each region (true positive, false positive, false negative), so "
                              "the CT shows inside it.")


def error_counts(truth, prediction) -> str:
    """Words for an overlay's alt text: how many pixels of each outcome (counted by lib)."""
    counts = outcome_counts(truth, prediction)
    return ", ".join(f"{counts[k]:,} {ERROR_NAMES[k].split(' (')[0]} pixels" for k in ("tp", "fp", "fn"))
