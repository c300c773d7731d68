"""Child process of the crash tests: save photos from several threads until killed, acknowledging each save.

``python save_until_killed.py DATABASE_URL IMAGES_DIR THREADS`` prints ``ack <id> <sha256> <file name>`` on
stdout after each save has returned (committed), and nothing before: the parent kills it with SIGKILL at an
arbitrary moment and then checks that every acknowledged entry is in the database.
"""

from __future__ import annotations

import io
import sys
import threading
from dataclasses import dataclass

from PIL import Image

from batik_studio.store import HistoryStore


@dataclass(frozen=True)
class _Prediction:
    label: str = "Kawung"
    confidence: float = 0.8
    top_k: tuple = (("Kawung", 0.8), ("Parang", 0.2))
    unknown: bool = False
    milliseconds: float = 3.0


def main() -> None:
    url, images, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = HistoryStore(url, images)
    lock = threading.Lock()

    def work(worker: int) -> None:
        for k in range(1_000_000):
            image = Image.new("RGB", (160, 120), (worker * 40 % 256, k % 256, (k // 256) % 256))
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            name = f"w{worker}-{k}.png"
            entry = store.save(data=buffer.getvalue(), image=image, file_name=name, prediction=_Prediction(), model="m")
            with lock:
                sys.stdout.write(f"ack {entry.id} {entry.image_sha256} {name}\n")
                sys.stdout.flush()

    workers = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


if __name__ == "__main__":
    main()
