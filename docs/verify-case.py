#!/usr/bin/env python3
"""Check a TrailCase case file (and a report folder) without TrailCase.

    python3 verify-case.py CASE [--report DIR] [--fingerprint HEX] [--tsa-ca PEM]

Written from docs/case-format.md alone, with Python 3's standard library and
the `openssl` command (3.0 or later; Python has no Ed25519). It shares no code
with TrailCase, so a receiver need not trust TrailCase to trust the result.

It recomputes, from the preserved original bytes:
  * every evidence item's SHA-256 and size, and the evidence Merkle tree;
  * every event's record (decompression and record encoding), its leaf hash,
    and the event Merkle tree at every checkpoint's size;
  * every normalised column (eventID, time, name, source, region, IP, ...)
    from the record, by the rules of docs/case-format.md, and the IP table;
  * every copy of an event met in another source;
  * the custody hash chain, the case metadata hash, and every checkpoint's
    text and Ed25519 signature (and the fingerprint of the signing key);
  * RFC 3161 time-stamp tokens on checkpoints (`openssl ts -verify`);
and, with --report, the report folder: the key, the manifest signature, every
file's SHA-256 and size, files the manifest does not list, the report's
checkpoint against the case, the evidence inventory and every timeline row
against the records.

Every failure is printed as `FAIL <where>: <what>`; the exit status is 0 only
when nothing failed, 1 when something did, 2 for bad usage. Memory stays
bounded: events are streamed in leaf order, decoded evidence is cached (LRU, 64 MiB).
"""
import argparse, base64, collections, decimal, gzip, hashlib, json, math, os, re
import sqlite3, subprocess, sys, tempfile, zlib

# ---------------------------------------------------------------- output

failures = 0
per_kind = collections.Counter()
LISTED = 50  # per kind of failure, so a wholesale alteration stays readable


def fail(where, what):
    global failures
    failures += 1
    kind = where.split(":")[0]
    per_kind[kind] += 1
    if per_kind[kind] <= LISTED:
        print(f"FAIL {where}: {what}")
    elif per_kind[kind] == LISTED + 1:
        print(f"FAIL {kind}: more failures of this kind (not listed)")


def note(what):
    print(f"  {what}")


# ---------------------------------------------------------------- JSON as JavaScript writes it
# TrailCase writes JSON with JavaScript: numbers as JavaScript prints them,
# lone surrogates escaped, object keys in JavaScript's property order.


def js_number(x):
    """Number::toString (ECMA-262 6.1.6.1.20)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        if abs(x) <= 2**53:
            return str(x)
        x = float(x)
    if math.isnan(x) or math.isinf(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    t = decimal.Decimal(repr(abs(x))).normalize().as_tuple()  # shortest round-trip digits
    d = "".join(map(str, t.digits))
    k, n = len(d), t.exponent + len(d)
    if k <= n <= 21:
        s = d + "0" * (n - k)
    elif 0 < n <= 21:
        s = d[:n] + "." + d[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * -n + d
    else:
        e = n - 1
        s = (d if k == 1 else d[0] + "." + d[1:]) + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + s


_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def js_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in _ESC:
            out.append(_ESC[ch])
        elif c < 0x20 or 0xD800 <= c <= 0xDFFF:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _array_index(k):
    return re.fullmatch(r"0|[1-9][0-9]*", k) is not None and int(k) < 2**32 - 1


def js_stringify(v):
    """JSON.stringify(v): integer-like keys first (ascending), then insertion order."""
    if v is None or v is True or v is False or isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return "null"
        return "null" if v is None else js_number(v)
    if isinstance(v, str):
        return js_string(v)
    if isinstance(v, list):
        return "[" + ",".join(js_stringify(x) for x in v) + "]"
    keys = sorted((k for k in v if _array_index(k)), key=int) + [k for k in v if not _array_index(k)]
    return "{" + ",".join(js_string(k) + ":" + js_stringify(v[k]) for k in keys) + "}"


def canonical(v):
    """Canonical JSON (docs/case-format.md): keys sorted by UTF-16 code units, no white space."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(js_string(k) + ":" + canonical(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    return js_stringify(v)


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(text):
    """JSON.parse: numbers are doubles; NaN/Infinity are not JSON."""
    return json.loads(text, parse_int=lambda s: int(s) if len(s.lstrip("-")) <= 15 else float(s), parse_constant=_no_constant)


def utf8(s):
    """Buffer.from(s, 'utf8'): a lone surrogate becomes U+FFFD."""
    return re.sub("[\ud800-\udfff]", "\ufffd", s).encode("utf-8")


def text(b):
    """buffer.toString('utf8'): invalid sequences become U+FFFD."""
    return bytes(b).decode("utf-8", "replace")


# ---------------------------------------------------------------- hashes and trees (RFC 6962)

