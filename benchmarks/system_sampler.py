"""What the machine does while a benchmark runs, every 5 ms, on the monotonic clock that
review_flow_calls.py prints gap starts on: TLB shootdowns and function-call IPIs per CPU
(/proc/interrupts), the DAMON thread's system time (kdamond, when there is one), each CPU's
/proc/stat counters (user nice system idle iowait irq softirq steal, in ticks), and major faults,
file refaults and page faults (/proc/vmstat). Used for RESULTS_gui.md ("2026-12-04 evening").

    .venv/bin/python benchmarks/system_sampler.py OUT.txt SECONDS &
    LATE=45 N=20 .venv/bin/python benchmarks/review_flow_calls.py FOLDER

One line per sample: t tlb0 tlb1 cal0 cal1 kdamond_stime | cpu0 x8 | cpu1 x8 | pgmajfault
workingset_refault_file pgfault. Linux only.
"""
import glob
import sys
import time


def kdamond_stat() -> str | None:
    for path in glob.glob("/proc/[0-9]*/comm"):
        try:
            if open(path).read().startswith("kdamond"):
                return path.replace("comm", "stat")
        except OSError:
            continue
    return None


def main() -> int:
    out, seconds = open(sys.argv[1], "w"), float(sys.argv[2])
    kdamond = kdamond_stat()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        lines = open("/proc/interrupts").read().splitlines()
        tlb = next(x for x in lines if x.strip().startswith("TLB:")).split()[1:3]
        cal = next(x for x in lines if x.strip().startswith("CAL:")).split()[1:3]
        kd = open(kdamond).read().split()[14] if kdamond else "-"
        cpus = [x.split()[1:9] for x in open("/proc/stat").read().splitlines()[1:3]]
        vm = {x.split()[0]: x.split()[1] for x in open("/proc/vmstat")
              if x.startswith(("pgmajfault", "workingset_refault_file", "pgfault "))}
        out.write(f"{t:.4f} {' '.join(tlb)} {' '.join(cal)} {kd} | {' '.join(cpus[0])} | {' '.join(cpus[1])} | "
                  f"{vm.get('pgmajfault')} {vm.get('workingset_refault_file')} {vm.get('pgfault')}\n")
        time.sleep(0.005)
    return 0


if __name__ == "__main__":
    sys.exit(main())
