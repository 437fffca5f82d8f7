#!/usr/bin/env python3
"""Write tests/vendor/models.json: the request parameters and the response fields (names
and nesting) of the vendor's actions the engine speaks, read from the official Python
SDK packages' models. The SDKs are the ground truth for field names; this fixture is what
core/tests/vendor_shapes.rs checks every response against, field by field.

Run with the SDKs installed in a venv (the versions of tests/vendor/README.md):
    python3 -m venv /tmp/vendor-sdk
    /tmp/vendor-sdk/bin/pip install alibabacloud-kms20160120==3.3.1 \
        alibabacloud-resourcesharing20200110==2.2.2 alibabacloud-resourcemanager20200331==2.6.2 \
        alibabacloud-ram20150501==1.3.0 alibabacloud-sts20150401==1.2.0 \
        alibabacloud-actiontrail20200706==2.6.0
    /tmp/vendor-sdk/bin/python scripts/extract-vendor-models.py
"""
import importlib
import inspect
import json
import os
import re
import typing

PACKAGES = {
    "Kms": ("alibabacloud_kms20160120", "2016-01-20"),
    "ResourceSharing": ("alibabacloud_resourcesharing20200110", "2020-01-10"),
    "ResourceManager": ("alibabacloud_resourcemanager20200331", "2020-03-31"),
    "Ram": ("alibabacloud_ram20150501", "2015-05-01"),
    "Sts": ("alibabacloud_sts20150401", "2015-04-01"),
    "Actiontrail": ("alibabacloud_actiontrail20200706", "2020-07-06"),
}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "vendor", "models.json")


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def fields(cls, models, depth=0):
    """The JSON shape of a model class: {JsonName: shape}; a shape is "string", "integer",
    "boolean", "number", "any", an object of fields, or a one-element list."""
    if depth > 12:
        return "any"
    src = inspect.getsource(cls.to_map)
    names = re.findall(r"result\['([^']+)'\]\s*=\s*(?:\[\]|self\.([a-z0-9_]+))", src)
    hints = {}
    try:
        hints = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        pass
    out = {}
    # `result['X'] = self.x` or `result['X'] = []` followed by appends of self.x items.
    for m in re.finditer(r"result\['([^']+)'\]\s*=\s*(.+)", src):
        json_name, rhs = m.group(1), m.group(2).strip()
        attr = None
        am = re.search(r"self\.([a-z0-9_]+)", rhs)
        if am:
            attr = am.group(1)
        elif rhs == "[]":
            # find `for k in self.attr:` after this line
            after = src[m.end():]
            fm = re.search(r"for k\d* in self\.([a-z0-9_]+)", after)
            attr = fm.group(1) if fm else None
        elif rhs == "{}":
            after = src[m.end():]
            fm = re.search(r"for k\d*, v\d* in self\.([a-z0-9_]+)", after)
            attr = fm.group(1) if fm else None
        out[json_name] = shape_of(cls, attr, hints, models, depth) if attr else "any"
    return out


def shape_of(cls, attr, params, models, depth):
    p = params.get(attr)
    ann = p.annotation if p is not None else None
    if isinstance(ann, str):
        text = ann
    elif ann is None or ann is inspect.Parameter.empty:
        text = "any"
    else:
        text = getattr(ann, "__name__", str(ann))
    return parse_annotation(text.replace("main_models.", ""), models, depth)


def parse_annotation(text, models, depth):
    text = text.strip()
    if text.startswith("List[") and text.endswith("]"):
        return [parse_annotation(text[5:-1], models, depth)]
    if text.startswith("Dict[") and text.endswith("]"):
        inner = text[5:-1].split(",", 1)[1]
        return {"*": parse_annotation(inner, models, depth)}
    simple = {"str": "string", "int": "integer", "bool": "boolean", "float": "number", "Any": "any", "any": "any"}
    if text in simple:
        return simple[text]
    cls = getattr(models, text, None)
    if cls is not None and inspect.isclass(cls):
        return fields(cls, models, depth + 1)
    return "any"


def request_params(client_cls, action):
    """The parameters the SDK sends for an action, with where they go: q (query) or b (body)."""
    fn = getattr(client_cls, snake(action) + "_with_options", None)
    if fn is None:
        return None
    src = inspect.getsource(fn)
    params = {}
    for where, name in re.findall(r"(query|body)\['([A-Za-z0-9_.]+)'\]", src):
        params[name] = "q" if where == "query" else "b"
    return params


def main():
    out = {}
    for product, (pkg, version) in PACKAGES.items():
        client = importlib.import_module(pkg + ".client").Client
        models = importlib.import_module(pkg + ".models")
        actions = {}
        for name in dir(client):
            m = re.fullmatch(r"([a-z0-9_]+)_with_options", name)
            if not m:
                continue
            camel = "".join(part.capitalize() for part in m.group(1).split("_"))
            body = getattr(models, camel + "ResponseBody", None)
            if body is None:
                # Names like `DescribeKey` vs `describe_key`: look the body up without case.
                cands = [c for c in dir(models) if c.lower() == (camel + "ResponseBody").lower()]
                body = getattr(models, cands[0]) if cands else None
                camel = cands[0][: -len("ResponseBody")] if cands else camel
            if body is None:
                continue
            actions[camel] = {"request": request_params(client, camel), "response": fields(body, models)}
        out[product] = {"version": version, "actions": dict(sorted(actions.items()))}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"wrote {OUT}: " + ", ".join(f"{p} {len(v['actions'])}" for p, v in out.items()))


if __name__ == "__main__":
    main()
