"""The report as one self-contained HTML page: its charts drawn as inline SVG (no script, nothing fetched), so
that it opens anywhere and can be mailed as is."""

from html import escape

PALETTE = ("#2f6690", "#d1495b", "#edae49", "#66a182", "#8d6a9f", "#00798c", "#c36f09", "#5c5c5c")
WIDTH, HEIGHT, LEFT, BOTTOM = 720, 240, 48, 28


def _frame(body: str, title: str, height: int = HEIGHT) -> str:
    return (f'<figure><figcaption>{escape(title)}</figcaption><svg viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}">{body}</svg></figure>')


def _legend(names: list[str], y: int = 12) -> str:
    return "".join(f'<rect x="{LEFT + i * 130}" y="{y - 9}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{LEFT + i * 130 + 14}" y="{y}">{escape(n)}</text>' for i, n in enumerate(names))


def stacked_hours(series: dict[str, list[int]], title: str) -> str:
    """Bars per hour of the day, one colour per series, stacked."""
    names = list(series)
    totals = [sum(series[n][h] for n in names) for h in range(24)]
    top = max(totals, default=0) or 1
    plot_h, bar_w = HEIGHT - BOTTOM - 24, (WIDTH - LEFT - 8) / 24
    parts = [_legend(names)]
    for h in range(24):
        y = float(HEIGHT - BOTTOM)
        for i, n in enumerate(names):
            size = series[n][h] / top * plot_h
            y -= size
            parts.append(f'<rect x="{LEFT + h * bar_w + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{size:.1f}" fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(n)} {h:02d}h: '
                         f'{series[n][h]}</title></rect>')
        if h % 3 == 0:
            parts.append(f'<text x="{LEFT + h * bar_w:.1f}" y="{HEIGHT - 10}">{h:02d}h</text>')
    parts.append(f'<text x="4" y="{HEIGHT - BOTTOM}">0</text><text x="4" y="30">{top}</text>')
    return _frame("".join(parts), title)


def grouped_bars(groups: dict[str, dict[str, float | None]], title: str, *, percent: bool = False) -> str:
    """Bars per group (a mode, a figure), one colour per configuration."""
    configs = sorted({c for values in groups.values() for c in values})
    top = max((v for values in groups.values() for v in values.values() if v is not None), default=0) or 1
    top = 1.0 if percent else top
    plot_h = HEIGHT - BOTTOM - 24
    group_w = (WIDTH - LEFT - 8) / max(1, len(groups))
    bar_w = group_w / (len(configs) + 1)
    parts = [_legend(configs)]
    for g, (name, values) in enumerate(groups.items()):
        x0 = LEFT + g * group_w
        for i, c in enumerate(configs):
            value = values.get(c)
            if value is None:
                continue
            size = value / top * plot_h
            shown = f"{value:.1%}" if percent else f"{value:g}"
            parts.append(f'<rect x="{x0 + i * bar_w + 2:.1f}" y="{HEIGHT - BOTTOM - size:.1f}" '
                         f'width="{bar_w - 2:.1f}" height="{size:.1f}" fill="{PALETTE[i % len(PALETTE)]}">'
                         f'<title>{escape(c)}, {escape(name)}: {shown}</title></rect>')
        parts.append(f'<text x="{x0 + 2:.1f}" y="{HEIGHT - 10}">{escape(name[:24])}</text>')
    parts.append(f'<text x="4" y="30">{"100%" if percent else f"{top:g}"}</text>')
    return _frame("".join(parts), title)


def heat_map(rows: dict[str, list[int]], title: str, capacity: dict[str, float] | None = None) -> str:
    """A row per node, a cell per hour of the day, darker with more units (against the node's hourly capacity
    when given, else the busiest cell)."""
    capacity = capacity or {}
    cell_w, cell_h = (WIDTH - 170) / 24, 14
    height = 30 + cell_h * len(rows) + 20
    top = max((v for hours in rows.values() for v in hours), default=0) or 1
    parts = []
    for r, (node, hours) in enumerate(rows.items()):
        y = 24 + r * cell_h
        parts.append(f'<text x="2" y="{y + 11}">{escape(node[:24])}</text>')
        limit = capacity.get(node) or top
        for h, units in enumerate(hours):
            share = min(1.0, units / limit) if limit else 0.0
            parts.append(f'<rect x="{168 + h * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}" height="{cell_h - 1}" '
                         f'fill="rgb({255 - int(200 * share)},{255 - int(150 * share)},{255 - int(90 * share)})">'
                         f'<title>{escape(node)} {h:02d}h: {units} units</title></rect>')
    for h in range(0, 24, 3):
        parts.append(f'<text x="{168 + h * cell_w:.1f}" y="16">{h:02d}h</text>')
    return _frame("".join(parts), title, height)


STYLE = ("body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
         "figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:11px;fill:#333}"
         ".bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}")
