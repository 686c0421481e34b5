using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class RuntimeTests(ModelFixture fixture)
{
    [Fact]
    public void The_installed_library_loads_and_reports_version_1_30()
    {
        Assert.StartsWith("1.30.", fixture.Runtime.Version);
        Assert.Equal(30u, fixture.Runtime.ApiVersion);
        Assert.EndsWith("libonnxruntime.so.1", fixture.Runtime.LibraryPath);
    }

    [Fact]
    public void The_build_puts_the_library_next_to_the_binaries()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1")),
            "run scripts/install-onnxruntime.sh, then rebuild");
    }

    [Fact]
    public unsafe void The_function_table_round_trips_a_status_code_and_message()
    {
        var api = fixture.Runtime.Api;
        var message = "probe message\0"u8.ToArray();
        nint status;
        fixed (byte* text = message)
            status = api.CreateStatus((int)OnnxErrorCode.NoSuchFile, text);

        var error = api.ToException(status, "in a probe");

        Assert.Equal(OnnxErrorCode.NoSuchFile, error.ErrorCode);
        Assert.Equal("probe message", error.OrtMessage);
        Assert.Contains("in a probe", error.Message);
    }

    [Fact]
    public void A_missing_library_gives_an_error_naming_the_install_script()
    {
        var error = Assert.Throws<DllNotFoundException>(() => OnnxRuntime.Create(libraryPath: "/nonexistent/libonnxruntime.so.1"));

        Assert.Contains("/nonexistent/libonnxruntime.so.1", error.Message);
        Assert.Contains("scripts/install-onnxruntime.sh", error.Message);
    }

    [Fact]
    public void The_library_environment_variable_takes_precedence_and_is_named_when_wrong()
    {
        // Safe to change: the tests of this collection run one at a time.
        var previous = Environment.GetEnvironmentVariable("TTS_ONNXRUNTIME_LIBRARY");
        try
        {
            Environment.SetEnvironmentVariable("TTS_ONNXRUNTIME_LIBRARY", "/nonexistent/lib.so");
            var error = Assert.Throws<DllNotFoundException>(() => OnnxRuntime.Create());
            Assert.Contains("TTS_ONNXRUNTIME_LIBRARY", error.Message);
            Assert.Contains("/nonexistent/lib.so", error.Message);

            Environment.SetEnvironmentVariable("TTS_ONNXRUNTIME_LIBRARY", fixture.Runtime.LibraryPath);
            using var runtime = OnnxRuntime.Create();
            Assert.Equal(fixture.Runtime.LibraryPath, runtime.LibraryPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TTS_ONNXRUNTIME_LIBRARY", previous);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_library_gives_a_clear_load_error()
    {
        var error = Assert.Throws<DllNotFoundException>(() => OnnxRuntime.Create(libraryPath: fixture.PiperSingle));

        Assert.Contains(fixture.PiperSingle, error.Message);
        Assert.Contains("could not be loaded", error.Message);
    }

    [Fact]
    public void ONNX_Runtime_log_messages_reach_the_logger()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);

        Assert.Contains(fixture.Log.Entries, e => e.Message.StartsWith("onnxruntime [", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Log.Entries, e => e.Level < LogLevel.Debug);
    }

    [Fact]
    public void A_session_outlives_a_disposed_runtime_it_was_opened_from()
    {
        var runtime = OnnxRuntime.Create();
        using var session = runtime.OpenSession(fixture.PiperSingle);
        runtime.Dispose();

        var audio = session.Run(Inputs.Piper([1, 2]))[0].AsFloat();

        Assert.Equal(2 * fixture.Piper.Segment, audio.Length);
        Assert.Throws<ObjectDisposedException>(() => runtime.OpenSession(fixture.PiperSingle));
    }

    [Fact]
    public void Run_on_a_disposed_session_throws_ObjectDisposedException()
    {
        var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.Run(Inputs.Piper([1])));
    }
}
