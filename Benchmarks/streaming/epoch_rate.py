#!/usr/bin/env python3
"""Reads `nnc train --format json` lines and prints images/s of each epoch: COUNT / seconds."""
import json
import sys

count = int(sys.argv[1])
for line in sys.stdin:
    event = json.loads(line)
    if event.get("event") == "epoch":
        print(f"nnc, 2 workers: {count} images in {event['seconds']:.1f} s = {count / event['seconds']:.0f} images/s")
