namespace Orleans.Tts.Grains;

/// <summary>The cluster's grain storage, as the silo registers it: Redis with TTS_REDIS, else memory.</summary>
public static class GrainStorage
{
    public const string Name = "tts";
}
