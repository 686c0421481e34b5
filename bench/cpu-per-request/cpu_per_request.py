#!/usr/bin/python3
"""CPU per request of the service (the silo and its engine-host processes) against the bare command-line tools on the
same sentences, in the same run; and HTTP throughput against the bare engine on all cores. See run.sh."""
import argparse, json, os, random, re, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(REPO, "bench", "Orleans.Tts.Bench", "Corpus")
TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count()
LAME_QUALITY = 5  # the service's setting (Audio/Codecs/Mp3Encoder.cs); mp3_quality.py is why


def english(seed, n):
    """n unique sentences: 18 words drawn from the English corpus and a 9-digit number (about 11 s of audio each)."""
    words = sorted({w.lower() for line in open(os.path.join(CORPUS, "english.txt")) for w in re.findall(r"[A-Za-z]+", line)})
    r = random.Random(seed)
    out = []
    for _ in range(n):
        ws = [r.choice(words) for _ in range(18)]
        out.append(" ".join([ws[0].capitalize()] + ws[1:]) + f" {r.randint(100_000_000, 999_999_999)}.")
    return out


def mandarin(seed, n):
    """n unique sentences: a Mandarin corpus sentence with a 9-digit number (read as Chinese digits) before its full stop."""
    lines = [l.strip() for l in open(os.path.join(CORPUS, "mandarin.txt"), encoding="utf-8") if l.strip()]
    r = random.Random(seed)
    return [f"{r.choice(lines).rstrip('。！？')}，编号{r.randint(100_000_000, 999_999_999)}。" for _ in range(n)]


def descendants(pid):
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                s = open(f"/proc/{d}/stat").read()
                children.setdefault(int(s[s.rfind(")") + 2:].split()[1]), []).append(int(d))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            f = open(f"/proc/{p}/stat").read()
            f = f[f.rfind(")") + 2:].split()
            total += int(f[11]) + int(f[12])
        except OSError:
            pass
    return total / TICK


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_tools(commands):
    """Runs the commands one after another; their total user+system CPU seconds."""
    cpu = 0.0
    for cmd in commands:
        pid = os.spawnvp(os.P_NOWAIT, cmd[0], cmd)
        _, status, usage = os.wait4(pid, 0)
        if status != 0:
            sys.exit(f"{' '.join(cmd)} failed ({status})")
        cpu += usage.ru_utime + usage.ru_stime
    return cpu


def post_all(port, bodies, connections):
    """POSTs every body once over `connections` keep-alive connections; fails on any status but 200."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    errors = []

    def worker(client):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue or errors:
                    return
                body = queue.pop()
            c.request("POST", "/v1/audio/speech", body, {"Content-Type": "application/json", "X-Api-Key": client})
            r = c.getresponse()
            data = r.read()
            if r.status != 200 or len(data) < 100:
                with lock:
                    errors.append(f"{r.status}: {data[:200]!r}")

    # Each connection is a client of its own (an unverified key label): admission lets one client hold only half of
    # the workers (TTS_CLIENT_MAX_SHARE), so a single client could never keep every engine host busy.
    threads = [threading.Thread(target=worker, args=(f"bench-cpu-{i}",)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"request failed: {errors[0]}")


class Silo:
    def __init__(self, dll, port, log):
        env = dict(os.environ, TTS_HOST="127.0.0.1", TTS_PORT=str(port))
        for k in ("TTS_POSTGRES", "ASPNETCORE_URLS"):
            env.pop(k, None)
        self.port = port
        self.log = open(log, "w")
        self.proc = subprocess.Popen(["dotnet", dll], env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the silo exited ({self.proc.returncode}); see {log}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/ready")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            sys.exit("the silo was not ready within 120 s")
        time.sleep(2)  # let start-up work settle before memory is read
        self.hosts = descendants(self.proc.pid)

    def pids(self):
        # Read again each time: an engine host that exits is replaced by a new process.
        self.hosts = descendants(self.proc.pid)
        return [self.proc.pid] + self.hosts

    def stop(self):
        # The silo alone: it stops its engine hosts itself (a host signalled with it would be replaced during the shutdown,
        # and such a replacement was once left behind). Whatever of its process group is left is then killed.
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        time.sleep(3)  # the silo gives its hosts 2 s to leave after their stdin closes
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()


def jit_seconds(port):
    """The silo's JIT compilation time so far (System.Runtime's dotnet.jit.compilation.time, from /metrics)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith("dotnet_jit_compilation_time_seconds_total"):
            return float(line.split()[-1])
    sys.exit("the silo's /metrics has no dotnet_jit_compilation_time_seconds_total")


