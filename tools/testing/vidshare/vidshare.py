#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the vidshare test guest under QEMU and judge what it reports.

The guest (guest-init.sh) sends results and oracle requests over its second
serial port, a unix socket this script listens on. Oracles look at the
emulated hardware without going through the driver: QMP's monitor reads
guest-physical memory, and QMP's screendump grabs the screen as PNG, which
PIL reads. KUnit's KTAP (the suites' results in debugfs) and the
selftests' TAP are parsed with the kernel's own tools/testing/kunit/kunit.py.
What the guest runs and how it is judged are the plans file next to this
script, which the guest reads too.

Runs under Debian's python3 (/usr/bin/python3): it needs python3-pil.
"""

import argparse
import functools
import json
import os
import re
import select
import shlex
import socket
import subprocess
import sys
import time

from PIL import Image

# What the kernel prints when something went wrong: BUG/WARNING (lockdep,
# KASAN, DEBUG_VM, DEBUG_LIST and sleep-in-atomic reports all start so),
# oopses, panics, lockdep INFO reports, kmemleak, and x86 PAT's complaints
# about its bookkeeping (a memory type freed twice or never reserved,
# conflicting reservations, mappings of another type than the reserved
# one: pr_info() lines, not WARNs).
SPLAT = re.compile(r"(\bBUG:|\bWARNING:|\bUBSAN:|\bOops\b|Kernel panic|kernel BUG at|"
                   r"general protection fault|\bINFO: (possible|task .* blocked)|"
                   r"DEBUG_LOCKS_WARN_ON|unreferenced object|list_(add|del) corruption|"
                   r"Call Trace:|"
                   r"x86/PAT: .*(failed|invalid memtype|conflicting memory types|map pfn|"
                   r"Incorrect memtype))")


def early_splat(text):
    """The first splat of console text @text if it comes before any line of
    vidshare (the module loader's "vidshare: loading out-of-tree module
    taints kernel.", printed before its init runs, or the guest's
    "vidshare-init:"): the kernel's own boot went wrong before any code of
    vidshare ran. Else None."""
    for line in text.splitlines():
        if "vidshare" in line and "command line" not in line:
            return None
        if SPLAT.search(line):
            return line
    return None


# The picture vidsharectl's "pattern" draws: 8 bars over 3/4, then a ramp.
BARS = [0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000]
# The test plans, which the guest reads too (its /plans): see the file.
PLANS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plans")
JUDGES = ("rc", "tap", "tap+rc", "ktap", "leaks", "oracle", "adapters", "log")
# WHEN: the kernel config option the guest's condition stands for.
WHEN = {"-": None, "kunit": "CONFIG_KUNIT", "kmemleak": "CONFIG_DEBUG_KMEMLEAK"}


class Entry:
    """One entry of the plans file: a block the guest runs and its judge."""

    def __init__(self, words):
        self.plan, self.block, self.when, self.judge, self.verdict, *self.command = words


@functools.cache
def read_plans(path=PLANS):
    """The plans file, read once: {plan: {"entries": [Entry], "qemu": [...],
    "append": [...], "adapter": {LABEL: [QEMU-DEVICE, FACT...]},
    "boot": {NAME: [LABEL...]}}}."""
    plans = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            words = shlex.split(line)
            plan = plans.setdefault(words[0], {"entries": [], "qemu": [], "append": [],
                                               "adapter": {}, "boot": {}})
            if words[1] in (":adapter", ":boot"):
                plan[words[1][1:]][words[2]] = words[3:]
                continue
            if words[1].startswith(":"):
                plan[words[1][1:]] += words[2:]
                continue
            if len(words) < 6 or words[2] not in WHEN or words[3] not in JUDGES:
                raise ValueError(f"{path}:{n}: not PLAN BLOCK WHEN JUDGE VERDICT COMMAND...")
            plan["entries"].append(Entry(words))
    return plans


class Results:
    """Named test verdicts, printed as they come and counted at the end.

    Every verdict belongs to a cell, KERNEL/ADAPTER, of the matrix that
    make check prints. In the adapters plan, blocks and oracles are named
    LABEL.WHAT, and their verdicts go to the cell of adapter LABEL.
    """

    def __init__(self, prefix="", cell=""):
        self.items = []
        self.prefix = prefix
        self.cell = cell
        self.labels = False

    def cell_of(self, name):
        """The cell of a block or oracle named name."""
        if self.labels and "." in name:
            return self.cell.split("/")[0] + "/" + name.split(".", 1)[0]
        return self.cell

    def add(self, name, status, detail="", cell=None):
        name = self.prefix + name
        self.items.append((name, status, self.cell if cell is None else cell))
        line = f"{status:4} {name}"
        print(line + (f": {detail}" if detail else ""), flush=True)

    def count(self, status):
        return sum(1 for _, s, _ in self.items if s == status)


class Qmp:
    """A minimal QMP client over a unix socket."""

    def __init__(self, path, timeout=60):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.file = self.sock.makefile("rw")
        self.events = []
        self._read()
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg
            self.events.append(msg)

    def wait_event(self, name, device, deadline):
        """Wait for event name about device (QMP id); False on timeout."""
        while True:
            for ev in self.events:
                if ev["event"] == name and ev.get("data", {}).get("device") == device:
                    self.events.remove(ev)
                    return True
            if time.time() > deadline:
                return False
            time.sleep(0.2)
            self.cmd("query-status")  # reads the events that came meanwhile

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"QMP {name}: {reply['error']}")
        return reply["return"]

    def qdev_of(self, pci):
        """The QEMU id of the device at guest PCI address DDDD:BB:SS.F."""
        bus, slot, fn = (int(x, 16) for x in re.split("[:.]", pci)[1:])

        def walk(devices):
            for d in devices:
                if (d["bus"], d["slot"], d["function"]) == (bus, slot, fn):
                    return d.get("qdev_id", "")
                found = walk(d.get("pci_bridge", {}).get("devices", []))
                if found is not None:
                    return found
            return None

        for b in self.cmd("query-pci"):
            found = walk(b["devices"])
            if found is not None:
                return found
        return None

    def read_words(self, phys, count):
        out = self.cmd("human-monitor-command",
                       **{"command-line": f"xp /{count}wx {phys:#x}"})
        return [int(w, 16) for w in re.findall(r"0x([0-9a-fA-F]{8})\b", out.split(":", 1)[1])]


def pattern_mismatches(path, w, h):
    """Compare a screendump with the vidshare picture at sample points."""
    with Image.open(path) as img:
        pic = img.convert("RGB")
    pw, ph = pic.size
    if (pw, ph) != (w, h):
        return [f"screen is {pw}x{ph}, expected {w}x{h}"]
    bad = []
    samples = [((2 * b + 1) * w // 16, y, BARS[b]) for b in range(8)
               for y in (0, h // 3, h * 3 // 4 - 1)]
    samples += [(x, y, (x * 255 // (w - 1)) * 0x010101)
                for x in range(0, w, w // 16) for y in (h * 3 // 4, h - 1)]
    for x, y, want in samples:
        r, g, b = pic.getpixel((x, y))
        got = (r << 16) | (g << 8) | b
        if got != want:
            bad.append(f"({x},{y}) is {got:06x}, expected {want:06x}")
    return bad


def kunit_parse(ksrc, text, results, prefix, cell=None):
    """Feed text to kunit.py parse and record every test case it reports."""
    proc = subprocess.run([sys.executable, os.path.join(ksrc, "tools/testing/kunit/kunit.py"),
                           "parse", "--json"], input=text, capture_output=True, text=True)
    try:
        tree = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        results.add(f"{prefix}: parse", "FAIL", "kunit.py parse found no results", cell)
        return

    def walk(group, path):
        n = 0
        for case in group["test_cases"]:
            status = {"PASS": "PASS", "SKIP": "SKIP"}.get(case["status"], "FAIL")
            results.add(f"{prefix}: {'.'.join(path + [case['name']])}", status, cell=cell)
            n += 1
        for sub in group["sub_groups"]:
            n += walk(sub, path + [sub["name"]])
        return n

    # A program that did not run at all (not found, killed at once)
    # prints no test.
    if not walk(tree, []):
        results.add(f"{prefix}: parse", "FAIL", "kunit.py parse found no tests: "
                    + text.strip()[-400:], cell)


def check_screen(qmp, outdir, name, w, h, deadline, pci=None):
    """The screen (of the adapter at guest PCI address pci) shows the picture."""
    path = os.path.join(outdir, f"{name}.png")
    dev = {}
    if pci:
        qdev = qmp.qdev_of(pci)
        if not qdev:
            return [f"QEMU has no id for the device at {pci}"]
        dev = {"device": qdev}
    bad = ["no screendump"]
    while time.time() < deadline:
        qmp.cmd("screendump", filename=path, format="png", **dev)
        bad = pattern_mismatches(path, w, h)
        if not bad:
            return []
        time.sleep(1)
    return bad


def check_mem(qmp, phys, words, deadline):
    got = []
    while time.time() < deadline:
        got = qmp.read_words(phys, len(words))
        if got == words:
            return []
        time.sleep(0.5)
    return [f"guest-physical {phys:#x} holds {' '.join(f'{g:#010x}' for g in got)}"]


def adapters_boot(plan, name):
    """QEMU arguments and kernel command line of a boot of the adapters plan:
    the plan's machine with the boot's adapters (see the plans file), and
    vidshare_test.boot=NAME, which tells the guest which adapters to expect."""
    qemu = list(plan["qemu"])
    for label in plan["boot"][name]:
        qemu += ["-device", f"{plan['adapter'][label][0]},id={label}"]
    return qemu, f"vidshare_test.boot={name}"


def hotplug_device(machine):
    """The adapter the hotplug plan unplugs: the last -device of its QEMU
    arguments (see the plans file), as device_add takes it."""
    spec = machine[len(machine) - 1 - machine[::-1].index("-device") + 1]
    driver, *props = spec.split(",")
    return {"driver": driver, **dict(p.split("=", 1) for p in props)}


def hotplug(qmp, device, what, deadline):
    """device_del (and wait for DEVICE_DELETED) or device_add the adapter."""
    try:
        if what == "UNPLUG":
            qmp.cmd("device_del", id=device["id"])
            if not qmp.wait_event("DEVICE_DELETED", device["id"], deadline):
                return "no DEVICE_DELETED event"
        else:
            qmp.cmd("device_add", **device)
    except RuntimeError as e:
        return str(e)
    return ""


def disks(paths):
    """QEMU's options for disk images, /dev/vda, /dev/vdb... in the guest.
    snapshot=on: what the guest writes goes to a temporary file, never
    to the image (a cached one stays as its recipe made it)."""
    return [a for p in paths for a in
            ("-drive", f"file={p},format=raw,if=virtio,snapshot=on")]


def boot(args, results, attempt=1):
    os.makedirs(args.out, exist_ok=True)
    res_path = os.path.join(args.out, "results.sock")
    qmp_path = os.path.join(args.out, "qmp.sock")
    console = os.path.join(args.out, "console.log")
    for p in (res_path, qmp_path):
        if os.path.exists(p):
            os.unlink(p)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(res_path)
    listener.listen(1)

    accel = ["-accel", "kvm"] if os.environ.get("VIDSHARE_KVM") == "1" else ["-accel", "tcg"]
    plan = read_plans()[args.plan]
    append = " ".join(plan["append"] + ([args.append] if args.append else []))
    if args.plan == "adapters":
        machine, expect = adapters_boot(plan, args.boot)
        append = f"{append} {expect}".strip()
    elif args.qemu:
        machine = shlex.split(args.qemu)
    else:
        machine = plan["qemu"] or ["-machine", "pc", "-device", "VGA,id=vga"]
    device = hotplug_device(machine) if args.plan == "hotplug" else None
    cmd = ["qemu-system-x86_64", *accel, machine[0], machine[1], "-cpu", "max", "-smp", str(args.smp),
           "-m", "1536", "-nic", "none", "-no-reboot", "-display", "none",
           *machine[2:], *disks(args.disk), "-kernel", args.kernel, "-initrd", args.initrd,
           # A log buffer that holds what a whole plan prints: the judge
           # reads dmesg at the end, and dev_dbg() lines are many.
           "-append", f"console=ttyS0 loglevel=5 panic=-1 log_buf_len=32M vidshare_test.plan={args.plan}"
           + (f" vidshare_test.stress={','.join(args.stress.split())}" if args.stress else "")
           + (f" {append}" if append else ""),
           "-serial", f"file:{console}",
           "-chardev", f"socket,id=res,path={res_path}", "-serial", "chardev:res",
           "-qmp", f"unix:{qmp_path},server=on,wait=off"]
    print("+ " + " ".join(cmd), flush=True)
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    deadline = time.time() + args.timeout
    listener.settimeout(60)
    conn, _ = listener.accept()
    qmp = Qmp(qmp_path)
    blocks, buf, done, block, oracles = {}, b"", False, None, set()
    plugs = {"UNPLUG": 0, "PLUG": 0, "failed": []}

    def reply(ok):
        try:
            conn.sendall(b"ok\n" if ok else b"fail\n")
        except OSError:
            pass  # QEMU is gone; what it sent is still read

    def ask_qemu(check, *a):
        """An oracle's mismatches, or QEMU gone (killed, crashed, or powered
        off by a guest that did not wait for the answer) as one."""
        try:
            return check(*a)
        except (OSError, EOFError, ValueError) as e:
            return [f"QEMU is gone: {e}"]

    # Once QEMU is gone, what it sent last may still wait in the socket:
    # read on until that is empty too.
    first = True
    while not done and time.time() < deadline:
        ready, _, _ = select.select([conn], [], [], 1)
        if not ready:
            if qemu.poll() is not None:
                break
            continue
        chunk = conn.recv(65536)
        if not chunk:
            break
        # The guest's first words come after its first command, by when
        # the kernel's boot is on the console. A splat there, before any
        # code of vidshare ran (seen once: KASAN in an interrupt during
        # the debug kernel's identify_cpu() under TCG), says nothing
        # about vidshare: boot once more, as below.
        bad = early_splat(open(console, errors="replace").read()) if first else None
        first = False
        if bad and attempt == 1:
            qemu.kill()
            qemu.wait(timeout=30)
            conn.close()
            listener.close()
            qmp.sock.close()
            os.replace(console, os.path.join(args.out, "console-boot1.log"))
            print(f"host: the kernel's boot splat before vidshare ran ({bad.strip()}); "
                  "booting again", flush=True)
            return boot(args, results, attempt + 1)
        buf += chunk
        while b"\n" in buf:
            raw, buf = buf.split(b"\n", 1)
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if block is not None and not line.startswith("@@END "):
                block[1].append(line)
                continue
            words = line[2:].split() if line.startswith("@@") else []
            if not words:
                continue
            if words[0] == "BEGIN":
                block = (words[1], [])
            elif words[0] == "END" and block:
                blocks[block[0]] = (int(words[2]), "\n".join(block[1]) + "\n")
                block = None
            elif words[0] == "ORACLE-MEM":
                name, phys = words[1], int(words[2], 16)
                want = [int(w, 16) for w in words[3:]]
                bad = ask_qemu(check_mem, qmp, phys, want, min(deadline, time.time() + 60))
                oracles.add(name)
                results.add(f"oracle: {name}", "FAIL" if bad else "PASS", "; ".join(bad),
                            results.cell_of(name))
                reply(not bad)
            elif words[0] == "ORACLE-SCREEN":
                name, w, h = words[1], int(words[2]), int(words[3])
                bad = ask_qemu(check_screen, qmp, args.out, name, w, h,
                               min(deadline, time.time() + 120), words[4] if len(words) > 4 else None)
                oracles.add(name)
                results.add(f"oracle: {name}", "FAIL" if bad else "PASS", "; ".join(bad[:5]),
                            results.cell_of(name))
                reply(not bad)
            elif words[0] in ("ORACLE-UNPLUG", "ORACLE-PLUG"):
                what = words[0].split("-")[1]
                t0 = time.time()
                bad = hotplug(qmp, device, what, min(deadline, t0 + 60))
                plugs[what] += 1
                print(f"host: {what.lower()} {words[1]}: {bad or 'done'} in {time.time() - t0:.1f} s",
                      flush=True)
                if bad:
                    plugs["failed"].append(f"{what.lower()}: {bad}")
                reply(not bad)
            elif words[0] == "DONE":
                done = True
    if qemu.poll() is None:
        if not done:
            qemu.kill()
        try:
            qemu.wait(timeout=30)
        except subprocess.TimeoutExpired:
            qemu.kill()
    # A kernel that dies while it boots, before /init ran anything, says
    # nothing about vidshare (seen once: an int3 oops in the stock 6.12
    # kernel's own text patching under TCG, with no module loaded). Boot
    # once more, once; the first console stays as console-boot1.log.
    text = open(console, errors="replace").read()
    if not done and not blocks and "vidshare-init:" not in text and attempt == 1:
        conn.close()
        listener.close()
        qmp.sock.close()
        os.replace(console, os.path.join(args.out, "console-boot1.log"))
        first = [l for l in text.splitlines() if SPLAT.search(l)][:1]
        print(f"host: the kernel died before /init ran anything ({'; '.join(first)}); "
              "booting again", flush=True)
        return boot(args, results, attempt + 1)
    results.add("guest: ran to the end", "PASS" if done else "FAIL",
                "" if done else f"guest stopped early; see {console}")
    if args.plan == "hotplug":
        ok = plugs["UNPLUG"] and plugs["PLUG"] and not plugs["failed"]
        results.add("host: device_del and device_add of the adapter", "PASS" if ok else "FAIL",
                    f"{plugs['UNPLUG']} unplugs, {plugs['PLUG']} plugs"
                    + (": " + "; ".join(plugs["failed"][:3]) if plugs["failed"] else ""))
    with open(os.path.join(args.out, "blocks.json"), "w") as f:
        json.dump(blocks, f, indent=1)
    return blocks, text, oracles


def kconfig(args, option):
    """Whether the booted kernel's config has option =y or =m.

    The config is --config, or found next to --kernel: the .config of a
    build tree's arch/x86/boot/bzImage, config-RELEASE next to
    vmlinuz-RELEASE (as in /boot).
    """
    path = args.config
    if not path:
        kernel = os.path.abspath(args.kernel)
        if kernel.endswith("/arch/x86/boot/bzImage"):
            path = kernel[:-len("arch/x86/boot/bzImage")] + ".config"
        else:
            path = os.path.join(os.path.dirname(kernel),
                                os.path.basename(kernel).replace("vmlinuz-", "config-", 1))
    with open(path) as f:
        return any(re.match(rf"{option}=[ym]$", line) for line in f)


def ktap_documents(text):
    """The KTAP documents in text, one a suite as debugfs prints them."""
    docs = []
    for line in text.splitlines():
        if line.startswith("KTAP version"):
            docs.append([])
        if docs:
            docs[-1].append(line)
    return ["\n".join(d) + "\n" for d in docs]


def judge(args, results, blocks, console, oracles):
    """Judge the blocks of the plan's entries (the plans file)."""
    judged = set()

    def missing(name):
        return f"block {name} never arrived"

    def rc_ok(name, verdict):
        """The verdict that block name arrived and exited 0."""
        judged.add(name)
        rc, out = blocks.get(name, (None, ""))
        detail = ("" if rc == 0 else missing(name) if rc is None
                  else f"rc={rc}: {out.strip()[-400:]}")
        results.add(verdict, "PASS" if rc == 0 else "FAIL", detail, results.cell_of(name))

    def tap(name, prefix):
        """Every test of the TAP or KTAP of block name; a FAIL when it never arrived."""
        judged.add(name)
        if name not in blocks:
            results.add(f"{prefix}: parse", "FAIL", missing(name), results.cell_of(name))
            return
        kunit_parse(args.ksrc, blocks[name][1], results, prefix, results.cell_of(name))

    def oracle(name, guest=True):
        """The host's oracle name was asked for, and (with guest) the
        guest's side of it."""
        if name not in oracles:
            results.add(f"oracle: {name}", "FAIL", "the guest never asked for it",
                        results.cell_of(name))
        if guest:
            rc_ok(f"{name}-guest", f"guest: {name}-guest")

    for e in read_plans()[args.plan]["entries"]:
        if WHEN[e.when] and not kconfig(args, WHEN[e.when]):
            continue
        name = e.block
        if e.judge == "rc":
            rc_ok(name, f"guest: {e.verdict}")
        elif e.judge in ("tap", "tap+rc"):
            tap(name, e.verdict)
            if e.judge == "tap+rc":
                rc_ok(name, f"guest: {e.verdict} exited 0")
        elif e.judge == "ktap":
            judged.add(name)
            docs = ktap_documents(blocks.get(name, (None, ""))[1])
            if not docs:
                results.add(f"{e.verdict}: parse", "FAIL",
                            missing(name) if name not in blocks else "no KTAP")
            for doc in docs:
                kunit_parse(args.ksrc, doc, results, e.verdict)
        elif e.judge == "leaks":
            judged.add(name)
            rc, leaks = blocks.get(name, (None, ""))
            results.add(f"guest: {e.verdict}", "PASS" if rc == 0 and not leaks.strip()
                        else "FAIL", missing(name) if rc is None else leaks.strip()[:400])
        elif e.judge == "oracle":
            oracle(name)
        elif e.judge == "adapters":
            judge_adapters(args, results, blocks, oracles, judged, rc_ok, tap, oracle)
        elif e.judge == "log":
            judged.add(name)
            if name not in blocks:
                results.add(f"guest: {name} arrived", "FAIL", missing(name))
    # The guest's side of an oracle no entry names (a failed one's).
    for name in blocks:
        if name.endswith("-guest") and name not in judged:
            rc_ok(name, f"guest: {name}")
    dmesg = blocks.get("dmesg", (1, ""))[1]
    splats = [l for l in (console + dmesg).splitlines() if SPLAT.search(l)]
    results.add("guest: no kernel splat", "FAIL" if splats else "PASS",
                "; ".join(dict.fromkeys(s.strip() for s in splats[:5])))


