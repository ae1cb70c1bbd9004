#!/usr/bin/env python3
"""bench: turn the consoles of make bench's guests into bench.json,
bench.md and bench.png.

usage: bench.py --results DIR --cross PREFIX --matrix R/I/S,...
                KERNEL:MODE=CONSOLE:VMLINUX ...

Every figure comes from a console: the ftrace-ops-bench lines of the bench
stage, the kernel log's timestamps (QEMU -icount shift=0,sleep=off: one
nanosecond a guest instruction, plus the idle time the clock skips) and
`size` of each vmlinux.  A point of the matrix missing from a console, a
failed point, a missing static, fentry or probe point, a missing mark or a
stage that did not end with rc=0 is an error: nothing is filled in.

The targets of the benchmark issue are evaluated and shown (met or
missed), never asserted: make bench fails only on missing data.
"""
import argparse
import json
import re
import statistics
import subprocess
import sys

POINT_RE = re.compile(
    r'ftrace-ops-bench: relevant=(\d+) irrelevant=(\d+) save_regs=(\d+) '
    r'calls=(\d+) .*per_call_ns_1dp=(\d+\.\d) .*untraced_per_call_ns_1dp=(\d+\.\d)')
MARK_RE = re.compile(r'^\[\s*(\d+\.\d+)\] ftarm-bench: mark (\w+)-(start|end) (\d+)')
INIT_RE = re.compile(r'^\[\s*(\d+\.\d+)\] Run /init as init process')
CNT_RE = re.compile(r'^bench: counter at the start of the stage: (\d+) ns')
FUNCS_RE = re.compile(r'^bench: functions (\d+)')
FAR_ON = 'ftrace: forcing far calls through the callsite veneers'
# " per_call_ns_1dp=": not the untraced_per_call_ns_1dp= that follows it.
STATIC_RE = re.compile(r'^bench: static (\w+): .* per_call_ns_1dp=(\d+\.\d)')
# guest/bench.sh's BPF point: the module's rerun line, or why there is none.
FENTRY_RE = re.compile(r'^bench: fentry: (?:.* per_call_ns_1dp=(\d+\.\d)'
                       r'|cannot attach \((.*)\))')
# Its probe points (guest/modules/ftarm_kpbench.c), each alone on the same
# function: the module's rerun line, or why the probe cannot attach; and,
# for the kprobes, what serves the probe, from ftarm_kpbench's line at load.
PROBES = ('kprobe', 'kretprobe', 'fprobe', 'fprobe_exit')
KPROBES = ('kprobe', 'kretprobe')
PROBE_RE = re.compile(r'^bench: probe (\w+): (?:.* per_call_ns_1dp=(\d+\.\d)'
                      r'|cannot attach \((.*)\))')
PROBE_VIA_RE = re.compile(r'ftarm_kpbench: (\w+): registered on .*: '
                          r'(\[FTRACE\]|BRK)$')


class BenchError(Exception):
    pass


def stage(lines, name):
    """The lines between @@FTARM begin NAME and its end, and the rc."""
    out, inside = [], False
    for ln in lines:
        if ln.startswith('@@FTARM begin ' + name):
            inside = True
            continue
        if inside and ln.startswith('@@FTARM end ' + name):
            m = re.search(r'rc=(\d+)', ln)
            return out, int(m.group(1)) if m else None
        if inside:
            out.append(ln)
    return out, None


def parse_boot(console):
    """guest/benchboot.sh: the static point with the tracer from boot."""
    with open(console, errors='replace') as f:
        lines = [ln.rstrip('\r\n') for ln in f]
    out, rc = stage(lines, 'benchboot')
    if rc != 0:
        raise BenchError(f'{console}: the benchboot stage failed (rc={rc})')
    for m in map(STATIC_RE.match, out):
        if m and m.group(1) in ('boot', 'nomodules'):
            return m.group(1), float(m.group(2))
    raise BenchError(f'{console}: no result for the static point boot')