def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(b):
    return sha256(b"\x00" + b)


class Tree:
    """Streaming RFC 6962 tree: O(log n) memory, root of the prefix seen so far."""

    def __init__(self):
        self.stack, self.size = [], 0

    def push(self, h):
        self.size += 1
        node, n = h, 1
        while self.stack and self.stack[-1][1] == n:
            left, _ = self.stack.pop()
            node, n = sha256(b"\x01" + left + node), n * 2
        self.stack.append((node, n))

    def root(self):
        if not self.stack:
            return sha256(b"").hex()
        r = self.stack[-1][0]
        for h, _ in reversed(self.stack[:-1]):
            r = sha256(b"\x01" + h + r)
        return r.hex()


# ---------------------------------------------------------------- keys and signatures (OpenSSL)

WORK = tempfile.mkdtemp(prefix="verify-case-")


def spki_der(pem):
    body = "".join(l for l in pem.strip().splitlines() if not l.startswith("-----"))
    return base64.b64decode(body)


def fingerprint(pem):
    return hashlib.sha256(spki_der(pem)).hexdigest()


def ed25519_ok(pem, message, signature):
    """openssl pkeyutl -verify -rawin, from files (OpenSSL 3.0 fails falsely on a pipe)."""
    if not spki_der(pem).startswith(bytes.fromhex("302a300506032b6570032100")):
        return False
    paths = [os.path.join(WORK, n) for n in ("key.pem", "msg.bin", "sig.bin")]
    for p, data in zip(paths, (pem.encode(), message, signature)):
        with open(p, "wb") as f:
            f.write(data)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths[0], "-rawin", "-in", paths[1], "-sigfile", paths[2]], capture_output=True)
    return r.returncode == 0


# ---------------------------------------------------------------- the rules of docs/case-format.md

JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?")


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


class NotDerivable(Exception):
    pass


def parse_time(s):
    """Epoch ms of a record time string (case-format.md, "Time"), None when it is not a time."""
    s = s.strip(JS_SPACE)
    if s == "":
        return None
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", s):
        v = float(s)
        if math.isinf(v):
            return None
        v = math.floor((v * 1000 if v < 1e11 else v) + 0.5)
        return v if abs(v) <= 2**53 else float(v)  # stored as a REAL beyond 2^53, as JavaScript numbers are
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        s += "T00:00:00Z"
    elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?", s):
        s = s.replace(" ", "T", 1) + "Z"
    if not re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        return None
    m = ISO.fullmatch(s)
    if not m or m.group(8) is None and m.group(4) is not None:
        raise NotDerivable(s)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    h, mi, se = (int(m.group(i) or 0) for i in (4, 5, 6))
    frac = (m.group(7) or "")
    if not (1 <= mo <= 12 and 1 <= d <= 31 and mi <= 59 and se <= 59 and (h <= 23 or (h == 24 and mi == se == 0 and frac.strip("0") == ""))):
        return None
    ms = int((frac + "000")[:3])
    off = 0
    z = m.group(8)
    if z and z not in "Zz":
        oh, om = int(z[1:3]), int(z[4:6])
        if oh > 23 or om > 59:
            return None
        off = (oh * 60 + om) * 60000 * (1 if z[0] == "+" else -1)
    t = days_from_civil(y, mo, 1) * 86400000 + (d - 1) * 86400000 + ((h * 60 + mi) * 60 + se) * 1000 + ms - off
    return t if abs(t) <= 8.64e15 else None


def iso_ms(t):
    """Date.prototype.toISOString for years 0..9999."""
    days, ms = divmod(t, 86400000)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (m <= 2)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, m, d, ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)


def obj(v):
    return v if isinstance(v, dict) else None


def sval(v):
    """A text value: a non-empty string as it is, a number or boolean as JavaScript prints it, else absent."""
    if isinstance(v, str):
        return v or None
    if isinstance(v, (bool, int, float)):
        return js_number(v)
    return None


def normalise(r, leaf_hex):
    """The stored columns of one record (case-format.md, "Normalised columns")."""
    ui = obj(r.get("userIdentity")) or {}
    issuer = obj((obj(ui.get("sessionContext")) or {}).get("sessionIssuer")) or {}
    t = None
    if "eventTime" in r:
        t = parse_time(r["eventTime"]) if isinstance(r["eventTime"], str) else None
    if t is None and isinstance(r.get("@timestamp"), str):
        t = parse_time(r["@timestamp"])
    ro = r.get("readOnly")
    ro = (1 if ro else 0) if isinstance(ro, bool) else {"true": 1, "false": 0}.get(ro) if isinstance(ro, str) else None
    return {
        "event_id": sval(r.get("eventID")) or "sha256:" + leaf_hex,
        "time_ms": t,
        "name": sval(r.get("eventName")),
        "source": sval(r.get("eventSource")),
        "region": sval(r.get("awsRegion")),
        "ip": sval(r.get("sourceIPAddress")),
        "ua": sval(r.get("userAgent")),
        "identity_type": sval(ui.get("type")),
        "arn": sval(ui.get("arn")),
        "user_name": sval(ui.get("userName")) or sval((obj(ui.get("onBehalfOf")) or {}).get("userId")),
        "principal_id": sval(ui.get("principalId")),
        "access_key": sval(ui.get("accessKeyId")),
        "issuer_arn": sval(issuer.get("arn")),
        "account": sval(r.get("recipientAccountId")) or sval(ui.get("accountId")),
        "error_code": sval(r.get("errorCode")),
        "category": sval(r.get("eventCategory")),
        "read_only": ro,
        "request_id": sval(r.get("requestID")),
    }


