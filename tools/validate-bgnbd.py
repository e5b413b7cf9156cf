#!/usr/bin/env python3
"""Checks CustomerBase's BG/NBD against an independent implementation, Python's `lifetimes`.

For each data set, fits with lifetimes' BetaGeoFitter and with our `bgnbd-fit` (release
build), then checks:
  - the fits: every parameter within 1 %, P(alive) within 0.01 for every customer, and the
    expected purchases in the next `horizon` within 1 % (relative, or 1e-3 absolute);
  - the formulas: at the same parameters (lifetimes' fit, and a few hard cases given by hand),
    P(alive) within 1e-9 and expected purchases within 1e-6 relative;
and finally times our fit over 1,000,000 simulated customers (target: under 10 s).

Data sets:
  cdnow       the CDNOW summary shipped inside the lifetimes package (2357 customers, weeks);
              read from the installed package, not copied into this repository
  days        20,000 customers simulated by BG/NBD in whole days (r 0.75, α 40, a 0.9, b 3.5,
              the SyntheticChain defaults), T from 30 to 730 days
  heavy       5,000 frequent buyers (r 3, α 10, a 0.5, b 20), T up to 1000 days, x in the
              hundreds: the hypergeometric function's hard regime

    tools/validate-bgnbd.py                 everything
    tools/validate-bgnbd.py --no-bench      without the 1M-customer timing
    tools/validate-bgnbd.py --bench-only    only the timing

Needs python3 with pip (installs `lifetimes` if missing) and the Swift toolchain.
Python is used only here, never at run time.
"""
import argparse, io, json, os, shutil, subprocess, sys, tempfile, time, warnings

# lifetimes' autograd warns about log(0) on customers without repeat purchases; its results are fine.
warnings.filterwarnings("ignore", category=RuntimeWarning)

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_lifetimes():
    try:
        import lifetimes  # noqa: F401
    except ImportError:
        print("validate-bgnbd: installing lifetimes with pip", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "lifetimes"], check=True)


def swift_executable():
    found = shutil.which("swift")
    if found:
        return found
    fallback = "/opt/swift/usr/bin/swift"
    if os.path.exists(fallback):
        return fallback
    sys.exit("validate-bgnbd: no swift on PATH or in /opt/swift")


def build_tool():
    swift = swift_executable()
    print("validate-bgnbd: building bgnbd-fit (release)", file=sys.stderr)
    subprocess.run([swift, "build", "-c", "release", "--product", "bgnbd-fit"], cwd=root, check=True,
                   stdout=sys.stderr)
    bin_path = subprocess.run([swift, "build", "-c", "release", "--show-bin-path"], cwd=root, check=True,
                              capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_path, "bgnbd-fit")


def run_tool(tool, rows, args=(), csv_path=None):
    """Runs bgnbd-fit on rows (x, t_x, T) or on a CSV file, returns its JSON."""
    if csv_path is None:
        buffer = io.StringIO()
        buffer.write("x,t_x,T\n")
        for x, tx, T in rows:
            buffer.write(f"{int(x)},{float(tx)!r},{float(T)!r}\n")
        done = subprocess.run([tool, *args], input=buffer.getvalue(), capture_output=True, text=True)
    else:
        with open(csv_path) as stdin:
            done = subprocess.run([tool, *args], stdin=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bgnbd-fit failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout)


