# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
dma-buf exporters for the tests, each with a CPU view of its memory to
check what RDMA wrote and to prepare what RDMA reads, and the kernel's
own views: dma-buf attachments (debugfs) and dmr's MR state (rdma tool).
"""
import json
import mmap
import os

from pyverbs.mr import DmaBufMR
from pyverbs.wr import SGE

from dmrtest import guest, ibvx
from dmrtest.verbs import ALL_ACCESS


class Exporter:
    """A dma-buf of @size bytes; read()/write() reach its memory by CPU."""
    name = None

    def read(self, offset, length):
        raise NotImplementedError

    def write(self, offset, data):
        raise NotImplementedError

    def close(self):
        raise NotImplementedError


class VfioBar(Exporter):
    """Ranges of the ivshmem BAR, exported by VFIO; @ranges are
    (bar offset, length) pairs, concatenated in the dma-buf."""
    name = 'vfio'

    def __init__(self, size=1 << 20, ranges=None, sibling_of=None):
        """A new VFIO handle, or @sibling_of's (a group opens once)."""
        self.ranges = ranges or [(0, size)]
        self.size = sum(length for _, length in self.ranges)
        self.owner = sibling_of is None
        if self.owner:
            self.addr = guest.ivshmem_addr()
            guest.vfio_bind(self.addr)
            self.vfio = ibvx.Vfio(self.addr)
            self.bar = self.vfio.mmap(guest.BAR_INDEX)
        else:
            self.addr, self.vfio = sibling_of.addr, sibling_of.vfio
            self.bar = sibling_of.bar
        self.fd = self.vfio.export(guest.BAR_INDEX, self.ranges)

    def _pieces(self, offset, length):
        """(BAR offset, length) pieces of dma-buf bytes [offset, +length)."""
        pieces, base = [], 0
        for start, rlen in self.ranges:
            lo, hi = max(offset, base), min(offset + length, base + rlen)
            if lo < hi:
                pieces.append((start + lo - base, hi - lo))
            base += rlen
        return pieces

    def read(self, offset, length):
        return b''.join(self.bar.read(o, n) for o, n in self._pieces(offset, length))

    def write(self, offset, data):
        pos = 0
        for o, n in self._pieces(offset, len(data)):
            self.bar.write(o, data[pos:pos + n])
            pos += n

    def host_read(self, offset, length):
        """The bytes as the host's backing file has them."""
        return b''.join(guest.host_bar_read(o, n)
                        for o, n in self._pieces(offset, length))

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.owner:
            self.bar.close()
            self.vfio.close()


class _Mapped(Exporter):
    def read(self, offset, length):
        return self.mm[offset:offset + length]

    def write(self, offset, data):
        self.mm[offset:offset + len(data)] = data


class Udmabuf(_Mapped):
    """Pages of a memfd, exported by udmabuf; the memfd maps them."""
    name = 'udmabuf'

    def __init__(self, size=1 << 20):
        self.size = size
        self.fd, self.memfd = ibvx.udmabuf_alloc(size)
        self.mm = mmap.mmap(self.memfd, size)

    def close(self):
        self.mm.close()
        os.close(self.memfd)
        os.close(self.fd)


class SystemHeap(_Mapped):
    """A buffer of the system dma-heap; the dma-buf itself maps it."""
    name = 'system-heap'

    def __init__(self, size=1 << 20):
        self.size = size
        self.fd = ibvx.dma_heap_alloc(size)
        self.mm = mmap.mmap(self.fd, size)

    def close(self):
        self.mm.close()
        os.close(self.fd)


def attachments(fd):
    """Devices attached to the dma-buf @fd, from debugfs bufinfo."""
    inode = os.fstat(fd).st_ino
    devices, current = [], None
    with open('/sys/kernel/debug/dma_buf/bufinfo') as f:
        for line in f:
            fields = line.split()
            # A buffer line: size flags mode count exp_name ino name
            if len(fields) >= 6 and fields[0].isdigit() and fields[5].isdigit():
                current = int(fields[5]) == inode
            elif current and line.startswith('\t') and fields and \
                    not line.strip().startswith('Attached'):
                devices.append(fields[-1])
    return devices


def mr_state(dev, lkey):
    """dmr's driver attributes of the MR with @lkey, as the administrator
    sees them ("rdma -dd resource show mr"): state, invalidations, remaps,
    revokes, backend."""
    out = guest.sh(f'rdma -j -dd resource show mr dev {dev}').stdout
    for mr in json.loads(out):
        if int(mr.get('lkey', '-1'), 16) == lkey:
            return {k[4:]: v for k, v in mr.items() if k.startswith('drv_')}
    raise AssertionError(f'no MR with lkey {lkey:#x} on {dev}')


def dmabuf_mr(ep, exporter, length=None, offset=0, access=ALL_ACCESS):
    """A dma-buf MR of @ep's PD; its iova is @offset (pyverbs' choice)."""
    length = exporter.size - offset if length is None else length
    return DmaBufMR(ep.pd, length, access, dmabuf=exporter.fd, offset=offset)


def dsge(mr, offset, length):
    """An SGE into a dma-buf MR: addresses are iova = dma-buf offset."""
    return SGE(mr.offset + offset, length, mr.lkey)
