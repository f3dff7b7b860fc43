#!/usr/bin/env python3
"""tests/e2e/yaml2json.py FILE: print a YAML document as JSON (run.sh queries it with jq)."""
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    json.dump(yaml.safe_load(f), sys.stdout)
