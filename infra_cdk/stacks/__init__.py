"""Thin stacks by concern: each composes capability constructs and exposes what later
stacks need as attributes (CDK turns those into cross-stack references)."""