def judge_adapters(args, results, blocks, oracles, judged, rc_ok, tap, oracle):
    """The blocks LABEL.WHAT of the adapters function, for every adapter
    LABEL of the boot. Each must have been found, and run its selftests,
    its oracles and the revoke tests."""
    adapters = read_plans()["adapters"]
    for label in adapters["boot"][args.boot]:
        if f"{label}.found" in blocks:
            judged.add(f"{label}.found")
            results.add(f"{label}: found and bound", "FAIL",
                        blocks[f"{label}.found"][1].strip()[-400:], results.cell_of(label + "."))
        tap(f"{label}.selftests", f"{label}: selftests")
        # QEMU-DEVICE VENDOR DEVICE CLASS BAR BARLEN FBSIZE WC MODES BIND
        if adapters["adapter"][label][8] == "dispi":
            oracle(f"{label}.oracle_screen")
        oracle(f"{label}.oracle_first_words")
        oracle(f"{label}.oracle_last_word")
        oracle(f"{label}.oracle_still_its_own_words", guest=False)
        tap(f"{label}.revoke", f"{label}: revoke")
    # Once a boot, on its first uncached adapter; what binds through
    # driver_override, where the guest has its driver.
    for name in blocks:
        label, _, what = name.partition(".")
        if name in judged:
            continue
        if what == "input_tests":
            tap(name, f"{label}: {what}")
        elif what in ("bound_through_ids", "given_back_to_its_driver", "claimed_from_its_driver",
                      "released_to_its_driver"):
            rc_ok(name, f"{label}: {what.replace('_', ' ')}")


