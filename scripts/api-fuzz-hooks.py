"""schemathesis hooks for scripts/api-fuzz.sh: a tus chunk (application/offset+octet-stream) is sent as raw bytes."""
import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
class OctetStream:
    def as_requests(self, context, value):
        return {"data": value if isinstance(value, bytes) else str(value).encode()}

    def as_werkzeug(self, context, value):
        return {"data": value if isinstance(value, bytes) else str(value).encode()}