STRING_COLUMNS = ["name", "source", "region", "ua", "identity_type", "arn", "user_name", "principal_id", "access_key", "issuer_arn", "account", "error_code", "category"]


def parse_ipv4(s):
    parts = s.split(".")
    if len(parts) != 4 or not all(re.fullmatch(r"[0-9]{1,3}", p) for p in parts):
        return None
    v = 0
    for p in parts:
        if int(p) > 255:
            return None
        v = v * 256 + int(p)
    return v


def parse_ip(text_):
    """(version, v4, v6) of an IP text (case-format.md, "ips")."""
    t = text_.strip(JS_SPACE)
    v4 = parse_ipv4(t)
    if v4 is not None:
        return 4, v4, None
    s = t.lower().split("%")[0]
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    if ":" not in s:
        return None, None, None
    head, _, tail = s.rpartition(":")
    if "." in tail:
        v = parse_ipv4(tail)
        if v is None:
            return None, None, None
        s = head + ":" + format(v >> 16, "x") + ":" + format(v & 0xFFFF, "x")
    halves = s.split("::")
    if len(halves) > 2:
        return None, None, None
    first = halves[0].split(":") if halves[0] else []
    rest = (halves[1].split(":") if halves[1] else []) if len(halves) == 2 else []
    groups = first + ["0"] * (8 - len(first) - len(rest)) + rest if len(halves) == 2 else first
    if len(groups) != 8 or not all(re.fullmatch(r"[0-9a-f]{1,4}", g) for g in groups):
        return None, None, None
    return 6, None, "".join(g.rjust(4, "0") for g in groups)


def lake_row(slice_):
    row = parse_json(text(slice_))
    if not isinstance(row, list):
        raise ValueError("Lake result row is not an array of columns")
    out = {}
    for cell in row:
        if not isinstance(cell, dict):
            raise ValueError("Lake result cell is not an object")
        for k, v in cell.items():
            if k != "__proto__":  # JavaScript assignment to __proto__ makes no property
                out[k] = v
    return out


def record_bytes(enc, slice_):
    """The record from its slice of the decoded evidence (case-format.md, "Record encodings")."""
    if enc == 0:
        return bytes(slice_)
    if enc == 1:
        el = parse_json(text(slice_))
        if not isinstance(el, dict) or not isinstance(el.get("CloudTrailEvent"), str):
            raise ValueError("LookupEvents element has no CloudTrailEvent string")
        return utf8(el["CloudTrailEvent"])
    if enc == 2:
        row = lake_row(slice_)
        k = next((k for k in row if k.lower() == "eventjson"), None)
        if k is None or not isinstance(row[k], str):
            raise ValueError("Lake row has no eventJson string")
        return utf8(row[k])
    if enc == 3:
        rec = {}
        for k, v in lake_row(slice_).items():
            if isinstance(v, str) and v[:1] in ("{", "["):
                try:
                    v = parse_json(v)
                except (ValueError, RecursionError):
                    pass
            rec[k] = v
        return utf8(js_stringify(rec))
    raise ValueError(f"unknown record encoding {enc}")


def gunzip_tolerant(data):
    """gzip members one after another; stop at trailing non-gzip data; keep what decodes before damage."""
    out, pos = [], 0
    while pos < len(data) and data[pos:pos + 2] == b"\x1f\x8b":
        d = zlib.decompressobj(31)
        i = pos
        try:
            while i < len(data) and not d.eof:
                piece = data[i:i + 65536]
                saved = d.copy()
                try:
                    out.append(d.decompress(piece))
                except zlib.error:
                    d = saved  # replay the damaged piece byte by byte to keep all that decodes
                    for b in range(len(piece)):
                        out.append(d.decompress(piece[b:b + 1]))
                i += len(piece)
            out.append(d.flush())
        except zlib.error:
            break
        if not d.eof:
            break
        pos = i - len(d.unused_data)  # the next member starts after this one's last byte
    return b"".join(out)


# ---------------------------------------------------------------- the case

