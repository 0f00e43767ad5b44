"""pdfminer's interpreter and layout device, taught the wall clock and the clipping path.

pdfminer ignores clipping (``W``/``W*``); office exports that split a long
cell over two pages draw the whole text on both pages and clip it, which
would duplicate it. The interpreter here follows the clip's bounding box (a
superset of the visible area, so no visible character is ever dropped) and
the device tags each character drawn outside it (``clipped_away``).
"""
from __future__ import annotations

import time

from .model import BudgetExceeded

#: pdfminer orders text boxes by grouping them pairwise, which grows faster than
#: the square of their number (1,000 boxes: ~7 s). Past this many boxes on a page
#: they are simply sorted top to bottom, left to right.
MAX_FLOW_BOXES = 500

Box = tuple[float, float, float, float]


def guarded_aggregator(manager, laparams, deadline: float):
    """A PDFPageAggregator that checks the clock and marks characters outside the clip."""
    from pdfminer.converter import PDFPageAggregator

    class _Guarded(GuardedDevice, PDFPageAggregator):
        """pdfminer's page aggregator with the GuardedDevice behaviour."""

    device = _Guarded(manager, laparams=laparams)
    device.deadline = deadline
    return device


def clip_aware_interpreter(manager, device):
    """A PDFPageInterpreter that follows the clipping path's bounding box."""
    from pdfminer.pdfinterp import PDFPageInterpreter

    class _ClipAware(ClipTracking, PDFPageInterpreter):
        """pdfminer's page interpreter with the ClipTracking behaviour."""

    return _ClipAware(manager, device)


class GuardedDevice:
    """Mixin for a pdfminer layout device: clock checks, bounded box grouping, clip marks."""

    ticks = 0
    deadline = float("inf")
    clip: Box | None = None

    def tick(self) -> None:
        """Count one drawing operation; every 512th, give up if the deadline has passed."""
        self.ticks += 1
        if self.ticks % 512 == 0 and time.monotonic() > self.deadline:
            raise BudgetExceeded

    def begin_page(self, page, ctm) -> None:
        """Start a page whose text boxes are grouped within bounds."""
        super().begin_page(page, ctm)
        bound_box_grouping(self.cur_item)

    def begin_figure(self, name, bbox, matrix) -> None:
        """Start a figure whose text boxes are grouped within bounds."""
        super().begin_figure(name, bbox, matrix)
        bound_box_grouping(self.cur_item)

    def render_char(self, *args, **kwargs):
        """Add a character, tagged when it lies outside the current clip."""
        self.tick()
        adv = super().render_char(*args, **kwargs)
        if self.clip is not None:
            mark_if_clipped(getattr(self.cur_item, "_objs", None), self.clip)
        return adv

    def paint_path(self, *args, **kwargs):
        """Add a path (after a clock check)."""
        self.tick()
        return super().paint_path(*args, **kwargs)


def bound_box_grouping(container) -> None:
    """Replace pdfminer's box grouping by a plain sort on pages with very many boxes."""
    from pdfminer.layout import LTTextGroupLRTB

    full = container.group_textboxes

    def group_textboxes(laparams, boxes):
        if len(boxes) > MAX_FLOW_BOXES:
            return [LTTextGroupLRTB(boxes)]
        return full(laparams, boxes)

    container.group_textboxes = group_textboxes


def mark_if_clipped(objs, clip: Box) -> None:
    """Tag the character just added when its centre lies outside the clip rectangle."""
    if not objs:
        return
    ch = objs[-1]
    cx, cy = (ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2
    x0, y0, x1, y1 = clip
    if not (x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1):
        ch.clipped_away = True


class ClipTracking:
    """Mixin for a PDFPageInterpreter: keep the clip's bounding box and hand it to the device.

    ``W``/``W*`` only mark the current path as the next clip; it takes effect
    when the path is painted or ended (``n``, ``S``, ``f`` ...), narrowed by
    the clip already in force. ``q``/``Q`` save and restore it; form XObjects
    start with their caller's clip.
    """

    clip: Box | None = None
    inherited_clip: Box | None = None

    def init_state(self, ctm) -> None:
        """Reset the graphics state; the clip starts as the one inherited from the caller."""
        super().init_state(ctm)
        self.clip = self.inherited_clip
        self.clip_stack: list = []
        self.pending_clip = None
        self.device.clip = self.clip

    def subinterp(self):
        """An interpreter for a form XObject, starting with this one's clip."""
        sub = super().subinterp()
        sub.inherited_clip = self.clip
        return sub

    def do_q(self) -> None:
        """Save the graphics state, clip included."""
        self.device.tick()
        self.clip_stack.append(self.clip)
        super().do_q()

    def do_Q(self) -> None:
        """Restore the graphics state, clip included."""
        if self.clip_stack:
            self.clip = self.device.clip = self.clip_stack.pop()
        super().do_Q()

    def do_Do(self, xobjid_arg) -> None:
        """Draw an XObject, then give the device this interpreter's clip back."""
        super().do_Do(xobjid_arg)
        self.device.clip = self.clip

    def _set_pending(self) -> None:
        """Remember the bounding box of the current path as the next clip."""
        from pdfminer.utils import apply_matrix_pt

        points = [
            apply_matrix_pt(self.ctm, (seg[i], seg[i + 1]))
            for seg in self.curpath
            for i in range(1, len(seg) - 1, 2)
            if isinstance(seg[i], (int, float)) and isinstance(seg[i + 1], (int, float))
        ]
        if points:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            self.pending_clip = (min(xs), min(ys), max(xs), max(ys))

    def _apply_pending(self) -> None:
        """Make the pending clip current, intersected with the clip in force."""
        if self.pending_clip is None:
            return
        new, self.pending_clip = self.pending_clip, None
        if self.clip is not None:
            new = (max(new[0], self.clip[0]), max(new[1], self.clip[1]), min(new[2], self.clip[2]), min(new[3], self.clip[3]))
        self.clip = self.device.clip = new

    def do_W(self) -> None:
        """Clip (nonzero winding): the path becomes the pending clip."""
        self._set_pending()

    def do_W_a(self) -> None:
        """Clip (even-odd): the path becomes the pending clip."""
        self._set_pending()

    def do_n(self) -> None:
        """End the path without painting; a pending clip takes effect."""
        self._apply_pending()
        super().do_n()

    def do_S(self) -> None:
        """Stroke the path; a pending clip takes effect."""
        self._apply_pending()
        super().do_S()

    def do_f(self) -> None:
        """Fill the path; a pending clip takes effect."""
        self._apply_pending()
        super().do_f()

    def do_f_a(self) -> None:
        """Fill the path (even-odd); a pending clip takes effect."""
        self._apply_pending()
        super().do_f_a()

    def do_F(self) -> None:
        """Fill the path (obsolete operator); a pending clip takes effect."""
        self._apply_pending()
        self.do_f()

    def do_B(self) -> None:
        """Fill and stroke the path; a pending clip takes effect."""
        self._apply_pending()
        super().do_B()

    def do_B_a(self) -> None:
        """Fill (even-odd) and stroke the path; a pending clip takes effect."""
        self._apply_pending()
        super().do_B_a()