def text_size(cross, vmlinux):
    """Berkeley `size` text (code and read-only data) and .text alone."""
    berk = subprocess.run([cross + 'size', vmlinux], check=True,
                          capture_output=True, text=True).stdout.split('\n')[1]
    sysv = subprocess.run([cross + 'size', '-A', vmlinux], check=True,
                          capture_output=True, text=True).stdout
    dot_text = next(int(ln.split()[1]) for ln in sysv.splitlines()
                    if ln.startswith('.text '))
    return int(berk.split()[0]), dot_text


def enable_times(console, dmesg):
    """guest/benchenable.sh's times: enable and disable, guest ms, each rep."""
    marks = {}
    for ln in dmesg:
        m = MARK_RE.match(ln)
        if m:
            marks[(m.group(2), m.group(3), int(m.group(4)))] = float(m.group(1))
    times = {'enable': [], 'disable': []}
    for what in times:
        n = 1
        while (what, 'start', n) in marks:
            if (what, 'end', n) not in marks:
                raise BenchError(f'{console}: no {what}-end mark {n}')
            times[what].append(round(
                (marks[(what, 'end', n)] - marks[(what, 'start', n)]) * 1e3, 3))
            n += 1
        if not times[what]:
            raise BenchError(f'{console}: no {what} marks in the kernel log')
    return times


def parse_ref(console, patches):
    """The reference kernel (the series up to patch PATCHES): the
    benchenable stage alone."""
    with open(console, errors='replace') as f:
        lines = [ln.rstrip('\r\n') for ln in f]
    out, rc = stage(lines, 'benchenable')
    dmesg, _ = stage(lines, 'dmesg')
    if rc != 0:
        raise BenchError(f'{console}: the benchenable stage failed (rc={rc}): '
                         + '; '.join(ln for ln in out if 'only' in ln))
    times = enable_times(console, dmesg)
    funcs = next((int(m.group(1)) for m in map(FUNCS_RE.match, out) if m), None)
    return {'patches': patches, 'enable_ms': times['enable'],
            'disable_ms': times['disable'], 'functions': funcs}


def parse(console, matrix):
    with open(console, errors='replace') as f:
        lines = [ln.rstrip('\r\n') for ln in f]
    bench, rc = stage(lines, 'bench')
    dmesg, _ = stage(lines, 'dmesg')
    if rc is None:
        raise BenchError(f'{console}: the bench stage did not end')
    if rc != 0:
        bad = [ln for ln in bench if ln.startswith('bench:') and 'failed' in ln
               or 'only' in ln or 'error' in ln]
        raise BenchError(f'{console}: the bench stage failed (rc={rc}): '
                         + '; '.join(bad[:5]))
    points = {}
    for ln in bench:
        # The matrix runs first; the static points that follow print the
        # same kind of line, R=0 I=0, with the function tracer on.
        m = POINT_RE.search(ln)
        if m and not ln.startswith('bench: static'):
            r, i, s, calls = (int(x) for x in m.groups()[:4])
            if (r, i, s) in points:
                continue
            points[(r, i, s)] = {
                'relevant': r, 'irrelevant': i, 'save_regs': s, 'calls': calls,
                'per_call': float(m.group(5)), 'untraced': float(m.group(6))}
    missing = [p for p in matrix if p not in points]
    if missing:
        raise BenchError(f'{console}: no result for the points '
                         + ', '.join('/'.join(map(str, p)) for p in missing))
    static = {m.group(1): float(m.group(2))
              for m in map(STATIC_RE.match, bench) if m}
    for label in ('runtime', 'notramp'):
        if label not in static:
            raise BenchError(f'{console}: no result for the static point {label}')
    fentry = next(((float(m.group(1)) if m.group(1) else
                    'cannot attach (%s)' % m.group(2))
                   for m in map(FENTRY_RE.match, bench) if m), None)
    if fentry is None:
        raise BenchError(f'{console}: no result for the BPF fentry point')
    probes, via = parse_probes(console, bench)
    funcs = next((int(m.group(1)) for m in map(FUNCS_RE.match, bench) if m), None)
    if console.endswith('-far-bench.log') and not any(FAR_ON in ln for ln in dmesg):
        raise BenchError(f'{console}: far mode did not take effect '
                         '(no "forcing far calls" line in the kernel log)')
    init = next((float(m.group(1)) for m in map(INIT_RE.match, dmesg) if m), None)
    if init is None:
        raise BenchError(f'{console}: no "Run /init" line in the kernel log')
    cnt = next((int(m.group(1)) for m in map(CNT_RE.match, bench) if m), None)
    if cnt is None:
        raise BenchError(f'{console}: no counter line at the start of the stage')
    times = enable_times(console, dmesg)
    return {
        'points': [points[p] for p in matrix],
        'static': static,
        'fentry': fentry,
        'functions': funcs,
        'boot_to_init_ms': round(init * 1e3, 3),
        'reset_to_stage_ms': round(cnt / 1e6, 3),
        'enable_ms': times['enable'], 'disable_ms': times['disable'],
        'probes': probes, 'probes_via': via,
    }