def check_case(db, want_fpr):
    q = lambda sql, *a: db.execute(sql, a)
    ic = [r[0] for r in q("PRAGMA integrity_check")]
    if ic != ["ok"]:
        fail("sqlite", "integrity_check: " + "; ".join(ic))
    if q("PRAGMA application_id").fetchone()[0] != 0x54524C43:
        fail("sqlite", "application_id is not TrailCase's (0x54524C43)")
    meta = dict(q("SELECT key, value FROM case_meta"))
    meta_hash = hashlib.sha256(canonical([[k, meta[k]] for k in sorted(meta)]).encode()).hexdigest()

    keys = {}
    for fpr, pem in q("SELECT fingerprint, public_key FROM keys"):
        try:
            if fingerprint(pem) != fpr:
                fail(f"keys:{fpr}", "the public key does not have this fingerprint")
        except ValueError:
            fail(f"keys:{fpr}", "the public key is not PEM")
        keys[fpr] = pem

    # Custody chain.
    custody, prev, expect = {}, "0" * 64, 1
    for seq, at, actor, action, details, tv, prev_hash, h in q("SELECT seq, at, actor, action, details, tool_version, prev_hash, hash FROM custody ORDER BY seq"):
        where = f"custody:seq {seq}"
        if seq != expect:
            fail(f"custody:seq {expect}", f"missing (the next entry is {seq})")
        expect = seq + 1
        if prev_hash != prev:
            fail(where, "prev_hash is not the hash of the entry before")
        try:
            d = parse_json(details)
        except ValueError:
            fail(where, "details are not JSON")
            d = details
        if canonical(d) != details:
            fail(where, "details are not canonical JSON")
        e = {"seq": seq, "at": at, "actor": actor, "action": action, "details": d, "toolVersion": tv}
        mine = hashlib.sha256((prev_hash + "\n" + canonical(e)).encode("utf-8")).hexdigest()
        if mine != h:
            fail(where, f"{action}: hash of its content is {mine}, stored {h}")
        custody[seq] = h
        prev = h
    note(f"custody: {len(custody)} entries chained")

    cps = [dict(zip([c[0] for c in cur.description], r)) for cur in [q("SELECT * FROM checkpoints ORDER BY seq")] for r in cur.fetchall()]
    sizes = {c["tree_size"] for c in cps}
    counts = {c["evidence_count"] for c in cps}

    # Evidence: original bytes, and the evidence tree.
    evtree, ev_roots, evidence, expect = Tree(), {0: Tree().root()}, {}, 1
    cur = q("SELECT * FROM evidence ORDER BY id")
    cols = [c[0] for c in cur.description]
    for row in cur:
        e = dict(zip(cols, row))
        i = e["id"]
        if i != expect:
            fail(f"evidence:{expect}", f"missing (the next item is {i})")
        expect = i + 1
        h, size, nseq = hashlib.sha256(), 0, 0
        for s, data in db.execute("SELECT seq, data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq", (i,)):
            if s != nseq:
                fail(f"evidence:{i}", f"chunk {nseq} missing or out of order")
            nseq = s + 1
            h.update(data)
            size += len(data)
        if h.hexdigest() != e["sha256"]:
            fail(f"evidence:{i}", f"{e['origin']}: SHA-256 of the preserved bytes is {h.hexdigest()}, the evidence row says {e['sha256']}")
        if size != e["size"]:
            fail(f"evidence:{i}", f"{e['origin']}: {size} bytes preserved, the evidence row says {e['size']}")
        evtree.push(leaf_hash(canonical(e).encode("utf-8")))
        if evtree.size in counts:
            ev_roots[evtree.size] = evtree.root()
        evidence[i] = {k: e[k] for k in ("origin", "compression", "decoded_size", "n_events", "n_copies", "sha256", "size")}
    note(f"evidence: {len(evidence)} items hashed")

    # Decoded evidence, cached (events come in leaf order, which follows evidence order).
    cache, cached = collections.OrderedDict(), [0]

    def decoded(i):
        if i in cache:
            cache.move_to_end(i)
            return cache[i]
        if i not in evidence:
            return None
        raw = b"".join(r[0] for r in db.execute("SELECT data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq", (i,)))
        d = gunzip_tolerant(raw) if evidence[i]["compression"] == "gzip" else raw
        if len(d) != evidence[i]["decoded_size"]:
            fail(f"evidence:{i}", f"decodes to {len(d)} bytes, the evidence row says {evidence[i]['decoded_size']}")
        cache[i] = d
        cached[0] += len(d)
        while cached[0] > 64 << 20 and len(cache) > 1:
            cached[0] -= len(cache.popitem(last=False)[1])
        return d

    def recover(where, what, i, pos, length, enc):
        d = decoded(i)
        if d is None:
            fail(where, f"{what} points to evidence item {i}, which is not in the case")
            return None
        if pos < 0 or pos + length > len(d):
            fail(where, f"{what}: bytes [{pos}, {pos + length}) are outside evidence item {i}")
            return None
        try:
            return record_bytes(enc, memoryview(d)[pos:pos + length])
        except (ValueError, RecursionError) as ex:
            fail(where, f"{what}: the record cannot be recovered from evidence item {i} ({ex})")
            return None

    # Events: every leaf and every normalised column from the preserved bytes.
    select = ", ".join(f"(SELECT s FROM strings WHERE id = e.{c})" for c in STRING_COLUMNS)
    sql = (f"SELECT e.leaf, e.event_id, e.time_ms, e.read_only, e.request_id, e.evidence_id, e.pos, e.len, e.enc, e.leaf_hash, "
           f"e.ip, (SELECT text FROM ips WHERE id = e.ip), {select} FROM events e ORDER BY e.leaf")
    tree, roots, expect, per_ev, unchecked_time = Tree(), {0: Tree().root()}, 0, collections.Counter(), []
    derived_for = {}  # leaf -> derived values, only for the leaves a report's timeline shows
    for row in db.execute(sql):
        leaf, event_id, time_ms, read_only, request_id, ev_id, pos, length, enc, stored_leaf, ip_id, ip_text = row[:12]
        stored = dict(zip(STRING_COLUMNS, row[12:]))
        where = f"events:leaf {leaf}"
        if leaf != expect:
            fail(f"events:leaf {expect}", f"missing (the next leaf is {leaf})")
        expect = leaf + 1
        per_ev[ev_id] += 1
        rec = recover(where, f"event {event_id}", ev_id, pos, length, enc)
        lh = leaf_hash(rec) if rec is not None else bytes(stored_leaf or b"")
        tree.push(lh)
        if tree.size in sizes:
            roots[tree.size] = tree.root()
        if rec is None:
            continue
        if lh != bytes(stored_leaf):
            fail(where, f"event {event_id}: the record in evidence item {ev_id} hashes to leaf {lh.hex()}, the events row says {bytes(stored_leaf).hex()}")
        try:
            r = parse_json(text(rec))
        except (ValueError, RecursionError):
            fail(where, f"event {event_id}: the record is not JSON")
            continue
        if not isinstance(r, dict):
            fail(where, f"event {event_id}: the record is not a JSON object")
            continue
        try:
            n = normalise(r, lh.hex())
        except NotDerivable as ex:
            unchecked_time.append((leaf, event_id, str(ex)))
            n = normalise({k: v for k, v in r.items() if k not in ("eventTime", "@timestamp")}, lh.hex())
            n["time_ms"] = time_ms
        if want_leaves is not None and leaf in want_leaves:
            derived_for[leaf] = n
        got = dict(stored, event_id=event_id, time_ms=time_ms, read_only=read_only, ip=ip_text,
                   request_id=(request_id if not isinstance(request_id, bytes) else "%s-%s-%s-%s-%s" % tuple(request_id.hex()[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))))
        if ip_id is not None and ip_text is None:
            fail(where, f"event {event_id}: column ip points to ips row {ip_id}, which is missing")
        for col, want in n.items():
            if got[col] != want:
                fail(where, f"event {event_id}: column {col} is {json.dumps(got[col])}, the record gives {json.dumps(want)}")
    n_events = tree.size
    note(f"events: {n_events} records recovered and hashed, every normalised column re-derived")
    for leaf, event_id, s in unchecked_time[:LISTED]:
        print(f"NOT CHECKED events:leaf {leaf}: event {event_id}: time_ms, eventTime {json.dumps(s)} is outside the grammar of case-format.md")

    for i, version, v4, v6, t in db.execute("SELECT id, version, v4, v6, text FROM ips"):
        if (version, v4, v6) != parse_ip(t):
            fail(f"ips:{i}", f"{json.dumps(t)}: version/v4/v6 are {(version, v4, v6)}, the text gives {parse_ip(t)}")

    # Copies of events met in other sources.
    per_copy = collections.Counter()
    for cid, leaf, ev_id, pos, length, enc, stored_leaf, identical in db.execute(
            "SELECT id, event_leaf, evidence_id, pos, len, enc, leaf_hash, identical FROM event_copies ORDER BY id"):
        where = f"event_copies:{cid}"
        per_copy[ev_id] += 1
        rec = recover(where, f"copy {cid}", ev_id, pos, length, enc)
        if rec is None:
            continue
        if leaf_hash(rec) != bytes(stored_leaf):
            fail(where, f"the record in evidence item {ev_id} does not hash to the stored leaf_hash")
        first = db.execute("SELECT evidence_id, pos, len, enc, leaf_hash FROM events WHERE leaf = ?", (leaf,)).fetchone()
        if first is None:
            fail(where, f"belongs to event leaf {leaf}, which is missing")
            continue
        orig = recover(where, f"event leaf {leaf}", *first[:4])
        if orig is None:
            continue
        try:
            same_json = canonical(parse_json(text(rec))) == canonical(parse_json(text(orig)))
        except (ValueError, RecursionError):
            same_json = False
        truth = 1 if rec == orig else 2 if same_json else 0
        if truth != identical:
            fail(where, f"identical is {identical}, the records give {truth}")
    for i, e in evidence.items():
        if per_ev[i] != e["n_events"]:
            fail(f"evidence:{i}", f"{per_ev[i]} events in the case come from it, the evidence row says {e['n_events']}")
        if per_copy[i] != e["n_copies"]:
            fail(f"evidence:{i}", f"{per_copy[i]} copies in the case, the evidence row says {e['n_copies']}")

    # Checkpoints: text, signature, and the roots recomputed above.
    for c in cps:
        where = f"checkpoints:seq {c['seq']}"
        body = (f"trailcase-checkpoint/1\ncase {meta.get('caseId')}\nseq {c['seq']}\nevents {c['tree_size']} {c['root']}\n"
                f"evidence {c['evidence_count']} {c['evidence_root']}\ncustody {c['custody_seq']} {c['custody_head']}\n"
                f"meta {c['meta_hash']}\ntime {c['created_at']}\nreason {c['reason']}\nkey {c['key_fingerprint']}\n")
        if body != c["body"]:
            fail(where, "its columns differ from its signed text")
        pem = keys.get(c["key_fingerprint"])
        if pem is None:
            fail(where, f"signed by key {c['key_fingerprint']}, which is not in the keys table")
        elif not ed25519_ok(pem, c["body"].encode("utf-8"), base64.b64decode(c["signature"])):
            fail(where, f"the Ed25519 signature does not verify with key {c['key_fingerprint']}")
        if c["tree_size"] > n_events:
            fail(where, f"signs {c['tree_size']} events, the case has {n_events}")
        elif roots.get(c["tree_size"]) != c["root"]:
            fail(where, f"signs event root {c['root']}, the records give {roots.get(c['tree_size'])} for the first {c['tree_size']} events")
        if ev_roots.get(c["evidence_count"]) != c["evidence_root"]:
            fail(where, f"signs evidence root {c['evidence_root']} over {c['evidence_count']} items, the evidence rows give {ev_roots.get(c['evidence_count'])}")
        if custody.get(c["custody_seq"]) != c["custody_head"]:
            fail(where, f"signs custody entry {c['custody_seq']} with hash {c['custody_head']}, the log has {custody.get(c['custody_seq'])}")
        if c["meta_hash"] != meta_hash:
            fail(where, "the case metadata changed since it was signed")
    if not cps:
        fail("checkpoints", "the case has no signed checkpoint")
    else:
        last = cps[-1]
        note(f"checkpoints: {len(cps)}; the last, #{last['seq']}, signs {last['tree_size']} events (root {last['root']}), "
             f"{last['evidence_count']} evidence items and custody entry {last['custody_seq']}, at {last['created_at']} by key {last['key_fingerprint']}")
        if n_events > last["tree_size"] or len(evidence) > last["evidence_count"] or len(custody) > last["custody_seq"]:
            print(f"NOT SIGNED: {n_events - last['tree_size']} events, {len(evidence) - last['evidence_count']} evidence items and "
                  f"{len(custody) - last['custody_seq']} custody entries come after the last checkpoint")
        if want_fpr and last["key_fingerprint"] != want_fpr and not want_report:
            fail(f"checkpoints:seq {last['seq']}", f"signed by key {last['key_fingerprint']}, not by the fingerprint given ({want_fpr})")
    check_timestamps(db, cps)
    return meta, cps, evidence, derived_for


