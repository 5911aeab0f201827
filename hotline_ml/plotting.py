"""Matplotlib set-up shared by every plot the toolkit writes: figures made for files, and a CJK font.

Figures are plain :class:`matplotlib.figure.Figure` objects, not pyplot figures: saving one needs no backend
and no display (servers, CI), importing the toolkit never changes the user's backend, and nothing is left in
pyplot's figure list (no ``plt.close`` needed; a figure is freed with its last reference). To show one in a
notebook, display the figure object (or make it the cell's last expression).

Category and district names are Chinese; matplotlib's default font has no CJK glyphs and draws empty boxes.
The ``mplfonts`` package ships Noto Sans CJK SC, which is registered here on first use.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

log = logging.getLogger(__name__)
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


@cache
def use_cjk_font() -> str | None:
    """Register the bundled CJK font and make it matplotlib's default sans-serif; return its family name."""
    try:
        import mplfonts
    except ImportError:
        log.warning("mplfonts is not installed: Chinese labels in plots will show as boxes")
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        log.warning("%s not found in mplfonts: Chinese labels in plots will show as boxes", path)
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    rc = matplotlib.rcParams
    rc["font.sans-serif"] = [family, *rc["font.sans-serif"]]
    rc["font.family"] = "sans-serif"
    rc["axes.unicode_minus"] = False  # the CJK font lacks U+2212
    return family


def new_figure(width: float = 8.0, height: float = 5.0) -> tuple[Figure, Axes]:
    """A new figure (``width`` x ``height`` inches) and its axes, with the CJK font in place.

    The figure is not registered with pyplot (see the module docstring): ``fig.savefig(path)`` writes it.
    """
    use_cjk_font()
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()
