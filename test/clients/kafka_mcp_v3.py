"""Produces through the local runtime with a REST Proxy v3 client no one here wrote.

The client is the `KafkaApi` of the `kafka-mcp` package on PyPI (1.0.1): it finds the cluster
id with `GET /v3/clusters`, as a v3 client does, and produces with
`POST /v3/clusters/{cluster_id}/topics/{topic}/records`. Run it against `npm start`:

    python3 -m venv /tmp/v3-client && /tmp/v3-client/bin/pip install kafka-mcp==1.0.1
    /tmp/v3-client/bin/python test/clients/kafka_mcp_v3.py http://127.0.0.1:3000 events

It exits non-zero unless every record is reported produced (error_code 200).
"""

import base64
import json
import sys

from kafka_mcp.api.api_client_kafka import KafkaApi


def main() -> int:
    base_url, topic = sys.argv[1], sys.argv[2]
    api = KafkaApi(base_url=base_url)
    clusters = api.list_clusters()
    print("clusters:", json.dumps([cluster["cluster_id"] for cluster in clusters["data"]]))
    cluster_id = api.cluster_id()
    reports = [
        api.produce_record(topic, {"client": "kafka-mcp", "n": 1}, key="v3-client-json", key_format="STRING"),
        api.produce_record(topic, base64.b64encode(b"\x00\x01binary").decode(), value_format="BINARY", partition_id=0),
        api.produce_record(
            topic,
            "text from a v3 client",
            value_format="STRING",
            headers=[{"name": "trace", "value": base64.b64encode(b"a").decode()}, {"name": "trace", "value": base64.b64encode(b"b").decode()}],
        ),
    ]
    for report in reports:
        print("report:", json.dumps(report))
    produced = all(report.get("error_code") == 200 and report.get("cluster_id") == cluster_id for report in reports)
    return 0 if produced else 1


if __name__ == "__main__":
    sys.exit(main())
