"""Reads a Prometheus text exposition on stdin with prometheus_client's parser and prints its samples as JSON:
a list of {"family", "type", "name", "labels", "value"}. A malformed exposition makes the parser raise: exit 1."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        samples.append(
            {"family": family.name, "type": family.type, "name": sample.name, "labels": sample.labels,
             "value": sample.value})
json.dump(samples, sys.stdout)
