using Orleans.Tts.Grains.Engines.Espeak;

// One isolated eSpeak NG instance, driven by the silo over stdin/stdout (see EngineHostServer).
return await EngineHostServer.RunAsync(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
