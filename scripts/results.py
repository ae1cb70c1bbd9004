#!/usr/bin/env python3
"""Turn a guest console log into test results, and test results into a
verdict.

  results.py parse --kernel K --mode M --console LOG --src TREE --out JSON
      [--config FRAGMENT...]
  results.py summary --out-md MD JSON... [--baseline DIR]
  results.py baseline-ok BASE.json --config-sha1 SHA --base-version VER
  results.py compare --suite SUITE --out-md MD [--fail-on KERNEL] JSON...
  results.py selftest

parse reads the markers that guest/init prints ("@@FTARM begin/end STAGE",
"@@FTARM case N FILE") and records, as {"suite", "name", "result"}:
  ftracetest     every numbered case of the tree's ftracetest, named by
                 its file (instance runs as "instance:FILE"), run by the
                 kselftest runner (its lines prefixed "# ") or directly;
  kselftest      the runner's own TAP line for ftracetest;
  boot-selftest  every "Testing ...: PASSED/FAILED/OK" line of the boot-time
                 ftrace and event self-tests (FTRACE_STARTUP_TEST);
  kunit          every KUnit case, parsed by the kernel's own
                 tools/testing/kunit/kunit.py;
  stress         every "stress: PASS/FAIL/SKIP: NAME" line of guest/stress.sh;
  test_progs     every test and subtest of the BPF selftests' test_progs
                 (guest/bpf.sh): OK, FAIL, SKIP as PASS, FAIL, SKIP; a test
                 asked for that printed no result is a FAIL; a test the
                 stage leaves out for a cause not of the series is
                 UNSUPPORTED, with that cause;
  guest          the exit status of each other guest stage (the demo),
                 and in far mode whether the kernel took ftrace_tramp_far;
  kernel-log     one record: FAIL on any WARNING/BUG/Oops/panic line.
summary prints one table per kernel and mode, every result that got worse
against the baseline (build/results/base-MODE.json or a committed copy),
and ends with "N passed, N failed, N skipped"; it exits non-zero on any
failure or regression.
selftest parses consoles made up in this file and checks the records
(make test runs it first: a parser bug fails in a second, not after the
guests).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

RESULTS = ("PASS", "FAIL", "UNRESOLVED", "UNTESTED", "UNSUPPORTED", "XFAIL",
           "UNDEFINED", "SKIP")
PASSING = {"PASS", "XFAIL"}
SKIPPED = {"UNRESOLVED", "UNTESTED", "UNSUPPORTED", "SKIP"}
# Higher is better; a result whose rank drops against the baseline is a
# regression.
RANK = {"PASS": 3, "XFAIL": 3, "UNSUPPORTED": 2, "UNTESTED": 2, "SKIP": 2,
        "UNRESOLVED": 1, "FAIL": 0, "UNDEFINED": 0, "MISSING": -1}

# What the series' kernel prints when booted with ftrace_tramp_far=1.
FAR_ON = "ftrace: forcing far calls through the callsite veneers"
BTI_ON = "CPU features: detected: Branch Target Identification"
ANSI = re.compile(r"\x1b\[[0-9;]*[mK]")
KTIME = re.compile(r"^\[\s*\d+\.\d+\]\s?")
BAD_LOG = re.compile(r"(WARNING:|BUG:|Oops|Kernel panic|Unable to handle "
                     r"kernel|Internal error:|rcu: INFO:|"
                     r"soft lockup|hung_task|blocked for more than|"
                     r"stack-protector|"
                     # The series' own reports of a callsite it could not
                     # patch or check: each leaves a function untraced or
                     # says a freed trampoline may still be reached.
                     r"ftrace: \S+: unexpected text at the callsite|"
                     r"ftrace: the slot of \S+ holds|"
                     r"ftrace: callsite slot out of ADRP range|"
                     r"still leads to the trampoline of|"
                     r"ftrace: no module PLT for)")
# Reports of the base kernel itself, not of the series, recognised by the
# functions in their call trace: each is recorded as UNRESOLVED (shown and
# counted, never a pass) instead of failing the kernel-log check.  Keep this
# list to reports seen on the unpatched base, with why.
KNOWN_BASE = [
    # The RCU-tasks self-test of CONFIG_PROVE_RCU (the stress kernel) starts
    # a rude grace period before smp_init(); schedule_on_each_cpu() then
    # races with the secondary CPUs coming up and flushes a work it never
    # initialised (WARN_ON(!work->func)), before any tracing is set up.
    ("boot: RCU-tasks rude self-test races with CPU bring-up "
     "(schedule_on_each_cpu)",
     ("__flush_work", "schedule_on_each_cpu", "rcu_tasks_rude_wait_gp"),
     # Only at boot: the series waits for rude RCU-tasks grace periods
     # itself, and the same trace later would be its own.
     "smp: Brought up"),
    # A BPF program's BPF_PROBE_MEM load from a user address (module_attach's
    # fexit program reads through the bad pointers bpf_testmod_return_ptr()
    # returns) faults, and arm64's do_page_fault() then takes mmap_lock
    # inside the program's RCU read-side section: "sleeping function called
    # from invalid context". 6.1's x86 JIT skips such loads; its arm64 JIT
    # does not (upstream added the guard for every JIT in 2024, Puranjay
    # Mohan's "bpf: verifier: prevent userspace memory access"). The base
    # never gets there only because it cannot attach fexit programs at all.
    ("bpf: a BPF_PROBE_MEM load from a user address faults under "
     "rcu_read_lock (6.1 arm64 JIT has no user-address guard)",
     # Only that program on that function: a series bug that hands a
     # program bad arguments would fault the same way elsewhere.
     ("BUG: sleeping function called from invalid context", "do_page_fault",
      "handle_fexit_ret", "bpf_trampoline_", "bpf_testmod_return_ptr"),
     None),
]


# The kernel's timestamp of a console line, as a number (KTIME strips it).
KTIME_AT = re.compile(r"^\[\s*(\d+\.\d+)\]")


def known_before(lines, i, before):
    """Whether the report at lines[i] came before the first line with
    BEFORE, by their kernel timestamps (by position without them)."""
    at = KTIME_AT.match(lines[i])
    first = next((k for k, l in enumerate(lines) if before in l), None)
    if first is None:
        return True
    then = KTIME_AT.match(lines[first])
    if at and then:
        return float(at.group(1)) <= float(then.group(1))
    return i <= first


def known_base_reports(lines):
    """{line index: known report name} for the lines of each "cut here" ..
    "end trace" block whose text has every function of a KNOWN_BASE entry."""
    out, i = {}, 0
    frame = re.compile(r"\s\S+\+0x[0-9a-f]+/0x[0-9a-f]+")
    while i < len(lines):
        if "------------[ cut here ]------------" in lines[i]:
            j = i
            while j < len(lines) and j - i < 80 and "---[ end trace" not in lines[j]:
                j += 1
        elif "BUG: sleeping function called from invalid context" in lines[i]:
            # No end marker: the report ends with its call trace.
            j, trace, frames = i + 1, False, False
            while j < len(lines) and j - i < 80:
                if "Call trace:" in lines[j]:
                    trace = True
                elif trace and frame.search(lines[j]):
                    frames = True
                elif frames:
                    j -= 1
                    break
                j += 1
        else:
            i += 1
            continue
        block = "\n".join(lines[i:j + 1])
        # Another report inside the block (a CPU's WARN or oops printed
        # in the middle of it) is never taken as part of a known one.
        head = 2 if "cut here" in lines[i] else 1
        other = any(BAD_LOG.search(l) for l in lines[i + head:j + 1])
        for name, funcs, before in KNOWN_BASE:
            # Before the line BEFORE, by the kernel's clock: the guest's
            # dmesg stage prints the boot's lines again at its end, and a
            # report's copy there comes after the first one's line.
            if before is not None and not known_before(lines, i, before):
                continue
            if not other and all(f in block for f in funcs):
                for k in range(i, j + 1):
                    out[k] = name
        i = j + 1
    return out


# guest/stress.sh: one line a check.
STRESS = re.compile(r"^stress: (PASS|FAIL|SKIP): ([\w-]+)")
# guest/probes.sh: "probes: RESULT: what -- figures"
PROBES = re.compile(r"^probes: (PASS|FAIL|UNSUPPORTED): (.*?)(?: -- (.*))?$")


# guest/bpf.sh: test_progs' "#N name:RESULT" and "#N/M name/sub:RESULT".
TEST_PROGS = re.compile(r"^#(\d+)(/\d+)?\s+([\w.-]+(?:/[^:]+)?):(OK|FAIL|SKIP)\b")
TP_RESULT = {"OK": "PASS", "FAIL": "FAIL", "SKIP": "SKIP"}


def parse_test_progs(lines):
    """The bpf stage's results: one record a test and a subtest."""
    recs, reported, wanted = [], set(), []
    for line in lines:
        m = TEST_PROGS.match(line)
        old = next((r for r in recs if m and r["name"] == m.group(3)), None)
        # test_progs repeats the failed tests at the end: one record each;
        # a test that was meant to be left out but ran has its result.
        if m and (old is None or old["result"] == "UNSUPPORTED"):
            if old is not None:
                recs.remove(old)
            recs.append({"suite": "test_progs", "name": m.group(3),
                         "result": TP_RESULT[m.group(4)]})
            if not m.group(2):
                reported.add(m.group(3))
        elif line.startswith("bpf: tests: "):
            wanted = line.split(": ", 2)[2].split()
        elif line.startswith("bpf: UNSUPPORTED: "):
            name, why = line.split(": ", 2)[2].split(": ", 1)
            recs.append({"suite": "test_progs", "name": name,
                         "result": "UNSUPPORTED", "details": [why]})
        elif line.startswith(("bpf: MISSING: ", "bpf: TIMEOUT: ")):
            recs.append({"suite": "test_progs", "name": line.split()[2],
                         "result": "FAIL", "details": [line]})
    denied = {r["name"] for r in recs if r["result"] == "UNSUPPORTED"}
    for t in wanted:
        if t not in reported and t not in denied and \
                not any(r["name"] == t for r in recs):
            recs.append({"suite": "test_progs", "name": t, "result": "FAIL",
                         "details": ["asked for, but test_progs printed no "
                                     "result (crash or hang?)"]})
    return recs


