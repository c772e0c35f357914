#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""
Turn the guest's bench.json into results.md and PNG plots.

    report.py BENCH_JSON OUT_DIR

All ratios compare figures of the same guest boot: the guest is emulated,
so only ratios mean anything, never absolute figures across runs. The
issue's targets are reported as met or not met; nothing fails on them.
"""
import json
import os
import sys


def mb(bps):
    return f'{bps / 1e6:.1f}'


def by(rows, *keys):
    return {tuple(r[k] for k in keys): r for r in rows}


def size_str(n):
    for unit, shift in (('GiB', 30), ('MiB', 20), ('KiB', 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f'{n >> shift} {unit}'
    return f'{n} B'


def bandwidth_table(res, out):
    bw = by(res['bw'], 'tool', 'device', 'size')
    mc = by(res['memcpy'], 'size')
    kc = by(res.get('kcopy', []), 'size')
    for tool in sorted({r['tool'] for r in res['bw']}):
        out.append(f'\n### {tool} (MB/s, 10^6 bytes per second)\n')
        out.append('| size | dmr | rxe | dmr/rxe | memcpy | dmr/memcpy '
                   '| kernel copy | dmr/kernel copy |')
        out.append('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
        for size in sorted({r['size'] for r in res['bw'] if r['tool'] == tool}):
            d = bw.get((tool, 'dmr', size))
            r = bw.get((tool, 'rxe', size))
            m = mc.get((size,))
            k = kc.get((size,))
            cells = [size_str(size),
                     mb(d['bytes_per_s']) if d else '-',
                     mb(r['bytes_per_s']) if r else '-',
                     f"{d['bytes_per_s'] / r['bytes_per_s']:.1f}x" if d and r else '-',
                     mb(m['bytes_per_s']) if m else '-',
                     f"{100 * d['bytes_per_s'] / m['bytes_per_s']:.0f}%" if d and m else '-',
                     mb(k['bytes_per_s']) if k else '-',
                     f"{100 * d['bytes_per_s'] / k['bytes_per_s']:.0f}%" if d and k else '-']
            out.append('| ' + ' | '.join(cells) + ' |')


def latency_table(res, out):
    lat = by(res['lat'], 'tool', 'device', 'size')
    for tool in sorted({r['tool'] for r in res['lat']}):
        out.append(f'\n### {tool} (microseconds, typical: median of the runs)\n')
        out.append('| size | dmr | rxe | dmr/rxe | dmr runs | rxe runs '
                   '| each dmr run (us) / the guest\'s cross-CPU round trip '
                   'after it (ns) |')
        out.append('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
        for size in sorted({r['size'] for r in res['lat'] if r['tool'] == tool}):
            d = lat.get((tool, 'dmr', size))
            r = lat.get((tool, 'rxe', size))
            cells = [size_str(size),
                     f"{d['typical_us']:.2f}" if d else '-',
                     f"{r['typical_us']:.2f}" if r else '-',
                     f"{d['typical_us'] / r['typical_us']:.3f}" if d and r else '-',
                     runs_str(d), runs_str(r), xcpu_str(d)]
            out.append('| ' + ' | '.join(cells) + ' |')


def xcpu_str(row):
    """Each dmr run's typical latency with the guest's cross-CPU round trip
    measured after it: "2.05/118 2.90/510 ..."."""
    if not row or not row.get('xcpu_ns'):
        return '-'
    return ' '.join(f'{us:.2f}/{ns:.0f}' if ns is not None else f'{us:.2f}/-'
                    for us, ns in zip(row['runs_us'], row['xcpu_ns']))


def runs_str(row):
    """The spread of a latency figure's runs: "min - max (n)"."""
    if not row or 'runs_us' not in row:
        return '-'
    runs = row['runs_us']
    return f'{min(runs):.2f} - {max(runs):.2f} ({len(runs)})'


