"""Where uploads go. Local disk (a volume) by default, so nobody needs a cloud account;
S3 (or any S3-compatible store, such as the `s3` profile in compose.yaml) when
STORAGE_BACKEND=s3. The app only ever calls save() and open()."""
import io
import os
import uuid


class LocalStorage:
    name = "local disk"

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def save(self, filename, data):
        key = f"{uuid.uuid4().hex}-{os.path.basename(filename)}"
        tmp = os.path.join(self.root, f".{key}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(self.root, key))
        return key

    def open(self, key):
        return open(os.path.join(self.root, os.path.basename(key)), "rb")


class S3Storage:
    name = "S3"

    def __init__(self, bucket, endpoint_url=None):
        import boto3  # only needed for this backend: pip install boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def save(self, filename, data):
        key = f"{uuid.uuid4().hex}-{os.path.basename(filename)}"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        return key

    def open(self, key):
        return io.BytesIO(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())


def storage_from_env():
    if os.environ.get("STORAGE_BACKEND", "local") == "s3":
        return S3Storage(os.environ.get("S3_BUCKET", "uploads"), os.environ.get("S3_ENDPOINT_URL"))
    return LocalStorage(os.environ.get("UPLOAD_DIR", "/data/uploads"))
