#!/usr/bin/env python3
"""Proves schemas/ with an independent validator (Python's jsonschema, draft 2020-12):

1. every schema is valid against the 2020-12 meta-schema;
2. every example in schemas/examples validates (envelope and payload);
3. the JSON the project itself emits validates: `clientele generate --jsonl` (the input form),
   and `clientele events` over a generated ledger before and after an erasure (the read form), and
   `clientele replay --events`, pseudonymous and identified;
4. schemas/openapi.yaml describes the same bodies: every example and every generated event is an
   EventInput there, each example's payload (with store, via, occurredAt) is the body of its task
   endpoint, and what the event schemas refuse the OpenAPI document refuses too.

    tools/test-schemas.py --clientele PATH/TO/clientele
"""
import argparse, json, os, subprocess, sys, tempfile, tomllib

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker
except ImportError:
    sys.exit("test-schemas: needs the jsonschema package (pip install jsonschema)")

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
schemas = os.path.join(root, "schemas")
passed, failed = 0, 0

def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")

def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)

def validators():
    envelope = load(os.path.join(schemas, "envelope.schema.json"))
    payloads = {}
    folder = os.path.join(schemas, "events")
    for name in sorted(os.listdir(folder)):
        s = load(os.path.join(folder, name))
        payloads[(s["x-event-type"], s["x-schema-version"])] = Draft202012Validator(s, format_checker=FormatChecker())
    current = {}
    for t, v in payloads:
        current[t] = max(current.get(t, 0), v)
    return Draft202012Validator(envelope, format_checker=FormatChecker()), payloads, current

def validate_event(name, doc, envelope, payloads, current):
    errors = sorted(envelope.iter_errors(doc), key=lambda e: e.path)
    if errors:
        check(name, False, f"envelope: {errors[0].message} at {list(errors[0].path)}")
        return
    key = (doc["type"], doc.get("schemaVersion", current[doc["type"]]))
    if key not in payloads:
        check(name, False, f"no schema for {key}")
        return
    errors = sorted(payloads[key].iter_errors(doc["payload"]), key=lambda e: e.path)
    check(name, not errors, errors and f"payload: {errors[0].message} at {list(errors[0].path)}")

