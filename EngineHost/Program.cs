using Microsoft.Win32.SafeHandles;
using Orleans.Tts.Synthesis.Engines.Espeak;

namespace Orleans.Tts.EngineHost;

/// <summary>One isolated eSpeak NG instance, driven by the silo over stdin/stdout (see <see cref="EngineHostServer"/>).</summary>
internal static class EngineHostProgram
{
    private static int Main()
    {
        using var stdout = new SafeFileHandle(1, ownsHandle: false);
        return EngineHostServer.Run(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error, stdout);
    }
}
