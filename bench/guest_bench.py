# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
The benchmarks, inside one boot of the guest (testbed/run-bench.sh).

dmr0 (on eth0) and rxe0 (on eth1) each talk to themselves through
perftest, with the same sizes and iteration counts; the guest's memcpy,
registration costs and revocation latency are measured in the same boot.
Everything lands in $SCRATCH/bench.json; bench/report.py turns it into
tables and plots on the host. Nothing here judges a figure.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'pyverbs-tests'))
from dmrtest import guest  # noqa: E402

BIN = os.environ['DMR_BENCH_BIN']
OUT = os.path.join(os.environ['SCRATCH'], 'bench.json')
DEVICES = {'dmr': ('dmr0', 'eth0'), 'rxe': ('rxe0', 'eth1')}
BW_SIZES = [2, 8, 64, 512, 4096, 65536, 262144, 1048576]
BW_TOOLS = ['ib_write_bw', 'ib_read_bw', 'ib_send_bw']
LAT_SIZES = [2, 8, 64, 512]
LAT_TOOLS = ['ib_write_lat', 'ib_send_lat']
# Latency runs of one size are bimodal in the emulated guest: a run's
# typical figure lands near one of two values, 40% apart for dmr, whatever
# the CPUs the two processes run on. The slow runs are those in which the
# guest's CPUs pass cache lines to each other several times slower
# (xcpu_bench, measured after every dmr run). Each device runs each size
# this many times, interleaved, and the median run counts.
LAT_RUNS = 5
REVOKE_MRS = [1, 100, 1000]
QUICK = os.environ.get('DMR_BENCH_QUICK') == '1'
if QUICK:
    BW_SIZES = [8, 65536]
    LAT_SIZES = [8]
    LAT_RUNS = 3
    REVOKE_MRS = [1, 100]


def log(msg):
    print(f'bench: {msg}', flush=True)


def roce_v2_ipv4_gid(dev):
    """Index of the device's RoCE v2 GID of an IPv4 address (sysfs)."""
    base = f'/sys/class/infiniband/{dev}/ports/1'
    for _ in range(50):
        for name in sorted(os.listdir(f'{base}/gids'), key=int):
            try:
                with open(f'{base}/gid_attrs/types/{name}') as f:
                    kind = f.read().strip()
                with open(f'{base}/gids/{name}') as f:
                    gid = f.read().strip()
            except OSError:
                continue
            if kind == 'RoCE v2' and gid.startswith('0000:0000:0000:0000:0000:ffff'):
                return int(name)
        time.sleep(0.2)
    raise RuntimeError(f'{dev}: no RoCE v2 IPv4 GID')