def openapi_validators():
    """Validators for components of schemas/openapi.yaml (OpenAPI 3.1: JSON Schema 2020-12), by name."""
    try:
        import yaml
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        sys.exit("test-schemas: needs the pyyaml and referencing packages (pip install pyyaml jsonschema)")
    with open(os.path.join(schemas, "openapi.yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    uri = "urn:clientele:openapi"
    registry = Registry().with_resource(uri, Resource.from_contents(doc, default_specification=DRAFT202012))
    def validator(name):
        return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{name}"}, registry=registry, format_checker=FormatChecker())
    return doc, validator

def task_body(doc):
    """An example event as the body of its task endpoint: the payload's members, store, via, occurredAt."""
    body = {k: v for k, v in doc["payload"].items() if k != "complaint" or doc["type"] in ("ComplaintFiled",)}
    body.update({"store": doc["store"], "via": doc["channel"], "occurredAt": doc["occurredAt"]})
    if doc["type"] == "CustomerRegistered":
        body["customer"] = doc["customer"]
    return body

def check_openapi(examples, generated):
    doc, validator = openapi_validators()
    event_input = validator("EventInput")
    for name, event in examples + generated:
        errors = list(event_input.iter_errors(event))
        check(f"openapi EventInput: {name}", not errors, errors and errors[0].message[:200])
    tasks = {n[len("Task."):]: validator(n) for n in doc["components"]["schemas"] if n.startswith("Task.")}
    check("openapi: a body schema for every task endpoint", len(tasks) == 16, sorted(tasks))
    seen = set()
    for name, event in examples:
        if event["type"] in tasks and event.get("schemaVersion", 1) == max(v for t, v in doc_versions(doc) if t == event["type"]):
            seen.add(event["type"])
            errors = list(tasks[event["type"]].iter_errors(task_body(event)))
            check(f"openapi Task.{event['type']}: {name}", not errors, errors and errors[0].message[:200])
    check("openapi: an example for every task body", seen == set(tasks), sorted(set(tasks) - seen))
    # What the server refuses, the document refuses too.
    visit = next(e for n, e in examples if e["type"] == "VisitRecorded")
    refused = [("an unknown envelope member", dict(visit, color="red")),
               ("an unknown payload member", dict(visit, payload=dict(visit["payload"], shoeSize=42))),
               ("a payload member of the wrong type", dict(visit, payload={"kind": 7})),
               ("a type the catalog lacks", dict(visit, type="NoSuchEvent")),
               ("another type's payload", dict(visit, type="ComplaintFiled")),
               ("source without externalId", {k: v for k, v in visit.items() if k != "externalId"}),
               ("no occurredAt", {k: v for k, v in visit.items() if k != "occurredAt"}),
               ("no payload where the type requires members", {k: v for k, v in visit.items() if k != "payload"}),
               ("an older schema version's payload by default", dict(next(e for n, e in examples if e["type"] == "PurchaseRecorded"
                                                                          and e.get("schemaVersion") == 1), schemaVersion=None))]
    for what, event in refused:
        event = {k: v for k, v in event.items() if v is not None}
        check(f"openapi EventInput refuses {what}", not event_input.is_valid(event), "accepted")
    body = task_body(visit)
    for what, b in [("an unknown member", dict(body, shoeSize=42)), ("expectedVersion (If-Match is the header for it)", dict(body, expectedVersion=1)),
                    ("a channel that is not one", dict(body, via="carrier-pigeon")), ("no kind", {k: v for k, v in body.items() if k != "kind"})]:
        check(f"openapi Task.VisitRecorded refuses {what}", not tasks["VisitRecorded"].is_valid(b), "accepted")

def doc_versions(doc):
    for name in doc["components"]["schemas"]:
        if name.startswith("Event.") and name.count(".") == 2:
            _, t, v = name.split(".")
            yield t, int(v[1:])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clientele", required=True)
    args = ap.parse_args()

    # 1. Meta-schema.
    files = [os.path.join(schemas, "envelope.schema.json")] + [os.path.join(schemas, "events", n) for n in sorted(os.listdir(os.path.join(schemas, "events")))]
    for extra in ("pos-mapping.schema.json", "configuration.schema.json"):
        if os.path.exists(os.path.join(schemas, extra)):
            files.append(os.path.join(schemas, extra))
    for f in files:
        try:
            Draft202012Validator.check_schema(load(f))
            check(f, True)
        except jsonschema.SchemaError as e:
            check(f, False, e.message)

    envelope, payloads, current = validators()
    # 2. Examples.
    folder = os.path.join(schemas, "examples")
    examples = []
    for n in sorted(os.listdir(folder)):
        if n.endswith(".json") and not n.startswith(("pos-mapping", "configuration")):
            examples.append((n, load(os.path.join(folder, n))))
            validate_event(n, examples[-1][1], envelope, payloads, current)
    check("an example per event type and version", len([n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith(("pos-mapping", "configuration"))]) == len(payloads))
    config = Draft202012Validator(load(os.path.join(schemas, "configuration.schema.json")), format_checker=FormatChecker())
    errors = list(config.iter_errors(load(os.path.join(folder, "configuration.example.json"))))
    check("the configuration example validates", not errors, errors and errors[0].message)
    # The TOML example says the same as the JSON one (Python's own TOML reader).
    with open(os.path.join(folder, "configuration.example.toml"), "rb") as f:
        toml_example = tomllib.load(f)
    errors = list(config.iter_errors(toml_example))
    check("the TOML configuration example validates", not errors, errors and errors[0].message)
    check("the TOML configuration example is the JSON one", toml_example == load(os.path.join(folder, "configuration.example.json")))

    # 3. What the project emits.
    with tempfile.TemporaryDirectory(prefix="clientele-schemas-") as tmp:
        env = dict(os.environ)
        key = os.path.join(tmp, "master.key")
        subprocess.run([args.clientele, "keygen", "--out", key], check=True, capture_output=True)
        env["CLIENTELE_MASTER_KEY_FILE"] = key
        out = subprocess.run([args.clientele, "generate", "--customers", "400", "--days", "300", "--seed", "3", "--jsonl", "-"],
                             check=True, capture_output=True, text=True, env=env).stdout
        types = set()
        generated = []
        for i, line in enumerate(out.splitlines()):
            doc = json.loads(line)
            types.add(doc["type"])
            validate_event(f"generate --jsonl line {i + 1}", doc, envelope, payloads, current)
            if i % 25 == 0:
                generated.append((f"generate --jsonl line {i + 1}", doc))
        # 4. The OpenAPI document.
        check_openapi(examples, generated)
        db = os.path.join(tmp, "ledger")
        subprocess.run([args.clientele, "generate", "--customers", "400", "--days", "300", "--seed", "3", "--db", db],
                       check=True, capture_output=True, env=env)
        subprocess.run([args.clientele, "erase", "--db", db, "--customer", "C0000001", "--reason", "test"], check=True, capture_output=True, env=env)
        out = subprocess.run([args.clientele, "events", "--db", db], check=True, capture_output=True, text=True, env=env).stdout
        erased = 0
        for i, line in enumerate(out.splitlines()):
            doc = json.loads(line)
            types.add(doc["type"])
            erased += doc.get("erased", False)
            validate_event(f"events line {i + 1}", doc, envelope, payloads, current)
        check("the erased customer's events read as erased", erased > 0, "no event marked erased")
        for form in (["--events"], ["--events", "--identified"]):
            out = subprocess.run([args.clientele, "replay", "--db", db] + form, check=True, capture_output=True, text=True, env=env).stdout
            lines = out.splitlines()
            for i, line in enumerate(lines):
                validate_event(f"replay {' '.join(form)} line {i + 1}", json.loads(line), envelope, payloads, current)
            check(f"replay {' '.join(form)} wrote the whole log", len(lines) > 1000, f"{len(lines)} lines")
        check("the emitted JSON covers most of the catalog", len(types) >= 20, f"only {sorted(types)}")
    print(f"schemas: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
