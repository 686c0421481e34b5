using Orleans.Tts.Frontend;
using Orleans.Tts.Silo;
using Orleans.Tts.Silo.Internal;

var builder = WebApplication.CreateBuilder(args);
var role = builder.Role();
if (role == "frontend") builder.AddFrontendTier();
else builder.AddSiloServices();
builder.AddFrontend();

var app = builder.Build();
app.MapSpeechApi();
if (role == "silo" && SiloExtensions.InternalPort(app.Configuration) is { } internalPort) app.MapInternalSynthesis(internalPort);
app.Run();

public partial class Program;
