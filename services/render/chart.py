"""Grouped bar charts (PNG) for staff statistics, with Chinese labels.

matplotlib is imported inside the functions: most bot processes never draw a chart
and should not pay its import time. Figures are built with `matplotlib.figure.Figure`
and the Agg canvas, never pyplot, so no figure or rcParams change outlives a call:
fonts are set per text element rather than through rcParams. matplotlib itself is not
thread-safe, so render charts from one worker thread at a time.
"""
from __future__ import annotations

import io
from functools import lru_cache
from typing import TYPE_CHECKING, Mapping, Sequence

from services.render.fonts import cjk_font_path

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

FALLBACK_FAMILY = "DejaVu Sans"  # bundled with matplotlib; has U+2212 which SimHei lacks
MAX_LABELLED_BARS = 40  # value labels above more bars than this only add clutter


@lru_cache(maxsize=None)
def _font() -> FontProperties:
    """The CJK font, registered with matplotlib once, falling back to DejaVu per glyph."""
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    return font_manager.FontProperties(family=[name, FALLBACK_FAMILY])


def bar_chart_png(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    ylabel: str = "",
    size: tuple[int, int] = (1280, 720),
    font_size: float = 10,
    horizontal: bool = False,
) -> bytes:
    """PNG of `series` (legend label -> one value per category) as grouped bars.

    `size` is the exact pixel size of the PNG. `font_size` (points at 100 dpi) scales every text:
    a chart read on a phone needs about twice the default. `horizontal` bars leave room for long
    category names (project titles), one per line, read top to bottom.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    for label, values in series.items():
        if len(values) != len(categories):
            raise ValueError(
                f"series {label!r} has {len(values)} values for {len(categories)} categories"
            )
    font = _font()
    dpi = 100
    figure = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    group_width = 0.8
    bar_width = group_width / max(len(series), 1)
    positions = range(len(categories))
    label_bars = len(series) * len(categories) <= MAX_LABELLED_BARS
    draw = axes.barh if horizontal else axes.bar
    for index, (label, values) in enumerate(series.items()):
        offset = -group_width / 2 + bar_width * (index + 0.5)
        bars = draw([p + offset for p in positions], values, bar_width, label=label)
        if label_bars:
            axes.bar_label(bars, fmt="{:g}", padding=2, fontproperties=font, fontsize=font_size * 0.9)

    if horizontal:
        axes.set_yticks(list(positions), list(categories), fontproperties=font, fontsize=font_size)
        axes.invert_yaxis()  # the first category on top
        axes.margins(x=0.1)  # room for the value beside the longest bar
        value_axis = axes.xaxis
    else:
        # Long or many category names are slanted so they do not run into each other.
        slanted = len(categories) > 8 or any(len(name) > 6 for name in categories)
        axes.set_xticks(
            list(positions),
            list(categories),
            fontproperties=font,
            fontsize=font_size,
            rotation=30 if slanted else 0,
            ha="right" if slanted else "center",
            rotation_mode="anchor",
        )
        value_axis = axes.yaxis
    axes.tick_params(axis="x" if horizontal else "y", labelsize=font_size)
    if ylabel:
        (axes.set_xlabel if horizontal else axes.set_ylabel)(ylabel, fontproperties=font, fontsize=font_size)
    if horizontal:
        # The title over the whole figure and the legend in a row above the bars, off the long bars.
        figure.suptitle(title, fontproperties=font, fontsize=font_size * 1.4)
        if series:
            axes.legend(prop=_sized(font, font_size), loc="lower left", bbox_to_anchor=(0, 1.0),
                        ncols=len(series), frameon=False)
    else:
        axes.set_title(title, fontproperties=font, fontsize=font_size * 1.6)
        if series:
            axes.legend(prop=_sized(font, font_size))
    if all(float(v).is_integer() for values in series.values() for v in values):
        value_axis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 ticks
    axes.grid(axis="x" if horizontal else "y", alpha=0.3)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _sized(font: FontProperties, points: float) -> FontProperties:
    sized = font.copy()
    sized.set_size(points)
    return sized
