#!/usr/bin/env python3
"""Checks the read models against independent computations in pandas:

- RFM scores and segments: `clientele segments --customers --as-of T` against pandas' qcut over
  rank(method="first") computed straight from the generated events, net of returns: spend less
  refunds, and a receipt refunded in full is no purchase (neither its day nor its time counts).

    tools/test-models.py --clientele PATH/TO/clientele
"""
import argparse, io, json, os, subprocess, sys, tempfile
from datetime import datetime, timezone

import pandas as pd

TABLE = {
    "Champions": "555 554 544 545 454 455 445", "Loyal": "543 444 435 355 354 345 344 335",
    "Potential Loyalist": "553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 341 333 323",
    "New": "512 511 422 421 412 411 311", "Promising": "525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313",
    "Need Attention": "535 534 443 434 343 334 325 324", "About To Sleep": "331 321 312 221 213 231 241 251",
    "At Risk": "255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124",
    "Can't Lose Them": "155 154 144 214 215 115 114 113", "Hibernating": "332 322 233 232 223 222 132 123 122 212 211",
    "Lost": "111 112 121 131 141 151",
}
SEGMENT = {code: name for name, codes in TABLE.items() for code in codes.split()}

def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clientele", required=True)
    ap.add_argument("--customers", type=int, default=1500)
    args = ap.parse_args()
    as_of = "2025-10-01T00:00:00+08:00"
    t = parse_time(as_of)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="clientele-models-") as tmp:
        env = dict(os.environ)
        key = os.path.join(tmp, "master.key")
        subprocess.run([args.clientele, "keygen", "--out", key], check=True, capture_output=True)
        env["CLIENTELE_MASTER_KEY_FILE"] = key
        gen = [args.clientele, "generate", "--customers", str(args.customers), "--days", "365", "--seed", "21"]
        events = subprocess.run(gen + ["--jsonl", "-"], check=True, capture_output=True, text=True, env=env).stdout
        db = os.path.join(tmp, "ledger")
        subprocess.run(gen + ["--db", db], check=True, capture_output=True, env=env)
        ours = subprocess.run([args.clientele, "segments", "--db", db, "--as-of", as_of, "--customers", "--format", "csv"],
                              check=True, capture_output=True, text=True, env=env).stdout

    # The reference, from the events alone.
    rows = []
    for line in events.splitlines():
        e = json.loads(line)
        at = parse_time(e["occurredAt"])
        if at > t:
            continue
        p = e["payload"]
        if e["type"] == "PurchaseRecorded":
            local_day = (at.replace(tzinfo=None) - datetime(1970, 1, 1)).days
            rows.append((e["customer"], at, local_day, p["total"]["minor"], 1, p["receipt"]))
        elif e["type"] == "ReturnRecorded":
            rows.append((e["customer"], None, None, -p["refund"]["minor"], 0, p["originalReceipt"]))
    df = pd.DataFrame(rows, columns=["customer", "at", "day", "amount", "purchase", "receipt"])
    buys = df[df.purchase == 1]
    # A receipt refunded in full (by then) is no purchase.
    refunded = -df[df.purchase == 0].groupby(["customer", "receipt"])["amount"].sum()
    back = pd.Series([refunded.get((c, r), 0) for c, r in zip(buys.customer, buys.receipt)], index=buys.index)
    buys = buys[~((buys.amount > 0) & (back >= buys.amount))]
    g = pd.DataFrame({
        "last": buys.groupby("customer")["at"].max(),
        "F": buys.groupby("customer")["day"].nunique(),
        "M": df.groupby("customer")["amount"].sum(),
    }).dropna(subset=["last"]).sort_index()
    # Net of returns: a customer whose every purchase was refunded bought nothing ("potential").
    g = g[g["M"] > 0].copy()
    g["R"] = [(t - x).total_seconds() / 86400 for x in g["last"]]
    g["r"] = pd.qcut(g["R"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
    g["f"] = pd.qcut(g["F"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    g["m"] = pd.qcut(g["M"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    g["segment"] = [SEGMENT[f"{a}{b}{c}"] for a, b, c in zip(g.r, g.f, g.m)]

    mine = pd.read_csv(io.StringIO(ours), dtype={"customer": str}).set_index("customer")
    mine = mine[mine.segment != "potential"]
    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok: passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")
    check("same buyers", set(mine.index) == set(g.index), f"{len(mine)} vs {len(g)}")
    common = g.index.intersection(mine.index)
    for col in ["r", "f", "m"]:
        diff = (mine.loc[common, col].astype(int) != g.loc[common, col]).sum()
        check(f"{col} scores", diff == 0, f"{diff} customers differ")
    diff = (mine.loc[common, "rfm_segment"] != g.loc[common, "segment"]).sum()
    check("RFM segments", diff == 0, f"{diff} customers differ")
    check("enough buyers to mean something", len(common) > 500, str(len(common)))
    print(f"models: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