def body(text, voice, fmt):
    return json.dumps({"model": "tts-1", "input": text, "voice": voice, "response_format": fmt}, ensure_ascii=False).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--silo", required=True)
    ap.add_argument("--pinyin-tool", required=True)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=20, help="wrk's run")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cases", default="en-wav,en-mp3,cmn-wav,throughput")
    a = ap.parse_args()
    cases = a.cases.split(",")
    tmp = tempfile.mkdtemp(prefix="cpu-per-request.")
    port = a.port or free_port()
    print(f"machine: {cpu_model()}, {CORES} cores; load average at start {loadavg()}")
    silo = Silo(a.silo, port, os.path.join(tmp, "silo.log"))
    try:
        idle = f"silo {rss_mb(silo.proc.pid):.0f} MB + engine hosts " + " + ".join(f"{rss_mb(h):.0f}" for h in silo.hosts) + " MB"
        print(f"idle memory (RSS): {idle}")
        # JIT tiering and first-use costs are start-up, not serving: unmeasured load on a fresh silo first, every case's
        # path, until a round of it leaves the JIT quiet (tier-1 recompilation of hot methods starts only once start-up
        # compilation has paused, so a fixed warm-up left it to the first measured round: 1.27-1.34x there, 1.08-1.17x after).
        warm_seed = 900
        for rnd in range(1, 21):
            before_jit = jit_seconds(port)
            for voice, fmt, n in (("espeak:en-us", "wav", 200), ("espeak:en-us", "mp3", 50), ("espeak:cmn", "wav", 50)):
                warm_seed += 1
                texts = english(warm_seed, n) if voice == "espeak:en-us" else mandarin(warm_seed, n)
                post_all(port, [body(t, voice, fmt) for t in texts], a.connections)
            jit_ms = (jit_seconds(port) - before_jit) * 1000
            print(f"warm-up round {rnd}: JIT {jit_ms:.0f} ms")
            if jit_ms < 20:
                break
        seed = 0
        for case in [c for c in cases if c != "throughput"]:
            ratios = []
            for rnd in range(1, a.rounds + 1):
                seed += 1
                lang, fmt = case.split("-")
                sentences = english(seed, a.requests) if lang == "en" else mandarin(seed, a.requests)
                voice = "espeak:en-us" if lang == "en" else "espeak:cmn"
                pids = silo.pids()
                before_jit = jit_seconds(port)
                before = cpu_seconds(pids)
                wall = time.time()
                post_all(port, [body(s, voice, fmt) for s in sentences], a.connections)
                wall = time.time() - wall
                jit_ms = (jit_seconds(port) - before_jit) * 1000
                service = (cpu_seconds(pids) - before) / len(sentences) * 1000
                text = os.path.join(tmp, f"{case}.txt")
                wav, mp3 = os.path.join(tmp, "bare.wav"), os.path.join(tmp, "bare.mp3")
                if lang == "en":
                    open(text, "w").write("\n".join(sentences) + "\n")
                    tools = [["espeak-ng", "-v", "en-us", "-f", text, "-w", wav]]
                else:
                    pinyin = subprocess.run(["dotnet", a.pinyin_tool, "pinyin"], input="\n".join(sentences) + "\n", capture_output=True,
                                            text=True, check=True).stdout
                    open(text, "w").write(pinyin)
                    tools = [["espeak-ng", "-v", "cmn-latn-pinyin", "-f", text, "-w", wav]]
                if fmt == "mp3":
                    tools.append(["lame", "--quiet", "-b", "64", "--cbr", "-q", str(LAME_QUALITY), wav, mp3])
                bare = run_tools(tools) / len(sentences) * 1000
                ratios.append(service / bare)
                print(f"{case} round {rnd}: service {service:.2f} ms CPU/request ({len(sentences) / wall:.0f} req/s), "
                      f"bare {' + '.join(t[0] for t in tools)} {bare:.2f} ms/sentence: {service / bare:.2f}x  (JIT {jit_ms:.0f} ms; load {loadavg()})")
            print(f"{case}: CPU per request / bare tools = {statistics.median(ratios):.2f}x median of {len(ratios)} "
                  f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
        if "throughput" in cases:
            throughput(port, silo, a, tmp)
        print(f"memory after the load (RSS): silo {rss_mb(silo.proc.pid):.0f} MB + engine hosts "
              + " + ".join(f"{rss_mb(h):.0f}" for h in silo.pids()[1:]) + " MB")
    finally:
        silo.stop()
    print(f"load average at the end {loadavg()}")


def throughput(port, silo, a, tmp):
    # Bare: the engine on every core, each process on its share of the sentences.
    sentences = english(5000, 300 * CORES)
    files = []
    for i in range(CORES):
        path = os.path.join(tmp, f"bare{i}.txt")
        open(path, "w").write("\n".join(sentences[i::CORES]) + "\n")
        files.append(path)
    start = time.time()
    procs = [subprocess.Popen(["espeak-ng", "-v", "en-us", "-f", f, "-w", f + ".wav"]) for f in files]
    for p in procs:
        p.wait()
    bare = len(sentences) / (time.time() - start)
    # HTTP: wrk, each request a sentence of its own (no cache hits), WAV.
    bodies = english(6000, 400 * a.seconds)
    lua = os.path.join(tmp, "bodies.lua")
    with open(lua, "w") as f:
        f.write("local bodies = {\n")
        for s in bodies:
            f.write("  " + json.dumps(json.dumps({"model": "tts-1", "input": s, "voice": "espeak:en-us", "response_format": "wav"})) + ",\n")
        f.write("}\n")
        f.write("local n, step, i = #bodies, 1, 1\n"
                "local threads = 0\n"
                "setup = function(thread) thread:set('first', threads); threads = threads + 1 end\n"
                f"init = function(args) i = first + 1; step = {a.connections} end\n"
                "request = function()\n"
                "  local b = bodies[i]; i = i + step; if i > n then error('out of unique sentences') end\n"
                "  return wrk.format('POST', '/v1/audio/speech', {['Content-Type'] = 'application/json', ['X-Api-Key'] = 'bench-wrk-' .. first}, b)\n"
                "end\n")
    pids = silo.pids()
    before = cpu_seconds(pids)
    # One wrk thread per connection, each a client of its own (see post_all).
    cmd = ["wrk", f"-t{a.connections}", f"-c{a.connections}", f"-d{a.seconds}s", "--timeout", "30s", "-s", lua, f"http://127.0.0.1:{port}"]
    out_path = os.path.join(tmp, "wrk.out")
    with open(out_path, "w") as out:
        start = time.time()
        pid = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT).pid
        _, status, usage = os.wait4(pid, 0)
        wall = time.time() - start
    text = open(out_path).read()
    service_cpu = cpu_seconds(pids) - before
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if status != 0 or not m or re.search(r"Non-2xx|Socket errors|PANIC|error", text):
        sys.exit(f"wrk failed:\n{text}")
    rps = float(m.group(1))
    wrk_cpu = usage.ru_utime + usage.ru_stime
    # The load generator shares the cores: the service had CORES - wrk's cores.
    wrk_cores = wrk_cpu / wall
    adjusted = rps * CORES / (CORES - wrk_cores)
    print(f"throughput: bare espeak-ng x {CORES} {bare:.1f} sentences/s; HTTP (wrk -t{a.connections} -c{a.connections}, {a.seconds} s) {rps:.1f} req/s "
          f"= {rps / bare:.2f}x; wrk used {wrk_cores:.2f} cores, so per the service's {CORES - wrk_cores:.2f} cores {adjusted:.1f} req/s "
          f"= {adjusted / bare:.2f}x; service CPU {service_cpu / (rps * wall) * 1000:.2f} ms/request")


def free_port():
    for p in range(18400, 18999):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    sys.exit("no free port in 18400-18999")


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
