"""`ayni check-integrity`: every kept file still matches the hash it was stored under."""

from ayni.files.models import StoredFile, digest


def file_violations() -> list[str]:
    problems = []
    for pk, sha, size, content in StoredFile.objects.values_list("pk", "sha256", "size", "content").iterator(
            chunk_size=200):
        content = bytes(content)
        if digest(content) != sha or len(content) != size:
            problems.append(f"archivo {pk}: su contenido ya no coincide con su SHA-256 {sha[:12]}…")
    return problems