def simulate(n, r, alpha, a, b, ages, rng, whole_days=True):
    """BG/NBD customers: rate ~ Gamma(r, 1/α), dropout chance ~ Beta(a, b), first purchase at 0,
    Poisson purchases until T, a coin with the dropout chance after each repeat purchase.
    With whole_days, purchases are reduced to their day and one day counts once (as CustomerHistory
    does); otherwise times are continuous."""
    import numpy as np
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    T = np.asarray(ages, dtype=float)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    while True:
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        t[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        beyond = t[idx] > T[idx]
        active[idx[beyond]] = False
        bought = idx[~beyond]
        when = np.floor(t[bought]) if whole_days else t[bought]
        new_day = when > tx[bought] if whole_days else np.ones(bought.size, dtype=bool)
        x[bought[new_day]] += 1
        tx[bought[new_day]] = when[new_day]
        died = rng.random(bought.size) < p[bought]
        active[bought[died]] = False
    return x, tx, T


def datasets():
    import numpy as np
    from lifetimes.datasets import load_cdnow_summary
    cdnow = load_cdnow_summary(index_col=[0])
    yield "cdnow", (cdnow["frequency"].to_numpy(), cdnow["recency"].to_numpy(), cdnow["T"].to_numpy()), 39.0
    rng = np.random.default_rng(20260101)
    n = 20_000
    yield "days", simulate(n, 0.75, 40.0, 0.9, 3.5, rng.integers(30, 731, n), rng), 30.0
    n = 5_000
    yield "heavy", simulate(n, 3.0, 10.0, 0.5, 20.0, rng.integers(200, 1001, n), rng), 365.0


passed, failed = 0, 0


def check(name, ok, detail):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok   {name}: {detail}")
    else:
        failed += 1
        print(f"  FAIL {name}: {detail}")


def relative(ours, theirs):
    import numpy as np
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)


def compare_formulas(label, tool, data, horizon, params):
    """Ours and lifetimes' P(alive) and expected purchases at the same parameters."""
    import numpy as np
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter
    import pandas as pd
    x, tx, T = data
    reference = BetaGeoFitter()
    reference.params_ = pd.Series(dict(r=params[0], alpha=params[1], a=params[2], b=params[3]))
    their_alive = np.asarray(reference.conditional_probability_alive(x, tx, T))
    modified = ModifiedBetaGeoFitter()
    modified.params_ = reference.params_
    their_alive_counting_first = np.asarray(modified.conditional_probability_alive(x, tx, T))
    their_expected = np.asarray(reference.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, T))
    ours = run_tool(tool, zip(x, tx, T), ["--parameters", ",".join(repr(float(v)) for v in params),
                                          "--horizon", repr(horizon)])
    alive_gap = np.max(np.abs(np.asarray(ours["pAlive"]) - their_alive))
    finite = np.isfinite(their_expected)
    expected_gap = np.max(relative(np.asarray(ours["expectedPurchases"])[finite], their_expected[finite]))
    check(f"{label} P(alive) at the same parameters", alive_gap <= 1e-9, f"max |Δ| = {alive_gap:.2e}")
    first_gap = np.max(np.abs(np.asarray(ours["pAliveCountingFirstPurchase"]) - their_alive_counting_first))
    check(f"{label} P(alive) counting the first purchase, against ModifiedBetaGeoFitter at the same parameters",
          first_gap <= 1e-9, f"max |Δ| = {first_gap:.2e}")
    check(f"{label} E[purchases in {horizon:g}] at the same parameters",
          expected_gap <= 1e-6 and finite.all(),
          f"max relative Δ = {expected_gap:.2e}" + ("" if finite.all() else f"; lifetimes gave {np.sum(~finite)} non-finite"))


