"""Extract the validation schema of a CustomResourceDefinition into a JSON file.

    python deploy/k8s/crd-schemas/extract.py CRD.yaml [--source TEXT] [--out DIR]

Reads a CRD manifest (a file, or `-` for standard input), picks the version that is served
and stored, and writes `<group>_<plural>.json` in DIR (default: this directory): that
version's `openAPIV3Schema`, with two keys JSON Schema validators ignore:
`x-kubernetes-group-version-kind` (which resources it checks) and `x-source` (where the CRD
came from, e.g. `cloudnative-pg/cloudnative-pg@<commit>:config/crd/bases/...`).
tests/deploy/test_k8s.py validates the operators' custom resources of every overlay with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def served_schema(crd: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(version name, openAPIV3Schema) of the served version the API server stores."""
    versions = [v for v in crd["spec"]["versions"] if v.get("served", True)]
    stored = [v for v in versions if v.get("storage")] or versions
    if not stored:
        raise SystemExit(f"{crd['metadata']['name']}: no served version")
    version = stored[0]
    return version["name"], version["schema"]["openAPIV3Schema"]


def extract(text: str, source: str, out: Path) -> Path:
    crd = yaml.safe_load(text)
    if crd.get("kind") != "CustomResourceDefinition":
        raise SystemExit("not a CustomResourceDefinition")
    spec = crd["spec"]
    version, schema = served_schema(crd)
    document = {
        "x-kubernetes-group-version-kind": [
            {"group": spec["group"], "version": version, "kind": spec["names"]["kind"]}
        ],
        "x-source": source,
        **schema,
    }
    path = out / f"{spec['group']}_{spec['names']['plural']}.json"
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crd", help="CRD manifest (YAML), or - for standard input")
    parser.add_argument("--source", help="where it came from (default: the file name)")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.crd == "-" else Path(args.crd).read_text()
    print(extract(text, args.source or args.crd, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
