"""Draw the overview notebook's Mermaid sequence diagram as an SVG, for GitHub and nbviewer.

GitHub and nbviewer do not render Mermaid inside notebooks, so notebooks/00-overview.ipynb
shows this SVG under the Mermaid source. The diagram is read from the notebook (the
```mermaid block), so the two cannot drift: after editing the diagram, run

    python docs/draw_sequence_diagram.py

It understands the subset the notebook uses: ``autonumber``, ``participant X as Label``,
and messages ``A->>B: text`` (request, solid) / ``A-->>B: text`` (answer, dashed),
including a participant messaging itself. Only the standard library is used.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00-overview.ipynb"
OUTPUT = ROOT / "docs" / "images" / "web-server-flow.svg"

COLUMN = 250      # distance between lifelines
TOP = 70          # y of the participant boxes' bottom
ROW = 46          # height of one message row
MARGIN = 130      # left margin before the first lifeline
FONT = "font-family='Segoe UI, Helvetica, Arial, sans-serif'"


def mermaid_source(notebook: Path = NOTEBOOK) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        found = re.search(r"```mermaid\n(.*?)```", text, re.S)
        if found:
            return found.group(1)
    raise SystemExit(f"no ```mermaid block in {notebook}")


def parse(source: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, bool, str]], bool]:
    participants: list[tuple[str, str]] = []
    messages: list[tuple[str, str, bool, str]] = []
    numbered = False
    for raw in source.splitlines():
        line = raw.strip()
        if not line or line == "sequenceDiagram":
            continue
        if line == "autonumber":
            numbered = True
        elif m := re.fullmatch(r"participant (\w+) as (.+)", line):
            participants.append((m.group(1), m.group(2)))
        elif m := re.fullmatch(r"(\w+)(-->>|->>)(\w+): (.+)", line):
            messages.append((m.group(1), m.group(3), m.group(2) == "-->>", m.group(4)))
        else:
            raise SystemExit(f"unsupported Mermaid line: {line!r}")
    return participants, messages, numbered


def _fit(text: str, width: int) -> str:
    limit = max(10, width // 6)  # about 6 px per character at 12 px
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw(source: str) -> str:
    participants, messages, numbered = parse(source)
    x = {key: MARGIN + i * COLUMN for i, (key, _) in enumerate(participants)}
    width = MARGIN * 2 + COLUMN * (len(participants) - 1)
    height = TOP + ROW * (len(messages) + 1) + 60
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           f"viewBox='0 0 {width} {height}' {FONT} font-size='12'>",
           "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='8' "
           "markerHeight='8' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
           "fill='#1f2937'/></marker></defs>",
           f"<rect width='{width}' height='{height}' fill='white'/>"]
    bottom = height - 40
    for key, label in participants:
        cx = x[key]
        out.append(f"<line x1='{cx}' y1='{TOP}' x2='{cx}' y2='{bottom}' stroke='#9ca3af' "
                   "stroke-dasharray='4 4'/>")
        for y in (TOP - 40, bottom):
            out.append(f"<rect x='{cx - 105}' y='{y}' width='210' height='36' rx='6' "
                       "fill='#e0ecff' stroke='#3b6fd8'/>")
            out.append(f"<text x='{cx}' y='{y + 23}' text-anchor='middle' font-size='13' "
                       f"font-weight='600'>{escape(label)}</text>")
    for i, (src, dst, dashed, text) in enumerate(messages, 1):
        y = TOP + ROW * i
        label = f"{i}. {text}" if numbered else text
        dash = " stroke-dasharray='6 4'" if dashed else ""
        if src == dst:  # a step inside one participant: a small loop to the right
            x0 = x[src]
            out.append(f"<path d='M{x0},{y - 8} h40 v16 h-38' fill='none' stroke='#1f2937' "
                       f"marker-end='url(#arrow)'{dash}/>")
            out.append(f"<text x='{x0 + 48}' y='{y + 4}'>{escape(_fit(label, width - x0 - 60))}"
                       "</text>")
            continue
        x1, x2 = x[src], x[dst]
        out.append(f"<line x1='{x1}' y1='{y}' x2='{x2}' y2='{y}' stroke='#1f2937' "
                   f"marker-end='url(#arrow)'{dash}/>")
        middle = (x1 + x2) / 2
        room = int(2 * min(middle, width - middle)) - 20  # centred text must stay inside
        out.append(f"<text x='{middle}' y='{y - 7}' text-anchor='middle'>"
                   f"{escape(_fit(label, room))}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(draw(mermaid_source()), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
