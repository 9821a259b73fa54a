"""Indicator exchange with other providers: STIX 2.1 bundles in and out, TAXII 2.1 publish and pull."""
