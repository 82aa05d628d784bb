"""Vitrine's AWS CDK app: thin stacks by concern, one construct per capability.

This package imports no runtime package of the project (import-linter checks it): names and
environment variables come from :mod:`infra_cdk.names`, the catalog table's keys from
``catalog_table.json`` (generated from the PynamoDB models and checked by a test).
"""
