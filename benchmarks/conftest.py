"""pytest-benchmark configuration: print the fastgan-vs-anchor table at the end."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import summary_lines  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    lines = summary_lines()
    if lines:
        terminalreporter.section("fastgan vs anchors (median time, peak memory growth, speed ratio)")
        for line in lines:
            terminalreporter.write_line(line)
