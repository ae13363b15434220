"""One palette for every figure that carries meaning in colour, and the text colour of every chart.

The error overlays (slice views), the 3D errors, the ROC's marks and the confusion matrix all take their colours from
here, so that a true positive, a false positive and a false negative look the same everywhere. The colours are chosen
to stay apart for every colour vision: under protanopia, deuteranopia and tritanopia (Machado, Oliveira and Fernandes
2009, severity 1.0) every pair of them differs by a CIEDE2000 ΔE of at least 20, also when blended half into a mid-grey
CT as :func:`lib.figures.display.error_overlay` draws them (the test in tests/lib/figures/test_palette.py computes it).
They differ in lightness most of all (sky blue, yellow, dark vermilion), and lightness survives every colour vision.
The previous green / orange / magenta had a ΔE of 2.9 between true and false positives under protanopia.

Meaning never rests on colour alone: every figure that uses these colours names them (legends, labels, captions) and
the ROC's marks differ in shape too.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go

# Okabe and Ito's colour-blind-safe palette (Color Universal Design, 2008), as 8-bit sRGB.
OKABE_ITO = {
    "black": (0, 0, 0), "orange": (230, 159, 0), "sky blue": (86, 180, 233), "bluish green": (0, 158, 115),
    "yellow": (240, 228, 66), "blue": (0, 114, 178), "vermilion": (213, 94, 0), "reddish purple": (204, 121, 167),
}

# The three outcomes of a segmentation (or of a referral) against the truth.
TP_RGB = OKABE_ITO["sky blue"]  # true positive: lung found, both agree
FP_RGB = OKABE_ITO["yellow"]  # false positive: predicted, not in the truth
FN_RGB = (150, 30, 0)  # false negative, missed: Okabe-Ito's vermilion made darker, to stand apart from the yellow
ERRORS = {"tp": TP_RGB, "fp": FP_RGB, "fn": FN_RGB}
ERROR_NAMES = {"tp": "true positive (lung found)", "fp": "false positive (not lung)", "fn": "false negative (lung missed)"}
ERROR_ALPHA = 0.5  # how much of the colour an error overlay blends into the CT

# Sparse labels on a slice: labelled lung and labelled background (not lung).
LABELLED_LUNG_RGB = TP_RGB
LABELLED_BACKGROUND_RGB = OKABE_ITO["orange"]

# The ROC curve and its marks (ui/components/roc_point.css reads them as CSS variables). Each mark differs in shape
# as well: the operating point a filled circle, Youden's point a labelled ring, the cheapest point a labelled square,
# revealed presets labelled diamonds, the class's answers small dots and their median a large ring.
ROC = {
    "curve": (0, 100, 165),  # Okabe-Ito's blue a shade darker: apart from the sky-blue class points under tritanopia
    "handle": OKABE_ITO["vermilion"],  # the operating point you move
    "youden": OKABE_ITO["black"],
    "cheapest": OKABE_ITO["yellow"],
    "class": OKABE_ITO["sky blue"],  # the class's submitted points
}

TEXT = "#31333F"  # Streamlit's own text colour: 12.6:1 on white (WCAG asks 4.5:1); plotly's ticks were 3.72:1
GRID = "#d5d6da"
CHANCE = "#5f6170"  # a chance line and its label (6.2:1 on white)


def hex_colour(rgb: Iterable[int]) -> str:
    """``(r, g, b)`` 0-255 as ``"#rrggbb"``.

    Examples
    --------
    >>> hex_colour((150, 30, 0))
    '#961e00'
    """
    return "#" + "".join(f"{int(c):02x}" for c in rgb)


def css_variables() -> str:
    """The ROC's and the confusion matrix's colours as CSS custom properties on ``.roc-root``."""
    names = {f"--roc-{name}": hex_colour(rgb) for name, rgb in ROC.items()}
    names.update({f"--err-{name}": hex_colour(rgb) for name, rgb in ERRORS.items()})
    names["--text"] = TEXT
    return ".roc-root {" + " ".join(f"{k}: {v};" for k, v in names.items()) + "}"


_THREE_D = {"mesh3d", "scatter3d", "surface", "isosurface", "volume", "cone", "streamtube"}


def readable(fig: go.Figure) -> go.Figure:
    """Every text of ``fig`` in :data:`TEXT`: the title, the legend, every axis's ticks and title (2D subplots and 3D
    scenes), annotations without a colour of their own, and hover labels. Returns ``fig`` (changed in place).

    Set on the figure itself, not in a plotly template: ``st.plotly_chart``'s Streamlit theme replaces a template's
    fonts (ticks drawn rgb(128, 132, 149), 3.72:1 on white) but keeps what the figure sets.
    """
    font = dict(color=TEXT)
    fig.update_layout(font=font, title_font=font, legend_font=font, hoverlabel=dict(font=font, bgcolor="white"))
    axis = dict(tickfont=font, title_font=font)
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    if any(trace.type in _THREE_D for trace in fig.data):
        fig.update_scenes(xaxis=axis, yaxis=axis, zaxis=axis)
    for annotation in fig.layout.annotations or ():
        if annotation.font is None or annotation.font.color is None:
            annotation.font = dict(color=TEXT)
    return fig
