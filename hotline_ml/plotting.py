"""Matplotlib set-up shared by every plot the toolkit writes: headless backend and a CJK font.

Category and district names are Chinese; matplotlib's default font has no CJK glyphs and draws empty boxes.
The ``mplfonts`` package ships Noto Sans CJK SC, which is registered here on first use.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt
from matplotlib import font_manager

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
    plt.rcParams["font.sans-serif"] = [family, *plt.rcParams["font.sans-serif"]]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False  # the CJK font lacks U+2212
    return family


def new_figure(width: float = 8.0, height: float = 5.0):
    """A new figure and axes with the CJK font in place."""
    use_cjk_font()
    return plt.subplots(figsize=(width, height))
