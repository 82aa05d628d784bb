"""Shopper analytics: event records, sinks (Kinesis, in-process) and trending counters."""
