"""The ports table: one pre-formatted line per port, drawn with Textual's line API.

A DataTable renders every cell through Rich on each redraw (about 0.15 ms a cell: a sort key
took 200 ms with 10,000 ports); here a line is one segment, so a redraw costs what the
screen shows, not what the table holds. The header is the table's own first line: it stays
on top and scrolls sideways with the rows, so numbers never sit under another column's title.
Until the operator moves the cursor, it follows the top row (the strongest incident's port).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from portmap.core.snapshot import PortKey

CURSOR = Style(reverse=True)
CURSOR_ON_REVERSED = Style(underline=True, bold=True)
"""The cursor on a row drawn reversed already (a flood's entry port): underlined."""
HEADER = Style(bold=True, underline=True)


class PortTable(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "move(-1)", show=False), Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False), Binding("pagedown", "page(1)", show=False),
        Binding("home", "move(-1_000_000)", show=False), Binding("end", "move(1_000_000)", show=False),
        Binding("enter", "select", "open"),
    ]

    class Selected(Message):
        def __init__(self, key: PortKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.header = ""
        self.lines: list[tuple[str, Style]] = []
        self.keys: list[PortKey] = []
        self.cursor = 0
        self.moved = False
        """Whether the operator has moved the cursor: until then it stays on the top row."""

    def show(self, header: str, lines: Sequence[tuple[str, str]], keys: Sequence[PortKey]) -> None:
        """New rows (text, style) under `header`; the cursor stays on the same port where it still
        is shown, or on the top row while the operator has not moved it."""
        selected = self.keys[self.cursor] if self.cursor < len(self.keys) and self.moved else None
        self.header = header
        self.lines = [(text, Style.parse(style) if style else Style()) for text, style in lines]
        self.keys = list(keys)
        self.cursor = self.keys.index(selected) if selected in self.keys else min(self.cursor if self.moved else 0,
                                                                                   max(0, len(self.keys) - 1))
        width = max((len(text) for text, _ in [(header, None), *self.lines]), default=0)
        self.virtual_size = Size(width, len(self.lines) + 1)
        self.refresh()

    @property
    def selected(self) -> PortKey | None:
        return self.keys[self.cursor] if self.cursor < len(self.keys) else None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            return Strip([Segment(self.header[scroll_x:scroll_x + width].ljust(width), self.rich_style + HEADER)], width)
        row = scroll_y + y - 1
        if row >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        text, style = self.lines[row]
        if row == self.cursor and self.has_focus:
            style = style + (CURSOR_ON_REVERSED if style.reverse else CURSOR)
        return Strip([Segment(text[scroll_x:scroll_x + width].ljust(width), self.rich_style + style)], width)

    @property
    def rows_shown(self) -> int:
        return max(1, self.size.height - 1)

    def action_move(self, step: int) -> None:
        if self.lines:
            self.moved = True
            self.cursor = max(0, min(len(self.lines) - 1, self.cursor + step))
            self.scroll_to_region_cursor()
            self.refresh()

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.rows_shown - 1))

    def action_select(self) -> None:
        if self.selected is not None:
            self.post_message(self.Selected(self.selected))

    def scroll_to_region_cursor(self) -> None:
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + self.rows_shown:
            self.scroll_to(y=self.cursor - self.rows_shown + 1, animate=False)
