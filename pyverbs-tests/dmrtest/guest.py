# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
The testbed guest as the tests see it: kernel modules, rdma links, the
guest's NICs, the ivshmem BAR and its backing file on the host.
"""
import contextlib
import json
import os
import queue
import subprocess
import threading
import time

IVSHMEM_ID = ('0x1af4', '0x1110')
BAR_INDEX = 2
# Two virtio-net NICs on one QEMU hub; each gets its own subnet.
NETDEVS = {'eth0': '10.10.0.1/24', 'eth1': '10.10.1.1/24'}


def sh(cmd, check=True, **kw):
    """Run a shell command, return its CompletedProcess (text output)."""
    return subprocess.run(cmd, shell=True, check=check, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          **kw)


def netdevs_up():
    """Bring up both guest NICs with their addresses (idempotent)."""
    for dev, addr in NETDEVS.items():
        sh(f'ip link set {dev} up')
        if addr.split('/')[0] not in sh(f'ip -br addr show {dev}').stdout:
            sh(f'ip addr add {addr} dev {dev}')
    # Link-local IPv6 addresses (and their GIDs) appear after DAD.
    deadline = time.time() + 10
    while time.time() < deadline:
        out = sh('ip -j addr show').stdout
        tentative = [a for i in json.loads(out) for a in i.get('addr_info', [])
                     if a.get('tentative')]
        if not tentative:
            break
        time.sleep(0.2)


def module_loaded(name):
    return os.path.isdir(f'/sys/module/{name}')


def dmr_module_path():
    path = os.environ.get('DMR_MODULE')
    if not path or not os.path.exists(path):
        raise RuntimeError(f'dmr.ko not found (DMR_MODULE={path!r})')
    return path


def load_dmr(params=''):
    if not module_loaded('dmr'):
        sh(f'insmod {dmr_module_path()} {params}')


def unload_dmr():
    if module_loaded('dmr'):
        sh('rmmod dmr')


def rdma_links():
    """{ibdev name: netdev} of every rdma link."""
    out = sh('rdma -j link show').stdout
    return {row['ifname']: row.get('netdev') for row in json.loads(out)}


def program(name):
    """The path of a C test program of tests/guest (DMR_GUEST_BIN)."""
    return os.path.join(os.environ['DMR_GUEST_BIN'], name)


def netdev_drivers():
    """{netdev: driver name} of the netdevs that have a device."""
    return {n: os.path.basename(os.path.realpath(
                f'/sys/class/net/{n}/device/driver'))
            for n in os.listdir('/sys/class/net')
            if os.path.exists(f'/sys/class/net/{n}/device')}


CGROUP_ROOT = '/sys/fs/cgroup'


def cgroup_root():
    """The cgroup v2 hierarchy, mounted; None when the kernel has none."""
    if not os.path.exists(CGROUP_ROOT):
        return None
    if not os.path.exists(f'{CGROUP_ROOT}/cgroup.controllers'):
        sh(f'mount -t cgroup2 none {CGROUP_ROOT}')
    return CGROUP_ROOT


def memory_cgroup(name, max_bytes):
    """A child of the cgroup v2 root with the memory controller and
    memory.max set to @max_bytes; returns its path."""
    cgroup_root()
    sh(f'echo +memory > {CGROUP_ROOT}/cgroup.subtree_control')
    path = f'{CGROUP_ROOT}/{name}'
    os.makedirs(path, exist_ok=True)
    with open(f'{path}/memory.max', 'w') as f:
        f.write(str(max_bytes))
    return path


def remove_cgroup(path):
    """Remove a cgroup whose processes have exited."""
    os.rmdir(path)


def _dying_cgroups(path):
    with open(f'{path}/cgroup.stat') as f:
        stat = dict(line.split() for line in f)
    return int(stat['nr_dying_descendants'])


def run_until_tasks_freed(name, argv, wait_freed=10, **kw):
    """Run @argv (subprocess.run with @kw) in a new cgroup, remove the
    cgroup when the program has exited, and wait up to @wait_freed
    seconds for the kernel to free it. A cgroup lives on, dying, until
    every task that ever ran in it has been freed: one that stays means
    that a reference on one of the program's tasks (or its children's)
    was never dropped. Returns the run and whether the cgroup went (None
    when the kernel has no cgroups)."""
    if not cgroup_root():
        return subprocess.run(argv, **kw), None
    # A leaf without controllers under its own parent: nothing but its
    # tasks holds it (a memory controller's charges would), and the
    # parent counts it while it dies.
    parent = f'{CGROUP_ROOT}/{name}'
    leaf = f'{parent}/tasks'
    os.makedirs(leaf)
    try:
        def enter():
            with open(f'{leaf}/cgroup.procs', 'w') as f:
                f.write('0')
        try:
            run = subprocess.run(argv, preexec_fn=enter, **kw)
        finally:
            os.rmdir(leaf)
        deadline = time.time() + wait_freed
        while _dying_cgroups(parent) and time.time() < deadline:
            time.sleep(0.1)
        return run, not _dying_cgroups(parent)
    finally:
        os.rmdir(parent)


def resource_counts():
    """{device: {pd, cq, qp, mr, srq, ctx, ...}} of the dmr devices, as
    "rdma resource" counts them (kernel objects included)."""
    out = sh('rdma -j resource show').stdout
    return {row['ifname']: {k: v for k, v in row.items() if k != 'ifindex'}
            for row in json.loads(out) if row['ifname'].startswith('dmr')}


def resource_count(dev, kind):
    return resource_counts()[dev][kind]


@contextlib.contextmanager
def rdma_link(name, kind, netdev):
    """An rdma link (rxe or dmr) that exists for the duration of the block."""
    netdevs_up()
    sh(f'rdma link add {name} type {kind} netdev {netdev}')
    try:
        yield name
    finally:
        if name in rdma_links():
            sh(f'rdma link delete {name}')


def find_pci(vendor_device):
    for dev in sorted(os.listdir('/sys/bus/pci/devices')):
        base = f'/sys/bus/pci/devices/{dev}'
        ids = tuple(open(f'{base}/{f}').read().strip()
                    for f in ('vendor', 'device'))
        if ids == vendor_device:
            return dev
    raise RuntimeError(f'no PCI device {vendor_device}')


def ivshmem_addr():
    return find_pci(IVSHMEM_ID)


def pci_driver(addr):
    link = f'/sys/bus/pci/devices/{addr}/driver'
    return os.path.basename(os.readlink(link)) if os.path.exists(link) else None


def vfio_bind(addr):
    """Bind a PCI function to vfio-pci in no-IOMMU mode (idempotent)."""
    with open('/sys/module/vfio/parameters/enable_unsafe_noiommu_mode', 'w') as f:
        f.write('1')
    if pci_driver(addr) == 'vfio-pci':
        return
    base = f'/sys/bus/pci/devices/{addr}'
    if pci_driver(addr):
        with open(f'{base}/driver/unbind', 'w') as f:
            f.write(addr)
    with open(f'{base}/driver_override', 'w') as f:
        f.write('vfio-pci')
    with open('/sys/bus/pci/drivers_probe', 'w') as f:
        f.write(addr)
    if pci_driver(addr) != 'vfio-pci':
        raise RuntimeError(f'{addr} did not bind to vfio-pci')


def vfio_unbind(addr):
    if pci_driver(addr) == 'vfio-pci':
        with open('/sys/bus/pci/drivers/vfio-pci/unbind', 'w') as f:
            f.write(addr)


def host_bar_read(offset, length):
    """
    Read the ivshmem BAR's backing file on the host. The guest sees the
    host's root over 9p without caching, so this read is served by QEMU
    from the host file, not from the guest's view of the BAR.
    """
    fd = os.open(os.environ['DMR_BAR_FILE'], os.O_RDONLY)
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)


def dmabuf_info(fd):
    """Fields of /proc/self/fdinfo for a dma-buf fd (exp_name, size...)."""
    info = {}
    with open(f'/proc/self/fdinfo/{fd}') as f:
        for line in f:
            key, _, value = line.partition(':')
            info[key.strip()] = value.strip()
    return info


DMR_LINKS = {'dmr0': 'eth0', 'dmr1': 'eth1'}


def _port_state(dev):
    try:
        with open(f'/sys/class/infiniband/{dev}/ports/1/state') as f:
            return f.read().split(':')[-1].strip()
    except OSError:
        return None


def ensure_dmr_links():
    """Load dmr and create dmr0 and dmr1 if they do not exist (fast path:
    two sysfs reads, no subprocess)."""
    if all(_port_state(d) == 'ACTIVE' for d in DMR_LINKS):
        return
    netdevs_up()
    load_dmr()
    links = rdma_links()
    for name, netdev in DMR_LINKS.items():
        if name not in links:
            sh(f'rdma link add {name} type dmr netdev {netdev}')
    wait_port_active(list(DMR_LINKS))


def wait_port_active(devs, timeout=10):
    deadline = time.time() + timeout
    while not all(_port_state(d) == 'ACTIVE' for d in devs):
        if time.time() > deadline:
            raise RuntimeError(f'ports not active: {devs}')
        time.sleep(0.05)


def kernel_log_since(mark):
    """Kernel log lines after the line count @mark (see kernel_log_mark)."""
    return sh('dmesg').stdout.splitlines()[mark:]


def kernel_log_mark():
    return len(sh('dmesg').stdout.splitlines())


def listeners():
    """The local addresses of listening TCP sockets, and the RDMA CM IDs
    that listen (their lines: device, pid, address)."""
    tcp = {line.split()[3] for line in
           sh('ss -Hltn').stdout.splitlines() if len(line.split()) > 3}
    cm = sh('rdma resource show cm_id').stdout.splitlines()
    return tcp | {line for line in cm if ' LISTEN ' in line}


def wait_for_listener(server, before, timeout=60):
    """Until a listener that was not in @before appears, or @server exits.
    A fixed wait was not enough: a loaded guest sometimes took longer to
    start a server, and an rdma_cm client then got a reject (no listener
    for its service ID)."""
    deadline = time.time() + timeout
    while server.poll() is None and time.time() < deadline:
        if listeners() - before:
            return
        time.sleep(0.1)
    if server.poll() is None:
        print(f'no new listener after {timeout} s; starting the client anyway')


def readline(proc, timeout):
    """The next line of @proc's output (a text pipe), stripped, or '' if
    none comes within @timeout. A thread reads the pipe: select() on it
    would miss lines already in the reader's buffer."""
    lines = getattr(proc, '_dmr_lines', None)
    if lines is None:
        lines = proc._dmr_lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                lines.put(line.strip())
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        return ''
    if line is None:
        lines.put(None)     # end of output, for the next caller too
        return ''
    return line


