using Orleans.Tts.Frontend;
using Orleans.Tts.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddSiloServices();
builder.AddFrontend();

var app = builder.Build();
app.MapSpeechApi();
app.Run();

public partial class Program;
