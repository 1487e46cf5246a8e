"""The review's same-encounter strip redrawn at each key press, as a review walks through one
encounter of N photos (a camera's burst): milliseconds per photo on the GUI thread (issue 15).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_sibling_strip.py [30 100 300]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def walk(panel, app, n: int) -> list[float]:
    from PySide6.QtGui import QColor, QPixmap

    pixmaps = []
    for i in range(n):
        pm = QPixmap(96, 64)
        pm.fill(QColor(i * 7 % 255, 80, 120))
        pixmaps.append(pm)
    times = []
    for query in range(n):  # each photo of the encounter reviewed in turn, the earlier ones done
        t = time.perf_counter()
        items = [(i, ("\u2713 " if i < query else "") + f"{i:03d}", f"photo {i}") for i in range(n) if i != query]
        panel.set_siblings(items, " (survey S)")
        for i, _text, _tip in items:  # as ReviewController._show_siblings gives the queue's thumbnails
            panel.set_sibling_thumbnail(i, pixmaps[i])
        times.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    return sorted(times)


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from whaleid_gui.gui.match_review import MatchReviewPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    sizes = [int(a) for a in sys.argv[1:]] or [30, 100, 300]
    for n in sizes:
        panel = MatchReviewPanel()
        panel.resize(1000, 700)
        panel.show()
        app.processEvents()
        t = walk(panel, app, n)
        print(f"encounter of {n} photos: median {t[len(t) // 2]:.2f} ms, p95 {t[int(0.95 * (len(t) - 1))]:.2f} ms, "
              f"max {t[-1]:.2f} ms per photo shown", flush=True)
        panel.close()
        panel.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
