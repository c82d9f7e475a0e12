#!/usr/bin/env python3
"""Regenerates src/core/knowledge/data/torch-npu-signatures.json from git mirrors of Ascend/pytorch
(torch_npu) and Ascend/op-plugin. Developer tool: needs the two mirrors and PyYAML; the product only reads
the JSON it writes.

    python3 scripts/torch_npu_signatures.py --pytorch /path/Ascend+pytorch.git --op-plugin /path/Ascend+op-plugin.git

For each torch_npu release listed in RELEASES: the release's Ascend/pytorch tag gives version.txt and the
op-plugin submodule commit; the signatures are
  - op-plugin op_plugin/config/op_plugin_functions.yaml, sections custom: and symint: (torch.ops.npu),
    keeping the entries whose acl_op / op_api / exposed version tags include the release's torch minor;
  - op-plugin op_plugin/ops/atb/*.cpp m.def("...") schemas (torch.ops.atb, exposed as torch_npu._npu_*);
  - Ascend/pytorch torch_npu/csrc/aten/npu_native_functions.yaml, section custom: (npu_format_cast …).
Every row records, per release, the file and line it was read from; the release row records the commits.
"""
import argparse
import json
import re
import subprocess
import sys

import yaml

# torch_npu release -> Ascend/pytorch tag; which vllm-ascend pins it (shared notes ascend-facts §c, facts-2 §5)
RELEASES = [
    ("2.10.0.post4", "v26.1.0-pytorch2.10.0", "vllm-ascend main @182b75e, v0.23.0 (requirements.txt torch-npu==2.10.0.post4)"),
    ("2.10.0.post2", "v26.0.1-pytorch2.10.0", "vllm-ascend v0.23.0rc1, v0.24.0rc1"),
    ("2.10.0", "v26.0.0-pytorch2.10.0", "vllm-ascend v0.20.2rc1 - v0.22.1rc1"),
    ("2.9.0", "v7.3.0-pytorch2.9.0", "vllm-ascend v0.14.0rc1 - v0.19.1rc1"),
    ("2.8.0.post2", "v7.3.0-pytorch2.8.0", "vllm-ascend v0.13.0, v0.13.0rc3"),
]