def parse_probes(console, bench):
    """The probe points: instructions a call (the rerun line's figure, as
    for fentry) or "cannot attach (why)", and what served each kprobe."""
    probes, via = {}, {}
    for ln in bench:
        m = PROBE_RE.match(ln)
        if m and m.group(1) not in probes:
            probes[m.group(1)] = (float(m.group(2)) if m.group(2) else
                                  'cannot attach (%s)' % m.group(3))
        m = PROBE_VIA_RE.search(ln)
        if m and m.group(1) not in via:
            via[m.group(1)] = m.group(2)
    for p in PROBES:
        if p not in probes:
            raise BenchError(f'{console}: no result for the probe point {p}')
        if p in KPROBES and isinstance(probes[p], float) and p not in via:
            raise BenchError(f'{console}: the probe point {p} has no '
                             'ftarm_kpbench line saying what served it')
    return ({p: probes[p] for p in PROBES},
            {p: via[p] for p in KPROBES if p in via})


def targets(k, ref=None):
    """The issue's targets, from the figures: (what, value, verdict)."""
    def pc(kern, r, i, s):
        return next(p['per_call'] for p in k[kern]['points']
                    if (p['relevant'], p['irrelevant'], p['save_regs']) == (r, i, s))
    out = []
    b10, s10 = pc('base:near', 1, 0, 0), pc('series:near', 1, 0, 0)
    out.append(('series 1+0 / base 1+0 <= 0.35x', f'{s10 / b10:.2f}x',
                s10 / b10 <= 0.35))
    s1100 = pc('series:near', 1, 100, 0)
    out.append(('series 1+100 within 5% of series 1+0',
                f'{(s1100 / s10 - 1) * 100:+.1f}%', abs(s1100 / s10 - 1) <= 0.05))
    # Issue 12: set trampolines leave 1+I and 0+I as they were: one ops
    # costs the same whatever the ops elsewhere, and a function that no
    # ops traces costs what it costs on the base, for every I measured.
    ones = [(p['irrelevant'], p['per_call']) for p in k['series:near']['points']
            if p['relevant'] == 1 and p['save_regs'] == 0]
    off = [(i, v) for i, v in ones if abs(v / s10 - 1) > 0.05]
    out.append(('series 1+I within 5% of series 1+0, every I',
                'off at ' + ', '.join(f'1+{i}: {v:.1f}' for i, v in off) if off
                else 'I = ' + ', '.join(str(i) for i, _ in ones),
                not off))
    zeros = [(p['irrelevant'], p['per_call'], pc('base:near', 0, p['irrelevant'], 0))
             for p in k['series:near']['points']
             if p['relevant'] == 0 and p['save_regs'] == 0]
    worse0 = [(i, v, b) for i, v, b in zeros if v > b]
    out.append(('series 0+I not worse than base 0+I, every I',
                'worse at ' + ', '.join(f'0+{i}: {v:.1f} > {b:.1f}'
                                        for i, v, b in worse0) if worse0
                else 'I = ' + ', '.join(str(i) for i, _, _ in zeros),
                not worse0))
    worse = []
    for p in k['series:near']['points']:
        if p['relevant'] >= 2:
            key = (p['relevant'], p['irrelevant'], p['save_regs'])
            if p['per_call'] > pc('base:near', *key):
                worse.append('%d/%d/%d' % key)
    out.append(('2+ relevant ops: series not worse than base',
                'worse at ' + ', '.join(worse) if worse else 'never worse',
                not worse))
    # Set trampolines (issue 12): R relevant ops cost at most R times one
    # ops plus 10, whatever the ops elsewhere (R+100 within 5% of R+0).
    pts = {(p['relevant'], p['irrelevant']): p['per_call']
           for p in k['series:near']['points'] if p['save_regs'] == 0}
    rs = sorted({r for r, _ in pts if 2 <= r <= 8})
    if rs:
        over, worst = [], {}
        for (r, i), v in sorted(pts.items()):
            if r not in rs:
                continue
            worst[r] = max(worst.get(r, 0), v)
            if v > r * s10 + 10:
                over.append(f'{r}/{i}/0: {v:.1f} > {r * s10 + 10:.1f}')
        out.append((f'R ops on the function, R = {rs[0]}..{rs[-1]}: at most '
                    'R x (series 1+0) + 10',
                    '; '.join(over) if over else 'worst of each R: ' +
                    ', '.join(f'{r}: {v:.1f}' for r, v in worst.items()),
                    not over))
        spread = [(r, pts[(r, 100)] / pts[(r, 0)] - 1) for r in rs
                  if (r, 0) in pts and (r, 100) in pts]
        if spread:
            r, x = max(spread, key=lambda t: abs(t[1]))
            out.append((f'R+100 within 5% of R+0, R = {rs[0]}..{rs[-1]}',
                        f'worst: R = {r}, {x * 100:+.1f}%',
                        all(abs(x) <= 0.05 for _, x in spread)))
    diffs = [pf['per_call'] - pn['per_call'] for pn, pf in
             zip(k['series:near']['points'], k['series:far']['points'])
             if pn['relevant'] >= 1]
    out.append(('forced far within 5 instructions of near (traced points)',
                f'max +{max(diffs):.1f}, mean +{statistics.mean(diffs):.1f}',
                max(diffs) <= 5))
    fn, ff = k['series:near']['fentry'], k['series:far']['fentry']
    if isinstance(fn, float) and isinstance(ff, float):
        out.append(('one empty fentry program: far within 5 instructions '
                    'of near', f'{ff - fn:+.1f}', ff - fn <= 5))
    else:
        out.append(('one empty fentry program: far within 5 instructions '
                    'of near', f'near {fn}, far {ff}', False))
    # Issue 12: enabling the function tracer on every function is no
    # slower than with the series before it (the reference kernel).
    if ref:
        es = statistics.median(k['series:near']['enable_ms'])
        er = statistics.median(ref['enable_ms'])
        out.append(('enable function tracer on every function: series no '
                    f'slower than patches 1-{ref["patches"]} (medians)',
                    f'{es:,.1f} ms vs {er:,.1f} ms ({(es / er - 1) * 100:+.1f}%)',
                    es <= er))
    tb, ts = k['base:near']['text'], k['series:near']['text']
    out.append(('text growth <= the RFC 5,3 layout (+3.17%)',
                f'{(ts / tb - 1) * 100:+.2f}%', ts / tb - 1 <= 0.0317))
    return out


