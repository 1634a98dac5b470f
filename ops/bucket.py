"""One S3 bucket as `make sync` and `make rollback` use it: objects compared by the SHA-256
each upload records, uploaded or restored from an earlier version, listed, deleted in batches."""

from __future__ import annotations

from typing import Any, NamedTuple

from .aws import Aws
from .errors import OpsError
from .sync_plan import DIGEST_KEY, digest
from .text import printable


class Put(NamedTuple):
    changed: bool
    version: str
    digest: str
    etag: str = ""


class Bucket:
    """Objects of one bucket, compared by the SHA-256 each upload records."""

    def __init__(self, aws: Aws, name: str) -> None:
        self.s3 = aws.client("s3")
        self.name = name

    def head(self, key: str, version: str | None = None) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            extra = {"VersionId": version} if version else {}
            return self.s3.head_object(Bucket=self.name, Key=key, **extra)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion", "403"):
                return None
            raise

    def _holding(self, key: str, sha: str) -> Put | None:
        """The newest object of ``key``, unchanged, when it holds the content of digest ``sha``."""
        current = self.head(key)
        if current is not None and current.get("Metadata", {}).get(DIGEST_KEY) == sha:
            return Put(False, current.get("VersionId", ""), sha, current.get("ETag", ""))
        return None

    def put_if_changed(self, key: str, content: bytes) -> Put:
        """Upload ``content`` unless the newest object already holds it; either way, the
        newest object then holds it, as version ``Put.version``."""
        sha = digest(content)
        held = self._holding(key, sha)
        if held is not None:
            return held
        answer = self.s3.put_object(Bucket=self.name, Key=key, Body=content, Metadata={DIGEST_KEY: sha})
        print(f"upload: {printable(key)} -> s3://{printable(self.name)}/{printable(key)}")
        return Put(True, answer.get("VersionId", ""), sha, answer.get("ETag", ""))

    def restore(self, key: str, version: str, sha: str) -> Put:
        """The key's newest version holding the content of ``version`` (digest ``sha``): as it
        is, or copied back from ``version`` (make rollback)."""
        held = self._holding(key, sha)
        if held is not None:
            return held
        source = {"Bucket": self.name, "Key": key, "VersionId": version}
        answer = self.s3.copy_object(Bucket=self.name, Key=key, CopySource=source, MetadataDirective="COPY")
        print(f"restore: s3://{printable(self.name)}/{printable(key)} from version {printable(version)}")
        etag = (answer.get("CopyObjectResult") or {}).get("ETag", "")
        return Put(True, answer.get("VersionId", ""), sha, etag)

    def read(self, key: str, limit: int) -> bytes:
        """The newest object's first ``limit`` bytes."""
        return self.s3.get_object(Bucket=self.name, Key=key)["Body"].read(limit)

    def objects(self, prefix: str = "") -> list[dict[str, Any]]:
        """The newest object of every key under ``prefix``, as ListObjectsV2 describes it (Key,
        Size, ETag...)."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return [o for page in pages for o in page.get("Contents", [])]

    def keys(self, prefix: str) -> list[str]:
        return [o["Key"] for o in self.objects(prefix)]

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            answer = self.s3.delete_objects(Bucket=self.name, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise OpsError(f"could not delete s3://{self.name}/{first['Key']}: {first.get('Message')}")