OP_YAML = "op_plugin/config/op_plugin_functions.yaml"
PT_YAML = "torch_npu/csrc/aten/npu_native_functions.yaml"
SRC_LINE = {}
MDEF = re.compile(r'm\.def\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


def versions_of(spec, all_version):
    """op-plugin's own rule (torchnpugen/op_codegen_utils.py get_version): [a, b] is a range, 'newest' open."""
    if spec is None:
        return []
    if isinstance(spec, list):
        spec = [str(s).strip() for s in spec]
        start = all_version.index(spec[0])
        return all_version[start:] if spec[1] == "newest" else all_version[start : all_version.index(spec[1]) + 1]
    if spec == "all_version":
        return list(all_version)
    return [s.strip() for s in str(spec).split(",")]


def func_lines(text):
    """Line (1-based) of each '- func:' entry, in order."""
    return [i + 1 for i, line in enumerate(text.split("\n")) if re.match(r"^\s*- func:", line)]


def op_plugin_rows(repo, commit, torch_minor):
    text = git(repo, "show", f"{commit}:{OP_YAML}")
    doc = yaml.safe_load(text)
    all_version = [str(v) for v in doc.get("all_version", [])]
    lines = iter(func_lines(text))
    SRC_LINE.clear()
    SRC_LINE.update({i + 1: l for i, l in enumerate(text.split("\n"))})
    rows = []
    for section in ("official", "autograd", "custom", "symint", "quant"):
        for entry in doc.get(section) or []:
            line = next(lines)
            if isinstance(entry, dict) and entry.get("func", "").split("(")[0] not in SRC_LINE.get(line, ""):
                raise SystemExit(f"{OP_YAML}:{line}: line/entry mismatch")
            if section not in ("custom", "symint") or not isinstance(entry, dict):
                continue
            tags = set()
            for key in ("acl_op", "op_api", "exposed"):
                tags.update(versions_of(entry.get(key), all_version))
            if f"v{torch_minor}" not in tags:
                continue
            rows.append(("npu", entry["func"].strip(), f"OP:{OP_YAML}:{line}"))
    return rows


def atb_rows(repo, commit):
    rows = []
    files = [f for f in git(repo, "ls-tree", "-r", "--name-only", commit, "op_plugin/ops/atb").split("\n") if f.endswith(".cpp")]
    for f in sorted(files):
        text = git(repo, "show", f"{commit}:{f}")
        for m in MDEF.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            schema = "".join(STR.findall(m.group(1)))  # adjacent C++ literals concatenate
            rows.append(("atb", re.sub(r"\s+", " ", schema).strip(), f"OP:{f}:{line}"))
    return rows


def pytorch_rows(repo, tag):
    text = git(repo, "show", f"{tag}:{PT_YAML}")
    doc = yaml.safe_load(text)
    src = text.split("\n")
    rows = []
    for entry in doc.get("custom") or []:
        func = entry["func"].strip()
        line = next(i + 1 for i, l in enumerate(src) if re.match(r"^\s*- func:\s*" + re.escape(func), l))
        rows.append(("npu", func, f"PT:{PT_YAML}:{line}"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pytorch", required=True, help="git dir of Ascend/pytorch")
    ap.add_argument("--op-plugin", required=True, help="git dir of Ascend/op-plugin")
    ap.add_argument("--out", default="src/core/knowledge/data/torch-npu-signatures.json")
    a = ap.parse_args()
    releases = []
    by_schema = {}
    order = []
    for version, tag, used_by in RELEASES:
        pt_commit = git(a.pytorch, "rev-parse", f"{tag}^{{commit}}").strip()
        got = git(a.pytorch, "show", f"{tag}:version.txt").strip()
        if got != version:
            sys.exit(f"{tag}: version.txt says {got}, expected {version}")
        sub = git(a.pytorch, "ls-tree", tag, "third_party/op-plugin").split()
        op_commit = sub[2]
        torch_minor = ".".join(version.split(".")[:2])
        releases.append(
            {
                "torchNpu": version,
                "torch": torch_minor,
                "pytorch": {"repo": "Ascend/pytorch", "tag": tag, "commit": pt_commit},
                "opPlugin": {"repo": "Ascend/op-plugin", "commit": op_commit, "via": f"Ascend/pytorch {tag}:third_party/op-plugin"},
                "usedBy": used_by,
            }
        )
        rows = op_plugin_rows(a.op_plugin, op_commit, torch_minor) + atb_rows(a.op_plugin, op_commit) + pytorch_rows(a.pytorch, tag)
        for ns, schema, where in rows:
            key = (ns, schema)
            if key not in by_schema:
                by_schema[key] = {"ns": ns, "schema": schema, "in": {}}
                order.append(key)
            by_schema[key]["in"].setdefault(version, where)
    ops = [by_schema[k] for k in sorted(order, key=lambda k: (k[1].split("(")[0], k[0], k[1]))]
    out = {
        "about": "torch_npu operator signatures per release; regenerate with scripts/torch_npu_signatures.py. "
        "Each op row's `in` maps a release to FILE:LINE in that release's repo commit (OP = Ascend/op-plugin, PT = Ascend/pytorch).",
        "releases": releases,
        "ops": ops,
    }
    with open(a.out, "w", encoding="utf-8") as f:
        # one op per line: a regeneration diffs row by row
        head = json.dumps({k: v for k, v in out.items() if k != "ops"}, ensure_ascii=False, indent=1)[:-2]
        f.write(head + ',\n "ops": [\n')
        f.write(",\n".join("  " + json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in ops))
        f.write("\n ]\n}\n")
    print(f"{a.out}: {len(releases)} releases, {len(ops)} signature rows", file=sys.stderr)


if __name__ == "__main__":
    main()