def rest_of_output(proc, timeout=60):
    """What @proc still prints until it exits, for readline()'s readers."""
    out = []
    while True:
        line = readline(proc, timeout)
        if not line and proc.poll() is not None:
            break
        out.append(line)
    return '\n'.join(out)


# What in the kernel log means the kernel itself went wrong.
BAD_KERNEL_LOG = ('WARNING:', 'BUG:', 'Oops', 'general protection',
                  'KASAN', 'kmemleak', 'INFO: task', 'circular locking')


def bad_kernel_lines(mark):
    """The kernel's reports since the line count @mark, and the last lines
    of the log, to show with them."""
    log = kernel_log_since(mark)
    return ([line for line in log if any(b in line for b in BAD_KERNEL_LOG)],
            '\n'.join(log[-60:]))


def run_check(name, *args, timeout=600):
    """Run the guest program @name, which prints one line per check and
    ends with PASSED; its output, or an AssertionError with it."""
    r = subprocess.run([program(name), *[str(a) for a in args]], text=True,
                       timeout=timeout, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    print(r.stdout)
    if r.returncode or 'PASSED' not in r.stdout:
        raise AssertionError(f'{name} {" ".join(map(str, args))} exited '
                             f'{r.returncode}:\n{r.stdout}')
    return r.stdout


PEER_NS = 'peer'
PEER_ADDR = '10.10.0.2/24'


@contextlib.contextmanager
def peer_namespace():
    """eth1 in the network namespace PEER_NS with PEER_ADDR, on eth0's
    subnet: frames between eth0 and eth1 cross both virtio NICs and the
    QEMU hub, and each side has its own UDP port 4791. dmr1 (on eth1) is
    deleted first; ensure_dmr_links() makes it again afterwards."""
    netdevs_up()
    if 'dmr1' in rdma_links():
        sh('rdma link delete dmr1')
    sh(f'ip netns add {PEER_NS}')
    try:
        sh(f'ip link set eth1 netns {PEER_NS}')
        # Jumbo frames: a path MTU of 4096 needs them.
        sh('ip link set eth0 mtu 9000')
        sh(f'ip -n {PEER_NS} link set eth1 mtu 9000')
        sh(f'ip -n {PEER_NS} link set lo up')
        sh(f'ip -n {PEER_NS} link set eth1 up')
        sh(f'ip -n {PEER_NS} addr add {PEER_ADDR} dev eth1')
        deadline = time.time() + 10
        while time.time() < deadline:
            out = sh(f'ip -n {PEER_NS} -j addr show dev eth1').stdout
            addrs = [a for i in json.loads(out) for a in i.get('addr_info', [])]
            if (any(a.get('scope') == 'link' for a in addrs) and
                    not any(a.get('tentative') for a in addrs)):
                break
            time.sleep(0.2)
        yield PEER_NS
    finally:
        for link, netdev in rdma_links().items():
            if netdev == 'eth1' or link in ('rxe0', 'dmr1'):
                sh(f'rdma link delete {link}', check=False)
        sh(f'ip -n {PEER_NS} link set eth1 netns 1', check=False)
        sh(f'ip netns del {PEER_NS}', check=False)
        sh('ip link set eth0 mtu 1500', check=False)
        sh('ip link set eth1 mtu 1500', check=False)
        netdevs_up()


def in_peer(cmd):
    """@cmd (a shell command) run in the peer namespace."""
    return f'ip netns exec {PEER_NS} {cmd}'
