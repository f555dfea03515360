"""verp_check: recompute each message's VERP token on our own (FNV-1a + HMAC-SHA256 +
base32, as include/verp.h describes it) and compare with what the SMTP server received.
usage: verp_check.py SERVER_DIR SECRET CAMPAIGN DELIM BOUNCE_TO [UNSUB_MAILTO]
Prints one line per problem, and "checked N" at the end."""
import base64, email, glob, hashlib, hmac, re, sys

sd, secret, camp, delim, bounce = sys.argv[1:6]
unsub = sys.argv[6] if len(sys.argv) > 6 else None

def fnv(s):
    h = 14695981039346656037
    for c in s.encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h

def token(addr):
    a = addr.lower()
    sid = (fnv(a) & 0xFFFFFFFFFFFF).to_bytes(6, "big")
    cid = (fnv(camp) & 0xFFFFFF).to_bytes(3, "big")
    mac = hmac.new(secret.encode(), b"verp\0" + a.encode() + b"\0" + camp.encode(),
                   hashlib.sha256).digest()[:6]
    return base64.b32encode(sid + cid + mac).decode().lower()

def verp(base, addr):
    local, dom = base.rsplit("@", 1)
    return "%s%s%s@%s" % (local, delim, token(addr), dom)

n = 0
seen = set()
for env in sorted(glob.glob(sd + "/*.env")):
    lines = open(env).read().splitlines()
    mail = re.match(r"MAIL FROM:<(.*)>$", lines[0]).group(1)
    rcpts = [re.match(r"RCPT TO:<(.*)>$", l).group(1) for l in lines[1:]]
    if len(rcpts) != 1:
        print("%s: %d recipients" % (env, len(rcpts))); continue
    want = verp(bounce, rcpts[0])
    if mail != want:
        print("%s: MAIL FROM %s, want %s" % (env, mail, want))
    seen.add(mail)
    if unsub:
        msg = email.message_from_binary_file(open(env[:-4] + ".eml", "rb"))
        lu = " ".join(str(msg.get("List-Unsubscribe", "")).split())
        if "<mailto:%s?subject=unsubscribe>" % verp(unsub, rcpts[0]) not in lu:
            print("%s: List-Unsubscribe %s lacks mailto %s" % (env, lu, verp(unsub, rcpts[0])))
        # the link a reader clicks, in both bodies, is that same mailto, token and all
        for part in msg.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                body = part.get_payload(decode=True).decode("utf-8")
                if "mailto:%s?subject=unsubscribe" % verp(unsub, rcpts[0]) not in body:
                    print("%s: the %s part's unsubscribe link lacks the token" %
                          (env, part.get_content_type()))
    n += 1
if len(seen) != n:
    print("only %d distinct return paths for %d messages" % (len(seen), n))
print("checked %d" % n)
