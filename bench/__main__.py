"""`make bench`: every benchmark, figures printed as tables and written to bench/results/*.json.

    python -m bench [--quick]      # --quick: retrieval scales 1x and 10x only
    python -m bench scaleout       # only 1 vs 2 processes on PostgreSQL against the embedding-bound limit
    python -m bench bounded        # only the worst-case messages, a contended user's p95, 1,000 web UI sessions
    python -m bench faults         # only the fault/load soak (SQLite file replaced, PostgreSQL frozen)
"""
import sys

from bench import bounded, faults, retrieval, scaleout, serving

ONLY = {"scaleout": scaleout.run, "bounded": bounded.run, "faults": faults.run}

if __name__ == "__main__":
    for name, run in ONLY.items():
        if name in sys.argv:
            run()
            sys.exit(0)
    quick = "--quick" in sys.argv
    serving.run()
    bounded.run()
    scaleout.run()
    faults.run()
    retrieval.run((1, 10) if quick else (1, 10, 100))