def registration_table(res, out):
    reg = by(res['reg'], 'device', 'source', 'size')
    sources = ['anon', 'udmabuf', 'heap', 'vfio']
    out.append('\n### Registration on dmr0 (microseconds, median: register / deregister)\n')
    out.append('| size | ' + ' | '.join(sources) + ' | rxe anon | udmabuf/anon | heap/anon |')
    out.append('| ---: |' + ' ---: |' * (len(sources) + 3))
    for size in sorted({r['size'] for r in res['reg']}):
        cells = [size_str(size)]
        for src in sources + ['rxe-anon']:
            dev, s = ('rxe', 'anon') if src == 'rxe-anon' else ('dmr', src)
            r = reg.get((dev, s, size))
            cells.append(f"{r['reg_us']:.0f} / {r['dereg_us']:.0f}" if r else '-')
        anon = reg.get(('dmr', 'anon', size))
        for src in ('udmabuf', 'heap'):
            r = reg.get(('dmr', src, size))
            cells.append(f"{r['reg_us'] / anon['reg_us']:.2f}" if r and anon else '-')
        out.append('| ' + ' | '.join(cells) + ' |')
    skipped = [s for s in res['reg_skipped'] if s['device'] == 'dmr']
    if skipped:
        out.append('\nNot measured on dmr0: ' + '; '.join(
            f"{s['source']} {size_str(s['size'])} ({s['why']})" for s in skipped))