def validate(tool):
    import numpy as np
    from lifetimes import BetaGeoFitter
    for name, data, horizon in datasets():
        x, tx, T = data
        print(f"{name}: {len(x)} customers, {int(np.sum(x > 0))} repeat buyers, horizon {horizon:g}")
        started = time.perf_counter()
        theirs = BetaGeoFitter().fit(x, tx, T)
        their_seconds = time.perf_counter() - started
        their_params = [float(theirs.params_[k]) for k in ("r", "alpha", "a", "b")]
        ours = run_tool(tool, zip(x, tx, T), ["--horizon", repr(horizon)])
        our_params = [ours["parameters"][k] for k in ("r", "alpha", "a", "b")]
        print(f"  lifetimes  r={their_params[0]:.6f} α={their_params[1]:.6f} a={their_params[2]:.6f} "
              f"b={their_params[3]:.6f}  ({their_seconds:.2f} s)")
        print(f"  ours       r={our_params[0]:.6f} α={our_params[1]:.6f} a={our_params[2]:.6f} "
              f"b={our_params[3]:.6f}  LL={ours['fit']['logLikelihood']:.4f}, {ours['fit']['iterations']} "
              f"iterations, {ours['fit']['distinctHistories']} distinct histories, {ours['fit']['seconds']:.3f} s")
        gaps = relative(our_params, their_params)
        check(f"{name} parameters within 1 %", np.all(gaps <= 0.01),
              "relative Δ r %.1e α %.1e a %.1e b %.1e" % tuple(gaps))
        their_alive = np.asarray(theirs.conditional_probability_alive(x, tx, T))
        alive_gap = np.max(np.abs(np.asarray(ours["pAlive"]) - their_alive))
        check(f"{name} P(alive) within 0.01 for every customer", alive_gap <= 0.01, f"max |Δ| = {alive_gap:.2e}")
        their_expected = np.asarray(theirs.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, T))
        our_expected = np.asarray(ours["expectedPurchases"])
        finite = np.isfinite(their_expected)
        gap = np.abs(our_expected[finite] - their_expected[finite])
        close = np.all((gap <= 0.01 * np.abs(their_expected[finite])) | (gap <= 1e-3))
        check(f"{name} E[purchases in {horizon:g}] close", close and finite.all(),
              f"max |Δ| = {np.max(gap):.2e}, max relative Δ = {np.max(relative(our_expected[finite], their_expected[finite])):.2e}"
              + ("" if finite.all() else f"; lifetimes gave {np.sum(~finite)} non-finite"))
        compare_formulas(name, tool, data, horizon, their_params)
    # Hard cases by hand, on the heavy data: a ≈ 1 (the 1/(a − 1) factor), large a, long horizons.
    import numpy as np
    rng = np.random.default_rng(7)
    data = simulate(3_000, 1.5, 20.0, 1.2, 4.0, rng.integers(50, 801, 3_000), rng)
    for params, horizon in [((1.5, 20.0, 1.00002, 4.0), 90.0), ((1.5, 20.0, 0.99999, 4.0), 400.0),
                            ((0.6, 3.0, 6.0, 40.0), 365.0), ((2.5, 30.0, 0.3, 0.8), 2000.0)]:
        compare_formulas(f"given r={params[0]} α={params[1]} a={params[2]} b={params[3]}", tool, data, horizon, params)


def bench(tool, customers, whole_days=True):
    import numpy as np
    rng = np.random.default_rng(1)
    started = time.perf_counter()
    x, tx, T = simulate(customers, 0.75, 40.0, 0.9, 3.5, rng.integers(0, 731, customers), rng, whole_days)
    simulated = time.perf_counter() - started
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        path = handle.name
        handle.write("x,t_x,T\n")
        if whole_days:
            handle.writelines(f"{a},{int(b)},{int(c)}\n" for a, b, c in zip(x, tx, T))
        else:
            handle.writelines(f"{a},{float(b)!r},{float(c)!r}\n" for a, b, c in zip(x, tx, T))
    try:
        started = time.perf_counter()
        ours = run_tool(tool, None, ["--summary"], csv_path=path)
        wall = time.perf_counter() - started
    finally:
        os.unlink(path)
    kind = "whole days" if whole_days else "continuous purchase times"
    fit = ours["fit"]
    p = ours["parameters"]
    print(f"bench: {customers:,} customers in {kind} (simulated in {simulated:.1f} s)")
    print(f"  fit {fit['seconds']:.3f} s ({fit['distinctHistories']:,} distinct histories, {fit['iterations']} "
          f"iterations, {fit['evaluations']} evaluations); reading the CSV {ours['readSeconds']:.2f} s; "
          f"process wall time {wall:.2f} s")
    print(f"  r={p['r']:.4f} α={p['alpha']:.3f} a={p['a']:.4f} b={p['b']:.4f} (simulated from r=0.75 α=40 a=0.9 b=3.5)")
    check(f"fit over {customers:,} customers ({kind}) under 10 s", fit["seconds"] < 10, f"{fit['seconds']:.3f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-bench", action="store_true", help="skip the 1M-customer timing")
    parser.add_argument("--bench-only", action="store_true", help="only the 1M-customer timing")
    parser.add_argument("--bench-customers", type=int, default=1_000_000)
    options = parser.parse_args()
    ensure_lifetimes()
    tool = build_tool()
    if not options.bench_only:
        validate(tool)
    if not options.no_bench:
        bench(tool, options.bench_customers, whole_days=True)
        bench(tool, options.bench_customers, whole_days=False)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