def self_check(outdir, results):
    """Show that the harness's own detectors can fail."""
    splats = ["[  5.1] BUG: KASAN: slab-use-after-free in vidshare_vm_close+0x1/0x2",
              "[  5.1] WARNING: possible circular locking dependency detected",
              "[  5.1] WARNING: CPU: 1 PID: 7 at mm/memory.c:1 zap_vma_ptes+0x1/0x2",
              "[  5.1] BUG: sleeping function called from invalid context at mm/x.c:1",
              "unreferenced object 0xffff888 (size 64):",
              "[  5.1] list_del corruption. prev->next should be ffff",
              "[  5.1] Oops: general protection fault, probably for non-canonical address",
              "[  5.1] INFO: possible irq lock inversion dependency detected",
              "[  5.1] x86/PAT: vidshare_stress:438 freeing invalid memtype [mem 0xfd000000-0xfd000fff]",
              "[  5.1] x86/PAT: vidshare_test:71 conflicting memory types fd000000-fd001000 "
              "write-combining<->uncached-minus",
              "[  5.1] x86/PAT: memtype_reserve failed [mem 0xfd000000-0xfd000fff], track "
              "write-combining, req uncached-minus",
              "[  5.1] x86/PAT: a:1 map pfn expected mapping type uncached-minus for [mem "
              "0xfd000000-0xfd000fff], got write-combining",
              "[  5.1] x86/PAT: Incorrect memtype 0x4 for [mem 0xfd000000-0xfd000fff]"]
    benign = ["[  1.2] rcu: \tRCU lockdep checking is enabled.",
              "[  1.2] ... MAX_LOCKDEP_SUBCLASSES:  8",
              "[  1.2] kasan: KernelAddressSanitizer initialized",
              "[  1.2] kmemleak: Kernel memory leak detector initialized (mem pool available: 1)",
              "[  0.0] x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  ",
              "[  0.0] x86/PAT: PAT support disabled via boot option."]
    missed = [l for l in splats if not SPLAT.search(l)] + [l for l in benign if SPLAT.search(l)]
    results.add("harness: splat detector", "FAIL" if missed else "PASS", "; ".join(missed))

    # A boot splat before vidshare's first line, and none after it.
    boot_splat = "[  2.1] BUG: KASAN: wild-memory-access in do_raw_spin_lock+0x130/0x1de"
    loaded = "[  6.5] vidshare: loading out-of-tree module taints kernel."
    init = "vidshare-init: running insmod"
    cases = [([boot_splat, init, loaded], True), ([init, loaded, boot_splat], False),
             ([loaded, splats[0]], False), (benign + [init], False),
             (["[  0.0] Kernel command line: vidshare_test.plan=check", boot_splat, loaded], True)]
    wrong = [str(i) for i, (lines, want) in enumerate(cases)
             if bool(early_splat("\n".join(lines))) != want]
    results.add("harness: a boot splat before vidshare ran is told apart",
                "FAIL" if wrong else "PASS", "cases " + ", ".join(wrong) if wrong else "")

    os.makedirs(outdir, exist_ok=True)
    w, h = 64, 48

    def picture(x, y):
        return BARS[x * 8 // w] if y < h * 3 // 4 else (x * 255 // (w - 1)) * 0x010101

    def save(name, pixel, size=(w, h)):
        img = Image.new("RGB", size)
        img.putdata([tuple(pixel(x, y).to_bytes(3, "big"))
                     for y in range(size[1]) for x in range(size[0])])
        path = os.path.join(outdir, name)
        img.save(path)
        return path

    bad = []
    # PNG as QEMU's screendump writes it, and PPM, its other format.
    for ext in ("png", "ppm"):
        if pattern_mismatches(save(f"self-check-good.{ext}", picture), w, h):
            bad.append(f"{ext}: good picture refused")
        path = save(f"self-check-pixel.{ext}",
                    lambda x, y: picture(x, y) ^ (1 if (x, y) == (4, 0) else 0))
        if not pattern_mismatches(path, w, h):
            bad.append(f"{ext}: one wrong pixel accepted")
        path = save(f"self-check-size.{ext}", picture, (w, h + 1))
        if not pattern_mismatches(path, w, h):
            bad.append(f"{ext}: wrong size accepted")
    results.add("harness: picture check refuses a wrong picture", "FAIL" if bad else "PASS", "; ".join(bad))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--self-check", action="store_true",
                    help="only check the harness's own detectors")
    ap.add_argument("--plan", choices=sorted(read_plans()))
    ap.add_argument("--kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--ksrc", help="kernel source tree (for kunit.py)")
    ap.add_argument("--config", help="the kernel's .config (default: found next to --kernel): "
                    "KUnit and kmemleak are expected only where it has them")
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=1200)
    ap.add_argument("--results", help="append verdicts as JSON lines here")
    ap.add_argument("--prefix", default="", help="put this before every verdict's name")
    ap.add_argument("--cell", default="",
                    help="KERNEL/ADAPTER: the cell of the matrix this boot's verdicts go to")
    ap.add_argument("--qemu", default="",
                    help="machine and device arguments for QEMU, instead of the plan's")
    ap.add_argument("--append", default="", help="more for the kernel command line")
    ap.add_argument("--disk", action="append", default=[],
                    help="a raw disk image for the guest, in order /dev/vda, /dev/vdb...")
    ap.add_argument("--smp", type=int, default=2, help="virtual CPUs (default 2)")
    ap.add_argument("--boot", choices=sorted(read_plans()["adapters"]["boot"]),
                    default="multi-std",
                    help="the adapters plan's boot: which adapters")
    ap.add_argument("--stress", default="",
                    help="more vidshare_stress options for every stress run in the guest")
    args = ap.parse_args()
    results = Results(args.prefix, args.cell)
    results.labels = args.plan == "adapters"
    if args.self_check:
        self_check(args.out, results)
    else:
        blocks, console, oracles = boot(args, results)
        judge(args, results, blocks, console, oracles)
    if args.results:
        # One write(2) to a file opened O_APPEND: guests that run at the
        # same time cannot interleave their lines.
        text = "".join(json.dumps({"name": name, "status": status, "cell": cell}) + "\n"
                       for name, status, cell in results.items).encode()
        fd = os.open(args.results, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            while text:
                text = text[os.write(fd, text):]
        finally:
            os.close(fd)
    # Verdicts are in --results; the exit code only says whether this ran.
    return 0 if args.results or not results.count("FAIL") else 1


if __name__ == "__main__":
    sys.exit(main())
