#!/usr/bin/python3
"""LAME's -q setting: CPU time against fidelity, on eSpeak speech at the service's MP3 settings (64 kb/s CBR, mono).

Usage: mp3_quality.py SOURCE.wav [QUALITIES...]   (default 0 2 3 5 7 9)
Encodes SOURCE (16-bit mono WAV) with `lame -b 64 --cbr -q Q` three times per Q (the least CPU time is kept: the
machine may be shared), decodes with `lame --decode` (which removes the encoder delay and padding using the LAME tag)
and compares against the source: SNR over the whole signal, and per band (0-4 kHz: vowels and formants; 4-8 kHz: the
fricatives; LAME's 64 kb/s lowpass is above 8 kHz) the mean log-spectral distance (dB, 1024-sample Hann frames, frames
of speech only) and the decoded band's level against the source's.
Needs /usr/bin/python3 with python3-numpy and lame.
"""
import os, subprocess, sys, tempfile, wave
import numpy as np


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, "16-bit mono expected"
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def cpu_seconds(cmd):
    pid = os.spawnvp(os.P_NOWAIT, cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"{cmd[0]} failed ({status})")
    return usage.ru_utime + usage.ru_stime


def spectra(x, n=1024):
    frames = len(x) // n
    w = np.hanning(n)
    return np.abs(np.fft.rfft(x[: frames * n].reshape(frames, n) * w, axis=1)) ** 2


def main():
    source = sys.argv[1]
    qualities = [int(q) for q in sys.argv[2:]] or [0, 2, 3, 5, 7, 9]
    rate, ref = read_wav(source)
    seconds = len(ref) / rate
    ref_spec = spectra(ref)
    # Speech frames: within 40 dB of the loudest frame.
    energy = ref_spec.sum(axis=1)
    speech = energy > energy.max() * 1e-4
    hz = np.arange(ref_spec.shape[1]) * rate / 1024
    bands = [(0, 4000), (4000, 8000)]
    print(f"source: {seconds:.1f} s of audio at {rate} Hz, {speech.sum()} speech frames")
    print(f"{'q':>2} {'cpu_s':>6} {'x_realtime':>10} {'snr_db':>6}" + "".join(f" {'lsd_%d-%dk' % (lo // 1000, hi // 1000):>9} {'level_%d-%dk' % (lo // 1000, hi // 1000):>11}" for lo, hi in bands))
    with tempfile.TemporaryDirectory() as tmp:
        mp3, dec = os.path.join(tmp, "a.mp3"), os.path.join(tmp, "a.wav")
        for q in qualities:
            cpu = min(cpu_seconds(["lame", "--quiet", "-b", "64", "--cbr", "-q", str(q), source, mp3]) for _ in range(3))
            subprocess.run(["lame", "--quiet", "--decode", mp3, dec], check=True)
            _, out = read_wav(dec)
            n = min(len(out), len(ref))
            noise = ref[:n] - out[:n]
            snr = 10 * np.log10((ref[:n] ** 2).sum() / max((noise ** 2).sum(), 1e-9))
            out_spec = spectra(out[:n])
            k = min(len(out_spec), len(ref_spec))
            line = f"{q:>2} {cpu:6.2f} {seconds / cpu:10.0f} {snr:6.2f}"
            for lo, hi in bands:
                m = (hz >= lo) & (hz < hi)
                a = 10 * np.log10(ref_spec[:k][speech[:k]][:, m] + 1e-3)
                b = 10 * np.log10(out_spec[:k][speech[:k]][:, m] + 1e-3)
                line += f" {np.sqrt(((a - b) ** 2).mean(axis=1)).mean():9.2f} {b.mean() - a.mean():11.2f}"
            print(line)


if __name__ == "__main__":
    main()
