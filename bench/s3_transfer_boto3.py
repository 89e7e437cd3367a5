#!/usr/bin/python3
"""The boto3 side of bench/s3_transfer_bench: one managed-transfer round with
the default TransferConfig (8 MB parts, 10 threads). Uploads FILE as KEY with
upload_file, downloads it with download_file to FILE.down, prints
"upload SECONDS" and "download SECONDS", then deletes the downloaded copy.

Usage: s3_transfer_boto3.py ENDPOINT BUCKET KEY FILE
"""
import os
import sys
import time

import boto3
from botocore.client import Config

endpoint, bucket, key, path = sys.argv[1:5]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "S3RVER"),
    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "S3RVER"),
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
t0 = time.perf_counter()
s3.upload_file(path, bucket, key)
t1 = time.perf_counter()
s3.download_file(bucket, key, path + ".down")
t2 = time.perf_counter()
if os.path.getsize(path + ".down") != os.path.getsize(path):
    sys.exit("download size differs")
os.remove(path + ".down")
s3.delete_object(Bucket=bucket, Key=key)
print(f"upload {t1 - t0:.4f}")
print(f"download {t2 - t1:.4f}")
