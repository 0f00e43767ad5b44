"""Page furniture: page numbers and running headers/footers in the top and bottom bands."""
from __future__ import annotations

import math
import re
from collections import Counter

from .model import Line, Page

#: Share of the page height, at the top and at the bottom, searched for
#: page numbers and running headers/footers.
MARGIN_BAND = 0.12
#: A line in the margin band on at least this share of pages is a running header/footer.
REPEAT_SHARE = 0.5

_PAGE_NUMBER = re.compile(
    r"""^(?:
        [-—–－─_~·•.\s]*\d{1,4}[-—–－─_~·•.\s]*                 # 3, - 3 -, — 3 —, ·3·
      | 第\s*\d{1,4}\s*页(?:\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?  # 第 3 页, 第3页 共10页
      | 共\s*\d{1,4}\s*页\s*[,，/、]?\s*第\s*\d{1,4}\s*页        # 共10页 第3页
      | \d{1,4}\s*/\s*\d{1,4}                                     # 3/10
      | (?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?          # Page 3 of 10
      | [-—–－\s]*[ivxlcIVXLC]{1,6}[-—–－\s]*                      # - ii -
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def drop_page_furniture(pages: list[Page]) -> None:
    """Remove page numbers and running headers/footers in place."""
    running = _running_lines(pages)
    for page in pages:
        candidates = {id(l) for l in _band_candidates(page)}
        kept = []
        for item in page.items:
            if isinstance(item, Line) and _in_band(item, page):
                if _PAGE_NUMBER.match(item.text.strip()):
                    continue
                if id(item) in candidates and _normalise(item.text) in running:
                    continue
            kept.append(item)
        page.items = kept


def _running_lines(pages: list[Page]) -> set[str]:
    """Normalised texts found among the band candidates of most pages (of two or more)."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_normalise(l.text) for l in _band_candidates(page)})
    need = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    return {key for key, n in seen.items() if n >= need and len(pages) >= 2}


def _normalise(text: str) -> str:
    """A line's text without whitespace and with every number as ``#``, to compare across pages."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _in_band(line: Line, page: Page) -> str | None:
    """'top' or 'bottom' when the line lies in the page's margin band."""
    band = MARGIN_BAND * page.height
    if line.y0 >= page.height - band:
        return "top"
    if line.y1 <= band:
        return "bottom"
    return None


def _band_candidates(page: Page) -> list[Line]:
    """The two outermost flow lines at the top and at the bottom, if inside the band."""
    flow = page.flow_lines()
    top = sorted((l for l in flow if _in_band(l, page) == "top"), key=lambda l: -l.y1)[:2]
    bottom = sorted((l for l in flow if _in_band(l, page) == "bottom"), key=lambda l: l.y0)[:2]
    return top + bottom
