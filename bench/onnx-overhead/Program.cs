using System.Diagnostics;
using Orleans.Tts.Synthesis.Onnx;

// Usage: OnnxOverhead MODEL PHONEMES RUNS
// Times OnnxSession.Run on a fixture model, one thread, after a warm-up: the Piper model with PHONEMES ids,
// or (PHONEMES = 0) tensor-echo.onnx with a 4-element input, where nearly all the time is binding overhead.
// Prints one line: "csharp phonemes=N runs=R mean_us=X p50_us=Y cpu_us=Z" (wall-clock mean and median per
// run, and process CPU time per run, which a busy machine disturbs least).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: OnnxOverhead MODEL PHONEMES RUNS");
    return 2;
}
var (model, phonemes, runs) = (args[0], int.Parse(args[1]), int.Parse(args[2]));

using var runtime = OnnxRuntime.Create();
using var session = runtime.OpenSession(model, new OnnxSessionOptions(IntraOpThreads: 1, InterOpThreads: 1));
var ids = Enumerable.Range(0, Math.Max(phonemes, 4)).Select(i => (long)(i * 7 % 60)).ToArray();
(string, OnnxTensor)[] inputs = phonemes == 0
    ? [("x", OnnxTensor.FromInt64(ids, 1, 1, ids.Length))]
    :
    [
        ("input", OnnxTensor.FromInt64(ids, 1, ids.Length)),
        ("input_lengths", OnnxTensor.FromInt64([ids.Length], 1)),
        ("scales", OnnxTensor.FromFloat([0.667f, 1f, 0.8f], 3)),
    ];
float Last(IReadOnlyList<OnnxTensor> outputs) => outputs[^1].AsFloat()[^1];

var checksum = 0f;
for (var i = 0; i < Math.Max(200, runs / 10); i++)
    checksum += Last(session.Run(inputs));

var perRun = new long[runs];
var process = Process.GetCurrentProcess();
var cpuBefore = process.TotalProcessorTime;
var total = Stopwatch.StartNew();
for (var i = 0; i < runs; i++)
{
    var start = Stopwatch.GetTimestamp();
    checksum += Last(session.Run(inputs));
    perRun[i] = Stopwatch.GetTimestamp() - start;
}
total.Stop();
process.Refresh();
var cpuUs = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / runs;

Array.Sort(perRun);
var meanUs = total.Elapsed.TotalMicroseconds / runs;
var p50Us = perRun[runs / 2] * 1e6 / Stopwatch.Frequency;
Console.WriteLine($"csharp phonemes={phonemes} runs={runs} mean_us={meanUs:F2} p50_us={p50Us:F2} cpu_us={cpuUs:F2} checksum={checksum:F3}");
return 0;
