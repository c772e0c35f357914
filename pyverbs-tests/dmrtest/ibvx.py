# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
ctypes binding of libibverbs-ext, so the tests use the library that
applications use instead of a second implementation of VFIO export.
"""
import ctypes
import os

_lib = None


def lib():
    global _lib
    if _lib is None:
        path = os.environ.get('DMR_IBVX_LIB', 'libibverbs-ext.so.1')
        _lib = ctypes.CDLL(path, use_errno=True)
        _lib.ibvx_last_error.restype = ctypes.c_char_p
    return _lib


class IbvxError(OSError):
    pass


def _check(err):
    if err:
        raise IbvxError(err, lib().ibvx_last_error().decode())


class Range(ctypes.Structure):
    _fields_ = [('offset', ctypes.c_uint64), ('length', ctypes.c_uint64)]


PATH_ANY, PATH_CDEV, PATH_GROUP = 0, 1, 2


class Vfio:
    """A PCI function opened through VFIO (ibvx_vfio_open)."""

    def __init__(self, pci_addr, path=PATH_ANY):
        self.handle = ctypes.c_void_p()
        _check(lib().ibvx_vfio_open(pci_addr.encode(), path,
                                    ctypes.byref(self.handle)))

    def close(self):
        if self.handle:
            lib().ibvx_vfio_close(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def path(self):
        return lib().ibvx_vfio_path(self.handle)

    def bar_size(self, bar):
        size = ctypes.c_uint64()
        _check(lib().ibvx_vfio_bar_size(self.handle, bar, ctypes.byref(size)))
        return size.value

    def export(self, bar, ranges):
        """dma-buf fd over [(offset, length), ...] of BAR @bar."""
        arr = (Range * len(ranges))(*[Range(o, l) for o, l in ranges])
        fd = ctypes.c_int(-1)
        _check(lib().ibvx_vfio_bar_export(self.handle, bar, arr, len(ranges),
                                          ctypes.byref(fd)))
        return fd.value

    def mmap(self, bar):
        """The BAR as a writable memoryview-able mmap-like ctypes buffer."""
        addr = ctypes.c_void_p()
        size = ctypes.c_uint64()
        _check(lib().ibvx_vfio_bar_mmap(self.handle, bar, ctypes.byref(addr),
                                        ctypes.byref(size)))
        return BarMapping(addr.value, size.value)

    def set_memory_enabled(self, enabled):
        _check(lib().ibvx_vfio_set_memory_enabled(self.handle, bool(enabled)))

    def reset(self):
        _check(lib().ibvx_vfio_reset(self.handle))


class BarMapping:
    """A mapped BAR: byte access with explicit offsets."""

    def __init__(self, addr, size):
        self.addr, self.size = addr, size

    def write(self, offset, data):
        assert offset + len(data) <= self.size
        ctypes.memmove(self.addr + offset, data, len(data))

    def read(self, offset, length):
        assert offset + length <= self.size
        return ctypes.string_at(self.addr + offset, length)

    def close(self):
        if self.addr:
            _check(lib().ibvx_vfio_bar_munmap(ctypes.c_void_p(self.addr),
                                              ctypes.c_uint64(self.size)))
            self.addr = None


def udmabuf_alloc(size):
    """(dmabuf fd, memfd) of a new udmabuf of @size bytes."""
    fd, memfd = ctypes.c_int(-1), ctypes.c_int(-1)
    _check(lib().ibvx_udmabuf_alloc(ctypes.c_size_t(size), ctypes.byref(fd),
                                    ctypes.byref(memfd)))
    return fd.value, memfd.value


def dma_heap_alloc(size, heap='system'):
    fd = ctypes.c_int(-1)
    _check(lib().ibvx_dma_heap_alloc(heap.encode(), ctypes.c_size_t(size),
                                     ctypes.byref(fd)))
    return fd.value
