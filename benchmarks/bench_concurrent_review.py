"""Several reviewers deciding in one catalog at once (issue 13 point 6): decisions lost, conflicts
detected, decision latency, on PostgreSQL (a throwaway pgserver started here) and SQLite.

    python benchmarks/bench_concurrent_review.py [--reviewers 8] [--decisions 500] [--overlap 0.1]
        [--backend postgresql|sqlite|both] [--pg-fast]

Each reviewer is a process of its own (spawned: a fresh interpreter, as separate apps or CLI runs
are) that loads its queue (each photo's decision version, as `whaleid decide --from` does when it
starts), waits until every reviewer is ready, then decides its photos one by one: it opens the photo
(claims it: "being reviewed by") and records a decision, each one transaction of its own. Most
photos are a reviewer's own (confirm an individual, reject one, or a new individual with the next
free code); a share (--overlap) is also in a neighbour's queue, at the same place, and the two
decide it differently: a conflicting pair. Every pair must end with one decision in force and the
other refused (DecisionConflictError) and kept in the history; a decision the store said it
committed must be in the catalog (lost = 0) and no decision may be there that nobody committed.

PostgreSQL runs as pgserver starts it (fsync on) unless --pg-fast (fsync off, like the tests').
SQLite: all reviewers open the project shared (ProjectStore.open(shared=True)); SQLite lets one
writer in at a time (BEGIN IMMEDIATE), the others wait for the lock (busy timeout 10 s) and go
on; that wait is part of their latency. Results go to benchmarks/RESULTS_catalog.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_INDIVIDUALS = 60
SPAWN = multiprocessing.get_context("spawn")


# ---------------------------------------------------------------------------- the plan
def plan(reviewers: int, decisions: int, overlap: float, seed: int = 0):
    """Per reviewer, the list of (photo index, action, individual index or None), and the number
    of photos. Reviewer r shares m photos with r+1 (and m with r-1), at the same positions in both
    queues, where the two decide differently (confirm two different individuals)."""
    rng = random.Random(seed)
    m = int(round(decisions * overlap / 2)) if reviewers > 1 else 0
    queues: list[list] = [[] for _ in range(reviewers)]
    next_photo = 0
    shared_slots = sorted(rng.sample(range(decisions), 2 * m))  # the same positions in every queue
    with_next, with_prev = shared_slots[0::2], shared_slots[1::2]
    pair_photo = {}
    for r in range(reviewers):  # one block of m photos per neighbouring pair (r, r+1)
        pair_photo[r] = list(range(next_photo, next_photo + m))
        next_photo += m
    n_shared = next_photo
    for r in range(reviewers):
        nxt, prev = pair_photo[r], pair_photo[(r - 1) % reviewers]
        slots = {}
        for k, pos in enumerate(with_next):
            slots[pos] = (nxt[k], "confirm", (2 * k) % N_INDIVIDUALS)  # r says one individual ...
        for k, pos in enumerate(with_prev):
            slots[pos] = (prev[k], "confirm", (2 * k + 1) % N_INDIVIDUALS)  # ... its neighbour another
        for pos in range(decisions):
            if pos in slots:
                queues[r].append(slots[pos])
                continue
            roll = rng.random()
            action = "confirm" if roll < 0.7 else "reject" if roll < 0.9 else "new"
            queues[r].append((next_photo, action, None if action == "new" else rng.randrange(N_INDIVIDUALS)))
            next_photo += 1
    return queues, next_photo, n_shared if reviewers > 1 else 0


# ---------------------------------------------------------------------------- one reviewer process
def reviewer(folder: str, user: str, queue: list, shared: bool, barrier, results) -> None:
    from whaleid_gui.core.catalog import CatalogError, DecisionConflictError, DecisionError, ProjectStore

    try:
        with ProjectStore.open(folder, user=user, shared=shared) as store:
            photo_ids = [p.id for p in store.photos(sort="path")]
            codes = {i.code: i.id for i in store.individuals()}
            ind_ids = [codes[f"HW-{k:03d}"] for k in range(N_INDIVIDUALS)]
            # the queue as loaded: each photo's version when the reviewer got it
            seen = {photo_ids[p]: store.decision_state(photo_ids[p])[0] for p, _a, _i in queue}
            barrier.wait(120)
            committed, conflicts, refused, busy, open_ms, decide_ms = [], [], [], [], [], []
            kinds = {"confirm": "confirmed", "reject": "rejected", "new": "new_individual"}
            t_start = time.perf_counter()
            for p, action, ind in queue:
                pid = photo_ids[p]
                t0 = time.perf_counter()
                try:
                    store.claim_photo(pid)  # opening the photo: others see who has it
                except CatalogError:
                    pass  # a claim is a hint; the app goes on without it
                t1 = time.perf_counter()
                for attempt in range(3):  # "the project is busy; try again": the reviewer does
                    try:
                        row = store.decide(pid, kinds[action], individual_id=None if ind is None else ind_ids[ind],
                                           expected_version=seen[pid])
                        committed.append((row.id, pid))
                        seen[pid] = row.photo_version
                    except DecisionConflictError as err:
                        conflicts.append((pid, err.first.id, err.refused.id))
                    except DecisionError as err:  # any other refusal would be a planning error: reported
                        refused.append((pid, str(err)))
                    except CatalogError as err:  # busy: nothing was written; said to the reviewer
                        busy.append((pid, attempt, str(err)))
                        continue
                    break
                t2 = time.perf_counter()
                open_ms.append((t1 - t0) * 1000)
                decide_ms.append((t2 - t1) * 1000)
            wall = time.perf_counter() - t_start
            store.release_claims()
        results.put({"user": user, "committed": committed, "conflicts": conflicts, "refused": refused, "busy": busy,
                     "open_ms": open_ms, "decide_ms": decide_ms, "wall_s": wall})
    except BaseException as err:  # noqa: BLE001 - reported to the parent
        results.put({"user": user, "error": repr(err)})


# ---------------------------------------------------------------------------- setup and check
def make_catalog(folder: Path, db_url: str | None, n_photos: int) -> None:
    """n_photos photo rows (fake paths: decisions never open the files) and N_INDIVIDUALS individuals."""
    from whaleid_gui.core.catalog import ProjectStore
    from whaleid_gui.core.catalog.schema import photos
    from whaleid_gui.core.catalog.timeutil import now_iso

    with ProjectStore.create(folder, user="admin", db_url=db_url) as store:
        at = now_iso()
        with store._tx() as conn:
            conn.execute(photos.insert(), [
                {"path": f"/survey/img_{i:05d}.jpg", "sha1": f"{i:040x}", "width": 96, "height": 64,
                 "imported_at": at} for i in range(n_photos)])
        for k in range(N_INDIVIDUALS):
            store.create_individual(f"HW-{k:03d}")


def check(folder: Path, shared: bool, reports: list[dict], n_shared: int) -> dict:
    from whaleid_gui.core.catalog import ProjectStore

    with ProjectStore.open(folder, user="admin", shared=shared) as store:
        rows = store.decisions()
    in_force = {d.id: d for d in rows if not d.undone}
    refused_rows = {d.id: d for d in rows if d.conflict_with is not None}
    said = {i: (pid, r["user"]) for r in reports for i, pid in r["committed"]}
    lost = [i for i in said if i not in in_force or in_force[i].photo_id != said[i][0] or in_force[i].who != said[i][1]]
    extra = [i for i in in_force if i not in said]
    conflicts = [c for r in reports for c in r["conflicts"]]
    shown_right = sum(1 for pid, first, refused in conflicts
                      if refused in refused_rows and refused_rows[refused].conflict_with == first
                      and first in in_force and in_force[first].photo_id == pid)
    per_photo: dict[int, int] = {}
    for d in in_force.values():
        if d.decision == "confirmed":
            per_photo[d.photo_id] = per_photo.get(d.photo_id, 0) + 1
    return {"committed": len(said), "in_force": len(in_force), "lost": len(lost), "extra": len(extra),
            "conflicts": len(conflicts), "pairs": n_shared, "conflicts_kept": shown_right,
            "other_refusals": sum(len(r["refused"]) for r in reports),
            "busy": sum(len(r["busy"]) for r in reports),
            "busy_given_up": sum(1 for r in reports for _pid, attempt, _e in r["busy"] if attempt == 2),
            "double_confirmed_photos": sum(1 for n in per_photo.values() if n > 1)}


def percentile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))] if v else float("nan")


def run(backend: str, args, root: Path, pg_server=None) -> dict:
    queues, n_photos, n_shared = plan(args.reviewers, args.decisions, args.overlap)
    folder = root / f"catalog_{backend}"
    db_url = None
    if backend == "postgresql":
        import psycopg

        name = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(pg_server.get_uri(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        db_url = f"postgresql://postgres@/{name}?host={pg_server.pgdata}"
    make_catalog(folder, db_url, n_photos)
    shared = backend == "sqlite"
    barrier, results = SPAWN.Barrier(args.reviewers + 1), SPAWN.Queue()
    procs = [SPAWN.Process(target=reviewer, args=(str(folder), f"reviewer{r}", queues[r], shared, barrier, results))
             for r in range(args.reviewers)]
    for p in procs:
        p.start()
    barrier.wait(300)  # every reviewer has its queue loaded: start the clock
    t0 = time.perf_counter()
    reports = [results.get(timeout=1800) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join(60)
    errors = [r for r in reports if "error" in r]
    if errors:
        print(f"# {backend}: reviewer failed: {errors}")
        reports = [r for r in reports if "error" not in r]
    out = check(folder, shared, reports, n_shared)
    decide_ms = [x for r in reports for x in r["decide_ms"]]
    open_ms = [x for r in reports for x in r["open_ms"]]
    out.update(backend=backend, wall_s=wall, rate=len(decide_ms) / wall,
               p50=percentile(decide_ms, 50), p95=percentile(decide_ms, 95), p99=percentile(decide_ms, 99),
               open_p50=percentile(open_ms, 50), open_p95=percentile(open_ms, 95))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviewers", type=int, default=8)
    ap.add_argument("--decisions", type=int, default=500, help="decisions per reviewer")
    ap.add_argument("--overlap", type=float, default=0.1, help="share of a reviewer's decisions on photos shared with a neighbour")
    ap.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    ap.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync (as in the tests)")
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"# {args.reviewers} reviewers x {args.decisions} decisions, overlap {args.overlap:g}")
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = None
        if "postgresql" in backends:
            import warnings

            import pgserver

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server = pgserver.get_server(root / "pg", cleanup_mode="stop")
            if args.pg_fast:
                import psycopg

                with psycopg.connect(server.get_uri(), autocommit=True) as admin:
                    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                        admin.execute(f"ALTER SYSTEM SET {setting} = off")
                    admin.execute("SELECT pg_reload_conf()")
        try:
            for backend in backends:
                rows.append(run(backend, args, root, server))
        finally:
            if server is not None:
                server.cleanup()
    print("| backend | decisions committed | in catalog | lost | extra | conflicting pairs | conflicts detected "
          "| refused kept, first shown | other refusals | busy, tried again (given up) | photos confirmed twice | wall s | decisions/s "
          "| decide p50 ms | p95 ms | p99 ms | open (claim) p50 / p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['committed']} | {r['in_force']} | {r['lost']} | {r['extra']} | {r['pairs']} "
              f"| {r['conflicts']} | {r['conflicts_kept']} | {r['other_refusals']} | {r['busy']} ({r['busy_given_up']}) "
              f"| {r['double_confirmed_photos']} "
              f"| {r['wall_s']:.1f} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
              f"| {r['open_p50']:.1f} / {r['open_p95']:.1f} |")
    load = os.getloadavg()
    print(f"# load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
