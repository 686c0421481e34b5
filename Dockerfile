# Orleans.Tts container image. Installs exactly what `./tts serve` installs: the Debian packages come
# from scripts/deps.sh (DEPS_RUNTIME_APT); ONNX Runtime comes with the NuGet package Microsoft.ML.OnnxRuntime.
# Build: docker build -t orleans-tts .      Run: docker run -p 8080:8080 orleans-tts

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# The silo references the engine host, so one publish carries both.
RUN dotnet publish Silo/Orleans.Tts.Silo.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
COPY scripts/deps.sh /tmp/deps.sh
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(bash /tmp/deps.sh print runtime) \
 && rm -rf /var/lib/apt/lists/* /tmp/deps.sh \
 && groupadd --gid 10001 tts && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp tts
WORKDIR /app
COPY --from=build /app ./
ENV TTS_HOST=0.0.0.0 TTS_PORT=8080 HOME=/tmp DOTNET_CLI_TELEMETRY_OPTOUT=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/Orleans.Tts.Silo.dll"]
