#!/usr/bin/env python3
"""bench/zeros-partial.py DISK [COMMITTED_BYTES] - how many zero bytes sit inside the 64 KiB chunks
of a disk that hold other data: what a finer representation than the chunk would save (issue 24,
"Partial chunks").

It reads the disk whole (through the mount, so it sees what a reader sees) and classifies every
64 KiB chunk: all zero (ramdiskfs stores nothing for it when the zeros were written with the check
on, or it was never written) or data. Inside the data chunks it counts the 4 KiB pages and the
512-byte sectors that are all zero: the memory 4 KiB or sector-sized chunks would not hold. With
COMMITTED_BYTES (the disk's committed_bytes from ramdiskfs) it also says how far the all-zero /
data split agrees with what the disk really holds. Prints one CSV line:
disk_bytes,data_chunks,data_chunk_bytes,zero_pages_in_data_bytes,zero_sectors_in_data_bytes,committed_bytes
"""
import os
import sys

import numpy as np

CHUNK = 64 * 1024
PAGE = 4096
SECTOR = 512
READ = 64 * CHUNK  # 4 MiB per read: few FUSE round trips, little memory

path = sys.argv[1]
committed = int(sys.argv[2]) if len(sys.argv) > 2 else -1
size = os.stat(path).st_size
data_chunks = zero_pages = zero_sectors = 0
with open(path, "rb", buffering=0) as f:
    off = 0
    while off < size:
        buf = f.read(min(READ, size - off))
        if not buf:
            break
        n = len(buf)
        whole = n - n % CHUNK
        # 64-bit words: a sector is 64 words, a page 512, a chunk 8,192.
        words = np.frombuffer(buf, dtype=np.uint64, count=whole // 8)
        sectors = (words.reshape(-1, SECTOR // 8) != 0).any(axis=1)       # True: the sector holds data
        per_chunk = sectors.reshape(-1, CHUNK // SECTOR)
        data = per_chunk.any(axis=1)
        data_chunks += int(data.sum())
        in_data = per_chunk[data]
        zero_sectors += int((~in_data).sum())
        pages = in_data.reshape(in_data.shape[0], CHUNK // PAGE, PAGE // SECTOR).any(axis=2)
        zero_pages += int((~pages).sum())
        if whole < n:  # a disk whose size is not a multiple of 64 KiB: its last, short chunk
            tail = buf[whole:]
            if any(tail):
                data_chunks += 1
                zero_sectors += sum(1 for i in range(0, len(tail), SECTOR) if not any(tail[i:i + SECTOR]))
                zero_pages += sum(1 for i in range(0, len(tail), PAGE) if not any(tail[i:i + PAGE]))
        off += n
print("%d,%d,%d,%d,%d,%d" % (size, data_chunks, data_chunks * CHUNK, zero_pages * PAGE, zero_sectors * SECTOR, committed))
