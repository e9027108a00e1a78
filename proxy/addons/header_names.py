"""A credential value that comes back as a response header NAME, in any letter case or separator.

Header names are case-insensitive (HTTP/2 sends them lower-case) and many stacks swap '-' and
'_', so a mirror that puts a value into a name hands the code nearly all of it even when no
byte-exact form survives. Names are therefore compared folded: letters and digits only, lower
case. The middle of each value is enough (a name may also carry a prefix, as in `x-<value>`).
"""
import re

_NOT_ALNUM = re.compile(rb"[^a-z0-9]")
# Shorter folded values would match ordinary names by chance.
MIN_FOLDED = 10


def fold(data):
    return _NOT_ALNUM.sub(b"", (data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")).lower())


class HeaderNameCheck:
    def __init__(self, credentials):
        needles = set()
        for cred in credentials:
            folded = fold(cred.value)
            trim = max(0, min(4, (len(folded) - MIN_FOLDED) // 2))
            middle = folded[trim:len(folded) - trim]
            if len(middle) >= MIN_FOLDED:
                needles.add(middle)
        self.needles = tuple(needles)

    def shows_secret(self, name):
        folded = fold(name)
        return any(needle in folded for needle in self.needles)
