using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Orleans.Tts.Api.Tests;

[Collection(SiloCollection.Name)]
public sealed partial class MetricsTests(SiloFactory factory)
{
    private async Task<Scrape> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType?.ToString());
        return Scrape.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_are_valid_prometheus_text_with_help_and_type_for_every_family()
    {
        var client = factory.CreateClient();
        await client.GetAsync("/health");
        var scrape = await ScrapeAsync(client);
        foreach (var name in new[] { "tts_requests_total", "tts_request_duration_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes",
                     "dotnet_gc_collections_total", "dotnet_gc_heap_size_bytes", "dotnet_gc_committed_bytes", "dotnet_gc_fragmented_bytes", "tts_cluster_live_silos", "tts_job_backlog", "tts_worker_queue_length" })
            Assert.True(scrape.Types.ContainsKey(name), $"no # TYPE line for {name}");
        Assert.Equal("counter", scrape.Types["tts_requests_total"]);
        Assert.Equal("histogram", scrape.Types["tts_request_duration_seconds"]);
        Assert.Equal("gauge", scrape.Types["process_resident_memory_bytes"]);
        Assert.All(scrape.Types.Keys.Where(n => n.StartsWith("tts_", StringComparison.Ordinal)), name => Assert.True(scrape.Help.ContainsKey(name), $"no # HELP line for {name}"));
        Assert.True(scrape.Value("process_resident_memory_bytes") > 1 << 20);
        Assert.True(scrape.Value("process_cpu_seconds_total") > 0);
        Assert.Equal(1, scrape.Value("tts_cluster_live_silos"));
        Assert.Equal(0, scrape.Value("tts_job_backlog"));
        Assert.True(scrape.Value("dotnet_gc_collections_total", ("generation", "gen0")) >= 0);

        // The managed heap's share of the resident memory, as of the last collection (the silo runs in this process).
        GC.Collect();
        var collected = await ScrapeAsync(client);
        Assert.InRange(collected.Value("dotnet_gc_committed_bytes"), 1, double.MaxValue);
        Assert.InRange(collected.Value("dotnet_gc_fragmented_bytes"), 0, collected.Value("dotnet_gc_committed_bytes"));
        // GC.Collect() is a full blocking collection: what survived it is the live heap (this test process's too, so only bounds).
        Assert.InRange(collected.Value("dotnet_gc_live_after_full_gc_bytes"), 1 << 20, collected.Value("dotnet_gc_committed_bytes"));
        Assert.Equal("gauge", collected.Types["tts_cache_memory_bytes"]);
    }

    [Fact]
    public async Task A_synthesis_moves_request_count_duration_first_audio_real_time_factor_and_cache_counters()
    {
        var client = factory.CreateClient();
        var before = await ScrapeAsync(client);
        var text = $"Metrics move after request {Guid.NewGuid():N}.";
        Assert.Equal(HttpStatusCode.OK, (await client.SpeakAsync(new { input = text, voice = "alloy" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SpeakAsync(new { input = text, voice = "alloy" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SpeakAsync(new { input = "", voice = "alloy" })).StatusCode);
        var after = await ScrapeAsync(client);

        var route = ("route", "/v1/audio/speech");
        Assert.Equal(2, after.Delta(before, "tts_requests_total", route, ("method", "POST"), ("status", "200")));
        Assert.Equal(1, after.Delta(before, "tts_requests_total", route, ("method", "POST"), ("status", "400")));
        Assert.Equal(3, after.Delta(before, "tts_request_duration_seconds_count", route, ("method", "POST")));
        Assert.Equal(3, after.Delta(before, "tts_request_duration_seconds_bucket", route, ("method", "POST"), ("le", "+Inf")));
        Assert.True(after.Delta(before, "tts_request_duration_seconds_sum", route, ("method", "POST")) > 0);
        Assert.Equal(2, after.Delta(before, "tts_time_to_first_audio_seconds_count", route));
        Assert.Equal(1, after.Delta(before, "tts_real_time_factor_count"));
        Assert.True(after.Delta(before, "tts_real_time_factor_sum") > 0);
        Assert.Equal(1, after.Delta(before, "tts_cache_lookups_total", ("result", "miss")));
        Assert.Equal(1, after.Delta(before, "tts_cache_lookups_total", ("result", "hit")));
        Assert.Equal(0, after.Value("tts_syntheses_in_flight"));
        Assert.Equal(0, after.Value("tts_worker_queue_length"));
    }

    [Fact]
    public async Task Histogram_buckets_are_cumulative_and_end_with_the_count()
    {
        var client = factory.CreateClient();
        await client.GetAsync("/health");
        var scrape = await ScrapeAsync(client);
        var buckets = scrape.Samples.Where(s => s.Name == "tts_request_duration_seconds_bucket" && s.Labels["route"] == "/health").ToList();
        Assert.True(buckets.Count > 5);
        for (var i = 1; i < buckets.Count; i++) Assert.True(buckets[i].Value >= buckets[i - 1].Value, "buckets are not cumulative");
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        Assert.Equal(buckets[^1].Value, scrape.Value("tts_request_duration_seconds_count", ("route", "/health"), ("method", "GET")));
    }

    [Fact]
    public async Task Unknown_paths_are_counted_under_one_route_label_not_their_raw_path()
    {
        var client = factory.CreateClient();
        await client.GetAsync($"/no-such-page-{Guid.NewGuid():N}");
        var scrape = await ScrapeAsync(client);
        Assert.True(scrape.Value("tts_requests_total", ("route", "unmatched"), ("method", "GET"), ("status", "404")) >= 1);
        Assert.DoesNotContain(scrape.Samples, s => s.Labels.TryGetValue("route", out var r) && r.StartsWith("/no-such-page", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_include_orleans_and_the_dotnet_runtime_beside_ours_without_two_families_of_one_name()
    {
        var client = factory.CreateClient();
        await client.GetAsync("/health");
        var scrape = await ScrapeAsync(client);
        // Orleans' meter (Microsoft.Orleans): the embedded silo activated its admission and synthesis grains at start.
        Assert.Equal("counter", scrape.Types["orleans_catalog_activation_created_total"]);
        Assert.True(scrape.Value("orleans_catalog_activation_created_total") >= 1);
        Assert.True(scrape.Types.ContainsKey("orleans_catalog_activations"), "no orleans_catalog_activations family");
        // The runtime's meter (System.Runtime).
        Assert.Equal("counter", scrape.Types["dotnet_process_cpu_time_seconds_total"]);
        Assert.True(scrape.Value("dotnet_process_cpu_time_seconds_total") > 0);
        Assert.True(scrape.Value("dotnet_assembly_count") > 10);
        // Ours keeps its generation label; the runtime's instrument that maps to the same name is dropped (Parse rejects a second TYPE line).
        Assert.Contains(scrape.Samples, s => s.Name == "dotnet_gc_collections_total" && s.Labels.ContainsKey("generation"));
        Assert.DoesNotContain(scrape.Samples, s => s.Name == "dotnet_gc_collections_total" && s.Labels.ContainsKey("gc_heap_generation"));
        // No OpenTelemetry scope labels or target_info family: series look as they did before the exporter changed.
        Assert.DoesNotContain(scrape.Samples, s => s.Labels.Keys.Any(k => k.StartsWith("otel_", StringComparison.Ordinal)));
        Assert.False(scrape.Types.ContainsKey("target_info"));
    }

    /// <summary>A small parser of the text exposition format: HELP/TYPE lines and samples with escaped labels.</summary>
    internal sealed partial class Scrape
    {
        public sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

        public Dictionary<string, string> Types { get; } = [];
        public Dictionary<string, string> Help { get; } = [];
        public List<Sample> Samples { get; } = [];

        [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
        private static partial Regex SampleLine();

        [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
        private static partial Regex LabelPair();

        public static Scrape Parse(string text)
        {
            Assert.EndsWith("\n", text);
            var scrape = new Scrape();
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ');
                    Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram" });
                    Assert.True(scrape.Types.TryAdd(parts[2], parts[3]), $"duplicate TYPE for {parts[2]}");
                    continue;
                }
                if (line.StartsWith("# HELP ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', 4);
                    scrape.Help[parts[2]] = parts[3];
                    continue;
                }
                var m = SampleLine().Match(line);
                Assert.True(m.Success, $"not a sample line: {line}");
                var labels = new Dictionary<string, string>();
                var labelText = m.Groups["labels"].Value;
                var consumed = 0;
                foreach (Match pair in LabelPair().Matches(labelText))
                {
                    labels[pair.Groups["key"].Value] = Regex.Unescape(pair.Groups["value"].Value);
                    consumed += pair.Length;
                }
                Assert.Equal(labelText.Length, consumed);
                var name = m.Groups["name"].Value;
                var family = Regex.Replace(name, "_(bucket|sum|count)$", "");
                Assert.True(scrape.Types.ContainsKey(name) || scrape.Types.ContainsKey(family), $"sample {name} before its TYPE line");
                var value = m.Groups["value"].Value switch { "+Inf" => double.PositiveInfinity, "NaN" => double.NaN, var v => double.Parse(v, CultureInfo.InvariantCulture) };
                scrape.Samples.Add(new Sample(name, labels, value));
            }
            return scrape;
        }

        /// <summary>The sum of the samples of this name whose labels include the given ones (0 when there are none).</summary>
        public double Value(string name, params (string Key, string Value)[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

        public double Delta(Scrape before, string name, params (string Key, string Value)[] labels) => Value(name, labels) - before.Value(name, labels);
    }
}
