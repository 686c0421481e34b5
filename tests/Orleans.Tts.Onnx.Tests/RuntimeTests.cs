using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class RuntimeTests(ModelFixture fixture)
{
    [Fact]
    public void The_package_runtime_loads_and_reports_version_1_32()
    {
        Assert.StartsWith("1.32.", fixture.Onnx.Version);
    }

    [Fact]
    public void ONNX_Runtime_log_messages_reach_the_logger()
    {
        using var model = fixture.Onnx.Open(fixture.PiperSingle);

        Assert.Contains(fixture.Log.Entries, e => e.Message.StartsWith("onnxruntime [", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Log.Entries, e => e.Level < LogLevel.Debug);
    }

    [Fact]
    public void Run_on_a_disposed_model_throws_ObjectDisposedException()
    {
        var model = OnnxModel.Open(fixture.PiperSingle);
        model.Dispose();
        model.Dispose();

        Assert.Throws<ObjectDisposedException>(() => model.RunPiper(Inputs.Piper([1])));
    }

    [Fact]
    public void A_model_disposed_during_a_run_frees_its_session_only_after_the_run_returns()
    {
        var model = OnnxModel.Open(fixture.SlowLoop);
        var run = SlowRun.Start(model, 20_000, CancellationToken.None);

        model.Dispose();
        run.Thread.Join();

        Assert.Null(run.Failure);
        Assert.Equal(128, run.Result!.Length);
        Assert.All(run.Result, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0, model.RunsInProgress);
        Assert.Throws<ObjectDisposedException>(() => model.Run(Inputs.Loop(1), "y"));
    }

    [Fact]
    public void Cancelling_stops_a_run_in_progress_and_the_model_keeps_working()
    {
        using var model = OnnxModel.Open(fixture.SlowLoop);
        using var cancel = new CancellationTokenSource();
        // Billions of products: far longer than any test run, so only the terminate flag can end it.
        var run = SlowRun.Start(model, long.MaxValue, cancel.Token);

        cancel.Cancel();
        run.Thread.Join();

        var cancelled = Assert.IsType<OperationCanceledException>(run.Failure);
        Assert.Equal(cancel.Token, cancelled.CancellationToken);
        Assert.Contains("terminate", cancelled.Message, StringComparison.OrdinalIgnoreCase);
        using var once = Inputs.Loop(1);
        Assert.Equal(128, model.Run(once, "y").Length);
    }

    [Fact]
    public async Task A_cancelled_request_stops_its_run_on_the_inference_threads_and_its_task_is_cancelled()
    {
        using var model = OnnxModel.Open(fixture.SlowLoop);
        using var threads = new InferenceThreads(new ModelOptions { Parallelism = 1 });
        using var cancel = new CancellationTokenSource();
        var running = new ManualResetEventSlim();

        var task = threads.RunAsync(() =>
        {
            running.Set();
            using var inputs = Inputs.Loop(long.MaxValue);
            return model.Run(inputs, "y", cancel.Token);
        }, cancel.Token);
        running.Wait();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
        // The thread is free again for the next inference.
        Assert.Equal(128, (await threads.RunAsync(() =>
        {
            using var inputs = Inputs.Loop(1);
            return model.Run(inputs, "y");
        }, CancellationToken.None)).Length);
    }

    [Fact]
    public void A_token_cancelled_before_the_run_throws_without_running()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);

        Assert.Throws<OperationCanceledException>(() => model.RunPiper(Inputs.Piper([1]), new CancellationToken(canceled: true)));
        Assert.Equal(0, model.RunsInProgress);
    }

    /// <summary>A run of the slow loop model on its own thread, returned once the run holds the session.</summary>
    private sealed class SlowRun
    {
        public required Thread Thread { get; init; }
        public float[]? Result { get; private set; }
        public Exception? Failure { get; private set; }

        public static SlowRun Start(OnnxModel model, long iterations, CancellationToken cancellationToken)
        {
            SlowRun? run = null;
            run = new SlowRun
            {
                Thread = new Thread(() =>
                {
                    try
                    {
                        using var inputs = Inputs.Loop(iterations);
                        run!.Result = model.Run(inputs, "y", cancellationToken);
                    }
                    catch (Exception e)
                    {
                        run!.Failure = e;
                    }
                }),
            };
            run.Thread.Start();
            SpinWait.SpinUntil(() => model.RunsInProgress == 1 || !run.Thread.IsAlive);
            return run;
        }
    }
}
