#!/usr/bin/env python3
"""A small, safe reader for the YAML subset that vllm-ascend's accuracy/benchmark configs use (stdlib only).

Supported: block mappings and sequences by indentation (a sequence may sit at its parent key's indentation),
"- key: value" items continuing as mappings, plain / 'single' / "double"-quoted scalars, int, float, bool
(true/false/yes/no/on/off), null (~, null, empty), comments, flow sequences/mappings on one line ([1, 2],
{"a": 1}), block scalars (| and >, with -/+ chomping), anchors (&a), aliases (*a) and merge keys (<<: *a),
and a leading "---" / trailing "...". Nothing is ever executed or constructed beyond dict/list/str/number/
bool/None: tags (!!python/...) are refused.
Errors: YamlError with the line number.

As a script: yaml_lite.py FILE  -> the document as JSON on stdout (exit 2 with a message on bad input).
"""
from __future__ import annotations

import json
import re
import sys


class YamlError(ValueError):
    def __init__(self, msg, line=None):
        ValueError.__init__(self, "line %d: %s" % (line, msg) if line else msg)
        self.line = line


_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$")
_KEY = re.compile(r"""^(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},&*!|>%@`][^#]*?|<<)\s*:(?:\s+|$)(?P<rest>.*)$""")


def _strip_comment(s):
    """Remove a trailing comment that is not inside quotes."""
    out, q, i = [], None, 0
    while i < len(s):
        c = s[i]
        if q:
            out.append(c)
            if c == q:
                if q == "'" and i + 1 < len(s) and s[i + 1] == "'":
                    out.append("'")
                    i += 1
                else:
                    q = None
            elif c == "\\" and q == '"' and i + 1 < len(s):
                out.append(s[i + 1])
                i += 1
        else:
            if c == "#" and (i == 0 or s[i - 1] in " \t"):
                break
            if c in "'\"" and (i == 0 or s[i - 1] in " \t[{,:-"):
                q = c
            out.append(c)
        i += 1
    return "".join(out).rstrip()


def _scalar(tok, line):
    t = tok.strip()
    if t.startswith("!"):
        raise YamlError("tags are not supported: %s" % t.split()[0], line)
    if t == "" or t in ("~", "null", "Null", "NULL"):
        return None
    if t[0] == '"':
        if len(t) < 2 or t[-1] != '"':
            raise YamlError("unterminated double-quoted string", line)
        try:
            return json.loads(t)
        except ValueError:
            body = t[1:-1]
            return body.encode("utf-8").decode("unicode_escape") if "\\" in body else body
    if t[0] == "'":
        if len(t) < 2 or t[-1] != "'":
            raise YamlError("unterminated single-quoted string", line)
        return t[1:-1].replace("''", "'")
    if t in ("true", "True", "TRUE", "yes", "Yes", "on", "On"):
        return True
    if t in ("false", "False", "FALSE", "no", "No", "off", "Off"):
        return False
    if _INT.match(t):
        return int(t.replace("_", ""))
    if _FLOAT.match(t) and any(ch.isdigit() for ch in t):
        try:
            return float(t.replace("_", ""))
        except ValueError:
            pass
    if t in (".inf", "+.inf", ".Inf"):
        return float("inf")
    if t in ("-.inf", "-.Inf"):
        return float("-inf")
    return t


