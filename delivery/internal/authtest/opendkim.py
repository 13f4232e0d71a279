# Drives libopendkim (OpenDKIM's library, which Debian's opendkim-tools
# uses) through ctypes for mailwright's interop tests. Reads one JSON
# request on stdin: {"op", "records", "items": [...]}, and writes a JSON
# list with one answer per item. Keys for verifying come from "records",
# through libopendkim's own test hook (DKIM_QUERY_FILE), so it never
# touches the network.
import base64, ctypes, json, os, sys, tempfile

c_int, c_uint, c_size_t, c_char_p, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p
lib = ctypes.CDLL("libopendkim.so.11")
for name, res, args in [
    ("dkim_init", c_void_p, [c_void_p, c_void_p]),
    ("dkim_close", None, [c_void_p]),
    ("dkim_options", c_int, [c_void_p, c_int, c_int, c_void_p, c_size_t]),
    ("dkim_sign", c_void_p, [c_void_p, c_char_p, c_void_p, c_char_p, c_char_p, c_char_p, c_int, c_int, c_int, ctypes.c_ssize_t, ctypes.POINTER(c_int)]),
    ("dkim_verify", c_void_p, [c_void_p, c_char_p, c_void_p, ctypes.POINTER(c_int)]),
    ("dkim_chunk", c_int, [c_void_p, c_char_p, c_size_t]),
    ("dkim_eom", c_int, [c_void_p, c_void_p]),
    ("dkim_free", c_int, [c_void_p]),
    ("dkim_getsighdr_d", c_int, [c_void_p, c_size_t, ctypes.POINTER(c_char_p), ctypes.POINTER(c_size_t)]),
    ("dkim_getsiglist", c_int, [c_void_p, ctypes.POINTER(ctypes.POINTER(c_void_p)), ctypes.POINTER(c_int)]),
    ("dkim_sig_getflags", c_uint, [c_void_p]),
    ("dkim_sig_getbh", c_int, [c_void_p]),
    ("dkim_sig_geterror", c_int, [c_void_p]),
    ("dkim_sig_geterrorstr", c_char_p, [c_int]),
]:
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args

# dkim.h
OP_SETOPT, OPTS_FLAGS, OPTS_QUERYMETHOD, OPTS_QUERYINFO = 1, 0, 6, 7
QUERY_FILE, LIBFLAGS_FIXCRLF, SIGFLAG_PASSED, SIGBH_MATCH = 1, 0x100, 0x04, 0
CANON = {"simple": 0, "relaxed": 1}
ALG = {"rsa-sha1": 0, "rsa-sha256": 1, "ed25519-sha256": 2}

def sign(item, msg):
    hc, bc = item["canon"].split("/")
    st = c_int(0)
    d = lib.dkim_sign(h, b"mailwright", None, item["key"].encode(), item["selector"].encode(),
                      item["domain"].encode(), CANON[hc], CANON[bc], ALG[item["algorithm"]], -1, ctypes.byref(st))
    if not d:
        sys.exit("dkim_sign: status %d" % st.value)
    for rc in (lib.dkim_chunk(d, msg, len(msg)), lib.dkim_chunk(d, None, 0), lib.dkim_eom(d, None)):
        if rc != 0:
            sys.exit("signing: status %d" % rc)
    buf, n = c_char_p(), c_size_t()
    if lib.dkim_getsighdr_d(d, len("DKIM-Signature: "), ctypes.byref(buf), ctypes.byref(n)) != 0:
        sys.exit("dkim_getsighdr_d failed")
    field = "DKIM-Signature: " + buf.value.decode() + "\r\n"
    lib.dkim_free(d)
    return field

def verify(item, msg):
    st = c_int(0)
    d = lib.dkim_verify(h, b"mailwright", None, ctypes.byref(st))
    lib.dkim_chunk(d, msg, len(msg))
    lib.dkim_chunk(d, None, 0)
    lib.dkim_eom(d, None)
    sigs, n = ctypes.POINTER(c_void_p)(), c_int(0)
    lib.dkim_getsiglist(d, ctypes.byref(sigs), ctypes.byref(n))
    out = []
    for i in range(n.value):
        s = sigs[i]
        ok = bool(lib.dkim_sig_getflags(s) & SIGFLAG_PASSED) and lib.dkim_sig_getbh(s) == SIGBH_MATCH
        out.append({"pass": ok, "error": lib.dkim_sig_geterrorstr(lib.dkim_sig_geterror(s)).decode()})
    lib.dkim_free(d)
    return out

req = json.load(sys.stdin)
h = lib.dkim_init(None, None)
flags = c_uint(LIBFLAGS_FIXCRLF)
lib.dkim_options(h, OP_SETOPT, OPTS_FLAGS, ctypes.byref(flags), ctypes.sizeof(flags))
with tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False) as keys:
    for name, txts in req.get("records", {}).items():
        keys.write("%s %s\n" % (name, txts[0]))
try:
    qm = c_int(QUERY_FILE)
    lib.dkim_options(h, OP_SETOPT, OPTS_QUERYMETHOD, ctypes.byref(qm), ctypes.sizeof(qm))
    path = keys.name.encode()
    lib.dkim_options(h, OP_SETOPT, OPTS_QUERYINFO, c_char_p(path), len(path))
    op = {"sign": sign, "verify": verify}[req["op"]]
    print(json.dumps([op(item, base64.b64decode(item["message"])) for item in req["items"]]))
finally:
    os.unlink(keys.name)