def table_head(w, heads, cols, ratio=True):
    """A table's head: the @heads columns (the R and I counts are numbers,
    the others labels), a column for each kernel of @cols, and series /
    base."""
    cells = heads + [c for _, c in cols] + (['series / base'] if ratio else [])
    w.append('|' + ''.join(f' {h} |' if h else ' |' for h in cells))
    w.append('|' + ''.join('--:|' if h in ('R', 'I') else '---|' for h in heads)
             + '--:|' * (len(cells) - len(heads)))


def write_md(path, k, matrix, tg, ref=None):
    cols = [('base:near', 'base'), ('series:near', 'series'),
            ('series:far', 'series, far')]
    w = ['# Benchmark: instructions per traced call', '',
         'QEMU `-icount shift=0,sleep=off` (one guest nanosecond per '
         'instruction), 1 vCPU, no KASLR; base and series built with the same '
         'config (configs/base, ftrace, bench). R = ops whose filter is the '
         'called function, I = ops filtering on another function, regs = '
         'FTRACE_OPS_FL_SAVE_REGS. Each figure is the mean over '
         f'{k["base:near"]["points"][0]["calls"]} calls, in instructions.', '']
    for s in (0, 1):
        w.append(f'### {"with" if s else "without"} SAVE_REGS')
        w.append('')
        table_head(w, ['R', 'I'], cols)
        for i, p in enumerate(k['base:near']['points']):
            if p['save_regs'] != s:
                continue
            v = [k[c]['points'][i]['per_call'] for c, _ in cols]
            w.append(f'| {p["relevant"]} | {p["irrelevant"]} | '
                     + ' | '.join(f'{x:,.1f}' for x in v)
                     + f' | {v[1] / v[0]:.2f}x |')
        w.append('')
    w.append('### A static single ops: the top-level function tracer')
    w.append('')
    w.append('The top-level function tracer (`global_ops`, a static ops) '
             'alone on the function, no ops of the module (R=0, I=0); the '
             'figure includes what `function_trace_call()` costs. The base '
             'calls it straight from `ftrace_caller`; the series from its '
             'trampoline, or, without one, straight from `ftrace_caller` '
             'too (patch 1 only makes the update that installs it there '
             'wait for tasks).')
    w.append('')
    table_head(w, ['started'], cols)
    for label, what in (('runtime', 'at run time'),
                        ('notramp', 'at run time, trampoline allocation '
                                    'failed (fail_function)'),
                        ('boot', 'at boot (`ftrace=function`)'),
                        ('nomodules', 'at boot, kernel without modules '
                                      '(no trampolines)')):
        v = [k[c]['static'].get(label) for c, _ in cols]
        if v[0] is None and v[1] is None:
            continue
        cells = ' | '.join('-' if x is None else f'{x:,.1f}' for x in v)
        w.append(f'| {what} | {cells} | {v[1] / v[0]:.2f}x |')
    w.append('')
    u = [k[c]['points'][0]['untraced'] for c, _ in cols]
    w.append('An untraced (notrace) call of the same function: '
             + ', '.join(f'{n} {x:.1f}' for (_, n), x in zip(cols, u)) + '.')
    w.append('')
    w.append('### One BPF fentry program')
    w.append('')
    w.append('An empty BPF `fentry` program alone on the same function '
             '(`guest/bpf/progs/ftarm_bench.c`, attached once the module is '
             'loaded, timed by its `rerun` parameter), beside one ftrace ops '
             'whose callback counts (the 1+0 point above). The program runs '
             'from the BPF trampoline, which the series\' callsite calls '
             'directly (BL when near, through the veneer when far); 6.1 arm64 '
             'has no direct calls, so the base cannot attach it.')
    w.append('')
    table_head(w, [''], cols, ratio=False)
    cells = [k[c]['fentry'] for c, _ in cols]
    w.append('| one empty fentry program | ' + ' | '.join(
        f'{x:,.1f}' if isinstance(x, float) else str(x) for x in cells) + ' |')
    p10 = [next((p['per_call'] for p in k[c]['points']
                 if (p['relevant'], p['irrelevant'], p['save_regs']) == (1, 0, 0)),
                None) for c, _ in cols]
    w.append('| one ftrace ops (1+0) | ' + ' | '.join(
        '-' if x is None else f'{x:,.1f}' for x in p10) + ' |')
    w.append('')
    write_md_probes(w, k, cols)
    w.append('### Kernel')
    w.append('')
    table_head(w, [''], cols, ratio=False)
    rows = [
        ('vmlinux text (`size`)', lambda d: f'{d["text"]:,}'),
        ('vmlinux .text', lambda d: f'{d["dot_text"]:,}'),
        ('boot to init, kernel timestamps (guest ms, from time_init())',
         lambda d: f'{d["boot_to_init_ms"]:,.1f}'),
        ('reset to the benchmark stage, counter (guest ms, ftrace_init() '
         'included)', lambda d: f'{d["reset_to_stage_ms"]:,.1f}'),
        ('enable function tracer, all functions (guest ms, median)',
         lambda d: f'{statistics.median(d["enable_ms"]):,.1f}'),
        ('disable it (guest ms, median)',
         lambda d: f'{statistics.median(d["disable_ms"]):,.1f}'),
        ('functions traced', lambda d: f'{d["functions"]:,}'),
    ]
    for name, f in rows:
        w.append(f'| {name} | ' + ' | '.join(f(k[c]) for c, _ in cols) + ' |')
    w.append('')
    tb, ts = k['base:near']['text'], k['series:near']['text']
    w.append(f'Text growth: {ts - tb:+,} bytes ({(ts / tb - 1) * 100:+.2f}%). '
             'Guest milliseconds are instructions (millions) plus the idle '
             'time the clock skips.')
    w.append('')
    if ref:
        w.append(f'The reference, the series up to patch {ref["patches"]} '
                 '(`BENCH_REF`), same configuration, booted the same way: '
                 'enabling the function tracer on every function '
                 f'{statistics.median(ref["enable_ms"]):,.1f} guest ms '
                 f'(median of {len(ref["enable_ms"])}), disabling it '
                 f'{statistics.median(ref["disable_ms"]):,.1f}; '
                 f'{ref["functions"]:,} functions traced.')
        w.append('')
    w.append('### Targets (shown, not asserted)')
    w.append('')
    w.append('| target | measured | |')
    w.append('|---|---|---|')
    for what, val, ok in tg:
        w.append(f'| {what} | {val} | {"met" if ok else "MISSED"} |')
    w.append('')
    with open(path, 'w') as f:
        f.write('\n'.join(w))


