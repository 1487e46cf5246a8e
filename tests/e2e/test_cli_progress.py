"""The command line's progress on stderr: a bar in a terminal, plain lines in a log (a pipe, a file,
CI), e.g. "reference features 120/400", never carriage-return noise."""

from __future__ import annotations

import io
import re

from whaleid_gui import cli
from whaleid_gui.cli.progress import ProgressPrinter
from whaleid_gui.core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_plain_lines_at_most_one_per_tenth():
    log = io.StringIO()  # not a terminal
    with ProgressPrinter(stream=log) as show:
        assert not show.interactive
        for n in range(401):
            show(Progress(n, 400, "caching features"))
        show(Progress(0, 1, "calibrating the new-individual threshold"))  # a step without a count
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[:2] == ["caching features", "caching features 40/400"] and "caching features 120/400" in lines
    assert re.fullmatch(r"caching features 400/400 \(\d+\.\d s\)", lines[-2])
    assert lines[-1] == "calibrating the new-individual threshold"
    assert len(lines) == 12  # the announcement, one line per tenth, the next phase's announcement


def test_a_phase_that_starts_over_is_reported_again():
    log = io.StringIO()
    with ProgressPrinter(stream=log) as show:
        for epoch in (1, 2):
            for n in range(1, 5):
                show(Progress(n, 4, f"epoch {epoch}/2"))
            show.close()  # the command line closes the phase at each epoch's report
    lines = log.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines if line.endswith(" s)")] == ["epoch 1/2 4/4", "epoch 2/2 4/4"]


def test_an_unfinished_phase_gets_its_last_line_when_it_ends():
    log = io.StringIO()
    with ProgressPrinter(stream=log) as show:
        show(Progress(3, 400, "reading photos"))
    assert re.fullmatch(r"reading photos 3/400 \(\d+\.\d s\)\n", log.getvalue())


def test_a_terminal_gets_a_bar():
    screen = Terminal()
    with ProgressPrinter(stream=screen) as show:
        assert show.interactive
        for n in range(1, 11):
            show(Progress(n, 10, "ranking"))
    assert "\r" in screen.getvalue() and "ranking" in screen.getvalue()


def test_a_command_in_a_log_prints_plain_progress_lines(capsys, tmp_path):
    """capsys's stderr is not a terminal, as in a CI log."""
    code = cli.main(["synth", str(tmp_path / "synth"), "--individuals", "3", "--photos", "2-2"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "\r" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(re.fullmatch(r"\S+\.jpg \d/6( \(\d+\.\d s\))?", line) for line in lines), err
    assert lines[-1].split(" (")[0].endswith(" 6/6")


def test_a_slow_phase_in_a_log_writes_a_line_every_half_minute_while_it_advances():
    """A tenth of caching features for thousands of photos takes minutes: the log must not look
    stalled (issue 15: 'whaleid train' printed nothing for 7 minutes into a log file)."""
    now = [0.0]
    log = io.StringIO()
    with ProgressPrinter(stream=log, clock=lambda: now[0]) as show:
        show(Progress(0, 4000, "caching frozen backbone features"))
        for n in range(1, 200):  # 5 % of the phase, 20 s per photo batch...
            now[0] += 1.0
            show(Progress(n, 4000, "caching frozen backbone features"))
        now[0] += 120.0
        show(Progress(199, 4000, "caching frozen backbone features"))  # 180 -> 199 since the last line
        now[0] += 120.0
        show(Progress(199, 4000, "caching frozen backbone features"))  # no progress: no line
    lines = log.getvalue().splitlines()
    counts = [int(line.split()[-1].split("/")[0]) for line in lines[1:] if "(" not in line]
    assert counts == [30, 60, 90, 120, 150, 180, 199]  # every 30 s while it advances, none while it stands
    assert lines[-1] == "caching frozen backbone features 199/4000"  # ended where its last line said
