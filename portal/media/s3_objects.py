"""The library as objects in an S3-compatible bucket (`PORTAL_MEDIA_STORAGE=s3`), through boto3.

Credentials come from boto3's own chain (environment, profile, instance
role); the portal's settings name only the bucket, its endpoint and region,
and a key prefix. The bucket stays private: people get bytes through the
portal, or (`PORTAL_DOWNLOAD_ACCEL=redirect`) through a presigned URL of a
few minutes.
"""
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import redirect

from portal.media import byte_ranges
from portal.media.storage import CHUNK, MissingFile, StorageError

# S3 takes at most 10,000 parts per upload, each at least 5 MiB but the last.
PART_SIZE = 8 * 1024 * 1024
MAX_PARTS = 10_000
ERRORS = (BotoCoreError, ClientError)


@lru_cache(maxsize=8)
def client(endpoint_url: str | None, region: str | None, probing: bool = False):
    """One client per endpoint for the process (boto3's clients are thread-safe; making one is not cheap).

    `probing`: one try with short timeouts, so `/healthz` answers quickly when the bucket does not.
    """
    config = Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 1 if probing else 3},
                    connect_timeout=2 if probing else 5, read_timeout=5 if probing else 60,
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    # Checksums only where S3 requires them: not every S3-compatible store takes boto3's default ones.
                    request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3Objects:
    def __init__(self, config):
        self.bucket = config["S3_BUCKET"]
        self.prefix = config["S3_PREFIX"].strip("/") + "/" if config["S3_PREFIX"] else ""
        self.endpoint_url = config["S3_ENDPOINT_URL"] or None
        self.region = config["S3_REGION"] or None
        self.presign_seconds = int(config["S3_PRESIGN_SECONDS"])
        self.s3 = client(self.endpoint_url, self.region)

    def where(self) -> str:
        return f"the bucket {self.bucket}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def key(self, stored_path: str) -> str:
        return self.prefix + stored_path

    def put_file(self, source: Path, stored_path: str, progress: Callable[[int], None]) -> tuple[int, str]:
        """Upload `source` in parts (one request when it is small), hashing each part as it passes."""
        part_size = max(PART_SIZE, -(-source.stat().st_size // MAX_PARTS))
        digest = hashlib.sha256()
        with open(source, "rb") as reader:
            first = reader.read(part_size)
            digest.update(first)
            if len(first) < part_size:
                self.put_bytes(first, stored_path)
                progress(len(first))
                return len(first), digest.hexdigest()
            size = self._put_in_parts(first, reader, part_size, stored_path, digest, progress)
        return size, digest.hexdigest()

    def _put_in_parts(self, first, reader, part_size, stored_path, digest, progress) -> int:
        """A multipart upload, aborted on any failure (Ctrl-C included): nothing of it stays in the bucket."""
        key = self.key(stored_path)
        with self._errors(f"uploading {stored_path}"):
            upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            parts, size, chunk = [], 0, first
            while chunk:
                number = len(parts) + 1
                with self._errors(f"uploading part {number} of {stored_path}"):
                    answer = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                 PartNumber=number, Body=chunk)
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                size += len(chunk)
                progress(len(chunk))
                chunk = reader.read(part_size)
                digest.update(chunk)
            with self._errors(f"completing the upload of {stored_path}"):
                self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                  MultipartUpload={"Parts": parts})
        except BaseException:
            self._abort(key, upload_id)
            raise
        return size

    def _abort(self, key: str, upload_id: str) -> None:
        """Abort an upload; if the bucket is out of reach, its parts wait for the bucket's clean-up rule."""
        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ERRORS:
            pass

    def put_bytes(self, data: bytes, stored_path: str) -> None:
        with self._errors(f"storing {stored_path}"):
            self.s3.put_object(Bucket=self.bucket, Key=self.key(stored_path), Body=data)

    @contextmanager
    def made_file(self, stored_path: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="portal-"))
        try:
            target = folder / Path(stored_path).name
            yield target
            self.put_file(target, stored_path, lambda _: None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def local_copy(self, stored_path: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="portal-"))
        try:
            target = folder / Path(stored_path).name
            with self._errors(f"fetching {stored_path}"):
                self.s3.download_file(self.bucket, self.key(stored_path), str(target))
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def read_bytes(self, stored_path: str, count: int | None) -> bytes:
        extra = {"Range": f"bytes=0-{count - 1}"} if count else {}
        with self._errors(f"reading {stored_path}"):
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key(stored_path), **extra)["Body"]
            with body:
                return body.read()

    def size(self, stored_path: str) -> int | None:
        try:
            return self._head(stored_path)["ContentLength"]
        except MissingFile:
            return None

    def _head(self, stored_path: str) -> dict:
        with self._errors(f"looking up {stored_path}"):
            return self.s3.head_object(Bucket=self.bucket, Key=self.key(stored_path))

    def send(self, stored_path, *, mimetype, download_name, etag, last_modified, size, max_age, accel):
        """A redirect to a presigned URL, or the bytes streamed; the object is looked up first unless the
        portal knows its size, ETag and date (a download's), and then only its bytes are asked for."""
        if accel == "redirect" or None in (etag, last_modified, size):
            head = self._head(stored_path)
            etag, size = etag or head["ETag"].strip('"'), size or head["ContentLength"]
            last_modified = last_modified or head["LastModified"]
        if accel == "redirect":
            return redirect(self.presign(stored_path, mimetype, download_name), 302)
        return byte_ranges.answer(lambda start, stop: self._chunks(stored_path, start, stop), size=size,
                                  mimetype=mimetype, download_name=download_name, etag=etag,
                                  last_modified=last_modified, max_age=max_age)

    def presign(self, stored_path: str, mimetype: str, download_name: str | None) -> str:
        """A GET URL for the object, good for `PORTAL_S3_PRESIGN_SECONDS`, that names the file as the portal does."""
        params = {"Bucket": self.bucket, "Key": self.key(stored_path), "ResponseContentType": mimetype}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        return self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=self.presign_seconds)

    def _chunks(self, stored_path: str, start: int, stop: int) -> Iterator[bytes]:
        """The bytes start..stop-1, asked for before the answer starts (so a failure is an error page, not a
        cut file), then passed on a chunk at a time."""
        with self._errors(f"reading {stored_path}"):
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key(stored_path),
                                      Range=f"bytes={start}-{stop - 1}")["Body"]

        def chunks():
            with body:
                yield from body.iter_chunks(CHUNK)

        return chunks()

    def remove_file(self, stored_path: str) -> None:
        with self._errors(f"removing {stored_path}"):
            self.s3.delete_object(Bucket=self.bucket, Key=self.key(stored_path))

    def remove_folder(self, folder: str) -> None:
        with self._errors(f"removing the files of {folder}"):
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                      Prefix=self.key(folder) + "/")
            for page in pages:
                if keys := [{"Key": item["Key"]} for item in page.get("Contents", [])]:
                    answer = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                    if refused := answer.get("Errors"):
                        raise StorageError(f"{self.where()} kept {len(refused)} file(s) of {folder}: "
                                           f"{refused[0].get('Code')} {refused[0].get('Message')}")

    def answers(self) -> bool:
        try:
            client(self.endpoint_url, self.region, probing=True).head_bucket(Bucket=self.bucket)
        except ERRORS:
            return False
        return True

    @contextmanager
    def _errors(self, doing: str):
        """boto3's errors as the storage's: `MissingFile` for a missing object, `StorageError` naming the rest."""
        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise MissingFile(doing) from None
            raise StorageError(f"{self.where()} refused {doing} ({error})") from error
        except BotoCoreError as error:
            raise StorageError(f"{self.where()} did not answer {doing} ({error})") from error
