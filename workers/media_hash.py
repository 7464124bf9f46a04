"""PDQ and SHA-256 of an image, in the worker (PDQ needs numpy; the web process never loads it).

The bytes given here have already been decoded and re-encoded without metadata by the upload
sandbox (c2c_safety/core/sandbox.py), so this decodes a known-good PNG/JPEG within its pixel
budget. The PDQ bytes are in the reference implementation's order, so `pdq.hex()` is the
64-digit form hash lists use (ThreatExchange, Hasher-Matcher-Actioner).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image

# Below this quality (0-100) PDQ's authors advise not to match: the image is too flat
# (a blank or nearly uniform picture) for its hash to mean anything.
MIN_QUALITY = 50
# PDQ reduces every image to 64 x 64 luminance anyway; hashing a copy no larger than 512 px
# (as Meta's Hasher-Matcher-Actioner does) is ~4x faster and moves the hash by a few bits,
# far inside the match threshold of 31.
HASH_SIDE = 512


@dataclass(frozen=True)
class ImageHashes:
    pdq: bytes  # 32 bytes, reference bit order
    quality: int
    sha256: str

    @property
    def matchable(self) -> bool:
        return self.quality >= MIN_QUALITY


def hash_image(data: bytes) -> ImageHashes:
    with Image.open(io.BytesIO(data)) as img:
        small = img.convert("RGB")
        small.thumbnail((HASH_SIDE, HASH_SIDE))
        rgb = np.asarray(small, dtype=np.uint8)
    vector, quality = pdqhash.compute(rgb)
    pdq = np.packbits(vector.astype(np.uint8)).tobytes()
    return ImageHashes(pdq=pdq, quality=int(quality), sha256=hashlib.sha256(data).hexdigest())