def write_md_probes(w, k, cols):
    """The probe points, after the fentry one: same unit, same timing."""
    w.append('### One kprobe, kretprobe or fprobe')
    w.append('')
    w.append('One probe alone on the same function '
             '(`guest/modules/ftarm_kpbench.c`, registered once the module '
             'is loaded, timed by its `rerun` parameter, as the fentry '
             'program): a kprobe with a pre-handler, a kretprobe with a '
             'return handler and no entry handler, an fprobe with an entry '
             'handler, and an fprobe with an exit handler too '
             '(`fprobe_exit`); each handler only counts. A kprobe on a '
             'function\'s entry is a `BRK` exception and a single-step on '
             'the base, and is served by the function\'s ftrace callsite '
             'with the series (`[FTRACE]`, as the kprobes list shows it). '
             'fprobe needs the architecture\'s rethook, which 6.1 arm64 does '
             'not have, so the base cannot attach one.')
    w.append('')
    table_head(w, ['probe'], cols)
    for p in PROBES:
        v = [k[c]['probes'][p] for c, _ in cols]
        cells = []
        for (c, _), x in zip(cols, v):
            if not isinstance(x, float):
                cells.append(str(x))
            elif p in k[c]['probes_via']:
                cells.append(f'{x:,.1f} {k[c]["probes_via"][p]}')
            else:
                cells.append(f'{x:,.1f}')
        ratio = (f'{v[1] / v[0]:.2f}x' if isinstance(v[0], float)
                 and isinstance(v[1], float) else '-')
        w.append(f'| {p} | ' + ' | '.join(cells) + f' | {ratio} |')
    w.append('')


