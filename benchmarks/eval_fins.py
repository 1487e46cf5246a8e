"""End-to-end check on REAL photos: ../shared/data/fins (dolphin and shark dorsal fins, other species).

Catalog = role reference + distractor; queries = role query (their Id is the truth). Whole photos
(no boxes are given). Writes the CSVs (absolute paths into ../shared, so no GPL image is copied)
into a work folder, then runs `whaleid match` and `whaleid evaluate` as a user would.

    .venv/bin/python benchmarks/eval_fins.py [--weights W] [--image-size 384] [--rerank keypoints]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINS = ROOT.parent / "shared" / "data" / "fins"


def write_csvs(folder: Path) -> tuple[Path, Path]:
    with open(FINS / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    refs = folder / "fins_references.csv"
    queries = folder / "fins_queries.csv"
    with open(refs, "w", newline="", encoding="utf-8") as r, open(queries, "w", newline="", encoding="utf-8") as q:
        rw, qw = csv.writer(r), csv.writer(q)
        rw.writerow(["Image", "Id"])
        qw.writerow(["Image", "Id"])
        known = {row["Id"] for row in rows if row["role"] in ("reference", "distractor")}
        for row in rows:
            path = str((FINS / row["Image"]).resolve())
            if row["role"] in ("reference", "distractor"):
                rw.writerow([path, row["Id"]])
            elif row["role"] == "query":
                qw.writerow([path, row["Id"] if row["Id"] in known else "new_whale"])
    return refs, queries


def write_apache_train_csv(folder: Path) -> Path:
    """Image,Id of the catalog (role reference) photos licensed Apache-2.0 (curvrank/, finfindr/):
    the real photos a lab could fine-tune on. GPL photos (darwin/) and the queries are left out."""
    with open(FINS / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["role"] == "reference" and r["license"] == "Apache-2.0"]
    out = folder / "fins_train_apache.csv"
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Image", "Id"])
        writer.writerows([str((FINS / r["Image"]).resolve()), r["Id"]] for r in rows)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights")
    parser.add_argument("--image-size", default="384")
    parser.add_argument("--rerank", default="none")
    parser.add_argument("--work", help="folder for the CSVs and predictions (default: a temp folder)")
    parser.add_argument("--write-train", action="store_true",
                        help="only write WORK/fins_train_apache.csv (fine-tuning data) and stop")
    args = parser.parse_args()
    if not FINS.exists():
        print(f"{FINS} not found", file=sys.stderr)
        return 1
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="whaleid-fins-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.write_train:
        print(write_apache_train_csv(work))
        return 0
    refs, queries = write_csvs(work)
    common = ["--image-size", args.image_size, "--rerank", args.rerank] + (["--weights", args.weights] if args.weights else [])
    whaleid = [sys.executable, "-m", "whaleid_gui"]
    subprocess.run(whaleid + ["match", str(refs), str(queries), "--out", str(work / "fins_pred.csv")] + common, check=True)
    subprocess.run(whaleid + ["evaluate", str(refs), str(queries)] + common, check=True)
    print(f"predictions: {work / 'fins_pred.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
