#!/usr/bin/python3
"""Reads one ContentStore blob from S3 with boto3, by the layout of
docs/formats/datastore.md: key <prefix>/objects/<d0d1>/<digest>, payload then
an 8-byte trailer "TRB1" + encoding (0 raw, 1 zstd) + 3 zero bytes. Checks the
trailer and that the raw content hashes to the digest.

Usage: s3_boto3_read.py ENDPOINT BUCKET PREFIX DIGEST  -> prints "ok DIGEST SIZE"
"""
import hashlib
import os
import sys

import boto3
from botocore.client import Config

endpoint, bucket, prefix, digest = sys.argv[1:5]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "S3RVER"),
    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "S3RVER"),
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
key = f"{prefix}/objects/{digest[:2]}/{digest}" if prefix else f"objects/{digest[:2]}/{digest}"
data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
trailer = data[-8:]
if trailer[:4] != b"TRB1" or trailer[5:] != b"\0\0\0":
    sys.exit(f"bad trailer {trailer!r} on {key}")
if trailer[4] != 0:
    sys.exit(f"{key}: encoding {trailer[4]} (this check reads raw blobs only)")
content = data[:-8]
actual = hashlib.sha256(content).hexdigest()
if actual != digest:
    sys.exit(f"{key}: content hashes to {actual}, not {digest}")
print(f"ok {digest} {len(content)}")
