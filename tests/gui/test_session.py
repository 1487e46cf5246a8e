"""A scientist's whole session, driven as a person would: first run creates the demo project,
draw a box with the mouse, wait for the candidates, confirm one, reject one, create a new
individual, undo, export. Uses the real engine (at a 64 px input size) and the real store."""

from __future__ import annotations

import csv

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QPushButton

from whaleid_gui.core.catalog import ProjectStore
from gestures import drag

MATCH_TIMEOUT = 120_000  # first match loads torch and the model


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    window.activateWindow()
    qtbot.keyClick(window.editor, k, mod)


def test_whole_session(qtbot, window, tmp_path):
    # First run: no last project -> the demo project is created in a worker, then opened.
    window.start(None)
    qtbot.waitUntil(lambda: window.store is not None, timeout=90_000)
    assert window.folder.name == "project" and "demo" in str(window.folder)
    store = window.store
    todo = [p for p in store.photos() if p.status != "done"]
    assert len(todo) >= 3 and window.queue.list.count() == len(todo)
    qtbot.waitUntil(lambda: window.editor.has_image(), timeout=20_000)
    first = window.controller.photo_id
    assert first == window.queue.visible_ids()[0]
    assert "Draw a box" in window.review.message.text()
    # the box model (or, without one, the demo) proposes a box, drawn dashed
    qtbot.waitUntil(lambda: window.editor.proposal is not None, timeout=30_000)

    # Draw the box with the mouse on the photo.
    ed = window.editor
    w, h = ed.image_size
    a = ed.mapFromScene(QPointF(w * 0.1, h * 0.15))
    b = ed.mapFromScene(QPointF(w * 0.9, h * 0.75))
    with qtbot.waitSignal(ed.box_drawn, timeout=5000):
        drag(qtbot, ed, a, b)
    saved = store.box(first)
    assert saved is not None and saved.source == "manual"
    assert abs(saved.box.x0 - w * 0.1) < 3 and abs(saved.box.y1 - h * 0.75) < 3
    assert store.photo(first).status == "needs_decision"

    # Matching runs in a worker: the window stays responsive and the candidates come.
    qtbot.waitUntil(lambda: len(window.review.cards) >= 3, timeout=MATCH_TIMEOUT)
    cands = [c.candidate for c in window.review.cards]
    assert [c.rank for c in cands] == sorted(c.rank for c in cands)
    assert all(c.n_photos >= 1 and c.image is not None for c in cands)
    assert "catalog photos" in window.review.scope.text()
    assert store.candidates(first), "the ranking is recorded for the audit trail"
    assert "device: CPU" in window.engine_label.text()

    # Confirm the top candidate with one key: recorded with who/when, auto-advance.
    top = window.review.selected()
    key(qtbot, window, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: window.controller.photo_id != first, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.deciding(), timeout=5000)  # recorded in a worker
    d = [x for x in store.decisions(first) if not x.undone][-1]
    assert d.decision == "confirmed" and d.individual_code == top.code and d.who and d.at
    assert store.photo(first).status == "done"
    second = window.controller.photo_id

    # Second photo: accept the proposed (dashed) box with one key, then reject a candidate.
    qtbot.waitUntil(lambda: window.editor.has_image() and window.editor.proposal is not None, timeout=20_000)
    key(qtbot, window, Qt.Key.Key_A)
    assert store.box(second) is not None and store.box(second).source == "proposed"
    qtbot.waitUntil(lambda: len(window.review.cards) >= 2, timeout=MATCH_TIMEOUT)
    rejected = window.review.selected()
    qtbot.mouseClick(window.review.reject_button, Qt.MouseButton.LeftButton)
    assert [x.decision for x in store.decisions(second)] == ["rejected"]
    assert window.review.cards[0].rejected and window.review.selected() != rejected
    assert window.controller.photo_id == second  # a rejection does not advance

    # New individual: the next free code is suggested, the name typed in place.
    expected = store.next_free_code()
    key(qtbot, window, Qt.Key.Key_N)
    bar = window.review.new_bar
    assert bar.isVisible() and bar.code.text() == expected
    qtbot.keyClicks(bar.name, "Splash")
    qtbot.keyClick(bar.name, Qt.Key.Key_Return)
    ind = store.individual_by_code(expected)
    assert ind is not None and ind.name == "Splash"
    assert store.photo(second).status == "done"
    qtbot.waitUntil(lambda: window.controller.photo_id not in (second, None), timeout=5000)
    # Buttons never took the focus from the canvas / shortcuts.
    assert all(b.focusPolicy() == Qt.FocusPolicy.NoFocus for b in window.review.findChildren(QPushButton))

    # Undo: the new individual and its sighting go; the photo comes back to review.
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.individual_by_code(expected) is None
    assert store.photo(second).status == "needs_decision"
    assert window.controller.photo_id == second
    assert [x.undone for x in store.decisions(second)] == [False, True]

    # Export the catalog through the menu's job.
    out = tmp_path / "catalog.csv"
    window.export_to("catalog", str(out))
    qtbot.waitUntil(lambda: out.exists() and not window.pool.running("export"), timeout=30_000)
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    confirmed_name = store.photo(first).path.name
    assert any(r["individual"] == top.code and confirmed_name in r["photos"] for r in rows)
    assert window.last_error is None

    # Reopen: the window opens the last project (QSettings).
    folder = str(window.folder)
    window.close_project()
    window.start(None)
    assert str(window.folder) == folder
    reopened = ProjectStore.open(folder, read_only=True)
    try:
        assert reopened.photo(first).status == "done"
    finally:
        reopened.close()
