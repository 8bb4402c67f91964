#!/usr/bin/env python3
"""Checks what scripts/e2e left in its work directory: the store perfqd filled from Nagios's spool.

- every service and label in the spool files has a series, and no series came from nowhere;
- for every file, `rrdtool info`, `lastupdate` and `fetch` (each function, each resolution) print
  exactly what `perfq rrd` prints;
- every file holds what librrd computes from the same samples: the samples of each series are fed
  to `rrdtool create`/`update` one by one (a sample librrd refuses is skipped, as perfqd must skip
  it too), and both files' `rrdtool dump` must be the same text;
- nothing is left in the spool, failed/ or quarantine/;
- with --highcharts, a page drawn by headless Chromium reports every series drawn.
Exits 1 with every failure listed.
"""
import argparse, json, os, re, subprocess, sys

parser = argparse.ArgumentParser()
parser.add_argument("--bin", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--highcharts")
args = parser.parse_args()
perfq = os.path.join(args.bin, "perfq")
work = args.work
failures = []


def run(*command, check=True, env=None):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    if check and result.returncode != 0:
        raise SystemExit(f"[e2e] FAILED: {' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def fail(message):
    failures.append(message)
    print(f"[e2e] mismatch: {message}", file=sys.stderr)


# The samples, read from the copies the capture kept of every rotated file.
samples_dir = os.path.join(work, "samples")
samples = {}  # (host, service, label) -> [(time, value text)]
units = {}  # (host, service, label) -> unit
# A reading in its simplest form, read here without perfq's parser: label=number (a decimal comma
# allowed) or U, then the unit. Items of that form must come out of `perfq parse` with that text.
simple_item = re.compile(r"(?:'([^']+)'|([^\s'=]+))=(-?[0-9]+(?:[.,][0-9]+)?|U)([a-zA-Z%]*)(?:;[^\s]*)?(?=\s|$)")
independent = 0
records = 0
for name in sorted(os.listdir(samples_dir)):
    path = os.path.join(samples_dir, name)
    raw_lines = open(path, encoding="utf-8").read().splitlines()
    output = run(perfq, "parse", path).stdout
    for line in output.splitlines():
        record = json.loads(line)
        records += 1
        service = record.get("service") or "_HOST_"
        items = {}
        for item in record["items"]:
            # As written, a decimal comma made a point: what perfqd hands to the engine.
            key = (record["host"], service, item["label"])
            samples.setdefault(key, []).append((record["time"], item["value_text"]))
            units[key] = item["uom"]
            items[item["label"].rsplit("::", 1)[-1]] = item
        fields = dict(f.split("::", 1) for f in raw_lines[record["line"] - 1].split("\t") if "::" in f)
        perfdata = fields.get("SERVICEPERFDATA", fields.get("HOSTPERFDATA", ""))
        for match in simple_item.finditer(perfdata):
            label = (match.group(1) or match.group(2)).rsplit("::", 1)[-1]
            item = items.get(label)
            if item is None or item["value_text"] != match.group(3).replace(",", ".") or item["uom"] != match.group(4):
                fail(f"{name} line {record['line']}: {match.group(0)!r} was read as {item}")
            independent += 1
if records == 0:
    raise SystemExit("[e2e] FAILED: Nagios wrote no records")

store = os.path.join(work, "store")
series = json.loads(run(perfq, "list", "--store", store, "--json").stdout)
stored = {(s["host"], s["service"], s["label"]): s["file"] for s in series}
for key in sorted(set(samples) - set(stored)):
    fail(f"no series for {key}")
for key in sorted(set(stored) - set(samples)):
    fail(f"a series no spool file mentions: {key}")


def info_fields(path):
    fields = {}
    for line in run("rrdtool", "info", path).stdout.splitlines():
        name, _, value = line.partition(" = ")
        fields[name] = value.strip('"')
    return fields


replay_dir = os.path.join(work, "replay")
os.makedirs(replay_dir, exist_ok=True)
agreeing = 0
for number, key in enumerate(sorted(set(stored) & set(samples))):
    path = stored[key]
    for command in (["info"], ["lastupdate"]):
        ours = run(perfq, "rrd", *command, path, check=False)
        theirs = run("rrdtool", *command, path, check=False)
        if (ours.stdout, ours.returncode) != (theirs.stdout, theirs.returncode):
            fail(f"{key}: `{command[0]}` differs from rrdtool's")
    fields = info_fields(path)
    step = int(fields["step"])
    # PNP4Nagios's default schema, stated here rather than read back: step 60, heartbeat 8460,
    # DERIVE with min 0 for units c and d, else GAUGE, and its twelve archives.
    counter = units[key] in ("c", "d")
    expected = {"step": "60", "ds[1].type": "DERIVE" if counter else "GAUGE", "ds[1].minimal_heartbeat": "8460",
                "ds[1].min": "0.0000000000e+00" if counter else "NaN", "ds[1].max": "NaN"}
    for i, (function, steps, rows) in enumerate((f, p, r) for f in ("AVERAGE", "MAX", "MIN")
                                                for p, r in ((1, 2880), (5, 2880), (30, 4320), (360, 5840))):
        expected.update({f"rra[{i}].cf": function, f"rra[{i}].pdp_per_row": str(steps), f"rra[{i}].rows": str(rows),
                         f"rra[{i}].xff": "5.0000000000e-01"})
    wrong = {k: (fields.get(k), v) for k, v in expected.items() if fields.get(k) != v}
    if wrong or f"rra[{len(expected) // 4}].cf" in fields:
        fail(f"{key}: not PNP4Nagios's schema: {wrong or 'more than twelve archives'}")
    archives = sorted(int(m.group(1)) for m in (re.fullmatch(r"rra\[(\d+)\]\.cf", k) for k in fields) if m)
    times = sorted(t for t, _ in samples[key])
    for index in archives:
        function = fields[f"rra[{index}].cf"]
        resolution = step * int(fields[f"rra[{index}].pdp_per_row"])
        window = ["-r", str(resolution), "-s", str(times[0] - 2 * resolution), "-e", str(times[-1] + resolution)]
        ours = run(perfq, "rrd", "fetch", path, function, *window, check=False)
        theirs = run("rrdtool", "fetch", path, function, *window, check=False)
        if (ours.stdout, ours.returncode) != (theirs.stdout, theirs.returncode):
            fail(f"{key}: `fetch {function} -r {resolution}` differs from rrdtool's")

    # librrd fed the same samples. The file starts one step before the first sample (perfqd's rule).
    replay = os.path.join(replay_dir, f"{number}.rrd")
    data_source = ":".join(["DS", "1", fields["ds[1].type"], fields["ds[1].minimal_heartbeat"],
                            *("U" if fields[f"ds[1].{m}"] == "NaN" else fields[f"ds[1].{m}"] for m in ("min", "max"))])
    rras = [f"RRA:{fields[f'rra[{i}].cf']}:{fields[f'rra[{i}].xff']}:{fields[f'rra[{i}].pdp_per_row']}:{fields[f'rra[{i}].rows']}"
            for i in archives]
    run("rrdtool", "create", replay, "--start", str(times[0] - step), "--step", str(step), data_source, *rras)
    for time, value in sorted(samples[key], key=lambda sample: sample[0]):
        run("rrdtool", "update", replay, f"{time}:{value}", check=False)
    if run("rrdtool", "dump", path).stdout != run("rrdtool", "dump", replay).stdout:
        fail(f"{key}: {path} does not hold what librrd computes from the same {len(times)} samples")
    else:
        agreeing += 1

spool = os.path.join(work, "spool")
left = [n for n in os.listdir(spool) if os.path.isfile(os.path.join(spool, n))]
claimed = os.path.join(spool, ".perfq-work")
left += [".perfq-work/" + n for n in os.listdir(claimed) if n != ".lock"] if os.path.isdir(claimed) else []
if left:
    fail(f"left in the spool: {left}")
for name in ("failed", "quarantine"):
    directory = os.path.join(spool, name)
    if os.path.isdir(directory) and os.listdir(directory):
        fail(f"{name}/ holds {sorted(os.listdir(directory))}")

if args.highcharts:
    page = os.path.join(work, "load.html")
    run(perfq, "page", "localhost", "Load", "-o", page, "--highcharts", args.highcharts, "--store", store)
    if not os.path.isfile(args.highcharts):
        raise SystemExit(f"[e2e] FAILED: {args.highcharts}: no such file (scripts/test fetches Highcharts)")
    # Chromium's profile, caches and crash settings stay in the work directory too.
    home = os.path.join(work, "chromium")
    environment = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home + "/config", XDG_CACHE_HOME=home + "/cache")
    dom = run("chromium", "--headless", "--no-sandbox", "--virtual-time-budget=5000", "--user-data-dir=" + home + "/profile",
              "--dump-dom", "file://" + page, env=environment).stdout
    status = re.search(r'<pre id="status">([^<]*)', dom)
    lines = status.group(1).splitlines() if status else []
    # Each series line ends `points=N`: a page that drew empty series did not draw the checks.
    points = [int(m.group(1)) for m in (re.search(r"points=(\d+)", l) for l in lines[1:]) if m]
    if not lines or lines[0] != "drawn" or not points or 0 in points:
        fail(f"the page was not drawn with data: {status.group(1) if status else 'no status element'}")
    else:
        print(f"[e2e] page drawn: {len(points)} series, {sum(points)} points", file=sys.stderr)

print(f"[e2e] {records} records in {len(os.listdir(samples_dir))} spool files ({independent} readings also read "
      f"without perfq), {len(stored)} series; {agreeing} files hold what librrd computes", file=sys.stderr)
if failures:
    raise SystemExit(f"[e2e] FAILED: {len(failures)} mismatches")
