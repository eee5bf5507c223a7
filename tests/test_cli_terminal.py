"""The ``pytiktoklive`` command line in a real terminal (a pseudo-terminal from :mod:`pty`):
what colours and styles reach the screen, as escape codes, character by character."""

from __future__ import annotations

import os
import re
import select
import sys
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

# Only guards against a hung command; nothing is timed.
HANG_GUARD = 90.0
_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_COLOURS = {
    30: "black",
    31: "red",
    32: "green",
    33: "yellow",
    34: "blue",
    35: "magenta",
    36: "cyan",
    37: "white",
}
_CLOCK = re.compile(r"^\d\d:\d\d:\d\d ")


def run_in_terminal(*arguments: str, env: Optional[Dict[str, str]] = None) -> str:
    """Run ``pytiktoklive ARGUMENTS`` on a pseudo-terminal; everything it wrote there."""
    import pty

    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update({"TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50", **(env or {})})
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout and stderr
        os.execve(sys.executable, [sys.executable, "-m", "pytiktoklive", *arguments], environment)
    output = bytearray()
    try:
        while True:
            ready, _, _ = select.select([terminal], [], [], HANG_GUARD)
            if not ready:
                raise AssertionError(f"no output for {HANG_GUARD:g}s: {bytes(output[-500:])!r}")
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(terminal)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, bytes(output).decode(errors="replace")
    return output.decode("utf-8", errors="replace")


@dataclass
class Styled:
    """One character on the screen and the styles it was drawn with."""

    char: str
    styles: FrozenSet[str] = field(default_factory=frozenset)


def screen_lines(output: str) -> List[List[Styled]]:
    """The terminal's lines, each character with the styles (bold, dim, a colour) in force."""
    output = _OTHER_ESCAPE.sub(lambda match: match.group(0) if match.group(0).endswith("m") else "", output)
    lines: List[List[Styled]] = [[]]
    styles: set[str] = set()
    position = 0
    for match in _SGR.finditer(output + "\x1b[m"):
        for char in output[position : match.start()]:
            if char == "\n":
                lines.append([])
            elif char != "\r":
                lines[-1].append(Styled(char, frozenset(styles)))
        position = match.end()
        codes = [int(code) for code in match.group(1).split(";") if code] or [0]
        index = 0
        while index < len(codes):
            code = codes[index]
            if code == 0:
                styles.clear()
            elif code == 1:
                styles.add("bold")
            elif code == 2:
                styles.add("dim")
            elif code == 22:
                styles -= {"bold", "dim"}
            elif code in _COLOURS or 90 <= code <= 97:
                styles = {style for style in styles if not style.startswith("fg:")}
                styles.add(f"fg:{_COLOURS.get(code, _COLOURS.get(code - 60, '?'))}")
            elif code == 38:  # 38;5;N or 38;2;R;G;B
                styles = {style for style in styles if not style.startswith("fg:")}
                styles.add("fg:extended")
                index += 2 if codes[index + 1 : index + 2] == [5] else 4
            elif code == 39:
                styles = {style for style in styles if not style.startswith("fg:")}
            index += 1
    return lines


def text_of(line: List[Styled]) -> str:
    return "".join(styled.char for styled in line)


def colours_in(output: str) -> List[str]:
    """Every foreground colour code the output sets."""
    found = []
    for match in _SGR.finditer(output):
        codes = [int(code) for code in match.group(1).split(";") if code]
        found += [str(code) for code in codes if 30 <= code <= 38 or 90 <= code <= 97]
    return found


@pytest.fixture(scope="module")
def watched() -> str:
    return run_in_terminal("watch", "--sim", "--speed", "20", "demo_user")


def test_only_the_timestamp_is_dim_and_the_label_alone_is_coloured(watched: str) -> None:
    lines = [line for line in screen_lines(watched) if _CLOCK.match(text_of(line))]
    chats = [line for line in lines if text_of(line)[9:].startswith("chat ")]
    gifts = [line for line in lines if text_of(line)[9:].startswith("gift ")]
    assert chats and gifts
    for line in chats + gifts:
        clock, label, rest = line[:8], line[9:18], line[18:]
        assert all("dim" in styled.styles for styled in clock)
        assert all("dim" not in styled.styles for styled in label), text_of(line)
        # In the rest, only the " @username" after a nickname is dim.
        dimmed = "".join(styled.char for styled in rest if "dim" in styled.styles)
        assert re.fullmatch(r"( @[\w.]+)?", dimmed), (dimmed, text_of(line))
        colour = "fg:cyan" if line in chats else "fg:magenta"
        assert all(colour in styled.styles for styled in label if styled.char != " ")
        # The user's name is bold; the comment or gift is plain: no colour, no style.
        assert any(styled.styles == {"bold"} for styled in rest)
        assert rest[-1].styles == frozenset(), text_of(line)
    comment = next(line for line in chats)
    words = text_of(comment).split(": ", 1)[1]
    assert words and all(not styled.styles for styled in comment[-len(words) :])


def test_lines_come_in_time_order_even_for_the_intro(watched: str) -> None:
    clocks = [text_of(line)[:8] for line in screen_lines(watched) if _CLOCK.match(text_of(line))]
    intro = [text_of(line) for line in screen_lines(watched) if text_of(line)[9:].startswith("intro ")]
    assert intro and len(clocks) > 50
    wrapped = any(later < earlier for earlier, later in zip(clocks, clocks[1:]) if earlier[:2] == "23")
    assert wrapped or clocks == sorted(clocks)


@pytest.mark.parametrize("how", ["--no-color", "NO_COLOR"])
def test_no_color_means_no_colours(how: str, watched: str) -> None:
    arguments = ["watch", "--sim", "--speed", "20", "demo_user"]
    if how == "--no-color":
        output = run_in_terminal(*arguments, "--no-color")
    else:
        output = run_in_terminal(*arguments, env={"NO_COLOR": "1"})
    assert "chat " in output and colours_in(output) == []
    assert colours_in(watched) != []  # without either, the same terminal shows colours