def stages(lines):
    """Split the console into {stage: [lines]} by the guest's markers."""
    out, cur = {"boot": []}, "boot"
    for line in lines:
        m = re.match(r"^@@FTARM (begin|end) (\S+)", line)
        if m:
            cur = m.group(2) if m.group(1) == "begin" else "between"
            out.setdefault(cur, [])
            if m.group(1) == "end":
                out.setdefault("rc", {})[m.group(2)] = line.split("rc=")[-1]
            continue
        out.setdefault(cur, []).append(line)
    return out


def listed_cases(lines):
    """The names of the cases guest/ftracetest.sh listed ("@@FTARM case N
    FILE"), as parse_ftracetest() names their records."""
    lines = [l[2:] if l.startswith("# ") else l for l in lines]
    return [m.group(1) for m in
            (re.match(r"^@@FTARM case \d+ (\S+)", l) for l in lines) if m]


def left_out_dirs(lines):
    """The cases and directories of test.d that guest/ftracetest.sh left
    out ("@@FTARM skip DIR", from ftarm.skip), without a trailing slash."""
    lines = [l[2:] if l.startswith("# ") else l for l in lines]
    return [m.group(1).rstrip("/") for m in
            (re.match(r"^@@FTARM skip (\S+)", l) for l in lines) if m]


def left_out_by(name, dirs):
    """Whether the case NAME is one of DIRS (left_out_dirs()) or in one."""
    return any(name == d or name.startswith(d + "/") for d in dirs)


