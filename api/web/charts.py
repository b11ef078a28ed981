"""Charts as SVG drawn on the server: no script, no network, and they print as they look."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from markupsafe import Markup, escape

from api.web.formatting import compact, rating
from projections.models import HealthView

RAG_FILL = {"green": "#2e7d32", "amber": "#b45309", "red": "#b91c1c", "unknown": "#6b7280"}
RAG_LETTER = {"green": "G", "amber": "A", "red": "R", "unknown": "?"}
STATUS_FILL = {"proposed": "#64748b", "active": "#1d4ed8", "paused": "#b45309",
               "discontinued": "#7f1d1d", "completed": "#166534"}
ALLOCATED = "#1e3a5f"
AVAILABLE = "#cbd5e1"
CPI_STROKE = "#1d4ed8"
SPI_STROKE = "#7c3aed"
INK = "#1f2937"
MUTED = "#4b5563"
GRID = "#e5e7eb"
FONT = 'font-family="system-ui, sans-serif"'
NOTE_CHAR_WIDTH = 7  # pixels a character of a 12px note may take, digits and capitals included
LABEL_GAP = 64  # pixels between the centres of two dates on the trend, each about 54 wide


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label, its value and the words said beside it."""

    label: str
    value: Decimal
    note: str
    fill: str


