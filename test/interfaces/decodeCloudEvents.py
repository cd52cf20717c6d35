# Decodes Kafka records with the CloudEvents Python SDK's default Kafka decoding (from_kafka_event:
# auto-detects binary or structured mode, JSON format), as a Python data user or auditor would.
# stdin: a JSON array of {key, headers: {name: base64}, value: base64}; stdout: a JSON array with, per
# record, the decoded attributes and data, or {"error": ...} when the SDK could not decode it.
import base64
import json
import sys

from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

out = []
for rec in json.load(sys.stdin):
    msg = KafkaMessage(
        headers={k: base64.b64decode(v) for k, v in rec["headers"].items()},
        key=rec["key"],
        value=base64.b64decode(rec["value"]),
    )
    try:
        ev = from_kafka_event(msg)
    except Exception as e:  # noqa: BLE001 — the test reports which record the SDK rejected, and why
        out.append({"error": f"{type(e).__name__}: {e}"})
        continue
    t = ev.get_time()
    out.append(
        {
            "specversion": ev.get_specversion(),
            "id": ev.get_id(),
            "source": ev.get_source(),
            "type": ev.get_type(),
            "subject": ev.get_subject(),
            "time": t.isoformat() if t is not None else None,
            "dataschema": ev.get_dataschema(),
            "datacontenttype": ev.get_datacontenttype(),
            "data": ev.get_data(),
        }
    )
json.dump(out, sys.stdout)