def parse_ftracetest(lines):
    """ftracetest prints "[N] description<TAB>[RESULT]".  A kernel message
    on the console can land between the description and the result, so a
    case stays pending until the next "<TAB>[RESULT]" is seen."""
    files, recs = {}, []
    # Under the kselftest runner every line of ftracetest is prefixed "# ".
    lines = [l[2:] if l.startswith("# ") else l for l in lines]
    for line in lines:
        m = re.match(r"^@@FTARM case (\d+) (\S+)", line)
        if m:
            files[int(m.group(1))] = m.group(2)
    start = re.compile(r"^\[(\d+)\](.*?)(?:\t\[(\w+)\]\s*)?$")
    result = re.compile(r"\t\[(\w+)\]\s*$")
    pending = None

    def add(n, desc, res):
        recs.append({"suite": "ftracetest",
                     "name": files.get(n, "#%d %s" % (n, desc)),
                     "result": res, "description": desc, "case_no": n})
    for line in lines:
        m = start.match(line)
        if m and not line.startswith("[ "):
            if pending:
                add(pending[0], pending[1], "UNDEFINED")
            n, desc, res = int(m.group(1)), m.group(2).strip(), m.group(3)
            if res in RESULTS:
                add(n, desc, res)
                pending = None
            else:
                pending = (n, desc)
            continue
        m = result.search(line)
        if pending and m and m.group(1) in RESULTS:
            add(pending[0], pending[1], m.group(1))
            pending = None
    if pending:   # the run stopped inside this case
        add(pending[0], pending[1], "UNRESOLVED")
    # guest/ftracetest.sh prints the log of each case that did not pass,
    # "==== ftracetest log N-FILE-log.XXXXXX" then its lines as "  | ...":
    # the end of it (where the case says why it failed) goes with the case.
    logs, cur = {}, None
    for line in lines:
        m = re.match(r"^==== ftracetest log (\d+)-", line)
        if m:
            cur = logs.setdefault(int(m.group(1)), [])
        elif cur is not None and line.startswith("  | "):
            cur.append(line[4:])
        else:
            cur = None
    for r in recs:
        if r["result"] not in ("PASS", "XFAIL") and logs.get(r["case_no"]):
            r["case_log"] = logs[r["case_no"]][-12:]
    # "@@FTARM start N T" (guest/ftracetest.sh's case clock): a case's
    # seconds run from its start to the next start seen, or to the end.
    starts = []
    for line in lines:
        m = re.match(r"^@@FTARM start (\d+|end) (\d+)", line)
        if m:
            starts.append((m.group(1), int(m.group(2))))
    secs = {}
    for (n, t), (_, t2) in zip(starts, starts[1:]):
        if n != "end":
            secs[int(n)] = t2 - t
    for r in recs:
        if r["case_no"] in secs:
            r["seconds"] = secs[r["case_no"]]
    return recs


# The kselftest runner's own TAP line for each program it ran.
TAP = re.compile(r"^(not )?ok \d+ selftests: (\S+): (\S+)(?: # (\w+))?")


def parse_tap(lines):
    recs = []
    for line in lines:
        m = TAP.match(line)
        if not m:
            continue
        res = "FAIL" if m.group(1) else "PASS"
        if m.group(4) in ("SKIP", "TIMEOUT"):
            res = "SKIP" if m.group(4) == "SKIP" else "FAIL"
        recs.append({"suite": "kselftest", "result": res,
                     "name": "%s:%s" % (m.group(2), m.group(3))})
    return recs


# The series' own ftracetest cases detect per-ops trampolines and report
# UNSUPPORTED on kernels without them; on the series' kernels, which have
# them, anything but PASS (UNSUPPORTED, UNRESOLVED: a case that could not
# set itself up) would hide a broken feature or an untested one, so it
# fails there.
SERIES_FEATURE_CASES = {
    "ftrace/func-tramp-instances.tc", "ftrace/func-tramp-shared.tc",
    "ftrace/fgraph-tramp.tc", "ftrace/func-tramp-module.tc",
    "ftrace/func-tramp-kprobe.tc", "ftrace/func-tramp-pid.tc",
    "ftrace/func-tramp-veneer-kprobe.tc", "ftrace/func-tramp-churn.tc",
    # Kprobes on a function's entry served by ftrace (the series' own case)
    "kprobe/kprobe_ftrace_entry.tc",
    # Direct calls: UNRESOLVED on the base (no direct-call samples on 6.1
    # arm64), and the last two come with the series.
    "direct/ftrace-direct.tc", "direct/kprobe-direct.tc",
    "direct/ftrace-direct-shared.tc", "direct/ftrace-direct-modify.tc",
    # Set trampolines, ftrace_enabled and module probes: the series' own
    "ftrace/func-set-instances.tc", "ftrace/func-mod-sysctl.tc",
    "kprobe/kprobe_ftrace_module.tc",
}

# guest/init says whether the kernel has set trampolines (the symbol that
# the ftracetest case, the stress round and ftracetest's helper look for).
SETS_LINE = "@@FTARM set trampolines: "


# The series' kernel names the first callsite that it writes to lead to a
# trampoline made before module_alloc() is ready, as the boot-time tracer
# self-tests' callsites are.
EARLY_TRAMP_CALL = re.compile(
    r"ftrace: \S+ calls a trampoline made before module_alloc\(\) is ready")
NO_TRAMP = "ftrace: no trampoline for "


DIRECT_SELFTEST = ("direct-call self-test: the direct trampoline was called "
                   "2 time(s), as expected")


