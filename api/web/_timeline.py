"""The dashboard's 90-day timeline as SVG geometry, drawn server-side (no script).

Each day is one column: successful emergency sign-ins as a bar up from the baseline,
failed ones stacked on top, and each review opened that day as a marker under the
baseline (linked to the review). The template draws these shapes with CSS classes, so the
page needs no inline style; a table beside it gives the same facts as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from breakglass.overview import TimelineDay

__all__ = ["Timeline", "timeline"]

WIDTH = 900
HEIGHT = 190
LEFT = 34
RIGHT = 8
TOP = 12
BASE = 128  # the baseline: bars above it, review markers below it
BAR_SPACE = BASE - TOP


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    review_id: int
    state: str
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    #: Too close to the right edge: the label ends at the tick instead of starting there.
    end: bool = False


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    left: int
    right: int
    base: int
    top: int
    peak: int
    bars: list[Bar]
    markers: list[Marker]
    ticks: list[Tick]
    #: Days with anything on them, newest first (the text version).
    busy: list[TimelineDay]
    first: str
    last: str
    signins: int
    reviews: int


def timeline(days: list[TimelineDay]) -> Timeline:
    step = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    width = max(step * 0.7, 1.0)
    peak = max((d.signins_ok + d.signins_failed for d in days), default=0)
    scale = BAR_SPACE / max(peak, 1)
    bars: list[Bar] = []
    markers: list[Marker] = []
    ticks: list[Tick] = []
    for i, day in enumerate(days):
        x = LEFT + i * step + (step - width) / 2
        when = day.day.isoformat()
        ok_h = day.signins_ok * scale
        if day.signins_ok:
            bars.append(
                Bar(
                    x,
                    BASE - ok_h,
                    width,
                    ok_h,
                    "bar-ok",
                    f"{when}: {day.signins_ok} successful emergency sign-in(s)",
                )
            )
        if day.signins_failed:
            h = day.signins_failed * scale
            bars.append(
                Bar(
                    x,
                    BASE - ok_h - h,
                    width,
                    h,
                    "bar-failed",
                    f"{when}: {day.signins_failed} failed emergency sign-in attempt(s)",
                )
            )
        for n, (review_id, state) in enumerate(day.reviews[:4]):
            markers.append(
                Marker(
                    x + width / 2,
                    BASE + 14 + n * 11,
                    review_id,
                    state,
                    f"{when}: review {review_id} opened ({state})",
                )
            )
        if day.day.day == 1 or i == 0:
            tick_x = LEFT + i * step
            ticks.append(Tick(tick_x, day.day.strftime("%b %d"), tick_x > WIDTH - RIGHT - 48))
    # A first-day label right before a month start would overlap it.
    if len(ticks) > 1 and ticks[1].x - ticks[0].x < 40:
        ticks.pop(0)
    return Timeline(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        base=BASE,
        top=TOP,
        peak=peak,
        bars=bars,
        markers=markers,
        ticks=ticks,
        busy=[d for d in reversed(days) if d.signins_ok or d.signins_failed or d.reviews],
        first=days[0].day.isoformat() if days else "",
        last=days[-1].day.isoformat() if days else "",
        signins=sum(d.signins_ok + d.signins_failed for d in days),
        reviews=sum(len(d.reviews) for d in days),
    )
