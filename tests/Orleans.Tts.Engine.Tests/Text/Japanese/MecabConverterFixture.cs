using Orleans.Tts.Synthesis.Text.Japanese;

namespace Orleans.Tts.Engine.Tests.Text.Japanese;

public sealed class MecabConverterFixture : IDisposable
{
    public MecabKanaConverter Converter { get; } = MecabKanaConverter.Create();

    public void Dispose() => Converter.Dispose();
}