def svg(ident: str, title: str, description: str, width: int, height: int, body: str) -> Markup:
    """An accessible SVG image: screen readers read its title and description."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{ident}-title {ident}-desc" {FONT}>'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{body}</svg>'
    )


def text(x: float, y: float, words: str, *, size: int = 13, anchor: str = "start",
         fill: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}">{escape(words)}</text>')


def rect(x: float, y: float, width: float, height: float, fill: str, extra: str = "") -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" '
            f'fill="{fill}" {extra}/>')


def budget_bar(ident: str, budget: Decimal, allocated: Decimal, currency: str) -> Markup:
    """The envelope as one bar: allocated from the left, what is still available after it.

    Drawn in percentages rather than a view box, so its words keep their size at any width.
    """
    available = budget - allocated
    share = float(allocated / budget) if budget > 0 else 0.0
    share = min(max(share, 0.0), 1.0)
    body = (
        f'<rect x="0" y="24" width="100%" height="30" fill="{AVAILABLE}" rx="3"/>'
        f'<rect x="0" y="24" width="{share * 100:.2f}%" height="30" fill="{ALLOCATED}" rx="3"/>'
        + text(0, 16, f"Allocated {currency} {compact(allocated)} ({share:.0%})", size=14,
               weight="600")
        + f'<text x="100%" y="74" font-size="14" text-anchor="end" fill="{INK}" '
          f'font-weight="600">{escape(f"Available {currency} {compact(available)}")} '
          f"({1 - share:.0%})</text>"
    )
    description = (f"Of a budget of {currency} {budget:,.2f}, {currency} {allocated:,.2f} is "
                   f"allocated to projects and {currency} {available:,.2f} is available.")
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" role="img" '
        f'width="100%" height="80" aria-labelledby="{ident}-title {ident}-desc" {FONT}>'
        f'<title id="{ident}-title">Budget allocation</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{body}</svg>'
    )


def bars(ident: str, title: str, rows: Sequence[Bar]) -> Markup:
    """A horizontal bar chart with the value and a note written beside each bar."""
    label_width, bar_width, row_height = 92, 140, 26
    # Room for the longest note at its font size, so none is ever cut off.
    longest = max((len(row.note) for row in rows), default=0)
    width = max(390, label_width + bar_width + 8 + -(-longest * NOTE_CHAR_WIDTH // 1) + 6)
    height = row_height * len(rows) + 4
    most = max((row.value for row in rows), default=Decimal(0)) or Decimal(1)
    body: list[str] = []
    for number, row in enumerate(rows):
        y = 4 + number * row_height
        length = float(row.value / most) * bar_width
        body.append(text(label_width - 8, y + 17, row.label, anchor="end"))
        body.append(rect(label_width, y + 4, bar_width, row_height - 8, "#f3f4f6"))
        body.append(rect(label_width, y + 4, length, row_height - 8, row.fill))
        body.append(text(label_width + bar_width + 8, y + 17, row.note, fill=MUTED, size=12))
    description = "; ".join(f"{row.label}: {row.note}" for row in rows)
    return svg(ident, title, description, width, height, "".join(body))


@dataclass(frozen=True)
class Point:
    """One status report on the trend: when its period ended, its rating and its indices."""

    period_end: date
    overall: str
    cpi: Decimal | None
    spi: Decimal | None


def health_trend(ident: str, points: Sequence[Point]) -> Markup:
    """Ratings per report as a strip of lettered squares, CPI and SPI as lines over time."""
    width, height = 640, 270
    left, right, top, bottom = 64, 600, 34, 196
    strip_y = 222
    indices = [value for p in points for value in (p.cpi, p.spi) if value is not None]
    low = min([Decimal("0.75"), *indices]) - Decimal("0.05")
    high = max([Decimal("1.05"), *indices]) + Decimal("0.05")

    def x(number: int) -> float:
        """Reports evenly spaced in order, one per period, however long the period."""
        if len(points) == 1:
            return (left + right) / 2
        return left + (right - left) * number / (len(points) - 1)

    def y(value: Decimal) -> float:
        return bottom - (bottom - top) * float((value - low) / (high - low))

    body = [text(left - 20, 16, "CPI", fill=CPI_STROKE, weight="600"),
            f'<line x1="{left + 8}" y1="11" x2="{left + 38}" y2="11" stroke="{CPI_STROKE}" '
            'stroke-width="3"/>',
            text(left + 56, 16, "SPI", fill=SPI_STROKE, weight="600"),
            f'<line x1="{left + 84}" y1="11" x2="{left + 114}" y2="11" stroke="{SPI_STROKE}" '
            'stroke-width="3" stroke-dasharray="7 4"/>',
            text(right + 24, 16, "index below 0.9: amber, below 0.8: red", anchor="end",
                 fill=MUTED, size=12)]
    tick = (low * 10).to_integral_value(rounding=ROUND_CEILING) / 10
    while tick <= high:
        colour = {"0.8": RAG_FILL["red"], "0.9": RAG_FILL["amber"]}.get(f"{tick:.1f}", GRID)
        body.append(f'<line x1="{left - 14}" y1="{y(tick):.1f}" x2="{right + 14}" '
                    f'y2="{y(tick):.1f}" stroke="{colour}" stroke-width="1" '
                    f'stroke-dasharray="{"4 3" if colour != GRID else "0"}"/>')
        body.append(text(left - 20, y(tick) + 4, f"{tick:.1f}", anchor="end", fill=MUTED,
                         size=12))
        tick += Decimal("0.1")
    for name, stroke, dash, marker in (("cpi", CPI_STROKE, "", "circle"),
                                       ("spi", SPI_STROKE, ' stroke-dasharray="7 4"', "square")):
        series = [(x(number), y(v)) for number, p in enumerate(points)
                  if (v := getattr(p, name)) is not None]
        if len(series) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in series)
            body.append(f'<polyline points="{path}" fill="none" stroke="{stroke}" '
                        f'stroke-width="2.5"{dash}/>')
        for px, py in series:
            body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{stroke}"/>'
                        if marker == "circle" else rect(px - 4, py - 4, 8, 8, stroke))
    labelled = labelled_dates(len(points), (right - left) / max(len(points) - 1, 1))
    for number, point in enumerate(points):
        px = x(number)
        colour = RAG_FILL.get(point.overall, RAG_FILL["unknown"])
        body.append(rect(px - 9, strip_y - 13, 18, 18, colour, 'rx="2"'))
        body.append(text(px, strip_y + 1, RAG_LETTER.get(point.overall, "?"), size=11,
                         anchor="middle", fill="#ffffff", weight="700"))
        if number in labelled:
            body.append(text(px, strip_y + 26, point.period_end.strftime("%d %b %y"), size=11,
                             anchor="middle", fill=MUTED))
    body.append(text(left - 20, strip_y + 1, "RAG", anchor="end", fill=MUTED, size=12))
    return svg(ident, "Health trend", trend_words(points), width, height, "".join(body))


def labelled_dates(count: int, spacing: float) -> set[int]:
    """Which reports' dates the trend writes: the first, the last, and evenly between, never two
    closer than LABEL_GAP (the last wins over the one before it)."""
    if count == 0:
        return set()
    every = max(1, -(-LABEL_GAP // max(int(spacing), 1)), -(-count // 8))
    last = count - 1
    return {number for number in range(0, count, every) if last - number >= every} | {last}


def trend_words(points: Sequence[Point]) -> str:
    def figure(value: Decimal | None) -> str:
        return "not reported" if value is None else f"{value:.2f}"

    return "Per report: " + "; ".join(
        f"{p.period_end.isoformat()} {rating(p.overall)}, CPI {figure(p.cpi)}, SPI {figure(p.spi)}"
        for p in points
    )


def trend_points(reports: Sequence[HealthView]) -> list[Point]:
    """The trend's points from the service's report list (each report has its period)."""
    return [
        Point(period_end=r.period_end, overall=r.overall, cpi=r.cpi, spi=r.spi)
        for r in reports if r.period_end is not None
    ]


FRONTIER_STROKE = "#1d4ed8"
PLAN_FILL = "#b45309"


def frontier(ident: str, points: Sequence[tuple[Decimal, Decimal]], plan: tuple[Decimal, Decimal],
             currency: str, what: str) -> Markup:
    """The efficient frontier: the best value (y) each budget (x) can buy, as a step line, and
    the plan of record marked as a diamond where its cost and value put it."""
    width, height = 640, 300
    left, right, top, bottom = 70, 610, 24, 250
    costs = [budget for budget, _ in points] + [plan[0]]
    values = [value for _, value in points] + [plan[1]]
    most_cost = max(costs, default=Decimal(0)) or Decimal(1)
    most_value = max(values, default=Decimal(0)) or Decimal(1)

    def x(amount: Decimal) -> float:
        return left + (right - left) * float(amount / most_cost)

    def y(value: Decimal) -> float:
        return bottom - (bottom - top) * float(value / most_value)

    body = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{MUTED}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{MUTED}"/>']
    for share in (Decimal("0.5"), Decimal(1)):
        level = y(most_value * share)
        body.append(f'<line x1="{left}" y1="{level:.1f}" x2="{right}" y2="{level:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(text(left - 6, level + 4, f"{most_value * share:.2f}", size=11,
                         anchor="end", fill=MUTED))
    body.append(text(left, bottom + 18, f"{currency} 0", size=11, fill=MUTED))
    body.append(text(right, bottom + 18, f"{currency} {compact(most_cost)}", size=11,
                     anchor="end", fill=MUTED))
    body.append(text((left + right) / 2, bottom + 36, f"Budget ({currency})", size=12,
                     anchor="middle", fill=MUTED))
    body.append(text(left, 14, f"Best total {what}", size=12, fill=MUTED))
    if points:
        steps: list[str] = []
        for number, (budget, value) in enumerate(points):
            if number:
                steps.append(f"{x(budget):.1f},{y(points[number - 1][1]):.1f}")
            steps.append(f"{x(budget):.1f},{y(value):.1f}")
        body.append(f'<polyline points="{" ".join(steps)}" fill="none" '
                    f'stroke="{FRONTIER_STROKE}" stroke-width="2.5"/>')
        body.extend(f'<circle cx="{x(budget):.1f}" cy="{y(value):.1f}" r="3" '
                    f'fill="{FRONTIER_STROKE}"/>' for budget, value in points)
    px, py = x(plan[0]), y(plan[1])
    body.append(f'<path d="M {px:.1f} {py - 8:.1f} L {px + 8:.1f} {py:.1f} L {px:.1f} '
                f'{py + 8:.1f} L {px - 8:.1f} {py:.1f} Z" fill="{PLAN_FILL}" stroke="white"/>')
    anchor = "end" if px > (left + right) / 2 else "start"
    body.append(text(px + (-12 if anchor == "end" else 12), py - 10, "Plan of record",
                     size=12, anchor=anchor, fill=PLAN_FILL, weight="600"))
    description = (
        "; ".join(f"at {currency} {budget:,.2f} the best {what} is {value}"
                  for budget, value in points)
        + f". The plan of record costs {currency} {plan[0]:,.2f} for a {what} of {plan[1]}."
    )
    return svg(ident, f"The best {what} each budget can buy", description, width, height,
               "".join(body))
