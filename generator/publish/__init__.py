"""Publishing: a built folder to S3 to S3 (or an S3-compatible store).

Plan, then apply. `scan` reads the build, `list_remote` and `read_manifest`
read the bucket, `plan` (pure) decides what to upload, re-header, delete and
keep, and `apply` carries it out in a thread pool, phase by phase. `deploy`
strings this together for every target and yields progress events; the CLI
only prints them.

Change detection reads the listing: an object we uploaded in one PutObject
has its MD5 as ETag. The manifest (`<prefix>/.statusgen/manifest.json`) holds
only what a listing cannot show: which keys we published and a fingerprint of
the header rules they were written under. So it changes when files come or
go or the rules change, not when contents change: 10 changed files are 10
PUTs. Whatever the two cannot vouch for gets a HEAD, and a delete always
needs our marker read by HEAD; a lost, stale or corrupt manifest costs HEADs,
never a wrong upload or a delete.

This module knows a folder and targets (anything with the attributes of
`generator.model.DeployTarget`), nothing about incidents or components.
"""
