"""Locate the CJK font shipped by the `mplfonts` package.

The bot runs offline, so fonts are never downloaded: both the PDF posters and the
charts use a file from the installed `mplfonts` wheel. SimHei is chosen because it is
TrueType-outlined (reportlab can embed and subset it, unlike the CFF-based Noto .otf
files) and covers GBK, i.e. simplified and traditional Chinese plus Latin.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

CJK_FONT_FILE = "SimHei.ttf"


class FontMissingError(RuntimeError):
    """The CJK font file is not installed; rendering Chinese text is impossible."""


@lru_cache(maxsize=None)
def cjk_font_path(filename: str = CJK_FONT_FILE) -> Path:
    """Path of `filename` inside the installed `mplfonts` package.

    Uses `find_spec` rather than importing `mplfonts`, whose import pulls in matplotlib.
    """
    spec = importlib.util.find_spec("mplfonts")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "fonts" / filename
        if path.is_file():
            return path
    where = ", ".join(locations) or "nowhere (package not installed)"
    raise FontMissingError(
        f"font {filename!r} not found in the mplfonts package ({where}); "
        "install the 'mplfonts' dependency"
    )