def _split_flow(s, line):
    """Split the inside of a flow collection at top-level commas."""
    parts, depth, q, cur = [], 0, None, []
    for c in s:
        if q:
            cur.append(c)
            if c == q:
                q = None
            continue
        if c in "'\"":
            q = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    if q or depth:
        raise YamlError("unbalanced flow collection", line)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def _flow(t, line, anchors):
    t = t.strip()
    if t.startswith("*"):
        name = t[1:]
        if name not in anchors:
            raise YamlError("unknown alias *%s" % name, line)
        return anchors[name]
    if t.startswith("["):
        if not t.endswith("]"):
            raise YamlError("flow sequence must end on the same line", line)
        return [_flow(p, line, anchors) for p in _split_flow(t[1:-1], line)]
    if t.startswith("{"):
        if not t.endswith("}"):
            raise YamlError("flow mapping must end on the same line", line)
        out = {}
        for p in _split_flow(t[1:-1], line):
            m = re.match(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^:]+?)\s*:\s*(.*)$""", p)
            if not m:
                raise YamlError("bad flow mapping entry %r" % p.strip(), line)
            out[_scalar(m.group(1), line)] = _flow(m.group(2), line, anchors)
        return out
    return _scalar(t, line)


class _Line(object):
    __slots__ = ("n", "indent", "text", "raw")

    def __init__(self, n, indent, text, raw):
        self.n, self.indent, self.text, self.raw = n, indent, text, raw


class _Parser(object):
    def __init__(self, text):
        self.raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.anchors = {}
        self.lines = []
        self.i = 0
        # logical lines (block scalars are read raw, so keep the raw index too)
        for n, raw in enumerate(self.raw_lines, 1):
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                raise YamlError("tabs are not allowed for indentation", n)
            stripped = _strip_comment(raw)
            if not stripped.strip() or stripped.strip() in ("---", "..."):
                if stripped.strip() in ("---", "...") and self.lines and stripped.strip() == "---":
                    raise YamlError("only one document per file is supported", n)
                self.lines.append(None)
                continue
            if stripped.lstrip().startswith("%"):
                raise YamlError("directives are not supported", n)
            ind = len(stripped) - len(stripped.lstrip(" "))
            self.lines.append(_Line(n, ind, stripped.strip(), raw))

    def _peek(self):
        while self.i < len(self.lines) and self.lines[self.i] is None:
            self.i += 1
        return self.lines[self.i] if self.i < len(self.lines) else None

    def parse(self):
        ln = self._peek()
        if ln is None:
            return None
        v = self._node(ln.indent)
        rest = self._peek()
        if rest is not None:
            raise YamlError("unexpected content (bad indentation?)", rest.n)
        return v

    def _node(self, indent):
        ln = self._peek()
        if ln.text.startswith("- ") or ln.text == "-":
            return self._seq(ln.indent)
        if _KEY.match(ln.text):
            return self._map(ln.indent)
        self.i += 1
        return self._value(ln.text, ln, indent)

    def _take_anchor(self, t):
        m = re.match(r"^&([^\s\[\]{},]+)\s*(.*)$", t)
        if m:
            return m.group(1), m.group(2)
        return None, t

    def _value(self, t, ln, indent, key_indent=None):
        """A value after "key:" or "- " (t may be empty: then the block below is the value)."""
        anchor, t = self._take_anchor(t)
        if t in ("|", ">", "|-", ">-", "|+", ">+"):
            v = self._block_scalar(t, key_indent if key_indent is not None else indent)
        elif t == "":
            nxt = self._peek()
            if nxt is not None and (nxt.indent > (key_indent if key_indent is not None else indent) or
                                    (nxt.indent == key_indent and (nxt.text.startswith("- ") or nxt.text == "-"))):
                v = self._node(nxt.indent)
            else:
                v = None
        else:
            v = _flow(t, ln.n, self.anchors)
        if anchor:
            self.anchors[anchor] = v
        return v

    def _block_scalar(self, style, parent_indent):
        # read raw lines following the current logical position
        start = self.i
        body = []
        block_indent = None
        j = start
        while j < len(self.raw_lines):
            raw = self.raw_lines[j]
            if raw.strip() == "":
                body.append("")
                j += 1
                continue
            ind = len(raw) - len(raw.lstrip(" "))
            if block_indent is None:
                if ind <= parent_indent:
                    break
                block_indent = ind
            if ind < block_indent:
                break
            body.append(raw[block_indent:])
            j += 1
        # drop the logical lines we consumed
        consumed = j - start
        self.i = start + consumed
        chomp = style[1:] if len(style) > 1 else ""
        while body and body[-1] == "" and chomp != "+":
            body.pop()
        if style[0] == "|":
            text = "\n".join(body)
        else:
            out, prev_blank = [], False
            for b in body:
                if b == "":
                    out.append("\n")
                    prev_blank = True
                elif b.startswith(" "):
                    out.append(("" if (not out or out[-1].endswith("\n")) else "\n") + b + "\n")
                else:
                    if out and not out[-1].endswith("\n") and not prev_blank:
                        out.append(" ")
                    out.append(b)
                    prev_blank = False
            text = "".join(out)
        if chomp != "-":
            text += "\n"
        return text

    def _map(self, indent):
        out = {}
        while True:
            ln = self._peek()
            if ln is None or ln.indent < indent:
                return out
            if ln.indent > indent:
                raise YamlError("unexpected indentation", ln.n)
            m = _KEY.match(ln.text)
            if not m:
                if ln.text.startswith("- "):
                    return out
                raise YamlError("expected 'key: value'", ln.n)
            self.i += 1
            rawkey = m.group("key").strip()
            rest = m.group("rest").strip()
            if rawkey == "<<":
                v = self._value(rest, ln, indent + 1, key_indent=indent)
                srcs = v if isinstance(v, list) else [v]
                for src in srcs:
                    if not isinstance(src, dict):
                        raise YamlError("merge key '<<' needs a mapping", ln.n)
                    for k, val in src.items():
                        out.setdefault(k, val)
                continue
            key = _scalar(rawkey, ln.n)
            if isinstance(key, (list, dict)):
                raise YamlError("complex keys are not supported", ln.n)
            if key in out and not isinstance(out[key], type(None)) and rawkey != "<<":
                pass  # YAML says duplicate keys are an error; the last one wins here, like PyYAML
            out[key] = self._value(rest, ln, indent + 1, key_indent=indent)

    def _seq(self, indent):
        out = []
        while True:
            ln = self._peek()
            if ln is None or ln.indent < indent:
                return out
            if ln.indent > indent:
                raise YamlError("unexpected indentation in a list", ln.n)
            if not (ln.text.startswith("- ") or ln.text == "-"):
                return out
            rest = ln.text[1:].lstrip(" ")
            item_indent = ln.indent + (len(ln.text) - len(rest))
            anchor, rest2 = self._take_anchor(rest)
            if rest2 and (_KEY.match(rest2) or rest2.startswith("- ")):
                # "- key: value" → a mapping whose first line sits after the dash; rewrite the line in place
                self.lines[self.i] = _Line(ln.n, item_indent, rest2, ln.raw)
                v = self._node(item_indent)
                if anchor:
                    self.anchors[anchor] = v
            else:
                self.i += 1
                v = self._value(rest, ln, indent, key_indent=indent)
            out.append(v)


def loads(text):
    return _Parser(text).parse()


def load_file(path):
    with open(path, "r", encoding="utf-8") as f:
        return loads(f.read())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: yaml_lite.py FILE\n")
        return 2
    try:
        doc = load_file(argv[0])
    except (OSError, YamlError, UnicodeDecodeError) as e:
        sys.stderr.write("%s: %s\n" % (argv[0], e))
        return 2
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
