"""bounce_score: gazette's bounce classifier against Sisimai, message by message.
usage: bounce_score.py SISIMAI.tsv GAZETTE.tsv OVERRIDES.tsv [MIN_PERCENT [LABEL]]
SISIMAI.tsv: FILE RECIPIENT STATUS SOFTBOUNCE REASON ("-" recipient: no record);
GAZETTE.tsv: bouncedump's lines; OVERRIDES.tsv: FILE RECIPIENT STATUS hard|soft|- WHY,
replacing Sisimai's records for FILE (where Sisimai is wrong; "-" recipient: not a bounce).
Prints the agreement per field and every disagreement; exits 1 when recipient or hard/soft
agreement is below MIN_PERCENT (default 95)."""
import collections, re, sys

def rows(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line and not line.startswith("#"):
            yield line.split("\t")

ref = collections.OrderedDict()
for f in rows(sys.argv[1]):
    recs = ref.setdefault(f[0], [])
    if f[1] != "-" and f[4] not in ("vacation", "delivered"):
        hs = {"0": "hard", "1": "soft"}.get(f[3], "-")
        # Sisimai's placeholder when a report names nobody: the same as none
        rcpt = "" if f[1].startswith("undisclosed-recipient-in-headers@") else f[1].lower()
        recs.append((rcpt, f[2] or "-", hs, f[4]))
over = {}
for f in rows(sys.argv[3]):
    o = over.setdefault(f[0], [])
    if f[1] != "-":
        o.append((f[1].lower(), f[2], f[3], "override: " + f[4]))
raw = collections.OrderedDict((k, list(v)) for k, v in ref.items())
for k, v in over.items():
    if k in ref:                        # only messages of this run
        ref[k] = v
got = collections.defaultdict(list)
kinds = {}
for f in rows(sys.argv[2]):
    kinds[f[0]] = f[1]
    if f[1] in ("failed", "complaint"):
        got[f[0]].append(("" if f[2] == "-" else f[2].lower(), f[3], f[4]))
minp = float(sys.argv[4]) if len(sys.argv) > 4 else 95.0
label = sys.argv[5] if len(sys.argv) > 5 else "bounce corpus"

def score(ref, bad):
  n = {"bounce": [0, 0], "recipient": [0, 0], "hard/soft": [0, 0], "status": [0, 0]}
  for name, recs in ref.items():
      g = got.get(name, [])
      isb = bool(recs)
      gb = kinds.get(name) in ("failed", "complaint") and bool(g)
      n["bounce"][1] += 1
      if isb == gb:
          n["bounce"][0] += 1
      else:
          bad.append("%s: bounce? sisimai %s, gazette %s (%s)" % (name, isb, gb, kinds.get(name)))
      if not isb:
          continue
      n["recipient"][1] += 1
      rs, gs = sorted(set(r[0] for r in recs)), sorted(set(x[0] for x in g))
      if rs == gs:
          n["recipient"][0] += 1
      else:
          bad.append("%s: recipients sisimai %s, gazette %s" % (name, rs, gs))
      gm = {x[0]: x for x in g}
      for r in recs:
          x = gm.get(r[0])
          if r[2] != "-":
              n["hard/soft"][1] += 1
              if x is not None and x[2] == r[2]:
                  n["hard/soft"][0] += 1
              else:
                  bad.append("%s: %s hard/soft sisimai %s (%s), gazette %s" % (
                      name, r[0], r[2], r[3], x[2] if x else "no such recipient"))
          if r[1] != "-":
              n["status"][1] += 1
              # X.0.9NN are Sisimai's own codes (no RFC 3463 detail): the class must agree
              same = x is not None and (x[1] == r[1] or (re.match(r"\d\.0\.9\d\d$", r[1])
                                                       and x[1][:1] == r[1][:1]))
              if same:
                  n["status"][0] += 1
              else:
                  bad.append("%s: %s status sisimai %s, gazette %s" % (
                      name, r[0], r[1], x[1] if x else "no such recipient"))
  return n

raw_n = score(raw, [])
bad = []
n = score(ref, bad)
fail = False
for k, (a, t) in n.items():
    p = 100.0 * a / t if t else 100.0
    ra, rt = raw_n[k]
    print("# %-10s %4d/%4d agree: %5.1f%%  (Sisimai alone, no overrides: %d/%d %.1f%%)" % (
        k, a, t, p, ra, rt, 100.0 * ra / rt if rt else 100.0))
    if k in ("recipient", "hard/soft") and p < minp:
        fail = True
for b in bad:
    print("#   " + b)
print(("not ok" if fail else "ok") + " - %s: recipient" % label + " %.1f%%, hard/soft %.1f%% "
      "agree with Sisimai (need %g%%), bounce-or-not %.1f%%, status %.1f%% over %d messages" % (
          100.0 * n["recipient"][0] / max(1, n["recipient"][1]),
          100.0 * n["hard/soft"][0] / max(1, n["hard/soft"][1]), minp,
          100.0 * n["bounce"][0] / max(1, n["bounce"][1]),
          100.0 * n["status"][0] / max(1, n["status"][1]), len(ref)))
sys.exit(1 if fail else 0)
