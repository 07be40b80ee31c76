#!/usr/bin/env bash
# Prints the path of a Python that has prometheus_client 0.21.1 (Prometheus's own Python client and text-format
# parser), installing it once into .build-prometheus/venv from PyPI. The tests read GET /metrics with it
# (scripts/prometheus-parse.py), so that the exposition is checked by a parser Noroshi did not write.
exec "$(dirname "$0")/pyvenv.sh" prometheus "prometheus_client==0.21.1" prometheus_client
