"""The options of every command that matches photos (match, evaluate, project match): one set,
one wording. CSV files and projects differ only in --boxes (CSV mode) and --include-unboxed
(a project's queue)."""

from __future__ import annotations

import argparse

from .arg_types import positive_int, threshold


def add_match_options(p: argparse.ArgumentParser, *, csv_files: bool, project: bool) -> None:
    """csv_files: the command matches Image,Id CSVs (adds --boxes); project: it matches a
    project's photos (adds --include-unboxed; the defaults come from the project's settings)."""
    p.add_argument("--weights", help="weights file (default: the shipped model, see README; for a project: "
                                     "its active weights)")
    if csv_files:
        p.add_argument("--boxes", help="BOXES.csv: Image,x0,y0,x1,y1 for any image (others use the whole photo)")
    p.add_argument("--top", type=positive_int, default=5, help="how many IDs per query (default 5)")
    p.add_argument("--new-threshold", type=threshold, default="auto",
                   help="auto (calibrated on the references, default), none, or a score in [0, 1]")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="default: CUDA if present")
    p.add_argument("--image-size", type=positive_int, help="model input size in px (default: the weights' own)")
    p.add_argument("--cache-dir", help="feature cache folder (default: ~/.cache/whaleid; for a project: its "
                                       "cache folder)")
    p.add_argument("--rerank", choices=["keypoints", "fin-edges", "none"],
                   help="keypoints (default; for a project: its setting): verify the top 20 individuals by "
                        "local features and fuse both scores; fin-edges: the same plus the dorsal fin's "
                        "trailing edge (fin catalogs only); none: the embedding alone (see README)")
    if project:
        p.add_argument("--include-unboxed", action="store_true",
                       help=("with --project: " if csv_files else "") + "also match queue photos without a box "
                            "(whole photo)")
