# Drives dkimpy (Debian python3-dkim) for mailwright's interop tests.
# Reads one JSON request on stdin: {"op", "records", "items": [...]}, and
# writes a JSON list with one answer per item. DNS answers come from
# "records" (name -> [TXT]), so dkimpy never touches the network.
import base64, json, sys
import dkim

req = json.load(sys.stdin)
records = {k.lower().rstrip("."): v for k, v in req.get("records", {}).items()}

def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    txt = records.get(name.lower().rstrip("."))
    return txt[0].encode() if txt else None

def b(s):
    return s.encode() if isinstance(s, str) else s

def verify(item, msg):
    n = len([1 for k, v in dkim.DKIM(msg).headers if k.lower() == b"dkim-signature"])
    out = []
    for i in range(n):
        try:
            out.append(bool(dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)))
        except dkim.DKIMException:
            out.append(False)
    return out

def sign(item, msg):
    hc, bc = item["canon"].split("/")
    return dkim.sign(msg, b(item["selector"]), b(item["domain"]), b(item["key"]),
                     canonicalize=(b(hc), b(bc)), signature_algorithm=b(item["algorithm"])).decode()

def arc_verify(item, msg):
    cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
    return {"cv": (cv or b"").decode(), "reason": reason}

def arc_sign(item, msg):
    fields = dkim.arc_sign(msg, b(item["selector"]), b(item["domain"]), b(item["key"]),
                           b(item["authservid"]), timestamp=item.get("timestamp"))
    return "".join(f.decode() for f in fields)

op = {"verify": verify, "sign": sign, "arc_verify": arc_verify, "arc_sign": arc_sign}[req["op"]]
print(json.dumps([op(item, base64.b64decode(item["message"])) for item in req["items"]]))