def feature_checks(kernel, recs, klog):
    if not kernel.startswith("series") and not kernel.startswith("stress"):
        return []
    out = [{"suite": "guest", "result": "FAIL",
            "name": "%s of the series' own case %s" % (r["result"], r["name"])}
           for r in recs if r["suite"] == "ftracetest" and
           r["name"] in SERIES_FEATURE_CASES and
           r["result"] not in ("PASS", "FAIL")]
    # Every BPF selftest asked for must run on the series: a SKIP (a test
    # that found something missing) would pass a broken attach unnoticed.
    out += [{"suite": "guest", "result": "FAIL",
             "name": "SKIP of test_progs %s" % r["name"]}
            for r in recs if r["suite"] == "test_progs" and
            r["result"] == "SKIP"]
    # guest/bpf.sh leaves the kprobe_multi tests out only on a kernel
    # without fprobe: the series has it (its rethook), so they must run.
    out += [{"suite": "guest", "result": "FAIL",
             "name": "UNSUPPORTED of test_progs %s" % r["name"]}
            for r in recs if r["suite"] == "test_progs" and
            r["result"] == "UNSUPPORTED" and
            ("kprobe_multi" in r["name"] or "multi_kprobe" in r["name"])]
    # A callsite that cannot reach its target (a direct trampoline, or a
    # per-ops one) falls back to ftrace_regs_caller and the log names it:
    # in these guests every callsite has a slot, so it must never happen
    # (it would also let a direct-call test pass through the shared path).
    # The boot self-test of direct calls (patch 23) says when it passed:
    # wherever the function_graph tracer's self-test ran, so did it.
    if any(l.startswith("Testing tracer function_graph") for l in klog):
        direct = any(DIRECT_SELFTEST in l for l in klog)
        out.append({"suite": "guest", "name": "direct-call boot self-test ran",
                    "result": "PASS" if direct else "FAIL",
                    **({} if direct else {"detail": "no '%s' in the log"
                                          % DIRECT_SELFTEST})})
    # (The KUnit case ftrace_direct_test_no_slot makes one callsite of its
    # own take that fallback on purpose, and checks where it leads.)
    fallback = [l for l in klog if "calling it from ftrace_regs_caller" in l
                and "ftrace_direct_test_unreached" not in l]
    out.append({"suite": "guest", "name": "every callsite reaches its target",
                "result": "FAIL" if fallback else "PASS",
                **({"detail": fallback[0]} if fallback else {})})
    # The boot-time tracer self-tests must run through trampolines: a
    # callsite is written to lead to one during them (the kernel names the
    # first, between the first and the last tracer self-test), and no
    # trampoline may fail to be made (every failure logs "no trampoline
    # for", and the ops then uses the shared path) until the last
    # self-test's verdict (KUnit, which comes next, fills the trampolines to
    # their cap on purpose, and user space injects failures).
    tests = [i for i, l in enumerate(klog) if l.startswith("Testing tracer ")]
    if tests:
        early = any(EARLY_TRAMP_CALL.search(l)
                    for l in klog[tests[0]:tests[-1]])
        end = next((i for i in range(tests[-1], len(klog))
                    if re.search(r"PASSED|FAILED", klog[i]) or
                    klog[i].startswith(("KTAP version", "TAP version")) or
                    "Run /init as init process" in klog[i]), len(klog))
        failed = [l for l in klog[:end + 1] if NO_TRAMP in l]
        out.append({"suite": "guest", "name": "boot self-tests through trampolines",
                    "result": "PASS" if early and not failed else "FAIL",
                    **({"detail": failed[0]} if failed else {})})
    return out


def parse_selftests(klog):
    """Boot self-test lines: "Testing WHAT: VERDICT".  The verdict is printed
    with pr_cont() and lands on a line of its own when another message
    comes in between, so look ahead a few lines for it."""
    recs = []
    verdict = re.compile(r"(PASSED|FAILED|^OK$|\bOK$)")
    for i, line in enumerate(klog):
        m = re.match(r"^(?:[\w-]+: )?Testing (.+?): ?(.*)$", line)
        if not m:
            continue
        what, rest = m.group(1), m.group(2)
        j = i + 1
        while not verdict.search(rest) and j < min(len(klog), i + 12):
            nxt = klog[j].strip()
            if re.match(r"^(?:[\w-]+: )?Testing ", nxt):
                break
            if verdict.search(nxt):
                rest = rest + " " + nxt
            j += 1
        if "FAILED" in rest:
            res = "FAIL"
        elif verdict.search(rest):
            res = "PASS"
        else:
            res = "FAIL"   # started and never said how it ended
        recs.append({"suite": "boot-selftest", "name": what, "result": res})
    # Same name tested twice (events are tested again with the function
    # tracer on): keep both, distinguished.
    seen = {}
    for r in recs:
        k = r["name"]
        seen[k] = seen.get(k, 0) + 1
        if seen[k] > 1:
            r["name"] = "%s #%d" % (k, seen[k])
    return recs