def check_timestamps(db, cps):
    """RFC 3161 tokens over SHA-256 of a checkpoint's signed text (case-format.md, "checkpoint_timestamps")."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'checkpoint_timestamps'").fetchone():
        return
    bodies = {c["seq"]: c["body"] for c in cps}
    n = 0
    for seq, tsa, token, gen_time in db.execute("SELECT checkpoint_seq, tsa_url, token, gen_time FROM checkpoint_timestamps ORDER BY id"):
        n += 1
        where = f"checkpoint_timestamps:checkpoint {seq}"
        if seq not in bodies:
            fail(where, "the checkpoint it stamps is not in the case")
            continue
        digest = hashlib.sha256(bodies[seq].encode("utf-8")).digest()
        # MessageImprint { sha256, digest } as DER, with or without the NULL parameters.
        if not any(p + digest in bytes(token) for p in (bytes.fromhex("300d06096086480165030402010500") + b"\x04\x20", bytes.fromhex("300b0609608648016503040201") + b"\x04\x20")):
            fail(where, f"the token from {tsa} does not time-stamp SHA-256 {digest.hex()} of checkpoint {seq}'s text")
            continue
        if tsa_ca:
            with open(os.path.join(WORK, "token.der"), "wb") as f:
                f.write(token)
            with open(os.path.join(WORK, "checkpoint.txt"), "wb") as f:
                f.write(bodies[seq].encode("utf-8"))
            r = subprocess.run(["openssl", "ts", "-verify", "-data", os.path.join(WORK, "checkpoint.txt"), "-in", os.path.join(WORK, "token.der"),
                                "-token_in", "-CAfile", tsa_ca], capture_output=True, text=True)
            if r.returncode != 0:
                fail(where, f"openssl ts -verify against {tsa_ca} fails: {(r.stdout + r.stderr).strip().splitlines()[-1:]}")
                continue
        note(f"checkpoint {seq}: time-stamped by {tsa} at {gen_time}" + ("" if tsa_ca else " (imprint checked; give --tsa-ca to check the TSA's signature)"))
    if n == 0:
        note("no RFC 3161 time-stamp: the checkpoint times rest on the examiner's clock")


# ---------------------------------------------------------------- a report folder

def check_report(dirname, meta, cps, evidence, derived, want_fpr):
    def read(name):
        with open(os.path.join(dirname, name), "rb") as f:
            return f.read()
    try:
        mbytes = read("manifest.json")
        m = json.loads(mbytes)
        pem = read("examiner-public-key.pem").decode()
        sig = read("manifest.json.sig")
    except (OSError, ValueError) as ex:
        fail("report", f"cannot read the manifest, its signature or the public key ({ex})")
        return
    fpr = fingerprint(pem)
    if want_fpr and fpr != want_fpr:
        fail("report:examiner-public-key.pem", f"fingerprint {fpr}, not the one given ({want_fpr})")
    if fpr != m.get("examiner", {}).get("keyFingerprint"):
        fail("report:manifest.json", "examiner.keyFingerprint is not the fingerprint of examiner-public-key.pem")
    if not ed25519_ok(pem, mbytes, sig):
        fail("report:manifest.json.sig", "the manifest's signature does not verify with examiner-public-key.pem")
    listed = {"manifest.json", "manifest.json.sig", "examiner-public-key.pem"}
    for f in m.get("files", []):
        name = f.get("name", "")
        listed.add(name)
        if "/" in name or name.startswith("."):
            fail(f"report:{name}", "the manifest lists a name outside the folder")
            continue
        try:
            data = read(name)
        except OSError:
            fail(f"report:{name}", "listed in the manifest, missing from the folder")
            continue
        if hashlib.sha256(data).hexdigest() != f.get("sha256") or len(data) != f.get("bytes"):
            fail(f"report:{name}", f"SHA-256 {hashlib.sha256(data).hexdigest()} ({len(data)} bytes), the signed manifest says {f.get('sha256')} ({f.get('bytes')} bytes)")
        if f"{f.get('sha256')}  {name}" not in m.get("sha256sum", []):
            fail(f"report:{name}", "its sha256sum line in the manifest differs from its files entry")
    for name in sorted(os.listdir(dirname)):
        if name not in listed:
            fail(f"report:{name}", "this file is in the folder but the signed manifest does not list it")

    # The report's checkpoint is one of the case's, unchanged, and signed by the examiner.
    c = m.get("checkpoint", {})
    if m.get("caseId") != meta.get("caseId"):
        fail("report:manifest.json", f"case {m.get('caseId')}, this case file is {meta.get('caseId')}: the report is of another case")
    mine = next((x for x in cps if x["seq"] == c.get("seq")), None)
    if mine is None or mine["body"] != c.get("body") or mine["signature"] != c.get("signature"):
        fail("report:checkpoint", f"checkpoint #{c.get('seq')} of the report is not in this case file as signed")
    if not ed25519_ok(c.get("publicKeyPem", ""), c.get("body", "").encode(), base64.b64decode(c.get("signature", ""))):
        fail("report:checkpoint", "the checkpoint's signature in the manifest does not verify")
    if f"key {fingerprint(c.get('publicKeyPem', ''))}\n" not in c.get("body", ""):
        fail("report:checkpoint", "the checkpoint names another key than the one in the manifest")
    for k, line in (("treeSize", "events"), ("root", "events"), ("evidenceCount", "evidence"), ("evidenceRoot", "evidence")):
        if f"\n{line} " not in c.get("body", "") or str(c.get(k)) not in c["body"].split(f"\n{line} ")[1].split("\n")[0].split(" "):
            fail("report:manifest.json", f"checkpoint.{k} is not what the signed checkpoint text says")
    if want_fpr and f"key {want_fpr}\n" not in c.get("body", ""):
        fail("report:checkpoint", f"the report's checkpoint is not signed by the fingerprint given ({want_fpr})")

    try:
        rj = json.loads(read("report.json"))
    except (OSError, ValueError) as ex:
        fail("report:report.json", f"unreadable ({ex})")
        return
    if rj.get("reportId") != m.get("reportId") or rj.get("checkpoint", {}).get("root") != c.get("root"):
        fail("report:report.json", "its report id or checkpoint root differs from the signed manifest")
    items = rj.get("evidence", {}).get("items", [])
    if [it.get("id") for it in items] != list(range(1, (c.get("evidenceCount") or 0) + 1)):
        fail("report:report.json", f"the evidence inventory lists items {[it.get('id') for it in items][:10]}…, the checkpoint covers 1..{c.get('evidenceCount')}")
    for it in items:
        e = evidence.get(it.get("id"))
        if e is None or (it.get("sha256"), it.get("size"), it.get("origin"), it.get("events"), it.get("copies")) != (e["sha256"], e["size"], e["origin"], e["n_events"], e["n_copies"]):
            fail(f"report:evidence item {it.get('id')}", "the report's inventory (SHA-256, size, origin, events, copies) differs from the case")
    for row in rj.get("timeline", {}).get("rows", []):
        leaf = row.get("leaf")
        n = derived.get(leaf)
        if n is None or leaf >= (c.get("treeSize") or 0):
            fail(f"report:timeline leaf {leaf}", f"event {row.get('eventId')} is not among the events the checkpoint signs")
            continue
        want = {"eventId": n["event_id"], "time": None if n["time_ms"] is None else iso_ms(n["time_ms"]), "eventName": n["name"],
                "eventSource": n["source"], "awsRegion": n["region"], "sourceIPAddress": n["ip"], "userAgent": n["ua"],
                "principal": n["arn"] or n["user_name"] or n["principal_id"], "accessKeyId": n["access_key"],
                "account": n["account"], "errorCode": n["error_code"]}
        for k, v in want.items():
            if row.get(k) != v:
                fail(f"report:timeline leaf {leaf}", f"event {row.get('eventId')}: {k} is {json.dumps(row.get(k))} in the report, the record gives {json.dumps(v)}")
    note(f"report {m.get('reportId')}: manifest signed by {fpr}; {len(m.get('files', []))} files, "
         f"{len(items)} evidence items and {len(rj.get('timeline', {}).get('rows', []))} timeline rows checked against the case")


def report_leaves(dirname):
    try:
        with open(os.path.join(dirname, "report.json"), "rb") as f:
            return {r.get("leaf") for r in json.load(f).get("timeline", {}).get("rows", [])}
    except (OSError, ValueError):
        return set()


want_leaves = None
want_report = False
tsa_ca = None


def main():
    global want_leaves, want_report, tsa_ca
    ap = argparse.ArgumentParser(description="Check a TrailCase case file (and a report folder) without TrailCase.")
    ap.add_argument("case")
    ap.add_argument("--report", metavar="DIR")
    ap.add_argument("--fingerprint", metavar="HEX", help="the examiner's key fingerprint, obtained from the examiner separately")
    ap.add_argument("--tsa-ca", metavar="PEM", help="the time-stamping authority's CA certificate(s), to check RFC 3161 tokens with openssl ts -verify")
    a = ap.parse_args()
    tsa_ca = a.tsa_ca
    fpr = (a.fingerprint or "").strip().lower() or None
    if fpr and not re.fullmatch(r"[0-9a-f]{64}", fpr):
        ap.error("--fingerprint must be 64 hex digits")
    if not os.path.isfile(a.case):
        ap.error(f"no case file at {a.case}")
    if a.report and not os.path.isdir(a.report):
        ap.error(f"no report folder at {a.report}")
    want_report = bool(a.report)
    want_leaves = report_leaves(a.report) if a.report else None
    try:
        db = sqlite3.connect("file:" + os.path.abspath(a.case).replace("?", "%3f").replace("#", "%23") + "?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as ex:
        print(f"FAIL {a.case}: not a SQLite database ({ex})")
        return 1
    print(f"verify-case.py: {a.case}")
    try:
        meta, cps, evidence, derived = check_case(db, fpr)
    except (sqlite3.DatabaseError, ValueError, TypeError, KeyError) as ex:
        fail("sqlite", f"the case cannot be read as a TrailCase case ({ex!r})")
    else:
        if a.report:
            try:
                check_report(a.report, meta, cps, evidence, derived, fpr)
            except (ValueError, TypeError, KeyError, AttributeError) as ex:
                fail("report", f"the folder is not a TrailCase report as documented ({ex!r})")
    if not fpr:
        print("NOTE: no --fingerprint given: the signatures prove only that the files agree with the keys inside them")
    print(f"{'DAMAGED' if failures else 'INTACT'}: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for n in os.listdir(WORK):
            os.remove(os.path.join(WORK, n))
        os.rmdir(WORK)