def revocation_table(res, out):
    out.append('\n### Revocation under traffic (VFIO BAR, PCI memory disable)\n')
    out.append('Time from clearing PCI_COMMAND_MEMORY until VFIO\'s wait for '
               'dmr returned, with N MRs on the dma-buf and a thread '
               'RDMA-writing into them.\n')
    out.append('| MRs | messages | median (us) | max (us) | cycles | writes ok | writes failed |')
    out.append('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for r in sorted(res['revoke'], key=lambda r: (r.get('write_len', 4096), r['mrs'])):
        out.append(f"| {r['mrs']} | {size_str(r.get('write_len', 4096))} | "
                   f"{r['median_us']:.0f} | {r['max_us']:.0f} | "
                   f"{r['cycles']} | {r['writes_ok']} | {r['writes_failed']} |")


def targets(res, out):
    """The issue's targets, each met or not, from this run's ratios."""
    bw = by(res['bw'], 'tool', 'device', 'size')
    mc = by(res['memcpy'], 'size')
    lat = by(res['lat'], 'tool', 'device', 'size')
    reg = by(res['reg'], 'device', 'source', 'size')
    lines = []
    big = sorted(s for (t, d, s) in bw if t == 'ib_write_bw' and d == 'dmr' and s >= 65536)
    for size in big:
        d, r, m = bw.get(('ib_write_bw', 'dmr', size)), \
            bw.get(('ib_write_bw', 'rxe', size)), mc.get((size,))
        if r:
            x = d['bytes_per_s'] / r['bytes_per_s']
            lines.append((f'write bandwidth {size_str(size)} >= 20x rxe', x >= 20, f'{x:.1f}x'))
        if m:
            x = d['bytes_per_s'] / m['bytes_per_s']
            lines.append((f'write bandwidth {size_str(size)} >= 60% of memcpy', x >= 0.6, f'{100 * x:.0f}%'))
    d, r = lat.get(('ib_write_lat', 'dmr', 8)), lat.get(('ib_write_lat', 'rxe', 8))
    if d and r:
        x = d['typical_us'] / r['typical_us']
        lines.append(('8-byte write latency <= 1/10 of rxe', x <= 0.1, f'{x:.3f} of rxe'))
    anon = reg.get(('dmr', 'anon', 1 << 30))
    for src in ('udmabuf', 'heap'):
        r = reg.get(('dmr', src, 1 << 30))
        if r and anon:
            x = r['reg_us'] / anon['reg_us']
            lines.append((f'1 GiB {src} MR registration no slower than 1 GiB anonymous',
                          x <= 1, f'{x:.2f}x the time'))
    out.append('\n## Targets (ratios from this run)\n')
    out.append('| target | | this run |')
    out.append('| --- | --- | ---: |')
    for what, met, value in lines:
        out.append(f"| {what} | {'met' if met else '**not met**'} | {value} |")


def plots(res, outdir):
    """PNG plots; skipped (and said so) without matplotlib."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return ['(no plots: python3-matplotlib is not installed)']
    files = []
    tools = sorted({r['tool'] for r in res['bw']})
    if tools:
        fig, axes = plt.subplots(1, len(tools), figsize=(5 * len(tools), 4))
        for ax, tool in zip(axes if len(tools) > 1 else [axes], tools):
            for dev in ('dmr', 'rxe'):
                rows = sorted((r['size'], r['bytes_per_s'] / 1e6)
                              for r in res['bw'] if r['tool'] == tool and r['device'] == dev)
                if rows:
                    ax.plot(*zip(*rows), marker='o', label=dev)
            for kind, label in (('memcpy', 'memcpy'), ('kcopy', 'kernel copy')):
                rows = sorted((r['size'], r['bytes_per_s'] / 1e6)
                              for r in res.get(kind, []))
                if rows:
                    ax.plot(*zip(*rows), linestyle='--', label=label)
            ax.set(xscale='log', yscale='log', title=tool, xlabel='message size (bytes)',
                   ylabel='MB/s')
            ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, 'bandwidth.png'), dpi=100)
        files.append('bandwidth.png')
    if res['reg']:
        fig, ax = plt.subplots(figsize=(6, 4))
        for dev, src in sorted({(r['device'], r['source']) for r in res['reg']}):
            rows = sorted((r['size'], r['reg_us']) for r in res['reg']
                          if r['device'] == dev and r['source'] == src)
            ax.plot(*zip(*rows), marker='o', label=f'{dev} {src}')
        ax.set(xscale='log', yscale='log', title='MR registration',
               xlabel='size (bytes)', ylabel='microseconds (median)')
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, 'registration.png'), dpi=100)
        files.append('registration.png')
    if res['lat']:
        fig, ax = plt.subplots(figsize=(6, 4))
        for tool in sorted({r['tool'] for r in res['lat']}):
            for dev in ('dmr', 'rxe'):
                rows = sorted((r['size'], r['typical_us']) for r in res['lat']
                              if r['tool'] == tool and r['device'] == dev)
                if rows:
                    ax.plot(*zip(*rows), marker='o', label=f'{tool} {dev}')
        ax.set(xscale='log', yscale='log', title='latency', xlabel='size (bytes)',
               ylabel='microseconds (typical)')
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, 'latency.png'), dpi=100)
        files.append('latency.png')
    return [f'![{f}]({f})' for f in files]


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: report.py BENCH_JSON OUT_DIR')
    with open(sys.argv[1]) as f:
        res = json.load(f)
    out = [f"# dmr benchmarks\n\nGuest kernel {res['kernel']}, {res['cpus']} vCPUs "
           '(emulated: compare figures within this run only).'
           + (' Quick run: fewer sizes.' if res.get('quick') else '')]
    targets(res, out)
    out.append('\n## Bandwidth (perftest, one device to itself)\n')
    out.append('memcpy: glibc memcpy() in a process. kernel copy: pread() of '
               'a tmpfs file, one system call and one kernel memcpy per '
               'message - the work dmr does per RDMA WRITE.')
    bandwidth_table(res, out)
    out.append('\n## Latency (perftest)')
    latency_table(res, out)
    out.append('\n## dma-buf memory regions')
    registration_table(res, out)
    revocation_table(res, out)
    out.append('\n## Plots\n')
    out += plots(res, sys.argv[2])
    path = os.path.join(sys.argv[2], 'results.md')
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