def parse_kunit(klog, src):
    tool = os.path.join(src, "tools/testing/kunit/kunit.py")
    if not any("KTAP version" in l or "TAP version" in l for l in klog):
        return []
    with tempfile.TemporaryDirectory() as d:
        logf, out = os.path.join(d, "log"), os.path.join(d, "kunit.json")
        with open(logf, "w") as f:
            f.write("\n".join(klog) + "\n")
        subprocess.run([sys.executable, tool, "parse", "--json=" + out, logf],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        if not os.path.exists(out):
            return [{"suite": "kunit", "name": "kunit.py parse",
                     "result": "FAIL"}]
        data = json.load(open(out))
    recs = []

    def walk(group, prefix):
        for case in group.get("test_cases", []):
            st = case.get("status", "FAIL").upper()
            st = {"PASS": "PASS", "SKIP": "SKIP"}.get(st, "FAIL")
            recs.append({"suite": "kunit", "name": prefix + case["name"],
                         "result": st})
        for sub in group.get("sub_groups", []):
            walk(sub, prefix + sub["name"] + ".")
    walk(data, "")
    return recs


def ftracetest_missing(a, st, recs):
    """A case that ftracetest was to run and has no result is a failure,
    whatever the baseline has: a case listed by guest/ftracetest.sh that
    printed none (the run stopped, or the case dropped out), a run that
    listed no case at all (a misspelt ftarm.tests or ftarm.skip entry, a
    missing install: guest/ftracetest.sh exits before ftracetest), and, on
    the series' kernel in a run of every case, one of the series' own
    cases that was not even listed (not installed)."""
    if "ftracetest" not in st:
        return []
    lines = st["ftracetest"]
    listed = listed_cases(lines)
    if not listed:
        why = [l for l in lines if l.startswith("ftracetest: ")][:3]
        return [{"suite": "guest", "name": "ftracetest listed its cases",
                 "result": "FAIL", "details": why or [
                     "guest/ftracetest.sh printed no '@@FTARM case' line "
                     "(rc=%s)" % st.get("rc", {}).get("ftracetest", "none")]}]
    got = {r["name"] for r in recs if r["suite"] == "ftracetest"}
    out = [{"suite": "ftracetest", "name": c, "result": "FAIL",
            "details": ["listed, but ftracetest printed no result for it"]}
           for c in listed if c not in got]
    if not a.subset and a.kernel.startswith("series"):
        gone = left_out_dirs(lines)
        out += [{"suite": "ftracetest", "name": c, "result": "FAIL",
                 "details": ["one of the series' own cases, not installed"]}
                for c in sorted(SERIES_FEATURE_CASES)
                if c not in listed and not left_out_by(c, gone)]
    return out


def guest_ended(lines, st):
    """Every stage that began must have ended, and the guest must have
    reached its last line: a guest that hung or panicked inside a stage
    has no rc for it, and its stage's checks printed only what ran."""
    rc = st.get("rc", {})
    began = [m.group(1) for m in
             (re.match(r"^@@FTARM begin (\S+)", l) for l in lines) if m]
    out = [{"suite": "guest", "name": "stage %s ended" % s, "result": "FAIL",
            "details": ["'@@FTARM begin %s' with no end: the guest hung, "
                        "panicked or was stopped inside it" % s]}
           for s in began if s not in rc]
    done = any(l.startswith("@@FTARM done") for l in lines)
    out.append({"suite": "guest", "name": "guest reached the end",
                "result": "PASS" if done else "FAIL",
                **({} if done else {"details": [
                    "no '@@FTARM done' on the console: a hang (timeout), a "
                    "panic or an early exit; the last stage begun was %s"
                    % (began[-1] if began else "none")]})})
    return out


def cmd_parse(a):
    raw = open(a.console, "rb").read().decode("utf-8", "replace")
    lines = [ANSI.sub("", l).rstrip("\r") for l in raw.split("\n")]
    # ftracetest run directly prints "[N] description" and its result on
    # one line, and the case clock's "@@FTARM start" may land in between:
    # give the marker a line of its own (the result then follows on the
    # next line, which parse_ftracetest() allows for).
    split = []
    for l in lines:
        i = l.find("@@FTARM start ")
        if i > 0:
            split += [l[:i], l[i:]]
        else:
            split.append(l)
    lines = split
    st = stages(lines)
    klog = [KTIME.sub("", l) for l in st.get("dmesg", [])]
    if not klog:   # the guest never got to print dmesg: use the console
        klog = [KTIME.sub("", l) for l in lines]
    recs = []
    recs += parse_ftracetest(st.get("ftracetest", []))
    recs += ftracetest_missing(a, st, recs)
    recs += parse_tap(st.get("ftracetest", []))
    recs += feature_checks(a.kernel, recs, klog)
    if any(os.path.basename(c) == "series.config" for c in a.config):
        # Every kernel of the series has them: a test that looks for them
        # and finds none skips its set checks, which must not pass.
        sets = next((l[len(SETS_LINE):].strip() for l in lines
                     if l.startswith(SETS_LINE)), None)
        recs.append({"suite": "guest", "name": "the kernel has set trampolines",
                     "result": "PASS" if sets == "yes" else "FAIL",
                     **({} if sets == "yes" else
                        {"detail": "guest/init said %r" % sets})})
    recs += parse_selftests(klog)
    recs += parse_kunit(klog, a.src)
    if any(os.path.basename(c) == "series.config" for c in a.config):
        # The series' own KUnit suites (ARM64_INSN_KUNIT_TEST,
        # ARM64_FTRACE_KUNIT_TEST with its callsite suite,
        # ARM64_FTRACE_DIRECT_KUNIT_TEST and
        # ARM64_KPROBES_FTRACE_KUNIT_TEST, set by series.config), and the
        # kernel's kprobes_test and fprobe_test, which series.config sets
        # for the series' rethook, must have run, and none of their cases
        # may skip: the base runs none of them, so the baseline would not
        # notice.
        for suite in ("arm64-insn", "arm64-ftrace-tramp",
                      "arm64-ftrace-callsite", "arm64-ftrace-direct",
                      "arm64-ftrace-set", "arm64-kprobes-ftrace",
                      "kprobes_test", "fprobe_test"):
            ours = [r for r in recs if r["suite"] == "kunit" and
                    r["name"].startswith(suite + ".")]
            recs.append({"suite": "guest", "name": "KUnit %s ran" % suite,
                         "result": "PASS" if ours else "FAIL"})
            recs += [{"suite": "guest", "result": "FAIL",
                      "name": "%s of our own KUnit case %s" % (r["result"],
                                                               r["name"])}
                     for r in ours if r["result"] not in PASSING]
    recs += parse_test_progs(st.get("bpf", []))
    for l in st.get("probes", []):
        m = PROBES.match(l)
        if m:
            recs.append({"suite": "probes", "name": m.group(2),
                         "result": m.group(1), "details": [l]})
            # fprobe and its rethook are the series' own: on its kernels
            # the sample must be there.
            if m.group(1) == "UNSUPPORTED" and a.kernel.startswith(("series", "stress")):
                recs.append({"suite": "guest", "result": "FAIL",
                             "name": "UNSUPPORTED of the series' own probes check %s"
                             % m.group(2)})
    for l in st.get("stress", []):
        m = STRESS.match(l)
        if m:
            recs.append({"suite": "stress", "name": m.group(2),
                         "result": m.group(1), "details": [l]})
    for stage, rc in st.get("rc", {}).items():
        if stage in ("ftracetest", "dmesg"):
            continue
        recs.append({"suite": "guest", "name": stage,
                     "result": "PASS" if rc.strip() == "0" else "FAIL"})
    recs += guest_ended(lines, st)
    if a.kernel.startswith(("series", "stress")):
        # guest/init loads ftarm_faultdump, which every series guest has
        # (scripts/lib.sh faultdump_module): without it, an oops that a
        # callsite led to would not say what the callsite held.
        loaded = any(l.startswith("@@FTARM faultdump loaded") for l in lines)
        recs.append({"suite": "guest", "name": "ftarm_faultdump loaded",
                     "result": "PASS" if loaded else "FAIL"})
    if a.mode == "far":
        # Far mode is only worth its run if the kernel took the knob.
        recs.append({"suite": "guest", "name": "far calls forced",
                     "result": "PASS" if any(FAR_ON in l for l in klog)
                     else "FAIL"})
    if any(os.path.basename(c) in ("bti.config", "bti-kasan.config")
           for c in a.config):
        # The BTI variant only proves something if BTI is enforced.
        recs.append({"suite": "guest", "name": "BTI enforced",
                     "result": "PASS" if any(BTI_ON in l for l in klog)
                     else "FAIL"})
    known = known_base_reports(lines)
    for name in sorted(set(known.values())):
        recs.append({"suite": "kernel-log", "name": "known base report: " + name,
                     "result": "UNRESOLVED",
                     "details": [lines[k] for k in sorted(known)
                                 if known[k] == name][:12]})
    hits = [i for i, l in enumerate(lines)
            if BAD_LOG.search(l) and i not in known]
    rec = {"suite": "kernel-log", "name": "no warnings, oopses or panics",
           "result": "FAIL" if hits else "PASS"}
    if hits:
        # Every matching line (the first 20), and the first report with
        # what led to it: enough to tell a WARN's cause from the CI output.
        rec["details"] = [lines[i] for i in hits[:20]]
        first = hits[0]
        rec["excerpt"] = lines[max(0, first - 4):first + 7]
    recs.append(rec)
    kver = next((l.split(": ", 1)[1].split()[0] for l in lines
                 if l.startswith("@@FTARM guest up: ")), "unknown")
    doc = {
        "kernel": a.kernel, "mode": a.mode, "kernel_version": kver,
        "base_package": "linux-source-6.1 " + a.base_version,
        "base_pinned": a.base_pin,
        "config": [os.path.basename(c) for c in a.config],
        "config_sha1": a.config_sha1,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "console": a.console, "subset": a.subset, "results": recs,
        # The ftracetest cases the guest listed before it ran them: what a
        # subset is compared with the baseline on.
        "cases": listed_cases(st.get("ftracetest", [])),
        # The directories of test.d the run left out (ftarm.skip): their
        # cases are not compared with the baseline; everything else is.
        "left_out": left_out_dirs(st.get("ftracetest", [])),
        # What the stress stage did (its iteration counts), for the record.
        "notes": [l for l in st.get("stress", [])
                  if l.startswith("stress: ") and not STRESS.match(l)],
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def counts(recs):
    c = {}
    for r in recs:
        c[r["result"]] = c.get(r["result"], 0) + 1
    return c


def baseline_matches(base, config_sha1, base_package):
    """A base result is a valid baseline only for the same base package
    and the same shared config fragments."""
    return base.get("config_sha1") == config_sha1 and \
        base.get("base_package") == base_package


def load_baseline(doc, dirs):
    """The base runs in near mode only (it has no forced-far knob): every
    mode of the series is compared with base-near.json."""
    for d in dirs:
        p = os.path.join(d, "base-near.json")
        if os.path.exists(p):
            b = json.load(open(p))
            if baseline_matches(b, doc.get("config_sha1"),
                                doc.get("base_package")):
                return p, b
    return None, None


def print_failures(bad, excerpt, caselogs, out_md):
    """Failures grouped by kernel, suite and verdict, a few names each (a
    crashed tracer can fail hundreds of tests at once; summary.md has them
    all), the end of the log of the first failed ftracetest cases (what
    each found), then the first kernel-log report: the end of the output is
    what a CI page shows."""
    print("\nFailures (every one in %s):" % os.path.relpath(out_md))
    groups = {}
    for label, suite, verdict, name in bad:
        groups.setdefault((label, suite, verdict), []).append(name)
    for (label, suite, verdict), names in groups.items():
        more = " and %d more" % (len(names) - 3) if len(names) > 3 else ""
        print("  %s: %s %s (%d): %s%s" % (label, suite, verdict, len(names),
                                         "; ".join(names[:3]), more))
    for label, name, lines in caselogs[:3]:
        print("\nThe end of %s's log on %s:" % (name, label))
        for line in lines:
            print("  | " + line[:160])
    if excerpt:
        label, console, lines = excerpt
        print("\nFirst kernel-log report of %s (console %s):" % (
            label, os.path.relpath(console) if console else "?"))
        for line in lines:
            print("  | " + line[:160])


def cmd_summary(a):
    md, total = [], {"passed": 0, "failed": 0, "skipped": 0}
    bad, excerpt, caselogs = [], None, []
    docs = [json.load(open(p)) for p in a.json]
    # The base's own results are the reference, not the product: count them
    # only when they are all there is (make baseline).
    only_base = all(d["kernel"] == "base" for d in docs)
    for doc in docs:
        recs = doc["results"]
        label = "%s-%s" % (doc["kernel"], doc["mode"])
        md.append("## %s (%s)\n" % (label, doc.get("kernel_version", "")))
        pin = doc.get("base_pinned")
        if pin and not doc.get("base_package", "").endswith(" " + pin):
            warn = ("WARNING: %s was built on %s, not on the pinned %s "
                    "(configs/base-version): the archive no longer has it"
                    % (label, doc.get("base_package"), pin))
            md.append(warn + "\n")
            print(warn)
        md.append("Base: %s; config: %s (sha1 %s)\n" % (
            doc.get("base_package"), " ".join(doc.get("config", [])),
            doc.get("config_sha1", "")[:12]))
        for n in doc.get("notes", []):
            md.append("    " + n)
        if doc.get("notes"):
            md.append("")
        md.append("| suite | " + " | ".join(RESULTS[:6] + ("SKIP",)) + " |")
        md.append("|---" * 8 + "|")
        for suite in sorted({r["suite"] for r in recs}):
            c = counts([r for r in recs if r["suite"] == suite])
            md.append("| %s | %s |" % (suite, " | ".join(
                str(c.get(k, 0)) for k in RESULTS[:6] + ("SKIP",))))
        md.append("")
        notpass = [r for r in recs if r["result"] not in PASSING]
        if notpass:
            md.append("Not passed:\n")
            for r in notpass:
                md.append("- %s `%s`: %s" % (r["suite"], r["name"],
                                              r["result"]))
            md.append("")
        for r in recs:
            if doc["kernel"] == "base" and not only_base:
                continue
            if r["result"] in PASSING:
                total["passed"] += 1
            elif r["result"] in SKIPPED:
                total["skipped"] += 1
            else:
                total["failed"] += 1
                bad.append((label, r["suite"], r["result"], r["name"]))
                if r.get("case_log"):
                    caselogs.append((label, r["name"], r["case_log"]))
                if r.get("excerpt") and not excerpt:
                    excerpt = (label, doc.get("console", ""), r["excerpt"])
        if doc["kernel"] == "base" or doc["mode"] not in ("near", "far"):
            continue
        cases = doc.get("cases") if doc.get("subset") else None
        if doc.get("subset") and not cases:
            md.append("A chosen subset of the tests: not compared with the "
                      "baseline; every result above counts.\n")
            continue
        bpath, base = load_baseline(doc, a.baseline)
        if not base:
            md.append("No baseline for this base version and config: "
                      "regressions not checked (make baseline).\n")
            print("%s: NO BASELINE for this base and config: regressions "
                  "not checked (run make baseline)" % label)
            continue
        now = {(r["suite"], r["name"]): r["result"] for r in recs}
        regs = []
        brecs = base["results"]
        gone = [d.rstrip("/") for d in doc.get("left_out", [])]
        if gone:
            def left_out(r):
                name = r["name"]
                if name.startswith("instance:"):
                    name = name[len("instance:"):]
                return r["suite"] == "ftracetest" and left_out_by(name, gone)
            brecs = [r for r in brecs if not left_out(r)]
            md.append("Without %d cases and directories of test.d (make "
                      "ftracetest-full runs them): %s." % (len(gone),
                                                           ", ".join(gone)))
        if cases:
            # A subset of ftracetest: the baseline's records of the cases
            # it listed (a listed case without a result is MISSING). Its
            # other records (the boot self-tests) count as they are: a
            # subset's kernel may run fewer (the bti variant's config).
            brecs = [r for r in brecs
                     if r["suite"] == "ftracetest" and r["name"] in cases]
            md.append("A chosen subset of ftracetest (%d cases)." % len(cases))
        for r in brecs:
            cur = now.get((r["suite"], r["name"]), "MISSING")
            if RANK.get(cur, 0) < RANK.get(r["result"], 0):
                regs.append((r["suite"], r["name"], r["result"], cur))
        md.append("Compared with `%s`: %d regression(s).\n" % (
            os.path.relpath(bpath), len(regs)))
        md.extend("- REGRESSION %s %s: %s -> %s" % x for x in regs)
        if regs:
            md.append("")
        bad.extend((label, suite, "REGRESSION %s -> %s" % (was, cur), name)
                   for suite, name, was, cur in regs)
        total["failed"] += len(regs)
    with open(a.out_md, "w") as f:
        f.write("# Test results\n\n" + "\n".join(md) + "\n")
    for line in md:
        if line.startswith("## ") or line.startswith("| ") or \
           line.startswith("Compared"):
            print(line)
    if bad:
        print_failures(bad, excerpt, caselogs, a.out_md)
    print("%d passed, %d failed, %d skipped" % (
        total["passed"], total["failed"], total["skipped"]))
    return 1 if total["failed"] else 0


def cmd_compare(a):
    """One suite's results of several kernels and modes side by side (make
    bpf-selftests: base and series); every other suite's failures listed
    below. Fails when a kernel named by --fail-on has any failure."""
    docs = [json.load(open(p)) for p in a.json]
    labels = ["%s %s" % (d["kernel"], d["mode"]) for d in docs]
    names, res = [], {}
    for i, d in enumerate(docs):
        for r in d["results"]:
            if r["suite"] != a.suite:
                continue
            if r["name"] not in res:
                names.append(r["name"])
                res[r["name"]] = {}
            res[r["name"]][i] = r
    md = ["# %s: %s\n" % (a.suite, ", ".join(labels)),
          "| test | " + " | ".join(labels) + " |",
          "|---" * (len(labels) + 1) + "|"]
    for n in names:
        md.append("| %s | %s |" % (n, " | ".join(
            res[n][i]["result"] if i in res[n] else "-"
            for i in range(len(docs)))))
    md.append("")
    failed, passed = 0, 0
    for i, d in enumerate(docs):
        c = counts(d["results"])
        md.append("%s: %s" % (labels[i], ", ".join(
            "%d %s" % (c[k], k) for k in RESULTS if c.get(k))))
        gate = d["kernel"].split("-")[0] in a.fail_on
        for r in d["results"]:
            if r["result"] in PASSING:
                passed += gate
            elif r["result"] not in SKIPPED:
                failed += gate
                md.append("- %s%s `%s`: %s%s" % (
                    "" if gate else "(not gated) ", r["suite"], r["name"],
                    r["result"], (": " + "; ".join(r["details"][:2]))
                    if r.get("details") else ""))
        for r in d["results"]:
            if r["result"] in SKIPPED and r.get("details"):
                md.append("- %s `%s`: %s: %s" % (
                    r["suite"], r["name"], r["result"], r["details"][0]))
        md.append("")
    with open(a.out_md, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))
    print("%d passed, %d failed (kernels %s)" % (passed, failed,
                                                 " ".join(a.fail_on)))
    return 1 if failed else 0


def cmd_times(a):
    """The slowest ftracetest cases of the runs given, by the guest's case
    clock (a case it did not see is counted in the one before)."""
    for path in a.json:
        doc = json.load(open(path))
        recs = [r for r in doc["results"] if "seconds" in r]
        total = sum(r["seconds"] for r in recs)
        print("%s: %d cases timed, %d s in all; the slowest:" %
              (os.path.basename(path), len(recs), total))
        for r in sorted(recs, key=lambda r: -r["seconds"])[:a.top]:
            print("  %5d s  %s" % (r["seconds"], r["name"]))

# A console for the parser's own test (results.py selftest): a boot with
# its self-test lines, one verdict landing on a line of its own, a known
# base report before "smp: Brought up", a demo stage, and the dmesg stage
# that prints the boot's lines again. {DMESG} is what that stage prints.
def selftest_report(t):
    """The known base report (KNOWN_BASE[0]) as the console shows it, at
    kernel time T."""
    lines = ["------------[ cut here ]------------",
             "WARNING: CPU: 0 PID: 1 at kernel/workqueue.c:3066 "
             "__flush_work+0x3c/0x3e0",
             "Call trace:", " __flush_work+0x3c/0x3e0",
             " schedule_on_each_cpu+0xd8/0x160",
             " rcu_tasks_rude_wait_gp+0x2c/0x40",
             "---[ end trace 0000000000000000 ]---"]
    return "".join("[%12.6f] %s\n" % (t + i / 1e6, l)
                   for i, l in enumerate(lines))


SELFTEST_BOOT = """\
[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x000f0510]
[    0.007022] Testing tracer function: 
[    0.300000] ftrace: allocating 16265 entries in 64 pages
[    0.407556] PASSED
[    0.407600] Testing dynamic ftrace: PASSED
""" + selftest_report(0.41) + """\
[    0.450000] smp: Brought up 1 node, 2 CPUs
[    0.500000] Testing event sched_switch: OK
[    0.600000] Testing tracer nop: FAILED!
"""
SELFTEST_CONSOLE = SELFTEST_BOOT + """\
@@FTARM guest up: 6.1.0-selftest 2 cpus
@@FTARM begin demo
demo output
@@FTARM end demo rc=0
@@FTARM begin dmesg
{DMESG}@@FTARM end dmesg rc=0
@@FTARM done
"""


def cmd_selftest(a):
    """Parse consoles made up here and check every record the harness
    relies on: the boot self-tests (from the dmesg stage and from the
    console), the known base report and its copy, a late report."""
    known = "known base report: " + KNOWN_BASE[0][0]
    clean = "no warnings, oopses or panics"
    boot = [("boot-selftest", "tracer function", "PASS"),
            ("boot-selftest", "dynamic ftrace", "PASS"),
            ("boot-selftest", "event sched_switch", "PASS"),
            ("boot-selftest", "tracer nop", "FAIL"),
            ("guest", "demo", "PASS"),
            ("guest", "guest reached the end", "PASS")]
    known_only = [("kernel-log", known, "UNRESOLVED"),
                  ("kernel-log", clean, "PASS")]
    runs = [
        # dmesg printed the boot again: the self-tests come from it, and
        # the report's copy is still the known one.
        ("dmesg stage with the boot's lines", SELFTEST_BOOT,
         boot + known_only),
        # dmesg cleared by a stage (guest/probes.sh): from the console.
        ("empty dmesg stage", "", boot + known_only),
        # The same report after the boot is not the known one.
        ("a late copy of the known report",
         SELFTEST_BOOT + selftest_report(50),
         boot + [("kernel-log", clean, "FAIL")]),
    ]
    bad = checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, dmesg, want in runs:
            console = os.path.join(tmp, "console.log")
            out = os.path.join(tmp, "out.json")
            with open(console, "w") as f:
                f.write(SELFTEST_CONSOLE.replace("{DMESG}", dmesg))
            cmd_parse(argparse.Namespace(
                kernel="base", mode="near", console=console, src=tmp,
                out=out, base_version="selftest", base_pin="selftest",
                config_sha1="", config=[], subset=False))
            got = {(r["suite"], r["name"]): r["result"]
                   for r in json.load(open(out))["results"]}
            n = sum(1 for r in got if r[0] == "boot-selftest")
            if n != 4:
                bad += 1
                print("results.py selftest: %s: %d boot self-tests parsed, "
                      "not 4: %s" % (what, n, sorted(got)))
            for suite, name, result in want:
                checks += 1
                if got.get((suite, name)) != result:
                    bad += 1
                    print("results.py selftest: %s: %s %r is %s, not %s" % (
                        what, suite, name, got.get((suite, name), "MISSING"),
                        result))
    print("results.py selftest: %d checks, %d failed" % (checks, bad))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("parse")
    p.add_argument("--kernel", required=True)
    p.add_argument("--mode", required=True)
    p.add_argument("--console", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--base-version", default="unknown")
    p.add_argument("--base-pin", default="unknown")
    p.add_argument("--config-sha1", default="")
    p.add_argument("--config", nargs="*", default=[])
    p.add_argument("--subset", action="store_true",
                   help="a chosen subset of ftracetest: not compared with "
                   "the baseline")
    s = sub.add_parser("summary")
    s.add_argument("--out-md", required=True)
    s.add_argument("--baseline", action="append", default=[])
    s.add_argument("json", nargs="+")
    c = sub.add_parser("compare")
    c.add_argument("--suite", required=True)
    c.add_argument("--out-md", required=True)
    c.add_argument("--fail-on", action="append", default=[])
    c.add_argument("json", nargs="+")
    b = sub.add_parser("baseline-ok")
    b.add_argument("file")
    b.add_argument("--config-sha1", required=True)
    b.add_argument("--base-version", required=True)
    t = sub.add_parser("times")
    t.add_argument("--top", type=int, default=10)
    t.add_argument("json", nargs="+")
    sub.add_parser("selftest")
    a = ap.parse_args()
    if a.cmd == "selftest":
        return cmd_selftest(a)
    if a.cmd == "times":
        cmd_times(a)
        return 0
    if a.cmd == "baseline-ok":
        base = json.load(open(a.file))
        return 0 if baseline_matches(base, a.config_sha1, "linux-source-6.1 "
                                     + a.base_version) else 1
    if a.cmd == "parse":
        cmd_parse(a)
        return 0
    if a.cmd == "compare":
        return cmd_compare(a)
    return cmd_summary(a)


if __name__ == "__main__":
    sys.exit(main())