def plot(path, k, results):
    """Cost per call against irrelevant ops, without SAVE_REGS."""
    dat = f'{results}/bench-plot.dat'
    # (kernel, relevant ops, title, style): the series' 2-relevant line
    # lies on the base's (both take the list function), so it is dashed
    # over a wider one.
    series = [('base:near', 1, 'base, 1 relevant', 'lw 2 pt 7 lc rgb "#7b2cbf"'),
              ('base:near', 2, 'base, 2 relevant',
               'lw 2 pt 5 lc rgb "#2a9d8f"'),
              ('base:near', 4, 'base, 4 relevant',
               'lw 2 pt 13 lc rgb "#6b7280"'),
              ('series:near', 1, 'series, 1 relevant',
               'lw 2 pt 7 lc rgb "#1d4ed8"'),
              ('series:near', 2, 'series, 2 relevant (set trampoline)',
               'lw 2 pt 5 lc rgb "#e76f51"'),
              ('series:near', 4, 'series, 4 relevant (set trampoline)',
               'lw 2 pt 13 lc rgb "#d62828"'),
              ('series:far', 1, 'series forced far, 1 relevant',
               'lw 2 dt 2 pt 9 lc rgb "#f4a261"')]
    blocks = []
    for kern, r, title, style in series:
        pts = sorted((p['irrelevant'], p['per_call']) for p in k[kern]['points']
                     if p['relevant'] == r and p['save_regs'] == 0)
        if pts:
            blocks.append((title, style, pts))
    with open(dat, 'w') as f:
        for title, _, pts in blocks:
            f.write(f'# {title}\n')
            for x, y in pts:
                f.write(f'{x} {y}\n')
            f.write('\n\n')
    xs = sorted({x for _, _, pts in blocks for x, _ in pts})
    pos = {x: n for n, x in enumerate(xs)}
    plots = ', '.join(
        f'"{dat}" index {n} using (pos($1)):2 with linespoints {st} '
        f'title "{t}"' for n, (t, st, _) in enumerate(blocks))
    cases = ' : '.join(f'($1=={x}) ? {n}' for x, n in pos.items()) + ' : -1'
    script = f'''
set terminal pngcairo noenhanced size 900,560 font ",11"
set output "{path}"
set title "arm64 ftrace, Linux 6.1: cost of a traced call, no SAVE_REGS (QEMU -icount)"
set xlabel "ops registered on other functions (irrelevant)"
set ylabel "instructions per call (log scale)"
set logscale y
set grid ytics mytics
set key top left
pos(x) = {cases}
set xtics ({", ".join(f'"{x}" {n}' for x, n in pos.items())})
set xrange [-0.3:{len(xs) - 0.7}]
plot {plots}
'''
    subprocess.run(['gnuplot'], input=script, text=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--results', required=True)
    ap.add_argument('--cross', required=True)
    ap.add_argument('--matrix', required=True)
    ap.add_argument('--boot', action='append', default=[],
                    help='KERNEL:MODE=CONSOLE of guest/benchboot.sh')
    ap.add_argument('--ref', help='PATCHES=CONSOLE of guest/benchenable.sh '
                    'on the series up to patch PATCHES')
    ap.add_argument('runs', nargs='+', help='KERNEL:MODE=CONSOLE:VMLINUX')
    a = ap.parse_args()
    ref = None
    matrix = [tuple(int(x) for x in p.split('/')) for p in a.matrix.split(',')]
    k = {}
    try:
        for run in a.runs:
            name, files = run.split('=', 1)
            console, vmlinux = files.rsplit(':', 1)
            k[name] = parse(console, matrix)
            k[name]['text'], k[name]['dot_text'] = text_size(a.cross, vmlinux)
        for run in a.boot:
            name, console = run.split('=', 1)
            label, v = parse_boot(console)
            k[name]['static'][label] = v
        if a.ref:
            patches, console = a.ref.split('=', 1)
            ref = parse_ref(console, int(patches))
    except BenchError as e:
        print(f'bench: {e}', file=sys.stderr)
        return 1
    tg = targets(k, ref) if (1, 0, 0) in matrix and (1, 100, 0) in matrix else []
    with open(f'{a.results}/bench.json', 'w') as f:
        json.dump({'icount': 'shift=0,sleep=off', 'vcpus': 1,
                   'matrix': a.matrix, 'kernels': k, 'reference': ref,
                   'targets': [{'target': t, 'measured': v, 'met': ok}
                               for t, v, ok in tg]}, f, indent=1)
    write_md(f'{a.results}/bench.md', k, matrix, tg, ref)
    plot(f'{a.results}/bench.png', k, a.results)
    with open(f'{a.results}/bench.md') as f:
        print(f.read())
    return 0


if __name__ == '__main__':
    sys.exit(main())
