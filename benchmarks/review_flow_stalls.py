"""Where the GUI thread is during the review flow's stalls: bench_review_flow.py's review step run
in this process, with a sampler thread taking the GUI thread's stack every 4 ms and the garbage
collector's passes timed; for each of the ten longest heartbeat gaps over LATE ms it prints the
GUI thread's stacks inside the gap (and, with THREADS=1, the other threads', DEPTH frames deep, 4 unless told). Used for issue 15
(RESULTS_gui.md, "2026-12-03 evening").

    LATE=45 N=12 THREADS=1 .venv/bin/python benchmarks/review_flow_stalls.py /tmp/whaleid-flow/catalog-1000

The folder is one that bench_review_flow.py prepared (it holds project/). The sampler takes the
GIL too, so its stalls run a little longer than the bench's.
"""
import collections, gc, json, os, sys, threading, time
from pathlib import Path
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE)); sys.path.insert(0, str(HERE.parent))
import bench_review_flow as B
from stall_sampler import stack as fmt  # the GUI-thread stack line of stall_sampler.py

LATE = float(os.environ.get("LATE", "40"))
samples = collections.deque(maxlen=20000)  # (t, stack str, other-thread stacks)
gcs = []  # (t0, t1, gen, thread)
gcstart = {}
def cb(phase, info):
    t = time.perf_counter()
    if phase == "start": gcstart[threading.get_ident()] = t
    else:
        t0 = gcstart.pop(threading.get_ident(), t)
        gcs.append((t0, t, info["generation"], threading.current_thread().name, info.get("collected")))
gc.callbacks.append(cb)

gui = threading.get_ident()
running = [True]
def sampler():
    while running[0]:
        time.sleep(0.004)
        t = time.perf_counter()
        fr = sys._current_frames()
        f = fr.get(gui)
        others = []
        if os.environ.get("THREADS"):
            for tid, of in fr.items():
                if tid not in (gui, threading.get_ident()):
                    others.append(fmt(of, int(os.environ.get("DEPTH", "4"))))
        samples.append((t, fmt(f, 7) if f else "?", others))
threading.Thread(target=sampler, daemon=True).start()

late = []
orig_tick = B.GapMeter._tick
def tick(self):
    now = time.perf_counter()
    prev = getattr(self, "_pc", None)
    self._pc = now
    if prev is not None and (now - prev) * 1000 > LATE:
        late.append((self.phase, (now - prev) * 1000, prev, now))
    orig_tick(self)
B.GapMeter._tick = tick

folder = Path(sys.argv[1])
res = B.review(B.review_copy(folder), int(os.environ.get("N", "20")), 1.5)
running[0] = False
time.sleep(0.05)
snap = list(samples)
print(json.dumps({k: res[k] for k in ("first_match_s", "key_to_candidates_ms", "stalls")}, indent=0))
for g in (0, 1, 2):
    ms = sorted(1000 * (b - a) for a, b, gen, _name, _n in gcs if gen == g)
    if ms:
        print(f"GC gen{g}: {len(ms)} passes, median {ms[len(ms) // 2]:.1f} ms, max {ms[-1]:.1f} ms")
for phase, gap, t0, t1 in sorted(late, key=lambda x: -x[1])[:10]:
    print(f"\n=== {phase} gap {gap:.0f} ms")
    for g in gcs:
        if g[1] > t0 and g[0] < t1:
            print(f"   GC gen{g[2]} {1000*(g[1]-g[0]):.0f} ms on {g[3]} collected {g[4]}")
    c = collections.Counter()
    oth = collections.Counter()
    for t, s, o in snap:
        if t0 <= t <= t1:
            c[s] += 1
            for x in o: oth[x] += 1
    for s, n in c.most_common(8):
        print(f"  {n:3d}x {s}")
    for s, n in oth.most_common(4):
        print(f"     other {n:3d}x {s}")
