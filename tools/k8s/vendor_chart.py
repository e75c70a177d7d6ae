"""Copy the pinned Zero to JupyterHub chart's defaults and schema into tools/tests/fixtures/z2jh-VERSION/,
so test_kubernetes.py validates tools/k8s/values.yaml offline, in any clone.

    python tools/k8s/vendor_chart.py CHART_FOLDER      # a `helm pull jupyterhub/jupyterhub --version 4.4.0 --untar`
                                                      # folder, or the chart's git tag's jupyterhub/ folder

The schema's `description` texts (three quarters of its 130 kB) are dropped: a validator never reads them.
values.yaml is kept as it is. The chart is BSD-3-Clause (Project Jupyter Contributors); its LICENSE goes beside.
"""
import json
import pathlib
import shutil
import sys

import yaml

VERSION = "4.4.0"
OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures" / f"z2jh-{VERSION}"


def without_descriptions(node):
    """The schema with every documentation field removed, everything a validator reads kept."""
    if isinstance(node, dict):
        # A key is documentation when it holds text (description) or a list (examples); a property
        # of the chart that happens to be called so holds a schema, a dict, and is kept.
        return {k: without_descriptions(v) for k, v in node.items()
                if not (k == "description" and isinstance(v, str) or k == "examples" and isinstance(v, list))}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def main(chart, license_file):
    chart = pathlib.Path(chart)
    schema_file = next(chart / n for n in ("values.schema.json", "values.schema.yaml") if (chart / n).exists())
    schema = without_descriptions(yaml.safe_load(schema_file.read_text()))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "values.schema.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    shutil.copyfile(chart / "values.yaml", OUT / "values.yaml")
    shutil.copyfile(license_file, OUT / "LICENSE")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: vendor_chart.py CHART_FOLDER [LICENSE]   (LICENSE defaults to CHART_FOLDER/LICENSE)")
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else pathlib.Path(sys.argv[1]) / "LICENSE")
