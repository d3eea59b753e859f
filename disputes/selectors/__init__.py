"""Reads that cross relations, scoped to the actor who asks; one module per aggregate."""
