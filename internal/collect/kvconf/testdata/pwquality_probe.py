# Asks libpwquality itself what it makes of pwquality configurations. Reads
# a JSON list of requests from the file named by its argument, each
# {"cfg": PATH or null (the default /etc/security/pwquality.conf),
# "lengths": [N, ...]}, and prints
# for each pwquality_read_config's return code, every integer setting
# (pwquality_get_int_value), and pwquality_check's answer for passwords of
# the given lengths, with every check but the length one turned off, so
# the answer is about minlen alone.
import ctypes, json, sys

lib = ctypes.CDLL("libpwquality.so.1")
vp, ip = ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)
lib.pwquality_default_settings.restype = vp
lib.pwquality_free_settings.argtypes = [vp]
lib.pwquality_read_config.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(vp)]
lib.pwquality_get_int_value.argtypes = [vp, ctypes.c_int, ip]
lib.pwquality_set_int_value.argtypes = [vp, ctypes.c_int, ctypes.c_int]
lib.pwquality_check.argtypes = [vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(vp)]

# PWQ_SETTING_* of pwquality.h (1.4.5).
ids = {"difok": 1, "minlen": 3, "dcredit": 4, "ucredit": 5, "lcredit": 6, "ocredit": 7,
       "minclass": 8, "maxrepeat": 9, "maxclassrepeat": 11, "gecoscheck": 12,
       "maxsequence": 14, "dictcheck": 15, "usercheck": 16, "enforcing": 17,
       "retry": 18, "enforce_for_root": 19, "local_users_only": 20, "usersubstr": 21}
alphabet = "q7Zp2Kx9Wm4Rt6Yb3Nc8Vd5Hf1Jg0Ls"

out = []
for req in json.load(open(sys.argv[1])):
    pwq = lib.pwquality_default_settings()
    aux = vp()
    cfg = req["cfg"].encode() if req["cfg"] else None
    res = {"rv": lib.pwquality_read_config(pwq, cfg, ctypes.byref(aux)), "settings": {}, "check": {}}
    for name, i in ids.items():
        v = ctypes.c_int()
        lib.pwquality_get_int_value(pwq, i, ctypes.byref(v))
        res["settings"][name] = v.value
    for name in ["dcredit", "ucredit", "lcredit", "ocredit", "minclass", "maxrepeat",
                 "maxclassrepeat", "gecoscheck", "maxsequence", "dictcheck", "usercheck"]:
        lib.pwquality_set_int_value(pwq, ids[name], 0)
    for n in req["lengths"]:
        pw = (alphabet * 4)[:n].encode()
        res["check"][str(n)] = lib.pwquality_check(pwq, pw, None, None, ctypes.byref(aux))
    lib.pwquality_free_settings(pwq)
    out.append(res)
print(json.dumps(out))
