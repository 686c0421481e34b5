using Orleans.Dashboard;
using Orleans.Tts.Frontend;
using Orleans.Tts.Silo;

// `key new NAME [--admin]` / `key hash NAME [--admin]`: API key tooling, no server.
if (args is ["key", .. var keyArgs]) return Orleans.Tts.Frontend.Auth.KeyCommand.Run(keyArgs, Console.In, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);
builder.UseQuietRequestLogging();
var role = builder.Role();
if (role == "frontend") builder.AddFrontendTier();
else builder.AddSiloServices();
builder.AddFrontend();

var app = builder.Build();
app.MapSpeechApi();
// Behind an admin key when keys are configured (ApiKeyAuthentication: /dashboard is an admin route).
if (OrleansHosting.Dashboard(app.Configuration)) app.MapOrleansDashboard("/dashboard");
app.Run();
return 0;

public partial class Program;
