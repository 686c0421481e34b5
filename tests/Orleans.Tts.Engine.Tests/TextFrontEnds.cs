using Orleans.Tts.Synthesis.Text.Chinese;
using Orleans.Tts.Synthesis.Text.Japanese;

namespace Orleans.Tts.Engine.Tests;

/// <summary>The real text front ends, loaded once per test run.</summary>
public static class TextFrontEnds
{
    private static readonly Lazy<MandarinFrontEnd> LazyMandarin = new(MandarinFrontEnd.LoadDefault);
    private static readonly Lazy<MecabKanaConverter> LazyJapanese = new(MecabKanaConverter.Create);

    public static MandarinFrontEnd Mandarin => LazyMandarin.Value;
    public static IKanaConverter Japanese => LazyJapanese.Value;
}