def iterations(tool, size):
    """The same count for both devices: enough to be steady, bounded in time."""
    if tool.endswith('_lat'):
        return 2000
    return max(100, min(5000, (256 << 20) // size))


def perftest(tool, dev, gid, size, port):
    """Run a perftest server and client on @dev; return the client's output."""
    args = f'-d {dev} -x {gid} -p {port} -s {size} -n {iterations(tool, size)}'
    if tool == 'ib_read_bw':
        args += ' -o 16'
    for _ in range(3):
        before = guest.listeners()
        server = subprocess.Popen(f'timeout 300 {tool} {args}', shell=True,
                                  text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        guest.wait_for_listener(server, before)
        client = subprocess.run(f'timeout 300 {tool} {args} localhost',
                                shell=True, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        s_out, _ = server.communicate()
        # perftest's clock calibration sometimes fails under emulation.
        if "Can't produce a report" not in s_out + client.stdout:
            break
    if client.returncode or server.returncode:
        log(f'{tool} on {dev}, {size} B failed:\n{client.stdout}\n{s_out}')
        return None
    return client.stdout


def parse_row(out, size):
    """The numbers of perftest's result row for @size."""
    for line in out.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[0] == str(size) and \
                all(re.fullmatch(r'[\d.]+', f) for f in fields[:4]):
            return [float(f) for f in fields]
    return None


def perftest_rows(tools, sizes, first_port):
    """(tool, device kind, size, result row) of every perftest run."""
    port = first_port
    for tool in tools:
        for kind, (dev, _) in DEVICES.items():
            gid = roce_v2_ipv4_gid(dev)
            for size in sizes:
                port += 1
                out = perftest(tool, dev, gid, size, port)
                row = out and parse_row(out, size)
                if row:
                    yield tool, kind, size, row


def bandwidth(results):
    for tool, kind, size, row in perftest_rows(BW_TOOLS, BW_SIZES, 18600):
        # #bytes #iterations BW-peak BW-average MsgRate[Mpps]: bytes per
        # second from the message rate, free of perftest's idea of a
        # megabyte.
        bps = row[4] * 1e6 * size
        results['bw'].append({'tool': tool, 'device': kind, 'size': size,
                              'bytes_per_s': bps})
        log(f'{tool} {kind} {size} B: {bps / 1e6:.1f} MB/s')


def latency(results):
    port = 18800
    for tool in LAT_TOOLS:
        for size in LAT_SIZES:
            runs = {kind: [] for kind in DEVICES}
            xcpu = []
            for _ in range(LAT_RUNS):
                for kind, (dev, _) in DEVICES.items():
                    port += 1
                    out = perftest(tool, dev, roce_v2_ipv4_gid(dev), size, port)
                    row = out and parse_row(out, size)
                    # #bytes #iterations t_min t_max t_typical t_avg ...
                    if row:
                        runs[kind].append(row[4])
                        if kind == 'dmr':
                            xcpu.append(cross_cpu_ns())
            for kind, typical in runs.items():
                if not typical:
                    continue
                results['lat'].append({
                    'tool': tool, 'device': kind, 'size': size,
                    'typical_us': statistics.median(typical),
                    'runs_us': typical,
                    **({'xcpu_ns': xcpu} if kind == 'dmr' else {})})
                log(f'{tool} {kind} {size} B: {typical} us typical')


def cross_cpu_ns():
    """The guest's cache-line round trip between CPUs 0 and 1, now."""
    for line in run_bin('xcpu_bench').splitlines():
        if line.startswith('xcpu '):
            return float(line.split()[1])
    return None


def run_bin(name, *args):
    out = guest.sh(f'{BIN}/{name} ' + ' '.join(str(a) for a in args),
                   check=False, timeout=1800)
    if out.returncode:
        log(f'{name} {args} failed ({out.returncode}):\n{out.stdout}')
    return out.stdout


def memcpy(results):
    for line in run_bin('memcpy_bench', *BW_SIZES).splitlines():
        f = line.split()
        if f[:1] in (['memcpy'], ['kcopy']):
            results[f[0]].append({'size': int(f[1]),
                                  'bytes_per_s': float(f[2])})


def registration(results, pci):
    for kind, (dev, _) in DEVICES.items():
        out = run_bin('reg_bench', dev, pci if kind == 'dmr' else '')
        for line in out.splitlines():
            f = line.split(maxsplit=3)
            if f[:1] == ['reg']:
                r = line.split()
                results['reg'].append({'device': kind, 'source': r[1],
                                       'size': int(r[2]),
                                       'reg_us': float(r[3]),
                                       'dereg_us': float(r[4])})
            elif f[:1] == ['skip']:
                results['reg_skipped'].append({'device': kind,
                                               'source': f[1],
                                               'size': int(f[2]),
                                               'why': f[3]})
        log(f'registration on {dev} done')


# (MRs, write length): 4 KiB writes from anonymous memory with 1 to 1000
# MRs; 16 MiB writes from device memory into a 16 MiB MR (the whole BAR),
# side by side with 4 KiB writes in the same set-up.
REVOKE_RUNS = [(n, 4096) for n in REVOKE_MRS] + [(1, 16 << 20)]


def revocation(results, pci):
    for n, length in REVOKE_RUNS:
        out = run_bin('revoke_bench', 'dmr0', pci, n, 10 if QUICK else 20,
                      length)
        for line in out.splitlines():
            f = line.split()
            if f[:1] == ['revoke']:
                results['revoke'].append({
                    'mrs': int(f[1]), 'median_us': float(f[2]),
                    'max_us': float(f[3]), 'cycles': int(f[4]),
                    'writes_ok': int(f[5]), 'writes_failed': int(f[6]),
                    'write_len': int(f[7])})
                log(f'revoke with {n} MRs, {length}-byte writes: '
                    f'median {f[2]} us, max {f[3]} us')


def main():
    results = {'kernel': os.uname().release, 'cpus': os.cpu_count(),
               'quick': QUICK, 'bw': [], 'lat': [], 'memcpy': [], 'kcopy': [],
               'reg': [],
               'reg_skipped': [], 'revoke': []}
    guest.netdevs_up()
    guest.load_dmr()
    for kind, (dev, netdev) in DEVICES.items():
        guest.sh(f'rdma link add {dev} type {kind} netdev {netdev}')
    # Room for 1 GiB udmabufs (the module's default limit is 64 MiB).
    limit = '/sys/module/udmabuf/parameters/size_limit_mb'
    if os.path.exists(limit):
        with open(limit, 'w') as f:
            f.write('2048')
    pci = guest.ivshmem_addr()
    guest.vfio_bind(pci)

    memcpy(results)
    bandwidth(results)
    latency(results)
    registration(results, pci)
    revocation(results, pci)

    for dev, _ in DEVICES.values():
        guest.sh(f'rdma link delete {dev}')
    guest.unload_dmr()
    with open(OUT, 'w') as f:
        json.dump(results, f, indent=1)
    log(f'results in {OUT}')


if __name__ == '__main__':
    main()
