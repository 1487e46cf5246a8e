"""What a field camera's photo costs the review screen (issue 15): a 24 MP and a 45 MP JPEG (a
synthetic fluke enlarged), shown the way the review does, before and after the photo came at
screen size (photo_display.VIEW_MIN_SIDE, VIEW_MAX_SIDE).

Per photo size, median of 5 (the first of each, cold, printed apart):
- worker: the box editor's photo (the whole decode before; load_view_image now: screen-sized,
  made a QImage in the screen's format), the 800 px query crop and a 200 px candidate thumbnail
  (crop_rgb, now decoded at the scale they are shown);
- GUI thread: the editor taking the photo (before: the array made a QImage, then a QPixmap;
  set_image) and its first paint.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_big_photo.py [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SIZES = {"24 MP": (6000, 4000), "45 MP": (8256, 5504)}
RUNS = 5


def big_photo(folder: Path, size: tuple[int, int]) -> Path:
    from PIL import Image

    from whaleid_gui.core.synthetic import generate_catalog

    path = folder / f"fluke_{size[0]}x{size[1]}.jpg"
    if not path.exists():
        generate_catalog(folder / "one", n_individuals=1, photos_per_individual=(1, 1), seed=3)
        small = next((folder / "one").rglob("*.jpg"))
        Image.open(small).convert("RGB").resize(size, Image.Resampling.BICUBIC).save(path, quality=92)
    return path


def whole_crop(path, box, max_side: int):
    """crop_rgb as it was: the whole photo decoded, then cropped and shrunk."""
    import numpy as np
    from PIL import Image

    from whaleid_gui.application.photo_display import display_region
    from whaleid_gui.core.photo_files import load_image

    image = load_image(path)
    image = image.crop(display_region(box, image.width, image.height))
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(image.convert("RGB"))


def ms(f) -> tuple[float, object]:
    t = time.perf_counter()
    out = f()
    return (time.perf_counter() - t) * 1000, out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "whaleid-big-photo"))
    a = p.parse_args()
    folder = Path(a.dir)
    folder.mkdir(parents=True, exist_ok=True)
    import numpy as np
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from whaleid_gui.application import photo_display
    from whaleid_gui.core.boxes import BoundingBox
    from whaleid_gui.core.photo_files import load_image
    from whaleid_gui.gui.box_editor import BoxEditor, load_view_image, qimage_from_array

    editor = BoxEditor()
    editor.resize(900, 600)
    editor.show()
    app.processEvents()
    print("| photo | path | worker: editor's photo | worker: 800 px query crop | worker: 200 px thumbnail "
          "| GUI thread: editor takes it | GUI thread: first paint | GUI thread in all |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (w, h) in SIZES.items():
        path = big_photo(folder, (w, h))
        box = BoundingBox(w * 0.15, h * 0.25, w * 0.85, h * 0.75)

        def before_worker():
            return np.asarray(load_image(path))  # the whole photo, as before

        def before_gui(arr):
            editor.set_image(qimage_from_array(arr))  # as the window did on arrival

        def now_gui(view):
            editor.set_image(view[0], photo_size=view[1])

        for name, load, take in (("before", before_worker, before_gui),
                                 ("now", lambda: load_view_image(str(path)), now_gui)):
            rows = []
            for _ in range(RUNS + 1):
                t_load, image = ms(load)
                crop = whole_crop if name == "before" else photo_display.crop_rgb
                t_crop, _ = ms(lambda: crop(path, box, max_side=800))
                t_thumb, _ = ms(lambda: crop(path, box, max_side=200))
                editor.set_image(None)
                editor.viewport().repaint()
                t_take, _ = ms(lambda: take(image))
                t_paint, _ = ms(editor.viewport().repaint)
                rows.append((t_load, t_crop, t_thumb, t_take, t_paint))
            cold, warm = rows[0], rows[1:]
            med = [statistics.median(col) for col in zip(*warm)]
            print(f"| {label} | {name} | " + " | ".join(f"{m:.0f}" for m in med[:3]) + " | "
                  + " | ".join(f"{m:.1f}" for m in med[3:]) + f" | {med[3] + med[4]:.1f} |"
                  f"  (cold: {', '.join(f'{c:.0f}' for c in cold)})")
    editor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
