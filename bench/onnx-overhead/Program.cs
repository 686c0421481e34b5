using System.Diagnostics;
using Orleans.Tts.Synthesis.Engines.Models;

// Usage: OnnxOverhead MODEL PHONEMES RUNS
// Times OnnxModel.Run (Microsoft.ML.OnnxRuntime's InferenceSession with OrtValues over pinned arrays, as the engines
// run it) on a fixture model, one thread, after a warm-up: the Piper model with PHONEMES ids, or (PHONEMES = 0)
// tensor-echo.onnx with a 4-element input, where nearly all the time is binding overhead.
// Prints one line: "package phonemes=N runs=R mean_us=X p50_us=Y cpu_us=Z" in the format of the previous binding's
// benchmark (90366b4), which run.sh runs alternately with this one.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: OnnxOverhead MODEL PHONEMES RUNS");
    return 2;
}
var (path, phonemes, runs) = (args[0], int.Parse(args[1]), int.Parse(args[2]));

using var model = OnnxModel.Open(path, new OnnxModelOptions(IntraOpThreads: 1, InterOpThreads: 1));
var ids = Enumerable.Range(0, Math.Max(phonemes, 4)).Select(i => (long)(i * 7 % 60)).ToArray();
// The last output, as the previous benchmark read it (tensor-echo's x_float, Piper's output).
var output = model.Outputs[^1].Name;
float Run()
{
    using var inputs = phonemes == 0
        ? new OnnxInputs().Add("x", ids, 1, 1, ids.Length)
        : new OnnxInputs()
            .Add("input", ids, 1, ids.Length)
            .Add("input_lengths", [(long)ids.Length], 1)
            .Add("scales", [0.667f, 1f, 0.8f], 3);
    return model.Run(inputs, output)[^1];
}

var checksum = 0f;
for (var i = 0; i < Math.Max(200, runs / 10); i++)
    checksum += Run();

var perRun = new long[runs];
var process = Process.GetCurrentProcess();
var cpuBefore = process.TotalProcessorTime;
var total = Stopwatch.StartNew();
for (var i = 0; i < runs; i++)
{
    var start = Stopwatch.GetTimestamp();
    checksum += Run();
    perRun[i] = Stopwatch.GetTimestamp() - start;
}
total.Stop();
process.Refresh();
var cpuUs = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / runs;

Array.Sort(perRun);
var meanUs = total.Elapsed.TotalMicroseconds / runs;
var p50Us = perRun[runs / 2] * 1e6 / Stopwatch.Frequency;
Console.WriteLine($"package phonemes={phonemes} runs={runs} mean_us={meanUs:F2} p50_us={p50Us:F2} cpu_us={cpuUs:F2} checksum={checksum:F3}");
return 0;
